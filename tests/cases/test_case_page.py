"""The case page shows each organisation only what the catalogue lets its party see:
fields, the names of the people working on tasks, documents and the timeline; documents
are downloaded with a processing-log line and a safe file name."""

from __future__ import annotations

from email.message import Message
from urllib.parse import unquote

import pytest
from sqlalchemy import select

from app.cases import documents
from app.engine import service as engine
from app.privacy.models import ProcessingLog
from tests.auth.test_login import login
from tests.cases.support import audits, document, log_counts, secret_of, seed

PDF = b"%PDF-1.4 test"


@pytest.fixture
def world(db, clock, app):  # type: ignore[no-untyped-def]
    world = seed(db, secret_of(app))
    with db.transaction() as session:
        engine.claim_task(session, world.task.id, "sanne", "user:sanne")
    return world


@pytest.fixture
def store(tmp_path, monkeypatch):  # type: ignore[no-untyped-def]
    monkeypatch.setattr(documents, "STORE", tmp_path / "documenten")
    return tmp_path / "documenten"


def _page(client, username: str, instance_id: str) -> str:  # type: ignore[no-untyped-def]
    login(client, username)
    answer = client.get(f"/zaken/{instance_id}")
    assert answer.status_code == 200, answer.status_code
    return answer.get_data(as_text=True)


def test_each_organisation_sees_its_own_fields_and_only_its_own_people(app, world, db) -> None:
    team = _page(app.test_client(), "sanne", world.case)
    corporation = _page(app.test_client(), "marieke", world.case)

    # Fields: the social team reads "eerder gemeld"; the corporation may not.
    assert "Eerder gemeld in het halfjaar ervoor" in team
    assert "Eerder gemeld in het halfjaar ervoor" not in corporation
    assert "Familie Jansen-1" in team and "Familie Jansen-1" in corporation

    # Tasks: both see the task, only the team sees who works on it.
    assert "Melding beoordelen" in team and "Melding beoordelen" in corporation
    assert ">sanne<" in team
    assert "sanne" not in corporation.lower()
    assert "andere organisatie" in corporation

    # The timeline names what happened, never the diagram's element ids.
    client = app.test_client()
    login(client, "sanne")
    task_page = client.get(f"/taken/{world.task.id}").get_data(as_text=True)
    for page in (team, corporation, task_page):
        assert "(beoordelen)" not in page and "(gemeld)" not in page
        assert "taak geclaimd: Melding beoordelen" in page
    assert "taak geclaimd: Melding beoordelen, sanne" in team
    assert "taak geclaimd: Melding beoordelen</li>" in corporation


def test_documents_follow_the_uploaders_organisation(app, world, db, store) -> None:
    mine = document(db, world.case, "user:sanne", "gespreksverslag.pdf")
    theirs = document(db, world.case, "user:marieke", "aanmaning.pdf")
    team = _page(app.test_client(), "sanne", world.case)
    corporation = _page(app.test_client(), "marieke", world.case)
    assert "gespreksverslag.pdf" in team and "aanmaning.pdf" not in team
    assert "aanmaning.pdf" in corporation and "gespreksverslag.pdf" not in corporation
    assert "1 documenten zijn voor uw organisatie afgeschermd" in team
    assert "1 documenten zijn voor uw organisatie afgeschermd" in corporation

    client = app.test_client()
    login(client, "marieke")
    before = log_counts(db)
    assert client.get(f"/zaken/{world.case}/documenten/{mine}").status_code == 404
    assert log_counts(db) == (before[0], before[1] + 1)
    refused = audits(db, "document.lezen")[-1]
    assert (refused.result, refused.object_id) == ("geweigerd", str(mine))
    assert theirs  # marieke's own document is hers to download (see the next test)


def test_download_writes_a_processing_line_and_a_safe_file_name(app, world, db, store) -> None:
    client = app.test_client()
    login(client, "sanne")
    with db.transaction() as session:
        row = documents.store(
            session,
            world.case,
            'verslag "mei"\r\nX-Evil: 1 é.pdf',
            "application/pdf",
            PDF,
            "brief",
            "user:sanne",
            folder=store,
        )
        document_id = row.id
    before = log_counts(db)
    answer = client.get(f"/zaken/{world.case}/documenten/{document_id}")
    assert answer.status_code == 200 and answer.data == PDF
    assert "X-Evil" not in answer.headers
    assert answer.headers["Cache-Control"] == "no-store"
    disposition = answer.headers["Content-Disposition"]
    assert "\r" not in disposition and "\n" not in disposition
    message = Message()
    message["Content-Disposition"] = disposition
    assert message.get_content_disposition() == "attachment"
    assert message.get_param("filename", header="Content-Disposition") == (
        'verslag "mei"__X-Evil: 1 e.pdf'  # an ASCII fallback, quotes escaped
    )
    # RFC 5987: the full name, percent-encoded, for clients that read filename*.
    encoded = disposition.split("filename*=UTF-8''", 1)[1].split(";")[0]
    assert unquote(encoded) == 'verslag "mei"__X-Evil: 1 é.pdf'

    assert log_counts(db) == (before[0] + 1, before[1] + 1)
    with db.session() as session:
        line = session.scalars(select(ProcessingLog).order_by(ProcessingLog.id.desc())).first()
    assert line.name == "document inzien" and line.data_subject_type == "zaak"
    assert line.activity_id == "test-vroegsignalering"
    assert "user" not in str(line.attributes) and "sanne" not in str(line.attributes)
    read = audits(db, "document.lezen")[-1]
    assert (read.result, read.actor, read.object_id) == ("gelukt", "user:sanne", str(document_id))


def test_another_organisation_gets_404_for_the_case_and_its_documents(
    app, world, db, store
) -> None:
    mine = document(db, world.case, "user:sanne")
    client = app.test_client()
    login(client, "henk")
    assert client.get(f"/zaken/{world.case}").status_code == 404
    assert client.get(f"/zaken/{world.case}/documenten/{mine}").status_code == 404
