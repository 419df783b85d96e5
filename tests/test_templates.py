"""Templates: placeholder rules, the starter set and its counts, the API, sending from one."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from modemd.analysis import analyze, count_label
from modemd.errors import ValidationError
from modemd.starter_templates import STARTERS
from modemd.templating import SAMPLE_VALUES, check_values, placeholders_in, render

NUMBER = "+4917612345678"
DOC = Path(__file__).parent.parent / "docs" / "templates.md"
VALUES = {"name": "Erika Mustermann", "datum": "2025-08-19", "uhrzeit": "16:30"}


# --- placeholder rules -------------------------------------------------------------------
def test_placeholders_and_braces() -> None:
    text = "{name}: {{Termin}} am {datum} um {uhrzeit}, {name}"
    assert placeholders_in(text) == ["name", "datum", "uhrzeit"]
    assert render(text, {"name": "Erika", "datum": "19.08.", "uhrzeit": "9:00"}) == \
        "Erika: {Termin} am 19.08. um 9:00, Erika"


@pytest.mark.parametrize(("text", "code", "named"), [
    ("Hallo {nmae}", "unknown_placeholder", "{nmae}"),
    ("Hallo {Name}", "unknown_placeholder", "{Name}"),
    ("Hallo { name }", "unknown_placeholder", "{ name }"),
    ("Preis {5 €", "invalid_template", "'{'"),
    ("Hallo name}", "invalid_template", "'}'"),
])
def test_bad_templates_are_refused_by_name(text: str, code: str, named: str) -> None:
    with pytest.raises(ValidationError) as exc:
        placeholders_in(text)
    assert exc.value.code == code and named in str(exc.value) and exc.value.field == "text"


def test_values() -> None:
    assert check_values({"datum": "2025-08-19", "uhrzeit": "16:30"}) == \
        {"datum": "19.08.2025", "uhrzeit": "16:30"}
    with pytest.raises(ValidationError) as exc:
        check_values({"vorname": "Erika"})
    assert (exc.value.code, exc.value.field) == ("unknown_placeholder", "values.vorname")
    with pytest.raises(ValidationError) as exc:
        check_values({"name": "Erika\nMustermann"})
    assert exc.value.field == "values.name"
    with pytest.raises(ValidationError) as exc:
        render("{name} am {datum}", {"name": "Erika"})
    assert (exc.value.code, exc.value.field) == ("missing_value", "values.datum")


# --- the starter set ---------------------------------------------------------------------
def test_starter_counts_are_computed_and_documented() -> None:
    doc = DOC.read_text(encoding="utf-8")
    assert len({s.name for s in STARTERS}) == len(STARTERS) >= 6
    for s in STARTERS:
        text = render(s.text, SAMPLE_VALUES)
        a = analyze(text)
        assert a.encoding == "gsm7", s.name  # no costly characters in our own texts
        label = count_label(a.units, a.segments)
        section = re.search(rf"### `{re.escape(s.name)}`.*?(?=^### |^## |\Z)", doc,
                            re.S | re.M)
        assert section, s.name
        assert s.text in section.group(0) and text in section.group(0)
        assert re.findall(r"\[\d+ Zeichen \| \d+ SMS\]", section.group(0)) == [label]
    reminders = [s for s in STARTERS if not s.name.startswith("recall")]
    assert all(analyze(render(s.text, SAMPLE_VALUES)).segments == 1 for s in reminders)


# --- API ---------------------------------------------------------------------------------
@pytest.fixture
def run(start_daemon):
    return start_daemon(0, sections={"practice": {"name": "Praxis Dr. Beispiel",
                                                  "phone": "030 1234567"}})


def test_starter_set_is_seeded_once(start_daemon, tmp_path) -> None:
    data = tmp_path / "d"
    first = start_daemon(0, data_dir=data)
    status, body = first.api.call("GET", "/api/v1/templates")
    assert status == 200 and set(body) >= {"templates", "next_cursor"}
    assert [t["name"] for t in body["templates"]] == [s.name for s in STARTERS]
    doomed = body["templates"][0]["id"]
    assert first.api.call("DELETE", f"/api/v1/templates/{doomed}")[0] == 200
    first.daemon.stop()
    second = start_daemon(0, data_dir=data)
    names = [t["name"] for t in second.api.call("GET", "/api/v1/templates")[1]["templates"]]
    assert names == [s.name for s in STARTERS[1:]]


def test_list_pages(run) -> None:
    status, page = run.api.call("GET", "/api/v1/templates?limit=3")
    assert status == 200 and len(page["templates"]) == 3 and page["next_cursor"]
    rest = run.api.call("GET", f"/api/v1/templates?limit=100&cursor={page['next_cursor']}")[1]
    assert len(rest["templates"]) == len(STARTERS) - 3 and rest["next_cursor"] is None


def test_template_object_shows_the_count_with_configured_defaults(run) -> None:
    t = run.api.call("GET", "/api/v1/templates")[1]["templates"][0]
    expected = render(t["text"], {**SAMPLE_VALUES, "praxis": "Praxis Dr. Beispiel"})
    assert t["sample_text"] == expected
    a = analyze(expected)
    assert t["sample"]["count"] == count_label(a.units, a.segments)
    assert t["placeholders"] == placeholders_in(t["text"])


def test_create_update_delete(run) -> None:
    api = run.api
    status, t = api.call("POST", "/api/v1/templates",
                         {"name": "kurz", "text": "{name}: {datum}, {uhrzeit} Uhr. {praxis}"})
    assert status == 201 and t["name"] == "kurz" and t["description"] == ""
    assert api.call("GET", f"/api/v1/templates/{t['id']}")[1] == t
    status, body = api.call("POST", "/api/v1/templates", {"name": "KURZ", "text": "x"})
    assert status == 409 and body["error"]["code"] == "name_taken"
    status, body = api.call("PUT", f"/api/v1/templates/{t['id']}",
                            {"name": "kurz", "text": "Hallo {nmae}"})
    assert status == 422 and body["error"]["code"] == "unknown_placeholder"
    assert "{nmae}" in body["error"]["message"] and body["error"]["field"] == "text"
    status, changed = api.call("PUT", f"/api/v1/templates/{t['id']}",
                               {"name": "kurz2", "text": "{name}, bis {datum}!",
                                "description": "neu"})
    assert status == 200 and (changed["name"], changed["description"]) == ("kurz2", "neu")
    assert api.call("DELETE", f"/api/v1/templates/{t['id']}")[0] == 200
    assert api.call("GET", f"/api/v1/templates/{t['id']}")[0] == 404
    assert api.call("DELETE", f"/api/v1/templates/{t['id']}")[0] == 404
    assert api.call("PUT", "/api/v1/templates/999", {"name": "a", "text": "b"})[0] == 404


@pytest.mark.parametrize(("payload", "code", "field"), [
    ({"text": "x"}, "missing_field", "name"),
    ({"name": "a b", "text": "x"}, "invalid_name", "name"),
    ({"name": "a"}, "missing_field", "text"),
    ({"name": "a", "text": "x" * 601}, "text_too_long", "text"),
    ({"name": "a", "text": "{termin}"}, "unknown_placeholder", "text"),
    ({"name": "a", "text": "x", "colour": "red"}, "unknown_field", "colour"),
])
def test_create_validation(run, payload: dict, code: str, field: str) -> None:
    status, body = run.api.call("POST", "/api/v1/templates", payload)
    assert status == 422 and (body["error"]["code"], body["error"]["field"]) == (code, field)


def test_template_routes_need_a_key(run) -> None:
    for method, path in [("GET", "/api/v1/templates"), ("POST", "/api/v1/templates"),
                         ("GET", "/api/v1/templates/1"), ("PUT", "/api/v1/templates/1"),
                         ("DELETE", "/api/v1/templates/1")]:
        assert run.api.call(method, path, {"name": "a", "text": "b"}, key="")[0] == 401


# --- sending from a template -------------------------------------------------------------
def test_send_from_a_template(run) -> None:
    status, m = run.api.call("POST", "/api/v1/messages", {
        "to": NUMBER, "template": "erinnerung-kurz", "values": VALUES, "reference": "t-1"})
    assert status == 201
    expected = ("Erinnerung: Erika Mustermann, Ihr Termin ist am 19.08.2025 um 16:30 Uhr. "
                "Absagen bitte unter 030 1234567. Praxis Dr. Beispiel")
    assert m["text"] == expected
    a = analyze(expected)
    assert (m["segments"], m["units"], m["count"]) == \
        (a.segments, a.units, count_label(a.units, a.segments))
    again = run.api.call("POST", "/api/v1/messages", {
        "to": NUMBER, "template": "erinnerung-kurz", "values": VALUES, "reference": "t-1"})
    assert again[0] == 200 and again[1]["id"] == m["id"]


def test_count_follows_the_rendered_text(run) -> None:
    long_name = {**VALUES, "name": "Maximiliane Mustermann-Beispielhausen von Testingen"}
    m = run.api.send(NUMBER, None, template="erinnerung-karte", values=long_name)
    assert m["segments"] == 2 and m["count"] == count_label(analyze(m["text"]).units, 2)


@pytest.mark.parametrize(("payload", "code", "field"), [
    ({"template": "gibt-es-nicht", "values": VALUES}, "unknown_template", "template"),
    ({"template": "erinnerung-kurz", "values": {**VALUES, "termin": "x"}},
     "unknown_placeholder", "values.termin"),
    ({"template": "erinnerung-kurz", "values": {"name": "Erika"}}, "missing_value",
     "values.datum"),
    ({"template": "recall-online", "values": VALUES}, "missing_value", "values.link"),
    ({"template": "erinnerung-kurz", "values": VALUES, "text": "x"}, "conflicting_fields",
     "text"),
    ({"text": "x", "values": VALUES}, "unexpected_field", "values"),
    ({"template": ["x"]}, "invalid_type", "template"),
])
def test_send_from_a_template_errors(run, payload: dict, code: str, field: str) -> None:
    status, body = run.api.call("POST", "/api/v1/messages", {"to": NUMBER, **payload})
    assert status == 422 and (body["error"]["code"], body["error"]["field"]) == (code, field)
    assert code != "unknown_placeholder" or "termin" in body["error"]["message"]


def test_analyze_a_rendered_template(run) -> None:
    status, body = run.api.call("POST", "/api/v1/analyze",
                                {"template": "erinnerung-kurz", "values": VALUES})
    assert status == 200 and body["segments"] == 1 and body["encoding"] == "gsm7"
