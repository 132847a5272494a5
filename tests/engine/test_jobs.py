"""Service-task jobs: retries with exponential backoff, incidents, and retrying them."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from app.engine import service
from app.engine.jobs import run_due_jobs
from app.engine.models import Incident, Job
from tests.support import handlers as test_handlers
from tests.support.engine import FIXTURES, deploy_paths, history, instance, open_tasks, start

JOBS = FIXTURES / "jobs.bpmn"


@pytest.fixture
def deployed(db, clock):
    deploy_paths(db, JOBS)
    return db


def _run_until_quiet(db, settings, clock, rounds: int = 10) -> None:
    for _ in range(rounds):
        run_due_jobs(db, settings, "w")
        clock.advance(timedelta(seconds=settings.job_backoff_seconds * 8))


def test_two_failures_then_success_retries_with_backoff(deployed, settings, clock) -> None:
    test_handlers.FAILURES["TWEE"] = 2
    instance_id = start(deployed, "test_jobs", "TWEE", {"deler": 4})
    t0 = clock.now()
    assert run_due_jobs(deployed, settings, "w") == 1  # attempt 1 fails
    assert run_due_jobs(deployed, settings, "w") == 0  # not due yet: backoff
    clock.advance(timedelta(seconds=10))
    assert run_due_jobs(deployed, settings, "w") == 1  # attempt 2 fails
    clock.advance(timedelta(seconds=19))
    assert run_due_jobs(deployed, settings, "w") == 0
    clock.advance(timedelta(seconds=1))
    assert run_due_jobs(deployed, settings, "w") == 1  # attempt 3 succeeds

    failures = [e for e in history(deployed, instance_id) if e.kind == "job_failed"]
    assert [f.details["attempt"] for f in failures] == [1, 2]
    assert [f.details["retry_at"] for f in failures] == [
        (t0 + timedelta(seconds=10)).isoformat(),
        (t0 + timedelta(seconds=30)).isoformat(),
    ]
    assert "onbereikbaar" in failures[0].details["error"]
    row = instance(deployed, instance_id)
    assert row.status == "waiting"
    [task] = open_tasks(deployed, instance_id)
    assert task.element_id == "kijken"


def test_always_failing_handler_becomes_incident_and_retry_continues(
    deployed, settings, clock
) -> None:
    test_handlers.FAILURES["ALTIJD"] = -1  # fails until told otherwise
    instance_id = start(deployed, "test_jobs", "ALTIJD", {"deler": 4})
    _run_until_quiet(deployed, settings, clock)
    with deployed.session() as session:
        job = session.scalars(select(Job)).one()
        assert job.status == "incident" and job.attempts == 1 + settings.job_retries
        incident = session.scalars(select(Incident)).one()
        assert incident.status == "open" and incident.element_id == "register"
        assert "test.flaky" in incident.message and "onbereikbaar" in incident.message
    assert instance(deployed, instance_id).status == "error"

    test_handlers.FAILURES["ALTIJD"] = 0  # the registry is back
    with deployed.transaction() as session:
        service.retry_incident(session, incident.id, "beheerder", "register weer bereikbaar")
    assert run_due_jobs(deployed, settings, "w") == 1
    assert instance(deployed, instance_id).status == "waiting"
    assert [t.element_id for t in open_tasks(deployed, instance_id)] == ["kijken"]
    kinds = [e.kind for e in history(deployed, instance_id)]
    assert kinds.count("incident_raised") == 1 and "incident_resolved" in kinds


def test_script_error_is_an_incident_with_the_real_error(deployed, settings, clock) -> None:
    instance_id = start(deployed, "test_jobs", "LEEG", {"deler": "x"})  # the script fails
    run_due_jobs(deployed, settings, "w")
    with deployed.session() as session:
        incident = session.scalars(
            select(Incident).where(Incident.instance_id == instance_id)
        ).one()
    assert incident.kind == "script" and incident.element_id == "rekenen"
    assert "unsupported operand" in incident.message  # the error itself, not a wrapper
    assert instance(deployed, instance_id).status == "error"

    # Remove the cause (supply the variable), then retry exactly there.
    from app.engine.runtime import Execution

    with deployed.transaction() as session:
        execution = Execution.open(session, instance_id, "test")
        execution.task(incident.spiff_task_id).data["deler"] = 5
        execution.save()
    with deployed.transaction() as session:
        service.retry_incident(session, incident.id, "beheerder", "deler aangevuld")
    assert [t.element_id for t in open_tasks(deployed, instance_id)] == ["kijken"]
    assert instance(deployed, instance_id).status == "waiting"


def test_lost_lease_is_not_applied_twice(deployed, settings, clock) -> None:
    from app.engine.jobs import claim_jobs, complete_job

    instance_id = start(deployed, "test_jobs", "LEASE", {"deler": 1})
    [first] = claim_jobs(deployed, "w1", settings, 10)
    clock.advance(timedelta(seconds=settings.job_lease_seconds + 1))
    [second] = claim_jobs(deployed, "w2", settings, 10)  # w1 is presumed dead
    assert complete_job(deployed, second, {"resultaat": "ok"}, "w2") is True
    assert complete_job(deployed, first, {"resultaat": "ok"}, "w1") is False
    assert [e.kind for e in history(deployed, instance_id)].count("job_completed") == 1


def test_a_retried_job_that_fails_again_reopens_its_one_incident(deployed, settings, clock) -> None:
    """A service task whose incident is retried while its system is still down: the job runs
    its retries again and then the same incident is open again, with the new error."""
    test_handlers.FAILURES["NOGMAALS"] = -1
    instance_id = start(deployed, "test_jobs", "NOGMAALS", {"deler": 4})
    _run_until_quiet(deployed, settings, clock)
    with deployed.session() as session:
        [incident] = session.scalars(select(Incident)).all()
    with deployed.transaction() as session:
        service.retry_incident(session, incident.id, "user:olaf", "register zou terug zijn")
    assert instance(deployed, instance_id).status == "running"
    _run_until_quiet(deployed, settings, clock)
    with deployed.session() as session:
        [again] = session.scalars(select(Incident)).all()
        assert again.id == incident.id and again.status == "open"
        assert again.resolved_by is None and "onbereikbaar" in again.message
    assert instance(deployed, instance_id).status == "error"
    kinds = [e.kind for e in history(deployed, instance_id)]
    assert kinds.count("incident_raised") == 1
    assert kinds.count("incident_resolved") == 1 and kinds[-1] == "incident_retry_failed"
