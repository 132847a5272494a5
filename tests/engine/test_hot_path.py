"""The engine's hot paths in few statements (issue 23): completing a task is one locked read
and, on PostgreSQL, one write; a batch of timers writes per statement kind, not per instance,
and a batch that fails as a whole is done again one instance at a time."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta

from SpiffWorkflow.util.task import TaskIterator
from sqlalchemy import event, select, update

from app.db import Database
from app.engine import service
from app.engine.models import HumanTask, HumanTaskGroup, InstanceEvent, ProcessInstance, Timer
from app.engine.statements import INSERTS, send
from app.engine.timers import fire_due_timers
from tests.cases.support import seed
from tests.support.engine import FIXTURES, deploy_paths


@contextmanager
def statements(db: Database) -> Iterator[list[str]]:
    """The SQL statements sent inside the block (BEGIN on SQLite included)."""
    sent: list[str] = []

    def note(conn, cursor, statement, *rest) -> None:  # type: ignore[no-untyped-def]
        sent.append(statement)

    event.listen(db.engine, "before_cursor_execute", note)
    try:
        yield sent
    finally:
        event.remove(db.engine, "before_cursor_execute", note)


def test_completing_a_task_reads_once_and_writes_once_on_postgresql(db, clock) -> None:
    world = seed(db, "test-secret")
    first, task = world.tasks[:2]
    with statements(db) as sent, db.transaction() as session:
        service.complete_task(session, first.id, {"besluit": "hulp"}, "sanne")
    # What is fixed per process version (spec, catalogue, forms) is read once per process.
    assert any("process_version" in s for s in sent)
    with statements(db) as sent, db.transaction() as session:
        service.complete_task(session, task.id, {"besluit": "hulp"}, "sanne")
    reads = [s for s in sent if s.lstrip().upper().startswith("SELECT")]
    # The instance, the task and the parties that decide the next task's team: one read.
    assert len(reads) == 1, reads
    writes = [s for s in sent if not s.lstrip().upper().startswith(("SELECT", "BEGIN"))]
    if db.engine.dialect.name == "postgresql":
        assert len(writes) == 1, writes
    with db.session() as session:
        done = session.get(HumanTask, task.id)
        assert done.status == "completed" and done.completed_by == "sanne"
        assert not session.scalars(
            select(HumanTaskGroup).where(HumanTaskGroup.task_id == task.id)
        ).all()
        [following] = session.scalars(
            select(HumanTask).where(
                HumanTask.instance_id == task.instance_id, HumanTask.status == "open"
            )
        ).all()
        assert following.element_id == "terugkoppelen"
        # The party `wijkteam` is played by the Weert team in this case.
        assert following.candidate_groups == ["weert-swt"]
        assert session.scalars(
            select(HumanTaskGroup.group_key).where(HumanTaskGroup.task_id == following.id)
        ).all() == ["weert-swt"]
        kinds = session.scalars(
            select(InstanceEvent.kind)
            .where(InstanceEvent.instance_id == task.instance_id)
            .order_by(InstanceEvent.id)
        ).all()
        assert kinds[-2:] == ["task_completed", "task_created"]
        assert session.get(ProcessInstance, task.instance_id).revision == 2


def _waiting(db: Database, n: int, moment: datetime) -> list[str]:
    deploy_paths(db, FIXTURES / "timer.bpmn")
    ids = []
    with db.transaction() as session:
        for i in range(n):
            ids.append(
                service.start_instance(
                    session,
                    "test_timer",
                    business_key=f"T-{i}",
                    data={"wanneer": moment.isoformat()},
                    actor="test",
                ).id
            )
    return ids


def _fired(db: Database) -> int:
    with db.session() as session:
        return len(session.scalars(select(Timer.id).where(Timer.status == "done")).all())


def test_a_batch_of_timers_writes_per_statement_kind_not_per_instance(db, clock) -> None:
    moment = clock.now() + timedelta(hours=1)
    _waiting(db, 30, moment)
    clock.advance(timedelta(hours=2))
    with statements(db) as few:
        assert fire_due_timers(db, 3) == 3
    with statements(db) as many:
        assert fire_due_timers(db, 27) == 27
    assert _fired(db) == 30
    # Nine times the instances, the same statements: the writes go per kind, per batch.
    assert len(many) == len(few), (few, many)
    if db.engine.dialect.name == "postgresql":
        # There the whole batch is one statement: every instance's update, the timers'
        # closing and the history rows; before it, one statement marks the batch's instances
        # for the stuck list (hooks.before_batch), instead of a trigger call per row.
        writes = [s for s in many if not s.lstrip().upper().startswith(("SELECT", "BEGIN"))]
        marks = [s for s in writes if "INSERT INTO stuck_mark" in s]
        assert len(marks) == 1 and len(writes) == 2, writes
    assert fire_due_timers(db, 30) == 0  # never twice


def test_a_fired_timer_runs_the_engine_without_walking_the_task_tree(
    db, clock, monkeypatch
) -> None:
    """SpiffWorkflow's do_engine_steps walks the whole tree once per pass (a pass per task
    here: the event, the script, the end), and after every completed task once more for
    WAITING tasks: 13 walks per fired timer. The engine's passes find the READY task without
    a walk, and the WAITING walk is skipped when nothing waits. Left: the catching event's
    hook and the end's join, SpiffWorkflow's own, inside a task's run."""
    moment = clock.now() + timedelta(hours=1)
    ids = _waiting(db, 10, moment)
    clock.advance(timedelta(hours=2))
    walks: list[str] = []
    original = TaskIterator.__init__

    def counted(self, *args, **kwargs) -> None:  # type: ignore[no-untyped-def]
        walks.append("walk")
        original(self, *args, **kwargs)

    monkeypatch.setattr(TaskIterator, "__init__", counted)
    assert fire_due_timers(db, 10) == 10
    monkeypatch.undo()
    assert len(walks) <= 2 * 10, len(walks)
    with db.session() as session:
        for instance_id in ids:
            instance = session.get(ProcessInstance, instance_id)
            assert instance.status == "completed" and instance.data["afgegaan"] is True


def test_a_failing_batch_is_done_again_one_instance_at_a_time(db, clock, caplog) -> None:
    moment = clock.now() + timedelta(hours=1)
    ids = _waiting(db, 5, moment)
    # One instance whose stored state cannot be read: the batch fails as a whole.
    with db.transaction() as session:
        session.execute(
            update(ProcessInstance).where(ProcessInstance.id == ids[2]).values(state="{kapot")
        )
    clock.advance(timedelta(hours=2))
    assert fire_due_timers(db, 10) == 4  # the broken one did not advance: not counted
    assert _fired(db) == 4
    with db.session() as session:
        broken = session.scalars(select(Timer).where(Timer.instance_id == ids[2])).one()
        assert broken.status == "waiting"
    assert "timerbatch mislukt" in caplog.text


def test_a_prepared_write_stores_what_sqlalchemy_would_and_is_counted(db, clock) -> None:
    """`statements.send` hands SQLAlchemy's compiled text and processed values to the driver
    (`exec_driver_sql`): the rows read back equal those `connection.execute` writes (JSON, a
    UTC datetime, an executemany), each statement still reaches `before_cursor_execute`
    once, and a statement that needs SQLAlchemy's own work (a Python-side default of a
    column left out) goes through `execute` and gets its default."""
    world = seed(db, "test-secret")
    instance_id = world.tasks[0].instance_id
    at = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)

    def event_row(kind: str) -> dict[str, object]:
        return {
            "instance_id": instance_id,
            "at": at,
            "kind": kind,
            "element_id": None,
            "task_id": None,
            "actor": "sanne",
            "details": {"velden": ["a", "b"], "n": 1},
        }

    with db.transaction() as session:
        connection = session.connection()
        connection.execute(INSERTS["event"], [event_row("via_execute")])
        with statements(db) as sent:
            send(connection, INSERTS["event"], [event_row("via_send"), event_row("via_send")])
            send(connection, INSERTS["event"], event_row("via_send_one"))
            without_details = event_row("without_details")
            del without_details["details"]
            send(connection, INSERTS["event"], without_details)
        assert len(sent) == 3, sent
    with db.session() as session:
        rows = {
            e.kind: e
            for e in session.scalars(
                select(InstanceEvent).where(InstanceEvent.instance_id == instance_id)
            )
        }
    for kind in ("via_send", "via_send_one"):
        assert rows[kind].details == rows["via_execute"].details == {"velden": ["a", "b"], "n": 1}
        assert rows[kind].at == rows["via_execute"].at == at
        assert rows[kind].actor == "sanne" and rows[kind].element_id is None
    assert rows["without_details"].details == {}
