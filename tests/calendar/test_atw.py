"""The Atw calendar against the law, written out by hand (tests/calendar/expected.py)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from app.calendar import atw
from app.calendar.atw import (
    Calendar,
    Decree,
    DecreeDataError,
    DecreeDay,
    Reason,
    default_calendar,
    easter,
    kings_day,
    load_decrees,
    set_closure_provider,
)
from tests.calendar.expected import EXPECTED, KB_2026, L1, L2

HAARLEM = "gemeente-haarlem"


@pytest.fixture
def calendar() -> Calendar:
    return default_calendar()


@pytest.fixture
def no_provider() -> Iterator[None]:
    previous = set_closure_provider(None)
    yield
    set_closure_provider(previous)


@pytest.mark.parametrize(
    "year, sunday",
    [
        (2019, date(2019, 4, 21)),
        (2024, date(2024, 3, 31)),
        (2025, date(2025, 4, 20)),
        (2026, date(2026, 4, 5)),
        (2027, date(2027, 3, 28)),
        (2028, date(2028, 4, 16)),
        (2038, date(2038, 4, 25)),  # latest possible
        (2285, date(2285, 3, 22)),  # earliest possible
    ],
)
def test_easter(year: int, sunday: date) -> None:
    assert easter(year) == sunday


@pytest.mark.parametrize("year", [2025, 2026, 2027, 2028])
def test_every_non_working_weekday_with_its_basis(calendar: Calendar, year: int) -> None:
    actual = [
        (d.date.isoformat(), atw.WEEKDAYS_NL[d.date.weekday()], d.name, d.basis)
        for d in calendar.non_working_weekdays(year)
    ]
    assert actual == EXPECTED[year]


def test_every_day_of_2026_to_2028_agrees_with_the_table(calendar: Calendar) -> None:
    listed = {date.fromisoformat(row[0]) for y in (2026, 2027, 2028) for row in EXPECTED[y]}
    day = date(2026, 1, 1)
    while day.year <= 2028:
        expected = day.weekday() < 5 and day not in listed
        assert calendar.is_working_day(day) is expected, day
        day += timedelta(days=1)


def test_kings_day_moves_to_saturday_26_april_when_27_is_a_sunday(calendar: Calendar) -> None:
    assert date(2025, 4, 27).weekday() == 6
    assert kings_day(2025) == date(2025, 4, 26)
    assert calendar.non_working_reason(date(2025, 4, 26)) == Reason("Koningsdag", L1)
    assert calendar.non_working_reason(date(2025, 4, 27)) == Reason(
        "zondag", "Atw art. 1 lid 1: geen werkdag"
    )
    assert kings_day(2026) == date(2026, 4, 27)


@pytest.mark.parametrize("year", range(2014, 2041))
def test_fifth_of_may_every_year_and_good_friday(calendar: Calendar, year: int) -> None:
    reasons = calendar.non_working_reasons(date(year, 5, 5))
    assert Reason("Bevrijdingsdag (5 mei)", L1) in reasons
    good_friday = easter(year) - timedelta(days=2)
    assert good_friday.weekday() == 4
    assert calendar.non_working_reason(good_friday) == Reason("Goede Vrijdag", L2)


def test_ascension_on_fifth_of_may_keeps_both_reasons(calendar: Calendar) -> None:
    names = [r.name for r in calendar.non_working_reasons(date(2016, 5, 5))]
    assert names == ["Bevrijdingsdag (5 mei)", "Hemelvaartsdag"]


def test_years_before_koningsdag_are_refused(calendar: Calendar) -> None:
    with pytest.raises(ValueError, match="2014"):
        calendar.is_working_day(date(2013, 4, 30))


def test_datetime_is_refused_because_its_day_depends_on_the_zone(calendar: Calendar) -> None:
    with pytest.raises(TypeError):
        calendar.is_working_day(datetime(2026, 3, 2, tzinfo=UTC))


def test_add_working_days_over_easter(calendar: Calendar) -> None:
    assert calendar.add_working_days(date(2026, 3, 30), 5) == date(2026, 4, 8)
    assert calendar.add_working_days(date(2026, 4, 8), -5) == date(2026, 3, 30)
    assert [d.name for d in calendar.skipped_days(date(2026, 3, 30), 5)] == [
        "Goede Vrijdag",
        "zaterdag",
        "zondag",
        "Tweede Paasdag",
    ]
    assert [d.date for d in calendar.skipped_days(date(2026, 4, 8), -5)] == [
        date(2026, 4, 3),
        date(2026, 4, 4),
        date(2026, 4, 5),
        date(2026, 4, 6),
    ]


def test_zero_working_days(calendar: Calendar) -> None:
    assert calendar.add_working_days(date(2026, 3, 2), 0) == date(2026, 3, 2)
    assert calendar.add_working_days(date(2026, 4, 3), 0) == date(2026, 4, 7)
    assert [d.date for d in calendar.skipped_days(date(2026, 4, 3), 0)] == [
        date(2026, 4, 3),
        date(2026, 4, 4),
        date(2026, 4, 5),
        date(2026, 4, 6),
    ]
    assert calendar.skipped_days(date(2026, 3, 2), 0) == []


def test_start_on_a_weekend(calendar: Calendar) -> None:
    saturday = date(2026, 3, 7)
    assert calendar.add_working_days(saturday, 1) == date(2026, 3, 9)
    assert calendar.add_working_days(saturday, -1) == date(2026, 3, 6)


def test_extend_term_and_previous_working_day(calendar: Calendar) -> None:
    assert calendar.extend_term(date(2026, 4, 3)) == date(2026, 4, 7)  # Good Friday
    assert calendar.extend_term(date(2026, 12, 25)) == date(2026, 12, 28)
    assert calendar.extend_term(date(2026, 3, 4)) == date(2026, 3, 4)
    assert calendar.previous_working_day(date(2026, 4, 7)) == date(2026, 4, 2)
    assert calendar.previous_working_day(date(2026, 3, 4)) == date(2026, 3, 3)
    assert calendar.working_day_on_or_before(date(2026, 4, 6)) == date(2026, 4, 2)
    assert calendar.working_day_on_or_before(date(2026, 3, 4)) == date(2026, 3, 4)


def test_working_days_between_is_consistent_with_add_working_days(calendar: Calendar) -> None:
    day = date(2026, 1, 1)
    while day < date(2027, 1, 1):
        for n in (1, 2, 5, 10, 23, -1, -5, -23):
            assert calendar.working_days_between(day, calendar.add_working_days(day, n)) == n
        day += timedelta(days=1)
    assert calendar.working_days_between(date(2026, 3, 2), date(2026, 3, 2)) == 0
    assert calendar.working_days_between(date(2026, 3, 30), date(2026, 4, 8)) == 5


def test_decree_days_come_from_the_data(calendar: Calendar) -> None:
    bridge = date(2026, 5, 15)
    assert calendar.non_working_reason(bridge) == Reason("vrijdag na Hemelvaartsdag", KB_2026)
    without = Calendar(decrees=[])
    assert without.is_working_day(bridge)
    assert without.add_working_days(date(2026, 5, 13), 1) == bridge
    assert calendar.add_working_days(date(2026, 5, 13), 1) == date(2026, 5, 18)

    other = Decree(
        id="test",
        title="Testbesluit",
        short_title="Testbesluit 2026",
        years=(2026,),
        days=(DecreeDay(date(2026, 5, 13), "woensdag voor Hemelvaartsdag"),),
    )
    altered = Calendar(decrees=[other])
    assert altered.is_working_day(bridge)
    assert altered.non_working_reason(date(2026, 5, 13)) == Reason(
        "woensdag voor Hemelvaartsdag", "Atw art. 3 lid 3, Testbesluit 2026"
    )
    assert altered.covers(2026) and not altered.covers(2027)


def test_the_data_file_covers_2023_to_2028() -> None:
    decrees = load_decrees()
    assert {d.id for d in decrees} >= {"2023-2025", "2026-2028"}
    years = {year for d in decrees for year in d.years}
    assert set(range(2023, 2029)) <= years
    current = next(d for d in decrees if d.id == "2026-2028")
    assert [day.date for day in current.days] == [
        date(2026, 1, 2),
        date(2026, 5, 15),
        date(2027, 5, 7),
        date(2028, 4, 28),
        date(2028, 5, 26),
    ]


def _decree(**changes: object) -> dict[str, object]:
    entry: dict[str, object] = {
        "id": "x",
        "title": "Besluit x",
        "short_title": "Besluit x",
        "years": [2026],
        "days": [{"date": "2026-05-15", "description": "vrijdag na Hemelvaartsdag"}],
    }
    entry.update(changes)
    return entry


@pytest.mark.parametrize(
    "decrees, message",
    [
        ([_decree(days=[{"date": "2026-02-30", "description": "x"}])], "ValueError"),
        ([_decree(years=[2027])], "buiten de jaren"),
        ([_decree(days=[{"date": "2026-05-16", "description": "x"}])], "zaterdag"),
        ([_decree(days=[{"date": "2026-05-14", "description": "x"}])], "al een feestdag"),
        ([_decree(), _decree(id="y")], "staat ook in besluit x"),
        ([_decree(), _decree()], "twee keer"),
        ([_decree(title="")], "title"),
        ([_decree(years=[])], "geen enkel jaar"),
    ],
)
def test_loader_fails_loudly(tmp_path: Path, decrees: list[object], message: str) -> None:
    path = tmp_path / "besluiten.json"
    path.write_text(json.dumps({"decrees": decrees}), encoding="utf-8")
    with pytest.raises(DecreeDataError, match=message):
        load_decrees(path)


def test_loader_rejects_a_missing_file(tmp_path: Path) -> None:
    with pytest.raises(DecreeDataError):
        load_decrees(tmp_path / "ontbreekt.json")


def test_closure_days_per_organisation(no_provider: None) -> None:
    christmas_eve = date(2026, 12, 24)
    cal = Calendar(closures={HAARLEM: {christmas_eve: "collectieve sluitingsdag"}})
    assert cal.is_working_day(christmas_eve)
    assert cal.is_working_day(christmas_eve, organisation="gemeente-weert")
    assert not cal.is_working_day(christmas_eve, organisation=HAARLEM)
    assert cal.non_working_reason(christmas_eve, organisation=HAARLEM) == Reason(
        "sluitingsdag gemeente-haarlem (collectieve sluitingsdag)", "instelling"
    )
    assert cal.add_working_days(date(2026, 12, 23), 1) == christmas_eve
    assert cal.add_working_days(date(2026, 12, 23), 1, HAARLEM) == date(2026, 12, 28)
    listed = cal.non_working_weekdays(2026, organisation=HAARLEM)
    assert [d.date for d in listed][-2:] == [christmas_eve, date(2026, 12, 25)]


def test_closure_provider(no_provider: None) -> None:
    asked: list[str] = []

    def provider(organisation: str) -> dict[date, str]:
        asked.append(organisation)
        return {date(2026, 3, 9): "studiedag"} if organisation == "gemeente-weert" else {}

    cal = Calendar(decrees=[])
    set_closure_provider(provider)
    assert cal.add_working_days(date(2026, 3, 6), 1, "gemeente-weert") == date(2026, 3, 10)
    assert cal.add_working_days(date(2026, 3, 6), 1, HAARLEM) == date(2026, 3, 9)
    assert cal.add_working_days(date(2026, 3, 6), 1) == date(2026, 3, 9)
    assert asked == ["gemeente-weert", HAARLEM]  # once per query, never without organisation
    assert set_closure_provider(None) is provider
