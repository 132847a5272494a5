"""The inbox's queries: tabs, filters, free-text search on permitted fields, sorting and
keyset pagination, and the rows as a person may see them.

A row shows the household's name only where the catalogue lets the task's party read it in
the case's phase; searching by name is limited to exactly those rows, so a search can never
reveal a name the viewer may not see. Showing names is reading case data: each page writes
its processing-log lines.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy import Text, and_, case, exists, false, func, literal, or_, select
from sqlalchemy.orm import Session

from app.auth.principal import Principal
from app.calendar.deadlines import DeadlineStatus, deadline_status
from app.clock import AMSTERDAM
from app.engine.errors import InvalidInput
from app.engine.models import HumanTask, HumanTaskGroup, ProcessInstance, TaskStatus
from app.engine.runtime import version_catalogue
from app.pagination import decode_cursor, encode_cursor

PAGE = 25
NAME_FIELD = "naam"
TABS = ("mijn", "groep", "team")
SORTS = {
    # name: (columns, descending flags)
    "prioriteit": (("priority", "due_at", "created_at", "id"), (True, False, False, False)),
    "termijn": (("due_at", "priority", "created_at", "id"), (False, True, False, False)),
    "nieuwste": (("created_at", "id"), (True, True)),
}


@dataclass
class Filters:
    tab: str = "groep"
    process: str | None = None
    element: str | None = None  # task type
    due: str | None = None  # te-laat, vandaag, deze-week
    priority: str | None = None  # hoog (>= 70)
    assignee: str | None = None
    q: str | None = None
    sort: str = "prioriteit"
    cursor: str | None = None

    @classmethod
    def from_args(cls, args: Any) -> Filters:
        tab = args.get("tab") or "groep"
        sort = args.get("sort") or "prioriteit"
        errors = {}
        if tab not in TABS:
            errors["tab"] = ["mijn, groep of team"]
        if sort not in SORTS:
            errors["sort"] = [", ".join(SORTS)]
        if errors:
            raise InvalidInput("ongeldig filter", errors)
        clean = {
            k: (args.get(k) or None)
            for k in ("process", "element", "due", "priority", "assignee", "q", "cursor")
        }
        if clean["q"] and len(clean["q"]) > 100:
            raise InvalidInput("zoektekst te lang", {"q": ["maximaal 100 tekens"]})
        return cls(tab=tab, sort=sort, **clean)

    def query(self) -> dict[str, str]:
        """For links and saved filters (without the cursor)."""
        values = {
            "tab": self.tab,
            "process": self.process,
            "element": self.element,
            "due": self.due,
            "priority": self.priority,
            "assignee": self.assignee,
            "q": self.q,
            "sort": self.sort if self.sort != "prioriteit" else None,
        }
        return {k: v for k, v in values.items() if v}


@dataclass
class Row:
    task: HumanTask
    business_key: str | None
    name: str | None  # the household's name, when the viewer may read it
    deadline: DeadlineStatus | None


@dataclass
class Page:
    rows: list[Row]
    next_cursor: str | None
    counts: dict[str, int] = field(default_factory=dict)


def _groups(principal: Principal) -> list[str]:
    return sorted(principal.groups)


def _in_groups(principal: Principal) -> Any:
    return exists().where(
        and_(
            HumanTaskGroup.task_id == HumanTask.id, HumanTaskGroup.group_key.in_(_groups(principal))
        )
    )


def tab_condition(principal: Principal, tab: str) -> Any:
    if tab == "mijn":
        return HumanTask.assignee == principal.name
    if tab == "groep":
        return and_(HumanTask.assignee.is_(None), _in_groups(principal))
    if not principal.has_role("teamleider"):
        return false()
    return _in_groups(principal)


def name_readable(
    session: Session,
    principal: Principal,
    party: Any = HumanTask.party,
    definition_key: Any = HumanTask.definition_key,
) -> Any:
    """SQL condition: the catalogue lets the task's party (or `party`, e.g. the viewer's
    InstanceParty.party in a case) read the name in the case's phase (for the latest version
    of each process; a condition per process and party)."""
    from app.engine.queries import list_definitions

    conditions = []
    for definition, version in list_definitions(session):
        catalogue = version_catalogue(session, version.id)
        if catalogue is None or NAME_FIELD not in catalogue.fields:
            continue
        for reader, access in catalogue.fields[NAME_FIELD].read.items():
            if access.consent is not None:
                continue  # needs a consent per case: never searchable from the inbox
            phase = (
                True if access.phases is None else ProcessInstance.phase.in_(sorted(access.phases))
            )
            conditions.append(and_(definition_key == definition.key, party == reader, phase))
    return or_(*conditions) if conditions else false()


def _filters(
    session: Session, principal: Principal, f: Filters, now: datetime, source: Any = HumanTask
) -> list[Any]:
    """Conditions on the task; `source` HumanTaskGroup puts those it repeats (priority,
    deadline) on the group row instead (whose rows are open tasks only)."""
    conditions: list[Any] = []
    if source is HumanTask:
        conditions.append(HumanTask.status == TaskStatus.OPEN.value)
    if f.process:
        conditions.append(HumanTask.definition_key == f.process)
    if f.element:
        conditions.append(HumanTask.element_id == f.element)
    if f.assignee:
        conditions.append(HumanTask.assignee == f.assignee)
    if f.priority == "hoog":
        conditions.append(source.priority >= 70)
    if f.due == "te-laat":
        conditions.append(source.due_at < now)
    elif f.due in ("vandaag", "deze-week"):
        from app.calendar.atw import default_calendar

        today = now.astimezone(AMSTERDAM).date()
        days = 0 if f.due == "vandaag" else 5
        last = default_calendar().add_working_days(today, days)
        end = datetime.combine(last, datetime.max.time(), AMSTERDAM)
        conditions.append(and_(source.due_at >= now, source.due_at <= end))
    if f.q:
        text = f"%{f.q.strip().lower()}%"
        by_key = func.lower(ProcessInstance.business_key).like(text)
        by_task = func.lower(HumanTask.name).like(text)
        by_name = and_(
            name_readable(session, principal),
            func.lower(_json_text(session, ProcessInstance.data, NAME_FIELD)).like(text),
        )
        conditions.append(or_(by_key, by_task, by_name))
    return conditions


# PostgreSQL's json type keeps a document's text as written, and ->> decodes all of it: one
# row holding a lone-surrogate or NUL escape (stored before the doors refused them, see
# app/text_rules.py) would fail the whole search. Such a row's fields read as NULL instead.
UNDECODABLE_ESCAPE = (
    r"\\u[dD][89abAB][0-9a-fA-F]{2}(?!\\u[dD][c-fC-F][0-9a-fA-F]{2})"
    r"|(?<!\\u[dD][89abAB][0-9a-fA-F]{2})\\u[dD][c-fC-F][0-9a-fA-F]{2}"
    r"|\\u0000"
)


def _json_text(session: Session, column: Any, key: str) -> Any:
    value = column[key].as_string()
    if session.get_bind().dialect.name != "postgresql":
        return value
    return case((column.cast(Text).regexp_match(UNDECODABLE_ESCAPE), None), else_=value)


def _keyset(sort: str, cursor: str | None, source: Any = HumanTask) -> Any:
    columns, descending = SORTS[sort]
    after = decode_cursor(cursor, len(columns))
    if after is None:
        return None
    values = [_revive(c, v) for c, v in zip(columns, after, strict=True)]
    # (a, b, c) after (x, y, z) in the given directions, NULL due dates last; the bound on
    # the first column alone is implied, but lets the database start the index range there.
    first = _col(columns[0], source)
    if values[0] is None:
        start = first.is_(None)
    elif columns[0] == "due_at":
        start = or_(first >= values[0], first.is_(None))
    else:
        start = first <= values[0] if descending[0] else first >= values[0]
    clauses = []
    for i, column in enumerate(columns):
        equal = [_eq(columns[j], values[j], source) for j in range(i)]
        clauses.append(and_(*equal, _beyond(column, values[i], descending[i], source)))
    return and_(start, or_(*clauses))


def _col(name: str, source: Any = HumanTask) -> Any:
    if source is HumanTaskGroup and name == "id":
        return HumanTaskGroup.task_id
    return getattr(source, name)


def _eq(name: str, value: Any, source: Any = HumanTask) -> Any:
    column = _col(name, source)
    return column.is_(None) if value is None else column == value


def _beyond(name: str, value: Any, descending: bool, source: Any = HumanTask) -> Any:
    column = _col(name, source)
    if name == "due_at":
        if value is None:
            return false()  # nothing comes after the undated ones
        return or_(column > value, column.is_(None))
    return column < value if descending else column > value


def _revive(name: str, value: Any) -> Any:
    if value is not None and name in ("due_at", "created_at"):
        return datetime.fromisoformat(value)
    return value


def _order(sort: str, source: Any = HumanTask) -> list[Any]:
    columns, descending = SORTS[sort]
    order = []
    for name, desc in zip(columns, descending, strict=True):
        column = _col(name, source)
        if name == "due_at":
            order.append(column.asc().nulls_last())  # as the keyset assumes, on every database
        else:
            order.append(column.desc() if desc else column.asc())
    return order


def page(
    session: Session, principal: Principal, f: Filters, now: datetime, size: int = PAGE
) -> Page:
    query = select(
        HumanTask,
        ProcessInstance.business_key,
        ProcessInstance.phase,
        ProcessInstance.data,
        ProcessInstance.version_id,
    ).join(ProcessInstance, ProcessInstance.id == HumanTask.instance_id)
    if _from_groups(f):
        ids = _ids_from_groups(session, principal, f, now, size + 1)
        by_id = {r[0].id: r for r in session.execute(query.where(HumanTask.id.in_(ids))).all()}
        found = [by_id[i] for i in ids if i in by_id]  # a task closed in between drops out
    else:
        query = query.where(*_filters(session, principal, f, now), tab_condition(principal, f.tab))
        after = _keyset(f.sort, f.cursor)
        if after is not None:
            query = query.where(after)
        found = list(session.execute(query.order_by(*_order(f.sort)).limit(size + 1)).all())
    more = len(found) > size
    found = found[:size]
    rows = []
    deadlines = _Deadlines(now)
    for task, key, phase, data, version_id in found:
        catalogue = version_catalogue(session, version_id)
        readable = (
            catalogue is not None
            and task.party is not None
            and NAME_FIELD in catalogue.readable(task.party, phase)
        )
        rows.append(
            Row(
                task,
                key,
                (data or {}).get(NAME_FIELD) if readable else None,
                deadlines.status(task.due_at),
            )
        )
    next_cursor = None
    if more and rows:
        last = rows[-1].task
        columns, _ = SORTS[f.sort]
        next_cursor = encode_cursor(
            [
                (
                    getattr(last, c).isoformat()
                    if isinstance(getattr(last, c), datetime)
                    else getattr(last, c)
                )
                for c in columns
            ]
        )
    return Page(rows, next_cursor, tab_counts(session, principal))


class _Deadlines:
    """deadline_status for a page's rows: away from today the status depends on the due
    date's day alone, and walking the calendar per row was a sixth of the page's own time
    (a page shares few due days)."""

    def __init__(self, now: datetime) -> None:
        self.now = now
        self.today = now.astimezone(AMSTERDAM).date()
        self._by_day: dict[date, DeadlineStatus | None] = {}

    def status(self, due: datetime | None) -> DeadlineStatus | None:
        if due is None:
            return None
        day = due.astimezone(AMSTERDAM).date()
        if day == self.today:
            return deadline_status(due, self.now)
        if day not in self._by_day:
            self._by_day[day] = deadline_status(due, self.now)
        return self._by_day[day]


def tab_counts(session: Session, principal: Principal) -> dict[str, int]:
    """Open tasks per tab, in one statement; the group tabs counted on the group rows alone
    (a task offered to two of the viewer's groups has two rows: counted once)."""
    group = HumanTaskGroup
    in_groups = group.group_key.in_(_groups(principal))
    # One group's rows are one per task (the key is task and group): no DISTINCT to sort.
    counted = (
        func.count(func.distinct(group.task_id)) if len(principal.groups) > 1 else func.count()
    )
    mine = (
        select(func.count())
        .select_from(HumanTask)
        .where(HumanTask.status == TaskStatus.OPEN.value, tab_condition(principal, "mijn"))
        .scalar_subquery()
    )
    offered = select(counted).select_from(group).where(in_groups, group.assignee.is_(None))
    team = (
        select(counted).select_from(group).where(in_groups).scalar_subquery()
        if principal.has_role("teamleider")
        else literal(0)
    )
    counts = session.execute(select(mine, offered.scalar_subquery(), team)).one()
    return {tab: int(value or 0) for tab, value in zip(TABS, counts, strict=True)}


def open_kinds(principal: Principal) -> Any:
    """The kinds of task open for the viewer, as (process, element, name) rows: for the
    inbox's filter menus. With groups: those offered to the viewer's groups, read from the
    group rows (which exist for open tasks only and repeat the task's kind, migration 0019)
    instead of every open task of the groups; without: the viewer's own open tasks."""
    if not principal.groups:
        return (
            select(HumanTask.definition_key, HumanTask.element_id, HumanTask.name)
            .where(HumanTask.status == TaskStatus.OPEN.value, HumanTask.assignee == principal.name)
            .distinct()
        )
    group = HumanTaskGroup
    return (
        select(group.definition_key, group.element_id, group.name)
        .where(group.group_key.in_(_groups(principal)))
        .distinct()
    )


def _from_groups(f: Filters) -> bool:
    """The everyday page (a group tab, filtered at most by deadline or priority) is read from
    the group rows' inbox index alone; other filters need the task and case columns."""
    return f.tab != "mijn" and not (f.process or f.element or f.assignee or f.q)


def _ids_from_groups(
    session: Session, principal: Principal, f: Filters, now: datetime, limit: int
) -> list[str]:
    group = HumanTaskGroup
    if f.tab == "team" and not principal.has_role("teamleider"):
        return []
    groups = _groups(principal)
    query = select(group.task_id).where(
        group.group_key.in_(groups), *_filters(session, principal, f, now, group)
    )
    if f.tab == "groep":
        query = query.where(group.assignee.is_(None))
    after = _keyset(f.sort, f.cursor, group)
    if after is not None:
        query = query.where(after)
    if len(groups) > 1:
        # A task offered to two of the viewer's groups is one row (its sort keys are equal).
        query = query.group_by(group.task_id, group.priority, group.due_at, group.created_at)
    return list(session.scalars(query.order_by(*_order(f.sort, group)).limit(limit)))
