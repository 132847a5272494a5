"""The privacy officer's pages: who may see them, searching and paging both logs, exports,
the consents of a case, and the audit lines the officer's own searches leave."""

from __future__ import annotations

import csv
import dataclasses
import io
import json
import re
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from openpyxl import load_workbook
from sqlalchemy import insert, select

from app.auth.crypto import pseudonym
from app.cases.models import Document
from app.db import Database
from app.privacy import consent, search
from app.privacy.models import AuditLog, ProcessingLog
from app.web import create_app
from tests.support.engine import FIXTURES, deploy_paths
from tests.support.orgs import PASSWORD, organisation, user

OFFICER_PAGES = [
    "/privacy/verwerkingen",
    "/privacy/verwerkingen/export.csv",
    "/privacy/audit",
    "/privacy/audit/export.xlsx",
    "/privacy/toestemmingen",
    "/privacy/toestemmingen/bestaat-niet",
]
BSN = "999993653"  # RvIG test range, passes the eleven test
TRACE_A = "a" * 32
TRACE_B = "b" * 32


# -- helpers (also used by tests/browser/test_privacy_pages.py) -----------------------------


def officer_app(db: Database, settings: Any) -> Any:
    """The app with the privacy pages, without a second factor (tested in tests/auth)."""
    from app.privacy.views import register_privacy

    app = create_app(dataclasses.replace(settings, totp_roles=frozenset()), db, testing=True)
    if "privacy" not in app.blueprints:
        register_privacy(app)
    return app


def people(db: Database) -> None:
    organisation(db, "regio-privacy", "gemeente", name="Regio privacy")
    organisation(db, "weert-sdv", "gemeente", name="Weert SDV")
    user(db, "pia", "regio-privacy", roles=("privacyfunctionaris",))
    user(db, "bert", "weert-sdv", roles=("behandelaar",))
    user(db, "bea", "regio-privacy", roles=("beheerder",))


def csrf(client: Any, path: str = "/inloggen") -> str:
    page = client.get(path).get_data(as_text=True)
    match = re.search(r'name="csrf_token" value="([^"]+)"', page) or re.search(
        r'name="csrf-token" content="([^"]+)"', page
    )
    assert match, f"no CSRF token on {path}"
    return match.group(1)


def log_in(client: Any, username: str) -> None:
    response = client.post(
        "/inloggen",
        data={"gebruikersnaam": username, "wachtwoord": PASSWORD, "csrf_token": csrf(client)},
    )
    assert response.status_code == 302, response.get_data(as_text=True)


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).astimezone(UTC)


def processing(db: Database, *rows: dict[str, Any]) -> None:
    defaults = {
        "operation_id": "0" * 16,
        "parent_operation_id": None,
        "data_subject_id": None,
        "data_subject_type": None,
        "status": "OK",
        "attributes": {},
    }
    with db.transaction() as session:
        session.execute(
            insert(ProcessingLog),
            [{**defaults, "end_time": r["start_time"], **r} for r in rows],
        )


def audits(db: Database, *rows: dict[str, Any]) -> None:
    defaults = {
        "organisation": None,
        "object_id": None,
        "result": "gelukt",
        "origin": "127.0.0.1",
        "channel": "web",
        "details": {},
    }
    with db.transaction() as session:
        session.execute(insert(AuditLog), [{**defaults, **r} for r in rows])


def seed_processing(db: Database, secret: str, case_id: str = "zaak-a") -> None:
    """Five lines; each `doel` names the line, so a page shows which ones it found."""
    zaak = pseudonym(secret, "zaak", case_id)
    processing(
        db,
        {
            "trace_id": TRACE_A,
            "name": "casusgegevens inzien",
            "activity_id": "vroegsignalering-weert",
            "data_subject_id": zaak,
            "data_subject_type": "zaak",
            "start_time": at("2026-03-02T09:00:00+01:00"),
            "attributes": {"doel": "regel-1", "categorieen": ["contact"]},
        },
        {
            "trace_id": TRACE_B,
            "name": "casusgegevens vastleggen",
            "activity_id": "vroegsignalering-weert",
            "data_subject_id": zaak,
            "data_subject_type": "zaak",
            "status": "ERROR",
            "start_time": at("2026-03-03T23:30:00+01:00"),  # still 3 March in Amsterdam
            "attributes": {"doel": "regel-2"},
        },
        {
            "trace_id": TRACE_B,
            "name": "BRP raadplegen",
            "activity_id": "brp-bevraging",
            "data_subject_id": pseudonym(secret, "bsn", BSN),
            "data_subject_type": "bsn",
            "start_time": at("2026-03-04T00:30:00+01:00"),  # 3 March in UTC, 4 in Amsterdam
            "attributes": {"doel": "regel-3"},
        },
        {
            "trace_id": "c" * 32,
            "name": '=HYPERLINK("http://evil.example")',
            "activity_id": "preventie-haarlem",
            "data_subject_id": pseudonym(secret, "zaak", "zaak-b"),
            "data_subject_type": "zaak",
            "start_time": at("2026-02-20T12:00:00+01:00"),
            "attributes": {"doel": "regel-4"},
        },
        {
            "trace_id": "d" * 32,
            "name": "Casusgegevens INZIEN",
            "activity_id": "preventie-haarlem",
            "start_time": at("2026-02-21T12:00:00+01:00"),
            "attributes": {"doel": "regel-5"},
        },
    )


def found(html: str) -> list[str]:
    """The marked lines a page shows, in order."""
    return re.findall(r"regel-\d+", html)


def officer_audits(db: Database, action: str) -> list[AuditLog]:
    with db.session() as session:
        return list(
            session.scalars(select(AuditLog).where(AuditLog.action == action).order_by(AuditLog.id))
        )


@pytest.fixture
def app(db: Database, settings: Any, clock: Any) -> Any:
    people(db)
    return officer_app(db, settings)


@pytest.fixture
def pia(app: Any) -> Any:
    client = app.test_client()
    log_in(client, "pia")
    return client


# -- access ---------------------------------------------------------------------------------


def test_only_the_privacy_officer_gets_in(app: Any) -> None:
    anonymous = app.test_client()
    for path in OFFICER_PAGES:
        response = anonymous.get(path)
        assert response.status_code == 302, path
        assert response.headers["Location"].startswith("/inloggen?volgende=/privacy/"), path
    for username in ("bert", "bea"):
        client = app.test_client()
        log_in(client, username)
        for path in OFFICER_PAGES:
            assert client.get(path).status_code == 403, (username, path)
        forbidden = client.post("/privacy/verwerkingen", data={"csrf_token": csrf(client, "/")})
        assert forbidden.status_code == 403
        assert "Geen toegang" in client.get("/privacy/audit").get_data(as_text=True)
    officer = app.test_client()
    log_in(officer, "pia")
    for path in ("/privacy/verwerkingen", "/privacy/audit", "/privacy/toestemmingen"):
        assert officer.get(path).status_code == 200, path
    assert officer.get("/privacy/").headers["Location"] == "/privacy/verwerkingen"


# -- processing log -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({}, ["regel-3", "regel-2", "regel-1", "regel-5", "regel-4"]),
        ({"van": "2026-03-02", "tot": "2026-03-03"}, ["regel-2", "regel-1"]),
        ({"van": "2026-03-04"}, ["regel-3"]),
        ({"tot": "2026-02-20"}, ["regel-4"]),
        ({"status": "ERROR"}, ["regel-2"]),
        ({"activiteit": "brp-bevraging"}, ["regel-3"]),
        ({"naam": "INZIEN"}, ["regel-1", "regel-5"]),
        ({"naam": "%"}, []),  # a wildcard is a character like any other
        ({"trace": TRACE_B.upper()}, ["regel-3", "regel-2"]),
        ({"activiteit": "vroegsignalering-weert", "status": "OK"}, ["regel-1"]),
    ],
)
def test_processing_filters(pia, db, settings, query: dict[str, str], expected: list[str]) -> None:
    seed_processing(db, settings.secret_key)
    response = pia.get("/privacy/verwerkingen", query_string=query)
    assert response.status_code == 200
    assert found(response.get_data(as_text=True)) == expected


def test_processing_page_shows_no_user_identities(pia, db, settings) -> None:
    seed_processing(db, settings.secret_key)
    html = pia.get("/privacy/verwerkingen").get_data(as_text=True)
    table = html[html.index("<table") : html.index("</table>")]
    assert "user:" not in table and "pia" not in table
    assert pseudonym(settings.secret_key, "bsn", BSN)[:12] in table  # pseudonyms, shortened
    assert BSN not in html


@pytest.mark.parametrize(
    ("query", "field", "message"),
    [
        ({"van": "2-3-2026"}, "van", "Vul een datum in als jjjj-mm-dd"),
        ({"van": "2026-03-05", "tot": "2026-03-01"}, "tot", "De einddatum ligt vóór de begindatum"),
        ({"status": "MISSCHIEN"}, "status", "Kies OK of ERROR"),
        ({"trace": "xyz"}, "trace", "Een trace-id bestaat uit 32 tekens"),
        ({"soort": "zaak", "pseudoniem": "1234"}, "betrokkene", "pseudoniem van de betrokkene"),
    ],
)
def test_processing_filter_errors(pia, query, field: str, message: str) -> None:
    response = pia.get("/privacy/verwerkingen", query_string=query)
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "<title>Fout: Verwerkingen" in html
    assert f'href="#veld-{field}"' in html and message in html
    assert 'aria-invalid="true"' in html
    assert "<table" not in html  # no search without a valid selection


def test_a_bsn_becomes_a_pseudonym_and_stays_out_of_urls_and_logs(pia, db, settings) -> None:
    seed_processing(db, settings.secret_key)
    token = csrf(pia, "/privacy/verwerkingen")
    posted = pia.post(
        "/privacy/verwerkingen",
        data={"csrf_token": token, "soort": "bsn", "betrokkene": "9999.93.653", "status": ""},
    )
    assert posted.status_code == 303
    location = posted.headers["Location"]
    assert BSN not in location and "93.653" not in location
    args = parse_qs(urlsplit(location).query)
    expected = pseudonym(settings.secret_key, "bsn", BSN)
    assert args == {"soort": ["bsn"], "pseudoniem": [expected]}

    page = pia.get(location)
    html = page.get_data(as_text=True)
    assert found(html) == ["regel-3"]
    assert BSN not in html and "Gezocht op één betrokkene (BSN)" in html
    # The next search keeps the subject (as pseudonym) while the period changes.
    again = pia.post(
        "/privacy/verwerkingen",
        data={
            "csrf_token": token,
            "van": "2026-03-05",
            "soort": "zaak",
            "pseudoniem": expected,
            "pseudoniem_soort": "bsn",
        },
    )
    assert parse_qs(urlsplit(again.headers["Location"]).query) == {
        "van": ["2026-03-05"],
        "soort": ["bsn"],
        "pseudoniem": [expected],
    }

    # A wrong field in the next search keeps the subject for the corrected search.
    wrong = pia.post(
        "/privacy/verwerkingen",
        data={
            "csrf_token": token,
            "trace": "xyz",
            "pseudoniem": expected,
            "pseudoniem_soort": "bsn",
        },
    )
    assert wrong.status_code == 422
    kept = wrong.get_data(as_text=True)
    assert f'name="pseudoniem" value="{expected}"' in kept
    assert 'name="pseudoniem_soort" value="bsn"' in kept

    opening, search_line = officer_audits(db, "privacy.zoeken")  # the empty form, the search
    assert opening.details["filters"] == {}
    assert search_line.actor == "user:pia" and search_line.result == "gelukt"
    assert search_line.object_type == "verwerkingenlogboek"
    assert search_line.details["filters"] == {
        "betrokkene": {"soort": "bsn", "pseudoniemen": [expected]}
    }
    with db.session() as session:
        everything = json.dumps([r.details for r in session.scalars(select(AuditLog))])
    assert BSN not in everything and "93.653" not in everything
    assert "regel-3" not in everything  # filters, never results


def test_a_case_is_found_by_id_and_by_business_key(pia, db, settings, clock) -> None:
    from tests.support.engine import start

    deploy_paths(db, FIXTURES / "simple.bpmn")
    instance_id = start(db, "test_simple", "K-77")
    seed_processing(db, settings.secret_key, case_id=instance_id)
    token = csrf(pia, "/privacy/verwerkingen")
    for typed in (instance_id, "K-77"):
        posted = pia.post(
            "/privacy/verwerkingen",
            data={"csrf_token": token, "soort": "zaak", "betrokkene": typed, "naam": "casus"},
        )
        assert "K-77" not in posted.headers["Location"]
        html = pia.get(posted.headers["Location"]).get_data(as_text=True)
        assert found(html) == ["regel-2", "regel-1"], typed


def test_a_wrong_bsn_is_refused_without_searching(pia, db) -> None:
    response = pia.post(
        "/privacy/verwerkingen",
        data={
            "csrf_token": csrf(pia, "/privacy/verwerkingen"),
            "soort": "bsn",
            "betrokkene": "123456789",
        },
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 422 and "de elfproef klopt niet" in html
    # Only the opening of the empty form was a search.
    assert [a.details["filters"] for a in officer_audits(db, "privacy.zoeken")] == [{}]


def test_keyset_pagination_walks_the_whole_log_once(pia, db) -> None:
    start = at("2026-03-02T09:00:00+01:00")
    processing(
        db,
        *[
            {
                "trace_id": TRACE_A,
                "name": "inzien",
                "activity_id": "x",
                # pairs share a start time: the id decides the order within a pair
                "start_time": start + timedelta(minutes=n // 2),
                "attributes": {"doel": f"regel-{n:03d}"},
            }
            for n in range(120)
        ],
    )
    url, seen, pages = "/privacy/verwerkingen", [], []
    while url:
        html = pia.get(url).get_data(as_text=True)
        lines = found(html)
        pages.append((len(lines), 'rel="prev"' in html))
        seen += lines
        match = re.search(r'href="([^"]+)" rel="next"', html)
        url = match.group(1).replace("&amp;", "&") if match else None
    assert pages == [(50, False), (50, True), (20, True)]
    assert seen == [f"regel-{n:03d}" for n in reversed(range(120))]

    # Back from the last page gives the middle page again.
    last = pia.get(
        url or re.search(r'href="([^"]+)" rel="prev"', html).group(1).replace("&amp;", "&")
    )
    assert found(last.get_data(as_text=True)) == seen[50:100]
    assert pia.get("/privacy/verwerkingen?na=bm9wZQ").status_code == 400


def test_export_of_the_selection_as_csv_and_xlsx(pia, db, settings) -> None:
    seed_processing(db, settings.secret_key)
    response = pia.get("/privacy/verwerkingen/export.csv", query_string={"tot": "2026-02-28"})
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    assert response.headers["Cache-Control"] == "no-store"
    text = response.get_data().decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text), delimiter=";"))
    assert rows[0] == search.PROCESSING_COLUMNS
    assert [r[-1] for r in rows[1:]] == ["doel: regel-5", "doel: regel-4"]
    assert rows[2][3] == '\'=HYPERLINK("http://evil.example")'  # no formula
    assert rows[2][6] == pseudonym(settings.secret_key, "zaak", "zaak-b")
    assert rows[2][1] == "2026-02-20T12:00:00+01:00"

    xlsx = pia.get("/privacy/verwerkingen/export.xlsx", query_string={"status": "ERROR"})
    assert xlsx.mimetype == search_media("xlsx")
    sheet = load_workbook(io.BytesIO(xlsx.get_data()), read_only=True).active
    values = [list(r) for r in sheet.iter_rows(values_only=True)]
    assert values[0] == search.PROCESSING_COLUMNS and len(values) == 2
    assert values[1][3] == "casusgegevens vastleggen" and values[1][7] == "ERROR"

    exports = officer_audits(db, "privacy.exporteren")
    assert [(e.details["formaat"], e.details["aantal"], e.details["filters"]) for e in exports] == [
        ("csv", 2, {"tot": "2026-02-28"}),
        ("xlsx", 1, {"status": "ERROR"}),
    ]
    assert all(e.object_type == "verwerkingenlogboek" and e.actor == "user:pia" for e in exports)
    assert pia.get("/privacy/verwerkingen/export.pdf").status_code == 404


def search_media(fmt: str) -> str:
    from app.exports import MEDIA_TYPES

    return MEDIA_TYPES[fmt].split(";")[0]


def test_an_export_too_large_is_refused(pia, db, settings, monkeypatch) -> None:
    seed_processing(db, settings.secret_key)
    monkeypatch.setattr(search, "EXPORT_LIMIT", 3)
    response = pia.get("/privacy/verwerkingen/export.csv", query_string={"status": "OK"})
    assert response.status_code == 302
    assert response.headers["Location"] == "/privacy/verwerkingen?status=OK"
    html = pia.get(response.headers["Location"]).get_data(as_text=True)
    assert "meer dan 3 regels en is niet geëxporteerd" in html
    (refused,) = officer_audits(db, "privacy.exporteren")
    assert refused.result == "geweigerd" and refused.details["filters"] == {"status": "OK"}


# -- audit log ------------------------------------------------------------------------------


def seed_audit(db: Database) -> None:
    audits(
        db,
        {
            "at": at("2026-02-10T10:00:00+01:00"),
            "actor": "user:anna",
            "organisation": "weert-sdv",
            "action": "casus.lezen",
            "object_type": "procesinstantie",
            "object_id": "zaak-a",
            "details": {"velden": ["naam"], "merk": "audit-1"},
        },
        {
            "at": at("2026-02-11T10:00:00+01:00"),
            "actor": "user:anna",
            "organisation": "weert-sdv",
            "action": "casus.lezen",
            "object_type": "procesinstantie",
            "object_id": "zaak-b",
            "result": "geweigerd",
            "details": {"merk": "audit-2"},
        },
        {
            "at": at("2026-02-12T10:00:00+01:00"),
            "actor": "token:wonen-limburg",
            "organisation": "regio-privacy",
            "action": "signaal.aanleveren",
            "object_type": "signaal",
            "object_id": "17",
            "channel": "api",
            "details": {"merk": "audit-3"},
        },
        {
            "at": at("2026-02-13T10:00:00+01:00"),
            "actor": "cli",
            "action": "gebruiker.aanmaken",
            "object_type": "gebruiker",
            "object_id": "=cmd|' /C calc'!A0",
            "result": "fout",
            "channel": "cli",
            "origin": None,
            "details": {"merk": "audit-4"},
        },
    )


def marks(html: str) -> list[str]:
    return re.findall(r"audit-\d", html)


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({"tot": "2026-02-28"}, ["audit-4", "audit-3", "audit-2", "audit-1"]),
        ({"van": "2026-02-11", "tot": "2026-02-12"}, ["audit-3", "audit-2"]),
        ({"actor": "ANNA"}, ["audit-2", "audit-1"]),
        ({"actie": "casus", "resultaat": "geweigerd"}, ["audit-2"]),
        ({"objecttype": "procesinstantie", "objectid": "zaak-a"}, ["audit-1"]),
        ({"organisatie": "weert-sdv"}, ["audit-2", "audit-1"]),
        ({"resultaat": "fout"}, ["audit-4"]),
    ],
)
def test_audit_filters(pia, db, query: dict[str, str], expected: list[str]) -> None:
    seed_audit(db)
    response = pia.get("/privacy/audit", query_string=query)
    assert response.status_code == 200
    assert marks(response.get_data(as_text=True)) == expected


def test_audit_filter_errors(pia) -> None:
    response = pia.get("/privacy/audit", query_string={"organisatie": "nergens", "resultaat": "?"})
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "Kies een organisatie uit de lijst" in html and "Kies gelukt, geweigerd of fout" in html


def test_the_officers_own_searches_are_audited_and_findable(pia, db) -> None:
    seed_audit(db)
    pia.get("/privacy/audit", query_string={"actor": "anna", "resultaat": "geweigerd"})
    html = pia.get("/privacy/audit", query_string={"actie": "privacy."}).get_data(as_text=True)
    # The actor as a person reads it (the exports keep the stored form, user:pia).
    assert "privacy.zoeken" in html and ">pia<" in html and "user:pia" not in html
    lines = officer_audits(db, "privacy.zoeken")
    assert [line.details["filters"] for line in lines] == [
        {"actor": "anna", "resultaat": "geweigerd"},
        {"actie": "privacy."},
    ]
    assert all(line.organisation == "regio-privacy" for line in lines)
    assert "audit-2" not in json.dumps([line.details for line in lines])


def test_audit_export(pia, db) -> None:
    seed_audit(db)
    response = pia.get("/privacy/audit/export.csv", query_string={"tot": "2026-02-28"})
    rows = list(csv.reader(io.StringIO(response.get_data().decode("utf-8-sig")), delimiter=";"))
    assert rows[0] == search.AUDIT_COLUMNS
    assert [r[2] for r in rows[1:]] == ["cli", "token:wonen-limburg", "user:anna", "user:anna"]
    assert rows[1][6] == "'=cmd|' /C calc'!A0"
    xlsx = pia.get("/privacy/audit/export.xlsx", query_string={"actor": "anna"})
    sheet = load_workbook(io.BytesIO(xlsx.get_data()), read_only=True).active
    assert [r[2] for r in sheet.iter_rows(min_row=2, values_only=True)] == ["user:anna"] * 2
    exports = officer_audits(db, "privacy.exporteren")
    assert [(e.object_type, e.details["aantal"]) for e in exports] == [
        ("auditlog", 4),
        ("auditlog", 2),
    ]


# -- consents -------------------------------------------------------------------------------


@pytest.fixture
def case_with_consents(db: Database, settings: Any, clock: Any) -> str:
    from app import clock as clock_module
    from app.simulation.runner import Simulation

    deploy_paths(db, FIXTURES / "toestemming.bpmn")
    instance_id = Simulation(db, settings, clock, through_forms=False).start(
        "test_toestemming", "T-9", parties={"team": "team-a"}
    )
    with db.transaction() as session:
        evidence = Document(
            instance_id=instance_id,
            name="toestemmingsformulier.pdf",
            content_type="application/pdf",
            size=1234,
            sha256="0" * 64,
            category="toestemming",
            uploaded_by="user:sanne",
            uploaded_at=clock_module.now(),
        )
        session.add(evidence)
        session.flush()
        consent.record(
            session,
            instance_id,
            "gesprek",
            True,
            given_by="J. Jansen (bewoner)",
            channel="schriftelijk",
            recorded_by="user:sanne",
            evidence_document_id=evidence.id,
        )
    clock.advance(timedelta(days=3))
    with db.transaction() as session:
        consent.withdraw(
            session, instance_id, "gesprek", withdrawn_by="user:sanne", channel="mondeling"
        )
    clock.advance(timedelta(days=1))
    with db.transaction() as session:
        consent.record(
            session,
            instance_id,
            "gesprek",
            False,
            given_by="J. Jansen (bewoner)",
            channel="mondeling",
            recorded_by="user:karim",
            note="Wil geen gesprek meer.",
        )
    return instance_id


def test_the_consents_of_a_case(pia, db, settings, case_with_consents: str) -> None:
    instance_id = case_with_consents
    response = pia.get(f"/privacy/toestemmingen/{instance_id}")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert '<h1 class="utrecht-heading-1">Toestemmingen van zaak T-9</h1>' in html
    rows = re.findall(r"<tr class=\"utrecht-table__row\">(.*?)</tr>", html, re.S)[1:]
    text = [re.sub(r"<[^>]+>", " ", r).split() for r in rows]
    assert len(rows) == 2
    first, second = (" ".join(t) for t in text)
    assert "Toestemming voor het gesprek" in first and "gegeven, later ingetrokken" in first
    assert "J. Jansen (bewoner) kanaal: schriftelijk" in first
    assert "ma 2 mrt 2026 09:00 door sanne" in first
    assert re.search(r"bewijs: document \d+ \(toestemmingsformulier.pdf\)", first)
    assert "do 5 mrt 2026 09:00 door sanne kanaal: mondeling" in first
    assert "geweigerd" in second and "door karim" in second and "Wil geen gesprek meer." in second

    subject = pseudonym(settings.secret_key, "zaak", instance_id)
    assert f"pseudoniem={subject}" in html  # a link to the case's processing lines
    (seen,) = officer_audits(db, "privacy.inzien")
    assert (seen.object_type, seen.object_id, seen.actor) == (
        "procesinstantie",
        instance_id,
        "user:pia",
    )
    with db.session() as session:
        line = session.scalars(
            select(ProcessingLog).where(ProcessingLog.name == "toestemmingen inzien")
        ).one()
    assert (line.data_subject_id, line.activity_id, line.status) == (
        subject,
        "test-toestemming",
        "OK",
    )
    assert line.attributes["categorieen"] == ["toestemming"]


def test_consent_lookup_and_unknown_case(pia, db, case_with_consents: str) -> None:
    found_case = pia.get("/privacy/toestemmingen", query_string={"zaak": "T-9"})
    assert found_case.headers["Location"] == f"/privacy/toestemmingen/{case_with_consents}"
    missing = pia.get("/privacy/toestemmingen", query_string={"zaak": "T-404"})
    assert missing.status_code == 422
    assert "Er is geen zaak met dit zaak-id of kenmerk" in missing.get_data(as_text=True)
    assert pia.get("/privacy/toestemmingen/bestaat-niet").status_code == 404
    refused = officer_audits(db, "privacy.inzien")[-1]
    assert (refused.object_id, refused.result) == ("bestaat-niet", "geweigerd")
