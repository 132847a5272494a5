"""Haarlem: is the tenant already known to the Sociaal Wijkteam? (STAPP)

Art. 3.8 and bijlage 2 §3 of the Convenant Preventie huisuitzettingen: on a report the team
checks STAPP (the Sociaal Wijkteam's client registration) and the back office of the debt
services (the shared topic `schuldhulp.bekend`). People already known to the team are one of
the priority groups of art. 3.6.

STAPP has no API that Stroom can reach: the adapter is chosen with STROOM_STAPP_ADAPTER and
only `embedded` exists, a register of FICTIONAL test people from
app/registers/data/testpersonen.json (like the other embedded registers). A real STAPP client
belongs in app/registers with the other adapters (see the report of this process).
"""

from __future__ import annotations

import os
from typing import Any, Protocol

from app.registers import validation
from app.registers.errors import ConfigurationError
from handlers import HandlerContext, Param, handler

ADAPTER_VARIABLE = "STROOM_STAPP_ADAPTER"


class StappRegister(Protocol):
    def bekend(self, bsn: str) -> bool:
        """Whether the Sociaal Wijkteam has a (current or earlier) client file for the person."""
        ...


class EmbeddedStapp:
    """FICTIONAL client files of the Sociaal Wijkteam, for test people of the embedded BRP.

    999990093  Samira Haddou (A04, single mother with Pw)
    999990305  Wilhelmina de Boer (A11, grandmother of 70)
    999990366  Dennis Hoekstra (A15, single father, also known to debt services)
    """

    FILES = frozenset({"999990093", "999990305", "999990366"})

    def bekend(self, bsn: str) -> bool:
        return bsn in self.FILES


_ADAPTERS: dict[str, type[EmbeddedStapp]] = {"embedded": EmbeddedStapp}


def register() -> StappRegister:
    name = os.environ.get(ADAPTER_VARIABLE, "embedded").strip().lower() or "embedded"
    adapter = _ADAPTERS.get(name)
    if adapter is None:
        raise ConfigurationError(
            f"{ADAPTER_VARIABLE}={name!r} bestaat niet (wel: {', '.join(sorted(_ADAPTERS))})"
        )
    return adapter()


@handler(
    "haarlem.stapp",
    inputs={"bsn": Param("burgerservicenummer van de huurder")},
    outputs={"bekend_bij_wijkteam": Param("de huurder is al bekend bij het Sociaal Wijkteam")},
)
def stapp(inputs: dict[str, Any], ctx: HandlerContext) -> dict[str, Any]:
    """Is de huurder al bekend bij het Sociaal Wijkteam (STAPP)?"""
    bsn = validation.bsn(inputs.get("bsn"))
    return {"bekend_bij_wijkteam": register().bekend(bsn)}
