"""A simulation: processes on a virtual clock, driven step by step.

Tests and `stroom simulate` share this class. Moving the clock never jumps over work: it
stops at every due timer, job and rule-driven completion on the way, fires what is due, and
only then moves on, so the timeline has the moments a real deployment would have.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select

from app.clock import VirtualClock, local
from app.config import Settings
from app.db import Database
from app.engine import service
from app.engine.errors import EngineError, NotFound
from app.engine.models import (
    HumanTask,
    InstanceEvent,
    InstanceStatus,
    Job,
    JobStatus,
    ProcessInstance,
    TaskStatus,
    Timer,
    WaitStatus,
)
from app.engine.worker import Worker
from app.simulation.durations import later
from app.tasks.service import complete_for_installation


@dataclass
class Rule:
    """Complete every open task of `element` (in `process`, if given) `after` its creation."""

    element: str
    after: str
    data: dict[str, Any] = field(default_factory=dict)
    # Weighted alternatives: [(weight, data), ...]; one is drawn per task.
    choices: list[tuple[float, dict[str, Any]]] = field(default_factory=list)
    process: str | None = None
    actor: str = "simulatie"


@dataclass
class TimelineEntry:
    at: datetime
    business_key: str | None
    kind: str
    element: str | None
    actor: str | None
    details: dict[str, Any]


# In a rule's data: the simulated day on which the rule completes the task (a date a person
# would fill in as today's: a conversation held, a registration made).
TODAY = "=vandaag"


class SimulationError(Exception):
    pass


class Simulation:
    def __init__(
        self,
        db: Database,
        settings: Settings,
        clock: VirtualClock,
        seed: int = 1,
        through_forms: bool = True,
    ) -> None:
        """`through_forms`: tasks are completed as a person would, through the task's form
        and the catalogue's rules (False: by the engine alone, for engine tests of diagrams
        whose tasks have no forms)."""
        self.db = db
        self.through_forms = through_forms
        self.settings = settings
        self.clock = clock
        self.worker = Worker(db, settings, worker_id="simulatie")
        self.rules: list[Rule] = []
        self.random = random.Random(seed)
        self._seen_event_id = 0
        self.timeline: list[TimelineEntry] = []
        self.notes: list[tuple[datetime, str]] = []
        self._hooks: list[Callable[[Simulation], None]] = []
        self.documents: dict[str, int] = {}  # scenario name -> document id

    # -- actions at the current moment ------------------------------------------------------

    def start(
        self,
        process: str,
        business_key: str | None = None,
        data: dict[str, Any] | None = None,
        actor: str = "simulatie",
        parties: dict[str, str] | None = None,
        municipality: str | None = None,
    ) -> str:
        """Start a case; `parties` names the team (group key) per party. Teams that do not
        exist yet are made, each in an organisation of its own, so a scenario needs no
        set-up of organisations."""
        from app.auth.principal import Principal
        from app.cases.service import start_case

        with self.db.transaction() as session:
            for group_key in (parties or {}).values():
                ensure_team(session, group_key, municipality)
            row = start_case(
                session,
                Principal("system", None, actor),
                process,
                business_key=business_key,
                data=data or {},
                municipality=municipality,
                parties=parties,
            )
            instance_id = row.id
        self.settle()

        return instance_id

    def open_task(
        self, element: str, business_key: str | None = None, instance_id: str | None = None
    ) -> HumanTask:
        with self.db.session() as session:
            query = (
                select(HumanTask)
                .join(ProcessInstance)
                .where(HumanTask.element_id == element, HumanTask.status == TaskStatus.OPEN.value)
            )
            if business_key is not None:
                query = query.where(ProcessInstance.business_key == business_key)
            if instance_id is not None:
                query = query.where(HumanTask.instance_id == instance_id)
            tasks = session.scalars(query).all()
            if not tasks:
                raise SimulationError(
                    f"{local(self.clock.now()):%Y-%m-%d %H:%M}: geen open taak {element!r}"
                    + (f" voor {business_key!r}" if business_key else "")
                )
            if len(tasks) > 1:
                raise SimulationError(f"meer dan één open taak {element!r}; geef een sleutel")
            session.expunge(tasks[0])
            return tasks[0]

    def complete(
        self,
        element: str,
        business_key: str | None = None,
        data: dict[str, Any] | None = None,
        actor: str = "simulatie",
        instance_id: str | None = None,
    ) -> None:
        task = self.open_task(element, business_key, instance_id)
        with self.db.transaction() as session:
            self._complete(session, task.id, data or {}, actor)
        self.settle()

    def _complete(self, session: Any, task_id: str, data: dict[str, Any], actor: str) -> None:
        if self.through_forms:
            complete_for_installation(session, task_id, data, actor)
        else:
            service.complete_task(session, task_id, data, actor)

    def message(
        self,
        name: str,
        key: str | None,
        data: dict[str, Any] | None = None,
        actor: str = "simulatie",
    ) -> None:
        with self.db.transaction() as session:
            service.deliver_message(session, name, key, data or {}, actor)
        self.settle()

    def add_document(
        self, business_key: str, name: str, category: str, actor: str, alias: str
    ) -> int:
        """A document added to the case (as the upload on the case page would; the
        simulation stores its description, not its bytes); later steps name it by alias."""
        import hashlib

        from app.cases.models import Document

        instance_id = self.instance(business_key).id
        with self.db.transaction() as session:
            row = Document(
                instance_id=instance_id,
                name=name,
                content_type="application/pdf",
                size=0,
                sha256=hashlib.sha256(f"{business_key}/{alias}".encode()).hexdigest(),
                category=category,
                uploaded_by=f"user:{actor}",
                uploaded_at=self.clock.now(),
            )
            session.add(row)
            session.flush()
            self.documents[alias] = row.id
        self.note(f"{business_key}: document {name} toegevoegd door {actor}")
        return row.id

    def note(self, text: str) -> None:
        self.notes.append((self.clock.now(), text))

    # -- time -------------------------------------------------------------------------------

    def settle(self) -> None:
        """Run everything that is due now (jobs, timers, rules), until nothing is."""
        for _ in range(10_000):
            worked = self.worker.tick()
            worked += self._apply_rules()
            for hook in self._hooks:
                hook(self)
            if not worked:
                break
        self._collect()

    def advance_to(self, target: datetime) -> None:
        if target < self.clock.now():
            raise SimulationError(
                f"kan niet terug in de tijd: {target.isoformat()} ligt voor "
                f"{self.clock.now().isoformat()}"
            )
        while True:
            upcoming = self._next_due()
            if upcoming is None or upcoming > target:
                break
            self.clock.set(max(upcoming, self.clock.now()))
            self.settle()
        self.clock.set(target)
        self.settle()

    def advance(self, duration: str) -> None:
        self.advance_to(later(self.clock.now(), duration))

    def add_hook(self, hook: Callable[[Simulation], None]) -> None:
        """Called at every settle: generators of new work (e.g. monthly signals) hook in."""
        self._hooks.append(hook)

    def _next_due(self) -> datetime | None:
        with self.db.session() as session:
            moments = [
                session.scalar(
                    select(func.min(Timer.due_at)).where(Timer.status == WaitStatus.WAITING.value)
                ),
                session.scalar(
                    select(func.min(Job.next_attempt_at)).where(
                        Job.status == JobStatus.PENDING.value
                    )
                ),
            ]
            moments.append(self._next_rule_moment(session))
        for hook in self._hooks:
            moment = getattr(hook, "next_due", None)
            if callable(moment):
                moments.append(moment(self))
        found = [m for m in moments if m is not None]
        return min(found) if found else None

    # -- rules ------------------------------------------------------------------------------

    def _rule_tasks(self, session: Any) -> list[tuple[Rule, HumanTask, datetime]]:
        if not self.rules:
            return []
        elements = {r.element for r in self.rules}
        tasks = session.scalars(
            select(HumanTask).where(
                HumanTask.status == TaskStatus.OPEN.value, HumanTask.element_id.in_(elements)
            )
        ).all()
        matched = []
        for task in tasks:
            for rule in self.rules:
                if rule.element == task.element_id and rule.process in (None, task.definition_key):
                    matched.append((rule, task, later(task.created_at, rule.after)))
                    break
        return matched

    def _next_rule_moment(self, session: Any) -> datetime | None:
        moments = [due for _r, _t, due in self._rule_tasks(session)]
        return min(moments) if moments else None

    def _apply_rules(self) -> int:
        with self.db.session() as session:
            due = [
                (rule, task.id)
                for rule, task, at in self._rule_tasks(session)
                if at <= self.clock.now()
            ]
        for rule, task_id in due:
            data = dict(rule.data)
            if rule.choices:
                weights = [w for w, _ in rule.choices]
                data.update(self.random.choices([d for _, d in rule.choices], weights)[0])
            today = local(self.clock.now()).date().isoformat()
            data = {k: today if v == TODAY else v for k, v in data.items()}
            try:
                with self.db.transaction() as session:
                    self._complete(session, task_id, data, rule.actor)
            except EngineError as exc:
                fields = "; ".join(
                    f"{name}: {' '.join(problems)}" for name, problems in (exc.fields or {}).items()
                )
                raise SimulationError(
                    f"regel voor {rule.element!r}: {exc.message}"
                    + (f" ({fields})" if fields else "")
                ) from exc
        return len(due)

    # -- results ----------------------------------------------------------------------------

    def _collect(self) -> None:
        with self.db.session() as session:
            rows = session.execute(
                select(InstanceEvent, ProcessInstance.business_key)
                .join(ProcessInstance, ProcessInstance.id == InstanceEvent.instance_id)
                .where(InstanceEvent.id > self._seen_event_id)
                .order_by(InstanceEvent.id)
            ).all()
        for event, key in rows:
            self.timeline.append(
                TimelineEntry(
                    event.at,
                    key,
                    event.kind,
                    event.element_id,
                    event.actor,
                    dict(event.details or {}),
                )
            )
            self._seen_event_id = event.id

    def instance(self, business_key: str) -> ProcessInstance:
        with self.db.session() as session:
            rows = session.scalars(
                select(ProcessInstance).where(ProcessInstance.business_key == business_key)
            ).all()
            if not rows:
                raise NotFound(f"geen instantie met sleutel {business_key!r}")
            if len(rows) > 1:
                raise SimulationError(f"meer instanties met sleutel {business_key!r}")
            session.expunge(rows[0])
            return rows[0]

    def status_counts(self) -> dict[str, int]:
        with self.db.session() as session:
            return dict(
                session.execute(
                    select(ProcessInstance.status, func.count()).group_by(ProcessInstance.status)
                ).all()
            )

    def end_events(self) -> dict[str, int]:
        """How many instances ended at each end event (the path's outcome)."""
        from app.simulation.coverage import ended_at

        counts: dict[str, int] = {}
        with self.db.session() as session:
            for row in session.scalars(
                select(ProcessInstance).where(
                    ProcessInstance.status == InstanceStatus.COMPLETED.value
                )
            ):
                for element in ended_at(session, row):
                    counts[element] = counts.get(element, 0) + 1
        return counts


def format_timeline(
    entries: list[TimelineEntry], notes: list[tuple[datetime, str]] = ()
) -> list[str]:
    lines: list[tuple[datetime, int, str]] = []
    for n, entry in enumerate(entries):
        details = ", ".join(
            f"{k}={v}" for k, v in entry.details.items() if v not in (None, "", [], {})
        )
        lines.append(
            (
                entry.at,
                n,
                (
                    f"{local(entry.at):%Y-%m-%d %H:%M}  {entry.business_key or '-':<12} "
                    f"{entry.kind:<20} {entry.element or '':<28} {entry.actor or '':<14} {details}"
                ).rstrip(),
            )
        )
    for n, (at, text) in enumerate(notes):
        lines.append((at, -1_000_000 + n, f"{local(at):%Y-%m-%d %H:%M}  # {text}"))
    return [text for _at, _n, text in sorted(lines, key=lambda item: (item[0], item[1]))]


def late_by(moment: datetime, deadline: datetime | None) -> timedelta | None:
    if deadline is None or moment <= deadline:
        return None
    return moment - deadline


def ensure_team(session: Any, group_key: str, municipality: str | None) -> None:
    """A team (and an organisation with the same key) for simulations and tests."""
    from app.auth import service as auth
    from app.auth.models import Group

    if session.scalar(select(Group.id).where(Group.key == group_key)) is None:
        auth.create_organisation(session, group_key, group_key, "gemeente", municipality)
        auth.create_group(session, group_key, group_key, group_key)
