"""Retention: a finished case keeps each field only as long as its catalogue says.

Every catalogue field has a `bewaartermijn` (an ISO 8601 duration such as P6M or P2Y),
counted from the moment the case ended. A retention run (the worker, hourly, or
`stroom retention`) takes each finished case whose `data_expires_at` has come, removes
the expired fields from its workflow state, its case data, its signals and its jobs' inputs,
records which fields went (names, never values), and sets `data_expires_at` to the moment
the next field expires. When every field has expired, the rest of the case's personal data
goes the way of an erasure (documents, drafts, consent details, address keys). The case's
history loses its details (values, messages, operators' reasons) when the catalogue's
`geschiedenis` period ends, or else with the last field (`redact_history`, audited).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select

from app import clock
from app.catalogue.durations import add_duration
from app.db import Database
from app.engine.models import InstanceStatus, ProcessInstance


def expiries(catalogue: Any, ended_at: datetime) -> dict[str, datetime]:
    """field -> the moment it expires, for every catalogue field with a retention period."""
    if catalogue is None:
        return {}
    return {
        name: add_duration(ended_at, field.retention)
        for name, field in catalogue.fields.items()
        if field.retention
    }


def history_expiry(catalogue: Any, ended_at: datetime) -> datetime | None:
    """When the case's history loses its details: the catalogue's `geschiedenis` period, or
    else with the last field of the case."""
    if catalogue is None:
        return None
    if catalogue.history_retention:
        return add_duration(ended_at, catalogue.history_retention)
    moments = expiries(catalogue, ended_at).values()
    return max(moments) if moments else None


def first_expiry(catalogue: Any, ended_at: datetime | None) -> datetime | None:
    """The first of the fields' and the history's expiries. Computed at every end of a case
    (app/engine/runtime.py), so each distinct period once: a history that ends with the
    last field cannot come first."""
    if ended_at is None or catalogue is None:
        return None
    periods = {field.retention for field in catalogue.fields.values() if field.retention}
    if catalogue.history_retention:
        periods.add(catalogue.history_retention)
    return min((add_duration(ended_at, p) for p in periods), default=None)


@dataclass
class Expired:
    instance_id: str
    business_key: str | None
    fields: list[str]
    everything: bool
    history_lines: int = 0


def due(db: Database, now: datetime | None = None, limit: int = 500) -> list[str]:
    now = now or clock.now()
    with db.session() as session:
        return list(
            session.scalars(
                select(ProcessInstance.id)
                .where(
                    ProcessInstance.data_expires_at <= now,
                    ProcessInstance.status.in_(InstanceStatus.ended()),
                )
                .order_by(ProcessInstance.data_expires_at)
                .limit(limit)
            )
        )


def apply(
    db: Database,
    now: datetime | None = None,
    dry_run: bool = False,
    progress: Callable[[int, int], None] | None = None,
    cases: list[str] | None = None,
) -> list[Expired]:
    """Remove what has expired from every finished case that is due (or from `cases`, the
    ids `due` gave); one transaction per case, so an error in one case leaves the others done
    and itself untouched. `progress` hears (cases done, cases due) after each case."""
    now = now or clock.now()
    results = []
    cases = due(db, now) if cases is None else cases
    for done, instance_id in enumerate(cases, start=1):
        with db.transaction() as session:
            result = expire_case(session, instance_id, now, dry_run)
            if dry_run:
                session.rollback()
        if result is not None:
            results.append(result)
        if progress is not None:
            progress(done, len(cases))
    return results


def expire_case(session: Any, instance_id: str, now: datetime, dry_run: bool = False) -> Any:
    from app.engine.runtime import Execution
    from app.privacy.erasure import erase_case_records, expire_fields

    execution = Execution.open(session, instance_id, "systeem:bewaartermijn")
    row = execution.row
    if row.ended_at is None or row.status not in InstanceStatus.ended():
        return None
    moments = expiries(execution.catalogue, row.ended_at)
    expired = {name for name, moment in moments.items() if moment <= now}
    removed = execution.strip_data(lambda name: name not in expired)
    removed |= expire_fields(session, instance_id, expired)
    everything = bool(moments) and len(expired) == len(moments)
    counts: dict[str, int] = {}
    if everything:
        erased = erase_case_records(session, instance_id, set())
        removed |= erased.fields
        counts = erased.counts
    later = [moment for name, moment in moments.items() if name not in expired]
    history_at = history_expiry(execution.catalogue, row.ended_at)
    redacted = 0
    if history_at is not None and history_at <= now:
        redacted = redact_history(session, instance_id)
    elif history_at is not None:
        later.append(history_at)
    row.data_expires_at = min(later) if later else None
    if removed or counts:
        execution.record(
            "bewaartermijn_verstreken",
            details={"gewist": sorted(removed), "alles": everything, **counts},
        )
    if redacted:
        execution.record("geschiedenis_gewist", details={"regels": redacted})
    if not dry_run:
        execution.save()
    return Expired(instance_id, row.business_key, sorted(removed), everything, redacted)


def redact_history(session: Any, instance_id: str) -> int:
    """The one path that changes a case's history: each line keeps what happened, when, where
    and by whom, and loses its details (values, messages, operators' reasons that may quote
    personal data). One audit line records it, in the same transaction."""
    from sqlalchemy import update

    from app.auth.principal import SYSTEM
    from app.engine.models import InstanceEvent
    from app.privacy.logs import audit_row
    from app.privacy.models import AuditLog

    done = session.scalar(
        select(InstanceEvent.id).where(
            InstanceEvent.instance_id == instance_id, InstanceEvent.kind == "geschiedenis_gewist"
        )
    )
    if done is not None:
        return 0
    changed = session.execute(
        update(InstanceEvent)
        .where(InstanceEvent.instance_id == instance_id)
        .values(details={})
        .execution_options(synchronize_session=False)
    ).rowcount
    session.add(
        AuditLog(
            **audit_row(
                SYSTEM,
                "privacy.geschiedenis_wissen",
                "zaak",
                instance_id,
                details={"regels": changed},
            )
        )
    )
    return changed or 0
