"""Debt assistance: is the resident already known, with a running trajectory and other debts?

Only the embedded test register is available; the back offices (Stratech / Allegro, STAPP,
KRIS) are not implemented. See app/registers/README.md.
"""

from __future__ import annotations

from typing import Any

from app.registers import factory, validation
from handlers import HandlerContext, Param, handler


@handler(
    "schuldhulp.bekend",
    inputs={"bsn": Param("burgerservicenummer")},
    outputs={
        "bekend_bij_schuldhulp": Param("de inwoner is bekend bij schulddienstverlening"),
        "lopend_traject": Param("er loopt een schuldhulptraject"),
        "andere_schulden": Param("andere bekende schulden (lijst van schuldeisers/soorten)"),
    },
)
def bekend(inputs: dict[str, Any], ctx: HandlerContext) -> dict[str, Any]:
    """Is de inwoner bekend bij schuldhulp (lopend traject, andere schulden)?"""
    bsn = validation.bsn(inputs.get("bsn"))
    answer = factory.schuldhulp().bekend(bsn)
    return {
        "bekend_bij_schuldhulp": bool(answer["bekend_bij_schuldhulp"]),
        "lopend_traject": bool(answer["lopend_traject"]),
        "andere_schulden": [str(s) for s in answer["andere_schulden"]],
    }
