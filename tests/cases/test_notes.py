"""Notes on a case (issue 21): written by a worker of an organisation that plays a part in
the case, read only by that organisation's people, checked like every other input, audited,
and erased with the case's other records."""

from __future__ import annotations

from sqlalchemy import func, select

from app.cases.models import CaseNote
from app.privacy.erasure import erase_case_records
from tests.auth.test_login import csrf, login
from tests.cases.support import audits, secret_of, seed


def _add(client, instance_id: str, text: str):  # type: ignore[no-untyped-def]
    token = csrf(client, f"/zaken/{instance_id}")
    return client.post(
        f"/zaken/{instance_id}/notities",
        data={"csrf_token": token, "notitie": text},
        follow_redirects=True,
    )


def test_a_note_is_read_by_the_writers_organisation_only(db, clock, app) -> None:  # type: ignore[no-untyped-def]
    world = seed(db, secret_of(app))
    case = world.case
    sanne = app.test_client()
    login(sanne, "sanne")
    page = _add(sanne, case, "Huurder belt terug na\nhet weekend").get_data(as_text=True)
    assert "Notitie toegevoegd." in page and "Huurder belt terug na" in page
    (audit,) = audits(db, "notitie.toevoegen")
    assert audit.object_id == case

    samir = app.test_client()  # a colleague of the same team
    login(samir, "samir")
    assert "Huurder belt terug na" in samir.get(f"/zaken/{case}").get_data(as_text=True)

    marieke = app.test_client()  # the corporation plays a part in the case, but did not write it
    login(marieke, "marieke")
    corporation = marieke.get(f"/zaken/{case}").get_data(as_text=True)
    assert "Notities" in corporation and "Huurder belt terug na" not in corporation

    henk = app.test_client()  # another organisation without a part: no case, no note
    login(henk, "henk")
    assert _add(henk, case, "Mag niet").status_code == 404


def test_the_catalogue_may_share_notes_with_a_party(db, clock, app, tmp_path) -> None:  # type: ignore[no-untyped-def]
    """`notities: {lezen: {wijkteam: [behandeling]}}`: the team reads the corporation's notes
    while the case is in treatment; the corporation still reads only its own."""
    from tests.support.engine import FIXTURES, write_variant

    catalogue = (FIXTURES / "inbox.catalogus.yaml").read_text() + (
        "notities: {lezen: {wijkteam: [behandeling]}}\n"
    )
    diagram = write_variant(
        tmp_path, "inbox.bpmn", (FIXTURES / "inbox.bpmn").read_text(), catalogue
    )
    world = seed(db, secret_of(app), diagram=diagram)
    marieke = app.test_client()
    login(marieke, "marieke")
    assert "Notitie toegevoegd." in _add(marieke, world.case, "Huurder belde ons").get_data(
        as_text=True
    )
    sanne = app.test_client()
    login(sanne, "sanne")
    _add(sanne, world.case, "Afspraak op dinsdag")
    assert "Huurder belde ons" in sanne.get(f"/zaken/{world.case}").get_data(as_text=True)
    corporation = marieke.get(f"/zaken/{world.case}").get_data(as_text=True)
    assert "Huurder belde ons" in corporation and "Afspraak op dinsdag" not in corporation


def test_a_note_is_checked(db, clock, app) -> None:  # type: ignore[no-untyped-def]
    world = seed(db, secret_of(app))
    client = app.test_client()
    login(client, "sanne")
    assert "minstens 3 tekens" in _add(client, world.case, "  ").get_data(as_text=True)
    assert "hoogstens 2000 tekens" in _add(client, world.case, "x" * 2001).get_data(as_text=True)
    # Control characters are refused before any page sees them (app/text_rules.py).
    assert _add(client, world.case, "a\x07b\x07c").status_code == 422
    with db.session() as session:
        assert session.scalar(select(func.count()).select_from(CaseNote)) == 0


def test_notes_are_erased_with_the_case(db, clock, app) -> None:  # type: ignore[no-untyped-def]
    world = seed(db, secret_of(app))
    client = app.test_client()
    login(client, "sanne")
    _add(client, world.case, "Eerste notitie")
    _add(client, world.case, "Tweede notitie")
    with db.transaction() as session:
        erased = erase_case_records(session, world.case, set())
    assert erased.counts["notities"] == 2
    with db.session() as session:
        assert session.scalar(select(func.count()).select_from(CaseNote)) == 0
