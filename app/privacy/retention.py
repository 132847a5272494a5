"""Retention: a finished case keeps each field only as long as its catalogue says.

Every catalogue field has a `bewaartermijn` (an ISO 8601 duration such as P6M or P2Y),
counted from the moment the case ended. A retention run (the worker, hourly, or
`stroom retention`) takes each finished case whose `data_expires_at` has come, removes
the expired fields from its workflow state, its case data, its signals and its jobs' inputs,
records which fields went (names, never values), and sets `data_expires_at` to the moment
the next field expires. When every field has expired, the rest of the case's personal data
goes the way of an erasure (documents, drafts, consent details, address keys).
"""

from __future__ import annotations

import calendar
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select

from app import clock
from app.db import Database
from app.engine.models import InstanceStatus, ProcessInstance

_DURATION = re.compile(r"^P(?:(\d+)Y)?(?:(\d+)M)?(?:(\d+)W)?(?:(\d+)D)?$")


def add_duration(moment: datetime, duration: str) -> datetime:
    """`moment` plus an ISO 8601 duration of years, months, weeks and days; a month end is
    kept within the month (31 August + P6M = 28 or 29 February)."""
    match = _DURATION.match(duration.strip())
    if not match or not any(match.groups()):
        raise ValueError(f"geen bewaartermijn zoals P6M of P2Y: {duration!r}")
    years, months, weeks, days = (int(g or 0) for g in match.groups())
    total = moment.month - 1 + months + 12 * years
    year, month = moment.year + total // 12, total % 12 + 1
    day = min(moment.day, calendar.monthrange(year, month)[1])
    return moment.replace(year=year, month=month, day=day) + timedelta(weeks=weeks, days=days)


def expiries(catalogue: Any, ended_at: datetime) -> dict[str, datetime]:
    """field -> the moment it expires, for every catalogue field with a retention period."""
    if catalogue is None:
        return {}
    return {
        name: add_duration(ended_at, field.retention)
        for name, field in catalogue.fields.items()
        if field.retention
    }


def first_expiry(catalogue: Any, ended_at: datetime | None) -> datetime | None:
    if ended_at is None:
        return None
    moments = expiries(catalogue, ended_at).values()
    return min(moments) if moments else None


@dataclass
class Expired:
    instance_id: str
    business_key: str | None
    fields: list[str]
    everything: bool


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
    row.data_expires_at = min(later) if later else None
    if removed or counts:
        execution.record(
            "bewaartermijn_verstreken",
            details={"gewist": sorted(removed), "alles": everything, **counts},
        )
    if not dry_run:
        execution.save()
    return Expired(instance_id, row.business_key, sorted(removed), everything)
