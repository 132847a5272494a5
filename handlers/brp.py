"""BRP (Haal Centraal BRP Personen Bevragen): age, address and household of a resident.

The implementation (embedded test register or the real API) follows STROOM_BRP_ADAPTER; see
app/registers/README.md.
"""

from __future__ import annotations

from typing import Any

from app.registers import factory, validation
from app.registers.brp.dates import peildatum
from app.registers.brp.household import BrpService
from handlers import HandlerContext, Param, handler


@handler(
    "brp.huishouden",
    inputs={
        "bsn": Param("burgerservicenummer van de huurder"),
        "postcode": Param("postcode van de woning; zonder: het BRP-adres", required=False),
        "huisnummer": Param("huisnummer van de woning; zonder: het BRP-adres", required=False),
    },
    outputs={
        "leeftijd": Param("leeftijd van de huurder op de peildatum (None als onbekend)"),
        "aantal_bewoners": Param("aantal ingeschreven bewoners op het adres"),
        "minderjarigen": Param("aantal ingeschreven bewoners jonger dan 18"),
        "heeft_minderjarigen": Param("ten minste één minderjarige bewoner"),
        "bewoner_65_plus": Param("ten minste één bewoner van 65 jaar of ouder"),
        "huishouden": Param(
            "alleenstaand | met partner | met partner en kinderen | eenoudergezin | overig | "
            "onbekend"
        ),
        "adres_gevonden": Param("er staan bewoners ingeschreven op het adres"),
    },
)
def huishouden(inputs: dict[str, Any], ctx: HandlerContext) -> dict[str, Any]:
    """Huishouden op het adres: bewoners, minderjarigen (naar leeftijd), 65-plussers."""
    bsn = validation.bsn(inputs.get("bsn"))
    adres = validation.optional_adres(inputs)
    result = BrpService(factory.brp()).huishouden(bsn, adres, peildatum())
    return result.as_outputs()


@handler(
    "brp.persoon",
    inputs={"bsn": Param("burgerservicenummer")},
    outputs={
        "leeftijd": Param("leeftijd op de peildatum (None als onbekend)"),
        "geboortedatum": Param("geboortedatum (ISO), None als niet volledig bekend"),
        "postcode": Param("postcode van het BRP-adres (None zonder Nederlands adres)"),
        "huisnummer": Param("huisnummer van het BRP-adres (None zonder Nederlands adres)"),
    },
)
def persoon(inputs: dict[str, Any], ctx: HandlerContext) -> dict[str, Any]:
    """Leeftijd, geboortedatum en BRP-adres (postcode, huisnummer) van een persoon."""
    bsn = validation.bsn(inputs.get("bsn"))
    found = BrpService(factory.brp()).persoon(bsn, peildatum())
    return {
        "leeftijd": found.leeftijd,
        "geboortedatum": found.geboortedatum,
        "postcode": found.adres.postcode if found.adres else None,
        "huisnummer": found.adres.huisnummer if found.adres else None,
    }
