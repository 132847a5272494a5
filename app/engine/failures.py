"""What the worker records when a step it runs fails: a retry with backoff, then an incident.

The rule is the one service-task jobs always had (settings `job_retries` and
`job_backoff_seconds`): after a failed attempt n the step is tried again after
backoff * 2**(n-1) seconds; the attempt after the last retry opens an incident on the
instance. A failure that cannot pass by itself (`CaseTooLarge`: the state would grow past
its limit) opens the incident at once.

Everything here is written with plain statements, without loading the workflow: the
failure may be exactly that the instance cannot be loaded or saved. It is written in the
caller's transaction after the failed transition was rolled back (a savepoint, or the
transaction of its own), so a worker killed before its commit leaves neither the transition
nor half a failure behind.

A timer whose firing fails (the engine run, the save, or the load of its instance: a
failing script in the diagram is an incident of its own, raised by the engine) is pushed to
its next attempt by moving its row's `due_at`; the first failure's due moments travel in the
`timer_failed` events, and the incident gives the rows back their real due moment. While a
`timer_firing` incident is open the worker leaves the instance's timers alone
(`blocked_by_firing_incident`); retrying the incident (service.retry_incident) fires them.

Messages for people say what failed and why in Dutch, without a trace or case data; the log
keeps the trace.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, exists, or_, select, update
from sqlalchemy.exc import DBAPIError, SQLAlchemyError
from sqlalchemy.orm import Session

from app import clock
from app.config import Settings
from app.engine.errors import CaseTooLarge, EngineError
from app.engine.models import (
    Incident,
    IncidentStatus,
    InstanceEvent,
    InstanceStatus,
    Job,
    JobStatus,
    ProcessInstance,
    Timer,
    WaitStatus,
)

FIRING = "timer_firing"  # the incident kind of a timer the worker could not fire


def reason(exc: BaseException, instance_id: str | None = None) -> str:
    """Why, in Dutch, for the incident: the engine's own Dutch message, or the kind of failure
    (a database error's text may quote the case's data, a trace its code)."""
    if isinstance(exc, CaseTooLarge):
        if instance_id is not None and exc.instance_id != instance_id:
            # A signal this case threw would have grown another case too far.
            return f"zaak {exc.instance_id} zou te groot worden: {exc.detail}"
        return f"de zaak is te groot geworden: {exc.detail}"
    if isinstance(exc, EngineError):
        return exc.message
    if isinstance(exc, DBAPIError):
        return f"de database weigerde het opslaan ({type(exc.orig).__name__})"
    if isinstance(exc, SQLAlchemyError):
        return f"de database gaf een fout ({type(exc).__name__})"
    return f"onverwachte fout ({type(exc).__name__}); de technische melding staat in het log"


def permanent(exc: BaseException) -> bool:
    """A failure that no retry can pass."""
    return isinstance(exc, CaseTooLarge)


def backoff(settings: Settings, attempt: int) -> timedelta:
    return timedelta(seconds=settings.job_backoff_seconds * 2 ** (attempt - 1))


def blocked_by_firing_incident() -> Any:
    """SQL condition on ProcessInstance: the worker may fire its timers (no open
    `timer_firing` incident). Only an instance in error can have one, so the subquery runs
    for those alone."""
    return or_(
        ProcessInstance.status != InstanceStatus.ERROR.value,
        ~exists().where(
            and_(
                Incident.instance_id == ProcessInstance.id,
                Incident.status == IncidentStatus.OPEN.value,
                Incident.kind == FIRING,
            )
        ),
    )


def _event(
    session: Session,
    instance_id: str,
    now: datetime,
    kind: str,
    actor: str | None,
    element_id: str | None,
    task_id: str | None,
    details: dict[str, Any],
) -> None:
    session.add(
        InstanceEvent(
            instance_id=instance_id,
            at=now,
            kind=kind,
            element_id=element_id,
            task_id=task_id,
            actor=actor,
            details=details,
        )
    )


def _touch(session: Session, instance_id: str, now: datetime, error: bool) -> None:
    """The instance changed (as a save would: revision and updated_at), in error if asked."""
    values: dict[str, Any] = {
        "revision": ProcessInstance.revision + 1,
        "updated_at": now,
    }
    if error:
        values["status"] = InstanceStatus.ERROR.value
    session.execute(
        update(ProcessInstance)
        .where(ProcessInstance.id == instance_id)
        .values(**values)
        .execution_options(synchronize_session=False)
    )


def _open_incident(
    session: Session,
    instance_id: str,
    now: datetime,
    actor: str | None,
    *,
    kind: str,
    message: str,
    element_id: str | None,
    task_id: str | None,
    job_id: int | None = None,
    details: str | None = None,
) -> Incident:
    incident = Incident(
        instance_id=instance_id,
        job_id=job_id,
        kind=kind,
        message=message[:4000],
        details=details,
        created_at=now,
        spiff_task_id=task_id,
        element_id=element_id,
    )
    session.add(incident)
    session.flush()
    _event(
        session,
        instance_id,
        now,
        "incident_raised",
        actor,
        element_id,
        task_id,
        {"kind": kind, "message": message[:500], "incident": incident.id},
    )
    return incident


def _locked_instance(session: Session, instance_id: str) -> ProcessInstance | None:
    return session.scalar(
        select(ProcessInstance)
        .where(ProcessInstance.id == instance_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )


# -- timers --------------------------------------------------------------------------------


def _timer_label(timer: Timer) -> str:
    if timer.name and timer.name != timer.element_id:
        return f"‘{timer.name}’ ({timer.element_id})"
    return f"‘{timer.element_id}’"


def timer_failed(
    session: Session,
    instance_id: str,
    exc: BaseException,
    settings: Settings,
    now: datetime,
    actor: str | None = "timer",
) -> str:
    """Record that firing the due timers of `instance_id` failed with `exc`, in a savepoint
    of the caller's transaction; 'retry' or 'incident' ('gone' for an instance that no
    longer waits for a due timer)."""
    with session.begin_nested():
        row = _locked_instance(session, instance_id)
        if row is None:
            return "gone"
        timers = session.scalars(
            select(Timer)
            .where(
                Timer.instance_id == instance_id,
                Timer.status == WaitStatus.WAITING.value,
                Timer.due_at <= now,
            )
            .order_by(Timer.due_at, Timer.id)
        ).all()
        if not timers:
            return "gone"
        last = session.scalar(
            select(InstanceEvent)
            .where(InstanceEvent.instance_id == instance_id)
            .order_by(InstanceEvent.id.desc())
            .limit(1)
        )
        if last is not None and last.kind == "timer_failed":
            attempt = int(last.details.get("attempt", 0)) + 1
            due: dict[str, str] = dict(last.details.get("due") or {})
        else:
            attempt, due = 1, {}
        for timer in timers:
            due.setdefault(str(timer.id), timer.due_at.isoformat())
        first = timers[0]
        why = reason(exc, instance_id)
        others = f" (en {len(timers) - 1} andere timer(s) van deze zaak)" if len(timers) > 1 else ""
        give_up = permanent(exc) or attempt > settings.job_retries
        details: dict[str, Any] = {"attempt": attempt, "error": why[:500]}
        if give_up:
            for timer in timers:  # the real due moments again, for the pages
                if str(timer.id) in due:
                    timer.due_at = datetime.fromisoformat(due[str(timer.id)])
        else:
            retry_at = now + backoff(settings, attempt)
            for timer in timers:
                timer.due_at = retry_at
            details.update(retry_at=retry_at.isoformat(), due=due)
        session.flush()
        _event(
            session,
            instance_id,
            now,
            "timer_failed",
            actor,
            first.element_id,
            first.spiff_task_id,
            details,
        )
        if not give_up:
            return "retry"
        tries = "" if attempt == 1 else f" na {attempt} pogingen"
        _open_incident(
            session,
            instance_id,
            now,
            actor,
            kind=FIRING,
            message=f"Timer {_timer_label(first)}{others} kon niet afgaan{tries}: {why}",
            element_id=first.element_id,
            task_id=first.spiff_task_id,
        )
        _touch(session, instance_id, now, error=True)
        return "incident"


def retry_failed(
    session: Session,
    incident_id: int,
    exc: BaseException,
    actor: str | None,
    reason_given: str | None,
    now: datetime,
) -> None:
    """A retried `timer_firing` incident failed again (its transition was rolled back): the
    incident, open again, says what fails now."""
    incident = session.get(Incident, incident_id, populate_existing=True)
    if incident is None:
        return
    with session.begin_nested():
        label = incident.message.split(" kon niet afgaan", 1)[0]
        message = (
            f"{label} kon niet afgaan (opnieuw geprobeerd): {reason(exc, incident.instance_id)}"
        )
        incident.status = IncidentStatus.OPEN.value
        incident.resolved_at = incident.resolved_by = None
        incident.message = message[:4000]
        _event(
            session,
            incident.instance_id,
            now,
            "incident_retry_failed",
            actor,
            incident.element_id,
            incident.spiff_task_id,
            {"incident": incident.id, "reason": reason_given, "message": message[:500]},
        )
        _touch(session, incident.instance_id, now, error=True)


# -- messages ------------------------------------------------------------------------------

STATE_LIMIT = "state_limit"  # a message refused because the case would grow too large


def message_refused(session: Session, exc: CaseTooLarge, name: str, actor: str | None) -> str:
    """A message a system sent was refused (the caller got the 422; its transaction rolled
    back): the case gets an incident, so its process owner sees it, not only the sender.
    One open incident per case for this; a message refused again updates it. Call in a
    transaction of its own, after the refused one rolled back. Returns 'incident' (or
    'gone')."""
    return _refused(
        session,
        exc,
        actor,
        f"Bericht ‘{name}’ is geweigerd: de zaak is te groot geworden ({exc.detail}). De "
        "afzender kreeg een foutmelding en moet het bericht na herstel opnieuw sturen.",
        {"message": name},
    )


def signal_refused(session: Session, exc: CaseTooLarge, name: str, actor: str | None) -> str:
    """A signal one case could not take (its delivery rolled back to its savepoint): the
    other receivers got it; this case gets an incident, as for a refused message."""
    return _refused(
        session,
        exc,
        actor,
        f"Signaal ‘{name}’ is bij deze zaak niet aangekomen: de zaak is te groot geworden "
        f"({exc.detail}). De andere ontvangers kregen het wel; stuur het na herstel opnieuw "
        "als deze zaak het nog nodig heeft.",
        {"signal": name},
    )


def _refused(
    session: Session, exc: CaseTooLarge, actor: str | None, message: str, what: dict[str, str]
) -> str:
    now = clock.now()
    instance_id = exc.instance_id
    if _locked_instance(session, instance_id) is None:
        return "gone"
    message = message[:4000]
    open_one = session.scalar(
        select(Incident).where(
            Incident.instance_id == instance_id,
            Incident.status == IncidentStatus.OPEN.value,
            Incident.kind == STATE_LIMIT,
        )
    )
    if open_one is not None:
        open_one.message = message
        kind = "signal_refused" if "signal" in what else "message_refused"
        _event(session, instance_id, now, kind, actor, None, None, what)
    else:
        _open_incident(
            session,
            instance_id,
            now,
            actor,
            kind=STATE_LIMIT,
            message=message,
            element_id=None,
            task_id=None,
        )
    session.flush()
    _touch(session, instance_id, now, error=True)
    return "incident"


# -- jobs ----------------------------------------------------------------------------------


def job_failed(
    session: Session,
    job: Job,
    error: str,
    details: str | None,
    settings: Settings,
    now: datetime,
    actor: str | None,
    at_once: bool = False,
) -> str:
    """Record a failed attempt of `job` (locked, with its instance, by the caller): retry
    after the backoff, or, past the retries (or `at_once`), an incident; 'retry' or
    'incident'. A job whose incident was retried and failed again opens that same incident
    again, with the new error."""
    job.last_error = (details or error)[:8000]
    job.locked_by = job.locked_until = None
    instance_id = job.instance_id
    if at_once or job.attempts > settings.job_retries:
        job.status = JobStatus.INCIDENT.value
        _event(
            session,
            instance_id,
            now,
            "job_failed",
            actor,
            job.element_id,
            job.spiff_task_id,
            {"job": job.id, "attempt": job.attempts, "error": error[:500]},
        )
        message = f"{job.topic}: {error}"
        earlier = session.scalar(
            select(Incident).where(Incident.job_id == job.id).order_by(Incident.id.desc())
        )
        if earlier is None:
            _open_incident(
                session,
                instance_id,
                now,
                actor,
                kind="job",
                message=message,
                element_id=job.element_id,
                task_id=job.spiff_task_id,
                job_id=job.id,
                details=details,
            )
        else:
            # Someone retried this job's incident and it failed again: the same incident is
            # open again with the new error (no second one for the same failure).
            earlier.status = IncidentStatus.OPEN.value
            earlier.resolved_at = earlier.resolved_by = None
            earlier.message = message[:4000]
            earlier.details = details
            _event(
                session,
                instance_id,
                now,
                "incident_retry_failed",
                actor,
                job.element_id,
                job.spiff_task_id,
                {"incident": earlier.id, "message": error[:500]},
            )
        session.flush()
        _touch(session, instance_id, now, error=True)
        return "incident"
    job.next_attempt_at = now + backoff(settings, job.attempts)
    _event(
        session,
        instance_id,
        now,
        "job_failed",
        actor,
        job.element_id,
        job.spiff_task_id,
        {
            "job": job.id,
            "attempt": job.attempts,
            "error": error[:500],
            "retry_at": job.next_attempt_at.isoformat(),
        },
    )
    session.flush()
    _touch(session, instance_id, now, error=False)
    return "retry"
