"""Issue 16, item 6: a document is opened by its number in a document field, never by name.

A document used to be visible to whoever could read any text field whose value equalled its
file name: a corporation that reported a street called "gespreksverslag.pdf" could open the
social team's report of that name. Documents are now named only by number, in fields of the
catalogue's `document` type, and only a document of the same case."""

from __future__ import annotations

import json
import shutil

import pytest
from sqlalchemy import select

from app.auth.tokens import create_token
from app.cases import documents
from app.engine.deploy import deploy
from app.engine.models import HumanTask, ProcessInstance
from tests.auth.test_login import csrf, login
from tests.cases.support import document, secret_of, seed, signal, token
from tests.support.engine import FIXTURES

NAME = "gespreksverslag.pdf"


@pytest.fixture
def world(db, clock, app, tmp_path, monkeypatch):  # type: ignore[no-untyped-def]
    monkeypatch.setattr(documents, "STORE", tmp_path / "documenten")
    # The corporation reports a street with the name of a file the team will upload.
    return seed(db, secret_of(app), [{**signal(1), "straat": NAME}])


def test_a_field_value_equal_to_a_file_name_opens_nothing(app, db, world) -> None:
    with db.transaction() as session:
        row = documents.store(
            session, world.case, NAME, "application/pdf", b"%PDF-1 verslag", "verslag", "user:sanne"
        )
        document_id = row.id
    corporation = app.test_client()
    login(corporation, "marieke")
    page = corporation.get(f"/zaken/{world.case}").get_data(as_text=True)
    assert NAME in page  # as the street she reported, nowhere else
    assert f"/zaken/{world.case}/documenten/{document_id}" not in page
    assert "1 documenten zijn voor uw organisatie afgeschermd" in page
    download = corporation.get(f"/zaken/{world.case}/documenten/{document_id}")
    assert download.status_code == 404
    # The team that uploaded it opens it.
    team = app.test_client()
    login(team, "sanne")
    assert team.get(f"/zaken/{world.case}/documenten/{document_id}").status_code == 200


VERSLAG = (
    "  verslag: {omschrijving: Gespreksverslag (documentnummer), categorie: proces, type: tekst, "
    "formaat: document, doel: verslag, grondslag: publieke_taak, bewaartermijn: P6M, "
    'voorbeeld: "42", lezen: {corporatie: "*", wijkteam: "*"}, schrijven: {wijkteam: "*"}}\n'
)


@pytest.fixture
def variant(db, world, tmp_path) -> None:  # type: ignore[no-untyped-def]
    """A new version of the inbox process whose assessment names a report by number: a
    field of the catalogue's `document` type that the corporation may read."""
    folder = tmp_path / "variant"
    folder.mkdir()
    shutil.copy(FIXTURES / "inbox.bpmn", folder / "inbox.bpmn")
    shutil.copy(FIXTURES / "test-terugkoppelen.form", folder / "test-terugkoppelen.form")
    catalogue = (FIXTURES / "inbox.catalogus.yaml").read_text()
    (folder / "inbox.catalogus.yaml").write_text(catalogue + VERSLAG)
    form = json.loads((FIXTURES / "test-beoordelen.form").read_text())
    form["components"].append(
        {"id": "Field_verslag", "key": "verslag", "label": "Verslag", "type": "textfield"}
    )
    (folder / "test-beoordelen.form").write_text(json.dumps(form))
    with db.transaction() as session:
        deploy(session, [folder / "inbox.bpmn"], folder, actor="test")


@pytest.fixture
def report_task(app, db, variant):  # type: ignore[no-untyped-def]
    """A case on the variant, reported over the API: its open task."""
    partner = {"Authorization": f"Bearer {token(db, 'wonen-limburg', ['signals:write'])}"}
    answer = app.test_client().post(
        "/api/v1/signals", headers=partner, json={"signalen": [signal(7)]}
    )
    assert answer.get_json()["opgeslagen"] == 1, answer.get_json()
    with db.session() as session:
        task = session.scalars(
            select(HumanTask)
            .join(ProcessInstance, ProcessInstance.id == HumanTask.instance_id)
            .where(ProcessInstance.data["referentie"].as_string() == "WL-000007")
        ).one()
        session.expunge(task)
    return task


def _complete(app, username: str, task_id: str, data: dict):  # type: ignore[no-untyped-def]
    client = app.test_client()
    login(client, username)
    return client.post(
        f"/taken/{task_id}",
        data={"csrf_token": csrf(client, f"/taken/{task_id}"), "data": json.dumps(data)},
    )


def test_a_document_field_names_only_a_document_the_writer_may_open(app, db, report_task) -> None:
    task = report_task
    theirs = document(db, task.instance_id, "user:marieke", "aanmaning.pdf")
    answer = _complete(
        app,
        "sanne",
        task.id,
        {"toelichting": "gebeld met de bewoner", "aantal_bewoners": 2, "verslag": str(theirs)},
    )
    # Refused like a number that does not exist; the task stays open, the file closed.
    open("/tmp/sec-api-page.html", "w").write(answer.get_data(as_text=True))
    assert answer.status_code == 422, answer.get_data(as_text=True)
    assert "deze zaak heeft geen document met dit nummer" in answer.get_data(as_text=True)
    with db.session() as session:
        assert session.get(HumanTask, task.id).status == "open"
        assert "verslag" not in (session.get(ProcessInstance, task.instance_id).data or {})
    team = app.test_client()
    login(team, "sanne")
    assert team.get(f"/zaken/{task.instance_id}/documenten/{theirs}").status_code == 404

    # Her own report she names; then the corporation, which reads the field, opens it.
    with db.transaction() as session:
        mine = documents.store(
            session, task.instance_id, NAME, "application/pdf", b"%PDF-1 v", "verslag", "user:sanne"
        ).id
    answer = _complete(
        app,
        "sanne",
        task.id,
        {"toelichting": "gebeld met de bewoner", "aantal_bewoners": 2, "verslag": str(mine)},
    )
    assert answer.status_code == 302, answer.get_data(as_text=True)[-2000:]
    corporation = app.test_client()
    login(corporation, "marieke")
    assert corporation.get(f"/zaken/{task.instance_id}/documenten/{mine}").status_code == 200


def test_a_case_being_started_names_no_document(client, db, world, variant) -> None:
    """A new case has no documents yet: a number in its start data could only name
    another case's file (here the team's report in the seeded case)."""
    report = document(db, world.case, "user:sanne", NAME)
    with db.transaction() as session:
        _row, secret = create_token(session, "beheer", ["instances:write"])
    answer = client.post(
        "/api/v1/processes/test_inbox/instances",
        headers={"Authorization": f"Bearer {secret}"},
        json={"municipality": "weert", "data": {"naam": "X", "verslag": str(report)}},
    )
    assert answer.status_code == 422, answer.get_json()
    assert answer.get_json()["errors"] == {
        "verslag": ["deze zaak heeft geen document met dit nummer"]
    }
    with db.session() as session:
        assert len(session.scalars(select(ProcessInstance.id)).all()) == 1
