"""The embedded BRP answers with the request checks and response shapes of the real API."""

from __future__ import annotations

import pytest

from app.registers import testdata
from app.registers.brp.embedded import EmbeddedBrp
from app.registers.errors import RegisterError
from app.registers.settings import DEFAULT_TESTDATA
from app.registers.validation import elfproef

PIETER = "999990007"


@pytest.fixture
def brp(clock) -> EmbeddedBrp:
    return EmbeddedBrp(DEFAULT_TESTDATA)


def test_raadpleeg_returns_only_the_requested_fields(brp) -> None:
    answer = brp.personen(
        {
            "type": "RaadpleegMetBurgerservicenummer",
            "burgerservicenummer": [PIETER],
            "fields": ["geboorte.datum", "verblijfplaats.verblijfadres.postcode", "leeftijd"],
        }
    )
    assert answer == {
        "type": "RaadpleegMetBurgerservicenummer",
        "personen": [
            {
                "geboorte": {
                    "datum": {
                        "type": "Datum",
                        "datum": "1981-04-12",
                        "langFormaat": "12 april 1981",
                    }
                },
                "verblijfplaats": {"type": "Adres", "verblijfadres": {"postcode": "9999XA"}},
                "leeftijd": 44,
            }
        ],
    }


def test_partial_birth_date_shape(brp) -> None:
    answer = brp.personen(
        {
            "type": "RaadpleegMetBurgerservicenummer",
            "burgerservicenummer": ["999990135"],
            "fields": ["geboorte", "verblijfstitel.aanduiding.code"],
        }
    )
    person = answer["personen"][0]
    assert person["geboorte"]["datum"] == {
        "type": "JaarMaandDatum",
        "jaar": 1988,
        "maand": 7,
        "langFormaat": "juli 1988",
    }
    assert person["verblijfstitel"] == {"aanduiding": {"code": "26"}}  # statushouder


def test_search_by_postcode_finds_every_letter_at_the_number(brp) -> None:
    query = {
        "type": "ZoekMetPostcodeEnHuisnummer",
        "postcode": "9999 xb",
        "huisnummer": 3,
        "fields": ["burgerservicenummer"],
    }
    assert len(brp.personen(query)["personen"]) == 3  # 3 and 3 B
    assert len(brp.personen({**query, "huisletter": "b"})["personen"]) == 1


def test_search_answers_persoon_beperkt_fields_only(brp) -> None:
    query = {
        "type": "ZoekMetAdresseerbaarObjectIdentificatie",
        "adresseerbaarObjectIdentificatie": "9999010000000001",
        "fields": ["burgerservicenummer", "adressering.adresregel1"],
    }
    people = brp.personen(query)["personen"]
    assert people[0] == {
        "burgerservicenummer": PIETER,
        "adressering": {"adresregel1": "Fluitekruidlaan 12"},
    }
    with pytest.raises(
        RegisterError, match=r"fields\[0\] \(fields: Parameter bevat een niet bestaande"
    ):
        brp.personen({**query, "fields": ["verblijfplaats"]})  # not in PersoonBeperkt


def test_nobody_matches_is_an_empty_list(brp) -> None:
    query = {
        "type": "ZoekMetAdresseerbaarObjectIdentificatie",
        "adresseerbaarObjectIdentificatie": "1234567890123456",
        "fields": ["burgerservicenummer"],
    }
    assert brp.personen(query) == {"type": query["type"], "personen": []}


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({}, "type (required: Parameter is verplicht.)"),
        ({"type": "ZoekMetIets"}, "type (value: Waarde is geen geldig zoek type.)"),
        (
            {"type": "RaadpleegMetBurgerservicenummer", "burgerservicenummer": [PIETER]},
            "fields (required: Parameter is verplicht.)",
        ),
        (
            {
                "type": "RaadpleegMetBurgerservicenummer",
                "burgerservicenummer": [PIETER],
                "fields": [],
            },
            "fields (minItems: Array bevat minder dan 1 items.)",
        ),
        (
            {
                "type": "RaadpleegMetBurgerservicenummer",
                "burgerservicenummer": [PIETER],
                "fields": ["rni"],
            },
            "fields[0] (fields: Parameter bevat een niet toegestane veldnaam.)",
        ),
        (
            {
                "type": "RaadpleegMetBurgerservicenummer",
                "burgerservicenummer": [PIETER],
                "fields": ["burger service nummer"],
            },
            "fields[0] (pattern:",
        ),
        (
            {
                "type": "RaadpleegMetBurgerservicenummer",
                "burgerservicenummer": PIETER,
                "fields": ["leeftijd"],
            },
            "burgerservicenummer (array: Parameter is geen array.)",
        ),
        (
            {
                "type": "RaadpleegMetBurgerservicenummer",
                "burgerservicenummer": [PIETER],
                "voornamen": "Pieter",
                "fields": ["leeftijd"],
            },
            "voornamen (unknownParam: Parameter is niet verwacht.)",
        ),
        (
            {
                "type": "ZoekMetPostcodeEnHuisnummer",
                "postcode": "9999XA",
                "huisnummer": "12",
                "fields": ["leeftijd"],
            },
            "huisnummer (integer: Waarde is geen geldig getal.)",
        ),
    ],
)
def test_bad_requests_are_refused_like_the_api(brp, query: dict, expected: str) -> None:
    with pytest.raises(RegisterError) as caught:
        brp.personen(query)
    assert caught.value.status == 400
    assert "BRP antwoordde 400: Een of meerdere parameters zijn niet correct." in str(caught.value)
    assert expected in str(caught.value)


def test_test_data_is_fictional_and_complete() -> None:
    register = testdata.load(DEFAULT_TESTDATA)
    assert len(register.woningen) >= 15
    for bsn in register.personen:
        assert 999990000 <= int(bsn) <= 999999999 and elfproef(bsn)
    people = register.personen.values()
    assert {p.uitkering for p in people} >= {"Pw", "IOAW", "IOAZ", "Bbz", None}
    assert any(p.verblijfstitel for p in people)  # statushouder
    assert any(p.schuldhulp and p.schuldhulp.lopend_traject for p in people)
    soorten = {a.soort for w in register.woningen.values() for a in w.achterstanden}
    assert soorten == {"water", "energie", "zorgverzekering"}
    assert any(
        {"water", "energie"} <= {a.soort for a in w.achterstanden}
        for w in register.woningen.values()
    )
