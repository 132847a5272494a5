"""Creditors' lists: other fixed-cost arrears (water, energy, health insurance) at an address.

The embedded test register answers by default; see app/registers/README.md.
"""

from __future__ import annotations

from typing import Any

from app.registers import factory, validation
from handlers import HandlerContext, Param, handler


@handler(
    "schuldeisers.achterstanden",
    inputs={
        "postcode": Param("postcode van de woning"),
        "huisnummer": Param("huisnummer van de woning"),
        "huisletter": Param("huisletter", required=False),
        "toevoeging": Param("huisnummertoevoeging", required=False),
    },
    outputs={
        "achterstanden": Param("lijst van {soort, bedrag, sinds, schuldeiser}"),
        "aantal_achterstanden": Param("aantal achterstanden op het adres"),
        "andere_vaste_lasten_achterstand": Param("er is een achterstand naast de huur"),
    },
)
def achterstanden(inputs: dict[str, Any], ctx: HandlerContext) -> dict[str, Any]:
    """Achterstanden bij andere vaste-lastenpartners op het adres."""
    adres = validation.adres(inputs)
    answer = factory.schuldeisers().achterstanden(adres)
    items = [
        {
            "soort": str(a["soort"]),
            "bedrag": round(float(a["bedrag"]), 2),
            "sinds": str(a["sinds"]),
            "schuldeiser": str(a["schuldeiser"]),
        }
        for a in answer["achterstanden"]
    ]
    return {
        "achterstanden": items,
        "aantal_achterstanden": len(items),
        "andere_vaste_lasten_achterstand": any(a["soort"] != "huur" for a in items),
    }
