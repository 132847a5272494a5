"""Template helpers of app/ui (no browser needed): Dutch dates, deadline status, field ids."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

import pytest

from app.ui import field_id
from app.ui.formatting import datum, iso, termijn

NOW = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)  # Monday 2 March 2026, 09:00 in Amsterdam


def test_datum_in_dutch_in_amsterdam_time() -> None:
    assert datum(NOW) == "ma 2 mrt 2026"
    assert datum(NOW, tijd=True) == "ma 2 mrt 2026 09:00"
    # 23:30 UTC on Sunday is already Monday in Amsterdam.
    assert datum(datetime(2026, 3, 1, 23, 30, tzinfo=UTC), tijd=True) == "ma 2 mrt 2026 00:30"
    # Summer time: +2 hours.
    assert datum(datetime(2026, 7, 4, 10, 0, tzinfo=UTC), True) == "za 4 jul 2026 12:00"
    assert datum(datetime(2026, 10, 25, 12, 0, tzinfo=timezone(timedelta(hours=5)))) == (
        "zo 25 okt 2026"
    )
    assert datum(date(2026, 12, 31)) == "do 31 dec 2026"
    assert datum(None) == ""


def test_datum_refuses_naive_datetimes() -> None:
    with pytest.raises(ValueError):
        datum(datetime(2026, 3, 2, 9, 0))


def test_every_weekday_and_month() -> None:
    days = [datum(date(2026, 3, d)).split()[0] for d in range(2, 9)]
    assert days == ["ma", "di", "wo", "do", "vr", "za", "zo"]
    months = [datum(date(2026, m, 1)).split()[2] for m in range(1, 13)]
    assert months == "jan feb mrt apr mei jun jul aug sep okt nov dec".split()


def test_iso_for_time_elements() -> None:
    assert iso(NOW) == "2026-03-02T09:00+01:00"
    assert iso(date(2026, 3, 2)) == "2026-03-02"
    assert iso(None) == ""


def test_termijn() -> None:
    assert termijn(None, NOW) is None
    assert termijn(NOW - timedelta(minutes=1), NOW) == "te-laat"
    assert termijn(NOW + timedelta(hours=8), NOW) == "vandaag"  # 17:00 today
    assert termijn(NOW + timedelta(hours=15), NOW) == "op-tijd"  # 00:00 tomorrow
    assert termijn(date(2026, 3, 1), NOW) == "te-laat"
    assert termijn(date(2026, 3, 2), NOW) == "vandaag"
    assert termijn(date(2026, 3, 3), NOW) == "op-tijd"


def test_termijn_uses_the_application_clock(clock) -> None:  # type: ignore[no-untyped-def]
    assert termijn(datetime(2026, 3, 2, 16, 0, tzinfo=UTC)) == "vandaag"
    clock.advance(timedelta(days=1))
    assert termijn(datetime(2026, 3, 2, 16, 0, tzinfo=UTC)) == "te-laat"


def test_field_id() -> None:
    assert field_id("bedrag") == "veld-bedrag"
    assert field_id("adres.postcode") == "veld-adres-postcode"
    assert field_id("regels[0]") == "veld-regels-0"
