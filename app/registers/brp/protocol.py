"""The BRP adapter interface: one operation, `POST /personen`, as Haal Centraal BRP Personen
Bevragen v2 (RvIG) defines it.

Both implementations (the HTTP client and the embedded test register) take the request body
of the spec and answer its response body, so one parser (`household.py`) serves both.
Request and response names follow BRP-API/Haal-Centraal-BRP-bevragen,
specificatie/personen-query-v1.yaml and personen-query-response-v2.yaml.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Protocol

from app.registers.validation import Adres

RAADPLEEG_BSN = "RaadpleegMetBurgerservicenummer"
ZOEK_POSTCODE = "ZoekMetPostcodeEnHuisnummer"
ZOEK_ADRESSEERBAAR_OBJECT = "ZoekMetAdresseerbaarObjectIdentificatie"

# What each question asks of the BRP: nothing more (data minimisation). The age is computed
# from the birth date on the application's own reference date, so `leeftijd` (computed by
# the API at its own "now") is not requested.
PERSOON_FIELDS = (
    "geboorte.datum",
    "verblijfplaats.verblijfadres.postcode",
    "verblijfplaats.verblijfadres.huisnummer",
)
HUISHOUDEN_PERSOON_FIELDS = (
    "geboorte.datum",
    "verblijfplaats.adresseerbaarObjectIdentificatie",
    "verblijfplaats.verblijfadres.postcode",
    "verblijfplaats.verblijfadres.huisnummer",
    "verblijfplaats.verblijfadres.huisletter",
    "verblijfplaats.verblijfadres.huisnummertoevoeging",
    "partners.burgerservicenummer",
    "partners.ontbindingHuwelijkPartnerschap.datum",
)
BEWONER_FIELDS = ("burgerservicenummer", "geboorte.datum")


class BrpRegister(Protocol):
    """Answers `POST /personen`: a query body in, a response body (with `personen`) out.

    Raises `RegisterError` for any error answer, with the status and the server's
    problem details in its message.
    """

    def personen(self, query: Mapping[str, Any]) -> dict[str, Any]: ...


def raadpleeg_met_bsn(bsns: Sequence[str], fields: Sequence[str]) -> dict[str, Any]:
    return {"type": RAADPLEEG_BSN, "burgerservicenummer": list(bsns), "fields": list(fields)}


def zoek_met_adresseerbaar_object(identificatie: str, fields: Sequence[str]) -> dict[str, Any]:
    return {
        "type": ZOEK_ADRESSEERBAAR_OBJECT,
        "adresseerbaarObjectIdentificatie": identificatie,
        "fields": list(fields),
    }


def zoek_met_postcode_en_huisnummer(adres: Adres, fields: Sequence[str]) -> dict[str, Any]:
    query: dict[str, Any] = {
        "type": ZOEK_POSTCODE,
        "postcode": adres.postcode,
        "huisnummer": adres.huisnummer,
        "fields": list(fields),
    }
    if adres.huisletter:
        query["huisletter"] = adres.huisletter
    if adres.toevoeging:
        query["huisnummertoevoeging"] = adres.toevoeging
    return query


def problem_message(status: int, problem: Mapping[str, Any] | None, fallback: str = "") -> str:
    """One line for the incident: status, the server's title and detail, invalid params."""
    problem = problem or {}
    title = str(problem.get("title") or fallback or "fout").strip()
    parts = [f"BRP antwoordde {status}: {title}"]
    detail = str(problem.get("detail") or "").strip()
    if detail:
        parts.append(f" {detail}")
    invalid = problem.get("invalidParams") or []
    if isinstance(invalid, list) and invalid:
        described = [
            f"{p.get('name', '?')} ({p.get('code', '?')}: {p.get('reason', '')})".strip()
            for p in invalid
            if isinstance(p, dict)
        ]
        parts.append(f" Ongeldige parameters: {'; '.join(described)}.")
    code = problem.get("code")
    if code:
        parts.append(f" [code {code}]")
    return "".join(parts)
