"""Searching the processing log and the audit log (the privacy officer's pages).

Filters are plain dataclasses; `parse_*` turn query-string or form values into one, with a
Dutch message per field that is wrong. Both logs are read newest first with keyset
pagination on (time, id), so a page costs the same at the start and deep in a log of
millions of lines. The processing log holds pseudonyms only: the officer's case id or BSN
becomes the same keyed hash the log writer made (`app.auth.crypto.pseudonym`).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import ColumnElement, and_, exists, func, or_, select
from sqlalchemy.orm import Session

from app import clock
from app.auth.crypto import pseudonym
from app.engine.models import ProcessInstance
from app.pagination import decode_cursor, encode_cursor
from app.privacy.models import AuditLog, ProcessingLog
from app.registers.validation import elfproef

PAGE_SIZE = 50
EXPORT_LIMIT = 50_000  # more than this: the officer narrows the selection first
STATUSES = ("OK", "ERROR")
RESULTS = ("gelukt", "geweigerd", "fout")
SUBJECT_KINDS = ("zaak", "bsn")
_HEX = re.compile(r"^[0-9a-f]+$")


class BadCursor(ValueError):
    """A pagination cursor that this code did not make."""


# -- filters -------------------------------------------------------------------------------


def _text(values: Mapping[str, Any], name: str) -> str | None:
    value = values.get(name)
    value = value.strip() if isinstance(value, str) else None
    return value or None


def parse_period(
    values: Mapping[str, Any], errors: dict[str, str]
) -> tuple[datetime | None, datetime | None]:
    """`van` and `tot` (YYYY-MM-DD, both days included, Amsterdam time) as a UTC range with
    an exclusive end."""
    days: dict[str, date | None] = {}
    for name in ("van", "tot"):
        raw = _text(values, name)
        days[name] = None
        if raw:
            try:
                days[name] = date.fromisoformat(raw)
            except ValueError:
                errors[name] = "Vul een datum in als jjjj-mm-dd, bijvoorbeeld 2026-03-02."
    start, end = days["van"], days["tot"]
    if start and end and end < start:
        errors["tot"] = "De einddatum ligt vóór de begindatum."
    return (
        _local_midnight(start) if start else None,
        _local_midnight(end + timedelta(days=1)) if end else None,
    )


def _local_midnight(day: date) -> datetime:
    return datetime.combine(day, time(0, 0), clock.AMSTERDAM).astimezone(UTC)


@dataclass(frozen=True)
class ProcessingFilter:
    start: datetime | None = None
    end: datetime | None = None
    activity: str | None = None
    name: str | None = None  # part of the name, any case
    status: str | None = None
    trace_id: str | None = None
    subject_kind: str | None = None
    subjects: tuple[str, ...] = ()  # pseudonyms

    def conditions(self) -> list[ColumnElement[bool]]:
        log = ProcessingLog
        found: list[ColumnElement[bool]] = []
        if self.start:
            found.append(log.start_time >= self.start)
        if self.end:
            found.append(log.start_time < self.end)
        if self.activity:
            found.append(log.activity_id == self.activity)
        if self.name:
            found.append(func.lower(log.name).contains(self.name.lower(), autoescape=True))
        if self.status:
            found.append(log.status == self.status)
        if self.trace_id:
            found.append(log.trace_id == self.trace_id)
        if self.subjects:
            found.append(log.data_subject_id.in_(self.subjects))
            if self.subject_kind:
                found.append(log.data_subject_type == self.subject_kind)
        return found


@dataclass(frozen=True)
class AuditFilter:
    start: datetime | None = None
    end: datetime | None = None
    actor: str | None = None  # part of the actor, any case
    action: str | None = None  # the start of the action, any case
    object_type: str | None = None
    object_id: str | None = None
    result: str | None = None
    organisation: str | None = None

    def conditions(self) -> list[ColumnElement[bool]]:
        log = AuditLog
        found: list[ColumnElement[bool]] = []
        if self.start:
            found.append(log.at >= self.start)
        if self.end:
            found.append(log.at < self.end)
        if self.actor:
            found.append(func.lower(log.actor).contains(self.actor.lower(), autoescape=True))
        if self.action:
            found.append(func.lower(log.action).startswith(self.action.lower(), autoescape=True))
        if self.object_type:
            found.append(log.object_type == self.object_type)
        if self.object_id:
            found.append(log.object_id == self.object_id)
        if self.result:
            found.append(log.result == self.result)
        if self.organisation:
            found.append(log.organisation == self.organisation)
        return found


def normalise_bsn(value: str) -> str:
    return re.sub(r"[\s.-]", "", value)


def subject_pseudonyms(session: Session, secret_key: str, kind: str, value: str) -> list[str]:
    """The pseudonyms under which the log knows this case or person. A case is found by its
    id and by its business key (the reference people use); a BSN as itself."""
    if kind == "bsn":
        return [pseudonym(secret_key, "bsn", normalise_bsn(value))]
    ids = {value}
    ids.update(
        session.scalars(
            select(ProcessInstance.id).where(ProcessInstance.business_key == value).limit(100)
        ).all()
    )
    return sorted(pseudonym(secret_key, "zaak", i) for i in ids)


def check_subject(kind: str | None, value: str | None, errors: dict[str, str]) -> None:
    if not value:
        return
    if kind not in SUBJECT_KINDS:
        errors["soort"] = "Kies of u een zaak of een BSN zoekt."
    elif kind == "bsn":
        bsn = normalise_bsn(value)
        if not (len(bsn) == 9 and bsn.isdigit()):
            errors["betrokkene"] = "Een BSN bestaat uit 9 cijfers."
        elif not elfproef(bsn):
            errors["betrokkene"] = "Dit is geen geldig BSN (de elfproef klopt niet)."


def parse_processing(
    values: Mapping[str, Any], pseudonyms: list[str], errors: dict[str, str]
) -> ProcessingFilter:
    """The filter from the query string; the subject arrives as pseudonyms already."""
    start, end = parse_period(values, errors)
    status = _text(values, "status")
    if status and status not in STATUSES:
        errors["status"] = "Kies OK of ERROR."
    trace = (_text(values, "trace") or "").lower() or None
    if trace and not (len(trace) == 32 and _HEX.match(trace)):
        errors["trace"] = (
            "Een trace-id bestaat uit 32 tekens: cijfers en de letters a tot en met f."
        )
    kind = _text(values, "soort")
    clean = [p.lower() for p in pseudonyms if p and p.strip()]
    if any(len(p) != 64 or not _HEX.match(p) for p in clean):
        errors["betrokkene"] = "Het pseudoniem van de betrokkene is ongeldig. Zoek opnieuw."
    if clean and kind not in SUBJECT_KINDS:
        errors["soort"] = "Kies of u een zaak of een BSN zoekt."
    return ProcessingFilter(
        start=start,
        end=end,
        activity=_text(values, "activiteit"),
        name=_text(values, "naam"),
        status=status,
        trace_id=trace,
        subject_kind=kind if clean else None,
        subjects=tuple(clean),
    )


def parse_audit(
    values: Mapping[str, Any], organisations: list[str], errors: dict[str, str]
) -> AuditFilter:
    start, end = parse_period(values, errors)
    result = _text(values, "resultaat")
    if result and result not in RESULTS:
        errors["resultaat"] = "Kies gelukt, geweigerd of fout."
    organisation = _text(values, "organisatie")
    if organisation and organisation not in organisations:
        errors["organisatie"] = "Kies een organisatie uit de lijst."
    return AuditFilter(
        start=start,
        end=end,
        actor=_text(values, "actor"),
        action=_text(values, "actie"),
        object_type=_text(values, "objecttype"),
        object_id=_text(values, "objectid"),
        result=result,
        organisation=organisation,
    )


# -- pages ---------------------------------------------------------------------------------


@dataclass
class Page:
    rows: list[Any]
    next_cursor: str | None = None  # older lines
    previous_cursor: str | None = None  # newer lines
    extra: dict[str, Any] = field(default_factory=dict)


def _columns(model: Any) -> tuple[Any, Any]:
    return (model.start_time, model.id) if model is ProcessingLog else (model.at, model.id)


def _key(model: Any, row: Any) -> str:
    moment = row.start_time if model is ProcessingLog else row.at
    return encode_cursor([moment.astimezone(UTC).isoformat(), row.id])


def _decode(cursor: str) -> tuple[datetime, int]:
    try:
        values = decode_cursor(cursor, 2)
        assert values is not None
        moment = datetime.fromisoformat(str(values[0]))
        if moment.tzinfo is None or not isinstance(values[1], int):
            raise ValueError(cursor)
    except Exception as exc:  # noqa: BLE001 - anything wrong with it is the same error
        raise BadCursor(cursor) from exc
    return moment, values[1]


def _older(model: Any, key: tuple[datetime, int]) -> ColumnElement[bool]:
    moment, ident = _columns(model)
    return or_(moment < key[0], and_(moment == key[0], ident < key[1]))


def _newer(model: Any, key: tuple[datetime, int]) -> ColumnElement[bool]:
    moment, ident = _columns(model)
    return or_(moment > key[0], and_(moment == key[0], ident > key[1]))


def page(
    session: Session,
    model: Any,
    conditions: list[ColumnElement[bool]],
    *,
    after: str | None = None,
    before: str | None = None,
    size: int = PAGE_SIZE,
) -> Page:
    """One page, newest first: the lines older than `after`, or those newer than `before`,
    or the newest. Raises BadCursor for a cursor this code did not make."""
    moment, ident = _columns(model)
    query = select(model).where(*conditions)
    if before:
        key = _decode(before)
        rows = list(
            session.scalars(
                query.where(_newer(model, key)).order_by(moment.asc(), ident.asc()).limit(size + 1)
            )
        )
        more_newer = len(rows) > size
        rows = list(reversed(rows[:size]))
        more_older = True
    else:
        key = _decode(after) if after else None
        if key:
            query = query.where(_older(model, key))
        rows = list(session.scalars(query.order_by(moment.desc(), ident.desc()).limit(size + 1)))
        more_older = len(rows) > size
        rows = rows[:size]
        more_newer = key is not None
    if rows and more_newer:
        # Came from a page of newer lines: is anything newer still there (filters may hide it)?
        more_newer = bool(
            session.scalar(
                select(
                    exists().where(*conditions, _newer(model, (_time(model, rows[0]), rows[0].id)))
                )
            )
        )
    if rows and more_older and before:
        more_older = bool(
            session.scalar(
                select(
                    exists().where(
                        *conditions, _older(model, (_time(model, rows[-1]), rows[-1].id))
                    )
                )
            )
        )
    return Page(
        rows=rows,
        next_cursor=_key(model, rows[-1]) if rows and more_older else None,
        previous_cursor=_key(model, rows[0]) if rows and more_newer else None,
    )


def _time(model: Any, row: Any) -> datetime:
    return row.start_time if model is ProcessingLog else row.at


def export_rows(
    session: Session, model: Any, conditions: list[ColumnElement[bool]], limit: int
) -> list[Any] | None:
    """All lines of the selection, newest first; None when there are more than `limit`."""
    moment, ident = _columns(model)
    rows = list(
        session.scalars(
            select(model).where(*conditions).order_by(moment.desc(), ident.desc()).limit(limit + 1)
        )
    )
    return None if len(rows) > limit else rows


# -- what the officer sees and downloads ---------------------------------------------------

PROCESSING_COLUMNS = [
    "Regel",
    "Begin",
    "Einde",
    "Verwerking",
    "Verwerkingsactiviteit",
    "Soort betrokkene",
    "Betrokkene (pseudoniem)",
    "Status",
    "Trace-id",
    "Operatie-id",
    "Bovenliggende operatie-id",
    "Kenmerken",
]

AUDIT_COLUMNS = [
    "Regel",
    "Tijdstip",
    "Actor",
    "Organisatie",
    "Actie",
    "Objecttype",
    "Object-id",
    "Resultaat",
    "Kanaal",
    "Herkomst",
    "Details",
]


def _stamp(moment: datetime | None) -> str:
    return clock.local(moment).isoformat(timespec="seconds") if moment else ""


# Keys of the logs' details as words (the stored keys stay as they are).
_DETAIL_WORDS = {"categorieen": "categorieën"}


def describe(values: dict[str, Any] | None) -> str:
    """A JSON-like dict as one readable line: 'doel: x; categorieën: a, b' (empty values
    left out, a nested dict in brackets)."""
    parts = []
    for key, value in (values or {}).items():
        if value is None or value == "" or value == [] or value == {}:
            continue
        if isinstance(value, (list, tuple)):
            value = ", ".join(str(v) for v in value)
        elif isinstance(value, dict):
            value = "(" + describe(value) + ")"
        elif isinstance(value, bool):
            value = "ja" if value else "nee"
        parts.append(f"{_DETAIL_WORDS.get(key, key.replace('_', ' '))}: {value}")
    return "; ".join(parts)


def processing_row(row: ProcessingLog) -> list[Any]:
    return [
        row.id,
        _stamp(row.start_time),
        _stamp(row.end_time),
        row.name,
        row.activity_id,
        row.data_subject_type or "",
        row.data_subject_id or "",
        row.status,
        row.trace_id,
        row.operation_id,
        row.parent_operation_id or "",
        describe(row.attributes),
    ]


def audit_row(row: AuditLog) -> list[Any]:
    return [
        row.id,
        _stamp(row.at),
        row.actor,
        row.organisation or "",
        row.action,
        row.object_type,
        row.object_id or "",
        row.result,
        row.channel,
        row.origin or "",
        describe(row.details),
    ]
