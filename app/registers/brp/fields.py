"""The `fields` parameter for the embedded register: which paths exist, and projecting a
full person onto the requested paths, as the BRP API does.

Only the part of the spec this product uses is modelled; a path outside it is answered
like the API answers an unknown path (400, `fields[i]`, code `fields`).
"""

from __future__ import annotations

import copy
import re
from typing import Any

FIELD_PATTERN = re.compile(r"^[a-zA-Z0-9\._]{1,200}$")
# Delivered automatically; asking for them is a 400 ("niet toegestane veldnaam").
AUTOMATIC = ("inOnderzoek", "geheimhoudingPersoonsgegevens", "opschortingBijhouding", "rni")
AUTOMATIC += ("verificatie", "indicatieVastgesteldVerblijftNietOpAdres")
DATUM_PARTS = ("type", "datum", "langFormaat", "jaar", "maand", "onbekend")

_WAARDE = {"code": None, "omschrijving": None}
_DATUM: dict[str, Any] = {part: None for part in DATUM_PARTS}
_NAAM = {
    "voornamen": None,
    "voorvoegsel": None,
    "geslachtsnaam": None,
    "voorletters": None,
    "volledigeNaam": None,
    "adellijkeTitelPredicaat": None,
}
_ADRESSERING = {"adresregel1": None, "adresregel2": None, "adresregel3": None, "land": _WAARDE}
_BEPERKT: dict[str, Any] = {
    "burgerservicenummer": None,
    "geboorte": {"datum": _DATUM},
    "geslacht": _WAARDE,
    "leeftijd": None,
    "naam": _NAAM,
    "adressering": _ADRESSERING,
}
_VERBLIJFADRES = {
    "officieleStraatnaam": None,
    "korteStraatnaam": None,
    "huisnummer": None,
    "huisletter": None,
    "huisnummertoevoeging": None,
    "aanduidingBijHuisnummer": _WAARDE,
    "postcode": None,
    "woonplaats": None,
}
_GERELATEERDE = {"burgerservicenummer": None, "naam": _NAAM, "geboorte": {"datum": _DATUM}}
PERSOON: dict[str, Any] = {
    **_BEPERKT,
    "aNummer": None,
    "nationaliteiten": {"nationaliteit": _WAARDE},
    "geboorte": {"datum": _DATUM, "land": _WAARDE, "plaats": _WAARDE},
    "gemeenteVanInschrijving": _WAARDE,
    "verblijfplaats": {
        "type": None,
        "adresseerbaarObjectIdentificatie": None,
        "nummeraanduidingIdentificatie": None,
        "functieAdres": _WAARDE,
        "datumVan": _DATUM,
        "verblijfadres": _VERBLIJFADRES,
    },
    "verblijfstitel": {"aanduiding": _WAARDE, "datumIngang": _DATUM, "datumEinde": _DATUM},
    "partners": {
        **_GERELATEERDE,
        "soortVerbintenis": _WAARDE,
        "aangaanHuwelijkPartnerschap": {"datum": _DATUM},
        "ontbindingHuwelijkPartnerschap": {"datum": _DATUM},
    },
    "kinderen": _GERELATEERDE,
    "ouders": _GERELATEERDE,
}
PERSOON_BEPERKT: dict[str, Any] = _BEPERKT


def check_field(path: str, schema: dict[str, Any]) -> str | None:
    """None when the path may be requested; otherwise the spec's invalidParams code."""
    if not FIELD_PATTERN.match(path):
        return "pattern"
    parts = path.split(".")
    if any(part in AUTOMATIC for part in parts):
        return "notAllowed"
    node: Any = schema
    for part in parts:
        if not isinstance(node, dict) or part not in node:
            return "unknown"
        node = node[part]
    return None


def project(record: dict[str, Any], paths: list[str]) -> dict[str, Any]:
    """The record reduced to the requested paths (polymorphic objects keep their `type`)."""
    result: dict[str, Any] = {}
    for path in paths:
        picked = _pick(record, path.split("."))
        if picked is not _MISSING:
            _merge(result, picked)
    return result


class _Missing:
    pass


_MISSING: Any = _Missing()


def _is_datum(value: Any) -> bool:
    return isinstance(value, dict) and "langFormaat" in value and "type" in value


def _pick(value: Any, parts: list[str]) -> Any:
    if not parts or _is_datum(value):
        return copy.deepcopy(value)
    if isinstance(value, list):
        items = [_pick(item, parts) for item in value]
        return [item if item is not _MISSING else {} for item in items]
    if not isinstance(value, dict) or parts[0] not in value:
        return _MISSING
    inner = _pick(value[parts[0]], parts[1:])
    if inner is _MISSING:
        return _MISSING
    picked: dict[str, Any] = {parts[0]: inner}
    if "type" in value:
        picked["type"] = value["type"]
    return picked


def _merge(target: dict[str, Any], source: dict[str, Any]) -> None:
    for key, value in source.items():
        existing = target.get(key)
        if isinstance(existing, dict) and isinstance(value, dict):
            _merge(existing, value)
        elif isinstance(existing, list) and isinstance(value, list):
            for left, right in zip(existing, value, strict=False):
                if isinstance(left, dict) and isinstance(right, dict):
                    _merge(left, right)
        else:
            target[key] = value
