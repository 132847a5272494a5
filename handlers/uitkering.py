"""Benefits (Werk en Inkomen): does the resident receive Pw, IOAW, IOAZ or Bbz?

Only the embedded test register is available; the vendor API (Civision / Suite4Sociaal
Domein) is not implemented. See app/registers/README.md.
"""

from __future__ import annotations

from typing import Any

from app.registers import factory, validation
from handlers import HandlerContext, Param, handler


@handler(
    "uitkering.controleren",
    inputs={"bsn": Param("burgerservicenummer")},
    outputs={
        "heeft_uitkering": Param("ontvangt een Pw-, IOAW-, IOAZ- of Bbz-uitkering"),
        "regeling": Param("Pw | IOAW | IOAZ | Bbz, of None"),
    },
)
def controleren(inputs: dict[str, Any], ctx: HandlerContext) -> dict[str, Any]:
    """Controleer of de inwoner een uitkering ontvangt, en welke regeling."""
    bsn = validation.bsn(inputs.get("bsn"))
    answer = factory.uitkering().uitkering(bsn)
    return {"heeft_uitkering": bool(answer["heeft_uitkering"]), "regeling": answer["regeling"]}
