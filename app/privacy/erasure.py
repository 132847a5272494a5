"""Erasing a case's personal data outside its workflow state.

An end event marked `gegevens = wissen` (see Execution._erase_if_asked) clears the task tree
and the case data itself; this module clears what the case left in other tables, keeping
only the values named in `bewaren`:

- the signals that formed the case: their data, and the keyed hash of the address in them
  and in their signal case (it would match the resident's next signal);
- the inputs of the case's jobs (what its handlers were sent);
- half-filled task forms (drafts) of its tasks;
- its documents, and their files once no other document has the same content;
- the workers' notes on it;
- in its consents: who gave them, the note and the link to the evidence (the fact that
  consent was given or refused, for which scope, when and how stays: it is the proof);
- error texts: a handler's or a script's message can quote a value (a register answering
  "person 999990007 not found"), so the jobs' last errors, the incidents' messages and
  details, and the error and message in the case's history go; that a job failed or an
  incident happened, when and where, stays. Operators' reasons (suspend, cancel) stay: they
  are the account of a decision.

Files are removed only after the transaction commits, so a rollback loses nothing.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import delete, event, select, update
from sqlalchemy.orm import Session

from app.cases import documents
from app.cases.models import Document
from app.engine.models import HumanTask, Incident, InstanceEvent, Job
from app.intake.models import Signal, SignalCase
from app.privacy.models import Consent
from app.tasks.models import TaskDraft

log = logging.getLogger(__name__)

ERASED = "(gewist)"
_PENDING = "stroom_erasure_files"
_LISTENING = "stroom_erasure_listening"


@dataclass
class Erased:
    """What erasure removed: field names (never values) and how many rows of each kind."""

    fields: set[str] = field(default_factory=set)
    counts: dict[str, int] = field(default_factory=dict)


def erase_case_records(session: Session, instance_id: str, keep: set[str]) -> Erased:
    erased = Erased()
    erased.fields |= _signals(session, instance_id, keep)
    fields, job_errors = _jobs(session, instance_id, keep)
    erased.fields |= fields
    erased.counts["concepten"] = _drafts(session, instance_id)
    erased.counts["toestemmingen"] = _consents(session, instance_id)
    erased.counts["documenten"] = _documents(session, instance_id)
    erased.counts["notities"] = _notes(session, instance_id)
    erased.counts["foutteksten"] = job_errors + _error_texts(session, instance_id)
    return erased


def expire_fields(session: Session, instance_id: str, expired: set[str]) -> set[str]:
    """Remove these fields (their retention ended) from the case's signals, and every job
    input of the case."""
    removed: set[str] = set()
    if not expired:
        return removed
    cases = select(SignalCase.id).where(SignalCase.instance_id == instance_id)
    for signal in session.scalars(select(Signal).where(Signal.case_id.in_(cases))):
        data = signal.data or {}
        if set(data) & expired:
            removed |= set(data) & expired
            signal.data = {k: v for k, v in data.items() if k not in expired}
    # A job's inputs are named after the handler's parameters, not after the fields they
    # were computed from: once any field has expired, none of them can be told apart.
    for job in session.scalars(select(Job).where(Job.instance_id == instance_id)):
        if job.inputs:
            removed |= {f"{job.topic}:{name}" for name in job.inputs}
            job.inputs = {}
    return removed


def _signals(session: Session, instance_id: str, keep: set[str]) -> set[str]:
    removed: set[str] = set()
    cases = list(session.scalars(select(SignalCase).where(SignalCase.instance_id == instance_id)))
    for case in cases:
        case.address_key = None
    if not cases:
        return removed
    for signal in session.scalars(select(Signal).where(Signal.case_id.in_([c.id for c in cases]))):
        removed |= set(signal.data or {}) - keep
        signal.data = {k: v for k, v in (signal.data or {}).items() if k in keep}
        signal.address_key = None
    return removed


def _jobs(session: Session, instance_id: str, keep: set[str]) -> tuple[set[str], int]:
    """Inputs not kept, and the jobs' last errors; returns the removed input names and how
    many error texts went."""
    removed: set[str] = set()
    errors = 0
    for job in session.scalars(select(Job).where(Job.instance_id == instance_id)):
        inputs: dict[str, Any] = job.inputs or {}
        if set(inputs) - keep:
            removed |= set(inputs) - keep
            job.inputs = {k: v for k, v in inputs.items() if k in keep}
        if job.last_error is not None:
            job.last_error = ERASED
            errors += 1
    return removed, errors


_TEXT_DETAILS = ("error", "message")


def _error_texts(session: Session, instance_id: str) -> int:
    """Incidents' messages and details, and error texts in the case's history."""
    count = 0
    for incident in session.scalars(select(Incident).where(Incident.instance_id == instance_id)):
        incident.message = f"{incident.kind}: {ERASED}"
        incident.details = None
        count += 1
    for row in session.scalars(
        select(InstanceEvent).where(
            InstanceEvent.instance_id == instance_id,
            InstanceEvent.kind.in_(("job_failed", "incident_raised")),
        )
    ):
        details = dict(row.details or {})
        if set(details) & set(_TEXT_DETAILS):
            row.details = {k: (ERASED if k in _TEXT_DETAILS else v) for k, v in details.items()}
            count += 1
    return count


def _drafts(session: Session, instance_id: str) -> int:
    tasks = select(HumanTask.id).where(HumanTask.instance_id == instance_id)
    result = session.execute(
        delete(TaskDraft)
        .where(TaskDraft.task_id.in_(tasks))
        .execution_options(synchronize_session=False)
    )
    return result.rowcount or 0


def _consents(session: Session, instance_id: str) -> int:
    result = session.execute(
        update(Consent)
        .where(Consent.instance_id == instance_id)
        .values(given_by=ERASED, note=None, evidence_document_id=None)
        .execution_options(synchronize_session="fetch")
    )
    return result.rowcount or 0


def _notes(session: Session, instance_id: str) -> int:
    """Delete the workers' notes on the case."""
    from app.cases.models import CaseNote

    result = session.execute(
        delete(CaseNote)
        .where(CaseNote.instance_id == instance_id)
        .execution_options(synchronize_session=False)
    )
    return int(result.rowcount or 0)


def _documents(session: Session, instance_id: str) -> int:
    """Delete the case's document rows (after the consents no longer point at them); their
    files go after commit, unless another document row has the same content."""
    rows = session.execute(
        select(Document.id, Document.sha256).where(Document.instance_id == instance_id)
    ).all()
    if not rows:
        return 0
    ids = [r.id for r in rows]
    hashes = {r.sha256 for r in rows}
    shared = set(
        session.scalars(
            select(Document.sha256)
            .where(Document.sha256.in_(hashes), Document.id.not_in(ids))
            .distinct()
        )
    )
    session.execute(
        delete(Document).where(Document.id.in_(ids)).execution_options(synchronize_session="fetch")
    )
    _remove_after_commit(session, documents.STORE, hashes - shared)
    return len(ids)


def _remove_after_commit(session: Session, folder: Path, hashes: set[str]) -> None:
    if not hashes:
        return
    if not session.info.get(_LISTENING):
        # Once per session; the listeners do nothing while nothing is pending.
        event.listen(session, "after_commit", _remove_files)
        event.listen(session, "after_rollback", _forget_files)
        session.info[_LISTENING] = True
    session.info.setdefault(_PENDING, []).extend((folder, d) for d in sorted(hashes))


def _remove_files(session: Session) -> None:
    pending: list[tuple[Path, str]] = session.info.pop(_PENDING, [])
    if not pending:
        return
    # A document with the same content may have been stored meanwhile: ask the database
    # again, outside the finished transaction.
    with session.get_bind().engine.connect() as conn:
        used = set(
            conn.scalars(
                select(Document.sha256).where(Document.sha256.in_({d for _f, d in pending}))
            )
        )
    for folder, digest in pending:
        if digest in used:
            continue
        try:
            (folder / digest).unlink(missing_ok=True)
        except OSError:  # the rows are gone; a file left behind is logged, not fatal
            log.exception("document %s kon niet worden verwijderd", digest)


def _forget_files(session: Session) -> None:
    session.info.pop(_PENDING, None)
