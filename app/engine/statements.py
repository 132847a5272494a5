"""The engine's prepared writes: one Core statement per table and transition, instead of ORM
units of work (this is the hottest path of the product; see bench/engine.py), and the buffer
that lets the intake start many instances with a few statements."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Connection,
    CursorResult,
    String,
    bindparam,
    cast,
    column,
    delete,
    func,
    insert,
    select,
    update,
)
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import BindParameter

from app.db import UTCDateTime
from app.engine import hooks
from app.engine.errors import Conflict
from app.engine.models import (
    HumanTask,
    HumanTaskGroup,
    InstanceEvent,
    InstanceParty,
    Job,
    JobStatus,
    MessageSubscription,
    ProcessInstance,
    SignalSubscription,
    TaskStatus,
    Timer,
    WaitStatus,
)

_TABLES: dict[str, Any] = {
    "task": HumanTask.__table__,
    "job": Job.__table__,
    "timer": Timer.__table__,
    "message": MessageSubscription.__table__,
    "signal": SignalSubscription.__table__,
}
_OPEN = {
    "task": TaskStatus.OPEN.value,
    "job": JobStatus.PENDING.value,
    "timer": WaitStatus.WAITING.value,
    "message": WaitStatus.WAITING.value,
    "signal": WaitStatus.WAITING.value,
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
    "signal": {"status": WaitStatus.DONE.value, "delivered_at": bindparam("now")},
}
_CANCEL_VALUES = {
    "task": {"status": TaskStatus.CANCELLED.value},
    "job": {"status": JobStatus.CANCELLED.value, "locked_by": None, "locked_until": None},
    "timer": {"status": WaitStatus.CANCELLED.value},
    "message": {"status": WaitStatus.CANCELLED.value},
    "signal": {"status": WaitStatus.CANCELLED.value},
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


CLOSE = {(kind, done): _close_statement(kind, done) for kind in _TABLES for done in (True, False)}
# Group rows exist only while a task is open, so a team's inbox is an index lookup over its
# open tasks alone (completed tasks keep their candidate_groups column).
UNGROUP = HumanTaskGroup.__table__.delete().where(
    HumanTaskGroup.__table__.c.task_id == bindparam("tid")
)
MOVE_TIMER = (
    update(Timer.__table__)
    .where(
        Timer.__table__.c.instance_id == bindparam("iid"),
        Timer.__table__.c.spiff_task_id == bindparam("tid"),
        Timer.__table__.c.status == WaitStatus.WAITING.value,
    )
    .values(due_at=bindparam("due"))
)
INSTANCE_TABLE = ProcessInstance.__table__
INSERT_INSTANCE = insert(INSTANCE_TABLE)
SAVED_COLUMNS = (
    "state",
    "status",
    "updated_at",
    "ended_at",
    "suspended_status",
    "phase",
    "data",
    "data_expires_at",
)
UPDATE_INSTANCE = (
    update(INSTANCE_TABLE)
    .where(
        INSTANCE_TABLE.c.id == bindparam("iid"),
        INSTANCE_TABLE.c.revision == bindparam("old_revision"),
    )
    .values(**{c: bindparam(f"v_{c}") for c in SAVED_COLUMNS}, revision=bindparam("new_revision"))
)
INSERTS = {
    name: insert(model.__table__)
    for name, model in (
        ("task", HumanTask),
        ("group", HumanTaskGroup),
        ("job", Job),
        ("timer", Timer),
        ("message", MessageSubscription),
        ("signal", SignalSubscription),
        ("event", InstanceEvent),
    )
}
INSERT_ORDER = ("task", "group", "job", "timer", "message", "signal", "event")


# -- PostgreSQL: a transition's writes in one statement ------------------------------------
#
# On PostgreSQL every statement is a round trip, and a transition's round trips cost more
# than its engine work (bench/engine.py). There the instance's UPDATE carries the other
# writes as data-modifying CTEs; each table's rows travel as one JSON parameter read by
# json_to_recordset, so one statement fits any number of rows. Foreign keys are checked at
# the end of the statement, so a task and its group rows may be inserted together.


def _recordset(name: str, columns: list[Any]) -> Any:
    return (
        func.json_to_recordset(cast(bindparam(name, type_=String), JSON))
        .table_valued(*columns)
        .render_derived(name=f"{name}_rows", with_types=True)
    )


def _insert_cte(name: str, keys: tuple[str, ...]) -> Any:
    table = INSERTS[name].table
    rows = _recordset(f"ins_{name}", [column(k, table.c[k].type) for k in keys])
    return insert(table).from_select(list(keys), select(*(rows.c[k] for k in keys))).cte(name)


def _close_cte(kind: str, done: bool) -> Any:
    table = _TABLES[kind]
    name = f"{'done' if done else 'cancel'}_{kind}"
    rows = _recordset(
        name, [column("tid", String()), column("now", UTCDateTime()), column("by", String())]
    )
    values = {
        key: rows.c[value.key] if isinstance(value, BindParameter) else value
        for key, value in (_DONE_VALUES if done else _CANCEL_VALUES)[kind].items()
    }
    id_col = table.c.id if kind == "task" else table.c.spiff_task_id
    statement = update(table).where(
        table.c.instance_id == bindparam("iid"),
        id_col == rows.c.tid,
        table.c.status == _OPEN[kind],
    )
    return statement.values(**values).cte(name)


def _ungroup_cte() -> Any:
    group = HumanTaskGroup.__table__
    rows = _recordset("ungroup", [column("tid", String())])
    return delete(group).where(group.c.task_id.in_(select(rows.c.tid))).cte("ungroup")


_ONE_WRITE: dict[Any, Any] = {}


def _jsonable(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    raise TypeError(f"{type(value).__name__} is not JSON serializable")


def one_write(
    closes: dict[tuple[str, bool], list[dict[str, Any]]],
    rows: dict[str, list[dict[str, Any]]],
) -> tuple[Any, dict[str, Any]]:
    """UPDATE_INSTANCE carrying the closes and inserts as CTEs, and its extra parameters.
    One statement per shape (which tables, which columns), built once per process."""
    inserts = tuple((name, tuple(rows[name][0])) for name in INSERT_ORDER if rows[name])
    closing = tuple(sorted(key for key, params in closes.items() if params))
    ungroup = [p["tid"] for done in (True, False) for p in closes.get(("task", done), ())]
    shape = (inserts, closing, bool(ungroup))
    statement = _ONE_WRITE.get(shape)
    if statement is None:
        ctes = [_close_cte(kind, done) for kind, done in closing]
        if ungroup:
            ctes.append(_ungroup_cte())
        ctes += [_insert_cte(name, keys) for name, keys in inserts]
        statement = _ONE_WRITE[shape] = UPDATE_INSTANCE.add_cte(*ctes)
    params: dict[str, Any] = {}
    for kind, done in closing:
        params[f"{'done' if done else 'cancel'}_{kind}"] = json.dumps(
            closes[(kind, done)], default=_jsonable
        )
    if ungroup:
        params["ungroup"] = json.dumps([{"tid": tid} for tid in ungroup])
    for name, _ in inserts:
        params[f"ins_{name}"] = json.dumps(rows[name], default=_jsonable)
    return statement, params


# -- PostgreSQL: a batch of transitions in one statement -------------------------------------
#
# The worker's batch of timers (BatchWrites) as one statement instead of an executemany per
# kind: every instance's revision-checked UPDATE from one recordset, the closes and inserts as
# CTEs like one_write's. The server plans and runs one statement instead of one per row, and
# the two workers share the machine's cores with it (bench/timers.py).

_INSTANCE_ROW = (
    ("iid", String()),
    ("old_revision", INSTANCE_TABLE.c.revision.type),
    ("new_revision", INSTANCE_TABLE.c.revision.type),
    *((f"v_{c}", INSTANCE_TABLE.c[c].type) for c in SAVED_COLUMNS),
)


def _batch_close_cte(kind: str, done: bool) -> Any:
    """`_close_cte` for many instances: each row names its instance."""
    table = _TABLES[kind]
    name = f"{'done' if done else 'cancel'}_{kind}"
    rows = _recordset(
        name,
        [
            column("iid", String()),
            column("tid", String()),
            column("now", UTCDateTime()),
            column("by", String()),
        ],
    )
    values = {
        key: rows.c[value.key] if isinstance(value, BindParameter) else value
        for key, value in (_DONE_VALUES if done else _CANCEL_VALUES)[kind].items()
    }
    id_col = table.c.id if kind == "task" else table.c.spiff_task_id
    statement = update(table).where(
        table.c.instance_id == rows.c.iid,
        id_col == rows.c.tid,
        table.c.status == _OPEN[kind],
    )
    return statement.values(**values).cte(name)


_BATCH_WRITE: dict[Any, Any] = {}


def batch_write(
    closes: dict[tuple[str, bool], list[dict[str, Any]]],
    instances: list[dict[str, Any]],
    rows: dict[str, list[dict[str, Any]]],
) -> tuple[Any, dict[str, Any]]:
    """The batch's writes as one UPDATE of the instances carrying the rest as CTEs, and its
    parameters; (None, {}) when the rows of one table differ in their columns (then the
    caller writes per kind)."""
    inserts = []
    for name in INSERT_ORDER:
        if rows[name]:
            keys = tuple(rows[name][0])
            if any(tuple(r) != keys for r in rows[name]):
                return None, {}
            inserts.append((name, keys))
    if any(tuple(i) != tuple(instances[0]) for i in instances):
        return None, {}
    closing = tuple(sorted(key for key, params in closes.items() if params))
    ungroup = [p["tid"] for done in (True, False) for p in closes.get(("task", done), ())]
    shape = (tuple(inserts), closing, bool(ungroup))
    statement = _BATCH_WRITE.get(shape)
    if statement is None:
        ctes = [_batch_close_cte(kind, done) for kind, done in closing]
        if ungroup:
            ctes.append(_ungroup_cte())
        ctes += [_insert_cte(name, keys) for name, keys in inserts]
        new = _recordset("instances", [column(k, t) for k, t in _INSTANCE_ROW])
        statement = _BATCH_WRITE[shape] = (
            update(INSTANCE_TABLE)
            .where(
                INSTANCE_TABLE.c.id == new.c.iid,
                INSTANCE_TABLE.c.revision == new.c.old_revision,
            )
            .values(
                **{c: new.c[f"v_{c}"] for c in SAVED_COLUMNS},
                revision=new.c.new_revision,
            )
            .add_cte(*ctes)
        )
    params: dict[str, Any] = {"instances": json.dumps(instances, default=_jsonable)}
    for kind, done in closing:
        params[f"{'done' if done else 'cancel'}_{kind}"] = json.dumps(
            closes[(kind, done)], default=_jsonable
        )
    if ungroup:
        params["ungroup"] = json.dumps([{"tid": tid} for tid in ungroup])
    for name, _ in inserts:
        params[f"ins_{name}"] = json.dumps(rows[name], default=_jsonable)
    return statement, params


# -- Sending a prepared statement ---------------------------------------------------------
#
# SQLAlchemy's `Connection.execute` of a Core statement costs 20-60 us before the driver sees
# it (a cache key of the statement's tree, the compiled lookup, parameter processing), more
# than SQLite takes to run it; a transition sends one to six. `send` compiles each
# (statement, parameter names) once per dialect and hands the SQL text and the processed
# values to `exec_driver_sql`, which still runs the engine's events (`before_cursor_execute`:
# the statement-counting tests see every statement) and returns the same result.


class _Prepared:
    """A statement compiled for one dialect and one set of parameter names."""

    def __init__(self, sql: str, positional: bool, binds: list[tuple[str, Any, Any]]) -> None:
        self.sql = sql
        self.positional = positional
        self.binds = binds  # (name, value when the caller gives none, bind processor)

    def values(self, params: dict[str, Any]) -> Any:
        if self.positional:
            return tuple(
                (process(params.get(name, default)) if process else params.get(name, default))
                for name, default, process in self.binds
            )
        return {
            name: (process(params.get(name, default)) if process else params.get(name, default))
            for name, default, process in self.binds
        }


def _prepare(statement: Any, connection: Connection, keys: tuple[str, ...]) -> _Prepared | None:
    """None when the statement needs more than its text and values: Python-side defaults
    or onupdate values (prefetch), RETURNING, expanding parameters, escaped names."""
    dialect = connection.dialect
    compiled = statement.compile(
        dialect=dialect, column_keys=list(keys) if statement.is_insert else None
    )
    if (
        compiled.insert_prefetch
        or compiled.update_prefetch
        or compiled.effective_returning
        or compiled.literal_execute_params
        or compiled.post_compile_params
        or compiled.escaped_bind_names
    ):
        return None
    given = set(keys)
    defaults = compiled.construct_params(_check=False)
    if any(bp.required and name not in given for name, bp in compiled.binds.items()):
        return None  # let SQLAlchemy say which parameter is missing
    processors = compiled._bind_processors
    names = compiled.positiontup if compiled.positional else list(defaults)
    binds = [(name, defaults.get(name), processors.get(name)) for name in names or ()]
    return _Prepared(compiled.string, bool(compiled.positional), binds)


_PREPARED = "_stroom_prepared"
# The engine's statements are module-level (one per table and kind, one per `one_write`
# shape), so a dialect's cache holds a few dozen; past this a statement is sent unprepared
# rather than kept (a caller that builds its statement per call would otherwise grow it).
_PREPARED_MAX = 512


def send(connection: Connection, statement: Any, params: Any) -> CursorResult[Any]:
    """`connection.execute(statement, params)` for a Core write, with params one dict or a
    list of dicts with the same keys (then an executemany), without SQLAlchemy's work per
    call (above). Anything `_prepare` cannot send goes to `connection.execute`."""
    many = isinstance(params, list)
    first = params[0] if many else params
    keys = tuple(first)
    cache = connection.dialect.__dict__.setdefault(_PREPARED, {})
    try:
        prepared = cache[(statement, keys)]
    except KeyError:
        if len(cache) >= _PREPARED_MAX:
            return connection.execute(statement, params)
        prepared = cache[(statement, keys)] = _prepare(statement, connection, keys)
    if prepared is None or (many and any(tuple(p) != keys for p in params)):
        return connection.execute(statement, params)
    if many:
        return connection.exec_driver_sql(prepared.sql, [prepared.values(p) for p in params])
    return connection.exec_driver_sql(prepared.sql, prepared.values(params))


PARTIES = insert(InstanceParty.__table__)
DEFERRED = "stroom_deferred_inserts"


class InsertBuffer:
    """Rows held back to be written per table in one statement each, in the order the tables
    first appeared (a new instance's row comes before its tasks and events)."""

    def __init__(self) -> None:
        self.rows: dict[Any, list[dict[str, Any]]] = {}

    def add(self, table: Any, rows: list[dict[str, Any]]) -> None:
        if rows:
            self.rows.setdefault(table, []).extend(rows)

    def flush(self, session: Session) -> None:
        connection = session.connection()
        _before_batch(connection, [r["id"] for r in self.rows.get(INSTANCE_TABLE, ())])
        for table, rows in self.rows.items():
            statement = _INSERT_OF.get(table)
            if statement is None:
                connection.execute(insert(table), rows)
            else:
                send(connection, statement, rows)
        self.rows = {}


_INSERT_OF = {s.table: s for s in (INSERT_INSTANCE, PARTIES, *INSERTS.values())}


BATCH = "stroom_batched_writes"


def _before_batch(connection: Connection, instance_ids: list[str]) -> None:
    if instance_ids:
        for hook in hooks.before_batch:
            hook(connection, instance_ids)


class BatchWrites:
    """The writes of many transitions of existing instances (the worker's batch of timers),
    sent per statement kind with executemany at the end: a few statements per batch instead
    of several per instance. Each instance's UPDATE keeps its revision check."""

    def __init__(self) -> None:
        self.closes: dict[tuple[str, bool], list[dict[str, Any]]] = {}
        self.instances: list[dict[str, Any]] = []
        self.rows: dict[str, list[dict[str, Any]]] = {name: [] for name in INSERT_ORDER}

    def add(
        self,
        instance_id: str,
        closes: dict[tuple[str, bool], list[dict[str, Any]]],
        instance: dict[str, Any],
        rows: dict[str, list[dict[str, Any]]],
    ) -> None:
        for key, params in closes.items():
            self.closes.setdefault(key, []).extend({"iid": instance_id, **p} for p in params)
        self.instances.append(instance)
        for name in INSERT_ORDER:
            self.rows[name].extend(rows[name])

    def flush(self, session: Session) -> None:
        connection = session.connection()
        _before_batch(connection, [i["iid"] for i in self.instances])
        if connection.dialect.name == "postgresql" and self.instances:
            statement, params = batch_write(self.closes, self.instances, self.rows)
            if statement is not None:
                if send(connection, statement, params).rowcount != len(self.instances):
                    raise Conflict("procesinstantie is tegelijk door iemand anders gewijzigd")
                self.__init__()  # type: ignore[misc]
                return
        for key, params in self.closes.items():
            if params:
                send(connection, CLOSE[key], params)
                if key[0] == "task":
                    send(connection, UNGROUP, params)
        if self.instances:
            result = send(connection, UPDATE_INSTANCE, self.instances)
            if result.rowcount not in (-1, len(self.instances)):
                raise Conflict("procesinstantie is tegelijk door iemand anders gewijzigd")
        for name in INSERT_ORDER:
            if self.rows[name]:
                send(connection, INSERTS[name], self.rows[name])
        self.__init__()  # type: ignore[misc]


@contextmanager
def batched_writes(session: Session) -> Iterator[BatchWrites]:
    """Transitions inside the block hand their writes to one batch, written when the block
    ends without an error (with the caller's transaction, so a crash writes nothing)."""
    batch = BatchWrites()
    session.info[BATCH] = batch
    try:
        yield batch
        batch.flush(session)
    finally:
        session.info.pop(BATCH, None)


@contextmanager
def deferred_inserts(session: Session) -> Iterator[InsertBuffer]:
    """Start many instances in one transaction with a few statements instead of several per
    instance (the intake of a file). New instances that reach a wait state are buffered; any
    other save writes the buffer first. Code inside the block must not query the buffered
    rows (it may start instances, not open them). Written when the block ends without an
    error; an error discards the buffer with the caller's transaction."""
    buffer = InsertBuffer()
    session.info[DEFERRED] = buffer
    try:
        yield buffer
        buffer.flush(session)
    finally:
        session.info.pop(DEFERRED, None)
