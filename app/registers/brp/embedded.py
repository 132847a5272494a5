"""The embedded BRP: answers `POST /personen` from the local test register, with the request
checks and response shapes of the real API (so the same parser reads both)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from app.registers import testdata
from app.registers.brp import fields as fieldspec
from app.registers.brp.dates import BrpDatum, leeftijd_op, peildatum
from app.registers.brp.protocol import (
    RAADPLEEG_BSN,
    ZOEK_ADRESSEERBAAR_OBJECT,
    ZOEK_POSTCODE,
    problem_message,
)
from app.registers.errors import RegisterError

ALL_TYPES = (
    RAADPLEEG_BSN,
    ZOEK_POSTCODE,
    ZOEK_ADRESSEERBAAR_OBJECT,
    "ZoekMetGeslachtsnaamEnGeboortedatum",
    "ZoekMetNaamEnGemeenteVanInschrijving",
    "ZoekMetStraatHuisnummerEnGemeenteVanInschrijving",
    "ZoekMetNummeraanduidingIdentificatie",
)
MAX_RESULTS = 10  # more hits on a search is a 400 "Teveel zoekresultaten."
GESLACHT = {"M": "man", "V": "vrouw", "O": "onbekend"}
# Two codes of the national table 56 (Verblijfstitel) used by the test data.
VERBLIJFSTITELS = {
    "26": "Vw 2000 art. 8, onder c, vergunning asiel bepaalde tijd, arbeid vrij",
    "27": "Vw 2000 art. 8, sub d, verg. asiel onbep. tijd of langdurig ingez., arbeid vrij",
}
GEMEENTE = {"code": "9999", "omschrijving": "Teststad"}

_PARAMS: dict[str, dict[str, tuple[bool, str]]] = {
    # parameter: (required, pattern or kind)
    RAADPLEEG_BSN: {"burgerservicenummer": (True, "bsnlist")},
    ZOEK_POSTCODE: {
        "postcode": (True, r"^[1-9]{1}[0-9]{3}[ ]?[A-Za-z]{2}$"),
        "huisnummer": (True, "huisnummer"),
        "huisletter": (False, r"^[a-zA-Z]{1}$"),
        "huisnummertoevoeging": (False, r"^[a-zA-Z0-9 \-]{1,4}$"),
        "inclusiefOverledenPersonen": (False, "boolean"),
    },
    ZOEK_ADRESSEERBAAR_OBJECT: {
        "adresseerbaarObjectIdentificatie": (True, r"^(?!0{16})[0-9]{16}$"),
        "inclusiefOverledenPersonen": (False, "boolean"),
    },
}


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


def _invalid(params: list[dict[str, str]]) -> None:
    names = ", ".join(p["name"] for p in params)
    _fail(
        {
            "title": "Een of meerdere parameters zijn niet correct.",
            "detail": f"De foutieve parameter(s) zijn: {names}.",
            "code": "paramsValidation",
            "invalidParams": params,
        }
    )


def _param(code: str, name: str, reason: str) -> dict[str, str]:
    return {"code": code, "name": name, "reason": reason}


def _validate(query: Mapping[str, Any]) -> tuple[str, list[str]]:
    """The spec's checks on the request body; a 400 with invalidParams when one fails."""
    kind = query.get("type")
    if kind in (None, ""):
        _invalid([_param("required", "type", "Parameter is verplicht.")])
    if kind not in ALL_TYPES:
        _invalid([_param("value", "type", "Waarde is geen geldig zoek type.")])
    if kind not in _PARAMS:
        _fail(
            {
                "title": "Zoektype wordt niet ondersteund.",
                "detail": f"Het ingebouwde register ondersteunt {kind} niet.",
                "code": "notImplemented",
            },
            status=501,
        )
    spec = _PARAMS[str(kind)]
    schema = fieldspec.PERSOON if kind == RAADPLEEG_BSN else fieldspec.PERSOON_BEPERKT
    problems: list[dict[str, str]] = []
    for name in query:
        if name not in spec and name not in ("type", "fields", "gemeenteVanInschrijving"):
            problems.append(_param("unknownParam", name, "Parameter is niet verwacht."))
    for name, (required, rule) in spec.items():
        value = query.get(name)
        if value in (None, ""):
            if required:
                problems.append(_param("required", name, "Parameter is verplicht."))
            continue
        problems.extend(_check_value(name, value, rule))
    requested = query.get("fields")
    if requested is None:
        problems.append(_param("required", "fields", "Parameter is verplicht."))
    elif not isinstance(requested, list):
        problems.append(_param("array", "fields", "Parameter is geen array."))
    elif not requested:
        problems.append(_param("minItems", "fields", "Array bevat minder dan 1 items."))
    elif len(requested) > 130:
        problems.append(_param("maxItems", "fields", "Array bevat meer dan 130 items."))
    else:
        for i, path in enumerate(requested):
            problem = fieldspec.check_field(str(path), schema)
            if problem == "pattern":
                reason = r"Waarde voldoet niet aan patroon ^[a-zA-Z0-9\._]{1,200}$."
                problems.append(_param("pattern", f"fields[{i}]", reason))
            elif problem == "notAllowed":
                reason = "Parameter bevat een niet toegestane veldnaam."
                problems.append(_param("fields", f"fields[{i}]", reason))
            elif problem == "unknown":
                reason = "Parameter bevat een niet bestaande veldnaam."
                problems.append(_param("fields", f"fields[{i}]", reason))
    if problems:
        _invalid(problems)
    return str(kind), [str(p) for p in requested or []]


def _check_value(name: str, value: Any, rule: str) -> list[dict[str, str]]:
    if rule == "bsnlist":
        if not isinstance(value, list):
            return [_param("array", name, "Parameter is geen array.")]
        if not value:
            return [_param("minItems", name, "Array bevat minder dan 1 items.")]
        if len(value) > 20:
            return [_param("maxItems", name, "Array bevat meer dan 20 items.")]
        return [
            _param("pattern", f"{name}[{i}]", "Waarde voldoet niet aan patroon ^[0-9]{9}$.")
            for i, item in enumerate(value)
            if not (isinstance(item, str) and re.fullmatch(r"[0-9]{9}", item))
        ]
    if rule == "huisnummer":
        if isinstance(value, bool) or not isinstance(value, int):
            return [_param("integer", name, "Waarde is geen geldig getal.")]
        if value < 1:
            return [_param("minimum", name, "Waarde is lager dan minimum 1.")]
        if value > 99999:
            return [_param("maximum", name, "Waarde is hoger dan maximum 99999.")]
        return []
    if rule == "boolean":
        ok = isinstance(value, bool)
        return [] if ok else [_param("boolean", name, "Waarde is geen boolean.")]
    if not isinstance(value, str) or not re.fullmatch(rule, value):
        return [_param("pattern", name, f"Waarde voldoet niet aan patroon {rule}.")]
    return []
