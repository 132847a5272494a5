"""Retention periods as the catalogue writes them: ISO 8601 durations of years, months, weeks
and days (P6M, P2Y, P1Y6M, P30D), checked when a catalogue is read so a wrong one is refused at
deploy instead of failing the retention run years later."""

from __future__ import annotations

import calendar
import re
from datetime import datetime, timedelta

DURATION = re.compile(r"^P(?:(\d+)Y)?(?:(\d+)M)?(?:(\d+)W)?(?:(\d+)D)?$")


def is_duration(text: str) -> bool:
    match = DURATION.match(text.strip())
    return bool(match and any(match.groups()))


def add_duration(moment: datetime, duration: str) -> datetime:
    """`moment` plus an ISO 8601 duration of years, months, weeks and days; a month end is
    kept within the month (31 August + P6M = 28 or 29 February)."""
    match = DURATION.match(duration.strip())
    if not match or not any(match.groups()):
        raise ValueError(f"geen bewaartermijn zoals P6M of P2Y: {duration!r}")
    years, months, weeks, days = (int(g or 0) for g in match.groups())
    total = moment.month - 1 + months + 12 * years
    year, month = moment.year + total // 12, total % 12 + 1
    day = min(moment.day, calendar.monthrange(year, month)[1])
    return moment.replace(year=year, month=month, day=day) + timedelta(weeks=weeks, days=days)
