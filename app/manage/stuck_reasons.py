"""The stuck list's maintained facts: what each instance's waits say, kept in `stuck_fact`, so
that the list counts a range of one index instead of probing every candidate's waits
(bench/README.md, issue 23).

**What a fact is.** The reasons that need limits and the clock (`te-laat`, `risico`,
`bericht`, `stil`) each compare one moment of a wait with a cutoff or horizon worked out
from the list's own "now" and that row's limit. A fact stores only the wait's side of that
comparison, which depends on neither the clock nor a limit; `storing` and `opgeschort`
need no clock at all. Missed timers (`timer`) are read by the rule alone: the due-date index
gives the few timers long past due directly.

  incident an open incident (`storing`), since it was raised
  suspended a suspended instance (`opgeschort`), since it was suspended
  task     an open task's due date (late when due before now, at risk when due between now
           and its horizon)
  timer    a waiting, non-cycle timer's due date (the list keeps only boundary timers)
  message  since when an active instance awaits a message (the list keeps only receive tasks
           and catch events)
  idle     an active instance without a waiting timer: the moment it last moved (its last
           transition or later history event), once per activity it waits at (open task,
           pending job), or once without an activity (the process's limit) when it waits at
           none and awaits no message

with the instance's process, version and municipality, which select the limit; and once per
scope: a copy for every scope without an organisation, one per organisation playing a party
in the instance (a manager's count is a range of the index, no probe of the parties). The
list (stuck.py) applies the very comparisons of the rule to these columns, with the limits
and the calendar as they are at that moment: a limit a process owner changes, a closure
day, a new version deployed and a jump of the simulation clock show at once, since no fact
depends on them. The "time-driven" part of the rule is therefore never precomputed: there
is no "per <tick time>" and no window of rows that became due since a tick.

**Why the facts are never stale where the list uses them.** Migration 0021 puts triggers on
every table and column a fact is derived from (the instance row, tasks, timers, jobs,
message subscriptions, incidents, history events, parties): any INSERT, DELETE or UPDATE of
such a column writes a mark (`stuck_mark`) for the instance, in the same transaction,
whoever writes it (the engine's save, the intake's bulk insert, a consent, a repair,
retention and erasure, a bench). Invariant: *in every committed state, an instance without
a mark has exactly the facts its rows give.* The list reads, in one statement and so one
snapshot, the facts of the unmarked instances and the rule itself (the existing queries)
for the marked ones: the two parts partition the instances, so the list equals the rule at
every moment, whatever the tick has done or not done. How the invariant is kept:

- A change commits together with its mark (same transaction), so no committed change leaves
  its instance unmarked. Rolled back, neither exists.
- `refresh` (the worker's tick, `hooks.worker_ticks`) reads a batch of marks, rebuilds those
  instances' facts, and deletes exactly the marks it read (by id), in one transaction. Under
  READ COMMITTED each later statement sees every change committed before the marks were read,
  so a mark that was read stands for changes the rebuild sees. A change committing after that
  read writes a mark the refresh did not read and so does not delete: the instance stays
  marked, and the list keeps using the rule for it until the next refresh. On PostgreSQL the
  trigger dedupes marks per transaction (unique instance + txid; within the transaction a
  transaction-local setting remembers the instance marked last, and a savepoint rolled back
  forgets it together with the mark), never against a mark of another transaction that a
  refresh may be deleting. A batch of many instances' writes (the worker's timers, the
  intake's new cases) marks its instances in one statement before it writes, and names them
  in a second transaction-local setting; the triggers' WHEN skips rows of the instances
  named there (`mark_batch`, migration 0022). A refresh inside a writing transaction (the
  tests') clears both settings when it deletes marks, so no later write of that transaction
  is taken for marked. On SQLite every write transaction starts with BEGIN IMMEDIATE:
  writers, the refresh included, run one after another.
- A worker killed mid-tick, or a tick that fails, rolls its transaction back: marks and
  facts stay as they were, the invariant with them (tests/manage/test_stuck_facts.py).
- Several workers: the refresh takes a transaction-scoped advisory lock on PostgreSQL and
  returns at once if another holds it (two rebuilds of one instance under READ COMMITTED
  could both insert its facts). On SQLite one scheduler runs (its lease).
- An instance deleted marks itself through the same triggers; the rule finds no instance,
  the refresh deletes its facts. Retention and erasure today keep the instance and delete
  or rewrite its records: a history event deleted marks it like any other write.
- The clock (the simulation's may jump either way), limits changed by a process owner, a
  closure day, a new process version: no fact depends on them (see above); the list applies
  them as they are when it runs. An instance migrated to another version changes its row's
  version_id, which marks it.
- The migration marks every instance: a database migrated with data in it lists by the
  rule until the ticks have built the facts.
- What a fact holds is code (`facts`), so it is versioned: `FACTS_VERSION` changes with
  every change to it, and `stuck_fact_version` says which version the table holds. A list
  whose code has another version reads the rule alone (`current`). The first refresh of new
  code moves the table to its version and marks every instance, in one transaction: from
  then on every fact of the old definition belongs to a marked instance. A worker still
  running older code refreshes nothing (its version is not the table's); one that raced the
  move deletes only the marks it read before it, never the move's own.

The tick therefore decides only how much of the list is read from facts (speed), never what
it shows. Its cost follows the instances changed since the last tick, not the instances.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, delete, func, insert, literal, select, text
from sqlalchemy.orm import Session

from app.db import Database
from app.engine.models import (
    HumanTask,
    Incident,
    IncidentStatus,
    InstanceEvent,
    InstanceParty,
    InstanceStatus,
    Job,
    JobStatus,
    MessageSubscription,
    ProcessInstance,
    TaskStatus,
    Timer,
    WaitStatus,
)
from app.manage.models import StuckFact, StuckFactVersion, StuckMark

PI = ProcessInstance
ACTIVE = (InstanceStatus.WAITING.value, InstanceStatus.RUNNING.value)
# Marks read per refresh: a tick's transaction stays short; the next tick takes the rest.
BATCH = 2000
CHUNK = 500  # instance ids per IN list (SQLite's bound parameters)
# What `facts` writes: change it with every change to what a fact holds (see above).
FACTS_VERSION = 1
# A number of our own for pg_try_advisory_xact_lock: one refresh at a time.
LOCK_KEY = 23_0021
# Most instances named in the setting the triggers' WHEN searches: beyond it each row's
# search would cost more than the mark it saves, and the triggers mark row by row as before.
BATCH_MARK_LIMIT = 1000
# The copy of a fact counted by every scope without an organisation (organisation ids start
# at 1).
EVERY_SCOPE = 0


def current(session: Session) -> bool:
    """Does the table hold facts as this code defines them? Read before the list's
    statement: the version only moves forward, and the move marks every instance in its own
    transaction, so facts read after a True are of this version or marked."""
    return session.get(StuckFactVersion, FACTS_VERSION) is not None


def mark_batch(connection: Connection, instance_ids: list[str]) -> None:
    """Before a batch of writes (`hooks.before_batch`): mark its instances in one statement
    and name them in the transaction-local setting `stroom.stuck_batch`, so the triggers
    (PostgreSQL's, migration 0022) skip their rows instead of marking them one by one. The
    marks and the setting go together: a savepoint rolled back takes both. On SQLite the
    triggers are plain INSERTs in the writing statement and stay as they are."""
    if (
        connection.dialect.name != "postgresql"
        or len(instance_ids) > BATCH_MARK_LIMIT
        or any("," in i for i in instance_ids)  # the list's separator
    ):
        return
    connection.execute(
        text(
            "WITH marked AS (INSERT INTO stuck_mark (instance_id, tx) "
            "SELECT id, txid_current() FROM unnest(CAST(:ids AS text[])) AS id "
            "ON CONFLICT DO NOTHING) "
            "SELECT set_config('stroom.stuck_batch', :named, true)"
        ),
        {"ids": instance_ids, "named": "," + ",".join(instance_ids) + ","},
    )


def marked() -> Any:
    """The instances whose facts may be stale (a subquery of instance ids)."""
    return select(StuckMark.instance_id)


def refresh(db: Database, batch: int = BATCH) -> int:
    """Rebuild the facts of up to `batch` marks' instances; the number of instances done."""
    with db.transaction() as session:
        return refresh_in(session, batch)


def refresh_in(session: Session, batch: int = BATCH) -> int:
    """`refresh` within the caller's transaction (tests roll one back halfway)."""
    postgresql = session.get_bind().dialect.name == "postgresql"
    if postgresql and not session.scalar(
        text("SELECT pg_try_advisory_xact_lock(:key)"), {"key": LOCK_KEY}
    ):
        return 0  # another worker is refreshing
    held = session.scalar(select(func.max(StuckFactVersion.version)))
    if held is not None and held > FACTS_VERSION:
        return 0  # newer code owns the facts (a worker not yet upgraded)
    if held != FACTS_VERSION:  # older facts, or none known (the row lost)
        # The facts change definition: every instance marked in this transaction (those
        # marked already stay so: only a refresh deletes marks, and it holds the lock).
        session.execute(delete(StuckFactVersion))
        session.add(StuckFactVersion(version=FACTS_VERSION))
        tx = func.txid_current() if postgresql else literal(0)
        moved = session.execute(
            insert(StuckMark).from_select(
                ["instance_id", "tx"], select(PI.id, tx).where(PI.id.not_in(marked()))
            )
        )
        return max(moved.rowcount or 0, 1)
    marks = session.execute(
        select(StuckMark.id, StuckMark.instance_id).order_by(StuckMark.id).limit(batch)
    ).all()
    if not marks:
        return 0
    ids = sorted({m.instance_id for m in marks})
    for chunk in _chunks(ids):
        session.execute(delete(StuckFact).where(StuckFact.instance_id.in_(chunk)))
        rows = facts(session, chunk)
        if rows:
            session.execute(insert(StuckFact), rows)
    for chunk in _chunks([m.id for m in marks]):
        session.execute(delete(StuckMark).where(StuckMark.id.in_(chunk)))
    if postgresql:  # the marks these settings vouch for may be gone (see above)
        session.execute(
            text(
                "SELECT set_config('stroom.stuck_marked', '', true), "
                "set_config('stroom.stuck_batch', '', true)"
            )
        )
    return len(ids)


def refresh_all(db: Database) -> int:
    """Refresh until no mark is left (the bench and the tests; the worker takes a batch a
    tick)."""
    total = 0
    while done := refresh(db):
        total += done
    return total


def _chunks(items: list[Any]) -> list[list[Any]]:
    return [items[i : i + CHUNK] for i in range(0, len(items), CHUNK)]


def facts(session: Session, ids: list[str]) -> list[dict[str, Any]]:
    """The facts of these instances, from their rows now (see the module docstring)."""
    rows: list[dict[str, Any]] = []
    instance = (PI.definition_key, PI.version_id, PI.municipality)
    seen_by: dict[str, set[int]] = {}
    for instance_id, organisation_id in session.execute(
        select(InstanceParty.instance_id, InstanceParty.organisation_id).where(
            InstanceParty.instance_id.in_(ids), InstanceParty.organisation_id.is_not(None)
        )
    ):
        seen_by.setdefault(instance_id, set()).add(organisation_id)

    def fact(kind: str, row: Any, element: Any, moment: Any, since: Any, detail: Any, ref: Any):
        for organisation_id in (EVERY_SCOPE, *sorted(seen_by.get(row.instance_id, ()))):
            rows.append(
                {
                    "instance_id": row.instance_id,
                    "kind": kind,
                    "organisation_id": organisation_id,
                    "process_key": row.definition_key,
                    "version_id": row.version_id,
                    "municipality": row.municipality,
                    "element_id": element,
                    "moment": moment,
                    "since": since,
                    "detail": detail,
                    "ref": ref,
                }
            )

    for row in session.execute(
        select(
            Incident.instance_id,
            Incident.id,
            Incident.element_id,
            Incident.created_at,
            func.substr(Incident.message, 1, 300).label("message"),
            *instance,
        )
        .join(PI, PI.id == Incident.instance_id)
        .where(Incident.instance_id.in_(ids), Incident.status == IncidentStatus.OPEN.value)
    ):
        fact("incident", row, row.element_id, row.created_at, row.created_at, row.message, row.id)
    for row in session.execute(
        select(PI.id.label("instance_id"), PI.updated_at, *instance).where(
            PI.id.in_(ids), PI.status == InstanceStatus.SUSPENDED.value
        )
    ):
        fact("suspended", row, None, row.updated_at, row.updated_at, None, None)
    for row in session.execute(
        select(
            HumanTask.instance_id,
            HumanTask.id,
            HumanTask.element_id,
            HumanTask.due_at,
            HumanTask.created_at,
            HumanTask.name,
            *instance,
        )
        .join(PI, PI.id == HumanTask.instance_id)
        .where(
            HumanTask.instance_id.in_(ids),
            HumanTask.status == TaskStatus.OPEN.value,
            HumanTask.due_at.is_not(None),
        )
    ):
        fact("task", row, row.element_id, row.due_at, row.created_at, row.name, row.id)
    for row in session.execute(
        select(
            Timer.instance_id,
            Timer.element_id,
            Timer.due_at,
            Timer.created_at,
            Timer.name,
            *instance,
        )
        .join(PI, PI.id == Timer.instance_id)
        .where(
            Timer.instance_id.in_(ids),
            Timer.status == WaitStatus.WAITING.value,
            Timer.kind != "cycle",
        )
    ):
        fact("timer", row, row.element_id, row.due_at, row.created_at, row.name, None)
    for row in session.execute(
        select(
            MessageSubscription.instance_id,
            MessageSubscription.element_id,
            MessageSubscription.created_at,
            MessageSubscription.message_name,
            *instance,
        )
        .join(PI, PI.id == MessageSubscription.instance_id)
        .where(
            MessageSubscription.instance_id.in_(ids),
            MessageSubscription.status == WaitStatus.WAITING.value,
            PI.status.in_(ACTIVE),
        )
    ):
        fact("message", row, row.element_id, row.created_at, row.created_at, row.message_name, None)
    _idle(session, ids, fact)
    return rows


def idle_subqueries() -> tuple[Any, Any]:
    """For the `stil` rule, per instance row (PI): when its last event happened (the one with
    the highest id) and a waiting timer of it, if any (such an instance is not idle). The
    list's query and the facts read candidates alike."""
    last_event = (
        select(InstanceEvent.at)
        .where(InstanceEvent.instance_id == PI.id)
        .order_by(InstanceEvent.id.desc())
        .limit(1)
        .scalar_subquery()
    )
    waiting_timer = (
        select(Timer.id)
        .where(Timer.instance_id == PI.id, Timer.status == WaitStatus.WAITING.value)
        .limit(1)
        .scalar_subquery()
    )
    return last_event, waiting_timer


def _idle(session: Session, ids: list[str], fact: Any) -> None:
    """The `stil` rule's facts: written as stuck.py's `stil` query reads its candidates (the
    last event is the one with the highest id, as there)."""
    last_event, waiting_timer = idle_subqueries()
    candidates = session.execute(
        select(
            PI.id.label("instance_id"),
            PI.definition_key,
            PI.version_id,
            PI.municipality,
            PI.updated_at,
            last_event.label("last_event"),
        ).where(PI.id.in_(ids), PI.status.in_(ACTIVE), waiting_timer.is_(None))
    ).all()
    if not candidates:
        return
    found = [c.instance_id for c in candidates]
    activities: dict[str, set[str]] = {}
    for model, status in ((HumanTask, TaskStatus.OPEN.value), (Job, JobStatus.PENDING.value)):
        for instance_id, element in session.execute(
            select(model.instance_id, model.element_id).where(
                model.instance_id.in_(found), model.status == status
            )
        ):
            activities.setdefault(instance_id, set()).add(element)
    awaiting = set(
        session.scalars(
            select(MessageSubscription.instance_id).where(
                MessageSubscription.instance_id.in_(found),
                MessageSubscription.status == WaitStatus.WAITING.value,
            )
        )
    )
    for c in candidates:
        moved = c.updated_at
        if c.last_event is not None and c.last_event > moved:
            moved = c.last_event
        elements: list[str | None] = sorted(activities.get(c.instance_id, ()))
        if not elements and c.instance_id not in awaiting:
            elements = [None]  # the process's own limit
        for element in elements:
            fact("idle", c, element, moved, moved, None, None)


def pending(session: Session) -> int:
    """Marks not yet refreshed (instances the list reads by the rule)."""
    return int(session.scalar(select(func.count()).select_from(StuckMark)) or 0)
