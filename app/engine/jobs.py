"""External service tasks: claim a due job, run its handler outside any transaction, then
complete the task or record the failure (retry with exponential backoff, then an incident).

A claim is a short transaction that leases the job (`locked_until`); the handler runs without
holding a database lock, so a slow registry never blocks people. A worker that dies loses its
lease and the job becomes claimable again. Completion locks the instance and checks the lease
is still ours, so a job is applied at most once.
"""

from __future__ import annotations

import json
import logging
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from SpiffWorkflow.bpmn.specs.event_definitions.item_aware_event import ErrorEventDefinition
from SpiffWorkflow.bpmn.util import BpmnEvent
from SpiffWorkflow.util.task import TaskState
from sqlalchemy import or_, select
from sqlalchemy.orm import Session

import handlers
from app import clock
from app.config import Settings
from app.db import Database
from app.engine import conditions, failures
from app.engine.errors import describe_error
from app.engine.event_subprocess import error_listener
from app.engine.models import (
    InstanceStatus,
    Job,
    JobStatus,
    ProcessInstance,
)
from app.engine.multi_instance import is_body
from app.engine.runtime import Execution, lock_instance
from app.engine.sandbox import SandboxError, check_data_value
from app.engine.waits import extensions

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class JobClaim:
    id: int
    topic: str
    inputs: dict[str, Any]
    instance_id: str
    business_key: str | None
    attempt: int


def claim_jobs(
    db: Database, worker_id: str, settings: Settings, limit: int, topics: list[str] | None = None
) -> list[JobClaim]:
    with db.transaction() as session:
        now = clock.now()
        query = (
            select(Job, ProcessInstance.business_key)
            .join(ProcessInstance, ProcessInstance.id == Job.instance_id)
            .where(
                Job.status == JobStatus.PENDING.value,
                Job.next_attempt_at <= now,
                or_(Job.locked_until.is_(None), Job.locked_until < now),
                ProcessInstance.status.not_in(
                    [InstanceStatus.SUSPENDED.value, *InstanceStatus.ended()]
                ),
            )
            .order_by(Job.next_attempt_at, Job.id)
            .limit(limit)
        )
        if topics:
            query = query.where(Job.topic.in_(topics))
        if not db.is_sqlite:
            query = query.with_for_update(skip_locked=True, of=Job)
        claims = []
        for job, business_key in session.execute(query).all():
            if job.locked_by is not None and job.attempts > settings.job_retries:
                # Its last attempt never came back: the worker stopped while running it and
                # the lease ran out (a crash, or a handler that kills its process). Each
                # such attempt counts; past the retries it is an incident, not one more run
                # that may take down the next worker, for ever.
                failures.job_failed(
                    session,
                    job,
                    "de verwerking stopte onverwacht (de worker hield op tijdens deze taak)",
                    None,
                    settings,
                    now,
                    f"worker:{worker_id}",
                    at_once=True,
                )
                continue
            job.locked_by = worker_id
            job.locked_until = now + timedelta(seconds=settings.job_lease_seconds)
            job.attempts += 1
            claims.append(
                JobClaim(
                    job.id,
                    job.topic,
                    dict(job.inputs or {}),
                    job.instance_id,
                    business_key,
                    job.attempts,
                )
            )
        return claims


@dataclass(frozen=True)
class ThrownError:
    """A handler's BPMN error (handlers.BpmnError) for the diagram to catch."""

    code: str
    message: str


def execute(
    claim: JobClaim, settings: Settings
) -> tuple[dict[str, Any] | None, str | ThrownError | None]:
    """Run the handler; (outputs, None) on success, (None, error text) on failure, (None,
    ThrownError) for a BPMN error the handler declares."""
    handler = handlers.get(claim.topic)
    if handler is None:
        return None, f"geen handler voor topic {claim.topic!r}"
    inputs = {k: v for k, v in claim.inputs.items() if k in handler.inputs}
    ctx = handlers.HandlerContext(
        claim.id, claim.instance_id, claim.business_key, claim.attempt, settings
    )
    try:
        result = handler.func(inputs, ctx) or {}
        if not isinstance(result, dict):
            raise handlers.HandlerError(f"handler gaf {type(result).__name__}, geen dict")
        undeclared = sorted(set(result) - set(handler.outputs))
        if undeclared:
            raise handlers.HandlerError(f"handler gaf niet-gedeclareerde uitvoer {undeclared}")
        for key, value in result.items():
            check_data_value(key, value)
        json.dumps(result, default=str)
        return result, None
    except handlers.BpmnError as exc:
        if exc.code not in handler.errors:
            return None, (
                f"handler gooide BPMN-fout {exc.code!r}, die topic {claim.topic!r} niet "
                f"declareert (wel: {', '.join(sorted(handler.errors)) or 'geen'})"
            )
        return None, ThrownError(exc.code, exc.message)
    except handlers.HandlerError as exc:
        return None, str(exc)
    except SandboxError as exc:
        return None, f"ongeldige uitvoer: {exc}"
    except KeyboardInterrupt:
        raise
    except BaseException as exc:  # noqa: BLE001 - any handler failure is retried, then an incident
        # BaseException too: a handler's sys.exit() or an interruption is its failure, not
        # the end of the tick (which left the job leased, re-run after every lease, forever).
        return None, f"{type(exc).__name__}: {exc}\n{traceback.format_exc(limit=5)}"


def _locked_job(session: Session, claim: JobClaim, worker_id: str) -> Job | None:
    job = session.execute(
        select(Job).where(Job.id == claim.id).execution_options(populate_existing=True)
    ).scalar_one_or_none()
    if job is None or job.status != JobStatus.PENDING.value or job.locked_by != worker_id:
        return None  # lease lost: somebody else owns this job now
    return job


def complete_job(db: Database, claim: JobClaim, outputs: dict[str, Any], worker_id: str) -> bool:
    with db.transaction() as session:
        execution = Execution.open(session, claim.instance_id, f"worker:{worker_id}")
        job = _locked_job(session, claim, worker_id)
        if job is None:
            return False
        if execution.row.status in (InstanceStatus.SUSPENDED.value, *InstanceStatus.ended()):
            job.locked_by = job.locked_until = None
            job.attempts -= 1
            return False
        task = execution.task(job.spiff_task_id)
        if not task.has_state(TaskState.STARTED):
            job.status = JobStatus.CANCELLED.value
            return False
        mapping = extensions(task).get("outputs") or []
        try:
            if mapping:
                env = execution.workflow.script_engine.environment
                for name, expr in mapping:
                    task.data[name] = env.evaluate(expr, outputs)
            else:
                task.data.update(outputs)
        except Exception as exc:  # noqa: BLE001
            job.status = JobStatus.INCIDENT.value
            job.last_error = describe_error(exc)
            execution.raise_incident(
                "job", f"uitvoermapping mislukt: {describe_error(exc)}", task=task, job_id=job.id
            )
            execution.save()
            return False
        execution.record(
            "job_completed",
            job.element_id,
            job.spiff_task_id,
            {"job": job.id, "attempt": job.attempts, "outputs": sorted(outputs)},
        )
        execution.variables_written = bool(outputs or mapping)
        # An interrupting conditional boundary the result makes true takes over (Camunda 7).
        if not conditions.before_leaving(execution, task):
            task.complete()
        execution.run_engine()
        execution.save()
        return True


def throw_job_error(db: Database, claim: JobClaim, thrown: ThrownError, worker_id: str) -> str:
    """The handler's BPMN error, caught by the service task's error boundary event with that
    code (or without a code); 'caught', 'incident' when no boundary waits for it, 'lost'."""
    with db.transaction() as session:
        execution = Execution.open(session, claim.instance_id, f"worker:{worker_id}")
        job = _locked_job(session, claim, worker_id)
        if job is None:
            return "lost"
        task = execution.task(job.spiff_task_id)
        if not task.has_state(TaskState.STARTED):
            job.status = JobStatus.CANCELLED.value
            return "lost"
        # An error boundary on the task first; else an error event sub-process of a scope.
        catcher = _error_boundary(task, thrown.code) or _error_scope(task, thrown.code)
        execution.record(
            "job_bpmn_error",
            job.element_id,
            job.spiff_task_id,
            {"job": job.id, "code": thrown.code, "message": thrown.message[:500]},
        )
        if catcher is None:
            job.status = JobStatus.INCIDENT.value
            job.last_error = f"BPMN-fout {thrown.code}: {thrown.message}"
            execution.raise_incident(
                "job",
                f"{job.topic}: BPMN-fout {thrown.code!r} en geen grensgebeurtenis die hem vangt",
                task=task,
                job_id=job.id,
            )
            execution.save()
            return "incident"
        event = BpmnEvent(
            ErrorEventDefinition(thrown.code, code=thrown.code), payload={}, target=task.workflow
        )
        event.stroom_message = thrown.message  # type: ignore[attr-defined]
        catcher.task_spec.catch(catcher, event)
        catcher.task_spec._update(catcher)
        execution.run_engine()
        execution.save()
        return "caught"


def _error_scope(task: Any, code: str) -> Any:
    """What catches `code` around `task`, innermost first: the start event of a scope's
    error event sub-process, or the error boundary event of the sub-process the error
    leaves (before the scopes further out)."""
    scope = task.workflow
    while scope is not None:
        start = error_listener(scope, code)
        if start is not None:
            return start
        if scope.parent_task_id is not None:
            host = scope.top_workflow.get_task_from_id(scope.parent_task_id)
            boundary = _error_boundary(host, code)
            if boundary is not None:
                # The error boundary of the sub-process (or of the sub-process around the
                # event sub-process) the task runs in catches it, as in Camunda 7.
                return boundary
        scope = scope.parent_workflow
    return None


def _error_boundary(task: Any, code: str) -> Any:
    """The waiting error boundary event of `task` that catches `code`: one with that code
    before one without a code, as Camunda 7 chooses. An instance of a multi-instance
    activity has none of its own: the boundary sits on the body, which then cancels every
    instance."""
    if task.parent is not None and is_body(task.parent.task_spec):
        task = task.parent
    split = task.parent
    candidates = [
        t
        for t in (split.children if split is not None else [])
        if t is not task
        and t.has_state(TaskState.WAITING)
        and isinstance(getattr(t.task_spec, "event_definition", None), ErrorEventDefinition)
        and t.task_spec.event_definition.code in (None, code)
    ]
    candidates.sort(key=lambda t: t.task_spec.event_definition.code is None)
    return candidates[0] if candidates else None


def finish(
    db: Database,
    claim: JobClaim,
    outputs: dict[str, Any] | None,
    error: str | ThrownError | None,
    worker_id: str,
    settings: Settings,
) -> str:
    """What a handler's result does: completes the job, throws its BPMN error, or fails."""
    if isinstance(error, ThrownError):
        return throw_job_error(db, claim, error, worker_id)
    if error is None and outputs is not None:
        return "completed" if complete_job(db, claim, outputs, worker_id) else "lost"
    return fail_job(db, claim, error or "", worker_id, settings)


def fail_job(db: Database, claim: JobClaim, error: str, worker_id: str, settings: Settings) -> str:
    """Record a failure; returns 'retry' or 'incident' (or 'lost' if the lease is gone)."""
    with db.transaction() as session:
        lock_instance(session, claim.instance_id)
        job = _locked_job(session, claim, worker_id)
        if job is None:
            return "lost"
        first_line = error.split("\n", 1)[0]
        return failures.job_failed(
            session, job, first_line, error, settings, clock.now(), f"worker:{worker_id}"
        )


def job_crashed(
    db: Database, claim: JobClaim, exc: BaseException, worker_id: str, settings: Settings
) -> str:
    """The handler ran, but applying its result failed unexpectedly (the instance could not
    be loaded or saved, the state grew too large, the database refused a row). The failed
    transaction is gone; this one records the attempt as failed, as a handler's failure:
    retried with backoff, then an incident (at once for a case grown too large), so the job
    no longer runs again after every lease without anyone seeing it."""
    with db.transaction() as session:
        lock_instance(session, claim.instance_id)
        job = _locked_job(session, claim, worker_id)
        if job is None:
            return "lost"
        return failures.job_failed(
            session,
            job,
            f"verwerken van het resultaat mislukt: {failures.reason(exc)}",
            None,
            settings,
            clock.now(),
            f"worker:{worker_id}",
            at_once=failures.permanent(exc),
        )


def run_due_jobs(
    db: Database,
    settings: Settings,
    worker_id: str,
    limit: int | None = None,
    topics: list[str] | None = None,
) -> int:
    return len(_run_claims(db, settings, worker_id, limit or settings.batch_size, topics))


def _run_claims(
    db: Database, settings: Settings, worker_id: str, limit: int, topics: list[str] | None
) -> list[int]:
    """Claim and run up to `limit` jobs; the ids claimed."""
    claims = claim_jobs(db, worker_id, settings, limit, topics)
    for claim in claims:
        try:
            outputs, error = execute(claim, settings)
            finish(db, claim, outputs, error, worker_id, settings)
        except Exception as exc:  # noqa: BLE001 - one job's failure must not end the batch
            log.exception("job %s (instance %s) failed", claim.id, claim.instance_id)
            try:
                job_crashed(db, claim, exc, worker_id, settings)
            except Exception:  # noqa: BLE001 - not recorded: its lease runs out, then again
                log.exception("recording the failure of job %s failed", claim.id)
    return [claim.id for claim in claims]


def drain_jobs(
    db: Database,
    settings: Settings,
    worker_id: str,
    topics: list[str] | None = None,
    stop: Callable[[], bool] = lambda: False,
) -> int:
    """Run batches until no job is due (or `stop()`); returns how many ran. Ends when a
    batch claimed fewer jobs it had not run before than it could take: a job that fails
    again at once (no backoff) cannot keep the loop going."""
    seen: set[int] = set()
    total = 0
    while not stop():
        claimed = _run_claims(db, settings, worker_id, settings.batch_size, topics)
        fresh = [i for i in claimed if i not in seen]
        seen.update(claimed)
        total += len(claimed)
        if len(fresh) < settings.batch_size:
            break
    return total
