"""What an instance waits on, and the rows that mirror it.

`snapshot` reads the wait states from the workflow (open human tasks, jobs, timers, message
and signal subscriptions); `WaitStates`, part of `Execution`, diffs two snapshots into the
rows to insert and close, resolving who does a task (candidate groups, parties, lanes), its
due date and priority, and the phase the case is in.
"""

from __future__ import annotations

import traceback
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from SpiffWorkflow.bpmn import BpmnWorkflow
from SpiffWorkflow.bpmn.specs.event_definitions.item_aware_event import SignalEventDefinition
from SpiffWorkflow.bpmn.specs.event_definitions.message import MessageEventDefinition
from SpiffWorkflow.bpmn.specs.event_definitions.timer import (
    CycleTimerEventDefinition,
    DurationTimerEventDefinition,
    TimerEventDefinition,
)
from SpiffWorkflow.bpmn.specs.mixins.events.end_event import EndEvent
from SpiffWorkflow.task import Task
from SpiffWorkflow.util.task import TaskState
from SpiffWorkflow.workflow import Workflow
from sqlalchemy import select

from app.engine import hooks
from app.engine.errors import describe_error
from app.engine.models import InstanceParty, JobStatus, TaskStatus, WaitStatus
from app.engine.multi_instance import LOCALS, process_data
from app.engine.spiff_fixes import CYCLE_STOPPED, merged_changes, waiting_branches
from app.engine.statements import MOVE_TIMER

DEFAULT_PRIORITY = 50


@dataclass(frozen=True)
class Wait:
    """One thing an instance waits on, as seen in the workflow."""

    kind: str  # task, job, timer, message, signal
    task_id: str
    element_id: str
    value: Any = None  # timer: due datetime; message, signal: name


# The task's columns its group rows repeat (HumanTaskGroup): the sort keys and the kind.
GROUP_COPIES = (
    "assignee",
    "priority",
    "due_at",
    "created_at",
    "definition_key",
    "element_id",
    "name",
)


def task_name(task: Task) -> str:
    """The inbox name: the element's, and for an instance of a multi-instance task which of
    how many it is (the element itself may be personal data the inbox must not show)."""
    name = task.task_spec.bpmn_name or element_id(task)
    if task.internal_data.get(LOCALS):  # counted by the body, not by variables a task holds
        number = task.internal_data["key_or_index"] + 1
        return f"{name} ({number} van {task.parent.internal_data['count']})"
    return name


def element_id(task: Task) -> str:
    return task.task_spec.bpmn_id or task.task_spec.name


def extensions(task: Task) -> dict[str, Any]:
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


# Deeper than this, SpiffWorkflow's iterator (max_depth 1000) counts depth its own way:
# `tasks_in` leaves such a task to it.
_DEEP = 900


def _visited(task: Task) -> bool:
    """Whether `workflow.get_tasks(state=...)` for a live state (READY, STARTED: the
    iterator descends through every task from FUTURE on, and into a subprocess unless its
    task has finished) reaches `task`."""
    node, depth = task, 0
    while depth < _DEEP:
        parent = node.parent
        wf = node.workflow
        if parent is None:
            if wf is wf.top_workflow:
                return True
            host = find_task(wf.top_workflow, str(wf.parent_task_id))
            if host is None or host.state >= TaskState.FINISHED_MASK:
                return False
            node = host
        else:
            hosts = wf.top_workflow.subprocesses.get(parent.id) is not None
            if parent.state < TaskState.FUTURE and not hosts:
                return False
            node = parent
        depth += 1
    return False


def tasks_in(workflow: BpmnWorkflow, state: int, manual: bool | None = None) -> list[Task]:
    """`workflow.get_tasks(state=state, manual=manual)` for live states, in its order, without
    its walk of the tree when at most one task matches: SpiffWorkflow's iterator costs about
    3 us a task, a look at every task's state 0.1 us (bench/README.md, issue 23). What the
    iterator reaches is a subset of the workflows' task dicts, so none there means none; one
    there is its answer when the iterator would reach it; anything else asks the iterator."""
    if state & ~TaskState.DEFINITE_MASK:  # the iterator walks finished states differently
        return workflow.get_tasks(state=state, manual=manual)
    found = [
        t
        for wf in (workflow, *workflow.subprocesses.values())
        for t in wf.tasks.values()
        if t.state & state and (manual is None or t.task_spec.manual == manual)
    ]
    if not found or (len(found) == 1 and _visited(found[0])):
        return found
    return workflow.get_tasks(state=state, manual=manual)


_update_waiting_tasks = Workflow.update_waiting_tasks


def _update_waiting_tasks_if_any(self: Workflow) -> None:
    """SpiffWorkflow's `update_waiting_tasks`, which it calls after every task that completes:
    a walk of the workflow's own tree (a plain TaskIterator, which never enters a
    sub-process) that updates each WAITING task it reaches. It reaches only tasks of
    `self.tasks`, so when none of them is WAITING it would update nothing: no walk then
    (4 of a fired timer's 6 walks, bench/README.md, issue 23)."""
    for task in self.tasks.values():
        if task.state == TaskState.WAITING:
            _update_waiting_tasks(self)
            return


if Workflow.update_waiting_tasks.__name__ != _update_waiting_tasks_if_any.__name__:
    Workflow.update_waiting_tasks = _update_waiting_tasks_if_any  # type: ignore[method-assign]


def _completed_ends(workflow: BpmnWorkflow) -> list[Task]:
    """The completed end events `workflow.get_tasks(state=COMPLETED)` reaches, from the task
    dict instead of a walk, for a workflow without sub-processes (the iterator then reaches a
    finished task when every ancestor is finished too); empty when unsure, and then the
    caller walks. Their order does not matter: the caller takes the furthest phase."""
    if workflow.subprocesses:
        return []
    found = []
    for task in workflow.tasks.values():
        if task.state != TaskState.COMPLETED or not isinstance(task.task_spec, EndEvent):
            continue
        node, depth = task.parent, 0
        while node is not None and node.state >= TaskState.COMPLETED and depth < _DEEP:
            node, depth = node.parent, depth + 1
        if node is not None:
            return []  # an unfinished ancestor or a very deep tree: the walk decides
        found.append(task)
    return found


def snapshot(workflow: BpmnWorkflow) -> dict[tuple[str, str], Wait]:
    waits: dict[tuple[str, str], Wait] = {}
    # One pass over the tree for people and jobs; the event manager holds the catching events.
    for task in tasks_in(workflow, TaskState.READY | TaskState.STARTED):
        if task.state == TaskState.READY:
            if task.task_spec.manual:
                waits[("task", str(task.id))] = Wait("task", str(task.id), element_id(task))
        elif extensions(task).get("topic"):
            waits[("job", str(task.id))] = Wait("job", str(task.id), element_id(task))
    for task in workflow.event_manager.tasks.values():
        if not task.has_state(TaskState.WAITING):
            continue
        definition = task.task_spec.event_definition
        if isinstance(definition, TimerEventDefinition):
            due = _timer_due(task)
            if due is not None:
                waits[("timer", str(task.id))] = Wait("timer", str(task.id), element_id(task), due)
        elif isinstance(definition, MessageEventDefinition):
            waits[("message", str(task.id))] = Wait(
                "message", str(task.id), element_id(task), definition.name
            )
        elif isinstance(definition, SignalEventDefinition):
            waits[("signal", str(task.id))] = Wait(
                "signal", str(task.id), element_id(task), definition.name
            )
    return waits


class WaitStates:
    """The wait-state bookkeeping of an `Execution` (app/engine/runtime.py), which provides
    the session, row, workflow, catalogue, clock and the rows to write."""

    session: Any
    row: Any
    workflow: BpmnWorkflow
    catalogue: Any
    now: datetime
    actor: str | None
    before: dict[tuple[str, str], Wait]
    completed_by: dict[str, str | None]
    _rows: dict[str, list[dict[str, Any]]]
    _closes: dict[tuple[str, bool], list[dict[str, Any]]]
    _parties: dict[str, tuple[int, str]] | None
    _bound_parties: list[dict[str, Any]]

    def _sync(self, after: dict[tuple[str, str], Wait]) -> None:
        before = self.before
        for key in before.keys() - after.keys():
            self._close(before[key])
        for key in after.keys() - before.keys():
            self._open(after[key])
        for key in after.keys() & before.keys():
            if after[key].kind == "timer" and after[key].value != before[key].value:
                self.session.execute(
                    MOVE_TIMER, {"iid": self.row.id, "tid": key[1], "due": after[key].value}
                )

    def _close(self, wait: Wait) -> None:
        task = find_task(self.workflow, wait.task_id)
        done = (
            task is not None
            and task.has_state(TaskState.COMPLETED)
            and not task.internal_data.get(CYCLE_STOPPED)
        )
        params: dict[str, Any] = {"tid": wait.task_id, "now": self.now, "by": None}
        if wait.kind == "task" and done:
            params["by"] = self.completed_by.get(wait.task_id, self.actor)
        # Written at save with the other rows (app/engine/statements.py).
        self._closes.setdefault((wait.kind, done), []).append(params)

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
            elif wait.kind == "signal":
                self._rows["signal"].append(
                    {
                        "instance_id": self.row.id,
                        "spiff_task_id": wait.task_id,
                        "element_id": wait.element_id,
                        "signal_name": wait.value,
                        "status": WaitStatus.WAITING.value,
                        "created_at": self.now,
                        "delivered_at": None,
                    }
                )
                self.record("signal_awaited", wait.element_id, wait.task_id, {"signal": wait.value})
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
        its candidate group or its lane names, else the catalogue's `taken`."""
        if self.catalogue is None:
            return None
        explicit = (extensions(task).get("properties") or {}).get("partij")
        return self.catalogue.party_for(
            explicit, *candidates, task.task_spec.lane, self.catalogue.tasks.get(element_id(task))
        )

    def _bind_team(self, task: Task, party: str | None, groups: list[str]) -> None:
        """A candidate group that names a team (not a party) does the task for the task's
        party: when nobody plays that party in this case yet, the team's organisation does
        from now on, so its members can open the task and read what the party may read. A
        diagram drawn in the Camunda Modeler names teams, not the catalogue's parties."""
        if party is None or self.catalogue is None:
            return
        plain = [g for g in groups if self.catalogue.party_for(g) is None]
        found = hooks.teams(self.session, plain)
        team = next((found[g] for g in plain if g in found), None)
        if team is None:
            return
        bound = self.parties().get(party)
        if bound is not None:
            if bound[0] != team[0] and not any(found[g][0] == bound[0] for g in found):
                # Its members would see the task and could not open the case.
                raise ValueError(
                    f"team {team[1]!r} doet deze taak als partij {party!r}, maar die partij is "
                    "in deze casus een andere organisatie; geef de taak in de catalogus "
                    "('taken') een eigen partij, of kies een team van die organisatie"
                )
            return
        self.parties()[party] = team
        self._bound_parties.append(
            {
                "instance_id": self.row.id,
                "party": party,
                "organisation_id": team[0],
                "group_key": team[1],
            }
        )
        self.record(
            "party_bound", element_id(task), str(task.id), {"party": party, "team": team[1]}
        )

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
        if not any(self.catalogue.phases.values()):
            return None  # no element has a phase: no walk over every completed task
        reached = [
            phase
            for t in _completed_ends(self.workflow)
            if (phase := self.catalogue.phase_of(element_id(t))) is not None
        ]
        if reached:
            return max(reached, key=self.catalogue.phase_order)
        completed = list(self.workflow.get_tasks(state=TaskState.COMPLETED))
        ends = [
            self.catalogue.phase_of(element_id(t))
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
            phase = self.catalogue.phase_of(element_id(task))
            if phase is not None:
                return phase
        return None

    def _open_human_task(self, task: Task) -> None:
        ext = extensions(task)
        named = list(dict.fromkeys(_as_list(self._maybe(task, ext.get("candidate_groups")))))
        party = self._party_of(task, named)
        self._bind_team(task, party, named)
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
                "element_id": element_id(task),
                "name": task_name(task),
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
                **{c: row[c] for c in GROUP_COPIES},
            }
            for g in groups
        )

        self.record(
            "task_created",
            element_id(task),
            task_id,
            {"groups": groups, "assignee": assignee, "due": due.isoformat() if due else None},
        )

    def _open_job(self, task: Task) -> None:
        ext = extensions(task)
        inputs = {name: self.evaluate(task, expr) for name, expr in ext.get("inputs", [])}
        self._rows["job"].append(
            {
                "instance_id": self.row.id,
                "spiff_task_id": str(task.id),
                "element_id": element_id(task),
                "topic": ext["topic"],
                "inputs": jsonable(inputs),
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
        self.record("job_created", element_id(task), str(task.id), {"topic": ext["topic"]})

    def _open_subscription(self, task: Task, name: str) -> None:
        expr = extensions(task).get("correlation_key")
        key = self.evaluate(task, expr) if expr else self.row.business_key
        self._rows["message"].append(
            {
                "instance_id": self.row.id,
                "spiff_task_id": str(task.id),
                "element_id": element_id(task),
                "message_name": name,
                "correlation_key": None if key is None else str(key),
                "status": WaitStatus.WAITING.value,
                "created_at": self.now,
                "delivered_at": None,
            }
        )
        self.record(
            "message_awaited", element_id(task), str(task.id), {"message": name, "key": key}
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
        data.update(process_data(task))  # an instance's element and counters are its own
    # A look at every task's state per scope (about 0.1 us a task; bench/README.md, issue
    # 23), and only when there is data to merge.
    scopes = (workflow, *workflow.subprocesses.values()) if tasks else ()
    ended = [t for wf in scopes for t in waiting_branches(wf)]
    if ended:
        # A branch that ended in an earlier transition waits at a join with what it wrote;
        # the case data is the scope's, as a conditional event sees it (conditions.py):
        # each branch's changes since the split, the latest last.
        local = {n for t in tasks for n in t.internal_data.get(LOCALS) or ()}
        data = {k: v for k, v in merged_changes([*tasks, *ended]).items() if k not in local}
    return {k: jsonable(v) for k, v in data.items() if not k.startswith("_")}


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


def jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [jsonable(v) for v in value]
    if isinstance(value, datetime):
        return value.isoformat()
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return value
