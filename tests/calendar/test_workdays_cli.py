"""`stroom workdays` agrees with the law on every day of 2026, 2027 and 2028."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, timedelta

import pytest
from click.testing import CliRunner

from app.calendar.atw import set_closure_provider
from app.calendar.cli import workdays
from tests.calendar.expected import EXPECTED, reference_add_working_days


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


def test_every_day_of_2026_to_2028(runner: CliRunner) -> None:
    mismatches = []
    day = date(2026, 1, 1)
    while day.year <= 2028:
        for n in (1, 5, -5, 10):
            result = runner.invoke(workdays, [day.isoformat(), str(n)])
            assert result.exit_code == 0, result.output
            expected = reference_add_working_days(day, n).isoformat()
            first = result.stdout.splitlines()[0]
            if first != expected:
                mismatches.append((day.isoformat(), n, first, expected))
        day += timedelta(days=1)
    assert mismatches == []


def test_skipped_days_are_listed_with_their_basis(runner: CliRunner) -> None:
    result = runner.invoke(workdays, ["2026-03-30", "5"])
    assert result.exit_code == 0
    assert result.stdout.splitlines() == [
        "2026-04-08",
        "2026-04-03\tvrijdag\tGoede Vrijdag\tAtw art. 3 lid 2",
        "2026-04-04\tzaterdag\tzaterdag\tAtw art. 1 lid 1: geen werkdag",
        "2026-04-05\tzondag\tzondag\tAtw art. 1 lid 1: geen werkdag",
        "2026-04-06\tmaandag\tTweede Paasdag\tAtw art. 3 lid 1",
    ]
    assert result.stderr == ""


def test_negative_n(runner: CliRunner) -> None:
    result = runner.invoke(workdays, ["2026-05-18", "-1"])
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0] == "2026-05-13"
    assert lines[1] == "2026-05-14\tdonderdag\tHemelvaartsdag\tAtw art. 3 lid 1"
    assert lines[2].startswith("2026-05-15\tvrijdag\tvrijdag na Hemelvaartsdag\tAtw art. 3 lid 3")


@pytest.mark.parametrize("year", [2026, 2027, 2028])
def test_year_listing(runner: CliRunner, year: int) -> None:
    result = runner.invoke(workdays, ["--year", str(year)])
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines() == ["\t".join(row) for row in EXPECTED[year]]


def test_bad_date_is_a_clear_error(runner: CliRunner) -> None:
    result = runner.invoke(workdays, ["2026-02-30", "5"])
    assert result.exit_code == 2
    assert "geen geldige datum" in result.stderr
    assert "DATE" in result.stderr


def test_missing_arguments(runner: CliRunner) -> None:
    assert runner.invoke(workdays, []).exit_code == 2
    assert runner.invoke(workdays, ["2026-03-02"]).exit_code == 2
    assert runner.invoke(workdays, ["2026-03-02", "1", "--year", "2026"]).exit_code == 2
    assert runner.invoke(workdays, ["--year", "2013"]).exit_code == 2


def test_year_without_decree_warns_on_stderr_only(runner: CliRunner) -> None:
    result = runner.invoke(workdays, ["2028-12-28", "3"])
    assert result.exit_code == 0
    assert result.stdout.splitlines()[0] == "2029-01-03"
    assert "2029" in result.stderr and "Koninklijk Besluit" in result.stderr


@pytest.fixture
def haarlem_closed() -> Iterator[None]:
    previous = set_closure_provider(
        lambda org: (
            {date(2026, 12, 24): "collectieve sluitingsdag"} if org == "gemeente-haarlem" else {}
        )
    )
    yield
    set_closure_provider(previous)


def test_organisation(runner: CliRunner, haarlem_closed: None) -> None:
    plain = runner.invoke(workdays, ["2026-12-23", "1"])
    assert plain.stdout.splitlines()[0] == "2026-12-24"
    closed = runner.invoke(workdays, ["2026-12-23", "1", "--organisatie", "gemeente-haarlem"])
    assert closed.stdout.splitlines() == [
        "2026-12-28",
        "2026-12-24\tdonderdag\tsluitingsdag gemeente-haarlem (collectieve sluitingsdag)"
        "\tinstelling",
        "2026-12-25\tvrijdag\tEerste Kerstdag\tAtw art. 3 lid 1",
        "2026-12-26\tzaterdag\tTweede Kerstdag\tAtw art. 3 lid 1",
        "2026-12-27\tzondag\tzondag\tAtw art. 1 lid 1: geen werkdag",
    ]
    listing = runner.invoke(workdays, ["--year", "2026", "--organisatie", "gemeente-haarlem"])
    assert "2026-12-24\tdonderdag\tsluitingsdag gemeente-haarlem" in listing.stdout
