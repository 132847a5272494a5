"""Deadline performance and throughput per month, for charts and their CSV downloads.

Deadlines of a covenant are of two kinds in a diagram:
  - a task's due date (`camunda:dueDate`): met when the task was completed by then; missed
    when it was completed later, or is still open after it;
  - a boundary timer on an activity (the term for that activity): met when the activity
    ended before the timer fired (the timer was cancelled), missed when it fired. Cycle
    timers (repetitions) are no deadlines; timers of cancelled cases are left out.
Each deadline counts in the month (Amsterdam time) it fell due. Deadlines still to come are
not counted.

Throughput: instances started, completed and cancelled per month, and completed per end
event. Which end event an instance reached is read from its stored state with a text match,
in the database (`"state": 64, "task_spec": "<end event id>"`: 64 is SpiffWorkflow's
COMPLETED), so no instance needs to be loaded; tests check it against the task tree.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, time
from typing import Any

from lxml import etree
from sqlalchemy import case, select
from sqlalchemy.orm import Session

from app import clock
from app.clock import AMSTERDAM, local
from app.engine.models import (
    HumanTask,
    InstanceStatus,
    ProcessDefinition,
    ProcessInstance,
    ProcessVersion,
    TaskStatus,
    Timer,
    WaitStatus,
)
from app.manage.scope import Scope
from app.ui.formatting import MONTHS

PI = ProcessInstance
BPMN = "http://www.omg.org/spec/BPMN/20100524/MODEL"
COMPLETED_STATE = 64  # SpiffWorkflow TaskState.COMPLETED


# -- months -----------------------------------------------------------------------------------


def month_key(moment: datetime) -> str:
    return local(moment).strftime("%Y-%m")


def month_label(key: str) -> str:
    year, month = key.split("-")
    return f"{MONTHS[int(month) - 1]} {year}"


def months_between(first: str, last: str) -> list[str]:
    year, month = map(int, first.split("-"))
    end_year, end_month = map(int, last.split("-"))
    keys = []
    while (year, month) <= (end_year, end_month) and len(keys) < 120:
        keys.append(f"{year:04d}-{month:02d}")
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return keys


def last_months(count: int, now: datetime | None = None) -> list[str]:
    today = local(now or clock.now()).date()
    year, month = today.year, today.month
    keys = []
    for _ in range(count):
        keys.append(f"{year:04d}-{month:02d}")
        year, month = (year - 1, 12) if month == 1 else (year, month - 1)
    return list(reversed(keys))


def _bounds(months: list[str]) -> tuple[datetime, datetime]:
    year, month = map(int, months[0].split("-"))
    start = datetime.combine(date(year, month, 1), time(0), AMSTERDAM)
    year, month = map(int, months[-1].split("-"))
    year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return start, datetime.combine(date(year, month, 1), time(0), AMSTERDAM)


# -- deadlines ---------------------------------------------------------------------------------


@dataclass
class Deadline:
    key: str  # element id
    label: str
    met: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    missed: dict[str, int] = field(default_factory=lambda: defaultdict(int))

    def share(self, month: str) -> float | None:
        total = self.met[month] + self.missed[month]
        return round(100 * self.met[month] / total, 1) if total else None


def _elements(session: Session, process_key: str) -> dict[int, dict[str, Any]]:
    return {
        version_id: elements or {}
        for version_id, elements in session.execute(
            select(ProcessVersion.id, ProcessVersion.elements)
            .join(ProcessDefinition)
            .where(ProcessDefinition.key == process_key)
            .order_by(ProcessVersion.version)
        )
    }


def deadlines(
    session: Session,
    process_key: str,
    scope: Scope,
    months: list[str],
    now: datetime | None = None,
) -> list[Deadline]:
    now = now or clock.now()
    start, end = _bounds(months)
    elements = _elements(session, process_key)
    names: dict[str, str] = {}
    for version_elements in elements.values():  # the newest version's names win
        names.update({k: str(v.get("name") or k) for k, v in version_elements.items()})
    found: dict[str, Deadline] = {}

    def deadline(element_id: str, kind: str) -> Deadline:
        if element_id not in found:
            found[element_id] = Deadline(element_id, f"{kind}: {names.get(element_id, element_id)}")
        return found[element_id]

    tasks = scope.apply(
        select(HumanTask.element_id, HumanTask.due_at, HumanTask.completed_at, HumanTask.status)
        .join(PI, PI.id == HumanTask.instance_id)
        .where(
            HumanTask.definition_key == process_key,
            HumanTask.due_at >= start,
            HumanTask.due_at < end,
            HumanTask.status != TaskStatus.CANCELLED.value,
        ),
        PI.id,
    )
    for element_id, due, completed, status in session.execute(tasks):
        month = month_key(due)
        if status == TaskStatus.COMPLETED.value and completed is not None:
            target = deadline(element_id, "Taak")
            (target.met if completed <= due else target.missed)[month] += 1
        elif status == TaskStatus.OPEN.value and due < now:
            deadline(element_id, "Taak").missed[month] += 1

    timers = scope.apply(
        select(Timer.element_id, Timer.due_at, Timer.status, PI.version_id)
        .join(PI, PI.id == Timer.instance_id)
        .where(
            PI.definition_key == process_key,
            PI.status != InstanceStatus.CANCELLED.value,
            Timer.kind != "cycle",
            Timer.due_at >= start,
            Timer.due_at < end,
        ),
        PI.id,
    )
    for element_id, due, status, version_id in session.execute(timers):
        if (elements.get(version_id, {}).get(element_id) or {}).get("type") != "boundaryEvent":
            continue
        month = month_key(due)
        if status == WaitStatus.DONE.value or (status == WaitStatus.WAITING.value and due < now):
            deadline(element_id, "Termijn").missed[month] += 1
        elif status == WaitStatus.CANCELLED.value:
            deadline(element_id, "Termijn").met[month] += 1
    return sorted(found.values(), key=lambda d: d.label.lower())


def deadline_rows(items: list[Deadline], months: list[str]) -> list[list[Any]]:
    rows = []
    for month in months:
        for item in items:
            met, missed = item.met[month], item.missed[month]
            if met or missed:
                rows.append([month, item.label, met, missed, item.share(month)])
    return rows


# -- throughput ----------------------------------------------------------------------------------


@dataclass
class Throughput:
    started: dict[str, int]
    completed: dict[str, int]
    cancelled: dict[str, int]
    # end event id -> label, and per month how many instances reached it
    ends: dict[str, str]
    per_end: dict[str, dict[str, int]]


def top_level_end_events(session: Session, process_key: str) -> dict[str, str]:
    """End events of the process itself (not of its subprocesses), over all versions."""
    ends: dict[str, str] = {}
    for (xml,) in session.execute(
        select(ProcessVersion.bpmn_xml)
        .join(ProcessDefinition)
        .where(ProcessDefinition.key == process_key)
        .order_by(ProcessVersion.version)
    ):
        parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)
        root = etree.fromstring(xml.encode(), parser)
        for process in root.iter(f"{{{BPMN}}}process"):
            if process.get("id") != process_key:
                continue
            for end in process.findall(f"{{{BPMN}}}endEvent"):
                ends[end.get("id")] = end.get("name") or end.get("id")
    return ends


def _reached(end_id: str) -> Any:
    escaped = end_id.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    pattern = f'%"state": {COMPLETED_STATE}, "task_spec": "{escaped}"%'
    return case((PI.state.like(pattern, escape="\\"), 1), else_=0)


def throughput(session: Session, process_key: str, scope: Scope, months: list[str]) -> Throughput:
    start, end = _bounds(months)
    started: dict[str, int] = defaultdict(int)
    completed: dict[str, int] = defaultdict(int)
    cancelled: dict[str, int] = defaultdict(int)
    for (moment,) in session.execute(
        scope.apply(
            select(PI.started_at).where(
                PI.definition_key == process_key, PI.started_at >= start, PI.started_at < end
            ),
            PI.id,
        )
    ):
        started[month_key(moment)] += 1
    ends = top_level_end_events(session, process_key)
    end_ids = list(ends)
    per_end: dict[str, dict[str, int]] = {e: defaultdict(int) for e in end_ids}
    query = scope.apply(
        select(PI.ended_at, PI.status, *[_reached(e) for e in end_ids]).where(
            PI.definition_key == process_key,
            PI.status.in_(InstanceStatus.ended()),
            PI.ended_at >= start,
            PI.ended_at < end,
        ),
        PI.id,
    )
    for moment, status, *reached in session.execute(query):
        month = month_key(moment)
        if status == InstanceStatus.CANCELLED.value:
            cancelled[month] += 1
            continue
        completed[month] += 1
        for end_id, hit in zip(end_ids, reached, strict=True):
            if hit:
                per_end[end_id][month] += 1
    return Throughput(started, completed, cancelled, ends, per_end)


def throughput_rows(data: Throughput, months: list[str]) -> list[list[Any]]:
    return [[m, data.started[m], data.completed[m], data.cancelled[m]] for m in months]


def outcome_rows(data: Throughput, months: list[str]) -> list[list[Any]]:
    return [
        [m, data.ends[e], data.per_end[e][m]]
        for m in months
        for e in data.ends
        if data.per_end[e][m]
    ]


# -- Chart.js configurations ---------------------------------------------------------------------

# Distinguishable colours with at least 3:1 contrast against white (WCAG 1.4.11).
# Twelve, so the end events of a process (up to eleven today) each get their own colour.
PALETTE = [
    "#01689b",
    "#b3261e",
    "#2e7d32",
    "#6a3d9a",
    "#b15c00",
    "#00676b",
    "#5c5c5c",
    "#8a1c7c",
    "#1f3a93",
    "#7a5c00",
    "#c2185b",
    "#4e342e",
]
# Whole numbers on axes that count cases (no "0,5 zaken").
COUNT_TICKS = {"precision": 0}


def _line_style(index: int) -> dict[str, Any]:
    colour = PALETTE[index % len(PALETTE)]
    return {
        "borderColor": colour,
        "backgroundColor": colour,
        "borderDash": [] if index < len(PALETTE) else [6, 3],
        "pointStyle": ["circle", "rect", "triangle", "rectRot", "crossRot", "star", "line"][
            index % 7
        ],
        "pointRadius": 4,
    }


def deadline_chart(items: list[Deadline], months: list[str]) -> dict[str, Any]:
    return {
        "type": "line",
        "data": {
            "labels": [month_label(m) for m in months],
            "datasets": [
                {
                    "label": item.label,
                    "data": [item.share(m) for m in months],
                    "spanGaps": False,
                    **_line_style(i),
                }
                for i, item in enumerate(items)
            ],
        },
        "options": {
            "scales": {"y": {"min": 0, "max": 100, "title": {"display": True, "text": "% gehaald"}}}
        },
    }


def throughput_chart(data: Throughput, months: list[str]) -> dict[str, Any]:
    series = (
        ("Gestart", data.started),
        ("Afgerond", data.completed),
        ("Afgebroken", data.cancelled),
    )
    return {
        "type": "bar",
        "data": {
            "labels": [month_label(m) for m in months],
            "datasets": [
                {"label": label, "data": [values[m] for m in months], "backgroundColor": PALETTE[i]}
                for i, (label, values) in enumerate(series)
            ],
        },
        "options": {
            "scales": {
                "y": {
                    "beginAtZero": True,
                    "ticks": COUNT_TICKS,
                    "title": {"display": True, "text": "aantal zaken"},
                }
            }
        },
    }


def outcome_chart(data: Throughput, months: list[str]) -> dict[str, Any]:
    return {
        "type": "bar",
        "data": {
            "labels": [month_label(m) for m in months],
            "datasets": [
                {
                    "label": label,
                    "data": [data.per_end[e][m] for m in months],
                    "backgroundColor": PALETTE[i % len(PALETTE)],
                    # Beyond twelve ends a colour returns, with a dark border to tell it apart.
                    "borderColor": "#0b0c0c",
                    "borderWidth": 0 if i < len(PALETTE) else 3,
                }
                for i, (e, label) in enumerate(data.ends.items())
            ],
        },
        "options": {
            "scales": {
                "x": {"stacked": True},
                "y": {
                    "stacked": True,
                    "beginAtZero": True,
                    "ticks": COUNT_TICKS,
                    "title": {"display": True, "text": "afgeronde zaken"},
                },
            }
        },
    }
