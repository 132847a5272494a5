"""The heatmap of one process version: where instances wait, and for how long.

An instance waits at an activity while it has an open wait state there: an open task, a
pending or failed service-task job, a timer (waiting until a moment), an awaited message, or
an open incident (a script, expression or timer that failed there: the case stands still at
that activity until someone repairs it). Each activity also counts its instances with an open
incident.
Boundary events and event-subprocess starts are left out: they only listen while the
instance waits at the activity they belong to, which has its own wait state.

Waiting time is counted in working days (Atw) from the day the wait began; the norm is what
the process says about the activity (norms.py: its setting, due date or boundary timer), and a
norm in calendar days is compared with calendar days.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import literal, select, union_all
from sqlalchemy.orm import Session

from app import clock
from app.cases import settings as process_settings
from app.engine.models import (
    HumanTask,
    Incident,
    IncidentStatus,
    Job,
    JobStatus,
    MessageSubscription,
    ProcessInstance,
    ProcessVersion,
    TaskStatus,
    Timer,
    WaitStatus,
)
from app.engine.runtime import version_catalogue
from app.manage.limits import IDLE, MESSAGE, WorkingDays
from app.manage.norms import Norm, norm
from app.manage.scope import Scope

# Element types that only listen while the instance waits somewhere else.
LISTENING = ("boundaryEvent", "startEvent")
LEVELS = 4


@dataclass
class Spot:
    element_id: str
    name: str
    type: str
    count: int  # instances waiting here
    average: float  # working days, over those instances
    longest: int  # working days
    target: Norm | None  # from the process itself (norms.py); None: it sets none
    over: int  # instances waiting longer than the target
    incidents: int = 0  # instances with an open incident here
    late: bool = False  # on average longer than the norm (in the norm's own unit)

    def as_json(self, level: int) -> dict[str, Any]:
        return {
            "count": self.count,
            "incidents": self.incidents,
            "average": self.average,
            "longest": self.longest,
            "target": str(self.target) if self.target else None,
            "over": self.over,
            "late": self.late,
            "level": level,
        }


@dataclass
class Heatmap:
    version: ProcessVersion
    spots: list[Spot]

    @property
    def busiest(self) -> int:
        return max((s.count for s in self.spots), default=0)

    def level(self, spot: Spot) -> int:
        """1..4 by the share of the busiest activity's count (0 for none)."""
        if not spot.count or not self.busiest:
            return 0
        return max(1, math.ceil(LEVELS * spot.count / self.busiest))

    def as_json(self) -> dict[str, Any]:
        return {s.element_id: s.as_json(self.level(s)) for s in self.spots}


def waits(version_id: int, scope: Scope) -> Any:
    """(instance_id, element_id, since, kind) of every open wait of the version's instances."""
    pi = ProcessInstance

    def part(model: Any, status: Any, kind: str) -> Any:
        query = (
            select(
                model.instance_id.label("instance_id"),
                model.element_id.label("element_id"),
                model.created_at.label("since"),
                literal(kind).label("kind"),
            )
            .join(pi, pi.id == model.instance_id)
            .where(pi.version_id == version_id, status)
        )
        return scope.apply(query, pi.id)

    return union_all(
        part(HumanTask, HumanTask.status == TaskStatus.OPEN.value, "task"),
        part(
            Job,
            Job.status.in_((JobStatus.PENDING.value, JobStatus.INCIDENT.value)),
            "job",
        ),
        part(Timer, Timer.status == WaitStatus.WAITING.value, "timer"),
        part(
            MessageSubscription,
            MessageSubscription.status == WaitStatus.WAITING.value,
            "message",
        ),
        part(Incident, Incident.status == IncidentStatus.OPEN.value, "incident"),
    )


def heatmap(
    session: Session,
    version: ProcessVersion,
    scope: Scope,
    municipality: str | None = None,
    now: datetime | None = None,
) -> Heatmap:
    days = WorkingDays(now or clock.now())
    elements = version.elements or {}
    # (element, instance) -> the moment it began waiting there, and whether for a message.
    first: dict[tuple[str, str], tuple[datetime, bool]] = {}
    failing: dict[str, set[str]] = {}
    for instance_id, element_id, since, kind in session.execute(waits(version.id, scope)):
        if element_id is None or (elements.get(element_id) or {}).get("type") in LISTENING:
            continue
        if kind == "incident":
            failing.setdefault(element_id, set()).add(instance_id)
        key = (element_id, instance_id)
        if key not in first or since < first[key][0]:
            first[key] = (since, kind == "message")
    moment = now or clock.now()
    per_element: dict[str, list[tuple[int, int, bool]]] = {}
    for (element_id, _instance), (since, message) in first.items():
        calendar_days = (clock.local(moment).date() - clock.local(since).date()).days
        per_element.setdefault(element_id, []).append((days.since(since), calendar_days, message))
    catalogue = version_catalogue(session, version.id)
    key = version.definition.key

    looked_up: dict[str, Any] = {}

    def setting(name: str) -> Any:
        # Several activities read the same setting: one lookup each per page.
        if catalogue is None or name not in catalogue.settings:
            return None
        if name not in looked_up:
            looked_up[name] = process_settings.value(session, catalogue, key, municipality, name)
        return looked_up[name]

    spots = []
    for element_id, waited in per_element.items():
        info = elements.get(element_id) or {}
        message = any(m for _, _, m in waited)
        own_name = f"{MESSAGE if message else IDLE}_{element_id}"
        own = setting(own_name)
        target = norm(
            version.bpmn_xml, element_id, setting, int(own) if own not in (None, "") else None
        )
        values = [d for d, _, _ in waited]
        measured = [c if target and target.unit == "dagen" else d for d, c, _ in waited]
        spots.append(
            Spot(
                element_id=element_id,
                name=str(info.get("name") or element_id),
                type=str(info.get("type") or ""),
                count=len(values),
                average=round(sum(values) / len(values), 1),
                longest=max(values),
                target=target,
                over=sum(1 for d in measured if target is not None and d > target.amount),
                incidents=len(failing.get(element_id, ())),
                late=target is not None and sum(measured) / len(measured) > target.amount,
            )
        )
    spots.sort(key=lambda s: (-s.count, s.name.lower()))
    return Heatmap(version, spots)
