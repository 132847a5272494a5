"""The summary `stroom simulate` prints after the timeline."""

from __future__ import annotations

from sqlalchemy import func, select

from app.clock import local
from app.engine.models import HumanTask, TaskStatus
from app.simulation.runner import Simulation


def summary(sim: Simulation) -> list[str]:
    lines = [f"== samenvatting op {local(sim.clock.now()):%Y-%m-%d %H:%M} =="]
    for status, count in sorted(sim.status_counts().items()):
        lines.append(f"instanties {status}: {count}")
    for element, count in sorted(sim.end_events().items()):
        lines.append(f"geëindigd bij {element}: {count}")
    with sim.db.session() as session:
        late = session.execute(
            select(HumanTask.element_id, func.count())
            .where(
                HumanTask.status == TaskStatus.COMPLETED.value,
                HumanTask.due_at.is_not(None),
                HumanTask.completed_at > HumanTask.due_at,
            )
            .group_by(HumanTask.element_id)
        ).all()
        overdue = session.execute(
            select(HumanTask.element_id, func.count())
            .where(
                HumanTask.status == TaskStatus.OPEN.value,
                HumanTask.due_at.is_not(None),
                HumanTask.due_at < sim.clock.now(),
            )
            .group_by(HumanTask.element_id)
        ).all()
    for element, count in sorted(late):
        lines.append(f"te laat afgerond {element}: {count}")
    for element, count in sorted(overdue):
        lines.append(f"open en over de termijn {element}: {count}")
    return lines
