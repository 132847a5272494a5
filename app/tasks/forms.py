"""Server-side validation of a submitted task form against its form-js schema.

The browser checks too, but only this check counts: required fields, types, lengths, ranges,
patterns and options, and no field the form does not define. A checkbox left out is unticked
(false), as form-js submits it. Messages are Dutch and keyed by
the field's key, so the page shows them at the field. Components with a `conditional` (shown
or hidden by a FEEL expression the server does not evaluate) are not required here.

A form whose fields are each optional but which may not stay empty as a whole (a conversation
report: what was discussed differs, that something was recorded does not) says so at its
root: `"properties": {"minstens_een_veld": true}`; filled means text that is not blank, a
number, a choice, a ticked box.
"""

from __future__ import annotations

import math
import re
from datetime import date, datetime, time
from typing import Any

from app.engine.dataflow import always_written

INPUTS = {
    "textfield",
    "textarea",
    "number",
    "checkbox",
    "checklist",
    "radio",
    "select",
    "taglist",
    "datetime",
}


# form-js components that show something and submit nothing.
SHOWN_ONLY = {
    "text",
    "html",
    "image",
    "spacer",
    "separator",
    "iframe",
    "table",
    "documentPreview",
    "button",
}
_CHOICES = {"select", "radio", "checklist", "taglist"}
_MAX_PROBLEMS = 20


def accepted_kinds() -> list[str]:
    """The component types `form_problems` takes (a group only without a `path`): what the form
    editor's palette may offer."""
    return sorted(INPUTS | SHOWN_ONLY | {"group"})


# What the editor's palette offers that this check cannot take, and what to do instead.
_INSTEAD = {
    "filepicker": "voeg documenten toe op de zaakpagina (Documenten)",
    "dynamiclist": "gebruik een lijst van vaste velden of een aanvinklijst",
    "expression": "reken de waarde na de taak uit in een scripttaak",
}


def components(schema: dict[str, Any]) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []

    def walk(items: list[dict[str, Any]]) -> None:
        for item in items or []:
            if item.get("type") in INPUTS and item.get("key"):
                found.append(item)
            walk(item.get("components") or [])

    walk(schema.get("components") or [])
    return found


def _options(component: dict[str, Any]) -> list[Any] | None:
    values = component.get("values")
    if isinstance(values, list):
        return [v.get("value") for v in values if isinstance(v, dict)]
    return None


def _label(component: dict[str, Any]) -> str:
    return str(component.get("label") or component["key"])


def validate(schema: dict[str, Any], data: Any) -> tuple[dict[str, Any], dict[str, list[str]]]:
    if not isinstance(data, dict):
        return {}, {"_schema": ["het formulier gaf geen gegevens"]}
    fields = {c["key"]: c for c in components(schema)}
    errors: dict[str, list[str]] = {}
    clean: dict[str, Any] = {}
    for key in data:
        if key not in fields:
            errors[str(key)] = ["dit veld bestaat niet in het formulier"]
    for key, component in fields.items():
        rules = component.get("validate") or {}
        value = data.get(key)
        required = bool(rules.get("required")) and not component.get("conditional")
        if value is None or value == "" or value == []:
            if required:
                errors[key] = ["Vul dit veld in."]
            elif value is None and always_written(component):
                clean[key] = False  # an unticked box is an answer (form-js sends false too)
            continue
        try:
            clean[key] = _check(component, rules, value)
        except ValueError as problem:
            errors[key] = [str(problem)]
        if component["type"] == "checkbox" and required and value is not True:
            errors[key] = ["Vink dit aan om verder te gaan."]
    if (schema.get("properties") or {}).get("minstens_een_veld") and not any(
        _filled(value) for value in clean.values()
    ):
        errors.setdefault("_schema", ["Het formulier is leeg: vul minstens één onderdeel in."])
    return clean, errors


def _filled(value: Any) -> bool:
    if isinstance(value, str):
        return bool(value.strip())
    if isinstance(value, bool):
        return value
    if isinstance(value, int | float):
        return True  # 0 is an answer too
    return value is not None and value != [] and value != {}


def _check(component: dict[str, Any], rules: dict[str, Any], value: Any) -> Any:
    kind = component["type"]
    if kind in ("textfield", "textarea"):
        if not isinstance(value, str):
            raise ValueError("Vul tekst in.")
        text = value.strip()
        if rules.get("minLength") is not None and len(text) < int(rules["minLength"]):
            raise ValueError(f"Gebruik minstens {rules['minLength']} tekens.")
        if rules.get("maxLength") is not None and len(text) > int(rules["maxLength"]):
            raise ValueError(f"Gebruik hoogstens {rules['maxLength']} tekens.")
        if rules.get("pattern") and not re.fullmatch(str(rules["pattern"]), text):
            raise ValueError(rules.get("patternErrorMessage") or "Dit heeft niet de goede vorm.")
        if text.startswith(("=", "@")):
            raise ValueError("Begin niet met = of @.")
        return text
    if kind == "number":
        if isinstance(value, bool) or not isinstance(value, (int, float, str)):
            raise ValueError("Vul een getal in.")
        try:
            number = float(str(value).replace(",", "."))
        except ValueError as exc:
            raise ValueError("Vul een getal in.") from exc
        if not math.isfinite(number):  # "NaN", "inf", "1e999": no JSON column can hold them
            raise ValueError("Vul een getal in.")
        if rules.get("min") is not None and number < float(rules["min"]):
            raise ValueError(f"Het getal moet minstens {rules['min']} zijn.")
        if rules.get("max") is not None and number > float(rules["max"]):
            raise ValueError(f"Het getal mag hoogstens {rules['max']} zijn.")
        return (
            int(number)
            if number.is_integer() and component.get("decimalDigits", 0) == 0
            else number
        )
    if kind == "checkbox":
        if not isinstance(value, bool):
            raise ValueError("Kies ja of nee.")
        return value
    if kind in ("select", "radio"):
        options = _options(component)
        if options is not None and value not in options:
            raise ValueError("Kies een van de mogelijkheden.")
        return value
    if kind in ("checklist", "taglist"):
        options = _options(component)
        if not isinstance(value, list) or (
            options is not None and any(v not in options for v in value)
        ):
            raise ValueError("Kies uit de mogelijkheden.")
        return value
    if kind == "datetime":
        return _datetime(component, value)
    raise ValueError("onbekend veldtype")  # pragma: no cover - INPUTS guards this


def _datetime(component: dict[str, Any], value: Any) -> str:
    if not isinstance(value, str):
        raise ValueError("Vul een datum in.")
    subtype = component.get("subtype", "date")
    try:
        if subtype == "date":
            return date.fromisoformat(value).isoformat()
        if subtype == "time":
            return time.fromisoformat(value.rstrip("Z")).isoformat(timespec="minutes")
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
        if moment.tzinfo is None:
            raise ValueError
        return moment.isoformat()
    except ValueError as exc:
        raise ValueError("Vul een geldige datum in (JJJJ-MM-DD).") from exc


def check_forms(parsed: Any) -> list[Any]:
    """Deploy check (app.engine.hooks.deploy_checks): every form a user task shows holds only
    what `validate` checks. A component of another kind that submits a value (a file, a
    repeating group, a computed field), or a group that nests its fields under a `path`,
    would be refused at every completion: the task could never be done."""
    from app.engine.errors import Problem

    problems: list[Problem] = []
    for wf_spec in (parsed.spec, *parsed.subprocess_specs.values()):
        for spec in wf_spec.task_specs.values():
            element = getattr(spec, "bpmn_id", None)
            form_key = (getattr(spec, "extensions", None) or {}).get("form")
            form = parsed.forms.get(form_key) if form_key else None
            if element is None or not isinstance(form, dict):
                continue
            line = (parsed.elements.get(element) or {}).get("line")
            for message in form_problems(form):
                problems.append(
                    Problem(str(parsed.file), element, line, f"formulier {form_key!r}: {message}")
                )
    return problems


def form_problems(schema: dict[str, Any]) -> list[str]:
    """What in a form-js schema the server cannot take, one Dutch sentence each."""
    found: list[str] = []
    todo = [schema.get("components")]
    while todo:  # a stack, not recursion: a form may nest groups as deep as JSON allows
        items = todo.pop()
        for item in items if isinstance(items, list) else []:
            if not isinstance(item, dict):
                continue
            kind, key = item.get("type"), item.get("key")
            name = repr(str(key or item.get("id") or kind)[:80])
            if kind in ("group", "dynamiclist") and item.get("path"):
                found.append(
                    f"onderdeel {name} ({kind}) zet zijn velden onder {item['path']!r}; Stroom "
                    "slaat velden alleen op het hoogste niveau op: laat 'path' leeg"
                )
            elif kind not in INPUTS and kind not in SHOWN_ONLY and kind != "group":
                instead = _INSTEAD.get(str(kind), "gebruik een van de gewone invoervelden")
                found.append(
                    f"onderdeel {name} van type {kind!r} kan Stroom niet controleren en "
                    f"opslaan: {instead}"
                )
            elif kind in INPUTS and not key:
                found.append(f"invoerveld {name} ({kind}) heeft geen sleutel ('key')")
            elif kind in _CHOICES and not isinstance(item.get("values"), list):
                # Options from the case's data (valuesKey, valuesExpression): the server
                # would take any answer.
                found.append(
                    f"keuzeveld {name} ({kind}) haalt zijn mogelijkheden uit de gegevens; "
                    "geef vaste mogelijkheden ('values')"
                )
            todo.append(item.get("components"))
    if len(found) > _MAX_PROBLEMS:  # a form of thousands of them: the first say enough
        found[_MAX_PROBLEMS:] = [f"en nog {len(found) - _MAX_PROBLEMS} zulke onderdelen"]
    return found
