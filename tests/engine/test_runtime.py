"""Instances through the whole engine: jobs, tasks, messages, timers, status and history."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from app.engine import service
from app.engine.errors import Conflict, InvalidInput, NotFound
from app.engine.jobs import run_due_jobs
from app.engine.models import Job, MessageSubscription, Timer
from app.engine.timers import drain_timers
from tests.support.engine import SIMPLE, deploy_paths, instance, kinds, open_tasks, start


@pytest.fixture
def deployed(db, clock):
    deploy_paths(db, SIMPLE)
    return db


def _to_message_wait(db, settings) -> str:
    instance_id = start(db, data={"bedrag": 21})
    assert instance(db, instance_id).status == "running"  # a job is pending
    assert run_due_jobs(db, settings, "w") == 1
    [task] = open_tasks(db, instance_id)
    assert task.candidate_groups == ["team"]
    assert task.form_key == "beoordelen.form"
    assert task.due_at is not None and task.due_at.isoformat() == "2030-01-01T08:00:00+00:00"
    with db.transaction() as session:
        service.complete_task(session, task.id, {"akkoord": True}, "piet")
    return instance_id


def test_job_inputs_are_only_the_declared_ones(deployed, settings) -> None:
    from tests.support.handlers import CALLS

    CALLS["test.echo"].clear()
    instance_id = start(deployed, data={"bedrag": 21, "naam": "geheim", "bsn": "123"})
    run_due_jobs(deployed, settings, "w")
    assert CALLS["test.echo"] == [{"waarde": 21}]
    with deployed.session() as session:
        job = session.scalars(select(Job).where(Job.instance_id == instance_id)).one()
        assert job.inputs == {"waarde": 21} and job.status == "done"


def test_message_ends_the_wait(deployed, settings, clock) -> None:
    instance_id = _to_message_wait(deployed, settings)
    assert instance(deployed, instance_id).status == "waiting"
    with deployed.transaction() as session:
        service.deliver_message(session, "betalingsregeling", "K1", {"termijnen": 6}, "corp")
    row = instance(deployed, instance_id)
    assert row.status == "completed" and row.ended_at == clock.now()
    with deployed.session() as session:
        timer = session.scalars(select(Timer).where(Timer.instance_id == instance_id)).one()
        assert timer.status == "cancelled"
    assert kinds(deployed, instance_id)[-3:] == [
        "message_received",
        "timer_cancelled",
        "instance_completed",
    ]


def test_unknown_message_is_an_error_not_silence(deployed, settings) -> None:
    _to_message_wait(deployed, settings)
    with pytest.raises(NotFound, match="geen instantie wacht"):
        with deployed.transaction() as session:
            service.deliver_message(session, "betalingsregeling", "ANDERE-SLEUTEL", {}, "x")
    with pytest.raises(NotFound):
        with deployed.transaction() as session:
            service.deliver_message(session, "onbekend", "K1", {}, "x")


def test_timer_fires_after_its_duration(deployed, settings, clock) -> None:
    instance_id = _to_message_wait(deployed, settings)
    clock.advance(timedelta(days=5) - timedelta(seconds=1))
    assert drain_timers(deployed, 10) == 0
    clock.advance(timedelta(seconds=2))
    assert drain_timers(deployed, 10) == 1
    row = instance(deployed, instance_id)
    assert row.status == "completed"
    with deployed.session() as session:
        sub = session.scalars(select(MessageSubscription)).one()
        assert sub.status == "cancelled"
        timer = session.scalars(select(Timer)).one()
        assert timer.status == "done" and timer.fired_at == clock.now()
    assert drain_timers(deployed, 10) == 0  # never twice


def test_completing_a_task_twice_conflicts(deployed, settings) -> None:
    instance_id = start(deployed)
    run_due_jobs(deployed, settings, "w")
    [task] = open_tasks(deployed, instance_id)
    with deployed.transaction() as session:
        service.complete_task(session, task.id, {"akkoord": False}, "a")
    with pytest.raises(Conflict):
        with deployed.transaction() as session:
            service.complete_task(session, task.id, {"akkoord": True}, "b")
    assert instance(deployed, instance_id).status == "completed"


def test_bad_variable_names_are_refused_with_the_field(deployed) -> None:
    with pytest.raises(InvalidInput) as info:
        start(deployed, data={"goed": 1, "_geheim": 2, "niet geldig": 3})
    assert set(info.value.fields) == {"data._geheim", "data.niet geldig"}


def test_claim_unclaim_and_assign_are_recorded(deployed, settings) -> None:
    instance_id = start(deployed)
    run_due_jobs(deployed, settings, "w")
    [task] = open_tasks(deployed, instance_id)
    with deployed.transaction() as session:
        service.claim_task(session, task.id, "anna", "anna")
    with pytest.raises(Conflict, match="anna"):
        with deployed.transaction() as session:
            service.claim_task(session, task.id, "bert", "bert")
    with deployed.transaction() as session:
        service.assign_task(session, task.id, "bert", "teamleider", "verdeling")
    with deployed.transaction() as session:
        service.unclaim_task(session, task.id, "bert")
    assert open_tasks(deployed, instance_id)[0].assignee is None
    assert [k for k in kinds(deployed, instance_id) if k.startswith("task_")] == [
        "task_created",
        "task_claimed",
        "task_assigned",
        "task_unclaimed",
    ]


def test_suspend_blocks_timers_and_tasks_until_resumed(deployed, settings, clock) -> None:
    instance_id = _to_message_wait(deployed, settings)
    with deployed.transaction() as session:
        service.suspend_instance(session, instance_id, "beheer", "onderzoek")
    clock.advance(timedelta(days=6))
    assert drain_timers(deployed, 10) == 0
    with pytest.raises(Conflict):
        with deployed.transaction() as session:
            service.deliver_message(session, "betalingsregeling", "K1", {}, "x")
    with deployed.transaction() as session:
        service.resume_instance(session, instance_id, "beheer", "klaar")
    # The overdue timer fires on resume.
    assert instance(deployed, instance_id).status == "completed"


def test_cancel_closes_every_wait(deployed, settings) -> None:
    instance_id = _to_message_wait(deployed, settings)
    with deployed.transaction() as session:
        service.cancel_instance(session, instance_id, "beheer", "dubbel")
    row = instance(deployed, instance_id)
    assert row.status == "cancelled"
    with deployed.session() as session:
        assert session.scalars(select(Timer.status)).all() == ["cancelled"]
        assert session.scalars(select(MessageSubscription.status)).all() == ["cancelled"]
    with pytest.raises(Conflict):
        with deployed.transaction() as session:
            service.cancel_instance(session, instance_id, "beheer", "nog eens")


def test_business_key_correlation_is_unambiguous(deployed, settings) -> None:
    _to_message_wait(deployed, settings)
    second = start(deployed, business_key="K1")
    run_due_jobs(deployed, settings, "w")
    [task] = open_tasks(deployed, second)
    with deployed.transaction() as session:
        service.complete_task(session, task.id, {"akkoord": True}, "piet")
    with pytest.raises(Conflict, match="niet eenduidig"):
        with deployed.transaction() as session:
            service.deliver_message(session, "betalingsregeling", "K1", {}, "x")


def test_a_finished_case_takes_the_phase_of_its_end_event(deployed, settings) -> None:
    instance_id = start(deployed, data={"bedrag": 21})
    run_due_jobs(deployed, settings, "w")
    [task] = open_tasks(deployed, instance_id)
    assert instance(deployed, instance_id).phase == "beoordeling"
    with deployed.transaction() as session:
        service.complete_task(session, task.id, {"akkoord": False}, "piet")
    row = instance(deployed, instance_id)
    assert (row.status, row.phase) == ("completed", "afronding")
