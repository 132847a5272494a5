"""Where a deadline stands against today, counted in working days (Atw): on time, due today
or late, with the days left or overdue."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from app import clock
from app.calendar.atw import MONTHS_SHORT, WEEKDAYS_SHORT, default_calendar
from app.clock import AMSTERDAM


@dataclass(frozen=True)
class DeadlineStatus:
    status: str  # op-tijd, vandaag, te-laat
    working_days: int  # working days left (negative: overdue by); 0 across a weekend
    due_day: date | None = None  # the deadline's day in Amsterdam

    @property
    def label(self) -> str:
        if self.status == "vandaag":
            return "vandaag"
        days = abs(self.working_days)
        unit = "werkdag" if days == 1 else "werkdagen"
        if self.status == "op-tijd":
            if days == 0 and self.due_day is not None:
                # Due on a weekend or holiday, before the next working day begins.
                day = self.due_day
                weekday, month = WEEKDAYS_SHORT[day.weekday()], MONTHS_SHORT[day.month - 1]
                return f"uiterlijk {weekday} {day.day} {month}"
            return f"nog {days} {unit}"
        if days == 0:
            return "vandaag verlopen" if self.due_day is None else "te laat"
        return f"{days} {unit} te laat"


def deadline_status(
    due: datetime | None, now: datetime | None = None, organisation: str | None = None
) -> DeadlineStatus | None:
    if due is None:
        return None
    now = now or clock.now()
    today = now.astimezone(AMSTERDAM).date()
    due_day = due.astimezone(AMSTERDAM).date()
    if due_day == today:
        return DeadlineStatus("te-laat" if now > due else "vandaag", 0)
    if due_day < today:
        # Overdue since a weekend or holiday with no working day passed yet: still late.
        overdue = default_calendar().working_days_between(due_day, today, organisation)
        return DeadlineStatus("te-laat", -overdue, due_day)
    return DeadlineStatus(
        "op-tijd", default_calendar().working_days_between(today, due_day, organisation), due_day
    )
