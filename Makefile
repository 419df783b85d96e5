# Two entry points: `make run` (the product on simulated modems) and `make test` (the suite).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin

.PHONY: run test lint sysdeps bench clean

$(BIN)/modemd: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $(BIN)/modemd

# python-gammu (a test-only, independent PDU decoder) compiles against libGammu; the
# dashboard's browser tests drive Debian's chromium (skipped when it is missing).
sysdeps:
	@if ! pkg-config --exists gammu 2>/dev/null; then \
	  if [ "$$(id -u)" = 0 ]; then \
	    apt-get update -qq && apt-get install -y -qq libgammu-dev pkg-config; \
	  else \
	    echo "missing: libgammu-dev pkg-config (sudo apt-get install libgammu-dev pkg-config)"; exit 1; \
	  fi; \
	fi
	@if [ ! -x /usr/bin/chromium ]; then \
	  if [ "$$(id -u)" = 0 ]; then \
	    apt-get install -y -qq chromium >/dev/null || echo "chromium not installed: browser tests will be skipped"; \
	  else \
	    echo "note: no /usr/bin/chromium (sudo apt-get install chromium): browser tests will be skipped"; \
	  fi; \
	fi

run: $(BIN)/modemd
	$(BIN)/modemd run --simulate --modems 2

test: sysdeps $(BIN)/modemd
	$(BIN)/ruff check .
	$(BIN)/pytest

bench: $(BIN)/modemd
	$(BIN)/python bench/send_throughput.py
	$(BIN)/python bench/api_throughput.py

clean:
	rm -rf $(VENV) build *.egg-info
