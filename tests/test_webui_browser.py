"""The dashboard in a real headless Chromium (Debian's /usr/bin/chromium, driven by playwright)
against a running daemon with a simulated modem."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from playwright.sync_api import expect, sync_playwright

from modemd.clock import utcnow
from modemd.pdu import encode_deliver
from tests.conftest import Running, gammu_decode, wait_until

CHROMIUM = Path("/usr/bin/chromium")
pytestmark = pytest.mark.skipif(
    not CHROMIUM.exists(),
    reason="browser tests need Debian's chromium at /usr/bin/chromium "
           "(apt-get install chromium; CI installs it)")

USER, PASSWORD = "empfang", "richtig-geheim-42"
XSS = "<script>alert(1)</script><img src=x onerror=alert(2)>"
NUMBER = "+491711234567"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        yield b
        b.close()


@pytest.fixture
def box(start_daemon) -> Running:
    run = start_daemon(1)
    run.daemon.users.add(USER, PASSWORD, utcnow())
    return run


class Page:
    """A browser page that records every dialog (an alert would mean script injection)."""

    def __init__(self, browser, base: str):
        self.ctx = browser.new_context(viewport={"width": 1280, "height": 860},
                                       locale="de-DE")
        self.page = self.ctx.new_page()
        self.page.set_default_timeout(10_000)
        self.base = base
        self.dialogs: list[str] = []
        self.errors: list[str] = []

        def on_dialog(d) -> None:
            self.dialogs.append(d.message)
            d.dismiss()

        self.page.on("dialog", on_dialog)
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))

    def go(self, path: str):
        return self.page.goto(self.base + path)

    def login(self, user: str = USER, password: str = PASSWORD) -> None:
        self.go("/login")
        self.page.fill("input[name=user]", user)
        self.page.fill("input[name=password]", password)
        self.page.click("form.stack button[type=submit]")

    def path(self) -> str:
        return self.page.url[len(self.base):]


@pytest.fixture
def page(browser, box) -> Iterator[Page]:
    p = Page(browser, box.daemon.url)
    yield p
    p.ctx.close()


def test_wrong_password_is_refused_the_right_one_logs_in(page: Page):
    page.login(password="falsch-falsch")
    assert page.path().startswith("/login")
    assert "Anmeldung fehlgeschlagen" in page.page.inner_text("[role=alert]")
    page.login(user="niemand", password="auch-falsch")
    assert "Anmeldung fehlgeschlagen" in page.page.inner_text("[role=alert]")
    page.login()
    assert page.path() == "/messages"
    assert page.page.inner_text(".who") == USER
    page.page.click("#logout")
    assert page.path().startswith("/login")
    page.go("/messages")
    assert page.path().startswith("/login?next=")


def test_five_failures_lock_the_login_for_a_minute(page: Page):
    for _ in range(5):
        page.login(password="falsch-falsch")
        assert "Anmeldung fehlgeschlagen" in page.page.inner_text("[role=alert]")
    page.login()  # the right password, but locked now
    assert page.path().startswith("/login")
    assert re.search(r"Zu viele Fehlversuche.*\d+ Sekunden",
                     page.page.inner_text("[role=alert]"))


def test_a_page_without_session_goes_to_login_and_back(page: Page):
    for path in ("/", "/messages", "/scheduled", "/send", "/replies", "/stats", "/modems",
                 "/messages/1"):
        page.go(path)
        assert page.path().startswith("/login"), path
    page.go("/scheduled")
    assert page.path() == "/login?next=%2Fscheduled"
    page.page.fill("input[name=user]", USER)
    page.page.fill("input[name=password]", PASSWORD)
    page.page.click("form.stack button[type=submit]")
    assert page.path() == "/scheduled"


def test_a_patients_markup_shows_as_text_everywhere(page: Page, box: Running):
    sent = box.api.send(NUMBER, XSS)
    box.api.wait_final(sent["id"])
    box.modems[0].deliver_stored(encode_deliver(NUMBER, XSS, datetime(2026, 3, 14, tzinfo=UTC)))
    wait_until(lambda: box.api.call("GET", "/api/v1/inbound")[1]["inbound"])
    page.login()
    for path, cell in ((f"/messages/{sent['id']}", "#sms-text"),
                       ("/messages", "#messages td.text"), ("/replies", "#replies td.text")):
        page.go(path)
        assert XSS in page.page.inner_text(cell), path
        # Nothing of the text became an element: no script, no image anywhere on the page.
        assert page.page.locator("main script, main img").count() == 0, path
        assert page.page.locator("script:not([src])").count() == 0, path
    assert page.dialogs == []
    assert page.errors == []


def test_sending_from_the_form_reaches_the_modem(page: Page, box: Running):
    page.login()
    page.go("/send")
    text = "Ihr Termin morgen um 9:30 Uhr – bitte 10 Minuten früher kommen. €"
    page.page.fill("#to", "0171 7654321")
    page.page.fill("#text", text)
    # The live counter asks the server (the same rules that split the message).
    expect(page.page.locator("#counter")).to_contain_text("SMS ·")
    counter = page.page.inner_text("#counter")
    assert "1 SMS" in counter and "Unicode" in counter and "Teure Zeichen" in counter
    page.page.screenshot(path="/tmp/modemd-webui-send.png", full_page=True)
    page.page.click("#send")
    assert re.fullmatch(r"/messages/\d+\?notice=sent", page.path())
    assert "wurde angenommen" in page.page.inner_text("[role=status]")
    mid = int(page.path().split("/")[2].split("?")[0])
    # The message belongs to the "webui" key, not to the test's API key: read it directly.
    sent = wait_until(lambda: (m := box.daemon.message_service.get(None, mid))
                      and m.status == "sent" and m)
    assert sent.to == "+491717654321"
    pdus = [r.pdu_hex for r in box.modems[0].wait_for_pdus(1, timeout=10)]
    assert gammu_decode(pdus) == text
    # Owned by the "webui" key, so the statistics name it.
    page.go("/stats")
    assert page.page.locator("#stats tr[data-key=webui]").count() == 1
    assert page.page.inner_text("#stats tr[data-key=webui] td:nth-child(3)") == "1"
    page.go("/messages")
    assert page.page.inner_text(f"#messages tr[data-id='{mid}'] .badge") == "versandt"


def test_a_bad_number_is_shown_on_the_form_and_nothing_is_sent(page: Page, box: Running):
    page.login()
    page.go("/send")
    page.page.fill("#to", "12")
    page.page.fill("#text", XSS)
    page.page.click("#send")
    assert "Die Rufnummer ist ungültig" in page.page.inner_text("#send-error")
    assert page.page.input_value("#text") == XSS  # kept, as text
    assert box.api.call("GET", "/api/v1/messages")[1]["messages"] == []
    assert page.dialogs == []


def test_remove_selection_removes_exactly_the_selected(page: Page, box: Running):
    tomorrow = (utcnow() + timedelta(days=1)).isoformat()
    ids = [box.api.send(NUMBER, f"Erinnerung {i}", send_at=tomorrow)["id"] for i in range(4)]
    page.login()
    page.go("/scheduled")
    assert page.page.locator("#scheduled tbody tr").count() == 4
    page.page.check(f"#scheduled tr[data-id='{ids[0]}'] input[type=checkbox]")
    page.page.check(f"#scheduled tr[data-id='{ids[2]}'] input[type=checkbox]")
    page.page.screenshot(path="/tmp/modemd-webui-scheduled.png", full_page=True)
    page.page.click("#remove-selection")
    assert page.path().startswith("/scheduled?")
    assert "2 SMS entfernt" in page.page.inner_text(".notice")
    statuses = [box.api.message(i)["status"] for i in ids]
    assert statuses == ["cancelled", "scheduled", "cancelled", "scheduled"]
    remaining = page.page.locator("#scheduled tbody tr")
    assert sorted(int(remaining.nth(i).get_attribute("data-id")) for i in range(2)) == \
        [ids[1], ids[3]]
    # "Alle auswählen" ticks the rest (a CSP-compatible script file).
    page.page.check("#select-all")
    page.page.click("#remove-selection")
    assert "2 SMS entfernt" in page.page.inner_text(".notice")
    assert "Keine geplanten SMS" in page.page.inner_text("main")
    page.go(f"/messages/{ids[0]}")
    assert page.page.inner_text("h1 .badge") == "entfernt"


def test_german_by_default_english_with_the_switch(page: Page, box: Running):
    box.api.wait_final(box.api.send(NUMBER, "Hallo")["id"])
    page.go("/login")
    assert page.page.get_attribute("html", "lang") == "de"
    assert page.page.inner_text("h1") == "Anmelden"
    page.login()
    assert "Gesendete SMS" in page.page.inner_text("nav.main")
    assert page.page.inner_text("#messages .badge") == "versandt"
    page.page.screenshot(path="/tmp/modemd-webui-messages.png", full_page=True)
    page.page.click("button[name=lang][value=en]")
    assert page.path() == "/messages"
    assert page.page.get_attribute("html", "lang") == "en"
    assert "Sent SMS" in page.page.inner_text("nav.main")
    assert page.page.inner_text("#messages .badge") == "sent"
    page.go("/scheduled")  # kept in the session
    assert page.page.inner_text("h1") == "Scheduled SMS"
    page.go("/stats?lang=de")  # one page in German, the session stays English
    assert page.page.inner_text("h1") == "Statistik"
    page.go("/modems")
    assert page.page.inner_text("h1") == "Modems"
    assert "ready" in page.page.inner_text(".modem .badge")
    page.page.click("button[name=lang][value=de]")
    assert page.page.inner_text(".modem .badge") == "bereit"
