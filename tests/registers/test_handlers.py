"""Each handler through the registry, on the embedded test register (FICTIONAL people)."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

import handlers
from app.config import Settings
from app.engine.jobs import JobClaim, execute
from app.engine.sandbox import check_data_value
from handlers import HandlerContext, HandlerError

CTX = HandlerContext(job_id=1, instance_id="i", business_key="k", attempt=1)

PIETER = "999990007"  # A01: partner, adult son, two minors; a daughter lives elsewhere (A10)
HENDRIKA = "999990056"  # A02: Hoogstraat 3 B, 67, alone
YOUSSEF = "999990068"  # A03: Hoogstraat 3, couple, energy and water arrears
SAMIRA = "999990093"  # A04: single mother, Pw, two minors
TESFAY = "999990135"  # A05: Lindelaan 41-2, statushouder, Pw, born July 1988 (day unknown)
MARCO = "999990184"  # A06: Lindelaan 41-1, known to debt assistance, running trajectory
GERRIT = "999990196"  # A07: IOAW, known to debt assistance earlier
KARIN = "999990202"  # A08: IOAZ, husband 65
THIJS = "999990226"  # A09: Bbz; daughter Femke turns 18 on 2 March 2026
LOTTE = "999990275"  # A10: students' house
INGRID = "999990317"  # A11: three generations
CORNELIS = "999990342"  # A14: couple of 80 and 78


def run(topic: str, inputs: dict) -> dict:
    handler = handlers.get(topic)
    assert handler is not None, topic
    result = handler.func(inputs, CTX)
    assert set(result) <= set(handler.outputs), "only declared outputs"
    for key, value in result.items():
        check_data_value(key, value)
    json.dumps(result)  # plain JSON, no dates or dataclasses
    return result


@pytest.fixture(autouse=True)
def _registers(embedded, clock):
    """Embedded registers, virtual clock at Monday 2 March 2026 09:00 Amsterdam."""
    return clock


# -- brp.huishouden -------------------------------------------------------------------------------


def test_acceptance_two_minors_and_an_adult_child(clock) -> None:
    assert run("brp.huishouden", {"bsn": PIETER}) == {
        "leeftijd": 44,
        "aantal_bewoners": 5,
        "minderjarigen": 2,
        "heeft_minderjarigen": True,
        "bewoner_65_plus": False,
        "huishouden": "met partner en kinderen",
        "adres_gevonden": True,
    }


def test_minors_come_from_the_residents_not_from_legal_children(embedded) -> None:
    # Pieter has four legal children (one lives in a students' house): still two minors.
    from app.registers import factory

    raw = factory.brp().personen(
        {
            "type": "RaadpleegMetBurgerservicenummer",
            "burgerservicenummer": [PIETER],
            "fields": ["kinderen.burgerservicenummer"],
        }
    )
    assert len(raw["personen"][0]["kinderen"]) == 4
    assert run("brp.huishouden", {"bsn": PIETER})["minderjarigen"] == 2


def test_given_address_equal_to_the_registered_one(clock) -> None:
    result = run("brp.huishouden", {"bsn": PIETER, "postcode": "9999 xa", "huisnummer": "12"})
    assert result["aantal_bewoners"] == 5 and result["minderjarigen"] == 2


def test_dwellings_with_the_same_number_stay_apart() -> None:
    alone = run("brp.huishouden", {"bsn": HENDRIKA})
    assert (alone["aantal_bewoners"], alone["huishouden"], alone["bewoner_65_plus"]) == (
        1,
        "alleenstaand",
        True,
    )
    assert alone["leeftijd"] == 67
    couple = run("brp.huishouden", {"bsn": YOUSSEF})
    assert (couple["aantal_bewoners"], couple["huishouden"]) == (2, "met partner")
    flat_1 = run("brp.huishouden", {"bsn": MARCO})
    flat_2 = run("brp.huishouden", {"bsn": TESFAY})
    assert flat_1["aantal_bewoners"] == 1
    assert (flat_2["aantal_bewoners"], flat_2["minderjarigen"]) == (5, 3)


@pytest.mark.parametrize(
    ("bsn", "kind", "senior"),
    [
        (SAMIRA, "eenoudergezin", False),
        (TESFAY, "met partner en kinderen", False),
        (KARIN, "met partner", True),
        (LOTTE, "overig", False),
        (INGRID, "overig", True),
        (CORNELIS, "met partner", True),
    ],
)
def test_household_types(bsn: str, kind: str, senior: bool) -> None:
    result = run("brp.huishouden", {"bsn": bsn})
    assert (result["huishouden"], result["bewoner_65_plus"]) == (kind, senior)


def test_age_with_unknown_day_of_birth() -> None:
    assert run("brp.huishouden", {"bsn": TESFAY})["leeftijd"] == 37  # born July 1988


def test_other_address_counts_the_residents_there() -> None:
    result = run("brp.huishouden", {"bsn": MARCO, "postcode": "9999XA", "huisnummer": 12})
    assert (result["aantal_bewoners"], result["minderjarigen"]) == (5, 2)
    assert result["huishouden"] == "overig"  # Marco himself does not live there
    assert result["leeftijd"] == 47


def test_address_without_residents() -> None:
    result = run("brp.huishouden", {"bsn": MARCO, "postcode": "9999XM", "huisnummer": 14})
    assert result == {
        "leeftijd": 47,
        "aantal_bewoners": 0,
        "minderjarigen": 0,
        "heeft_minderjarigen": False,
        "bewoner_65_plus": False,
        "huishouden": "onbekend",
        "adres_gevonden": False,
    }


def test_turning_18_on_the_reference_date_is_no_longer_a_minor(clock) -> None:
    # Femke, born 2 March 2008. The reference date is the local (Amsterdam) date.
    clock.set(datetime(2026, 3, 1, 22, 59, tzinfo=UTC))  # 1 March, 23:59 in Amsterdam
    assert run("brp.huishouden", {"bsn": THIJS})["minderjarigen"] == 2
    clock.set(datetime(2026, 3, 1, 23, 0, tzinfo=UTC))  # 2 March, 00:00 in Amsterdam
    assert run("brp.huishouden", {"bsn": THIJS})["minderjarigen"] == 1


def test_unknown_person_is_an_error_without_the_bsn() -> None:
    with pytest.raises(HandlerError, match="kent geen") as caught:
        run("brp.huishouden", {"bsn": "999999990"})
    assert "999999990" not in str(caught.value)


@pytest.mark.parametrize(
    ("inputs", "field"),
    [
        ({}, "bsn"),
        ({"bsn": ""}, "bsn"),
        ({"bsn": "123456789"}, "bsn"),  # fails the eleven test
        ({"bsn": "99999001"}, "bsn"),
        ({"bsn": "99999000A"}, "bsn"),
        ({"bsn": PIETER, "postcode": "0999XA", "huisnummer": 12}, "postcode"),
        ({"bsn": PIETER, "postcode": "9999X", "huisnummer": 12}, "postcode"),
        ({"bsn": PIETER, "huisnummer": 12}, "postcode"),
        ({"bsn": PIETER, "postcode": "9999XA"}, "huisnummer"),
        ({"bsn": PIETER, "postcode": "9999XA", "huisnummer": "12a"}, "huisnummer"),
        ({"bsn": PIETER, "postcode": "9999XA", "huisnummer": 0}, "huisnummer"),
    ],
)
def test_bad_input_names_the_field(inputs: dict, field: str) -> None:
    with pytest.raises(HandlerError, match=f"ongeldige invoer '{field}'"):
        run("brp.huishouden", inputs)


def test_bsn_given_as_a_number() -> None:
    assert run("brp.persoon", {"bsn": int(PIETER)})["leeftijd"] == 44


# -- brp.persoon ----------------------------------------------------------------------------------


def test_persoon() -> None:
    assert run("brp.persoon", {"bsn": PIETER}) == {
        "leeftijd": 44,
        "geboortedatum": "1981-04-12",
        "postcode": "9999XA",
        "huisnummer": 12,
    }
    assert run("brp.persoon", {"bsn": TESFAY})["geboortedatum"] is None


# -- uitkering.controleren ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("bsn", "regeling"),
    [(SAMIRA, "Pw"), (TESFAY, "Pw"), (GERRIT, "IOAW"), (KARIN, "IOAZ"), (THIJS, "Bbz")],
)
def test_uitkering(bsn: str, regeling: str) -> None:
    assert run("uitkering.controleren", {"bsn": bsn}) == {
        "heeft_uitkering": True,
        "regeling": regeling,
    }


def test_no_uitkering() -> None:
    expected = {"heeft_uitkering": False, "regeling": None}
    assert run("uitkering.controleren", {"bsn": PIETER}) == expected
    assert run("uitkering.controleren", {"bsn": "999999990"}) == expected  # unknown person
    with pytest.raises(HandlerError, match="ongeldige invoer 'bsn'"):
        run("uitkering.controleren", {"bsn": "111111111"})


# -- schuldhulp.bekend ----------------------------------------------------------------------------


def test_schuldhulp() -> None:
    assert run("schuldhulp.bekend", {"bsn": MARCO}) == {
        "bekend_bij_schuldhulp": True,
        "lopend_traject": True,
        "andere_schulden": ["Belastingdienst", "CJIB", "DUO"],
    }
    assert run("schuldhulp.bekend", {"bsn": GERRIT}) == {
        "bekend_bij_schuldhulp": True,
        "lopend_traject": False,
        "andere_schulden": [],
    }
    assert run("schuldhulp.bekend", {"bsn": PIETER})["bekend_bij_schuldhulp"] is False
    with pytest.raises(HandlerError, match="ongeldige invoer 'bsn'"):
        run("schuldhulp.bekend", {"bsn": None})


# -- schuldeisers.achterstanden -------------------------------------------------------------------


def test_energy_and_water_arrears() -> None:
    result = run("schuldeisers.achterstanden", {"postcode": "9999 XB", "huisnummer": 3})
    assert result == {
        "achterstanden": [
            {
                "soort": "energie",
                "bedrag": 412.5,
                "sinds": "2025-10-01",
                "schuldeiser": "Energie Teststad",
            },
            {
                "soort": "water",
                "bedrag": 186.2,
                "sinds": "2025-12-01",
                "schuldeiser": "Waterbedrijf Teststad",
            },
        ],
        "aantal_achterstanden": 2,
        "andere_vaste_lasten_achterstand": True,
    }


def test_arrears_match_the_exact_dwelling() -> None:
    letter_b = run(
        "schuldeisers.achterstanden", {"postcode": "9999XB", "huisnummer": 3, "huisletter": "b"}
    )
    assert letter_b["aantal_achterstanden"] == 0
    assert letter_b["andere_vaste_lasten_achterstand"] is False
    flat = {"postcode": "9999XE", "huisnummer": "41", "toevoeging": "1"}
    assert run("schuldeisers.achterstanden", flat)["achterstanden"][0]["soort"] == "water"
    three = run("schuldeisers.achterstanden", {"postcode": "9999XP", "huisnummer": 6})
    assert sorted(a["soort"] for a in three["achterstanden"]) == [
        "energie",
        "water",
        "zorgverzekering",
    ]


@pytest.mark.parametrize(
    ("inputs", "field"),
    [
        ({"huisnummer": 3}, "postcode"),
        ({"postcode": "9999-XB", "huisnummer": 3}, "postcode"),
        ({"postcode": "9999XB"}, "huisnummer"),
        ({"postcode": "9999XB", "huisnummer": 3, "huisletter": "BB"}, "huisletter"),
        ({"postcode": "9999XB", "huisnummer": 3, "toevoeging": "hoog!"}, "toevoeging"),
    ],
)
def test_schuldeisers_bad_input(inputs: dict, field: str) -> None:
    with pytest.raises(HandlerError, match=f"ongeldige invoer '{field}'"):
        run("schuldeisers.achterstanden", inputs)


# -- through the worker ---------------------------------------------------------------------------


def test_worker_passes_only_declared_inputs_and_accepts_the_outputs() -> None:
    claim = JobClaim(
        1, "brp.huishouden", {"bsn": PIETER, "naam": "niet nodig"}, "inst", "k", attempt=1
    )
    outputs, error = execute(claim, Settings(database_url="sqlite://"))
    assert error is None and outputs is not None
    assert outputs["minderjarigen"] == 2


def test_worker_reports_the_dutch_message() -> None:
    claim = JobClaim(1, "brp.huishouden", {"bsn": "12"}, "inst", "k", attempt=1)
    outputs, error = execute(claim, Settings(database_url="sqlite://"))
    assert outputs is None
    assert error == "ongeldige invoer 'bsn': een burgerservicenummer bestaat uit precies 9 cijfers"


def test_declared_topics() -> None:
    expected = {
        "brp.huishouden": (
            {"bsn", "postcode", "huisnummer"},
            {
                "leeftijd",
                "aantal_bewoners",
                "minderjarigen",
                "heeft_minderjarigen",
                "bewoner_65_plus",
                "huishouden",
                "adres_gevonden",
            },
        ),
        "brp.persoon": ({"bsn"}, {"leeftijd", "geboortedatum", "postcode", "huisnummer"}),
        "uitkering.controleren": ({"bsn"}, {"heeft_uitkering", "regeling"}),
        "schuldhulp.bekend": (
            {"bsn"},
            {"bekend_bij_schuldhulp", "lopend_traject", "andere_schulden"},
        ),
        "schuldeisers.achterstanden": (
            {"postcode", "huisnummer", "huisletter", "toevoeging"},
            {"achterstanden", "aantal_achterstanden", "andere_vaste_lasten_achterstand"},
        ),
    }
    for topic, (inputs, outputs) in expected.items():
        handler = handlers.get(topic)
        assert handler is not None
        assert (set(handler.inputs), set(handler.outputs)) == (inputs, outputs)
    assert not handlers.get("brp.huishouden").inputs["postcode"].required
    assert handlers.get("brp.huishouden").inputs["bsn"].required
