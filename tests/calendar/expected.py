"""Every non-working weekday of 2025-2028, written out by hand from the law.

Easter: 20 April 2025, 5 April 2026, 28 March 2027, 16 April 2028. Good Friday is Easter - 2,
Tweede Paasdag + 1, Hemelvaartsdag + 39, Tweede Pinksterdag + 50. Bridge days are those named
in the titles of the decrees under Atw art. 3 lid 3 for 2023-2025 and 2026-2028. Holidays on a
Saturday or Sunday are left out (Koningsdag 26 April 2025, Tweede Kerstdag 2026, both
Christmas days 2027, Nieuwjaarsdag 2028).
"""

from __future__ import annotations

from datetime import date, timedelta

L1 = "Atw art. 3 lid 1"
L2 = "Atw art. 3 lid 2"
KB_2023 = "Atw art. 3 lid 3, Besluit gelijkstelling 2023-2025"
KB_2026 = "Atw art. 3 lid 3, Besluit gelijkstelling 2026-2028"

# (date, Dutch weekday, name, basis)
EXPECTED: dict[int, list[tuple[str, str, str, str]]] = {
    2025: [
        ("2025-01-01", "woensdag", "Nieuwjaarsdag", L1),
        ("2025-04-18", "vrijdag", "Goede Vrijdag", L2),
        ("2025-04-21", "maandag", "Tweede Paasdag", L1),
        ("2025-05-05", "maandag", "Bevrijdingsdag (5 mei)", L1),
        ("2025-05-29", "donderdag", "Hemelvaartsdag", L1),
        ("2025-05-30", "vrijdag", "vrijdag na Hemelvaartsdag", KB_2023),
        ("2025-06-09", "maandag", "Tweede Pinksterdag", L1),
        ("2025-12-25", "donderdag", "Eerste Kerstdag", L1),
        ("2025-12-26", "vrijdag", "Tweede Kerstdag", L1),
    ],
    2026: [
        ("2026-01-01", "donderdag", "Nieuwjaarsdag", L1),
        ("2026-01-02", "vrijdag", "vrijdag na Nieuwjaarsdag", KB_2026),
        ("2026-04-03", "vrijdag", "Goede Vrijdag", L2),
        ("2026-04-06", "maandag", "Tweede Paasdag", L1),
        ("2026-04-27", "maandag", "Koningsdag", L1),
        ("2026-05-05", "dinsdag", "Bevrijdingsdag (5 mei)", L1),
        ("2026-05-14", "donderdag", "Hemelvaartsdag", L1),
        ("2026-05-15", "vrijdag", "vrijdag na Hemelvaartsdag", KB_2026),
        ("2026-05-25", "maandag", "Tweede Pinksterdag", L1),
        ("2026-12-25", "vrijdag", "Eerste Kerstdag", L1),
    ],
    2027: [
        ("2027-01-01", "vrijdag", "Nieuwjaarsdag", L1),
        ("2027-03-26", "vrijdag", "Goede Vrijdag", L2),
        ("2027-03-29", "maandag", "Tweede Paasdag", L1),
        ("2027-04-27", "dinsdag", "Koningsdag", L1),
        ("2027-05-05", "woensdag", "Bevrijdingsdag (5 mei)", L1),
        ("2027-05-06", "donderdag", "Hemelvaartsdag", L1),
        ("2027-05-07", "vrijdag", "vrijdag na Hemelvaartsdag", KB_2026),
        ("2027-05-17", "maandag", "Tweede Pinksterdag", L1),
    ],
    2028: [
        ("2028-04-14", "vrijdag", "Goede Vrijdag", L2),
        ("2028-04-17", "maandag", "Tweede Paasdag", L1),
        ("2028-04-27", "donderdag", "Koningsdag", L1),
        ("2028-04-28", "vrijdag", "vrijdag na Koningsdag", KB_2026),
        ("2028-05-05", "vrijdag", "Bevrijdingsdag (5 mei)", L1),
        ("2028-05-25", "donderdag", "Hemelvaartsdag", L1),
        ("2028-05-26", "vrijdag", "vrijdag na Hemelvaartsdag", KB_2026),
        ("2028-06-05", "maandag", "Tweede Pinksterdag", L1),
        ("2028-12-25", "maandag", "Eerste Kerstdag", L1),
        ("2028-12-26", "dinsdag", "Tweede Kerstdag", L1),
    ],
}

# The only non-working weekday of January 2029 (no decree for 2029 is known yet).
EARLY_2029 = {date(2029, 1, 1)}
REFERENCE_RANGE = (date(2025, 1, 1), date(2029, 1, 31))

HOLIDAY_WEEKDAYS: set[date] = {
    date.fromisoformat(row[0]) for rows in EXPECTED.values() for row in rows
} | EARLY_2029


def reference_is_working_day(day: date) -> bool:
    """Naive reference: weekend or in the hand-written table."""
    if not REFERENCE_RANGE[0] <= day <= REFERENCE_RANGE[1]:
        raise AssertionError(f"{day} lies outside the hand-written table")
    return day.weekday() < 5 and day not in HOLIDAY_WEEKDAYS


def reference_add_working_days(day: date, n: int) -> date:
    """Step one day at a time, counting working days, the start excluded."""
    step = 1 if n > 0 else -1
    remaining = abs(n)
    while remaining:
        day += timedelta(days=step)
        if reference_is_working_day(day):
            remaining -= 1
    return day
