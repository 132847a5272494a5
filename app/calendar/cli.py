"""`stroom werkdagen`: count working days, or list a year's non-working weekdays."""

from __future__ import annotations

from datetime import date

import click

from app.calendar.atw import FIRST_YEAR, WEEKDAYS_NL, Calendar, NonWorkingDay, default_calendar


def _parse_date(value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError as exc:
        raise click.BadParameter(
            f"{value!r} is geen geldige datum; verwacht JJJJ-MM-DD", param_hint="DATUM"
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
@click.command("werkdagen", context_settings={"ignore_unknown_options": True})
@click.argument("datum", required=False)
@click.argument("n", type=int, required=False)
@click.option("--jaar", type=int, help="Toon de niet-werkdagen (ma-vr) van dit jaar.")
@click.option("--organisatie", help="Tel ook de sluitingsdagen van deze organisatie mee.")
def werkdagen(datum: str | None, n: int | None, jaar: int | None, organisatie: str | None) -> None:
    """Werkdagen volgens de Algemene termijnenwet.

    \b
    stroom werkdagen DATUM N    de datum N werkdagen na DATUM (N negatief: ervoor),
                                gevolgd door de overgeslagen dagen met hun grondslag
    stroom werkdagen --jaar JJJJ  de niet-werkdagen op maandag t/m vrijdag van dat jaar
    """
    calendar = default_calendar()
    if jaar is not None:
        if datum is not None:
            raise click.UsageError("gebruik óf DATUM N óf --jaar, niet allebei")
        if jaar < FIRST_YEAR:
            raise click.BadParameter(
                f"jaren vóór {FIRST_YEAR} worden niet ondersteund", param_hint="--jaar"
            )
        _warn_uncovered(calendar, {jaar})
        for day in calendar.non_working_weekdays(jaar, organisatie):
            click.echo(_line(day))
        return
    if datum is None:
        raise click.UsageError("geef DATUM en N, of --jaar JJJJ")
    start = _parse_date(datum)
    if n is None:
        raise click.UsageError("geef ook N, het aantal werkdagen")
    try:
        result = calendar.add_working_days(start, n, organisatie)
        skipped = calendar.skipped_days(start, n, organisatie)
    except (ValueError, OverflowError) as exc:
        raise click.ClickException(str(exc)) from exc
    _warn_uncovered(calendar, set(range(min(start, result).year, max(start, result).year + 1)))
    click.echo(result.isoformat())
    for day in skipped:
        click.echo(_line(day))
