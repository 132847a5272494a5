"""Issue 16, item 3 (the message door): a partner's message reaches only a case it plays a
part in, and records only what its party may write there in the case's phase.

Messages start no case (only waiting instances receive them), but their data went into the
case unchecked: a reporting partner could overwrite the team's assessment by sending it
along with "betalingsregeling"."""

from __future__ import annotations

import pytest

from app.engine.jobs import run_due_jobs
from app.engine.models import ProcessInstance
from tests.cases.support import token
from tests.support.engine import SIMPLE, deploy_paths
from tests.support.orgs import organisation


@pytest.fixture
def waiting(db, clock, settings, client, auth):  # type: ignore[no-untyped-def]
    """A test_simple case reported by Ymere and assessed by the team, waiting for the
    message `betalingsregeling` under key Z-1; and one more (Z-2) Ymere plays no part in."""
    deploy_paths(db, SIMPLE)
    organisation(db, "ymere", "woningcorporatie")
    organisation(db, "team", "wijkteam")
    organisation(db, "eigen-haard", "woningcorporatie")
    ids = {}
    for key, reporter in (("Z-1", "ymere"), ("Z-2", "eigen-haard")):
        created = client.post(
            "/api/v1/processes/test_simple/instances",
            headers=auth,
            json={
                "business_key": key,
                "data": {"bedrag": 5},
                "parties": {"melder": reporter, "beoordelaar": "team"},
            },
        )
        assert created.status_code == 201, created.get_json()
        ids[key] = created.get_json()["id"]
    run_due_jobs(db, settings, "w")
    for task in client.get("/api/v1/tasks", headers=auth).get_json()["items"]:
        done = client.post(
            f"/api/v1/tasks/{task['id']}/complete", headers=auth, json={"data": {"akkoord": True}}
        )
        assert done.status_code == 200, done.get_json()
    return ids


def _instance(db, instance_id: str) -> ProcessInstance:  # type: ignore[no-untyped-def]
    with db.session() as session:
        row = session.get(ProcessInstance, instance_id)
        session.expunge(row)
        return row


def test_a_partners_message_writes_only_what_its_party_may(client, db, waiting) -> None:
    ymere = {"Authorization": f"Bearer {token(db, 'ymere', ['messages:write'])}"}
    for data in ({"akkoord": False}, {"bedrag": 1}, {"onbekend": 1}):
        answer = client.post(
            "/api/v1/messages",
            headers=ymere,
            json={"name": "betalingsregeling", "correlation_key": "Z-1", "data": data},
        )
        assert answer.status_code == 422, (data, answer.get_json())
        assert set(answer.get_json()["errors"]) == set(data)
        row = _instance(db, waiting["Z-1"])
        assert (row.status, row.data["akkoord"], row.data["bedrag"]) == ("waiting", True, 5)
    # Another partner's case does not hear from Ymere at all.
    other = client.post(
        "/api/v1/messages",
        headers=ymere,
        json={"name": "betalingsregeling", "correlation_key": "Z-2"},
    )
    assert other.status_code == 404
    assert _instance(db, waiting["Z-2"]).status == "waiting"
    # The message itself, without data, is Ymere's to send.
    sent = client.post(
        "/api/v1/messages",
        headers=ymere,
        json={"name": "betalingsregeling", "correlation_key": "Z-1"},
    )
    assert sent.status_code == 200, sent.get_json()
    assert _instance(db, waiting["Z-1"]).status == "completed"


def test_a_message_with_data_writes_a_processing_log_line(client, db, auth, waiting) -> None:
    """Data a message brings into a case is a processing of personal data like a task's form:
    one line in the processing log (which fields' categories, which case) and one audit line;
    a message without data writes nothing of the kind."""
    from sqlalchemy import func, select

    from app.privacy.models import AuditLog, ProcessingLog

    def counts() -> tuple[int, int]:
        with db.session() as session:
            return tuple(  # type: ignore[return-value]
                session.scalar(select(func.count()).select_from(model))
                for model in (ProcessingLog, AuditLog)
            )

    before = counts()
    sent = client.post(
        "/api/v1/messages",
        headers=auth,
        json={"name": "betalingsregeling", "correlation_key": "Z-2", "data": {"bedrag": 9}},
    )
    assert sent.status_code == 200, sent.get_json()
    assert _instance(db, waiting["Z-2"]).data["bedrag"] == 9
    with db.session() as session:
        line = session.scalars(select(ProcessingLog).order_by(ProcessingLog.id.desc())).first()
        audit = session.scalars(select(AuditLog).order_by(AuditLog.id.desc())).first()
        assert (line.name, line.data_subject_type) == ("casusgegevens vastleggen", "zaak")
        assert line.attributes["doel"] == "bericht betalingsregeling"
        assert (audit.action, audit.object_id, audit.details["velden"]) == (
            "bericht.afleveren",
            waiting["Z-2"],
            ["bedrag"],
        )
    assert counts() == (before[0] + 1, before[1] + 1)
    sent = client.post(
        "/api/v1/messages",
        headers=auth,
        json={"name": "betalingsregeling", "correlation_key": "Z-1"},
    )
    assert sent.status_code == 200 and counts() == (before[0] + 1, before[1] + 1)
