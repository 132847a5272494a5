"""Migrating a running instance to another version of its process (what Camunda calls
process instance migration), on SpiffWorkflow's own diff and migration
(SpiffWorkflow.bpmn.util.diff).

The mapping says, per element of the instance's version, which element of the target version
takes its place. `default_mapping` proposes one for every element that kept its id; the
process owner may change it. An instance moves only when every step it has taken or waits at
has a place in the target version; otherwise it is refused with the reason, and so is one
that has ended, is suspended, has an open incident or runs a subprocess.

`migrate(..., dry_run=True)` answers what would happen (where the instance waits before and
after) without changing anything. Without the dry run the instance's steps move to the
target's elements in one transition: waiting steps keep their identity (a person's task stays
theirs) and their timers keep their due time; steps that are ready are predicted anew from the
target version, so an element added after them is taken. The history records the migration,
the mapping and the reason.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from SpiffWorkflow.bpmn.util.diff import SpecDiff, WorkflowDiff, migrate_workflow
from SpiffWorkflow.util.task import TaskState
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

from app.engine.errors import Conflict, InvalidInput, NotFound
from app.engine.models import InstanceStatus, ProcessInstance, ProcessVersion
from app.engine.modification import active_steps
from app.engine.runtime import Execution, load_workflow, version_catalogue, version_spec
from app.engine.serializer import SPEC_REGISTRY

# Spec names SpiffWorkflow adds around an element with boundary events.
# SpiffWorkflow's own task specs around an element, mapped with it: boundary events' split
# and join, and the inner task of a multi-instance body (its instances).
AROUND = (".BoundaryEventSplit", ".BoundaryEventJoin", " [child]")


@dataclass
class Move:
    """Where one step of the instance is now, and where it will be."""

    element: str
    name: str
    target: str | None
    target_name: str | None


@dataclass
class InstanceMigration:
    instance_id: str
    business_key: str | None
    from_version: int
    to_version: int
    moves: list[Move] = field(default_factory=list)
    refusal: str | None = None
    done: bool = False

    @property
    def possible(self) -> bool:
        return self.refusal is None


def elements(spec: Any) -> dict[str, str]:
    """{element id: name} of the flow elements of a process spec (SpiffWorkflow's own task
    specs, such as Start, End and the joins around boundary events, left out)."""
    found: dict[str, str] = {}
    for task_spec in spec.task_specs.values():
        bpmn_id = getattr(task_spec, "bpmn_id", None)
        if bpmn_id and task_spec.name == bpmn_id:
            found[bpmn_id] = task_spec.bpmn_name or bpmn_id
    return found


def default_mapping(session: Session, from_version_id: int, to_version_id: int) -> dict[str, str]:
    """Every element of the old version that exists with the same id in the new one."""
    old, _ = version_spec(session, from_version_id)
    new, _ = version_spec(session, to_version_id)
    targets = elements(new)
    return {element: element for element in elements(old) if element in targets}


def _diff(workflow: Any, new_spec: Any, mapping: dict[str, str]) -> WorkflowDiff:
    spec_diff = SpecDiff(SPEC_REGISTRY, workflow.spec, new_spec)
    by_name = new_spec.task_specs
    for old in list(spec_diff.alignment):
        name = old.name
        base, suffix = name, ""
        for tail in AROUND:
            if name.endswith(tail):
                base, suffix = name[: -len(tail)], tail
        if not suffix and name != getattr(old, "bpmn_id", None):
            continue  # Start, End: SpiffWorkflow's own alignment
        target = mapping.get(base)
        spec_diff.alignment[old] = by_name.get(target + suffix) if target else None
    return WorkflowDiff(workflow, spec_diff)


def _refusal(row: ProcessInstance, workflow: Any, diff: WorkflowDiff, target: int) -> str | None:
    if row.status in InstanceStatus.ended():
        return "de zaak is al beëindigd"
    if row.status == InstanceStatus.SUSPENDED.value:
        return "de zaak is opgeschort; hervat haar eerst"
    if row.status == InstanceStatus.ERROR.value:
        return "de zaak heeft een open storing; los die eerst op"
    if workflow.subprocesses:
        if all(
            type(workflow.get_task_from_id(i).task_spec).__name__ == "EventSubprocess"
            for i in workflow.subprocesses
        ):
            return (
                "het proces heeft een event-subproces (dat luistert of loopt); zo'n zaak wordt "
                "niet gemigreerd: laat haar in haar versie aflopen"
            )
        return "de zaak loopt in een deelproces; dat wordt niet gemigreerd"
    missing = sorted(
        {
            (t.task_spec.bpmn_name or t.task_spec.bpmn_id)
            for t in diff.removed
            if getattr(t.task_spec, "bpmn_id", None)
        }
    )
    if missing:
        return (
            f"stap(pen) {', '.join(f'‘{m}’' for m in missing)} van de zaak hebben geen plaats "
            f"in versie {target}; koppel ze aan een element van die versie"
        )
    return None


def migrate(
    session: Session,
    instance_id: str,
    to_version_id: int,
    mapping: dict[str, str],
    actor: str | None,
    reason: str | None = None,
    dry_run: bool = True,
) -> InstanceMigration:
    target = session.get(ProcessVersion, to_version_id)
    if target is None:
        raise NotFound(f"versie {to_version_id} bestaat niet")
    if dry_run:
        row = session.get(ProcessInstance, instance_id)
        if row is None:
            raise NotFound(f"procesinstantie {instance_id} bestaat niet")
        workflow = load_workflow(session, row.version_id, row.state)
        execution = None
    else:
        execution = Execution.open(session, instance_id, actor)
        row, workflow = execution.row, execution.workflow
    if row.definition_key != target.definition.key:
        raise InvalidInput("andere processen", {"versie": ["een versie van hetzelfde proces"]})
    new_spec, new_subprocess_specs = version_spec(session, to_version_id)
    unknown = sorted(v for v in mapping.values() if v not in elements(new_spec))
    if unknown:
        raise InvalidInput(
            "onbekende elementen",
            {"koppeling": [f"{', '.join(unknown)} bestaat niet in versie {target.version}"]},
        )
    plan = InstanceMigration(row.id, row.business_key, row.version.version, target.version)
    diff = _diff(workflow, new_spec, mapping)
    for task in active_steps(workflow):
        spec = task.task_spec
        new = diff.alignment.get(task)
        plan.moves.append(
            Move(
                spec.bpmn_id,
                spec.bpmn_name or spec.bpmn_id,
                new.bpmn_id if new is not None else None,
                (new.bpmn_name or new.bpmn_id) if new is not None else None,
            )
        )
    if row.version_id == to_version_id:
        plan.refusal = f"de zaak loopt al volgens versie {target.version}"
    else:
        plan.refusal = _refusal(row, workflow, diff, target.version)
    if dry_run:
        return plan
    assert execution is not None
    if plan.refusal is not None:
        raise Conflict(plan.refusal)

    # Waiting steps (a timer, a message) keep what they wait for and since when.
    waiting = {
        t.id: (dict(t.internal_data), t.task_spec.name)
        for t in workflow.get_tasks(state=TaskState.WAITING)
    }
    migrate_workflow(diff, workflow, new_spec, reset_mask=TaskState.READY | TaskState.WAITING)
    workflow.subprocess_specs = new_subprocess_specs
    for task in workflow.get_tasks(state=TaskState.WAITING):
        kept = waiting.get(task.id)
        if kept is not None and kept[1] == task.task_spec.name:
            task.internal_data.update(kept[0])
    from_version = row.version.version
    session.execute(
        update(ProcessInstance).where(ProcessInstance.id == row.id).values(version_id=to_version_id)
    )
    set_committed_value(row, "version_id", to_version_id)
    set_committed_value(row, "version", target)
    execution.catalogue = version_catalogue(session, to_version_id)
    execution.record(
        "instance_migrated",
        None,
        None,
        {
            "van": from_version,
            "naar": target.version,
            "koppeling": {m.element: m.target for m in plan.moves},
            "reden": reason,
        },
    )
    execution.run_engine()
    execution.save()
    plan.done = True
    return plan


MIGRATION_BATCH = 200  # instances a page plans and moves at once (each one is loaded and run)


def running_count(session: Session, version_id: int) -> int:
    return (
        session.scalar(
            select(func.count())
            .select_from(ProcessInstance)
            .where(
                ProcessInstance.version_id == version_id,
                ProcessInstance.status.not_in(InstanceStatus.ended()),
            )
        )
        or 0
    )


def running_instances(session: Session, version_id: int, limit: int = MIGRATION_BATCH) -> list[str]:
    """The ids of a version's instances that have not ended, oldest first."""
    return list(
        session.scalars(
            select(ProcessInstance.id)
            .where(
                ProcessInstance.version_id == version_id,
                ProcessInstance.status.not_in(InstanceStatus.ended()),
            )
            .order_by(ProcessInstance.started_at, ProcessInstance.id)
            .limit(limit)
        ).all()
    )
