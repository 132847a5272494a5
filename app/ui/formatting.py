"""Dates and deadlines as people in the Netherlands read them, without locale settings.

`datum` formats an aware datetime in Europe/Amsterdam: "ma 2 mrt 2026", or with the time
"ma 2 mrt 2026 09:00". `termijn` says whether a deadline is on time, due today or overdue
(see app.calendar.deadlines).
"""

from __future__ import annotations

from datetime import date, datetime, time
from typing import Any, Literal

from app import clock
from app.calendar.atw import MONTHS_SHORT, WEEKDAYS_SHORT
from app.calendar.deadlines import deadline_status

WEEKDAYS = WEEKDAYS_SHORT
MONTHS = MONTHS_SHORT

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


def plain(value: Any) -> str:
    """A stored value as text: yes/no for booleans, lists and objects as readable text."""
    if isinstance(value, bool):
        return "ja" if value else "nee"
    if isinstance(value, list):
        return ", ".join(map(str, value))
    if isinstance(value, dict):
        return ", ".join(f"{k}: {v}" for k, v in value.items())
    return "" if value is None else str(value)
