"""Handlers used only by tests; they count their calls so tests can assert on them."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from handlers import BpmnError, HandlerContext, HandlerError, Param, handler

CALLS: dict[str, list[dict[str, Any]]] = defaultdict(list)
# Per business key: how many times test.flaky still fails before it succeeds.
FAILURES: dict[str, int] = {}


@handler(
    "test.echo", inputs={"waarde": Param("een getal")}, outputs={"verdubbeld": Param("het dubbele")}
)
def echo(inputs: dict[str, Any], ctx: HandlerContext) -> dict[str, Any]:
    CALLS["test.echo"].append(dict(inputs))
    return {"verdubbeld": inputs["waarde"] * 2}


@handler(
    "test.flaky",
    inputs={"waarde": Param("een getal", required=False)},
    outputs={"resultaat": Param("ok")},
)
def flaky(inputs: dict[str, Any], ctx: HandlerContext) -> dict[str, Any]:
    CALLS["test.flaky"].append(dict(inputs))
    remaining = FAILURES.get(ctx.business_key or "", 0)
    if remaining != 0:
        FAILURES[ctx.business_key or ""] = remaining - 1
        raise HandlerError(f"register tijdelijk onbereikbaar (nog {remaining})")
    return {"resultaat": "ok"}


@handler(
    "test.toets",
    inputs={"waarde": Param("een bedrag")},
    outputs={"verdubbeld": Param("het dubbele")},
    errors={"TE_HOOG": "het bedrag is hoger dan 100", "ONBEKEND": "nooit gegooid in tests"},
)
def toets(inputs: dict[str, Any], ctx: HandlerContext) -> dict[str, Any]:
    """Throws the BPMN error TE_HOOG above 100, an undeclared code at 666."""
    CALLS["test.toets"].append(dict(inputs))
    if inputs["waarde"] == 666:
        raise BpmnError("NIET_GEDECLAREERD")
    if inputs["waarde"] > 100:
        raise BpmnError("TE_HOOG", f"{inputs['waarde']} is meer dan 100")
    return {"verdubbeld": inputs["waarde"] * 2}
