"""Every value as people in the Netherlands read it, without locale settings: the one
formatting layer of the interface.

`datum` formats an aware datetime in Europe/Amsterdam: "ma 2 mrt 2026", or with the time
"ma 2 mrt 2026 09:00". `termijn` says whether a deadline is on time, due today or overdue
(see app.calendar.deadlines). `bedrag` writes money as "€ 2.864,00". `waarde` shows one case
value by its catalogue field's type (dates, moments, money, yes/no, choices, lists, objects);
`case_fields` gives a case's readable fields as (label, text) in the catalogue's order;
`for_form_text` the same values for the text of a task form. `maand` writes '2026-10' as
'oktober 2026', `status` the engine's status in Dutch, `names` keys by their names (the
template filters `proces` and `teams` in app/ui/__init__.py look the names up).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import date, datetime, time
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any, Literal

from app import clock
from app.calendar.atw import MONTHS_SHORT, WEEKDAYS_SHORT
from app.calendar.deadlines import deadline_status

if TYPE_CHECKING:
    from app.catalogue.model import Field

WEEKDAYS = WEEKDAYS_SHORT
MONTHS = MONTHS_SHORT
MONTHS_LONG = (
    "januari",
    "februari",
    "maart",
    "april",
    "mei",
    "juni",
    "juli",
    "augustus",
    "september",
    "oktober",
    "november",
    "december",
)

Termijn = Literal["op-tijd", "vandaag", "te-laat"]

TERMIJN_LABELS: dict[str, str] = {
    "op-tijd": "op tijd",
    "vandaag": "vandaag",
    "te-laat": "te laat",
}


def datum(value: datetime | date | None, tijd: bool = False) -> str:
    """'ma 2 mrt 2026' (or with tijd=True: 'ma 2 mrt 2026 09:00'); '' for None.

    Datetimes must be timezone-aware (clock.ensure_aware raises otherwise) and are shown in
    Europe/Amsterdam. A plain date is shown as it is; it has no time to show."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        moment = clock.local(value)
        text = _day(moment.date())
        return f"{text} {moment:%H:%M}" if tijd else text
    return _day(value)


def iso(value: datetime | date | None) -> str:
    """Machine-readable form for <time datetime="...">: the moment in Amsterdam with offset."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        return clock.local(value).isoformat(timespec="minutes")
    return value.isoformat()


def termijn(due: datetime | date | None, now: datetime | None = None) -> Termijn | None:
    """'op-tijd', 'vandaag' or 'te-laat' for a deadline; None when there is no deadline.

    The one rule lives in app.calendar.deadlines (working days); a plain date counts as due
    at the end of that day."""
    if due is None:
        return None
    if not isinstance(due, datetime):
        due = datetime.combine(due, time(23, 59, 59), clock.AMSTERDAM)
    status = deadline_status(due, now)
    return status.status if status else None  # type: ignore[return-value]


def _day(day: date) -> str:
    return f"{WEEKDAYS[day.weekday()]} {day.day} {MONTHS[day.month - 1]} {day.year}"


_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_ISO_MONTH = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")


def maand(period: str) -> str:
    """A month 'JJJJ-MM' in words: '2026-10' -> 'oktober 2026' (other text as it is)."""
    match = _ISO_MONTH.match(period.strip())
    if not match:
        return period
    return f"{MONTHS_LONG[int(match.group(2)) - 1]} {match.group(1)}"


_DURATION_WORDS = (("jaar", "jaar"), ("maand", "maanden"), ("week", "weken"), ("dag", "dagen"))


def duur(value: str | None) -> str:
    """A catalogue duration in words: 'P2Y' -> '2 jaar', 'P1Y6M' -> '1 jaar en 6 maanden',
    'P30D' -> '30 dagen' (other text as it is)."""
    from app.catalogue.durations import DURATION

    match = DURATION.match((value or "").strip())
    if not match or not any(match.groups()):
        return value or ""
    parts = [
        f"{int(n)} {one if int(n) == 1 else many}"
        for n, (one, many) in zip(match.groups(), _DURATION_WORDS, strict=True)
        if n and int(n)
    ]
    if not parts:
        return "0 dagen"
    return parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " en " + parts[-1]


_ISO_MOMENT = re.compile(r"^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}")


def bedrag(value: Any) -> str:
    """Money in euro as written in Dutch: '€ 716,00', '€ 2.864,50', '-€ 5,00'; '' for None.
    A value that is no number is shown as it is."""
    if value is None or value == "" or isinstance(value, bool):
        return "" if value is None or value == "" else waarde(value)
    try:
        amount = Decimal(str(value)).quantize(Decimal("0.01"))
    except (InvalidOperation, ValueError):
        return str(value)
    sign = "-" if amount < 0 else ""
    whole, cents = f"{abs(amount):.2f}".split(".")
    grouped = f"{int(whole):,}".replace(",", ".")
    return f"{sign}€ {grouped},{cents}"


def _moment(value: Any, with_time: bool) -> str | None:
    """A date or moment (a datetime, or text in ISO form) in Dutch; None when it is none."""
    if isinstance(value, datetime):
        return datum(value, tijd=with_time) if value.tzinfo else None
    if isinstance(value, date):
        return datum(value)
    if isinstance(value, str):
        text = value.strip()
        if _ISO_MONTH.match(text):
            return maand(text)
        try:
            if _ISO_DATE.match(text):
                return datum(date.fromisoformat(text))
            if _ISO_MOMENT.match(text):
                moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
                if moment.tzinfo is None:
                    moment = moment.replace(tzinfo=clock.AMSTERDAM)
                local = clock.local(moment)
                # A deadline at the end of a day ("23:59:59") or a day's start is a day.
                if not with_time or (local.hour, local.minute) in ((0, 0), (23, 59)):
                    return datum(local)
                return datum(local, tijd=True)
        except ValueError:
            return None
    return None


def _words(key: str) -> str:
    """An internal key as words: 'alleen_huurachterstand' -> 'alleen huurachterstand'."""
    return key.replace("_", " ")


def waarde(value: Any, spec: Field | None = None) -> str:
    """One stored value as text, by its catalogue field's type when there is one: dates
    ('vr 8 mei 2026'), moments ('vr 8 mei 2026 10:00'), money ('€ 716,00'), yes/no, choices
    and lists as words, objects as 'key: value' pairs. '' for None and empty values."""
    kind = spec.type if spec is not None else None
    if value is None or value == "" or value == [] or value == {}:
        return ""
    if isinstance(value, bool):
        return "ja" if value else "nee"
    if kind == "bedrag":
        return bedrag(value)
    if kind in ("datum", "tijdstip") or isinstance(value, (date, str)):
        shown = _moment(value, with_time=kind != "datum")
        if shown is not None:
            return shown
    if isinstance(value, (list, tuple)):
        return ", ".join(
            t for t in (waarde(v, None if kind == "lijst" else spec) for v in value) if t
        )
    if isinstance(value, dict):
        parts = [
            (_words(str(k)), bedrag(v) if _is_amount(k, v) else waarde(v)) for k, v in value.items()
        ]
        return "; ".join(f"{k}: {v}" for k, v in parts if v)
    if kind == "keuze" and isinstance(value, str):
        return _words(value)
    if isinstance(value, float):
        return f"{value:g}".replace(".", ",")
    return str(value)


def _is_amount(key: Any, value: Any) -> bool:
    """A number under a key that names an amount ('bedrag', 'huurbedrag') inside an object."""
    return (
        "bedrag" in str(key)
        and isinstance(value, int | float | Decimal)
        and not isinstance(value, bool)
    )


def case_fields(view: Any) -> list[tuple[str, str]]:
    """The fields of a case view (app.privacy.access.CaseView) the viewer may read, as
    (label, text): in the catalogue's order, by the catalogue's labels and types; fields the
    catalogue does not know come last, by name."""
    catalogue = view.catalogue
    known = list(catalogue.fields) if catalogue is not None else []
    order = {name: i for i, name in enumerate(known)}
    names = sorted(view.fields, key=lambda n: (order.get(n, len(order)), n))
    return [
        (
            view.label(name),
            waarde(view.fields[name], catalogue.fields.get(name) if catalogue else None),
        )
        for name in names
    ]


def for_form_text(view: Any, skip: Iterable[str] = ()) -> dict[str, Any]:
    """The case's readable values for the text of a task form ("geboren {{geboortedatum}}"):
    dates, money, choices, lists and objects as text; yes/no and numbers as they are, so that
    the form's conditions ("{{#if voorrang}}") keep working. Fields in `skip` (the form's own
    fields) are left out: those the form fills itself."""
    catalogue = view.catalogue
    out: dict[str, Any] = {}
    for name, value in view.fields.items():
        if name in skip or value is None:
            continue
        if isinstance(value, bool | int) and not (
            catalogue and name in catalogue.fields and catalogue.fields[name].type == "bedrag"
        ):
            out[name] = value
        else:
            out[name] = waarde(value, catalogue.fields.get(name) if catalogue else None)
    return out


# The engine's statuses of cases and wait states, in Dutch.
STATUS = {
    "running": "Bezig",
    "waiting": "Wacht",
    "completed": "Afgerond",
    "cancelled": "Afgebroken",
    "suspended": "Opgeschort",
    "error": "Storing",
    # wait states
    "open": "Open",
    "pending": "Wacht op uitvoering",
    "done": "Klaar",
    "incident": "Storing",
    "resolved": "Opgelost",
}


def status(value: str | None) -> str:
    """The engine's status of a case or a wait in Dutch ('waiting' -> 'Wacht')."""
    return STATUS.get(value or "", value or "")


def names(keys: Iterable[str], known: dict[str, str]) -> str:
    """Keys (teams, processes) by their names, ', '-joined; an unknown key as words."""
    return ", ".join(known.get(k) or _words(k) for k in keys)
