"""The fake BRP server and the embedded register are held against the contract of Haal
Centraal BRP Personen Bevragen (app/registers/brp/contract.py, checked against version 2.7.0):
what our client sends is a valid request; what both answer, data and problems alike, is a
valid answer; and the one request check they share refuses what the request schema refuses
(issue 24)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from jsonschema import Draft202012Validator
from werkzeug.test import Client

from app.registers.brp import contract, protocol
from app.registers.brp.embedded import EmbeddedBrp
from app.registers.errors import RegisterError
from app.registers.settings import DEFAULT_TESTDATA
from app.registers.validation import Adres
from tests.fakes.brp_server import AOI_1, MOEDER, VADER, ZOON_9, FakeBrp

CHECK = Draft202012Validator.FORMAT_CHECKER
REQUEST = Draft202012Validator(contract.REQUEST_SCHEMA, format_checker=CHECK)
RESPONSE = Draft202012Validator(contract.RESPONSE_SCHEMA, format_checker=CHECK)
PROBLEM = Draft202012Validator(contract.PROBLEM_SCHEMA, format_checker=CHECK)

# What the product asks (app/registers/brp/protocol.py), against the fake's households.
ASKED = [
    protocol.raadpleeg_met_bsn([VADER, MOEDER], protocol.HUISHOUDEN_PERSOON_FIELDS),
    protocol.raadpleeg_met_bsn([ZOON_9], protocol.PERSOON_FIELDS),
    protocol.zoek_met_adresseerbaar_object(AOI_1, protocol.BEWONER_FIELDS),
    protocol.zoek_met_postcode_en_huisnummer(
        Adres("3011AB", 4, "A", None), protocol.BEWONER_FIELDS
    ),
    protocol.raadpleeg_met_bsn(
        [VADER],
        ["naam", "geboorte", "verblijfplaats", "partners", "kinderen", "leeftijd", "adressering"],
    ),
]
HOSTILE: list[dict[str, Any]] = [
    {},
    {"type": "ZoekMetIets", "fields": ["leeftijd"]},
    {"type": "RaadpleegMetBurgerservicenummer", "burgerservicenummer": [VADER]},
    {"type": "RaadpleegMetBurgerservicenummer", "burgerservicenummer": [VADER], "fields": []},
    {"type": "RaadpleegMetBurgerservicenummer", "burgerservicenummer": ["12"], "fields": ["a"]},
    {"type": "RaadpleegMetBurgerservicenummer", "burgerservicenummer": VADER, "fields": ["a"]},
    {"type": "ZoekMetPostcodeEnHuisnummer", "postcode": "0000AA", "huisnummer": 4, "fields": ["a"]},
    {"type": "ZoekMetPostcodeEnHuisnummer", "postcode": "3011AB", "huisnummer": 0, "fields": ["a"]},
    {
        "type": "ZoekMetPostcodeEnHuisnummer",
        "postcode": "3011AB",
        "huisnummer": "4",
        "fields": ["a"],
    },
    {
        "type": "ZoekMetAdresseerbaarObjectIdentificatie",
        "adresseerbaarObjectIdentificatie": "12",
        "fields": ["burgerservicenummer"],
    },
    {
        "type": "RaadpleegMetBurgerservicenummer",
        "burgerservicenummer": [VADER],
        "fields": ["burger service nummer"],
    },
]


def _errors(validator: Draft202012Validator, body: Any) -> list[str]:
    return [f"{list(e.absolute_path)}: {e.message}" for e in validator.iter_errors(body)]


def _fake(body: dict[str, Any]) -> tuple[int, Any]:
    answer = Client(FakeBrp()).post(
        "/haalcentraal/api/brp/personen",
        data=json.dumps(body),
        headers={"X-API-KEY": "test-sleutel", "Content-Type": "application/json"},
    )
    return answer.status_code, json.loads(answer.get_data(as_text=True))


def test_what_the_product_asks_is_a_valid_request() -> None:
    for body in ASKED:
        assert _errors(REQUEST, body) == [], body


@pytest.mark.parametrize("body", ASKED, ids=[b["type"] for b in ASKED])
def test_the_fake_answers_as_the_contract_says(clock, body: dict[str, Any]) -> None:
    status, answer = _fake(body)
    assert status == 200, answer
    assert answer["personen"], "the fake's households answer every question asked here"
    assert _errors(RESPONSE, answer) == [], answer


def test_the_fake_and_the_embedded_register_refuse_the_same_requests_as_valid_problems(clock):  # type: ignore[no-untyped-def]
    embedded = EmbeddedBrp(DEFAULT_TESTDATA)
    for body in HOSTILE:
        assert _errors(REQUEST, body), f"the request schema lets this through: {body}"
        status, problem = _fake(body)
        assert status == 400, (body, problem)
        assert _errors(PROBLEM, problem) == [], problem
        with pytest.raises(RegisterError) as refused:
            embedded.personen(body)
        assert refused.value.status == 400
        assert refused.value.problem["invalidParams"] == problem["invalidParams"], body
        assert _errors(PROBLEM, refused.value.problem) == []


def test_the_embedded_register_answers_as_the_contract_says(clock) -> None:  # type: ignore[no-untyped-def]
    from app.registers import testdata

    register = testdata.load(DEFAULT_TESTDATA)
    bsns = sorted(register.personen)[:20]
    woning = next(iter(register.woningen.values()))
    embedded = EmbeddedBrp(DEFAULT_TESTDATA)
    for body in (
        protocol.raadpleeg_met_bsn(bsns, protocol.HUISHOUDEN_PERSOON_FIELDS),
        protocol.raadpleeg_met_bsn(bsns[:3], ["naam", "geboorte", "verblijfplaats", "leeftijd"]),
        protocol.zoek_met_postcode_en_huisnummer(woning.adres, protocol.BEWONER_FIELDS),
    ):
        assert _errors(REQUEST, body) == [], body
        answer = embedded.personen(body)
        assert answer["personen"], body
        assert _errors(RESPONSE, answer) == [], answer


def test_the_answer_schema_catches_a_planted_mistake() -> None:
    answer = {
        "type": "RaadpleegMetBurgerservicenummer",
        "personen": [
            {
                "burgerservicenummer": "12345",
                "geboorte": {"datum": {"type": "Datum", "datum": "1980-05-01"}},
                "verblijfplaats": {"verblijfadres": {"huisnummer": "4"}},
            }
        ],
    }
    found = " | ".join(_errors(RESPONSE, answer))
    assert "'12345' does not match" in found
    assert "'langFormaat' is a required property" in found
    assert "'type' is a required property" in found and "'4' is not of type 'integer'" in found
