"""Moving a demo loader's own cases on as the worker would: due timers and pending jobs.

Only the instances given are touched, so one loader never advances another's cases.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import timedelta

from sqlalchemy import select

from app import clock
from app.config import Settings
from app.db import Database
from app.engine import jobs
from app.engine.models import Job, JobStatus, ProcessInstance, Timer, WaitStatus
from app.engine.runtime import Execution


def fire_due_timers(db: Database, instance_ids: Iterable[str]) -> None:
    now = clock.now()
    with db.transaction() as session:
        due = session.scalars(
            select(Timer.instance_id).where(
                Timer.instance_id.in_(list(instance_ids)),
                Timer.status == WaitStatus.WAITING.value,
                Timer.due_at <= now,
            )
        ).all()
        for instance_id in sorted(set(due)):
            execution = Execution.open(session, instance_id, "timer")
            execution.run_engine()
            execution.save()


def run_pending_jobs(
    db: Database, settings: Settings, instance_ids: Iterable[str], worker: str, rounds: int = 20
) -> None:
    """Claim and run the pending service-task jobs of these instances, round after round
    (a finished job may open the next one), through the same code as the worker."""
    ids = list(instance_ids)
    for _ in range(rounds):
        claims = []
        with db.transaction() as session:
            rows = session.execute(
                select(Job, ProcessInstance.business_key)
                .join(ProcessInstance, ProcessInstance.id == Job.instance_id)
                .where(Job.instance_id.in_(ids), Job.status == JobStatus.PENDING.value)
            ).all()
            for job, business_key in rows:
                job.locked_by = worker
                job.locked_until = clock.now() + timedelta(minutes=5)
                job.attempts += 1
                claims.append(
                    jobs.JobClaim(
                        job.id,
                        job.topic,
                        dict(job.inputs or {}),
                        job.instance_id,
                        business_key,
                        job.attempts,
                    )
                )
        if not claims:
            return
        for claim in claims:
            outputs, error = jobs.execute(claim, settings)
            jobs.finish(db, claim, outputs, error, worker, settings)
