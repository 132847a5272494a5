"""The privacy officer's registers (issue 22): data breaches with the items of Haarlem's
reglement art. 9.3 a-j and their 24- and 72-hour deadlines, partners' own breach notices (Weert
art. 13.3), and data subjects' requests with their month, the extension (AVG art. 12.3) and
forwarding within 5 working days (Haarlem reglement art. 10.3). Each step is audited without
the register's content."""

from __future__ import annotations

import csv
import io
from datetime import date, datetime
from typing import Any

import pytest
from sqlalchemy import select

from app import clock
from app.auth.crypto import pseudonym
from app.auth.principal import Principal
from app.engine.errors import Conflict, InvalidInput
from app.privacy import registers
from app.privacy.models import AuditLog, DataBreach, SubjectRequest
from tests.privacy.test_views import BSN, csrf, log_in, officer_app, people

OFFICER = Principal("user", 1, "pia", roles=frozenset({"privacyfunctionaris"}))
BREACH = {
    "nature": "Een lijst met namen en adressen is per e-mail naar de verkeerde partner gestuurd.",
    "occurred_at": "2026-03-02T08:15",
    "discovered_at": "2026-03-02T08:45",
    "subject_categories": "Huurders met een betalingsachterstand",
    "data_kinds": "Naam, adres, achterstand",
    "protection": "Niet versleuteld",
    "contact": "Privacyfunctionaris, privacy@gemeente.example",
    "consequences": "Gegevens bij een partner die ze niet mocht ontvangen",
    "measures": "Ontvanger heeft de e-mail verwijderd en dat bevestigd",
}


def local(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=clock.AMSTERDAM)


# -- the rules ------------------------------------------------------------------------------


def test_a_breach_has_a_day_for_the_partners_and_three_for_the_authority(db, clock) -> None:
    with db.transaction() as session:
        breach = registers.record_breach(session, OFFICER, BREACH)
        assert breach.reference == "DL-2026-0001"
        dues = registers.breach_dues(breach)
    assert [(d.what, d.due) for d in dues] == [
        ("Partners inlichten (binnen 24 uur)", local("2026-03-03T08:45")),
        ("Besluiten over melding aan de AP (binnen 72 uur)", local("2026-03-05T08:45")),
    ]


def test_each_item_of_art_9_3_is_required_and_moments_make_sense(db, clock) -> None:
    with db.transaction() as session:
        with pytest.raises(InvalidInput) as empty:
            registers.record_breach(session, OFFICER, {})
        assert set(empty.value.fields) == {
            name for name, _label, required in registers.BREACH_FIELDS if required
        }
        with pytest.raises(InvalidInput) as order:
            registers.record_breach(session, OFFICER, {**BREACH, "occurred_at": "2026-03-02T09:00"})
        assert "na de ontdekking" in order.value.fields["occurred_at"][0]
        for bad in ("2026-03-09T09:00", "gisteren", "1999-01-01T00:00"):
            with pytest.raises(InvalidInput) as moment:
                registers.record_breach(session, OFFICER, {**BREACH, "discovered_at": bad})
            assert list(moment.value.fields) == ["discovered_at"], bad
        unknown = registers.record_breach(session, OFFICER, {**BREACH, "occurred_at": ""})
        assert unknown.occurred_at is None  # b. may be unknown; c. may not


def test_a_partners_own_breach_has_no_deadline_to_inform_the_partners(db, clock) -> None:
    with db.transaction() as session:
        breach = registers.record_breach(
            session, OFFICER, {**BREACH, "reported_by_partner": "Wonen Limburg"}
        )
        assert [d.what for d in registers.breach_dues(breach)] == [
            "Besluiten over melding aan de AP (binnen 72 uur)"
        ]


def test_a_breach_closes_only_when_both_steps_are_done(db, clock) -> None:
    with db.transaction() as session:
        breach = registers.record_breach(session, OFFICER, BREACH)
        with pytest.raises(Conflict):
            registers.close_breach(breach)
        with pytest.raises(InvalidInput) as early:
            registers.notify_partners(
                session,
                breach,
                {"partners_notified": "Ymere", "partners_notified_at": "2026-03-01T10:00"},
            )
        assert "vóór de ontdekking" in early.value.fields["partners_notified_at"][0]
        registers.notify_partners(
            session,
            breach,
            {"partners_notified": "Ymere, Elan Wonen", "partners_notified_at": "2026-03-02T09:00"},
        )
        with pytest.raises(InvalidInput) as reported:
            registers.decide_authority(
                session, breach, {"authority_decision": "gemeld", "authority_reason": "risico"}
            )
        assert "authority_notified_at" in reported.value.fields  # reported: when?
        registers.decide_authority(
            session,
            breach,
            {"authority_decision": "niet_melden", "authority_reason": "geen risico: verwijderd"},
        )
        registers.close_breach(breach)
        assert registers.breach_dues(breach) == []


@pytest.mark.parametrize(
    ("received", "due"),
    [
        ("2026-03-02", "2026-04-02"),  # a Thursday
        ("2026-01-31", "2026-03-02"),  # 28 Feb 2026 is a Saturday: the next working day
        ("2026-03-27", "2026-04-27"),  # 27 April (King's Day) is no working day: 28 April
        ("2026-11-30", "2026-12-30"),
    ],
)
def test_a_request_is_answered_within_a_month(db, clock, received, due) -> None:
    expected = {"2026-04-27": "2026-04-28"}.get(due, due)
    clock.set(local("2026-12-01T10:00"))
    with db.transaction() as session:
        row = registers.register_request(
            session,
            OFFICER,
            "geheim",
            {"kind": "inzage", "bsn": BSN, "description": "wil zien", "received_on": received},
        )
    assert clock_date(row.due_on) == date.fromisoformat(expected)


def clock_date(moment: datetime) -> date:
    return clock.local(moment).date()


def test_extension_forwarding_and_answer(db, clock) -> None:
    clock.set(local("2026-04-28T10:00"))
    with db.transaction() as session:
        row = registers.register_request(
            session,
            OFFICER,
            "geheim",
            {
                "kind": "verwijdering",
                "bsn": BSN,
                "description": "verwijder mijn gegevens bij de corporatie",
                "received_on": "2026-04-24",  # Friday; Monday 27 April is King's Day
                "forward_to": "Ymere",
            },
        )
        assert row.subject_pseudonym == pseudonym("geheim", "bsn", BSN)
        assert clock_date(row.forward_due_on) == date(2026, 5, 4)
        assert [d.what for d in registers.request_dues(row)][
            0
        ] == "Doorsturen naar Ymere (5 werkdagen)"
        with pytest.raises(Conflict):
            registers.answer_request(row, {"outcome": "gedaan"})  # forward first
        registers.forward_request(row)
        with pytest.raises(InvalidInput):
            registers.extend_request(row, {"extended_reason": ""})
        registers.extend_request(row, {"extended_reason": "complex: drie partners"})
        assert clock_date(row.due_on) == date(2026, 7, 24)
        with pytest.raises(Conflict):
            registers.extend_request(row, {"extended_reason": "nog eens"})
        registers.answer_request(row, {"outcome": "Ymere heeft de gegevens gewist"})
        assert registers.request_dues(row) == []


@pytest.mark.parametrize(
    ("values", "field"),
    [
        ({"kind": "zomaar"}, "kind"),
        ({"bsn": "123456789"}, "bsn"),
        ({"bsn": ""}, "bsn"),
        ({"received_on": "2027-01-01"}, "received_on"),
        ({"received_on": "31-12-2026"}, "received_on"),
        ({"description": "x" * 5001}, "description"),
    ],
)
def test_a_request_is_refused_with_the_field_named(db, clock, values, field) -> None:
    good = {"kind": "inzage", "bsn": BSN, "description": "wil zien", "received_on": "2026-03-02"}
    with db.transaction() as session:
        with pytest.raises(InvalidInput) as refused:
            registers.register_request(session, OFFICER, "geheim", {**good, **values})
        assert list(refused.value.fields) == [field]


# -- the pages ------------------------------------------------------------------------------


@pytest.fixture
def officer(db, clock, settings) -> Any:
    people(db)
    app = officer_app(db, settings)
    client = app.test_client()
    log_in(client, "pia")
    return client


def _post(client, path: str, data: dict[str, str]):  # type: ignore[no-untyped-def]
    return client.post(path, data={**data, "csrf_token": csrf(client, path.rsplit("/", 1)[0])})


def test_only_the_privacy_officer_opens_the_registers(db, clock, settings) -> None:
    people(db)
    app = officer_app(db, settings)
    for name in ("bert", "bea"):
        client = app.test_client()
        log_in(client, name)
        for path in ("/privacy/taken", "/privacy/datalekken", "/privacy/verzoeken"):
            assert client.get(path).status_code == 403, (name, path)


def test_the_register_from_the_pages_audited_without_its_content(officer, db) -> None:
    page = officer.post(
        "/privacy/datalekken",
        data={**BREACH, "nature": "", "csrf_token": csrf(officer, "/privacy/datalekken")},
    )
    assert page.status_code == 422
    assert "Vul dit veld in." in page.get_data(as_text=True)
    made = officer.post(
        "/privacy/datalekken", data={**BREACH, "csrf_token": csrf(officer, "/privacy/datalekken")}
    )
    assert made.status_code == 302
    with db.session() as session:
        breach = session.scalars(select(DataBreach)).one()
    work = officer.get("/privacy/taken").get_data(as_text=True)
    assert "DL-2026-0001" in work and "Partners inlichten (binnen 24 uur)" in work
    detail = f"/privacy/datalekken/{breach.id}"
    assert (
        officer.post(
            f"{detail}/partners",
            data={
                "partners_notified": "Ymere",
                "partners_notified_at": "2026-03-02T08:50",
                "csrf_token": csrf(officer, detail),
            },
        ).status_code
        == 302
    )
    assert "Partners inlichten" not in officer.get("/privacy/taken").get_data(as_text=True)
    assert (
        officer.post(f"{detail}/onbekend", data={"csrf_token": csrf(officer, detail)}).status_code
        == 404
    )
    export = officer.get("/privacy/datalekken/export.csv")
    rows = list(
        csv.reader(io.StringIO(export.get_data(as_text=True).lstrip("\ufeff")), delimiter=";")
    )
    assert rows[0][3].startswith("a. Aard") and rows[0][11].startswith("i. Getroffen")
    assert rows[1][0] == "DL-2026-0001" and rows[1][12] == "02-03-2026 08:50"
    with db.session() as session:
        lines = session.scalars(
            select(AuditLog)
            .where(AuditLog.object_type.in_(("datalek", "datalekregister")))
            .order_by(AuditLog.id)
        ).all()
    assert [line.action for line in lines] == [
        "privacy.datalek_registreren",
        "privacy.datalek_partners_ingelicht",
        "privacy.exporteren",
    ]
    assert all("verkeerde partner" not in str(line.details) for line in lines)


def test_a_request_from_the_pages_links_to_the_subjects_processing(officer, db) -> None:
    made = officer.post(
        "/privacy/verzoeken",
        data={
            "kind": "inzage",
            "bsn": BSN,
            "description": "Wil weten welke gegevens er zijn",
            "received_on": "2026-03-02",
            "csrf_token": csrf(officer, "/privacy/verzoeken"),
        },
    )
    assert made.status_code == 302
    page = officer.get(made.headers["Location"]).get_data(as_text=True)
    assert BSN not in page  # kept as a pseudonym only
    with db.session() as session:
        row = session.scalars(select(SubjectRequest)).one()
    assert f"pseudoniem={row.subject_pseudonym}" in page
    answered = officer.post(
        f"/privacy/verzoeken/{row.id}/beantwoorden",
        data={
            "outcome": "Overzicht gestuurd",
            "csrf_token": csrf(officer, f"/privacy/verzoeken/{row.id}"),
        },
    )
    assert answered.status_code == 302
    assert "Er staat niets open." in officer.get("/privacy/taken").get_data(as_text=True)
