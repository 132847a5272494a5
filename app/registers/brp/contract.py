"""The contract of `POST /personen` (Haal Centraal BRP Personen Bevragen, RvIG), as far as
Stroom uses it: one request check, shared by the embedded register and the test suite's fake
server, and JSON Schemas of the request and answer bodies to hold both against.

Source: BRP-API/Haal-Centraal-BRP-bevragen, specificatie/resolved/openapi.yaml, version 2.7.0
(EUPL-1.2), read in December 2026. This module is our own statement of the parts we use (the
search types we send, the fields we ask, the problem answers), not a copy of that document;
`SPEC_VERSION` names the version it was checked against, and a newer version is a reason to
read the document again.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from app.registers.brp import fields as fieldspec

SPEC_VERSION = "2.7.0"
RFC7231 = "https://datatracker.ietf.org/doc/html/rfc7231#section-"

SEARCH_TYPES = (
    "RaadpleegMetBurgerservicenummer",
    "ZoekMetPostcodeEnHuisnummer",
    "ZoekMetAdresseerbaarObjectIdentificatie",
    "ZoekMetNummeraanduidingIdentificatie",
    "ZoekMetGeslachtsnaamEnGeboortedatum",
    "ZoekMetNaamEnGemeenteVanInschrijving",
    "ZoekMetStraatHuisnummerEnGemeenteVanInschrijving",
)
POSTCODE = r"^[1-9]{1}[0-9]{3}[ ]?[A-Za-z]{2}$"
GEMEENTE = r"^[0-9]{4}$"
BAG_ID = r"^(?!0{16})[0-9]{16}$"
# Per search type we model: parameter -> (required, pattern or kind).
PARAMS: dict[str, dict[str, tuple[bool, str]]] = {
    "RaadpleegMetBurgerservicenummer": {
        "burgerservicenummer": (True, "bsns"),
        "gemeenteVanInschrijving": (False, GEMEENTE),
    },
    "ZoekMetPostcodeEnHuisnummer": {
        "postcode": (True, POSTCODE),
        "huisnummer": (True, "huisnummer"),
        "huisletter": (False, r"^[a-zA-Z]{1}$"),
        "huisnummertoevoeging": (False, r"^[a-zA-Z0-9 \-]{1,4}$"),
        "inclusiefOverledenPersonen": (False, "boolean"),
        "geboortedatum": (False, r"^\d{4}-\d{2}-\d{2}$"),
        "geslachtsnaam": (False, r"^.{1,200}$"),
        "gemeenteVanInschrijving": (False, GEMEENTE),
    },
    "ZoekMetAdresseerbaarObjectIdentificatie": {
        "adresseerbaarObjectIdentificatie": (True, BAG_ID),
        "inclusiefOverledenPersonen": (False, "boolean"),
        "gemeenteVanInschrijving": (False, GEMEENTE),
    },
    "ZoekMetNummeraanduidingIdentificatie": {
        "nummeraanduidingIdentificatie": (True, BAG_ID),
        "inclusiefOverledenPersonen": (False, "boolean"),
        "gemeenteVanInschrijving": (False, GEMEENTE),
    },
}
MAX_FIELDS = 130


@dataclass(frozen=True)
class Query:
    kind: str
    fields: list[str]


class QueryRefused(Exception):
    """The request breaks the contract: answer `status` with the problem body."""

    def __init__(self, status: int, problem: dict[str, Any]) -> None:
        super().__init__(problem.get("title", ""))
        self.status = status
        self.problem = problem


def param(code: str, name: str, reason: str) -> dict[str, str]:
    return {"type": RFC7231 + "6.5.1", "name": name, "code": code, "reason": reason}


def params_problem(params: list[dict[str, str]]) -> dict[str, Any]:
    names = ", ".join(p["name"] for p in params)
    return {
        "type": RFC7231 + "6.5.1",
        "title": "Een of meerdere parameters zijn niet correct.",
        "status": 400,
        "detail": f"De foutieve parameter(s) zijn: {names}.",
        "code": "paramsValidation",
        "invalidParams": params,
    }


def check_query(body: Any, supported: tuple[str, ...] | None = None) -> Query:
    """The spec's checks on a request body, all at once; `QueryRefused` (400 with
    invalidParams, or 501 for a search type this implementation does not offer)."""
    if not isinstance(body, Mapping) or body.get("type") in (None, ""):
        raise QueryRefused(
            400, params_problem([param("required", "type", "Parameter is verplicht.")])
        )
    kind = body["type"]
    if kind not in SEARCH_TYPES:
        raise QueryRefused(
            400, params_problem([param("value", "type", "Waarde is geen geldig zoek type.")])
        )
    if kind not in PARAMS or (supported is not None and kind not in supported):
        raise QueryRefused(
            501,
            {
                "type": RFC7231 + "6.6.2",
                "title": "Zoektype wordt niet ondersteund.",
                "status": 501,
                "detail": f"{kind} wordt hier niet ondersteund.",
                "code": "notImplemented",
            },
        )
    spec = PARAMS[kind]
    problems = [
        param("unknownParam", name, "Parameter is niet verwacht.")
        for name in body
        if name not in spec and name not in ("type", "fields")
    ]
    for name, (required, rule) in spec.items():
        value = body.get(name)
        if value in (None, ""):
            if required:
                problems.append(param("required", name, "Parameter is verplicht."))
            continue
        problems.extend(_check_value(name, value, rule))
    tree = (
        fieldspec.PERSOON
        if kind == "RaadpleegMetBurgerservicenummer"
        else fieldspec.PERSOON_BEPERKT
    )
    problems.extend(_check_fields(body.get("fields"), tree))
    if problems:
        raise QueryRefused(400, params_problem(problems))
    return Query(str(kind), [str(p) for p in body["fields"]])


def _check_value(name: str, value: Any, rule: str) -> list[dict[str, str]]:
    if rule == "bsns":
        if not isinstance(value, list):
            return [param("array", name, "Parameter is geen array.")]
        if not value:
            return [param("minItems", name, "Array bevat minder dan 1 items.")]
        if len(value) > 20:
            return [param("maxItems", name, "Array bevat meer dan 20 items.")]
        return [
            param("pattern", f"{name}[{i}]", "Waarde voldoet niet aan patroon ^[0-9]{9}$.")
            for i, item in enumerate(value)
            if not (isinstance(item, str) and re.fullmatch(r"[0-9]{9}", item))
        ]
    if rule == "huisnummer":
        if isinstance(value, bool) or not isinstance(value, int):
            return [param("integer", name, "Waarde is geen geldig getal.")]
        if value < 1:
            return [param("minimum", name, "Waarde is lager dan minimum 1.")]
        if value > 99999:
            return [param("maximum", name, "Waarde is hoger dan maximum 99999.")]
        return []
    if rule == "boolean":
        return (
            [] if isinstance(value, bool) else [param("boolean", name, "Waarde is geen boolean.")]
        )
    if not isinstance(value, str) or not re.fullmatch(rule, value):
        return [param("pattern", name, f"Waarde voldoet niet aan patroon {rule}.")]
    return []


def _check_fields(value: Any, tree: dict[str, Any]) -> list[dict[str, str]]:
    if value is None:
        return [param("required", "fields", "Parameter is verplicht.")]
    if not isinstance(value, list):
        return [param("array", "fields", "Parameter is geen array.")]
    if not value:
        return [param("minItems", "fields", "Array bevat minder dan 1 items.")]
    if len(value) > MAX_FIELDS:
        return [param("maxItems", "fields", f"Array bevat meer dan {MAX_FIELDS} items.")]
    problems = []
    for i, path in enumerate(value):
        problem = fieldspec.check_field(str(path), tree) if isinstance(path, str) else "pattern"
        name = f"fields[{i}]"
        if problem == "pattern":
            reason = r"Waarde voldoet niet aan patroon ^[a-zA-Z0-9\._]{1,200}$."
            problems.append(param("pattern", name, reason))
        elif problem == "notAllowed":
            problems.append(param("fields", name, "Parameter bevat een niet toegestane veldnaam."))
        elif problem == "unknown":
            problems.append(param("fields", name, "Parameter bevat een niet bestaande veldnaam."))
    return problems


# -- JSON Schemas of the bodies (draft 2020-12, as OpenAPI 3.1 uses) ---------------------------

_DATUM = {
    "type": "object",
    "required": ["type", "langFormaat"],
    "properties": {
        "type": {"enum": ["Datum", "DatumOnbekend", "JaarDatum", "JaarMaandDatum"]},
        "langFormaat": {"type": "string", "pattern": "^[a-z0-9 ]{1,17}$"},
        "datum": {"type": "string", "format": "date"},
        "jaar": {"type": "integer"},
        "maand": {"type": "integer", "minimum": 1, "maximum": 12},
        "onbekend": {"type": "boolean"},
    },
    "allOf": [
        {"if": {"properties": {"type": {"const": "Datum"}}}, "then": {"required": ["datum"]}},
        {"if": {"properties": {"type": {"const": "JaarDatum"}}}, "then": {"required": ["jaar"]}},
    ],
}
_WAARDE = {
    "type": "object",
    "properties": {"code": {"type": "string"}, "omschrijving": {"type": "string"}},
}
_BSN = {"type": "string", "pattern": "^[0-9]{9}$"}
_NAAM = {
    "type": "object",
    "properties": {
        "voornamen": {"type": "string", "maxLength": 200},
        "voorvoegsel": {"type": "string", "maxLength": 10},
        "geslachtsnaam": {"type": "string", "maxLength": 200},
        "voorletters": {"type": "string"},
        "volledigeNaam": {"type": "string"},
        "adellijkeTitelPredicaat": _WAARDE,
    },
}
_VERBLIJFADRES = {
    "type": "object",
    "properties": {
        "officieleStraatnaam": {"type": "string"},
        "korteStraatnaam": {"type": "string"},
        "huisnummer": {"type": "integer", "minimum": 1, "maximum": 99999},
        "huisletter": {"type": "string", "pattern": "^[a-zA-Z]{1}$"},
        "huisnummertoevoeging": {"type": "string", "pattern": r"^[a-zA-Z0-9 \-]{1,4}$"},
        "aanduidingBijHuisnummer": _WAARDE,
        "postcode": {"type": "string", "pattern": POSTCODE},
        "woonplaats": {"type": "string"},
    },
}
_VERBLIJFPLAATS = {
    "type": "object",
    "required": ["type"],
    "properties": {
        "type": {
            "enum": ["Adres", "VerblijfplaatsBuitenland", "VerblijfplaatsOnbekend", "Locatie"]
        },
        "adresseerbaarObjectIdentificatie": {"type": "string", "pattern": "^[0-9]{16}$"},
        "nummeraanduidingIdentificatie": {"type": "string", "pattern": "^[0-9]{16}$"},
        "functieAdres": _WAARDE,
        "datumVan": _DATUM,
        "verblijfadres": _VERBLIJFADRES,
    },
}
_GERELATEERDE = {
    "type": "object",
    "properties": {
        "burgerservicenummer": _BSN,
        "naam": _NAAM,
        "geboorte": {"type": "object", "properties": {"datum": _DATUM}},
    },
}
_PERSOON_BEPERKT = {
    "type": "object",
    "properties": {
        "burgerservicenummer": _BSN,
        "geboorte": {"type": "object", "properties": {"datum": _DATUM}},
        "geslacht": _WAARDE,
        "leeftijd": {"type": "integer", "minimum": 0, "maximum": 150},
        "naam": _NAAM,
        "geheimhoudingPersoonsgegevens": {"type": "boolean"},
        "adressering": {
            "type": "object",
            "properties": {
                "adresregel1": {"type": "string"},
                "adresregel2": {"type": "string"},
                "adresregel3": {"type": "string"},
                "land": _WAARDE,
            },
        },
    },
}
_PERSOON = {
    "type": "object",
    "properties": {
        **_PERSOON_BEPERKT["properties"],
        "aNummer": {"type": "string", "pattern": "^[0-9]{10}$"},
        "geboorte": {
            "type": "object",
            "properties": {"datum": _DATUM, "land": _WAARDE, "plaats": _WAARDE},
        },
        "gemeenteVanInschrijving": _WAARDE,
        "verblijfplaats": _VERBLIJFPLAATS,
        "verblijfstitel": {
            "type": "object",
            "properties": {"aanduiding": _WAARDE, "datumIngang": _DATUM, "datumEinde": _DATUM},
        },
        "nationaliteiten": {
            "type": "array",
            "items": {"type": "object", "properties": {"nationaliteit": _WAARDE}},
        },
        "partners": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {
                    **_GERELATEERDE["properties"],
                    "soortVerbintenis": _WAARDE,
                    "aangaanHuwelijkPartnerschap": {
                        "type": "object",
                        "properties": {"datum": _DATUM},
                    },
                    "ontbindingHuwelijkPartnerschap": {
                        "type": "object",
                        "properties": {"datum": _DATUM},
                    },
                },
            },
        },
        "kinderen": {"type": "array", "items": _GERELATEERDE},
        "ouders": {"type": "array", "items": _GERELATEERDE},
    },
}
REQUEST_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["type", "fields"],
    "properties": {
        "type": {"enum": list(SEARCH_TYPES)},
        "fields": {
            "type": "array",
            "minItems": 1,
            "maxItems": MAX_FIELDS,
            "items": {"type": "string", "pattern": r"^[a-zA-Z0-9\._]{1,200}$"},
        },
        "burgerservicenummer": {"type": "array", "minItems": 1, "maxItems": 20, "items": _BSN},
        "postcode": {"type": "string", "pattern": POSTCODE},
        "huisnummer": {"type": "integer", "minimum": 1, "maximum": 99999},
        "huisletter": {"type": "string", "pattern": "^[a-zA-Z]{1}$"},
        "huisnummertoevoeging": {"type": "string", "pattern": r"^[a-zA-Z0-9 \-]{1,4}$"},
        "adresseerbaarObjectIdentificatie": {"type": "string", "pattern": BAG_ID},
        "nummeraanduidingIdentificatie": {"type": "string", "pattern": BAG_ID},
        "inclusiefOverledenPersonen": {"type": "boolean"},
        "gemeenteVanInschrijving": {"type": "string", "pattern": GEMEENTE},
    },
}
RESPONSE_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["type"],
    "properties": {"type": {"enum": list(SEARCH_TYPES)}, "personen": {"type": "array"}},
    "allOf": [
        {
            "if": {"properties": {"type": {"const": "RaadpleegMetBurgerservicenummer"}}},
            "then": {"properties": {"personen": {"items": _PERSOON}}},
            "else": {"properties": {"personen": {"items": _PERSOON_BEPERKT}}},
        }
    ],
}
# The document's own patterns for `invalidParams` leave out what its servers answer (names
# such as "fields[0]" or the 32 characters of "adresseerbaarObjectIdentificatie", reasons that
# quote a pattern): those two are wider here.
PROBLEM_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["status", "title"],
    "properties": {
        "type": {"type": "string", "format": "uri"},
        "title": {"type": "string", "minLength": 1},
        "status": {"type": "integer", "minimum": 100, "maximum": 600},
        "detail": {"type": "string"},
        "instance": {"type": "string"},
        "code": {"type": "string", "pattern": "^[a-zA-Z0-9]{1,25}$"},
        "invalidParams": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["name", "code", "reason"],
                "properties": {
                    "type": {"type": "string", "format": "uri"},
                    "name": {"type": "string", "pattern": r"^[a-zA-Z0-9\.,_\[\]]{1,50}$"},
                    "code": {"type": "string", "pattern": r"^[a-zA-Z0-9\.,_]{1,25}$"},
                    "reason": {"type": "string", "minLength": 1},
                },
            },
        },
    },
}
