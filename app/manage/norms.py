"""The norm of each activity, from what the process itself says about it (issue 24):

1. a setting for the activity in the catalogue (`max_wachttijd_werkdagen_<element>`);
2. the activity's due date (`camunda:dueDate`): `werkdagen(5)`, `werkdagen_na(datum_melding,
   instelling('contact_werkdagen'))`, `dagen_na(x, 7 * instelling('voorstel_weken'))`, or a
   variable a script sets to one of these;
3. the duration of a timer on its boundary (`P5D`, or an expression as above).

An activity with none of these has no norm ("–"), rather than an invented one. Terms counted
back from an outside date (`werkdagen_voor(ontruimingsdatum, 1)`) are deadlines, not norms for
how long a case may wait, and give none either. `instelling(...)` takes the municipality's own
value when it set one.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from lxml import etree

BPMN = "http://www.omg.org/spec/BPMN/20100524/MODEL"
CAMUNDA = "http://camunda.org/schema/1.0/bpmn"
NS = {"bpmn": BPMN}
# function -> (unit, index of the count argument)
RELATIVE = {
    "werkdagen": ("werkdagen", 0),
    "werkdagen_na": ("werkdagen", 1),
    "dagen": ("dagen", 0),
    "dagen_na": ("dagen", 1),
}
_ISO_DAYS = re.compile(r"^P(?:(\d+)W)?(?:(\d+)D)?$")


@dataclass(frozen=True)
class Norm:
    amount: int
    unit: str  # "werkdagen" or "dagen"
    source: str  # "instelling", "termijn" (due date) or "timer"

    def __str__(self) -> str:
        return f"{self.amount} {self.unit if self.amount != 1 else self.unit[:-2]}"


@dataclass(frozen=True)
class _Diagram:
    due: dict[str, str]  # element -> due date expression
    timers: dict[str, list[str]]  # element -> durations of timers on its boundary
    assigned: dict[str, list[str]]  # variable -> expressions scripts assign to it


@lru_cache(maxsize=64)
def _read(xml: str) -> _Diagram:
    root = etree.fromstring(
        xml.encode(), etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)
    )
    due = {
        e.get("id"): e.get(f"{{{CAMUNDA}}}dueDate")
        for e in root.iter()
        if isinstance(e.tag, str) and e.get(f"{{{CAMUNDA}}}dueDate")
    }
    timers: dict[str, list[str]] = {}
    for boundary in root.iterfind(".//bpmn:boundaryEvent", NS):
        for duration in boundary.iterfind(".//bpmn:timeDuration", NS):
            timers.setdefault(boundary.get("attachedToRef"), []).append(
                (duration.text or "").strip()
            )
    assigned: dict[str, list[str]] = {}
    for script in root.iterfind(".//bpmn:script", NS):
        try:
            tree = ast.parse(script.text or "")
        except SyntaxError:
            continue
        for node in ast.walk(tree):
            if isinstance(node, ast.Assign):
                for target in node.targets:
                    if isinstance(target, ast.Name):
                        assigned.setdefault(target.id, []).append(ast.unparse(node.value))
    return _Diagram(due, timers, assigned)


def _strip(expression: str) -> str:
    text = expression.strip()
    if text.startswith("${") and text.endswith("}"):
        text = text[2:-1]
    return text.strip()


def _count(node: ast.AST, setting: Callable[[str], Any]) -> int | None:
    if isinstance(node, ast.Constant) and isinstance(node.value, int):
        return node.value
    if (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Name)
        and node.func.id == "instelling"
        and node.args
        and isinstance(node.args[0], ast.Constant)
    ):
        value = setting(str(node.args[0].value))
        try:
            return int(value)
        except (TypeError, ValueError):
            return None
    if isinstance(node, ast.BinOp) and isinstance(node.op, (ast.Mult, ast.Add)):
        left, right = _count(node.left, setting), _count(node.right, setting)
        if left is None or right is None:
            return None
        return left * right if isinstance(node.op, ast.Mult) else left + right
    return None


def _from_expression(
    text: str, diagram: _Diagram, setting: Callable[[str], Any], seen: frozenset[str]
) -> tuple[int, str] | None:
    try:
        node = ast.parse(_strip(text), mode="eval").body
    except SyntaxError:
        return None
    if isinstance(node, ast.IfExp):  # `x if ... else None`: the norm of the case it applies
        node = node.body
    if isinstance(node, ast.Name):
        options = diagram.assigned.get(node.id, [])
        if len(set(options)) != 1 or node.id in seen:  # unknown, or differs per path
            return None
        return _from_expression(options[0], diagram, setting, seen | {node.id})
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
        unit, index = RELATIVE.get(node.func.id, (None, 0))
        if unit is None or len(node.args) <= index:
            return None
        count = _count(node.args[index], setting)
        # Zero days after a date is that date: a deadline, not a time a case may wait.
        return (count, unit) if count is not None and count > 0 else None
    return None


def _from_timer(duration: str, diagram: _Diagram, setting: Callable[[str], Any]) -> Norm | None:
    match = _ISO_DAYS.match(duration)
    if match and any(match.groups()):
        weeks, days = (int(g or 0) for g in match.groups())
        return Norm(7 * weeks + days, "dagen", "timer")
    found = _from_expression(duration, diagram, setting, frozenset())
    return Norm(found[0], found[1], "timer") if found else None


def norm(
    xml: str, element: str, setting: Callable[[str], Any], own: int | None = None
) -> Norm | None:
    """The norm of `element`; `own` is the catalogue setting for the activity, if any."""
    if own is not None:
        return Norm(own, "werkdagen", "instelling")
    diagram = _read(xml)
    if element in diagram.due:
        found = _from_expression(diagram.due[element], diagram, setting, frozenset())
        if found:
            return Norm(found[0], found[1], "termijn")
    for duration in diagram.timers.get(element, []):
        timer = _from_timer(duration, diagram, setting)
        if timer:
            return timer
    return None
