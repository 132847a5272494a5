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
from collections.abc import Callable
from contextvars import ContextVar
from typing import Any
from weakref import WeakKeyDictionary

from SpiffWorkflow.bpmn import BpmnWorkflow
from SpiffWorkflow.bpmn.specs.event_definitions.simple import NoneEventDefinition
from SpiffWorkflow.bpmn.specs.event_definitions.timer import (
    TimerEventDefinition,
)
from SpiffWorkflow.bpmn.specs.mixins.events.start_event import StartEvent
from SpiffWorkflow.task import Task
from SpiffWorkflow.util.task import TaskState
from sqlalchemy import Connection, Engine, bindparam, inspect, select
from sqlalchemy.orm import Session, make_transient_to_detached
from sqlalchemy.orm.attributes import set_committed_value

from app import clock
from app.catalogue import from_json
from app.engine import conditions, hooks, spiff_clock
from app.engine.budget import Budget, evaluation_budget
from app.engine.errors import Conflict, InvalidInput, NotFound, describe_error
from app.engine.models import (
    HumanTask,
    Incident,
    IncidentStatus,
    InstanceParty,
    InstanceStatus,
    ProcessInstance,
    ProcessVersion,
)
from app.engine.multi_instance import forget_elements
from app.engine.script_engine import script_engine
from app.engine.serializer import spec_from_json, workflow_from_json
from app.engine.spiff_fixes import THROWN_SIGNALS
from app.engine.state_limit import stored_state
from app.engine.statements import (
    BATCH,
    CLOSE,
    DEFERRED,
    INSERT_INSTANCE,
    INSERT_ORDER,
    INSERTS,
    INSTANCE_TABLE,
    PARTIES,
    UNGROUP,
    UPDATE_INSTANCE,
    InsertBuffer,
    one_write,
    send,
)
from app.engine.waits import (
    Wait,
    WaitStates,
    current_data,
    element_id,
    extensions,
    find_task,
    snapshot,
    tasks_in,
)

spiff_clock.install()


# How a thrown signal reaches the other instances: app/engine/signals.py builds on Execution,
# so it registers itself here when loaded (app/assembly.py loads it) instead of being imported.
SIGNAL_DELIVERY: list[Callable[[Session, str, str | None, tuple[str, str]], None]] = []

_CURRENT: ContextVar[Execution | None] = ContextVar("stroom_execution", default=None)


def current_execution() -> Execution | None:
    """The transition under way, for diagram functions that ask about the case."""
    return _CURRENT.get()


_LOCK_BY_ID = (
    select(ProcessInstance)
    .where(ProcessInstance.id == bindparam("instance_id"))
    .with_for_update()
    .execution_options(populate_existing=True)
)
# The instance of a task, the task and the instance's parties (one row per party), with the
# instance locked: everything completing a task reads, in one round trip.
_LOCK_WITH_TASK = (
    select(
        ProcessInstance,
        HumanTask,
        InstanceParty.party,
        InstanceParty.organisation_id,
        InstanceParty.group_key,
    )
    .join(HumanTask, HumanTask.instance_id == ProcessInstance.id)
    .outerjoin(InstanceParty, InstanceParty.instance_id == ProcessInstance.id)
    .where(HumanTask.id == bindparam("task_id"))
    .with_for_update(of=ProcessInstance)
    .execution_options(populate_existing=True)
)


def lock_task(session: Session, task_id: str, actor: str | None) -> tuple[Execution, HumanTask]:
    """An Execution of the instance a human task belongs to, and the task read under the
    instance's lock, in one round trip."""
    rows = session.execute(_LOCK_WITH_TASK, {"task_id": task_id}).all()
    if not rows:
        raise NotFound(f"taak {task_id} bestaat niet")
    execution = Execution.for_row(session, rows[0][0], actor)
    execution._parties = {party: (org, group) for _, _, party, org, group in rows if party}
    return execution, rows[0][1]


def lock_instance(session: Session, instance_id: str) -> ProcessInstance:
    row = session.execute(_LOCK_BY_ID, {"instance_id": instance_id}).scalar_one_or_none()
    if row is None:
        raise NotFound(f"procesinstantie {instance_id} bestaat niet")
    return row


_DATABASES: WeakKeyDictionary[Engine, str] = WeakKeyDictionary()


def database_key(session: Session) -> str:
    """The key of the session's database in the caches below (and in other caches that
    live as long as the process): its URL, rendered once per
    engine (str(url) costs 8-16 us, and a step looks a version up several times)."""
    engine = session.get_bind().engine
    key = _DATABASES.get(engine)
    if key is None:
        key = _DATABASES[engine] = str(engine.url)
    return key


_SPECS: dict[tuple[str, int], tuple[Any, dict[str, Any]]] = {}


def version_spec(session: Session, version_id: int) -> tuple[Any, dict[str, Any]]:
    """The parsed spec of a deployed version. Versions never change once stored, so the cache
    lives as long as the process (keyed per database, since one process may use several)."""
    key = (database_key(session), version_id)
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
    key = (database_key(session), version_id)
    if key not in _CATALOGUES:
        data = session.scalar(
            select(ProcessVersion.catalogue).where(ProcessVersion.id == version_id)
        )
        _CATALOGUES[key] = from_json(data) if data else None
    return _CATALOGUES[key]


_FORMS: dict[tuple[str, int], dict[str, Any]] = {}


def version_forms(session: Session, version_id: int) -> dict[str, Any]:
    """The form-js schemas a version was deployed with, by form key; read once per version
    (they are frozen with it). Callers must not change the dict."""
    key = (database_key(session), version_id)
    if key not in _FORMS:
        forms = session.scalar(select(ProcessVersion.forms).where(ProcessVersion.id == version_id))
        if forms is None:
            return {}  # no such version: nothing to keep
        _FORMS[key] = forms
    return _FORMS[key]


def clear_spec_cache() -> None:
    """For tests that empty the database between cases."""
    _SPECS.clear()
    _CATALOGUES.clear()
    _FORMS.clear()


def require_start_fields(catalogue: Any, elements: dict[str, Any], data: dict[str, Any]) -> None:
    """Every start brings the required fields the diagram reads (deploy stored what each
    element reads): the data-flow analysis counts on them, so a start without one would stop
    later, somewhere, with a NameError."""
    read = {name for info in elements.values() for name in info.get("reads") or ()}
    missing = [n for n in catalogue.required_at_start() if n in read and data.get(n) in (None, "")]
    if missing:
        raise InvalidInput(
            "verplichte gegevens ontbreken bij de start",
            {name: ["ontbreekt"] for name in missing},
        )


def load_workflow(session: Session, version_id: int, state: str | None) -> BpmnWorkflow:
    spec, subprocess_specs = version_spec(session, version_id)
    if state is None:
        return BpmnWorkflow(spec, subprocess_specs, script_engine=script_engine())
    workflow = workflow_from_json(state, spec, subprocess_specs)
    workflow.script_engine = script_engine()
    return workflow


class Execution(WaitStates):
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
        self._rows: dict[str, list[dict[str, Any]]] = {name: [] for name in INSERT_ORDER}
        # Wait-state rows to close, per (kind, done), written with the rows above.
        self._closes: dict[tuple[str, bool], list[dict[str, Any]]] = {}
        self._incidents: list[tuple[Incident, dict[str, Any]]] = []
        # Who completed a human task in this transition (written with the task's closing).
        self.completed_by: dict[str, str | None] = {}
        # The human task being completed, while the task_data hooks look at its values.
        self.completing: HumanTask | None = None
        self.catalogue = version_catalogue(session, row.version_id)
        # party -> (organisation id, group key); loaded when first needed, or given at start.
        self._parties: dict[str, tuple[int, str]] | None = None
        self._new_parties = False
        # Parties a team took on in this transition (waits.WaitStates._bind_team).
        self._bound_parties: list[dict[str, Any]] = []
        # The transition wrote variables (a completion, message, signal or result with data,
        # a script): every waiting condition is evaluated again (app/engine/conditions.py).
        self.variables_written = False
        self._connection: Connection | None = None

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
        start_event: str | None = None,
    ) -> Execution:
        workflow = load_workflow(session, version.id, None)
        choose_start(workflow, start_event, version.definition.key)
        start = workflow.task_tree
        for task in workflow.get_tasks(state=TaskState.READY):
            start = task
        # The catalogue's defaults (`standaard`) first: what the starter gave overrides them.
        catalogue = version_catalogue(session, version.id)
        if catalogue is not None:
            require_start_fields(catalogue, version.elements or {}, data)
        start.data.update({**(catalogue.defaults() if catalogue else {}), **data})
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
        details: dict[str, Any] = {"version": version.version}
        if start_event is not None:
            details["start"] = start_event
        execution.record("instance_started", details=details)
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
            element_id=element_id(task) if task is not None else None,
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

    def take_incident(self, task_id: str) -> Incident | None:
        """Withdraw an incident this transition raised at `task_id` (before save): a retry
        that fails again keeps the open incident instead of adding a second one."""
        for incident, event in self._incidents:
            if incident.spiff_task_id == task_id:
                self._incidents.remove((incident, event))
                self._rows["event"].remove(event)
                return incident
        return None

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
                    engine_steps(self.workflow, self._ran)
                    if tasks_in(self.workflow, TaskState.READY, manual=False):
                        continue
                    # Conditional events see the variables as the steps left them.
                    written, self.variables_written = self.variables_written, False
                    if not conditions.check(self, written):
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

    def _ran(self, task: Task) -> None:
        if isinstance(getattr(task.task_spec, "script", None), str):
            self.variables_written = True  # a script writes variables (conditional events)

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
        thrown = self.workflow.__dict__.pop(THROWN_SIGNALS, [])
        for name, element, task_id in thrown:
            self.record("signal_thrown", element, task_id, {"signal": name})
        buffer: InsertBuffer | None = self.session.info.get(DEFERRED)
        if buffer is not None and (
            not self.is_new or self._incidents or self.workflow.completed or thrown
        ):
            # Only a new instance at a plain wait state is held back; anything else may read
            # or change rows in the buffer (erasure of a case's signals, incidents' ids).
            buffer.flush(self.session)
            buffer = None
        row = self.row
        if self.workflow.completed and row.status not in InstanceStatus.ended():
            self._erase_if_asked()

        values = {
            "state": stored_state(row, self.workflow),
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
        # A party bound when a team's task opened, or a signal to deliver elsewhere, needs
        # its own statements: such a transition does not go into a timer batch.
        plain = not self._bound_parties and not thrown
        if not self.is_new and BATCH in self.session.info and plain:
            self._write_incidents()
            self._update_instance(None, values, {})
            return row
        if not self.is_new and self.session.get_bind().dialect.name == "postgresql":
            self._write_incidents()
            self._write_all(values)
            self._write_parties(row, None)
            self._deliver(row, thrown)
            return row
        for (kind, done), params in self._closes.items():
            if params:
                self._write(CLOSE[(kind, done)], [{"iid": row.id, **p} for p in params])
                if kind == "task":
                    self._write(UNGROUP, params)
        self._closes = {}
        self._write_instance(values, buffer)
        self._write_parties(row, buffer)
        self._write_incidents()
        for name in INSERT_ORDER:
            if self._rows[name]:
                if buffer is not None:
                    buffer.add(INSERTS[name].table, self._rows[name])
                else:
                    self._write(INSERTS[name], self._rows[name])
                self._rows[name] = []
        self._deliver(row, thrown)
        return row

    def _write_parties(self, row: ProcessInstance, buffer: InsertBuffer | None) -> None:
        """The parties of a new instance, and those bound since (a team's organisation that
        took on a task's party)."""
        parties = self._bound_parties
        if self._new_parties and self._parties:
            parties = [
                {"instance_id": row.id, "party": party, "organisation_id": org, "group_key": g}
                for party, (org, g) in self._parties.items()
            ]
        if parties:
            if buffer is not None:
                buffer.add(PARTIES.table, parties)
            else:
                self._write(PARTIES, parties)
        self._new_parties = False
        self._bound_parties = []

    def _deliver(self, row: ProcessInstance, thrown: list[tuple[str, str, str]]) -> None:
        """The signals this transition threw, to the other instances waiting for them and
        the processes they start (this instance caught its own share when thrown)."""
        if not thrown:
            return
        if not SIGNAL_DELIVERY:
            raise RuntimeError(
                "signalen kunnen niet bezorgd worden: app.engine.signals is niet geladen "
                "(roep app.assembly.install() aan)"
            )
        for name, element, _task_id in thrown:
            SIGNAL_DELIVERY[0](self.session, name, self.actor, (row.id, element))

    def _write(self, statement: Any, params: Any) -> Any:
        """A Core write on the session's connection: the ORM session's own execute costs
        more than the statement on SQLite (bench/engine.py --profile)."""
        connection = self._connection
        if connection is None or connection.closed or not connection.in_transaction():
            # The session's connection for this transaction, asked once: each ask costs
            # about as much as a small statement (bench/engine.py --profile).
            connection = self._connection = self.session.connection()
        return send(connection, statement, params)

    def _write_incidents(self) -> None:
        """Incidents through the ORM (their events name their ids), after the instance row."""
        if self._incidents:
            self.session.add_all([incident for incident, _ in self._incidents])
            self.session.flush()
            for incident, event in self._incidents:
                event["details"] = {**event["details"], "incident": incident.id}
            self._incidents = []

    def _write_all(self, values: dict[str, Any]) -> None:
        """PostgreSQL: the instance's revision-checked UPDATE with every other row of the
        transition in the same statement (see `one_write`)."""
        statement, extra = one_write(self._closes, self._rows)
        self._update_instance(statement, values, extra)
        self._closes = {}
        self._rows = {name: [] for name in INSERT_ORDER}

    def _update_instance(self, statement: Any, values: dict[str, Any], extra: Any) -> None:
        """The revision-checked UPDATE; with no statement, handed to the session's batch
        (app/engine/statements.py `batched_writes`) with the transition's other rows."""
        row = self.row
        old_revision = inspect(row).committed_state.get("revision", row.revision)
        params = {
            "iid": row.id,
            "old_revision": old_revision,
            "new_revision": old_revision + 1,
            **{f"v_{key}": value for key, value in values.items()},
            **extra,
        }
        if statement is None:
            self.session.info[BATCH].add(row.id, self._closes, params, self._rows)
            self._closes = {}
            self._rows = {name: [] for name in INSERT_ORDER}
        elif self._write(statement, params).rowcount != 1:
            raise Conflict("procesinstantie is tegelijk door iemand anders gewijzigd")
        for key, value in (*values.items(), ("revision", old_revision + 1)):
            set_committed_value(row, key, value)

    def _write_instance(self, values: dict[str, Any], buffer: InsertBuffer | None) -> None:
        """One INSERT or one revision-checked UPDATE; the ORM object is then marked clean,
        so no second write of it happens at commit."""
        row = self.row
        if self.is_new:
            for key, value in values.items():
                setattr(row, key, value)
            columns = {c.key: getattr(row, c.key) for c in INSTANCE_TABLE.columns}
            columns["revision"] = 1
            if buffer is not None:
                buffer.add(INSTANCE_TABLE, [columns])
            else:
                self._write(INSERT_INSTANCE, columns)
            row.revision = 1
            make_transient_to_detached(row)
            self.session.add(row)
            self.is_new = False
            return
        self._update_instance(UPDATE_INSTANCE, values, {})

    def _erase_if_asked(self) -> None:
        """An end event with extension property `gegevens = wissen` ends the case without its
        personal data: every value except those named in `bewaren` leaves the task tree, the
        case data and the signals that formed the case (e.g. a resident who wants no help:
        only the refusal is kept). With `categorieen` (e.g. "gezondheid, financieel") and/or
        `velden` only those catalogue categories and fields go, everywhere they were kept; the
        rest stays (e.g. a tenant found not eligible keeps no intake data)."""
        if self.catalogue is None or not erases(self.workflow):
            return  # no end event asks it: no walk over every completed task
        ended = [
            t
            for t in self.workflow.get_tasks(state=TaskState.COMPLETED)
            if self.catalogue is not None
            and (extensions(t).get("properties") or {}).get("gegevens") == "wissen"
        ]
        if not ended:
            return
        properties = extensions(ended[0]).get("properties") or {}
        keep = {k.strip() for k in properties.get("bewaren", "").split(",") if k.strip()}
        categories = {c.strip() for c in properties.get("categorieen", "").split(",") if c.strip()}
        named = {n.strip() for n in properties.get("velden", "").split(",") if n.strip()}
        counts: dict[str, int] = {}
        if categories or named:
            assert self.catalogue is not None
            erase = {
                name
                for name, field in self.catalogue.fields.items()
                if (field.category in categories or name in named) and name not in keep
            }
            removed = self.strip_data(lambda name: name not in erase)
            for erase_elsewhere in hooks.at_field_erasure:
                removed |= erase_elsewhere(self.session, self.row.id, erase)
            details: dict[str, Any] = {"gewist": sorted(removed), "categorieen": sorted(categories)}
        else:
            removed = self.strip_data(lambda name: name in keep)
            # What the domains keep outside the workflow (signals, drafts, documents, consents).
            for erase_all in hooks.at_erasure:
                erased = erase_all(self.session, self.row.id, keep)
                removed |= erased.fields
                counts.update(erased.counts)
            details = {"gewist": sorted(removed), "bewaard": sorted(keep)}
        self.record("gegevens_gewist", element_id(ended[0]), details={**details, **counts})

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
                removed |= forget_elements(task, keep)
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


def engine_steps(workflow: BpmnWorkflow, did_complete_task: Callable[[Task], None]) -> None:
    """`workflow.do_engine_steps(did_complete_task=...)` of SpiffWorkflow 3.2, with each pass's
    READY tasks found by `tasks_in` instead of a walk of the whole tree: a pass usually runs
    one task (a timer that fires runs its event, a script and the end event in as many
    passes), so the walks were most of the engine's own work per fired timer. While a
    sub-process is active a pass is SpiffWorkflow's own (it visits the sub-processes deepest
    first); otherwise the pass is SpiffWorkflow's, line by line, on the same list of tasks."""
    while _engine_pass(workflow, did_complete_task):
        pass
    workflow.refresh_timers()


def _engine_pass(workflow: BpmnWorkflow, did_complete_task: Callable[[Task], None]) -> bool:
    if workflow.get_active_subprocesses():
        return bool(workflow._do_engine_steps(None, did_complete_task))
    count = 0
    for task in tasks_in(workflow, TaskState.READY):
        if not task.task_spec.manual:
            task.run()
            count += 1
            did_complete_task(task)
    return count > 0 or len(workflow.get_active_subprocesses()) > 0


_ERASES = "_stroom_erases"


def erases(workflow: BpmnWorkflow) -> bool:
    """Whether any element of the workflow's diagrams has `gegevens = wissen`; kept on the
    spec, which lives as long as its version's cache entry (`version_spec`)."""
    spec = workflow.spec
    found = spec.__dict__.get(_ERASES)
    if found is None:
        specs = [spec, *workflow.subprocess_specs.values()]
        found = any(
            ((getattr(t, "extensions", None) or {}).get("properties") or {}).get("gegevens")
            == "wissen"
            for s in specs
            for t in s.task_specs.values()
        )
        spec.__dict__[_ERASES] = found
    return found


def choose_start(workflow: BpmnWorkflow, element: str | None, process: str) -> None:
    """Start at one start event, as Camunda 7 does: the given one (a signal starts the
    process at its signal start event), else the plain start event, else the only one. The
    others are withdrawn before they run, so a signal start of a running instance never
    waits for a second start."""
    first = [s for s in workflow.spec.start.outputs if isinstance(s, StartEvent)]
    if (
        element is None
        and len(first) == 1
        and isinstance(first[0].event_definition, NoneEventDefinition)
    ):
        return  # one plain start event (nearly every process): nothing to choose
    starts = [
        t
        for t in workflow.get_tasks()
        if isinstance(t.task_spec, StartEvent) and t.workflow is workflow
    ]
    plain = [t for t in starts if isinstance(t.task_spec.event_definition, NoneEventDefinition)]
    if element is not None:
        chosen = next((t for t in starts if t.task_spec.bpmn_id == element), None)
        if chosen is None:
            raise NotFound(f"proces {process!r} heeft geen startgebeurtenis {element!r}")
    elif plain:
        chosen = plain[0]
    elif len(starts) == 1:
        chosen = starts[0]
    else:
        raise Conflict(
            f"proces {process!r} heeft geen gewone startgebeurtenis; het start op een signaal "
            f"({', '.join(sorted(str(t.task_spec.bpmn_id) for t in starts))}): stuur dat signaal"
        )
    if len(starts) <= 1 and chosen in plain:
        return
    for task in starts:
        if task is chosen:
            task._set_internal_data(event_fired=True)
        else:
            task.cancel()


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
