"""Where a task stands against its deadline, in working days as the Atw counts them."""

from __future__ import annotations

from datetime import datetime

import pytest

from app.calendar.deadlines import deadline_status
from app.clock import AMSTERDAM


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=AMSTERDAM)


@pytest.mark.parametrize(
    ("now", "due", "status", "days", "label"),
    [
        # Monday 2 March 2026.
        ("2026-03-02T09:00", "2026-03-02T23:59", "vandaag", 0, "vandaag"),
        ("2026-03-02T09:00", "2026-03-02T08:00", "te-laat", 0, "vandaag verlopen"),
        ("2026-03-02T09:00", "2026-03-03T23:59", "op-tijd", 1, "nog 1 werkdag"),
        ("2026-03-02T09:00", "2026-03-06T17:00", "op-tijd", 4, "nog 4 werkdagen"),
        ("2026-03-02T09:00", "2026-03-09T09:00", "op-tijd", 5, "nog 5 werkdagen"),
        # Due on a Saturday, seen on Friday: no working day in between.
        ("2026-03-06T09:00", "2026-03-07T12:00", "op-tijd", 0, "uiterlijk za 7 mrt"),
        # Overdue since Friday: Monday is the first working day late.
        ("2026-03-09T09:00", "2026-03-06T23:59", "te-laat", -1, "1 werkdag te laat"),
        # Overdue since Friday, seen on Sunday: late, but no working day has passed yet.
        ("2026-03-08T09:00", "2026-03-06T23:59", "te-laat", 0, "te laat"),
        # Easter 2026: Good Friday 3 April and Easter Monday 6 April are not working days.
        ("2026-04-02T09:00", "2026-04-07T23:59", "op-tijd", 1, "nog 1 werkdag"),
        ("2026-04-07T09:00", "2026-04-02T23:59", "te-laat", -1, "1 werkdag te laat"),
        # King's Day (Monday 27 April 2026) and 5 May (every year under the Atw).
        ("2026-04-24T09:00", "2026-04-28T23:59", "op-tijd", 1, "nog 1 werkdag"),
        ("2026-05-04T09:00", "2026-05-06T23:59", "op-tijd", 1, "nog 1 werkdag"),
        # Across the turn of the year: 25 December and 1 January are not working days.
        ("2026-12-24T09:00", "2027-01-04T23:59", "op-tijd", 5, "nog 5 werkdagen"),
    ],
)
def test_deadline_status(now: str, due: str, status: str, days: int, label: str) -> None:
    found = deadline_status(at(due), at(now))
    assert found is not None
    assert (found.status, found.working_days, found.label) == (status, days, label)


def test_no_deadline() -> None:
    assert deadline_status(None) is None


def test_the_day_turns_at_midnight_in_amsterdam_not_utc() -> None:
    # 23:30 UTC on Monday is already Tuesday 00:30 in Amsterdam (winter time).
    due = at("2026-03-03T23:59")
    from datetime import UTC

    monday_late = datetime(2026, 3, 2, 23, 30, tzinfo=UTC)
    found = deadline_status(due, monday_late)
    assert found is not None and found.label == "vandaag"
