"""Hostile request bodies on any route, with or without a token: JSON nested beyond what a
parser survives, numbers that are no numbers, text that is no JSON; and the safety net for
whatever still escapes a view. Every answer is a 4xx in Dutch, or a 500 with a trace id."""

from __future__ import annotations

import json
import logging
import re

import pytest

from app import text_rules
from app.tasks import forms
from tests.security.input_support import reporting_partner, stored
from tests.support.engine import FIXTURES

DEEP = "[" * 100_000
ROUTES = [
    "/api/v1/signals",
    "/api/v1/messages",
    "/api/v1/processes/x/instances",
    "/api/v1/tasks/1/complete",
    "/inloggen",
    "/meldingen/nieuw",
]


@pytest.fixture
def auth(db, clock):  # type: ignore[no-untyped-def]
    return reporting_partner(db)


@pytest.mark.parametrize("path", ROUTES)
def test_json_nested_beyond_the_parser_is_a_400_on_any_route(client, auth, path) -> None:
    for headers in ({}, auth):  # before authentication, and after
        answer = client.post(path, data=DEEP, content_type="application/json", headers=headers)
        assert answer.status_code == 400, (path, answer.status_code)
        if path.startswith("/api/"):
            assert answer.get_json()["message"] == (
                "De inhoud van het verzoek is niet te lezen: de JSON is te diep genest "
                "(meer dan 64 niveaus)."
            )
        else:
            assert "Verzoek niet uitgevoerd" in answer.get_data(as_text=True)


def nested(levels: int) -> str:
    return "[" * levels + "]" * levels


def test_the_depth_limit_is_64_levels(client, auth) -> None:
    """64 levels the parser and walker take (the schema then refuses the list); 65 not."""
    ok = client.post(
        "/api/v1/signals",
        data='{"signalen": ' + nested(text_rules.MAX_DEPTH - 1) + "}",
        content_type="application/json",
        headers=auth,
    )
    assert ok.status_code == 422, ok.get_json()
    deep = client.post(
        "/api/v1/signals",
        data='{"signalen": ' + nested(text_rules.MAX_DEPTH) + "}",
        content_type="application/json",
        headers=auth,
    )
    assert deep.status_code == 400 and "te diep genest" in deep.get_json()["message"]


@pytest.mark.parametrize("number", ["NaN", "Infinity", "-Infinity", "1e999"])
def test_numbers_that_are_not_finite_are_a_422_naming_the_field(client, auth, db, number) -> None:
    body = (
        '{"signalen": [{"referentie": "WL-000001", "naam": "A", "geboortedatum": "1975-01-31",'
        ' "huisnummer": "1", "postcode": "6001 AB", "maanden_achterstand": ' + number + "}]}"
    )
    answer = client.post(
        "/api/v1/signals", data=body, content_type="application/json", headers=auth
    )
    assert answer.status_code == 422, answer.get_json()
    assert answer.get_json()["errors"] == {
        "signalen.0.maanden_achterstand": [
            "is geen eindig getal (NaN en Infinity zijn niet toegestaan)"
        ]
    }
    assert stored(db) == 0


@pytest.mark.parametrize(
    ("text", "reason"),
    [("NaN", "is geen getal"), ("Infinity", "is geen getal"), ("1e999999999", "is te groot")],
)
def test_numbers_in_text_that_are_no_amounts_reject_the_signal(client, auth, db, text, reason):  # type: ignore[no-untyped-def]
    """As text they are valid JSON; the field's own check refuses them (a row, not the body)."""
    row = {
        "referentie": "WL-000001",
        "naam": "A",
        "geboortedatum": "1975-01-31",
        "huisnummer": "1",
        "postcode": "6001 AB",
        "maanden_achterstand": text,
    }
    answer = client.post("/api/v1/signals", json={"signalen": [row]}, headers=auth)
    assert answer.status_code == 200, answer.get_json()
    assert answer.get_json()["resultaten"][0]["fouten"] == [
        {"veld": "maanden_achterstand", "probleem": reason}
    ]
    assert stored(db) == 0


def test_a_task_form_number_that_is_no_number() -> None:
    """A "NaN" passes every min/max comparison; no JSON column holds what float() makes."""
    schema = json.loads((FIXTURES / "test-beoordelen.form").read_text())
    for text in ("NaN", "nan", "-inf"):
        _clean, errors = forms.validate(
            schema, {"toelichting": "lang genoeg", "aantal_bewoners": text}
        )
        assert errors == {"aantal_bewoners": ["Vul een getal in."]}, text


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (b'{"signalen": [', "geen geldige JSON (regel 1, kolom 15)"),
        (b'{"signalen": ["\xff"]}', "de JSON is geen geldige UTF-8"),
        (b'{"n": ' + b"9" * 5000 + b"}", "geen geldige JSON (een getal met te veel cijfers)"),
    ],
)
def test_a_body_that_is_no_json_is_a_400_in_dutch(client, auth, body, reason) -> None:
    answer = client.post("/api/v1/signals", data=body, content_type="application/json")
    assert answer.status_code == 400
    assert answer.get_json() == {
        "code": "bad_request",
        "message": f"De inhoud van het verzoek is niet te lezen: {reason}.",
    }


def test_errors_on_pages_and_the_api_say_which_methods_there_are(client, auth) -> None:
    api = client.delete("/api/v1/signals", headers=auth)
    assert api.status_code == 405 and set(api.headers["Allow"].split(", ")) >= {"POST"}
    assert api.get_json() == {"code": "method_not_allowed", "message": "Niet toegestaan"}
    page = client.delete("/meldingen/nieuw")
    assert page.status_code == 405 and "POST" in page.headers["Allow"]
    too_big = client.post(
        "/api/v1/signals",
        data=b"x" * (20 * 1024 * 1024 + 1),
        content_type="application/json",
        headers=auth,
    )
    assert too_big.status_code == 413 and too_big.get_json()["message"] == "Te groot"


def test_whatever_still_escapes_a_view_answers_with_a_trace_id(app, db, caplog) -> None:
    @app.get("/api/v1/kapot")
    def _api_fails() -> None:
        raise RuntimeError("onverwacht")

    @app.get("/kapot")
    def _page_fails() -> None:
        raise RuntimeError("onverwacht")

    client = app.test_client()
    trace = "4bf92f3577b34da6a3ce929d0e0e4736"
    with caplog.at_level(logging.ERROR, logger="app.web"):
        api = client.get(
            "/api/v1/kapot", headers={"traceparent": f"00-{trace}-00f067aa0ba902b7-01"}
        )
    assert api.status_code == 500
    assert api.get_json() == {
        "code": "internal_error",
        "message": "Er ging aan onze kant iets mis. Noem dit kenmerk als u contact opneemt: "
        + trace,
        "trace_id": trace,
    }
    assert any(trace in r.getMessage() and r.exc_info for r in caplog.records)

    page = client.get("/kapot")
    assert page.status_code == 500 and page.mimetype == "text/html"
    assert "Noem dit kenmerk als u contact opneemt" in page.get_data(as_text=True)


@pytest.mark.parametrize(
    "header",
    [
        "00-<script>alert(1)</script>0000000000000000-00f067aa0ba902b7-01",
        "00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01",  # uppercase is invalid
        "00-00000000000000000000000000000000-00f067aa0ba902b7-01",
        "00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01",
        "ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
        "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-extra",
    ],
)
def test_a_traceparent_that_is_not_w3c_starts_a_trace_of_our_own(header) -> None:
    """What a caller sends is only continued when it is a valid W3C trace context; the trace id
    is stored in the processing log and shown to people."""
    from app.privacy import context

    operation = context.begin("api", traceparent=header)
    try:
        assert re.fullmatch("[0-9a-f]{32}", operation.trace_id)
        assert operation.trace_id not in header.lower()
    finally:
        context.end()
    later = context.begin(
        "api", traceparent="01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-x"
    )
    context.end()
    assert later.trace_id == "4bf92f3577b34da6a3ce929d0e0e4736"


def test_validation_errors_of_the_api_are_in_dutch(client, db) -> None:
    """marshmallow's English messages are translated where the 422 is made; nesting and field
    names stay as they are."""
    from app.auth.tokens import create_token

    with db.transaction() as session:
        _row, secret = create_token(session, "berichten", ["messages:write"])
    answer = client.post(
        "/api/v1/messages",
        headers={"Authorization": f"Bearer {secret}"},
        json={"correlation_key": 5, "data": [], "extra": 1},
    )
    assert answer.status_code == 422
    errors = answer.get_json()["errors"]
    assert errors == {
        "name": ["Dit veld is verplicht."],
        "correlation_key": ["Geen tekst."],
        "data": ["Geen object (namen met waarden)."],
        "extra": ["Dit veld bestaat niet."],
    }


def test_every_known_validation_message_has_a_dutch_text() -> None:
    from app.validation_messages import dutch

    assert dutch("Length must be between 1 and 200.") == "Lengte moet tussen 1 en 200 liggen."
    assert dutch("Must be one of: a, b.") == "Moet een van deze zijn: a, b."
    assert dutch("Must be greater than or equal to 1.") == "Moet minstens 1 zijn."
    assert dutch("Een eigen melding.") == "Een eigen melding."
