"""The embedded BRP: answers `POST /personen` from the local test register, with the request
checks and response shapes of the real API (so the same parser reads both)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from app.registers import testdata
from app.registers.brp import contract
from app.registers.brp import fields as fieldspec
from app.registers.brp.dates import BrpDatum, leeftijd_op, peildatum
from app.registers.brp.protocol import (
    RAADPLEEG_BSN,
    ZOEK_ADRESSEERBAAR_OBJECT,
    ZOEK_POSTCODE,
    problem_message,
)
from app.registers.errors import RegisterError

SUPPORTED = (RAADPLEEG_BSN, ZOEK_POSTCODE, ZOEK_ADRESSEERBAAR_OBJECT)
MAX_RESULTS = 10  # more hits on a search is a 400 "Teveel zoekresultaten."
GESLACHT = {"M": "man", "V": "vrouw", "O": "onbekend"}
# Two codes of the national table 56 (Verblijfstitel) used by the test data.
VERBLIJFSTITELS = {
    "26": "Vw 2000 art. 8, onder c, vergunning asiel bepaalde tijd, arbeid vrij",
    "27": "Vw 2000 art. 8, sub d, verg. asiel onbep. tijd of langdurig ingez., arbeid vrij",
}
GEMEENTE = {"code": "9999", "omschrijving": "Teststad"}


class EmbeddedBrp:
    """Implements `BrpRegister` on the test register (FICTIONAL people only)."""

    def __init__(self, path: Path) -> None:
        self.register = testdata.load(path)

    def personen(self, query: Mapping[str, Any]) -> dict[str, Any]:
        kind, requested = _validate(query)
        today = peildatum()
        if kind == RAADPLEEG_BSN:
            found = [self._record(b, today) for b in dict.fromkeys(query["burgerservicenummer"])]
            people = [p for p in found if p is not None]
        else:
            people = [self._record(b, today) for b in self._residents(kind, query)]
            if len(people) > MAX_RESULTS:
                _fail(
                    {
                        "title": "Teveel zoekresultaten.",
                        "detail": "Meer dan maximum van 10 zoekresultaten gevonden. "
                        "Verfijn de zoekopdracht.",
                        "code": "tooManyResults",
                    }
                )
        return {
            "type": kind,
            "personen": [fieldspec.project(p, requested) for p in people if p is not None],
        }

    def _residents(self, kind: str, query: Mapping[str, Any]) -> list[str]:
        result: list[str] = []
        for woning in self.register.woningen.values():
            a = woning.adres
            if kind == ZOEK_ADRESSEERBAAR_OBJECT:
                match = woning.adresseerbaar_object == query["adresseerbaarObjectIdentificatie"]
            else:
                postcode = re.sub(r"\s", "", str(query["postcode"])).upper()
                match = (a.postcode, a.huisnummer) == (postcode, int(query["huisnummer"]))
                letter, extra = query.get("huisletter"), query.get("huisnummertoevoeging")
                if letter is not None:
                    match = match and (a.huisletter or "").upper() == str(letter).upper()
                if extra is not None:
                    match = match and (a.toevoeging or "").upper() == str(extra).upper()
            if match:
                result.extend(woning.bewoners)
        return result

    def _record(self, bsn: str, today: Any) -> dict[str, Any] | None:
        persoon = self.register.personen.get(bsn)
        if persoon is None:
            return None
        woning = self.register.woning_van(bsn)
        geboorte = BrpDatum.from_text(persoon.geboortedatum)
        record: dict[str, Any] = {
            "burgerservicenummer": persoon.bsn,
            "naam": _naam(persoon),
            "geslacht": {"code": persoon.geslacht, "omschrijving": GESLACHT[persoon.geslacht]},
            "geboorte": {"datum": geboorte.as_json()},
            "gemeenteVanInschrijving": dict(GEMEENTE),
        }
        age = leeftijd_op(geboorte, today)
        if age is not None:
            record["leeftijd"] = age
        if woning is not None:
            record["verblijfplaats"] = _verblijfplaats(woning)
            record["adressering"] = _adressering(woning)
        if persoon.partner:
            record["partners"] = [self._related(persoon.partner)]
        if persoon.kinderen:
            record["kinderen"] = [self._related(k) for k in persoon.kinderen]
        if persoon.verblijfstitel:
            code = persoon.verblijfstitel
            record["verblijfstitel"] = {
                "aanduiding": {"code": code, "omschrijving": VERBLIJFSTITELS.get(code, code)}
            }
        return record

    def _related(self, bsn: str) -> dict[str, Any]:
        other = self.register.personen[bsn]
        return {
            "burgerservicenummer": bsn,
            "naam": _naam(other),
            "geboorte": {"datum": BrpDatum.from_text(other.geboortedatum).as_json()},
        }


def _naam(persoon: testdata.Persoon) -> dict[str, Any]:
    naam: dict[str, Any] = {
        "voornamen": persoon.voornamen,
        "geslachtsnaam": persoon.geslachtsnaam,
        "voorletters": "".join(f"{v[0]}." for v in persoon.voornamen.split()),
    }
    if persoon.voorvoegsel:
        naam["voorvoegsel"] = persoon.voorvoegsel
    achternaam = " ".join(filter(None, [persoon.voorvoegsel, persoon.geslachtsnaam]))
    naam["volledigeNaam"] = f"{persoon.voornamen} {achternaam}"
    return naam


def _verblijfplaats(woning: testdata.Woning) -> dict[str, Any]:
    a = woning.adres
    adres: dict[str, Any] = {
        "officieleStraatnaam": woning.straat,
        "korteStraatnaam": woning.straat,
        "huisnummer": a.huisnummer,
        "postcode": a.postcode,
        "woonplaats": woning.woonplaats,
    }
    if a.huisletter:
        adres["huisletter"] = a.huisletter
    if a.toevoeging:
        adres["huisnummertoevoeging"] = a.toevoeging
    return {
        "type": "Adres",
        "adresseerbaarObjectIdentificatie": woning.adresseerbaar_object,
        "verblijfadres": adres,
    }


def _adressering(woning: testdata.Woning) -> dict[str, Any]:
    a = woning.adres
    number = f"{a.huisnummer}{' ' + a.huisletter if a.huisletter else ''}"
    number += f"-{a.toevoeging}" if a.toevoeging else ""
    return {
        "adresregel1": f"{woning.straat} {number}",
        "adresregel2": f"{a.postcode[:4]} {a.postcode[4:]}  {woning.woonplaats.upper()}",
        "land": {"code": "6030", "omschrijving": "Nederland"},
    }


def _fail(problem: dict[str, Any], status: int = 400) -> None:
    problem = {
        "type": "https://datatracker.ietf.org/doc/html/rfc7231#section-6.5.1",
        "status": status,
        "instance": "/haalcentraal/api/brp/personen",
        **problem,
    }
    raise RegisterError(problem_message(status, problem), status=status, problem=problem)


def _validate(query: Mapping[str, Any]) -> tuple[str, list[str]]:
    """The contract's checks (app/registers/brp/contract.py), as the real API answers them."""
    try:
        checked = contract.check_query(query, supported=SUPPORTED)
    except contract.QueryRefused as refused:
        _fail(refused.problem, refused.status)
    return checked.kind, checked.fields
