"""Deploy check: a condition compares a catalogue field with a value of the field's own type.

We run conditions as Python; Camunda 7 runs them as JUEL, which converts between types where
Python does not. `${keuze == 1}` on a choice stored as the text "1" is true in Camunda and
always false here; `${opmerking}` on a text field is an error in Camunda (not a boolean) and
was a path chosen by truthiness here; `${status == 'afgewezen'}` with a typo in a choice's
value is never true anywhere. Each of these deploys and then takes the wrong path without a
sound, so deploy refuses them, naming the field, its type and what to write instead. Only
what the catalogue types is checked: names it does not know (local variables, results of
functions) are left to the data-flow check.
"""

from __future__ import annotations

import ast
from typing import Any

from SpiffWorkflow.bpmn.specs.event_definitions.conditional import ConditionalEventDefinition

from app.engine.dataflow import UNPARSABLE
from app.engine.errors import Problem
from app.engine.expressions import plain_expression

TEXT = {"tekst", "keuze", "datum", "tijdstip"}
NUMBER = {"getal", "bedrag"}
BOOLEAN = {"ja_nee"}
_ORDER = (ast.Eq, ast.NotEq, ast.Lt, ast.LtE, ast.Gt, ast.GtE)


def check_condition_types(parsed: Any) -> list[Problem]:
    catalogue = getattr(parsed, "catalogue", None)
    if catalogue is None:
        return []
    types = {name: (f.type, list(f.options or [])) for name, f in catalogue.fields.items()}
    problems: list[Problem] = []
    for element, source in _conditions(parsed):
        line = parsed.elements.get(element, {}).get("line")
        for message in condition_problems(source, types):
            problems.append(Problem(str(parsed.file), element, line, f"voorwaarde: {message}"))
    return problems


def _conditions(parsed: Any) -> list[tuple[str, str]]:
    """(element id, Python source) of every condition: sequence flows, conditional events and
    multi-instance completion conditions."""
    found = [
        (element, source)
        for element, info in parsed.elements.items()
        if info.get("type") == "sequenceFlow"
        and (source := plain_expression(info.get("condition"))) is not None
    ]
    for wf_spec in (parsed.spec, *parsed.subprocess_specs.values()):
        for spec in wf_spec.task_specs.values():
            element = getattr(spec, "bpmn_id", None)
            definition = getattr(spec, "event_definition", None)
            if element and isinstance(definition, ConditionalEventDefinition):
                if isinstance(definition.expression, str):
                    found.append((element, definition.expression))
            condition = getattr(spec, "condition", None)
            if element and isinstance(condition, str) and hasattr(spec, "cardinality"):
                found.append((element, condition))
    return found


def condition_problems(source: str, types: dict[str, tuple[str, list[str]]]) -> list[str]:
    """What is wrong with one condition (Python source) against the fields' types."""
    try:
        tree = ast.parse(source.strip(), mode="eval")
    except UNPARSABLE:
        return []  # the expression check reports it
    problems: list[str] = []

    def truth(node: ast.AST) -> None:
        """`node` is used as true or false: it must be a yes/no field, not a text or number."""
        if isinstance(node, ast.Name) and node.id in types:
            kind = types[node.id][0]
            if kind not in BOOLEAN:
                problems.append(
                    f"{node.id} is een veld van type {kind}, geen ja_nee, en is als "
                    "voorwaarde niet waar of onwaar; vergelijk het, bijvoorbeeld "
                    f"{_example(node.id, kind, types[node.id][1])}"
                )
        elif isinstance(node, ast.BoolOp):
            for value in node.values:
                truth(value)
        elif isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Not):
            truth(node.operand)
        elif isinstance(node, ast.IfExp):
            truth(node.body)
            truth(node.orelse)

    truth(tree.body)
    calls = {id(n.func) for n in ast.walk(tree) if isinstance(n, ast.Call)}
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Attribute)
            and id(node) not in calls
            and isinstance(node.value, ast.Name)
            and types.get(node.value.id, ("",))[0] == "object"
        ):
            # JUEL reads a map's entry as `adres.postcode`; in Python that is an attribute,
            # which a case's object (a dict) does not have: every run would fail.
            problems.append(
                f"{node.value.id}.{node.attr}: {node.value.id} is een object; lees het "
                f"onderdeel als {node.value.id}['{node.attr}']"
            )
        if isinstance(node, ast.IfExp):
            truth(node.test)
        if isinstance(node, ast.Compare):
            operands = [node.left, *node.comparators]
            for op, left, right in zip(node.ops, operands, operands[1:], strict=False):
                if isinstance(op, _ORDER):
                    problems += _compared(left, right, types) + _compared(right, left, types)
    return list(dict.fromkeys(problems))


def _compared(name: ast.AST, other: ast.AST, types: dict[str, tuple[str, list[str]]]) -> list[str]:
    if not isinstance(name, ast.Name) or name.id not in types:
        return []
    if not isinstance(other, ast.Constant) or other.value is None:
        return []
    kind, options = types[name.id]
    value = other.value
    if kind in TEXT and not isinstance(value, str):
        return [
            f"{name.id} ({kind}) is tekst en wordt vergeleken met {_juel(value)}: JUEL zet "
            "het een om naar het ander, Python niet (nooit gelijk); "
            f"schrijf '{_juel(value)}'"
        ]
    if kind in NUMBER and (isinstance(value, bool) or not isinstance(value, int | float)):
        hint = "een getal zonder aanhalingstekens"
        if isinstance(value, str) and _number(value) is not None:
            hint = _juel(_number(value))
        return [
            f"{name.id} ({kind}) is een getal en wordt vergeleken met {_juel(value)}: JUEL "
            f"zet het een om naar het ander, Python niet; schrijf {hint}"
        ]
    if kind in BOOLEAN and not isinstance(value, bool):
        return [
            f"{name.id} (ja_nee) is waar of onwaar en wordt vergeleken met {_juel(value)}; "
            "schrijf true of false"
        ]
    if kind == "keuze" and options and isinstance(value, str) and value not in options:
        return [
            f"{value!r} is geen van de keuzes van {name.id}: "
            + ", ".join(repr(option) for option in options)
        ]
    return []


def _number(text: str) -> int | float | None:
    try:
        number = float(text.strip())
    except ValueError:
        return None
    return int(number) if number.is_integer() else number


def _juel(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return repr(value)
    return str(value)


def _example(name: str, kind: str, options: list[str]) -> str:
    if kind in NUMBER:
        return f"${{{name} > 0}}"
    if kind == "keuze" and options:
        return f"${{{name} == '{options[0]}'}}"
    return f"${{not empty {name}}}"
