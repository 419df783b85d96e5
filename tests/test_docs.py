"""Documentation is tested too: every CLI command and API route appears in README.md."""

from __future__ import annotations

import argparse
import re
from pathlib import Path

from modemd.api import ApiContext, create_api
from modemd.cli import _parser

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text()


def _commands(parser: argparse.ArgumentParser, prefix: str = "modemd") -> list[str]:
    found = []
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                found.append(f"{prefix} {name}")
                found.extend(_commands(sub, f"{prefix} {name}"))
    return found


def _normalise(path: str) -> str:
    return re.sub(r"<[^>]+>|\{[^}]+\}", "{}", path)


def test_every_cli_command_is_in_the_readme():
    missing = [c for c in _commands(_parser()) if c not in README
               and not _listed_as_alternative(c, README)]
    assert missing == []


def _listed_as_alternative(command: str, readme: str) -> bool:
    # "modemd blocklist list / add NUMBER / remove NUMBER" names three commands.
    parent, _, leaf = command.rpartition(" ")
    return re.search(rf"`{re.escape(parent)} [^`]*`(?: / `{leaf}\b| /[^|]*`{leaf}\b)",
                     readme) is not None


def test_every_api_route_is_in_the_readme():
    app = create_api(ApiContext(keys=None, messages=None, channels=[],  # type: ignore[arg-type]
                                metrics=lambda: "", health=lambda: {}))
    documented = _normalise(README)
    missing = sorted({r.rule for r in app.routes if _normalise(r.rule) not in documented})
    assert missing == []


def test_readme_starts_with_the_two_commands():
    head = README.splitlines()[:6]
    assert any(line.startswith("make run") for line in head)
    assert any(line.startswith("make test") for line in head)


def test_docs_links_resolve():
    for link in re.findall(r"\]\(((?:docs|bench)/[^)#]+)\)", README):
        assert (ROOT / link).exists(), link
