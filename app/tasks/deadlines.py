"""Where a task stands against its due date, counted in working days (Atw)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from app import clock
from app.calendar.atw import default_calendar
from app.clock import AMSTERDAM


@dataclass(frozen=True)
class DeadlineStatus:
    status: str  # op-tijd, vandaag, te-laat
    working_days: int  # working days left (negative: overdue by)

    @property
    def label(self) -> str:
        if self.status == "vandaag":
            return "vandaag"
        days = abs(self.working_days)
        unit = "werkdag" if days == 1 else "werkdagen"
        return f"nog {days} {unit}" if self.status == "op-tijd" else f"{days} {unit} te laat"


def deadline_status(
    due: datetime | None, now: datetime | None = None, organisation: str | None = None
) -> DeadlineStatus | None:
    if due is None:
        return None
    now = now or clock.now()
    today = now.astimezone(AMSTERDAM).date()
    due_day = due.astimezone(AMSTERDAM).date()
    if now > due and due_day < today:
        overdue = default_calendar().working_days_between(due_day, today, organisation)
        return DeadlineStatus("te-laat", -max(overdue, 1))
    if due_day == today:
        return DeadlineStatus("te-laat" if now > due else "vandaag", 0)
    return DeadlineStatus(
        "op-tijd", default_calendar().working_days_between(today, due_day, organisation)
    )
