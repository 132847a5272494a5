"""Deployment check: every timer and due-date expression, evaluated with sample data, must
give a timezone-aware ISO-8601 value; a condition must not call a method its sample value
lacks (a Java method such as `status.equals('x')`).

A timer that fails only when an instance reaches it would surface weeks later as an incident;
here it is refused at deployment. Sample data comes from providers (the process's data
catalogue registers one); without any, expressions that need case data are refused with the
name of the missing variable.
"""

from __future__ import annotations

import ast
from datetime import date, datetime
from typing import Any

from SpiffWorkflow.bpmn.specs.event_definitions.timer import (
    CycleTimerEventDefinition,
    DurationTimerEventDefinition,
    TimerEventDefinition,
)

from app.engine import hooks
from app.engine.budget import Budget, evaluation_budget
from app.engine.dataflow import CAMUNDA_OBJECTS, UNPARSABLE, expression_reads, known_names
from app.engine.errors import Problem, SandboxError
from app.engine.script_engine import script_engine


def sample_data(parsed: Any) -> dict[str, Any]:
    data: dict[str, Any] = {}
    catalogue = getattr(parsed, "catalogue", None)
    if catalogue is not None:
        # YAML reads 2026-04-20 as a date; case data holds ISO text, as forms submit it.
        data.update(
            {
                k: v.isoformat() if isinstance(v, (date, datetime)) else v
                for k, v in catalogue.examples().items()
            }
        )
    return data


def check_timers(parsed: Any) -> list[Problem]:
    token = hooks.deploying.set(getattr(parsed, "catalogue", None))
    try:
        # One budget for all of a process's samples: a diagram of many slow timers is
        # refused as quickly as one very slow timer.
        with evaluation_budget(Budget.RUN_SECONDS):
            return _check_timers(parsed)
    finally:
        hooks.deploying.reset(token)


def _check_timers(parsed: Any) -> list[Problem]:
    problems: list[Problem] = []

    env = script_engine().environment
    sample = sample_data(parsed)
    known = known_names()
    for wf_spec in (parsed.spec, *parsed.subprocess_specs.values()):
        for spec in wf_spec.task_specs.values():
            element = getattr(spec, "bpmn_id", None)
            if element is None:
                continue
            ext = getattr(spec, "extensions", None) or {}
            line = ext.get("line")

            def problem(message: str, _e: str = element, _l: int | None = line) -> None:
                problems.append(Problem(str(parsed.file), _e, _l, message))

            definition = getattr(spec, "event_definition", None)
            if isinstance(definition, TimerEventDefinition):
                try:
                    value = env.evaluate(definition.expression, dict(sample))
                    message = _timer_problem(definition, value)
                except Exception as exc:  # noqa: BLE001 - reported, not raised
                    message = _evaluation_problem(exc)
                if message:
                    problem(f"timer {definition.expression!r}: {message}")
            for condition, _target in getattr(spec, "cond_task_specs", []) or []:
                args = getattr(condition, "args", None)
                source = args[0] if args else None
                # Types of fields against literals: app/engine/condition_types.py.
                message = _method_problem(source, sample) or _unknown_name(source, parsed, known)
                if message:
                    problem(f"voorwaarde {args[0]!r}: {message}")
            for key in ("due_date", "follow_up_date"):
                expression = ext.get(key)
                if not expression:
                    continue
                try:
                    message = _moment_problem(env.evaluate(expression, dict(sample)))
                except Exception as exc:  # noqa: BLE001
                    message = _evaluation_problem(exc)
                if message:
                    problem(f"camunda:{key} {expression!r}: {message}")
    return problems


def _method_problem(expression: str | None, sample: dict[str, Any]) -> str | None:
    """A condition calling a method its variable's value does not have (Java's
    `status.equals('x')`, `lijst.size()`): it would fail on every run."""
    try:
        tree = ast.parse((expression or "").strip(), mode="eval")
    except UNPARSABLE:
        return None  # the syntax check reports it
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and isinstance(node.func.value, ast.Name)
            and sample.get(node.func.value.id) is not None
            and not hasattr(sample[node.func.value.id], node.func.attr)
        ):
            kind = type(sample[node.func.value.id]).__name__
            return (
                f"{node.func.value.id}.{node.func.attr}(): een {kind} heeft geen methode "
                f"{node.func.attr!r}; methoden van Java-objecten kunnen niet draaien, schrijf "
                "de vergelijking zelf (bijvoorbeeld status == 'akkoord' of len(lijst) > 0)"
            )
    return None


def _unknown_name(expression: str | None, parsed: Any, known: set[str]) -> str | None:
    """A condition reading a name that is no field of the catalogue and no function (JUEL's
    `execution`, a bean): it could never be there. (Whether a field is written on every
    path to the gateway is not checked here.)"""
    catalogue = getattr(parsed, "catalogue", None)
    for name, _line in expression_reads(expression, known):
        if name in CAMUNDA_OBJECTS:
            return (
                f"leest {name!r}: het Java-object van Camunda bestaat hier niet; lees de "
                "procesvariabele zelf (bijvoorbeeld status in plaats van "
                "execution.getVariable('status'))"
            )
        if catalogue is not None and name not in catalogue.fields:
            return (
                f"leest {name!r}, die geen veld van de gegevenscatalogus is en geen functie; "
                "Java-objecten van Camunda (execution, beans) bestaan hier niet"
            )
    return None


def _evaluation_problem(exc: Exception) -> str:
    if isinstance(exc, SandboxError):
        return f"geweigerd bij evalueren met voorbeelddata: {exc}"
    if isinstance(exc, NameError):
        return (
            f"{exc}; voeg de variabele met een voorbeeldwaarde toe aan de gegevenscatalogus "
            "van het proces"
        )
    return f"fout bij evalueren met voorbeelddata: {type(exc).__name__}: {exc}"


def _timer_problem(definition: TimerEventDefinition, value: Any) -> str | None:
    if not isinstance(value, str):
        return f"geeft {type(value).__name__}, verwacht een ISO-8601-tekst"
    try:
        if isinstance(definition, DurationTimerEventDefinition):
            TimerEventDefinition.parse_iso_duration(value)
            return None
        if isinstance(definition, CycleTimerEventDefinition):
            TimerEventDefinition.parse_iso_recurring_interval(value)
            return None
        return _moment_problem(value)
    except Exception as exc:  # noqa: BLE001
        return f"{value!r} is geen geldige ISO-8601-waarde ({exc})"


def _moment_problem(value: Any) -> str | None:
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value)
        except ValueError:
            return f"{value!r} is geen ISO-8601-tijdstip"
    if isinstance(value, datetime):
        if value.tzinfo is None or value.utcoffset() is None:
            return f"{value.isoformat()} heeft geen tijdzone"
        return None
    if isinstance(value, date):
        return f"{value.isoformat()} is een datum zonder tijdstip en tijdzone"
    return f"geeft {type(value).__name__}, verwacht een tijdstip"
