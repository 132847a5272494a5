"""Diagram functions: aware Amsterdam moments, DST-proof, on the application's clock."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta, timezone

import pytest

from app.calendar import functions as f
from app.calendar.atw import set_closure_provider
from app.clock import VirtualClock, set_clock
from app.engine.functions import all_functions


@pytest.fixture
def at() -> Iterator[VirtualClock]:
    """A virtual clock at Monday 2 March 2026, 09:00 Amsterdam; moved with `.set()`."""
    virtual = VirtualClock(datetime(2026, 3, 2, 8, 0, tzinfo=UTC))
    previous = set_clock(virtual)
    yield virtual
    set_clock(previous)


@pytest.fixture
def weert_closed_on_9_march() -> Iterator[None]:
    previous = set_closure_provider(
        lambda org: {date(2026, 3, 9): "studiedag"} if org == "gemeente-weert" else {}
    )
    yield
    set_closure_provider(previous)


def test_functions_are_registered() -> None:
    names = {
        "werkdagen",
        "werkdagen_na",
        "werkdagen_voor",
        "dagen_na",
        "dagen_voor",
        "is_werkdag",
        "werkdagen_tussen",
    }
    registered = all_functions()
    assert names <= set(registered)
    assert registered["werkdagen_na"] is f.werkdagen_na


def test_werkdagen_ends_at_the_end_of_the_working_day(at: VirtualClock) -> None:
    assert f.werkdagen(5) == "2026-03-09T23:59:59+01:00"
    assert f.werkdagen(0) == "2026-03-02T23:59:59+01:00"
    at.set(datetime(2026, 3, 30, 7, 0, tzinfo=UTC))  # after the DST change of 29 March
    assert f.werkdagen(5) == "2026-04-08T23:59:59+02:00"


def test_today_is_the_amsterdam_date(at: VirtualClock) -> None:
    # 23:30 UTC on Thursday 2 April is already Good Friday 01:30 in Amsterdam.
    at.set(datetime(2026, 4, 2, 23, 30, tzinfo=UTC))
    assert f.werkdagen(0) == "2026-04-07T23:59:59+02:00"  # the UTC date would give 2 April
    assert f.werkdagen(1) == "2026-04-07T23:59:59+02:00"  # today itself is never counted
    assert f.werkdagen(2) == "2026-04-08T23:59:59+02:00"


def test_a_march_moment_computed_with_a_clock_in_october(at: VirtualClock) -> None:
    at.set(datetime(2026, 10, 20, 8, 0, tzinfo=UTC))  # summer time, +02:00
    assert f.werkdagen(100) == "2027-03-11T23:59:59+01:00"  # winter time
    assert f.werkdagen(120) == "2027-04-12T23:59:59+02:00"  # past Easter and DST in 2027
    assert f.werkdagen_na("2026-10-20", 100) == "2027-03-11T23:59:59+01:00"
    assert f.werkdagen_na("2026-10-20", 120) == "2027-04-12T23:59:59+02:00"


def test_werkdagen_voor_starts_the_day(at: VirtualClock) -> None:
    assert f.werkdagen_voor("2026-04-08", 5) == "2026-03-30T00:00:00+02:00"
    assert f.werkdagen_voor("2026-03-30", 1) == "2026-03-27T00:00:00+01:00"


def test_dagen_na_is_extended_over_easter() -> None:
    # 20 March + 14 days = Good Friday 3 April; Atw art. 1 extends to Tuesday 7 April.
    assert f.dagen_na("2026-03-20", 14) == "2026-04-07T23:59:59+02:00"
    assert f.dagen_na("2026-03-19", 14) == "2026-04-02T23:59:59+02:00"


def test_dagen_voor_moves_back_over_a_weekend_and_easter() -> None:
    # 22 March - 14 days = Sunday 8 March: the report is due on Friday 6 March.
    assert f.dagen_voor("2026-03-22", 14) == "2026-03-06T00:00:00+01:00"
    # 20 April - 14 days = Tweede Paasdag: back over Easter to Thursday 2 April.
    assert f.dagen_voor("2026-04-20", 14) == "2026-04-02T00:00:00+02:00"
    assert f.dagen_voor("2026-03-23", 14) == "2026-03-09T00:00:00+01:00"


def test_datum_in_every_accepted_form() -> None:
    expected = "2026-04-08T23:59:59+02:00"
    assert f.werkdagen_na("2026-03-30", 5) == expected
    assert f.werkdagen_na(date(2026, 3, 30), 5) == expected
    assert f.werkdagen_na("2026-03-30T10:00:00+02:00", 5) == expected
    assert f.werkdagen_na("2026-03-29T22:30:00Z", 5) == expected  # 00:30 on the 30th locally
    assert f.werkdagen_na(datetime(2026, 3, 30, 9, 0, tzinfo=timezone(timedelta(hours=2))), 5)
    assert f.is_werkdag(datetime(2026, 4, 2, 23, 30, tzinfo=UTC)) is False  # Good Friday


@pytest.mark.parametrize(
    "bad", ["2026-03-30T10:00:00", datetime(2026, 3, 30, 10, 0), "30-03-2026", "morgen"]
)
def test_naive_or_malformed_datum_is_refused(bad: object) -> None:
    with pytest.raises(ValueError):
        f.werkdagen_na(bad, 5)  # type: ignore[arg-type]


def test_count_must_be_an_integer() -> None:
    with pytest.raises(TypeError):
        f.werkdagen_na("2026-03-30", 1.5)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        f.werkdagen_na("2026-03-30", True)


def test_is_werkdag_and_werkdagen_tussen() -> None:
    assert f.is_werkdag("2026-05-15") is False  # decree day
    assert f.is_werkdag("2026-05-13") is True
    assert f.werkdagen_tussen("2026-03-30", "2026-04-08") == 5
    assert f.werkdagen_tussen("2026-04-08", "2026-03-30") == -5
    assert f.werkdagen_tussen("2026-03-30T12:00:00+02:00", date(2026, 3, 31)) == 1


def test_organisation_closure_days(at: VirtualClock, weert_closed_on_9_march: None) -> None:
    assert f.werkdagen(5) == "2026-03-09T23:59:59+01:00"
    assert f.werkdagen(5, organisatie="gemeente-weert") == "2026-03-10T23:59:59+01:00"
    assert f.is_werkdag("2026-03-09", organisatie="gemeente-weert") is False
    assert f.dagen_voor("2026-03-23", 14, organisatie="gemeente-weert") == (
        "2026-03-06T00:00:00+01:00"
    )
    assert f.werkdagen_tussen("2026-03-06", "2026-03-10", organisatie="gemeente-weert") == 1


def test_results_are_never_naive() -> None:
    day = date(2026, 1, 1)
    while day < date(2028, 1, 1):
        for result in (
            f.werkdagen_na(day, 3),
            f.werkdagen_voor(day, 3),
            f.dagen_na(day, 14),
            f.dagen_voor(day, 14),
        ):
            moment = datetime.fromisoformat(result)
            assert moment.utcoffset() in (timedelta(hours=1), timedelta(hours=2)), result
        day += timedelta(days=7)
