"""A cycle timer counted in months fires on the same day of the month each time (Camunda
computes each date from the period); SpiffWorkflow alone repeats a fixed number of days."""

from __future__ import annotations

from datetime import UTC, datetime

from app import clock as clock_module
from app.engine.spiff_fixes import _calendar_period, _shifted


def local(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=clock_module.AMSTERDAM)


def test_periods_in_months_or_years_are_calendar_periods() -> None:
    assert _calendar_period("R/P3M") == (3, 0)
    assert _calendar_period("R8/P1Y2M1W3D") == (14, 10)
    assert _calendar_period("R/2026-01-31T09:00:00+01:00/P1M") == (1, 0)
    assert _calendar_period("R/P91D") is None  # days only: SpiffWorkflow's own arithmetic
    assert _calendar_period("R/PT1H") is None


def test_the_same_day_of_the_month_or_its_last_day_across_summer_time() -> None:
    first = local("2026-01-31T00:00")
    assert [
        _shifted(first, k, 0).astimezone(clock_module.AMSTERDAM).isoformat() for k in (1, 2, 3)
    ] == [
        "2026-02-28T00:00:00+01:00",
        "2026-03-31T00:00:00+02:00",  # summer time: still midnight in Amsterdam
        "2026-04-30T00:00:00+02:00",
    ]
    assert _shifted(local("2026-04-02T10:00"), 36, 0) == local("2029-04-02T10:00").astimezone(UTC)
