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


# -- every value through one layer (issue 21) ---------------------------------------------------


def _field(kind: str) -> object:
    from types import SimpleNamespace

    return SimpleNamespace(type=kind, description=f"veld van type {kind}")


def test_bedrag_in_euro() -> None:
    from app.ui.formatting import bedrag

    assert bedrag(716.0) == "€ 716,00"
    assert bedrag(2864) == "€ 2.864,00"
    assert bedrag("1379.8") == "€ 1.379,80"
    assert bedrag(1234567.891) == "€ 1.234.567,89"
    assert bedrag(-5) == "-€ 5,00"
    assert bedrag(None) == ""
    assert bedrag("onbekend") == "onbekend"


def test_waarde_by_the_catalogue_type() -> None:
    from app.ui.formatting import waarde

    assert waarde("2026-05-08", _field("datum")) == "vr 8 mei 2026"
    assert waarde("2026-12-14T10:00:00+01:00", _field("tijdstip")) == "ma 14 dec 2026 10:00"
    # A deadline at the end of a day is that day.
    assert waarde("2026-12-14T23:59:59+01:00", _field("tijdstip")) == "ma 14 dec 2026"
    assert waarde(716.0, _field("bedrag")) == "€ 716,00"
    assert waarde(True, _field("ja_nee")) == "ja"
    assert waarde(False, _field("ja_nee")) == "nee"
    assert waarde("alleen_huurachterstand", _field("keuze")) == "alleen huurachterstand"
    assert waarde(["energie", "huur"], _field("lijst")) == "energie, huur"
    assert waarde({"soort": "energie", "bedrag": 40.5, "leeg": None}, _field("object")) == (
        "soort: energie; bedrag: € 40,50"
    )
    assert waarde(None, _field("tekst")) == ""
    # Without a field: dates in ISO form are still shown as dates; numbers as written.
    assert waarde("1981-04-12") == "zo 12 apr 1981"
    assert waarde(2.5) == "2,5"
    assert waarde("WEE-2026-09-00034") == "WEE-2026-09-00034"
    assert waarde("2026-10") == "oktober 2026"
    assert waarde({"soort": "energie", "bedrag": 238.75}) == "soort: energie; bedrag: € 238,75"


def test_case_fields_in_the_catalogue_order_with_its_labels() -> None:
    from types import SimpleNamespace

    from app.ui.formatting import case_fields, for_form_text

    catalogue = SimpleNamespace(
        fields={
            "naam": _field("tekst"),
            "geboortedatum": _field("datum"),
            "achterstand": _field("bedrag"),
            "voorrang": _field("ja_nee"),
        }
    )
    view = SimpleNamespace(
        catalogue=catalogue,
        fields={
            "zz_onbekend": "x",
            "voorrang": True,
            "achterstand": 716.0,
            "naam": "P. Jansen",
            "geboortedatum": "1981-04-12",
        },
        label=lambda name: catalogue.fields[name].description if name in catalogue.fields else name,
    )
    assert case_fields(view) == [
        ("veld van type tekst", "P. Jansen"),
        ("veld van type datum", "zo 12 apr 1981"),
        ("veld van type bedrag", "€ 716,00"),
        ("veld van type ja_nee", "ja"),
        ("zz_onbekend", "x"),
    ]
    # For a form's text: readable, but yes/no stays a boolean for its conditions.
    assert for_form_text(view, skip={"naam"}) == {
        "zz_onbekend": "x",
        "voorrang": True,
        "achterstand": "€ 716,00",
        "geboortedatum": "zo 12 apr 1981",
    }


@pytest.mark.parametrize(
    ("value", "words"),
    [
        ("P2Y", "2 jaar"),
        ("P1Y", "1 jaar"),
        ("P6M", "6 maanden"),
        ("P1M", "1 maand"),
        ("P1Y6M", "1 jaar en 6 maanden"),
        ("P2W", "2 weken"),
        ("P30D", "30 dagen"),
        ("P1Y2M3W4D", "1 jaar, 2 maanden, 3 weken en 4 dagen"),
        ("P0D", "0 dagen"),
        ("zes maanden", "zes maanden"),  # not a duration: as it is
        (None, ""),
    ],
)
def test_a_catalogue_duration_in_words(value: str | None, words: str) -> None:
    from app.ui.formatting import duur

    assert duur(value) == words
