"""Durations as process owners write them: "5 werkdagen", "2 weken", "3 uur", "P5D"."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime, timedelta

from SpiffWorkflow.bpmn.specs.event_definitions.timer import TimerEventDefinition

from app.clock import AMSTERDAM

_UNITS = {
    "minuut": timedelta(minutes=1),
    "minuten": timedelta(minutes=1),
    "uur": timedelta(hours=1),
    "uren": timedelta(hours=1),
    "dag": timedelta(days=1),
    "dagen": timedelta(days=1),
    "week": timedelta(weeks=1),
    "weken": timedelta(weeks=1),
}
_PATTERN = re.compile(r"^\s*(\d+)\s*([a-z]+)\s*$")


class DurationError(ValueError):
    pass


def later(
    moment: datetime,
    text: str | int | float,
    add_working_days: Callable[[datetime, int], datetime] | None = None,
) -> datetime:
    """`moment` plus the duration `text`; working days go through the Atw calendar."""
    value = str(text).strip()
    if value.upper().startswith("P"):
        try:
            parsed = TimerEventDefinition.parse_iso_duration(value)
        except Exception as exc:
            raise DurationError(f"ongeldige ISO-duur {value!r}") from exc
        return moment + TimerEventDefinition.get_timedelta_from_start(parsed, moment)
    match = _PATTERN.match(value.lower())
    if not match:
        raise DurationError(
            f"onbekende duur {value!r}; gebruik bijv. '5 werkdagen', '2 weken', '3 uur' of 'P5D'"
        )
    amount, unit = int(match.group(1)), match.group(2)
    if unit in ("werkdag", "werkdagen"):
        if add_working_days is None:
            add_working_days = add_working_days_at
        return add_working_days(moment, amount)
    if unit not in _UNITS:
        raise DurationError(f"onbekende eenheid {unit!r} in {value!r}")
    return moment + amount * _UNITS[unit]


def add_working_days_at(moment: datetime, amount: int) -> datetime:
    """The same Amsterdam clock time, `amount` working days (Atw) later."""
    from app.calendar.atw import default_calendar

    local = moment.astimezone(AMSTERDAM)
    day = default_calendar().add_working_days(local.date(), amount)
    return datetime.combine(day, local.time().replace(tzinfo=None), AMSTERDAM)


def parse_moment(value: str | datetime) -> datetime:
    """An ISO moment; without an offset it is read as Amsterdam local time."""
    moment = value if isinstance(value, datetime) else datetime.fromisoformat(str(value))
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=AMSTERDAM)
    return moment
