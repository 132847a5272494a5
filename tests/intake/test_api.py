"""Partners report through the API and get back only what they may learn."""

from __future__ import annotations

import csv
import io

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from app.auth.tokens import create_token
from app.catalogue import load
from app.engine import service
from app.engine.models import HumanTask
from tests.support.engine import FIXTURES, deploy_paths
from tests.support.orgs import bind, organisation, partner


def signal(n: int, **changes: str) -> dict[str, str]:
    row = {
        "referentie": f"WL-{n:06d}",
        "naam": f"A. Bakker-{n}",
        "geboortedatum": "1975-01-31",
        "huisnummer": str(n),
        "postcode": "6001 AB",
        "maanden_achterstand": "2",
    }
    row.update(changes)
    return row


@pytest.fixture
def partner_token(db, clock):
    deploy_paths(db, FIXTURES / "melding.bpmn")
    principal = partner(db, "wonen-limburg", "test_melding", pattern=r"WL-\d{6}")
    organisation(db, "weert-sdv", "gemeente")
    bind(db, "test_melding", "weert", "wijkteam", "weert-sdv")
    with db.transaction() as session:
        _row, secret = create_token(
            session,
            "wonen-limburg-systeem",
            ["signals:write", "feedback:read", "instances:read"],
            organisation_id=principal.organisation_id,
        )
    return {"Authorization": f"Bearer {secret}"}


def test_signals_are_stored_once_and_errors_name_the_field(client, partner_token, db) -> None:
    body = {"signalen": [signal(1), signal(2, postcode="12345"), signal(1)]}
    first = client.post("/api/v1/signals", json=body, headers=partner_token).get_json()
    assert [r["status"] for r in first["resultaten"]] == ["opgeslagen", "afgewezen", "dubbel"]
    assert first["resultaten"][1]["fouten"] == [
        {"veld": "postcode", "probleem": "is geen geldige postcode (bijv. 1234 AB)"}
    ]
    again = client.post(
        "/api/v1/signals", json={"signalen": [signal(1)]}, headers=partner_token
    ).get_json()
    assert again["resultaten"][0]["status"] == "dubbel" and again["opgeslagen"] == 0


def test_same_address_same_month_is_one_case(client, partner_token, db) -> None:
    rows = [signal(1), signal(2, huisnummer="1")]  # same address as the first
    result = client.post(
        "/api/v1/signals", json={"signalen": rows}, headers=partner_token
    ).get_json()
    assert [r["status"] for r in result["resultaten"]] == ["opgeslagen", "bij_bestaande_casus"]
    instances = client.get("/api/v1/instances", headers=partner_token).get_json()["items"]
    assert len(instances) == 1


def test_earlier_signal_in_six_months_is_flagged(client, partner_token, db, clock) -> None:
    from datetime import timedelta

    client.post("/api/v1/signals", json={"signalen": [signal(1)]}, headers=partner_token)
    clock.advance(timedelta(days=95))
    later = client.post(
        "/api/v1/signals",
        json={"signalen": [signal(1, referentie="WL-900001")]},
        headers=partner_token,
    ).get_json()
    assert later["resultaten"][0]["eerder_gemeld"] is True
    clock.advance(timedelta(days=220))  # seven months after the previous one
    much_later = client.post(
        "/api/v1/signals",
        json={"signalen": [signal(1, referentie="WL-900002")]},
        headers=partner_token,
    ).get_json()
    assert much_later["resultaten"][0]["eerder_gemeld"] is False


def test_objection_means_no_case_and_nothing_kept(client, partner_token, db) -> None:
    from app.intake.models import Objection, Signal
    from app.intake.service import record_objection

    with db.transaction() as session:
        record_objection(
            session,
            client.application.extensions["stroom"].settings.secret_key,
            "weert",
            {"postcode": "6001 AB", "huisnummer": "3"},
            "1975-01-31",
            "brief corporatie",
            "test",
        )
    result = client.post(
        "/api/v1/signals", json={"signalen": [signal(3)]}, headers=partner_token
    ).get_json()
    assert result["resultaten"][0]["status"] == "bezwaar"
    with db.session() as session:
        assert session.scalars(select(Signal)).all() == []
        assert session.scalars(select(Objection.signals_refused)).one() == 1


@pytest.mark.parametrize("fmt", ["csv", "xlsx", "json"])
def test_feedback_holds_only_what_the_partner_may_receive(client, partner_token, db, fmt) -> None:
    client.post("/api/v1/signals", json={"signalen": [signal(1), signal(2)]}, headers=partner_token)
    with db.transaction() as session:
        tasks = session.scalars(select(HumanTask)).all()
        service.complete_task(
            session,
            tasks[0].id,
            {
                "terugkoppeling": '=HYPERLINK("http://x")',
                "eindresultaat": "Niet opgepakt: andere reden",
                "reden_niet_opgepakt": "verhuisd naar Roermond",
            },
            "test",
        )
    response = client.get(f"/api/v1/feedback?periode=2026-03&formaat={fmt}", headers=partner_token)
    assert response.status_code == 200
    if fmt == "csv":
        text = response.data.decode("utf-8-sig")
        rows = list(csv.reader(io.StringIO(text), delimiter=";"))
    elif fmt == "xlsx":
        sheet = load_workbook(io.BytesIO(response.data)).active
        rows = [[c if c is not None else "" for c in r] for r in sheet.iter_rows(values_only=True)]
    else:
        body = response.get_json()
        rows = [body["labels"]] + body["rijen"]
    header, data = rows[0], rows[1:]

    catalogue = load(FIXTURES / "melding.catalogus.yaml")
    allowed = {catalogue.fields[n].description for n in catalogue.readable("corporatie", "melding")}
    allowed |= {"Uw referentie", "Maand van melding", "Resultaat"}
    assert set(header) <= allowed, set(header) - allowed
    assert "Eerder gemeld in het halfjaar ervoor" not in header
    flat = " ".join(str(c) for r in data for c in r)
    assert "verhuisd" not in flat  # the reason is never told
    outcomes = [r[header.index("Resultaat")] for r in data]
    assert sorted(outcomes) == ["Niet opgepakt: andere reden", "Nog niet opgepakt"]
    if fmt != "json":
        cell = [
            r[header.index("Terugkoppeling aan de melder")]
            for r in data
            if r[header.index("Terugkoppeling aan de melder")]
        ][0]
        assert cell.startswith("'="), "formula must be escaped"
