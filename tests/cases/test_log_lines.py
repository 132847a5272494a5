"""Every read of case data writes its lines, and exactly those: one processing-log line
(what, why, about which case — no user) and one audit line (who) per case shown. A refusal
(another organisation's object, answered 404) writes an audit line and no processing line."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from app.privacy.models import AuditLog, ProcessingLog
from tests.auth.test_login import login
from tests.cases.support import log_counts, secret_of, seed, token


@pytest.fixture
def world(db, clock, app):  # type: ignore[no-untyped-def]
    return seed(db, secret_of(app))


def _lines_since(db, before: tuple[int, int]) -> tuple[list[ProcessingLog], list[AuditLog]]:  # type: ignore[no-untyped-def]
    with db.session() as session:
        processing = session.scalars(select(ProcessingLog).order_by(ProcessingLog.id)).all()
        audit = session.scalars(select(AuditLog).order_by(AuditLog.id)).all()
        session.expunge_all()
    return list(processing[before[0] :]), list(audit[before[1] :])


def _step(db, action) -> tuple[list[ProcessingLog], list[AuditLog]]:  # type: ignore[no-untyped-def]
    before = log_counts(db)
    action()
    return _lines_since(db, before)


def test_a_sequence_of_reads_writes_exactly_its_lines(app, db, world) -> None:
    client = app.test_client()
    login(client, "sanne")
    task, case = world.task.id, world.case

    # The task page shows the case in its side panel.
    processing, audit = _step(db, lambda: client.get(f"/taken/{task}"))
    assert [p.name for p in processing] == ["casusgegevens inzien"]
    assert [(a.action, a.object_id, a.result) for a in audit] == [("casus.lezen", case, "gelukt")]
    assert processing[0].attributes["doel"] == "taak Melding beoordelen"
    assert "sanne" not in str(processing[0].attributes)
    assert processing[0].data_subject_id and processing[0].data_subject_id != case

    # The case page.
    processing, audit = _step(db, lambda: client.get(f"/zaken/{case}"))
    assert [(p.name, p.attributes["doel"]) for p in processing] == [
        ("casusgegevens inzien", "zaak bekijken")
    ]
    assert [(a.action, a.actor) for a in audit] == [("casus.lezen", "user:sanne")]

    # The inbox, showing the household's name of each of the three cases.
    processing, audit = _step(db, lambda: client.get("/taken?tab=groep"))
    assert len(processing) == 3 and {p.attributes["doel"] for p in processing} == {"takenlijst"}
    assert sorted(a.object_id for a in audit) == sorted(t.instance_id for t in world.tasks)
    assert {a.details["velden"] == ["naam"] for a in audit} == {True}

    # A page of the inbox without names (a filter that finds nothing) reads nothing.
    assert _step(db, lambda: client.get("/taken?tab=groep&q=niets")) == ([], [])

    # The API.
    secret = token(db, "weert-swt", ["cases:read"])
    answer = None

    def api() -> None:
        nonlocal answer
        answer = client.get(
            f"/api/v1/instances/{case}/data", headers={"Authorization": f"Bearer {secret}"}
        )

    processing, audit = _step(db, api)
    assert answer.status_code == 200
    assert [(p.name, p.attributes["doel"]) for p in processing] == [
        ("casusgegevens inzien", "inzage via API")
    ]
    assert [(a.action, a.actor, a.channel) for a in audit] == [
        ("casus.lezen", "token:weert-swt-systeem", "api")
    ]


def test_another_organisations_404_is_audited_without_a_processing_line(app, db, world) -> None:
    client = app.test_client()
    login(client, "henk")
    task, case = world.task.id, world.case
    secret = token(db, "haarlem-swt", ["cases:read", "tasks:read"])
    headers = {"Authorization": f"Bearer {secret}"}
    for url, kw, action in [
        (f"/taken/{task}", {}, "taak.openen"),
        (f"/zaken/{case}", {}, "casus.lezen"),
        (f"/api/v1/instances/{case}/data", {"headers": headers}, "casus.lezen"),
    ]:
        answer = None

        def read(url=url, kw=kw) -> None:  # type: ignore[no-untyped-def]
            nonlocal answer
            answer = client.get(url, **kw)

        processing, audit = _step(db, read)
        assert answer.status_code == 404, url
        assert processing == [], url
        assert [(a.action, a.result) for a in audit] == [(action, "geweigerd")], url
        assert audit[0].object_id in (task, case)


def test_a_made_up_id_longer_than_the_log_column_is_a_404_and_logged_cut(app, db, world) -> None:
    """Found by schemathesis on PostgreSQL: a 101-character id made the audit insert fail
    (varchar(100)) and the request answer 500."""
    secret = token(db, "haarlem-swt", ["cases:read"])
    made_up = "0" * 101
    answer = None

    def read() -> None:
        nonlocal answer
        answer = app.test_client().get(
            f"/api/v1/instances/{made_up}/data", headers={"Authorization": f"Bearer {secret}"}
        )

    _processing, audit = _step(db, read)
    assert answer.status_code == 404
    assert [(a.action, a.result) for a in audit] == [("casus.lezen", "geweigerd")]
    assert audit[0].object_id == "0" * 99 + "…"
