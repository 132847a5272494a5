"""Working days under the Algemene termijnenwet (Atw), as pure functions of a date.

A day is not a working day when it is a Saturday or Sunday (art. 1(1)), a generally recognised
holiday (art. 3(1)), Good Friday (art. 3(2)), or a day equated by Royal Decree (art. 3(3)). The
decree days are data (`data/koninklijke_besluiten.json`), never code: a new decree is a new
entry in that file. Organisations may add their own closure days; those are not Atw days and
only count when a caller passes `organisation=`.

Supported from 2014 on, the first year of Koningsdag on 27 April; earlier years raise
ValueError rather than answer with the wrong King's/Queen's Day rule.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any, NamedTuple

FIRST_YEAR = 2014
DATA_FILE = Path(__file__).resolve().parent / "data" / "koninklijke_besluiten.json"

LID_1 = "Atw art. 3 lid 1"
LID_2 = "Atw art. 3 lid 2"
LID_3 = "Atw art. 3 lid 3"
WEEKEND = "Atw art. 1 lid 1: geen werkdag"
CLOSURE = "instelling"

WEEKDAYS_NL = ("maandag", "dinsdag", "woensdag", "donderdag", "vrijdag", "zaterdag", "zondag")
WEEKDAYS_SHORT = ("ma", "di", "wo", "do", "vr", "za", "zo")
MONTHS_SHORT = ("jan", "feb", "mrt", "apr", "mei", "jun", "jul", "aug", "sep", "okt", "nov", "dec")

# A run of closed days longer than this means broken closure data, not a real calendar.
_MAX_NON_WORKING_RUN = 366

ClosureProvider = Callable[[str], Mapping[date, str]]


class Reason(NamedTuple):
    name: str
    basis: str


class NonWorkingDay(NamedTuple):
    date: date
    name: str
    basis: str


class DecreeDataError(ValueError):
    """The decree data is inconsistent; raised at load time so nobody counts with it."""


@dataclass(frozen=True)
class DecreeDay:
    date: date
    description: str


@dataclass(frozen=True)
class Decree:
    id: str
    title: str
    short_title: str
    years: tuple[int, ...]
    days: tuple[DecreeDay, ...]
    decree_date: date | None = None
    decree_number: str | None = None
    staatscourant: str | None = None
    url: str | None = None
    note: str | None = None

    @property
    def citation(self) -> str:
        if self.staatscourant:
            return f"{self.short_title} (Stcrt. {self.staatscourant})"
        if self.decree_date and self.decree_number:
            return (
                f"{self.short_title} (KB {self.decree_date.isoformat()}, nr. {self.decree_number})"
            )
        return self.short_title


def easter(year: int) -> date:
    """Easter Sunday by the Gregorian computus (anonymous algorithm, Meeus/Jones/Butcher)."""
    a = year % 19
    b, c = divmod(year, 100)
    d, e = divmod(b, 4)
    f = (b + 8) // 25
    g = (b - f + 1) // 3
    h = (19 * a + b - d - g + 15) % 30
    i, k = divmod(c, 4)
    weekday_shift = (32 + 2 * e + 2 * i - h - k) % 7
    m = (a + 11 * h + 22 * weekday_shift) // 451
    month, day = divmod(h + weekday_shift - 7 * m + 114, 31)
    return date(year, month, day + 1)


def kings_day(year: int) -> date:
    """27 April, or 26 April when the 27th is a Sunday (KB 30 January 2013, Stcrt. 2013, 4075)."""
    _check_year(year)
    day = date(year, 4, 27)
    return day - timedelta(days=1) if day.weekday() == 6 else day


def statutory_holidays(year: int) -> dict[date, tuple[Reason, ...]]:
    """Art. 3(1) and 3(2) holidays of a year, weekend or not."""
    _check_year(year)
    sunday = easter(year)
    days = [
        (date(year, 1, 1), Reason("Nieuwjaarsdag", LID_1)),
        (sunday - timedelta(days=2), Reason("Goede Vrijdag", LID_2)),
        (sunday + timedelta(days=1), Reason("Tweede Paasdag", LID_1)),
        (kings_day(year), Reason("Koningsdag", LID_1)),
        (date(year, 5, 5), Reason("Bevrijdingsdag (5 mei)", LID_1)),
        (sunday + timedelta(days=39), Reason("Hemelvaartsdag", LID_1)),
        (sunday + timedelta(days=50), Reason("Tweede Pinksterdag", LID_1)),
        (date(year, 12, 25), Reason("Eerste Kerstdag", LID_1)),
        (date(year, 12, 26), Reason("Tweede Kerstdag", LID_1)),
    ]
    # Ascension can fall on 5 May (as in 2016): keep both reasons.
    result: dict[date, tuple[Reason, ...]] = {}
    for day, reason in days:
        result[day] = result.get(day, ()) + (reason,)
    return result


def _check_year(year: int) -> None:
    if year < FIRST_YEAR:
        raise ValueError(f"werkdagen vóór {FIRST_YEAR} worden niet ondersteund (jaar {year})")


def _as_date(day: date) -> date:
    # A datetime is a date too, but which calendar day it is depends on the time zone.
    if isinstance(day, datetime) or not isinstance(day, date):
        raise TypeError(f"verwacht een datum, geen {type(day).__name__}: {day!r}")
    return day


# --- decree data -------------------------------------------------------------------------------


def load_decrees(path: Path | None = None) -> tuple[Decree, ...]:
    """Read and validate the decree file; DecreeDataError on anything suspicious."""
    source = path or DATA_FILE
    try:
        raw = json.loads(source.read_text(encoding="utf-8"))
        entries = raw["decrees"]
        if not isinstance(entries, list):
            raise TypeError("'decrees' is not a list")
        decrees = tuple(_parse_decree(entry) for entry in entries)
    except DecreeDataError:
        raise
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise DecreeDataError(f"{source}: {type(exc).__name__}: {exc}") from exc
    validate_decrees(decrees)
    return decrees


def _parse_decree(entry: Mapping[str, Any]) -> Decree:
    decree_date = entry.get("decree_date")
    return Decree(
        id=_text(entry, "id"),
        title=_text(entry, "title"),
        short_title=_text(entry, "short_title"),
        years=tuple(int(year) for year in entry["years"]),
        days=tuple(
            DecreeDay(date.fromisoformat(day["date"]), _text(day, "description"))
            for day in entry["days"]
        ),
        decree_date=date.fromisoformat(decree_date) if decree_date else None,
        decree_number=entry.get("decree_number"),
        staatscourant=entry.get("staatscourant"),
        url=entry.get("url"),
        note=entry.get("note"),
    )


def _text(entry: Mapping[str, Any], key: str) -> str:
    value = entry[key]
    if not isinstance(value, str) or not value.strip():
        raise DecreeDataError(f"veld {key!r} ontbreekt of is leeg in {dict(entry)!r}")
    return value


def validate_decrees(decrees: Iterable[Decree]) -> None:
    """Each day lies in a covered year, on a weekday, once; anything else is a typo."""
    seen: dict[date, str] = {}
    ids: set[str] = set()
    for decree in decrees:
        if decree.id in ids:
            raise DecreeDataError(f"besluit {decree.id} staat er twee keer in")
        ids.add(decree.id)
        if not decree.years:
            raise DecreeDataError(f"besluit {decree.id} dekt geen enkel jaar")
        for day in decree.days:
            where = f"besluit {decree.id}, {day.date.isoformat()}"
            if day.date.year not in decree.years:
                raise DecreeDataError(f"{where}: valt buiten de jaren {list(decree.years)}")
            if day.date.year < FIRST_YEAR:
                raise DecreeDataError(f"{where}: vóór {FIRST_YEAR}")
            if day.date.weekday() >= 5:
                raise DecreeDataError(f"{where}: is een {WEEKDAYS_NL[day.date.weekday()]}")
            if day.date in statutory_holidays(day.date.year):
                raise DecreeDataError(f"{where}: is al een feestdag volgens art. 3 lid 1/2")
            if day.date in seen:
                raise DecreeDataError(f"{where}: staat ook in besluit {seen[day.date]}")
            seen[day.date] = decree.id


# --- closure days ------------------------------------------------------------------------------

_closure_provider: ClosureProvider | None = None


def set_closure_provider(provider: ClosureProvider | None) -> ClosureProvider | None:
    """Install the source of closure days per organisation key; returns the previous one.

    The provider receives an organisation key and returns {date: description}. Calendars built
    without their own provider consult it on every query, so it may read a database.
    """
    global _closure_provider
    previous, _closure_provider = _closure_provider, provider
    return previous


# --- the calendar ------------------------------------------------------------------------------


class Calendar:
    """Atw working days plus optional closure days per organisation.

    `decrees=None` loads the decree file; pass a list (even empty) to count with other data.
    """

    def __init__(
        self,
        decrees: Iterable[Decree] | None = None,
        closures: Mapping[str, Mapping[date, str]] | None = None,
        closure_provider: ClosureProvider | None = None,
    ) -> None:
        self.decrees = load_decrees() if decrees is None else tuple(decrees)
        validate_decrees(self.decrees)
        self.covered_years = frozenset(year for d in self.decrees for year in d.years)
        self._decree_days = {
            day.date: Reason(day.description, f"{LID_3}, {decree.citation}")
            for decree in self.decrees
            for day in decree.days
        }
        self._closures = {org: dict(days) for org, days in (closures or {}).items()}
        self._provider = closure_provider
        self._holidays: dict[int, dict[date, tuple[Reason, ...]]] = {}
        self._lock = threading.Lock()

    # Queries -----------------------------------------------------------------------------------

    def covers(self, year: int) -> bool:
        """True when decree data (art. 3(3)) is known for the year."""
        return year in self.covered_years

    def holidays(self, year: int) -> dict[date, tuple[Reason, ...]]:
        """Art. 3 holidays and decree days of a year (weekend or not), sorted by date."""
        with self._lock:
            if year not in self._holidays:
                days = dict(statutory_holidays(year))
                for day, reason in self._decree_days.items():
                    if day.year == year:
                        days[day] = days.get(day, ()) + (reason,)
                self._holidays[year] = dict(sorted(days.items()))
            return self._holidays[year]

    def closures(self, organisation: str | None) -> dict[date, str]:
        """Closure days of an organisation: the static ones plus the provider's."""
        if organisation is None:
            return {}
        days = dict(self._closures.get(organisation, {}))
        provider = self._provider or _closure_provider
        if provider is not None:
            days.update(provider(organisation))
        return days

    def non_working_reasons(self, d: date, organisation: str | None = None) -> list[Reason]:
        return self._reasons(_as_date(d), organisation, self.closures(organisation))

    def non_working_reason(self, d: date, organisation: str | None = None) -> Reason | None:
        """The main reason a day is not a working day (law before weekend before closure)."""
        reasons = self.non_working_reasons(d, organisation)
        return reasons[0] if reasons else None

    def is_working_day(self, d: date, organisation: str | None = None) -> bool:
        return not self.non_working_reasons(d, organisation)

    def add_working_days(self, d: date, n: int, organisation: str | None = None) -> date:
        """The working day n working days after d (n < 0: before).

        d itself is never counted. n == 0 gives d when it is a working day, else the next one.
        """
        return self._walk(_as_date(d), n, organisation)[0]

    def skipped_days(self, d: date, n: int, organisation: str | None = None) -> list[NonWorkingDay]:
        """Non-working days passed over by add_working_days(d, n), in date order."""
        return self._walk(_as_date(d), n, organisation)[1]

    def extend_term(self, d: date, organisation: str | None = None) -> date:
        """Atw art. 1: a term ending on a non-working day ends on the next working day."""
        return self.add_working_days(d, 0, organisation)

    def previous_working_day(self, d: date, organisation: str | None = None) -> date:
        """The last working day strictly before d."""
        return self.add_working_days(d, -1, organisation)

    def working_day_on_or_before(self, d: date, organisation: str | None = None) -> date:
        """d when it is a working day, else the last working day before it."""
        d = _as_date(d)
        if self.is_working_day(d, organisation):
            return d
        return self.previous_working_day(d, organisation)

    def working_days_between(self, a: date, b: date, organisation: str | None = None) -> int:
        """Working days passed walking from a to b: a excluded, b included; negative if b < a.

        So for every n != 0: working_days_between(d, add_working_days(d, n)) == n.
        """
        a, b = _as_date(a), _as_date(b)
        step = 1 if b >= a else -1
        closed = self.closures(organisation)
        count, day = 0, a
        while day != b:
            day += timedelta(days=step)
            if not self._reasons(day, organisation, closed):
                count += 1
        return count * step

    def non_working_weekdays(
        self, year: int, organisation: str | None = None
    ) -> list[NonWorkingDay]:
        """Monday-to-Friday days of a year that are not working days, sorted, with reason."""
        closed = self.closures(organisation)
        candidates = set(self.holidays(year)) | {day for day in closed if day.year == year}
        result = []
        for day in sorted(candidates):
            reasons = self._reasons(day, organisation, closed)
            if day.weekday() < 5 and reasons:
                result.append(NonWorkingDay(day, *reasons[0]))
        return result

    # Internals ---------------------------------------------------------------------------------

    def _reasons(
        self, day: date, organisation: str | None, closed: Mapping[date, str]
    ) -> list[Reason]:
        reasons = list(self.holidays(day.year).get(day, ()))
        if day.weekday() >= 5:
            reasons.append(Reason(WEEKDAYS_NL[day.weekday()], WEEKEND))
        if day in closed:
            name = f"sluitingsdag {organisation}"
            reasons.append(Reason(f"{name} ({closed[day]})" if closed[day] else name, CLOSURE))
        return reasons

    def _walk(
        self, start: date, n: int, organisation: str | None
    ) -> tuple[date, list[NonWorkingDay]]:
        closed = self.closures(organisation)
        skipped: list[NonWorkingDay] = []
        day, run = start, 0
        if n == 0:
            step, remaining = 1, 1
            day -= timedelta(days=1)  # so that start itself is the first candidate
        else:
            step, remaining = (1, n) if n > 0 else (-1, -n)
        while True:
            day += timedelta(days=step)
            reasons = self._reasons(day, organisation, closed)
            if reasons:
                skipped.append(NonWorkingDay(day, *reasons[0]))
                run += 1
                if run > _MAX_NON_WORKING_RUN:
                    raise ValueError(f"geen werkdag te vinden rond {day.isoformat()}")
                continue
            run = 0
            remaining -= 1
            if remaining == 0:
                skipped.sort()
                return day, skipped


_default: Calendar | None = None
_default_lock = threading.Lock()


def default_calendar() -> Calendar:
    """The calendar with the decree file, loaded once (and validated) on first use."""
    global _default
    with _default_lock:
        if _default is None:
            _default = Calendar()
        return _default
