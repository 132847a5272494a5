"""Working-day functions for BPMN expressions: timers and `camunda:dueDate`.

Every function returns an ISO-8601 moment in Europe/Amsterdam with its UTC offset (+01:00 in
winter, +02:00 in summer, whatever the date of the computation), never a naive time. `datum`
may be an ISO date ("2026-03-02"), an ISO datetime with offset, a `date` or an aware
`datetime`; a datetime counts as the Amsterdam calendar day it falls on. "Today" is the
Amsterdam date of `app.clock.now()`. With `organisatie=` that organisation's closure days are
skipped as well (covenant terms); without it only the Atw counts.

- `werkdagen(n)`: end (23:59:59) of the working day n working days after today. A term
  "within 5 working days" is met until that moment; a timer on it fires once it has passed.
- `werkdagen_na(datum, n)`: end of the working day n working days after datum.
- `werkdagen_voor(datum, n)`: start (00:00) of the working day n working days before datum.
- `dagen_na(datum, n)`: end of calendar day datum + n, extended by Atw art. 1 to the next
  working day when that day is not one.
- `dagen_voor(datum, n)`: start of calendar day datum - n. Atw art. 1 does not extend terms
  counted backwards, so a non-working day moves to the previous working day and the action
  still happens before the date: `dagen_voor(deurwaarderdatum, 14)`.
- `is_werkdag(datum)`: bool. `werkdagen_tussen(a, b)`: working days after a up to and
  including b (negative when b lies before a).

For any working day n working days after d (n >= 1), n == werkdagen_tussen(d, that day).
"""

from __future__ import annotations

import operator
from datetime import date, datetime, time, timedelta

from app import clock
from app.calendar.atw import default_calendar
from app.clock import AMSTERDAM
from app.engine.functions import register

DateLike = str | date | datetime

_END_OF_DAY = time(23, 59, 59)


def to_local_date(datum: DateLike) -> date:
    """The Amsterdam calendar day of a date, an aware datetime or their ISO text."""
    if isinstance(datum, str):
        text = datum.strip()
        try:
            return date.fromisoformat(text)
        except ValueError:
            pass
        try:
            datum = datetime.fromisoformat(text)
        except ValueError as exc:
            raise ValueError(f"geen geldige ISO-datum of -tijdstip: {datum!r}") from exc
    if isinstance(datum, datetime):
        if datum.tzinfo is None or datum.utcoffset() is None:
            raise ValueError(f"tijdstip zonder tijdzone: {datum.isoformat()}")
        return datum.astimezone(AMSTERDAM).date()
    if isinstance(datum, date):
        return datum
    raise TypeError(f"verwacht een datum, geen {type(datum).__name__}: {datum!r}")


def end_of_day(day: date) -> datetime:
    # zoneinfo picks the offset valid on that day; 23:59:59 is never in a DST gap.
    return datetime.combine(day, _END_OF_DAY, tzinfo=AMSTERDAM)


def start_of_day(day: date) -> datetime:
    return datetime.combine(day, time(0, 0), tzinfo=AMSTERDAM)


def today() -> date:
    return clock.now().astimezone(AMSTERDAM).date()


def _count(n: int) -> int:
    if isinstance(n, bool):
        raise TypeError("aantal dagen moet een geheel getal zijn, geen waarheidswaarde")
    try:
        return operator.index(n)
    except TypeError as exc:
        raise TypeError(f"aantal dagen moet een geheel getal zijn: {n!r}") from exc


@register("werkdagen")
def werkdagen(n: int, organisatie: str | None = None) -> str:
    day = default_calendar().add_working_days(today(), _count(n), organisatie)
    return end_of_day(day).isoformat()


@register("werkdagen_na")
def werkdagen_na(datum: DateLike, n: int, organisatie: str | None = None) -> str:
    day = default_calendar().add_working_days(to_local_date(datum), _count(n), organisatie)
    return end_of_day(day).isoformat()


@register("werkdagen_voor")
def werkdagen_voor(datum: DateLike, n: int, organisatie: str | None = None) -> str:
    day = default_calendar().add_working_days(to_local_date(datum), -_count(n), organisatie)
    return start_of_day(day).isoformat()


@register("dagen_na")
def dagen_na(datum: DateLike, n: int, organisatie: str | None = None) -> str:
    end = to_local_date(datum) + timedelta(days=_count(n))
    return end_of_day(default_calendar().extend_term(end, organisatie)).isoformat()


@register("dagen_voor")
def dagen_voor(datum: DateLike, n: int, organisatie: str | None = None) -> str:
    day = to_local_date(datum) - timedelta(days=_count(n))
    return start_of_day(default_calendar().working_day_on_or_before(day, organisatie)).isoformat()


@register("is_werkdag")
def is_werkdag(datum: DateLike, organisatie: str | None = None) -> bool:
    return default_calendar().is_working_day(to_local_date(datum), organisatie)


@register("werkdagen_tussen")
def werkdagen_tussen(a: DateLike, b: DateLike, organisatie: str | None = None) -> int:
    return default_calendar().working_days_between(to_local_date(a), to_local_date(b), organisatie)
