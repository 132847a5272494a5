"""The Dutch working-day calendar under the Algemene termijnenwet (see README.md)."""

from app.calendar.atw import (
    Calendar,
    Decree,
    DecreeDataError,
    DecreeDay,
    NonWorkingDay,
    Reason,
    default_calendar,
    easter,
    kings_day,
    load_decrees,
    set_closure_provider,
    statutory_holidays,
)

__all__ = [
    "Calendar",
    "Decree",
    "DecreeDataError",
    "DecreeDay",
    "NonWorkingDay",
    "Reason",
    "default_calendar",
    "easter",
    "kings_day",
    "load_decrees",
    "set_closure_provider",
    "statutory_holidays",
]
