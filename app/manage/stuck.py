"""The stuck list: instances that need attention, each with why, since when and who holds it.

Reasons, in the order the list shows them:

  storing     an open incident (a failing service task, script or expression)
  timer       a timer that should have fired but has not (is the scheduler running?); one
              the worker could not fire is listed once, as the storing that holds it
  te-laat     an open task past its due date
  risico      a deadline within `risico_werkdagen` working days: a task's due date, or a
              boundary timer on an activity (the covenant's term for that activity)
  bericht     a message awaited (receive task or intermediate event) for longer than
              `max_berichtwachttijd_werkdagen`
  stil        waiting at a task or a service task without any progress for longer than
              `max_wachttijd_werkdagen` (per activity, else per process), while no timer is
              waiting (a timer brings progress by itself); or waiting for nothing anyone
              brings (only a BPMN signal or a condition on the case's data) that long
  opgeschort  suspended by someone

Every reason is one SQL query with each row's own limit inside it (limits.LimitExpression),
so the counts and the page come straight from the database. `risico`, `bericht` and `stil`
read the maintained facts (stuck_reasons.py: what each instance's waits say, without the
clock or a limit) for the instances whose facts are current, and the rule itself (the
queries below) for the instances marked as changed since; both in one statement, so the list
is the rule's answer at every moment (stuck_reasons.py gives the argument). See
bench/stuck.py.

The statements are built once per scope, filter and state of the processes' limits and
versions (`_prepared`) and kept: the clock enters them only as named moments (now, each
limit's cutoff and horizon), computed for every list; a date or time written into a statement
any other way is refused when it is built (tests/manage/test_stuck_statements.py).
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import (
    String,
    and_,
    bindparam,
    case,
    cast,
    false,
    func,
    literal,
    null,
    select,
    text,
    union_all,
)
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import BindParameter

from app import clock
from app.db import UTCDateTime
from app.engine import failures
from app.engine.models import (
    HumanTask,
    Incident,
    IncidentStatus,
    InstanceEvent,
    InstanceStatus,
    Job,
    JobStatus,
    MessageSubscription,
    ProcessInstance,
    ProcessVersion,
    TaskStatus,
    Timer,
    WaitStatus,
)
from app.engine.runtime import database_key
from app.manage import queries
from app.manage.limits import AT_RISK, IDLE, MESSAGE, LimitExpression, Limits, WorkingDays
from app.manage.models import StuckFact
from app.manage.scope import Scope
from app.manage.stuck_reasons import EVERY_SCOPE, current, idle_subqueries, marked

REASONS: dict[str, str] = {
    "storing": "Storing",
    "timer": "Timer niet afgegaan",
    "te-laat": "Termijn verstreken",
    "risico": "Termijn in gevaar",
    "bericht": "Bericht blijft uit",
    "stil": "Geen voortgang",
    "opgeschort": "Opgeschort",
}
# A timer this late has not been fired by the scheduler (which ticks every few seconds).
TIMER_GRACE = timedelta(minutes=10)
# The flow waits for these; a boundary or event-subprocess message only listens.
AWAITING_TYPES = ("receiveTask", "intermediateCatchEvent")
PAGE_SIZE = 50
# The reasons read from the maintained facts where they are current (stuck_reasons.py).
# Missed timers are not: the rule reads the few timers long past due from the due-date index.
FACT_REASONS = ("storing", "te-laat", "risico", "bericht", "stil", "opgeschort")
NEVER = datetime(1900, 1, 1, tzinfo=clock.AMSTERDAM)
ACTIVE = (InstanceStatus.WAITING.value, InstanceStatus.RUNNING.value)

PI = ProcessInstance
F = StuckFact
_INSTANCE_COLUMNS = (
    PI.id,
    PI.definition_key,
    PI.version_id,
    PI.business_key,
    PI.municipality,
    PI.status,
)


@dataclass
class StuckRow:
    reason: str
    instance_id: str
    process_key: str
    version_id: int
    business_key: str | None
    municipality: str | None
    since: datetime
    due: datetime | None = None
    element_id: str | None = None
    detail: str = ""
    ref: str | None = None  # the incident's or the task's id
    # Filled in for the rows on the page only:
    days: int | None = None  # working days late, left, or without progress
    limit: int | None = None
    process_name: str = ""
    element_name: str = ""
    holders: list[str] = field(default_factory=list)

    @property
    def label(self) -> str:
        return REASONS[self.reason]

    @property
    def incident_id(self) -> int | None:
        return int(self.ref) if self.reason == "storing" and self.ref else None

    @property
    def task_id(self) -> str | None:
        return self.ref if self.reason in ("te-laat", "risico") else None


@dataclass
class Filters:
    process: str | None = None
    reason: str | None = None


@dataclass
class StuckList:
    counts: dict[str, int]  # per reason (with the process filter, whatever the reason filter)
    rows: list[StuckRow]  # the requested page
    page: int
    pages: int

    @property
    def total(self) -> int:
        return sum(self.counts.values())


# -- one query per reason ----------------------------------------------------------------------


def _columns(
    reason: str,
    since: Any,
    due: Any,
    element: Any,
    detail: Any,
    ref: Any,
    order: Any,
    keys: Any = None,
) -> list[Any]:
    """The list's columns; `keys` the instance's id, process, version and municipality when
    they come from elsewhere than its row (a fact holds them; the business key comes from the
    instance, for the page)."""
    instance, process, version, municipality = keys or (
        PI.id,
        PI.definition_key,
        PI.version_id,
        PI.municipality,
    )
    return [
        literal(reason).label("reason"),
        instance.label("instance_id"),
        process.label("process_key"),
        version.label("version_id"),
        PI.business_key.label("business_key"),
        municipality.label("municipality"),
        since.label("since"),
        due.label("due"),
        element.label("element_id"),
        cast(detail, String).label("detail"),
        cast(ref, String).label("ref"),
        order.label("sort_at"),
    ]


def _fact_columns(
    reason: str, since: Any, due: Any, element: Any, detail: Any, ref: Any, order: Any
) -> list[Any]:
    """`_columns` read from a fact."""
    keys = (F.instance_id, F.process_key, F.version_id, F.municipality)
    return _columns(reason, since, due, element, detail, ref, order, keys)


class _Queries:
    def __init__(
        self,
        session: Session,
        scope: Scope,
        filters: Filters,
        now: datetime,
        use_facts: bool = True,
    ) -> None:
        """use_facts=False: the rule alone, over every instance (what the facts must equal;
        tests/manage/test_stuck_facts.py compares the two)."""
        self.session = session
        self.use_facts = use_facts and current(session)
        self.scope = scope
        self.filters = filters
        self.now = now
        self.days = WorkingDays(now)
        self.limits = Limits(session)
        self._elements: dict[int, dict[str, Any]] | None = None
        # The moments a statement compares with, as named parameters (name -> the parameter
        # and how to compute its value): the statement is built once (`_prepared`), the
        # moments are computed for every list.
        self.moments: dict[str, tuple[BindParameter[Any], tuple[str, int]]] = {}
        self._key: tuple[Any, ...] | None = None

    def _moment(self, kind: str, limit: int = 0) -> BindParameter[Any]:
        name = f"{kind}_{limit}"
        if name not in self.moments:
            value = self.moment_value((kind, limit))
            self.moments[name] = (bindparam(name, value, type_=UTCDateTime()), (kind, limit))
        return self.moments[name][0]

    def moment_value(self, recipe: tuple[str, int]) -> datetime:
        kind, limit = recipe
        if kind == "now":
            return self.now
        if kind == "late":  # a timer this far past due was not fired
            return self.now - TIMER_GRACE
        if kind == "cutoff":
            return self.days.idle_cutoff(limit) if limit else NEVER
        if kind == "horizon":
            return self.days.risk_horizon(limit) if limit else self.now
        raise ValueError(kind)

    @property
    def _now(self) -> BindParameter[Any]:
        return self._moment("now")

    def key(self) -> tuple[Any, ...]:
        """Everything a statement is built from but the clock: the database (its versions,
        catalogues and elements by content hash, the municipalities' settings), the scope,
        the filter and whether facts are read. Worked out once per list."""
        if self._key is None:
            self._key = (
                database_key(self.session),
                self.scope.organisation_id,
                self.scope.municipality,
                self.filters.process,
                self.use_facts,
                tuple(sorted(repr(row) for row in self.limits.settings())),
                self.limits.fingerprint(),
            )
        return self._key

    def narrow(self, query: Any, per_row: bool = False, instance_id: Any = PI.id) -> Any:
        """The scope and the process filter. per_row: see Scope.condition; chosen per reason
        by measurement (bench/stuck.py), the result is the same either way. instance_id:
        the column the scope is checked on; the joined row's own instance id (equal to
        PI.id) lets PostgreSQL drop rows out of scope before it reads their instance."""
        query = self.scope.apply(query, instance_id, per_row)
        if self.filters.process:
            query = query.where(PI.definition_key == self.filters.process)
        return query

    def facts(self, query: Any, lean: bool) -> Any:
        """A query on the facts: current ones only (the unmarked instances), the scope and
        the process filter on the fact's own columns; the page's rows join the instance for
        its business key, the counts need not. The scope picks the facts' copy: an
        organisation's own (kept for each organisation playing a party, as Scope.condition
        asks), else the one for every scope, of the municipality's cases if one is given."""
        query = query.where(F.instance_id.not_in(marked()))
        if not lean:
            query = query.join(PI, PI.id == F.instance_id)
        if self.scope.municipality is not None:
            query = query.where(
                F.organisation_id == EVERY_SCOPE, F.municipality == self.scope.municipality
            )
        elif self.scope.organisation_id is not None:
            query = query.where(F.organisation_id == self.scope.organisation_id)
        else:
            query = query.where(F.organisation_id == EVERY_SCOPE)
        if self.filters.process:
            query = query.where(F.process_key == self.filters.process)
        return query

    def _elements_of_type(self, *types: str) -> dict[int, set[str]]:
        if self._elements is None:  # read once per list, not once per query
            self._elements = dict(
                self.session.execute(select(ProcessVersion.id, ProcessVersion.elements)).all()
            )
        return {
            version_id: {e for e, info in (elements or {}).items() if info.get("type") in types}
            for version_id, elements in self._elements.items()
        }

    def _cutoff(self, limit: int | None) -> BindParameter[Any]:
        return self._moment("cutoff", limit or 0)

    def _horizon(self, limit: int | None) -> BindParameter[Any]:
        return self._moment("horizon", limit or 0)

    def storing(self) -> Any:
        return self.narrow(
            select(
                *_columns(
                    "storing",
                    Incident.created_at,
                    null(),
                    Incident.element_id,
                    func.substr(Incident.message, 1, 300),
                    Incident.id,
                    Incident.created_at,
                )
            )
            .join(PI, PI.id == Incident.instance_id)
            .where(Incident.status == IncidentStatus.OPEN.value)
            .where(*self._marked(Incident.instance_id)),
            per_row=True,
            instance_id=Incident.instance_id,
        )

    def storing_facts(self, lean: bool) -> Any:
        """Open incidents from the facts (their message as the rule cuts it)."""
        columns = (
            [F.instance_id]
            if lean
            else _fact_columns("storing", F.moment, null(), F.element_id, F.detail, F.ref, F.moment)
        )
        return self.facts(select(*columns).where(F.kind == "incident"), lean)

    def timer(self) -> Any:
        return self.narrow(
            select(
                *_columns(
                    "timer",
                    Timer.due_at,
                    Timer.due_at,
                    Timer.element_id,
                    Timer.name,
                    null(),
                    Timer.due_at,
                )
            )
            .join(PI, PI.id == Timer.instance_id)
            .where(
                Timer.status == WaitStatus.WAITING.value,
                Timer.due_at < self._moment("late"),
                PI.status != InstanceStatus.SUSPENDED.value,
                # One the worker could not fire waits for its incident (listed as a storing).
                failures.blocked_by_firing_incident(),
            ),
            per_row=True,
            instance_id=Timer.instance_id,
        )

    def te_laat(self) -> Any:
        return self.narrow(
            select(
                *_columns(
                    "te-laat",
                    HumanTask.due_at,
                    HumanTask.due_at,
                    HumanTask.element_id,
                    HumanTask.name,
                    HumanTask.id,
                    HumanTask.due_at,
                )
            )
            .join(PI, PI.id == HumanTask.instance_id)
            .where(HumanTask.status == TaskStatus.OPEN.value, HumanTask.due_at < self._now)
            .where(*self._marked(HumanTask.instance_id)),
            per_row=True,
            instance_id=HumanTask.instance_id,
        )

    def te_laat_facts(self, lean: bool) -> Any:
        """Late tasks from the facts: a task's due date before now."""
        columns = (
            [F.instance_id]
            if lean
            else _fact_columns(
                "te-laat", F.moment, F.moment, F.element_id, F.detail, F.ref, F.moment
            )
        )
        return self.facts(select(*columns).where(F.kind == "task", F.moment < self._now), lean)

    def risico(self) -> Any:
        return union_all(*self.risico_parts())

    def risico_parts(self) -> list[Any]:
        limit = LimitExpression(self.limits, AT_RISK)
        task_horizon = limit.expression(
            self._horizon, PI.version_id, PI.municipality, HumanTask.element_id
        )
        tasks = self.narrow(
            select(
                *_columns(
                    "risico",
                    HumanTask.created_at,
                    HumanTask.due_at,
                    HumanTask.element_id,
                    HumanTask.name,
                    HumanTask.id,
                    HumanTask.due_at,
                )
            )
            .join(PI, PI.id == HumanTask.instance_id)
            .where(
                HumanTask.status == TaskStatus.OPEN.value,
                HumanTask.due_at >= self._now,
                HumanTask.due_at < self._horizon(self._widest(AT_RISK)),
                HumanTask.due_at < task_horizon,
            )
            .where(*self._marked(HumanTask.instance_id)),
            # A probe per task read from the due-date index (a few thousand within the
            # horizon), before the instance is read: bench/README.md, 7 December.
            per_row=True,
            instance_id=HumanTask.instance_id,
        )
        # A boundary timer is the term of the activity it is attached to.
        boundaries = self._elements_of_type("boundaryEvent")
        timer_horizon = limit.expression(
            self._horizon, PI.version_id, PI.municipality, Timer.element_id, only=boundaries
        )
        timers = self.narrow(
            select(
                *_columns(
                    "risico",
                    Timer.created_at,
                    Timer.due_at,
                    Timer.element_id,
                    Timer.name,
                    null(),
                    Timer.due_at,
                )
            )
            .join(PI, PI.id == Timer.instance_id)
            .where(
                Timer.status == WaitStatus.WAITING.value,
                Timer.kind != "cycle",
                Timer.due_at >= self._now,
                Timer.due_at < self._horizon(self._widest(AT_RISK)),
                # Implied by the horizon (any other timer's is now), but read from the
                # due-date index: the other timers are dropped before their instance is.
                _among(Timer.element_id, boundaries),
                Timer.due_at < timer_horizon,
            )
            .where(*self._marked(Timer.instance_id)),
            # A few thousand timers due within the horizon: a probe each (45 ms at 100,000
            # cases) instead of hashing all the organisation's cases, which the planner
            # chose on an estimate ten times too low (57 ms), bench/README.md; on the
            # timer's instance id, so that only the timers in scope read their instance.
            per_row=True,
            instance_id=Timer.instance_id,
        )
        return [tasks, timers]

    def risico_facts(self, lean: bool) -> list[Any]:
        """At-risk tasks and boundary timers, from the facts: the same conditions on the
        fact's columns as `risico` puts on the task's and timer's."""
        limit = LimitExpression(self.limits, AT_RISK)
        widest = self._horizon(self._widest(AT_RISK))
        boundaries = self._elements_of_type("boundaryEvent")
        parts = []
        for kind, only, ref in (("task", None, F.ref), ("timer", boundaries, null())):
            horizon = limit.expression(
                self._horizon, F.version_id, F.municipality, F.element_id, only=only
            )
            columns = (
                [F.instance_id]
                if lean
                else _fact_columns(
                    "risico", F.since, F.moment, F.element_id, F.detail, ref, F.moment
                )
            )
            query = select(*columns).where(
                F.kind == kind, F.moment >= self._now, F.moment < widest, F.moment < horizon
            )
            if only is not None:
                query = query.where(_among(F.element_id, only))
            parts.append(self.facts(query, lean))
        return parts

    def _marked(self, instance_id: Any) -> list[Any]:
        """The rule's query keeps to the instances whose facts are not current (all of them
        when the list reads no facts)."""
        return [instance_id.in_(marked())] if self.use_facts else []

    def bericht(self) -> Any:
        awaiting = self._elements_of_type(*AWAITING_TYPES)
        cutoff = LimitExpression(self.limits, MESSAGE).expression(
            self._cutoff,
            PI.version_id,
            PI.municipality,
            MessageSubscription.element_id,
            only=awaiting,
        )
        return self.narrow(
            select(
                *_columns(
                    "bericht",
                    MessageSubscription.created_at,
                    null(),
                    MessageSubscription.element_id,
                    MessageSubscription.message_name,
                    null(),
                    MessageSubscription.created_at,
                )
            )
            .join(PI, PI.id == MessageSubscription.instance_id)
            .where(
                MessageSubscription.status == WaitStatus.WAITING.value,
                MessageSubscription.created_at < self._cutoff(self._narrowest(MESSAGE)),
                # Implied by the cutoff (any other subscription's is NEVER); checked first.
                _among(MessageSubscription.element_id, awaiting),
                PI.status.in_(ACTIVE),
                MessageSubscription.created_at < cutoff,
                *self._marked(MessageSubscription.instance_id),
            ),
            per_row=True,
            instance_id=MessageSubscription.instance_id,
        )

    def bericht_facts(self, lean: bool) -> Any:
        """Awaited messages from the facts (an inactive instance's have none)."""
        awaiting = self._elements_of_type(*AWAITING_TYPES)
        cutoff = LimitExpression(self.limits, MESSAGE).expression(
            self._cutoff, F.version_id, F.municipality, F.element_id, only=awaiting
        )
        columns = (
            [F.instance_id]
            if lean
            else _fact_columns(
                "bericht", F.moment, null(), F.element_id, F.detail, null(), F.moment
            )
        )
        return self.facts(
            select(*columns).where(
                F.kind == "message",
                F.moment < self._cutoff(self._narrowest(MESSAGE)),
                _among(F.element_id, awaiting),
                F.moment < cutoff,
            ),
            lean,
        )

    def stil(self) -> Any:
        """Instances waiting at a task or a service task without progress for longer than the
        limit of that activity (the smallest of the limits of the activities it waits at;
        the process's limit where an activity has none). Progress is an engine transition
        (updated_at, written with the transition's history events) or any later history event
        (a signal added to the case, a consent recorded). An instance that waits for nothing
        a person, the worker, a timer or a message brings (a BPMN signal, a condition on its
        data) counts against the process's limit: else it would be in no list at all."""
        idle = LimitExpression(self.limits, IDLE)

        def latest_cutoff(model: Any, open_status: str) -> Any:
            cutoff = idle.expression(self._cutoff, PI.version_id, PI.municipality, model.element_id)
            # When no version has a limit per activity, the expression reads only the outer
            # row, and PostgreSQL would make max() an aggregate of the outer query (a
            # GroupingError on the whole list): the CASE on the row's own column keeps it here.
            own_row = case((model.instance_id.is_not(None), cutoff))
            return (
                select(func.max(own_row))
                .where(model.instance_id == PI.id, model.status == open_status)
                .scalar_subquery()
            )

        last_event, waiting_timer = idle_subqueries()
        waiting_message = (
            select(MessageSubscription.id)
            .where(
                MessageSubscription.instance_id == PI.id,
                MessageSubscription.status == WaitStatus.WAITING.value,
            )
            .limit(1)
            .scalar_subquery()
        )
        # The candidates are worked out once, read from ix_process_instance_active_updated
        # alone, with one index probe per candidate for each subquery below (scalar
        # subqueries with LIMIT: never a hash of a whole table; the planner overestimates the
        # candidates, see migration 0006); the scope is a semi-join (Scope.condition), at most
        # one hash of the organisation's cases. The comparisons are made outside, on plain
        # columns.
        candidates = select(
            *_INSTANCE_COLUMNS,
            PI.updated_at,
            last_event.label("last_event"),
            latest_cutoff(HumanTask, TaskStatus.OPEN.value).label("task_cutoff"),
            latest_cutoff(Job, JobStatus.PENDING.value).label("job_cutoff"),
            waiting_message.label("waiting_message"),
            idle.expression(self._cutoff, PI.version_id, PI.municipality).label("process_cutoff"),
        ).where(
            PI.status.in_(ACTIVE),
            PI.updated_at < self._cutoff(self._narrowest(IDLE)),
            *self._marked(PI.id),
            waiting_timer.is_(None),
        )
        candidates = self.narrow(candidates).cte("idle_candidates").prefix_with("MATERIALIZED")
        c = candidates.c
        moved = case((c.last_event > c.updated_at, c.last_event), else_=c.updated_at)
        cutoff = case(
            (
                and_(
                    c.task_cutoff.is_(None),
                    c.job_cutoff.is_(None),
                    c.waiting_message.is_(None),  # those are listed as "bericht"
                ),
                c.process_cutoff,
            ),
            (c.task_cutoff.is_(None), c.job_cutoff),
            (c.job_cutoff.is_(None), c.task_cutoff),
            (c.task_cutoff > c.job_cutoff, c.task_cutoff),
            else_=c.job_cutoff,
        )
        return select(
            literal("stil").label("reason"),
            c.id.label("instance_id"),
            c.definition_key.label("process_key"),
            c.version_id.label("version_id"),
            c.business_key.label("business_key"),
            c.municipality.label("municipality"),
            moved.label("since"),
            null().label("due"),
            cast(null(), String).label("element_id"),
            cast(null(), String).label("detail"),
            cast(null(), String).label("ref"),
            moved.label("sort_at"),
        ).where(moved < cutoff)

    def stil_facts(self, lean: bool) -> Any:
        """Idle instances from the facts: one fact per activity waited at (or one for the
        process), all with the moment the instance last moved; the instance is idle when
        that moment is before the cutoff of any of them (the latest cutoff, as in `stil`)."""
        cutoff = LimitExpression(self.limits, IDLE).expression(
            self._cutoff, F.version_id, F.municipality, F.element_id
        )
        columns = (
            [F.instance_id]
            if lean
            else [
                literal("stil").label("reason"),
                F.instance_id.label("instance_id"),
                F.process_key.label("process_key"),
                F.version_id.label("version_id"),
                PI.business_key.label("business_key"),
                F.municipality.label("municipality"),
                F.moment.label("since"),
                null().label("due"),
                cast(null(), String).label("element_id"),
                cast(null(), String).label("detail"),
                cast(null(), String).label("ref"),
                F.moment.label("sort_at"),
            ]
        )
        return self.facts(
            select(*columns)
            .where(
                F.kind == "idle",
                F.moment < self._cutoff(self._narrowest(IDLE)),
                F.moment < cutoff,
            )
            .distinct(),
            lean,
        )

    def opgeschort(self) -> Any:
        # Nothing but resuming or cancelling changes a suspended instance: updated_at is
        # the moment it was suspended.
        return self.narrow(
            select(
                *_columns(
                    "opgeschort", PI.updated_at, null(), null(), null(), null(), PI.updated_at
                )
            ).where(PI.status == InstanceStatus.SUSPENDED.value, *self._marked(PI.id)),
            # A few hundred suspended cases: a probe each (2.5 ms at 100,000 cases) instead
            # of the organisation's 25,000 parties merged (14 ms), bench/README.md.
            per_row=True,
        )

    def opgeschort_facts(self, lean: bool) -> Any:
        """Suspended cases from the facts."""
        columns = (
            [F.instance_id]
            if lean
            else _fact_columns("opgeschort", F.moment, null(), null(), null(), null(), F.moment)
        )
        return self.facts(select(*columns).where(F.kind == "suspended"), lean)

    def _narrowest(self, name: str) -> int | None:
        bounds = self.limits.bounds(name)
        return bounds[0] if bounds else None

    def _widest(self, name: str) -> int | None:
        bounds = self.limits.bounds(name)
        return bounds[1] if bounds else None

    def reason(self, reason: str) -> Any:
        """The rows of a reason, in `_columns`: the rule's, and where facts are kept for
        the reason, theirs (the two never hold the same instance)."""
        if not self.use_facts or reason not in FACT_REASONS:
            return getattr(self, reason.replace("-", "_"))()
        return union_all(*self._rule_parts(reason), *self._fact_parts(reason, lean=False))

    def _rule_parts(self, reason: str) -> list[Any]:
        if reason == "risico":
            return self.risico_parts()
        return [getattr(self, reason.replace("-", "_"))()]

    def _fact_parts(self, reason: str, lean: bool) -> list[Any]:
        facts = getattr(self, reason.replace("-", "_") + "_facts")(lean=lean)
        return facts if isinstance(facts, list) else [facts]

    def counted(self, reason: str) -> list[Any]:
        """The queries whose rows are counted (and summed) for a reason's tab. Late tasks
        are counted on the task rows alone (the task carries its instance and process, and
        the due-date index both, so no instance is read per late task); the facts on their
        own index (stuck_reasons.py); the other reasons filter on the instance too."""
        facts = (
            self._fact_parts(reason, lean=True) if self.use_facts and reason in FACT_REASONS else []
        )
        if reason != "te-laat":
            return [*(self._rule_parts(reason) if facts else [self.reason(reason)]), *facts]
        query = self.scope.apply(
            select(HumanTask.id).where(
                HumanTask.status == TaskStatus.OPEN.value,
                HumanTask.due_at < self._now,
                *self._marked(HumanTask.instance_id),
            ),
            HumanTask.instance_id,
            per_row=True,
        )
        if self.filters.process:
            query = query.where(HumanTask.definition_key == self.filters.process)
        return [query, *facts]


def _among(element: Any, per_version: dict[int, set[str]]) -> Any:
    """The element is one of these in some version (a necessary condition only)."""
    every = sorted(set().union(*per_version.values()))
    return element.in_(every) if every else false()


# -- the list ---------------------------------------------------------------------------------


def counts(
    session: Session,
    scope: Scope,
    filters: Filters | None = None,
    now: datetime | None = None,
    use_facts: bool = True,
) -> dict[str, int]:
    built = _Queries(session, scope, filters or Filters(), now or clock.now(), use_facts)
    return _counts(built)


def _counts(built: _Queries) -> dict[str, int]:
    """Every tab's count in one statement: one snapshot, so the facts and the marks that
    say which of them are current are read together (stuck_reasons.py)."""

    def build() -> tuple[Any, list[int]]:
        counts = [
            [
                select(func.count()).select_from(part.subquery()).scalar_subquery()
                for part in built.counted(r)
            ]
            for r in REASONS
        ]
        return select(*(c for parts in counts for c in parts)), [len(p) for p in counts]

    statement, sizes, params = _prepared(built, "counts", build)
    values = built.session.execute(statement, params).one()
    totals, at = {}, 0
    for reason, size in zip(REASONS, sizes, strict=True):
        totals[reason] = sum(int(v or 0) for v in values[at : at + size])
        at += size
    return totals


def _ordered(built: _Queries, reason: str) -> tuple[Any, dict[str, datetime]]:
    """A reason's rows in list order, and the moments to run it with."""

    def build() -> tuple[Any, None]:
        query = built.reason(reason).subquery()
        order = (query.c.sort_at, query.c.instance_id, query.c.element_id)
        return select(query).order_by(*order), None

    statement, _none, params = _prepared(built, reason, build)
    return statement, params


# Built statements by `_Queries.key()` and name. Building one is most of a list's time in
# Python (the seven reasons' queries, their limits as CASE expressions, SQLAlchemy's
# column collections: 20-30 ms a list at 100,000 cases, bench/README.md); the clock enters
# only through the named moments, computed anew for every list.
_Kept = tuple[Any, Any, dict[str, tuple[str, int]]]  # statement, what else build gave, moments
_STATEMENTS: OrderedDict[tuple[Any, ...], _Kept] = OrderedDict()
_STATEMENTS_KEPT = 256
_statements_lock = threading.Lock()


def _prepared(
    built: _Queries, name: str, build: Callable[[], tuple[Any, Any]]
) -> tuple[Any, Any, dict[str, Any]]:
    """The statement (and what else) `build` gives for this key, built once, and the values
    of its moments now."""
    key = (*built.key(), name)
    with _statements_lock:
        found = _STATEMENTS.get(key)
        if found is not None:
            _STATEMENTS.move_to_end(key)
    if found is None:
        built.moments = {}
        statement, extra = build()
        recipes = {n: recipe for n, (_param, recipe) in built.moments.items()}
        _refuse_fixed_moments(statement, recipes, built.session)
        found = (statement, extra, recipes)
        with _statements_lock:
            _STATEMENTS[key] = found
            while len(_STATEMENTS) > _STATEMENTS_KEPT:
                _STATEMENTS.popitem(last=False)
    statement, extra, recipes = found
    return statement, extra, {n: built.moment_value(recipe) for n, recipe in recipes.items()}


def _refuse_fixed_moments(statement: Any, recipes: dict[str, Any], session: Session) -> None:
    """A moment written into a statement as a fixed value would be reused at every later
    moment: each date or time must be one of the named moments."""
    compiled = statement.compile(dialect=session.get_bind().dialect)
    for bind in compiled.binds.values():
        if isinstance(bind.value, (datetime, date)) and bind.key not in recipes:
            raise RuntimeError(f"vast tijdstip {bind.key} in de vastgelegde stuck-query")


def stuck_list(
    session: Session,
    scope: Scope,
    filters: Filters | None = None,
    page: int = 1,
    now: datetime | None = None,
    size: int = PAGE_SIZE,
    use_facts: bool = True,
) -> StuckList:
    filters = filters or Filters()
    built = _Queries(session, scope, filters, now or clock.now(), use_facts)
    _no_jit(session)
    totals = _counts(built)
    reasons = [filters.reason] if filters.reason in REASONS else list(REASONS)
    matching = sum(totals[r] for r in reasons)
    pages = max(1, -(-matching // size))
    page = min(max(page, 1), pages)
    # The list is ordered by reason, then by moment: a page spans one or two reasons.
    start, rows = (page - 1) * size, []
    for reason in reasons:
        if start >= totals[reason]:
            start -= totals[reason]
            continue
        want = size - len(rows)
        ordered, params = _ordered(built, reason)
        found = session.execute(ordered.offset(start).limit(want), params).all()
        rows.extend(_from_sql(r) for r in found)
        start = 0
        if len(rows) >= size:
            break
    describe(session, rows, built.days, built.limits)
    return StuckList(totals, rows, page, pages)


def all_rows(
    session: Session,
    scope: Scope,
    filters: Filters | None = None,
    now: datetime | None = None,
    use_facts: bool = True,
) -> list[StuckRow]:
    """Every row of the list (for tests and exports), in list order, not described.
    use_facts=False: by the rule alone (what the facts must give)."""
    filters = filters or Filters()
    built = _Queries(session, scope, filters, now or clock.now(), use_facts)
    rows: list[StuckRow] = []
    for reason in [filters.reason] if filters.reason else list(REASONS):
        ordered, params = _ordered(built, reason)
        rows.extend(_from_sql(r) for r in session.execute(ordered, params))
    return rows


def _no_jit(session: Session) -> None:
    """PostgreSQL compiles queries it thinks costly; these are cheap (index probes) but look
    costly to the planner, and compiling took longer than running (measured 270 ms)."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SET LOCAL jit = off"))


def _from_sql(row: Any) -> StuckRow:
    return StuckRow(
        reason=row.reason,
        instance_id=row.instance_id,
        process_key=row.process_key,
        version_id=row.version_id,
        business_key=row.business_key,
        municipality=row.municipality,
        since=row.since,
        due=row.due,
        element_id=row.element_id,
        detail=_first_line(row.detail),
        ref=row.ref,
    )


def _first_line(text: str | None, length: int = 300) -> str:
    line = (text or "").strip().split("\n", 1)[0]
    return line if len(line) <= length else line[: length - 1] + "…"


# -- what the page shows besides the row itself ------------------------------------------------

_LIMIT_OF = {"risico": AT_RISK, "bericht": MESSAGE, "stil": IDLE}


def describe(
    session: Session,
    rows: list[StuckRow],
    days: WorkingDays | None = None,
    limits: Limits | None = None,
) -> list[StuckRow]:
    """Names, working days, limits and who holds each case, for the rows about to be shown."""
    if not rows:
        return rows
    days = days or WorkingDays(clock.now())
    limits = limits or Limits(session)
    names = queries.process_names(session)
    ids = sorted({row.instance_id for row in rows})
    open_tasks = session.execute(
        select(
            HumanTask.id,
            HumanTask.instance_id,
            HumanTask.element_id,
            HumanTask.assignee,
            HumanTask.candidate_groups,
        )
        .where(HumanTask.instance_id.in_(ids), HumanTask.status == TaskStatus.OPEN.value)
        .order_by(HumanTask.created_at)
    ).all()
    groups = queries.group_names(session, (g for t in open_tasks for g in t.candidate_groups or []))
    people = queries.user_names(session, (t.assignee for t in open_tasks if t.assignee))
    last_events = dict(
        session.execute(
            select(InstanceEvent.instance_id, func.max(InstanceEvent.at))
            .where(InstanceEvent.instance_id.in_(ids))
            .group_by(InstanceEvent.instance_id)
        ).all()
    )
    by_instance: dict[str, list[Any]] = {}
    for task in open_tasks:
        by_instance.setdefault(task.instance_id, []).append(task)
    waits = {
        instance_id: {t.element_id for t in tasks} for instance_id, tasks in by_instance.items()
    }
    for instance_id, element_id in session.execute(
        select(Job.instance_id, Job.element_id).where(
            Job.instance_id.in_(ids), Job.status == JobStatus.PENDING.value
        )
    ):
        waits.setdefault(instance_id, set()).add(element_id)
    for row in rows:
        row.process_name = names.get(row.process_key, row.process_key)
        if row.reason == "stil":
            row.since = max(row.since, last_events.get(row.instance_id, row.since))
            row.element_id = _tightest(row, waits.get(row.instance_id, set()), limits)
        row.element_name = queries.element_name(session, row.version_id, row.element_id)
        if row.reason in ("te-laat", "timer"):
            row.days = days.since(row.since)
        elif row.reason == "risico" and row.due is not None:
            row.days = days.until(row.due)
        else:
            row.days = days.since(row.since)
        if row.reason in _LIMIT_OF:
            row.limit = limits.get(
                row.version_id,
                row.process_key,
                row.municipality,
                _LIMIT_OF[row.reason],
                row.element_id,
            )
        tasks = by_instance.get(row.instance_id, [])
        if row.task_id:
            tasks = [t for t in tasks if t.id == row.task_id]
        row.holders = sorted({h for task in tasks for h in _holders(task, groups, people)})
    return rows


def _tightest(row: StuckRow, elements: set[str], limits: Limits) -> str | None:
    """The activity whose idle limit the instance has passed first (the smallest limit)."""
    found = [
        (limit, element)
        for element in sorted(elements)
        if (limit := limits.get(row.version_id, row.process_key, row.municipality, IDLE, element))
        is not None
    ]
    return min(found)[1] if found else None


def _holders(task: Any, groups: dict[str, str], people: dict[str, str]) -> list[str]:
    if task.assignee:
        return [people.get(task.assignee, task.assignee)]
    return [groups.get(g, g) for g in task.candidate_groups or []]
