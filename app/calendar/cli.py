"""`stroom workdays`: count working days, or list a year's non-working weekdays."""

from __future__ import annotations

from datetime import date

import click

from app.calendar.atw import FIRST_YEAR, WEEKDAYS_NL, Calendar, NonWorkingDay, default_calendar
from app.clikit import Command


def _parse_date(value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError as exc:
        raise click.BadParameter(
            f"{value!r} is geen geldige datum; verwacht JJJJ-MM-DD", param_hint="DATE"
        ) from exc


def _line(day: NonWorkingDay) -> str:
    return f"{day.date.isoformat()}\t{WEEKDAYS_NL[day.date.weekday()]}\t{day.name}\t{day.basis}"


def _warn_uncovered(calendar: Calendar, years: set[int]) -> None:
    # Without the decree for a year its bridge days are unknown: say so, do not guess.
    for year in sorted(y for y in years if not calendar.covers(y)):
        click.echo(
            f"let op: geen Koninklijk Besluit (Atw art. 3 lid 3) bekend voor {year}; "
            "gelijkgestelde dagen ontbreken mogelijk",
            err=True,
        )


# ignore_unknown_options lets a negative N ("-5") through as an argument instead of an option.
@click.command(
    "workdays",
    cls=Command,
    renamed={"--jaar": "--year", "--organisatie": "--organisation"},
    context_settings={"ignore_unknown_options": True},
)
@click.argument("day", metavar="DATE", required=False)
@click.argument("n", type=int, required=False)
@click.option("--year", type=int, help="Toon de niet-werkdagen (ma-vr) van dit jaar.")
@click.option("--organisation", help="Tel ook de sluitingsdagen van deze organisatie mee.")
def workdays(day: str | None, n: int | None, year: int | None, organisation: str | None) -> None:
    """Werkdagen volgens de Algemene termijnenwet.

    \b
    stroom workdays DATE N       de datum N werkdagen na DATE (N negatief: ervoor),
                                 gevolgd door de overgeslagen dagen met hun grondslag
    stroom workdays --year JJJJ  de niet-werkdagen op maandag t/m vrijdag van dat jaar
    """
    calendar = default_calendar()
    if year is not None:
        if day is not None:
            raise click.UsageError("gebruik óf DATE N óf --year, niet allebei")
        if year < FIRST_YEAR:
            raise click.BadParameter(
                f"jaren vóór {FIRST_YEAR} worden niet ondersteund", param_hint="--year"
            )
        _warn_uncovered(calendar, {year})
        for off in calendar.non_working_weekdays(year, organisation):
            click.echo(_line(off))
        return
    if day is None:
        raise click.UsageError("geef DATE en N, of --year JJJJ")
    start = _parse_date(day)
    if n is None:
        raise click.UsageError("geef ook N, het aantal werkdagen")
    try:
        result = calendar.add_working_days(start, n, organisation)
        skipped = calendar.skipped_days(start, n, organisation)
    except (ValueError, OverflowError) as exc:
        raise click.ClickException(str(exc)) from exc
    _warn_uncovered(calendar, set(range(min(start, result).year, max(start, result).year + 1)))
    click.echo(result.isoformat())
    for off in skipped:
        click.echo(_line(off))
