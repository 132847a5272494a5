"""A job whose result cannot be applied (its instance cannot be loaded or saved) or whose
handler fails outside the handler's error path (sys.exit, an interruption): a failed attempt
with the usual backoff and then an incident, never a crashed tick that leaves the job to run
again after every lease; and a drain of jobs that ends when the same jobs come back at once."""

from __future__ import annotations

import dataclasses
from datetime import timedelta

import pytest
from sqlalchemy import select, update

import handlers
from app.engine import service
from app.engine.jobs import drain_jobs, run_due_jobs
from app.engine.models import Incident, Job, ProcessInstance
from tests.support import handlers as test_handlers
from tests.support.engine import FIXTURES, deploy_paths, history, instance, open_tasks, start

JOBS = FIXTURES / "jobs.bpmn"


@pytest.fixture
def deployed(db, clock):
    deploy_paths(db, JOBS)
    return db


def job_of(db, instance_id: str) -> Job:
    with db.session() as session:
        return session.scalars(select(Job).where(Job.instance_id == instance_id)).one()


def set_state(db, instance_id: str, state: str) -> str:
    with db.transaction() as session:
        before = session.get(ProcessInstance, instance_id).state
        session.execute(
            update(ProcessInstance).where(ProcessInstance.id == instance_id).values(state=state)
        )
    return before


def test_a_result_that_cannot_be_applied_is_retried_then_an_incident(
    deployed, settings, clock
) -> None:
    instance_id = start(deployed, "test_jobs", "KAPOT", {"deler": 4})
    other = start(deployed, "test_jobs", "GOED", {"deler": 4})
    good = set_state(deployed, instance_id, '{"kapot": ')  # the completion cannot load it
    t0 = clock.now()
    # On main this raised out of run_due_jobs: the tick died, the job stayed leased.
    assert run_due_jobs(deployed, settings, "w") == 2
    assert [t.element_id for t in open_tasks(deployed, other)] == ["kijken"]
    job = job_of(deployed, instance_id)
    assert job.status == "pending" and job.attempts == 1 and job.locked_by is None
    assert job.next_attempt_at == t0 + timedelta(seconds=10)
    assert "verwerken van het resultaat mislukt" in job.last_error
    assert "JSONDecodeError" in job.last_error and "Traceback" not in job.last_error
    for wait in (10, 20, 40):
        clock.advance(timedelta(seconds=wait))
        assert run_due_jobs(deployed, settings, "w") == 1
    job = job_of(deployed, instance_id)
    assert job.status == "incident" and job.attempts == 4
    with deployed.session() as session:
        [incident] = session.scalars(select(Incident)).all()
    assert incident.kind == "job" and incident.job_id == job.id
    assert incident.element_id == "register" and incident.status == "open"
    assert incident.message.startswith("test.flaky: verwerken van het resultaat mislukt")
    assert instance(deployed, instance_id).status == "error"
    failed = [e for e in history(deployed, instance_id) if e.kind == "job_failed"]
    assert [e.details["attempt"] for e in failed] == [1, 2, 3, 4]

    # The repair (the state is readable again), then the retry: the job runs again.
    set_state(deployed, instance_id, good)
    with deployed.transaction() as session:
        service.retry_incident(session, incident.id, "user:olaf", "toestand hersteld")
    assert run_due_jobs(deployed, settings, "w") == 1
    assert [t.element_id for t in open_tasks(deployed, instance_id)] == ["kijken"]
    assert instance(deployed, instance_id).status == "waiting"


@pytest.mark.parametrize("raised", [SystemExit(3), GeneratorExit()])
def test_a_handler_failing_outside_its_error_path_is_a_failed_attempt(
    deployed, settings, monkeypatch, raised
) -> None:
    flaky = handlers.get("test.flaky")

    def dies(inputs, ctx):  # type: ignore[no-untyped-def]
        raise raised

    monkeypatch.setattr(
        handlers, "get", lambda topic: dataclasses.replace(flaky, func=dies) if flaky else None
    )
    instance_id = start(deployed, "test_jobs", "EXIT", {"deler": 4})
    assert run_due_jobs(deployed, settings, "w") == 1
    job = job_of(deployed, instance_id)
    assert job.status == "pending" and job.attempts == 1 and job.locked_by is None
    assert type(raised).__name__ in job.last_error


def test_a_drain_of_jobs_ends_when_the_same_jobs_come_back_at_once(
    deployed, settings, clock
) -> None:
    """No backoff: a failing job is due again at once. The drain stops when a batch brings
    no job it has not run yet, instead of running them until their incidents."""
    no_wait = dataclasses.replace(settings, job_backoff_seconds=0, job_retries=50, batch_size=2)
    for key in ("DRAIN-A", "DRAIN-B"):
        test_handlers.FAILURES[key] = -1
        start(deployed, "test_jobs", key, {"deler": 4})
    assert drain_jobs(deployed, no_wait, "w") == 4  # each once, then each once more: seen
    with deployed.session() as session:
        assert [j.attempts for j in session.scalars(select(Job).order_by(Job.id))] == [2, 2]


def test_a_job_whose_worker_dies_every_time_becomes_an_incident(deployed, settings, clock) -> None:
    """Each attempt's worker dies (its lease runs out, nothing recorded): on main the job was
    claimed again after every lease, for ever. Each such attempt counts; past the retries
    the next claim opens an incident instead of running it once more."""
    from app.engine.jobs import claim_jobs

    instance_id = start(deployed, "test_jobs", "STERFT", {"deler": 4})
    for attempt in range(1, settings.job_retries + 2):
        [claim] = claim_jobs(deployed, f"w{attempt}", settings, 10)
        assert claim.attempt == attempt
        clock.advance(timedelta(seconds=settings.job_lease_seconds + 1))  # w dies
    assert claim_jobs(deployed, "laatste", settings, 10) == []
    job = job_of(deployed, instance_id)
    assert job.status == "incident" and job.locked_by is None
    with deployed.session() as session:
        [incident] = session.scalars(select(Incident)).all()
    assert incident.job_id == job.id and "stopte onverwacht" in incident.message
    assert instance(deployed, instance_id).status == "error"
    with deployed.transaction() as session:  # retried: it runs again, from attempt 1
        service.retry_incident(session, incident.id, "user:olaf", "worker hersteld")
    assert run_due_jobs(deployed, settings, "w") == 1
    assert [t.element_id for t in open_tasks(deployed, instance_id)] == ["kijken"]
