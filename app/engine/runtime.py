"""Load, advance and save one instance under a lock.

Every change to an instance goes through `Execution`: it locks the instance row (FOR UPDATE on
PostgreSQL; SQLite write transactions start with BEGIN IMMEDIATE), restores the workflow,
lets the caller act on it, runs the engine to the next wait state, and writes back the state,
the wait-state rows that changed and the history, all in the caller's transaction. A revision
column makes a lost update impossible even without the lock.

Wait states are diffed in memory: a snapshot before the action and one after tell exactly which
task, job, timer and subscription rows to insert or close, so a transition never re-reads them.
This is the hottest path of the product, so it writes with prepared Core statements (one
round trip per table) instead of ORM units of work; see bench/engine.py.
"""

from __future__ import annotations

import traceback
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from SpiffWorkflow.bpmn import BpmnWorkflow
from SpiffWorkflow.bpmn.specs.event_definitions.message import MessageEventDefinition
from SpiffWorkflow.bpmn.specs.event_definitions.timer import (
    CycleTimerEventDefinition,
    DurationTimerEventDefinition,
    TimerEventDefinition,
)
from SpiffWorkflow.bpmn.specs.mixins.events.end_event import EndEvent
from SpiffWorkflow.task import Task
from SpiffWorkflow.util.task import TaskState
from sqlalchemy import bindparam, insert, inspect, select, update
from sqlalchemy.orm import Session, make_transient_to_detached
from sqlalchemy.orm.attributes import set_committed_value

from app import clock
from app.catalogue import from_json
from app.engine import hooks, spiff_clock
from app.engine.budget import Budget, evaluation_budget
from app.engine.errors import Conflict, NotFound
from app.engine.models import (
    HumanTask,
    HumanTaskGroup,
    Incident,
    IncidentStatus,
    InstanceEvent,
    InstanceParty,
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
from app.engine.script_engine import script_engine
from app.engine.serializer import spec_from_json, workflow_from_json, workflow_to_json

spiff_clock.install()


_CURRENT: ContextVar[Execution | None] = ContextVar("stroom_execution", default=None)


def current_execution() -> Execution | None:
    """The transition under way, for diagram functions that ask about the case."""
    return _CURRENT.get()


DEFAULT_PRIORITY = 50


@dataclass(frozen=True)
class Wait:
    """One thing an instance waits on, as seen in the workflow."""

    kind: str  # task, job, timer, message
    task_id: str
    element_id: str
    value: Any = None  # timer: due datetime; message: name


def _element_id(task: Task) -> str:
    return task.task_spec.bpmn_id or task.task_spec.name


def _extensions(task: Task) -> dict[str, Any]:
    return getattr(task.task_spec, "extensions", None) or {}


def _timer_due(task: Task) -> datetime | None:
    definition = task.task_spec.event_definition
    value = task._get_internal_data("event_value")
    if value is None:
        return None
    if isinstance(definition, CycleTimerEventDefinition):
        if not isinstance(value, dict) or value.get("cycles") == 0:
            return None
        value = value["next"]
    return TimerEventDefinition.get_datetime(value)


def snapshot(workflow: BpmnWorkflow) -> dict[tuple[str, str], Wait]:
    waits: dict[tuple[str, str], Wait] = {}
    # One pass over the tree for people and jobs; the event manager holds the catching events.
    for task in workflow.get_tasks(state=TaskState.READY | TaskState.STARTED):
        if task.state == TaskState.READY:
            if task.task_spec.manual:
                waits[("task", str(task.id))] = Wait("task", str(task.id), _element_id(task))
        elif _extensions(task).get("topic"):
            waits[("job", str(task.id))] = Wait("job", str(task.id), _element_id(task))
    for task in workflow.event_manager.tasks.values():
        if not task.has_state(TaskState.WAITING):
            continue
        definition = task.task_spec.event_definition
        if isinstance(definition, TimerEventDefinition):
            due = _timer_due(task)
            if due is not None:
                waits[("timer", str(task.id))] = Wait("timer", str(task.id), _element_id(task), due)
        elif isinstance(definition, MessageEventDefinition):
            waits[("message", str(task.id))] = Wait(
                "message", str(task.id), _element_id(task), definition.name
            )
    return waits


_LOCK_BY_ID = (
    select(ProcessInstance)
    .where(ProcessInstance.id == bindparam("instance_id"))
    .with_for_update()
    .execution_options(populate_existing=True)
)
_LOCK_BY_TASK = (
    select(ProcessInstance)
    .where(
        ProcessInstance.id
        == select(HumanTask.instance_id)
        .where(HumanTask.id == bindparam("task_id"))
        .scalar_subquery()
    )
    .with_for_update()
    .execution_options(populate_existing=True)
)


def lock_instance_of_task(session: Session, task_id: str) -> ProcessInstance:
    """Lock the instance a human task belongs to, in one round trip."""
    row = session.execute(_LOCK_BY_TASK, {"task_id": task_id}).scalar_one_or_none()
    if row is None:
        raise NotFound(f"taak {task_id} bestaat niet")
    return row


def lock_instance(session: Session, instance_id: str) -> ProcessInstance:
    row = session.execute(_LOCK_BY_ID, {"instance_id": instance_id}).scalar_one_or_none()
    if row is None:
        raise NotFound(f"procesinstantie {instance_id} bestaat niet")
    return row


# -- prepared writes ----------------------------------------------------------------------------

_TABLES: dict[str, Any] = {
    "task": HumanTask.__table__,
    "job": Job.__table__,
    "timer": Timer.__table__,
    "message": MessageSubscription.__table__,
}
_OPEN = {
    "task": TaskStatus.OPEN.value,
    "job": JobStatus.PENDING.value,
    "timer": WaitStatus.WAITING.value,
    "message": WaitStatus.WAITING.value,
}
_DONE_VALUES = {
    "task": {
        "status": TaskStatus.COMPLETED.value,
        "completed_at": bindparam("now"),
        "completed_by": bindparam("by"),
    },
    "job": {
        "status": JobStatus.DONE.value,
        "completed_at": bindparam("now"),
        "locked_by": None,
        "locked_until": None,
    },
    "timer": {"status": WaitStatus.DONE.value, "fired_at": bindparam("now")},
    "message": {"status": WaitStatus.DONE.value, "delivered_at": bindparam("now")},
}
_CANCEL_VALUES = {
    "task": {"status": TaskStatus.CANCELLED.value},
    "job": {"status": JobStatus.CANCELLED.value, "locked_by": None, "locked_until": None},
    "timer": {"status": WaitStatus.CANCELLED.value},
    "message": {"status": WaitStatus.CANCELLED.value},
}


def _close_statement(kind: str, done: bool) -> Any:
    table = _TABLES[kind]
    id_col = table.c.id if kind == "task" else table.c.spiff_task_id
    return (
        update(table)
        .where(
            table.c.instance_id == bindparam("iid"),
            id_col == bindparam("tid"),
            table.c.status == _OPEN[kind],
        )
        .values(**(_DONE_VALUES if done else _CANCEL_VALUES)[kind])
    )


_CLOSE = {(kind, done): _close_statement(kind, done) for kind in _TABLES for done in (True, False)}
# Group rows exist only while a task is open, so a team's inbox is an index lookup over its
# open tasks alone (completed tasks keep their candidate_groups column).
_UNGROUP = HumanTaskGroup.__table__.delete().where(
    HumanTaskGroup.__table__.c.task_id == bindparam("tid")
)
_MOVE_TIMER = (
    update(Timer.__table__)
    .where(
        Timer.__table__.c.instance_id == bindparam("iid"),
        Timer.__table__.c.spiff_task_id == bindparam("tid"),
        Timer.__table__.c.status == WaitStatus.WAITING.value,
    )
    .values(due_at=bindparam("due"))
)
_PI = ProcessInstance.__table__
_SAVED_COLUMNS = (
    "state",
    "status",
    "updated_at",
    "ended_at",
    "suspended_status",
    "phase",
    "data",
    "data_expires_at",
)
_UPDATE_INSTANCE = (
    update(_PI)
    .where(_PI.c.id == bindparam("iid"), _PI.c.revision == bindparam("old_revision"))
    .values(**{c: bindparam(f"v_{c}") for c in _SAVED_COLUMNS}, revision=bindparam("new_revision"))
)
_INSERTS = {
    name: insert(model.__table__)
    for name, model in (
        ("task", HumanTask),
        ("group", HumanTaskGroup),
        ("job", Job),
        ("timer", Timer),
        ("message", MessageSubscription),
        ("event", InstanceEvent),
    )
}
_INSERT_ORDER = ("task", "group", "job", "timer", "message", "event")
_PARTIES = insert(InstanceParty.__table__)
_DEFERRED = "stroom_deferred_inserts"


class InsertBuffer:
    """Rows held back to be written per table in one statement each, in the order the tables
    first appeared (a new instance's row comes before its tasks and events)."""

    def __init__(self) -> None:
        self.rows: dict[Any, list[dict[str, Any]]] = {}

    def add(self, table: Any, rows: list[dict[str, Any]]) -> None:
        if rows:
            self.rows.setdefault(table, []).extend(rows)

    def flush(self, session: Session) -> None:
        for table, rows in self.rows.items():
            session.execute(insert(table), rows)
        self.rows = {}


@contextmanager
def deferred_inserts(session: Session) -> Iterator[InsertBuffer]:
    """Start many instances in one transaction with a few statements instead of several per
    instance (the intake of a file). New instances that reach a wait state are buffered; any
    other save writes the buffer first. Code inside the block must not query the buffered
    rows (it may start instances, not open them). Written when the block ends without an
    error; an error discards the buffer with the caller's transaction."""
    buffer = InsertBuffer()
    session.info[_DEFERRED] = buffer
    try:
        yield buffer
        buffer.flush(session)
    finally:
        session.info.pop(_DEFERRED, None)


_SPECS: dict[tuple[str, int], tuple[Any, dict[str, Any]]] = {}


def version_spec(session: Session, version_id: int) -> tuple[Any, dict[str, Any]]:
    """The parsed spec of a deployed version. Versions never change once stored, so the cache
    lives as long as the process (keyed per database, since one process may use several)."""
    key = (str(session.get_bind().url), version_id)
    cached = _SPECS.get(key)
    if cached is None:
        text = session.scalar(
            select(ProcessVersion.spec_json).where(ProcessVersion.id == version_id)
        )
        if text is None:
            raise NotFound(f"versie {version_id} bestaat niet")
        cached = _SPECS[key] = spec_from_json(text)
    return cached


_CATALOGUES: dict[tuple[str, int], Any] = {}


def version_catalogue(session: Session, version_id: int) -> Any:
    """The data catalogue a version was deployed with (None for a diagram without one)."""
    key = (str(session.get_bind().url), version_id)
    if key not in _CATALOGUES:
        data = session.scalar(
            select(ProcessVersion.catalogue).where(ProcessVersion.id == version_id)
        )
        _CATALOGUES[key] = from_json(data) if data else None
    return _CATALOGUES[key]


def clear_spec_cache() -> None:
    """For tests that empty the database between cases."""
    _SPECS.clear()
    _CATALOGUES.clear()


def load_workflow(session: Session, version_id: int, state: str | None) -> BpmnWorkflow:
    spec, subprocess_specs = version_spec(session, version_id)
    if state is None:
        return BpmnWorkflow(spec, subprocess_specs, script_engine=script_engine())
    workflow = workflow_from_json(state, spec, subprocess_specs)
    workflow.script_engine = script_engine()
    return workflow


class Execution:
    """One transition of one instance, inside the caller's transaction."""

    def __init__(
        self,
        session: Session,
        row: ProcessInstance,
        workflow: BpmnWorkflow,
        actor: str | None,
        fresh: bool = False,
    ) -> None:
        self.session = session
        self.row = row
        self.workflow = workflow
        self.actor = actor
        self.before: dict[tuple[str, str], Wait] = {} if fresh else snapshot(workflow)
        self.now = clock.now()
        self.new_incident = False
        self.was_error = row.status == InstanceStatus.ERROR.value
        self.ended_before = row.status in InstanceStatus.ended()
        self.is_new = fresh
        # Rows to write at save, per table, and incidents (ORM: they need their ids).
        self._rows: dict[str, list[dict[str, Any]]] = {name: [] for name in _INSERT_ORDER}
        self._incidents: list[tuple[Incident, dict[str, Any]]] = []
        # Who completed a human task in this transition (written with the task's closing).
        self.completed_by: dict[str, str | None] = {}
        self.catalogue = version_catalogue(session, row.version_id)
        # party -> (organisation id, group key); loaded when first needed, or given at start.
        self._parties: dict[str, tuple[int, str]] | None = None
        self._new_parties = False

    # -- construction ---------------------------------------------------------------------

    @classmethod
    def open(cls, session: Session, instance_id: str, actor: str | None) -> Execution:
        return cls.for_row(session, lock_instance(session, instance_id), actor)

    @classmethod
    def for_row(cls, session: Session, row: ProcessInstance, actor: str | None) -> Execution:
        """For a row the caller has just locked."""
        workflow = load_workflow(session, row.version_id, row.state)
        return cls(session, row, workflow, actor)

    @classmethod
    def create(
        cls,
        session: Session,
        version: ProcessVersion,
        business_key: str | None,
        data: dict[str, Any],
        actor: str | None,
        parties: dict[str, tuple[int, str]] | None = None,
        municipality: str | None = None,
        instance_id: str | None = None,
    ) -> Execution:
        workflow = load_workflow(session, version.id, None)
        start = workflow.task_tree
        for task in workflow.get_tasks(state=TaskState.READY):
            start = task
        start.data.update(data)
        now = clock.now()
        row = ProcessInstance(
            id=instance_id or str(uuid.uuid4()),
            version_id=version.id,
            definition_key=version.definition.key,
            business_key=business_key,
            status=InstanceStatus.RUNNING.value,
            state="",
            started_at=now,
            updated_at=now,
            started_by=actor,
            municipality=municipality,
            data={},
        )
        row.version = version  # inserted by save(), which writes it before its wait states
        execution = cls(session, row, workflow, actor, fresh=True)
        execution._parties = dict(parties or {})
        execution._new_parties = True
        execution.record("instance_started", details={"version": version.version})
        return execution

    # -- acting -----------------------------------------------------------------------------

    def require_active(self) -> None:
        if self.row.status in InstanceStatus.ended():
            raise Conflict(f"procesinstantie is {self.row.status}")
        if self.row.status == InstanceStatus.SUSPENDED.value:
            raise Conflict("procesinstantie is opgeschort")

    def task(self, task_id: str) -> Task:
        task = find_task(self.workflow, task_id)
        if task is None:
            raise NotFound(f"taak {task_id} bestaat niet in deze instantie")
        return task

    def record(
        self,
        kind: str,
        element_id: str | None = None,
        task_id: str | None = None,
        details: dict[str, Any] | None = None,
    ) -> None:
        self._rows["event"].append(
            {
                "instance_id": self.row.id,
                "at": self.now,
                "kind": kind,
                "element_id": element_id,
                "task_id": task_id,
                "actor": self.actor,
                "details": details or {},
            }
        )

    def raise_incident(
        self,
        kind: str,
        message: str,
        *,
        task: Task | None = None,
        job_id: int | None = None,
        details: str | None = None,
    ) -> Incident:
        incident = Incident(
            instance_id=self.row.id,
            job_id=job_id,
            kind=kind,
            message=message[:4000],
            details=details,
            created_at=self.now,
            spiff_task_id=str(task.id) if task is not None else None,
            element_id=_element_id(task) if task is not None else None,
        )
        self.new_incident = True
        self.record(
            "incident_raised",
            incident.element_id,
            incident.spiff_task_id,
            {"kind": kind, "message": message[:500]},
        )
        # Written at save, after the instance row; the event learns the incident's id then.
        self._incidents.append((incident, self._rows["event"][-1]))
        return incident

    def run_engine(self) -> None:
        """Advance to the next wait state; a failing script or expression becomes an incident
        at its element, and everything done before it is kept."""
        token = _CURRENT.set(self)
        try:
            # Scripts and expressions of one run share a budget: a diagram that loops through
            # script tasks cannot hold the instance's lock for minutes (see budget.py).
            with evaluation_budget(Budget.RUN_SECONDS):
                # do_engine_steps() refreshes timers only at its end, leaving a timer that fires
                # there READY but not run; go round until nothing automatic is ready.
                self.workflow.refresh_timers()
                for _ in range(1000):
                    self.workflow.do_engine_steps()
                    if not any(
                        not t.task_spec.manual
                        for t in self.workflow.get_tasks(state=TaskState.READY)
                    ):
                        break
        except Exception as exc:  # noqa: BLE001 - every engine failure becomes an incident
            task = getattr(exc, "task", None) or _task_in_traceback(exc)
            if task is None:
                errored = self.workflow.get_tasks(state=TaskState.ERROR)
                task = errored[0] if errored else None
            kind = (
                "timer"
                if task is not None
                and hasattr(task.task_spec, "event_definition")
                and isinstance(task.task_spec.event_definition, TimerEventDefinition)
                else "script"
            )
            self.raise_incident(
                kind,
                describe_error(exc),
                task=task,
                details="".join(traceback.format_exception(exc)),
            )
        finally:
            _CURRENT.reset(token)

    def evaluate(self, task: Task, expression: str) -> Any:
        token = _CURRENT.set(self)
        try:
            return self.workflow.script_engine.environment.evaluate(expression, task.data)
        finally:
            _CURRENT.reset(token)

    # -- saving -----------------------------------------------------------------------------

    def save(self) -> ProcessInstance:
        with self.session.no_autoflush:
            return self._save()

    def _save(self) -> ProcessInstance:
        after = snapshot(self.workflow)
        self._sync(after)
        buffer: InsertBuffer | None = self.session.info.get(_DEFERRED)
        if buffer is not None and (not self.is_new or self._incidents or self.workflow.completed):
            # Only a new instance at a plain wait state is held back; anything else may read
            # or change rows in the buffer (erasure of a case's signals, incidents' ids).
            buffer.flush(self.session)
            buffer = None
        row = self.row
        if self.workflow.completed and row.status not in InstanceStatus.ended():
            self._erase_if_asked()

        values = {
            "state": workflow_to_json(self.workflow),
            "updated_at": self.now,
            "status": row.status,
            "ended_at": row.ended_at,
            "suspended_status": row.suspended_status,
            "phase": self._phase(after) or row.phase,
            "data": current_data(self.workflow, after),
            "data_expires_at": row.data_expires_at,
        }
        if self.workflow.completed and row.status not in InstanceStatus.ended():
            values.update(status=InstanceStatus.COMPLETED.value, ended_at=self.now)
            self.record("instance_completed")
        elif row.status not in InstanceStatus.ended() and row.status != "suspended":
            values["status"] = self._live_status(after)
        if values["status"] in InstanceStatus.ended() and not self.ended_before:
            ended_at = values["ended_at"]
            values["data_expires_at"] = ended_at and hooks.expiry(self.catalogue, ended_at)
        self._write_instance(values, buffer)
        if self._new_parties and self._parties:
            parties = [
                {"instance_id": row.id, "party": party, "organisation_id": org, "group_key": g}
                for party, (org, g) in self._parties.items()
            ]
            if buffer is not None:
                buffer.add(_PARTIES.table, parties)
            else:
                self.session.execute(_PARTIES, parties)
            self._new_parties = False
        if self._incidents:
            self.session.add_all([incident for incident, _ in self._incidents])
            self.session.flush()
            for incident, event in self._incidents:
                event["details"] = {**event["details"], "incident": incident.id}
            self._incidents = []
        for name in _INSERT_ORDER:
            if self._rows[name]:
                if buffer is not None:
                    buffer.add(_INSERTS[name].table, self._rows[name])
                else:
                    self.session.execute(_INSERTS[name], self._rows[name])
                self._rows[name] = []
        return row

    def _write_instance(self, values: dict[str, Any], buffer: InsertBuffer | None) -> None:
        """One INSERT or one revision-checked UPDATE; the ORM object is then marked clean,
        so no second write of it happens at commit."""
        row = self.row
        if self.is_new:
            for key, value in values.items():
                setattr(row, key, value)
            columns = {c.key: getattr(row, c.key) for c in _PI.columns}
            columns["revision"] = 1
            if buffer is not None:
                buffer.add(_PI, [columns])
            else:
                self.session.execute(insert(_PI), columns)
            row.revision = 1
            make_transient_to_detached(row)
            self.session.add(row)
            self.is_new = False
            return
        old_revision = inspect(row).committed_state.get("revision", row.revision)
        result = self.session.execute(
            _UPDATE_INSTANCE,
            {
                "iid": row.id,
                "old_revision": old_revision,
                "new_revision": old_revision + 1,
                **{f"v_{key}": value for key, value in values.items()},
            },
        )
        if result.rowcount != 1:
            raise Conflict("procesinstantie is tegelijk door iemand anders gewijzigd")
        for key, value in (*values.items(), ("revision", old_revision + 1)):
            set_committed_value(row, key, value)

    def _erase_if_asked(self) -> None:
        """An end event with extension property `gegevens = wissen` ends the case without its
        personal data: every value except those named in `bewaren` leaves the task tree, the
        case data and the signals that formed the case (e.g. a resident who wants no help:
        only the refusal is kept)."""
        ended = [
            t
            for t in self.workflow.get_tasks(state=TaskState.COMPLETED)
            if self.catalogue is not None
            and (_extensions(t).get("properties") or {}).get("gegevens") == "wissen"
        ]
        if not ended:
            return
        keep = {
            k.strip()
            for k in (_extensions(ended[0]).get("properties") or {}).get("bewaren", "").split(",")
            if k.strip()
        }
        removed = self.strip_data(lambda name: name in keep)
        # What the domains keep outside the workflow (signals, drafts, documents, consents).
        counts: dict[str, int] = {}
        for erase in hooks.at_erasure:
            erased = erase(self.session, self.row.id, keep)
            removed |= erased.fields
            counts.update(erased.counts)
        self.record(
            "gegevens_gewist",
            _element_id(ended[0]),
            details={"gewist": sorted(removed), "bewaard": sorted(keep), **counts},
        )

    def strip_data(self, keep: Callable[[str], bool]) -> set[str]:
        """Remove every value whose name `keep` refuses from the whole task tree (and the
        copy a finished workflow keeps in workflow.data); returns the names removed."""
        removed: set[str] = set()
        for wf in (self.workflow, *self.workflow.subprocesses.values()):
            objects = wf.data.get("data_objects") or {}
            removed |= {k for k in (set(wf.data) | set(objects)) - {"data_objects"} if not keep(k)}
            wf.data = {k: v for k, v in wf.data.items() if keep(k) or k == "data_objects"}
            wf.data["data_objects"] = {k: (v if keep(k) else None) for k, v in objects.items()}
            for task in wf.get_tasks():
                removed |= {k for k in task.data if not keep(k)}
                task.data = {k: v for k, v in task.data.items() if keep(k)}
        return removed

    def _live_status(self, after: dict[tuple[str, str], Wait]) -> str:
        if self.new_incident:
            return InstanceStatus.ERROR.value
        # Only an instance that had an incident can still have one open.
        if self.was_error and self.session.scalar(
            select(Incident.id)
            .where(
                Incident.instance_id == self.row.id, Incident.status == IncidentStatus.OPEN.value
            )
            .limit(1)
        ):
            return InstanceStatus.ERROR.value
        if any(w.kind == "job" for w in after.values()):
            return InstanceStatus.RUNNING.value
        return InstanceStatus.WAITING.value

    def _sync(self, after: dict[tuple[str, str], Wait]) -> None:
        before = self.before
        for key in before.keys() - after.keys():
            self._close(before[key])
        for key in after.keys() - before.keys():
            self._open(after[key])
        for key in after.keys() & before.keys():
            if after[key].kind == "timer" and after[key].value != before[key].value:
                self.session.execute(
                    _MOVE_TIMER, {"iid": self.row.id, "tid": key[1], "due": after[key].value}
                )

    def _close(self, wait: Wait) -> None:
        task = find_task(self.workflow, wait.task_id)
        done = task is not None and task.has_state(TaskState.COMPLETED)
        params: dict[str, Any] = {"iid": self.row.id, "tid": wait.task_id, "now": self.now}
        if wait.kind == "task" and done:
            params["by"] = self.completed_by.get(wait.task_id, self.actor)
        self.session.execute(_CLOSE[(wait.kind, done)], params)
        if wait.kind == "task":
            self.session.execute(_UNGROUP, {"tid": wait.task_id})

        if wait.kind == "timer" and done:
            self.record(
                "timer_fired", wait.element_id, wait.task_id, {"due": wait.value.isoformat()}
            )
        elif not done:
            self.record(f"{wait.kind}_cancelled", wait.element_id, wait.task_id)

    def _open(self, wait: Wait) -> None:
        task = self.task(wait.task_id)
        try:
            if wait.kind == "task":
                self._open_human_task(task)
            elif wait.kind == "job":
                self._open_job(task)
            elif wait.kind == "timer":
                self._rows["timer"].append(
                    {
                        "instance_id": self.row.id,
                        "spiff_task_id": wait.task_id,
                        "element_id": wait.element_id,
                        "name": task.task_spec.bpmn_name,
                        "kind": _timer_kind(task),
                        "due_at": wait.value,
                        "status": WaitStatus.WAITING.value,
                        "created_at": self.now,
                        "fired_at": None,
                    }
                )
                self.record(
                    "timer_scheduled",
                    wait.element_id,
                    wait.task_id,
                    {"due": wait.value.isoformat()},
                )
            elif wait.kind == "message":
                self._open_subscription(task, wait.value)
        except Exception as exc:  # noqa: BLE001 - a bad expression must not lose the transition
            self.raise_incident(
                "expression",
                f"{wait.element_id}: {describe_error(exc)}",
                task=task,
                details="".join(traceback.format_exception(exc)),
            )

    def parties(self) -> dict[str, tuple[int, str]]:
        if self._parties is None:
            self._parties = {
                p.party: (p.organisation_id, p.group_key)
                for p in self.session.scalars(
                    select(InstanceParty).where(InstanceParty.instance_id == self.row.id)
                )
            }
        return self._parties

    def _party_of(self, task: Task, candidates: list[str]) -> str | None:
        """The catalogue party doing a task: an explicit `partij` property, else the party
        its candidate group or its lane names."""
        if self.catalogue is None:
            return None
        explicit = (_extensions(task).get("properties") or {}).get("partij")
        return self.catalogue.party_for(explicit, *candidates, task.task_spec.lane)

    def _resolve_groups(self, groups: list[str]) -> list[str]:
        """Candidate groups that name a catalogue party become the group that plays that
        party in this case (e.g. `corporatie` -> the reporting corporation's team)."""
        if self.catalogue is None:
            return groups
        resolved = []
        for value in groups:
            party = self.catalogue.party_for(value)
            if party is None:
                resolved.append(value)
                continue
            bound = self.parties().get(party)
            if bound is None:
                raise ValueError(
                    f"partij {party!r} heeft in deze casus geen team; "
                    "leg de partijbinding vast en probeer opnieuw"
                )
            resolved.append(bound[1])
        return list(dict.fromkeys(resolved))

    def _phase(self, after: dict[tuple[str, str], Wait]) -> str | None:
        if self.catalogue is None:
            return None
        phases = [self.catalogue.phase_of(w.element_id) for w in after.values()]
        known = [p for p in phases if p is not None]
        if not known:
            if self.workflow.completed:
                return self._final_phase()
            return None

        return max(known, key=self.catalogue.phase_order)

    def _final_phase(self) -> str | None:
        """A finished case is in the furthest phase of the end events it reached, as a live
        case is in the furthest phase of its open work. An end event that only closes a
        wrapping sub-process (a process whose whole work is one sub-process) does not pull
        the case back."""
        assert self.catalogue is not None
        completed = list(self.workflow.get_tasks(state=TaskState.COMPLETED))
        ends = [
            self.catalogue.phase_of(_element_id(t))
            for t in completed
            if isinstance(t.task_spec, EndEvent)
        ]
        reached = [p for p in ends if p is not None]
        if reached:
            return max(reached, key=self.catalogue.phase_order)
        # No end event with a phase: the latest completed element that has one. Tree order
        # breaks ties: under a virtual clock every change has the same time.
        done = sorted(
            enumerate(completed), key=lambda p: (p[1].last_state_change, p[0]), reverse=True
        )
        for _, task in done:
            phase = self.catalogue.phase_of(_element_id(task))
            if phase is not None:
                return phase
        return None

    def _open_human_task(self, task: Task) -> None:
        ext = _extensions(task)
        named = list(dict.fromkeys(_as_list(self._maybe(task, ext.get("candidate_groups")))))
        party = self._party_of(task, named)
        groups = self._resolve_groups(named)
        users = _as_list(self._maybe(task, ext.get("candidate_users")))
        assignee = self._maybe(task, ext.get("assignee"))
        due = _as_datetime(self._maybe(task, ext.get("due_date")), "dueDate")
        follow_up = _as_datetime(self._maybe(task, ext.get("follow_up_date")), "followUpDate")
        priority = self._maybe(task, ext.get("priority"))
        form = ext.get("form") or getattr(getattr(task.task_spec, "form", None), "key", None)
        task_id = str(task.id)
        assignee = str(assignee) if assignee else None
        self._rows["task"].append(
            {
                "id": task_id,
                "instance_id": self.row.id,
                "definition_key": self.row.definition_key,
                "element_id": _element_id(task),
                "name": task.task_spec.bpmn_name or _element_id(task),
                "lane": task.task_spec.lane,
                "party": party,
                "form_key": form or None,
                "candidate_groups": groups,
                "candidate_users": users,
                "assignee": assignee,
                "priority": int(priority) if priority not in (None, "") else DEFAULT_PRIORITY,
                "due_at": due,
                "follow_up_at": follow_up,
                "status": TaskStatus.OPEN.value,
                "created_at": self.now,
                "claimed_at": self.now if assignee else None,
                "completed_at": None,
                "completed_by": None,
            }
        )
        row = self._rows["task"][-1]
        self._rows["group"].extend(
            {
                "task_id": task_id,
                "group_key": g,
                **{c: row[c] for c in ("assignee", "priority", "due_at", "created_at")},
            }
            for g in groups
        )

        self.record(
            "task_created",
            _element_id(task),
            task_id,
            {"groups": groups, "assignee": assignee, "due": due.isoformat() if due else None},
        )

    def _open_job(self, task: Task) -> None:
        ext = _extensions(task)
        inputs = {name: self.evaluate(task, expr) for name, expr in ext.get("inputs", [])}
        self._rows["job"].append(
            {
                "instance_id": self.row.id,
                "spiff_task_id": str(task.id),
                "element_id": _element_id(task),
                "topic": ext["topic"],
                "inputs": _jsonable(inputs),
                "status": JobStatus.PENDING.value,
                "attempts": 0,
                "next_attempt_at": self.now,
                "locked_by": None,
                "locked_until": None,
                "last_error": None,
                "created_at": self.now,
                "completed_at": None,
            }
        )
        self.record("job_created", _element_id(task), str(task.id), {"topic": ext["topic"]})

    def _open_subscription(self, task: Task, name: str) -> None:
        expr = _extensions(task).get("correlation_key")
        key = self.evaluate(task, expr) if expr else self.row.business_key
        self._rows["message"].append(
            {
                "instance_id": self.row.id,
                "spiff_task_id": str(task.id),
                "element_id": _element_id(task),
                "message_name": name,
                "correlation_key": None if key is None else str(key),
                "status": WaitStatus.WAITING.value,
                "created_at": self.now,
                "delivered_at": None,
            }
        )
        self.record(
            "message_awaited", _element_id(task), str(task.id), {"message": name, "key": key}
        )

    def _maybe(self, task: Task, expression: str | None) -> Any:
        return None if not expression else self.evaluate(task, expression)

    def forget_wait(self, kind: str, task_id: str) -> None:
        """Treat a wait as new at save time (its row could not be made before)."""
        self.before.pop((kind, task_id), None)


def find_task(workflow: BpmnWorkflow, task_id: str) -> Task | None:
    """The task with this id in the workflow or one of its subprocesses, or None.

    SpiffWorkflow removes the tasks of a cancelled branch from the tree (an open user task
    under a cancelled cycle timer, for one); its own lookup then raises instead of saying so.
    """
    key = uuid.UUID(task_id)
    for wf in (workflow, *workflow.subprocesses.values()):
        task = wf.tasks.get(key)
        if task is not None:
            return task
    return None


def current_data(workflow: BpmnWorkflow, waits: dict[tuple[str, str], Wait]) -> dict[str, Any]:
    """The case data now: what the waiting tasks hold (merged), or, once the instance has
    ended, what its last task held."""
    data: dict[str, Any] = {}
    found = [find_task(workflow, w.task_id) for w in waits.values()]
    tasks = [t for t in found if t is not None]
    if not tasks and workflow.last_task is not None:
        tasks = [workflow.last_task]
    for task in sorted(tasks, key=lambda t: t.last_state_change):
        data.update(task.data)
    return {k: _jsonable(v) for k, v in data.items() if not k.startswith("_")}


def _timer_kind(task: Task) -> str:
    definition = task.task_spec.event_definition
    if isinstance(definition, CycleTimerEventDefinition):
        return "cycle"
    if isinstance(definition, DurationTimerEventDefinition):
        return "duration"
    return "date"


def _as_list(value: Any) -> list[str]:
    if value is None or value == "":
        return []
    if isinstance(value, str):
        return [v.strip() for v in value.split(",") if v.strip()]
    return [str(v) for v in value]


def _as_datetime(value: Any, what: str) -> datetime | None:
    if value is None or value == "":
        return None
    moment = value if isinstance(value, datetime) else datetime.fromisoformat(str(value))
    if moment.tzinfo is None:
        raise ValueError(f"{what} zonder tijdzone: {value!r}")
    return moment


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if isinstance(value, datetime):
        return value.isoformat()
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return value


def _task_in_traceback(exc: BaseException) -> Task | None:
    """The innermost SpiffWorkflow task being worked on when `exc` was raised (timer
    evaluation, for one, raises without saying which task it was)."""
    found = None
    tb = exc.__traceback__
    while tb is not None:
        for name in ("my_task", "task"):
            candidate = tb.tb_frame.f_locals.get(name)
            if isinstance(candidate, Task):
                found = candidate
        tb = tb.tb_next
    return found


def describe_error(exc: BaseException) -> str:
    """The real cause, not SpiffWorkflow's wrapper (which can hide it, see design.md)."""
    parts = [f"{type(exc).__name__}: {exc}"]
    inner = getattr(exc, "exception", None) or exc.__cause__ or exc.__context__
    if inner is not None and inner is not exc:
        parts.append(f"{type(inner).__name__}: {inner}")
    line = getattr(exc, "line_number", None)
    if line:
        parts.append(f"regel {line}: {getattr(exc, 'error_line', '')}".strip())
    return " | ".join(parts)
