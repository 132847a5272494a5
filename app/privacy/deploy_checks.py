"""Deployment checks that hold a diagram to its data catalogue.

- every diagram has a catalogue, and every flow node belongs to one of its phases;
- every user task is done by a catalogue party;
- every form field is a catalogue field that party may record in that phase;
- a service task's handler reads only fields the catalogue lets its topic read, and writes
  only fields it lets it write;
- scripts assign only catalogued fields.
"""

from __future__ import annotations

import ast
from typing import Any

import handlers
from app.catalogue import Catalogue, catalogue_path, names_in
from app.catalogue.model import CATEGORIES
from app.engine import hooks
from app.engine.errors import Problem
from app.engine.multi_instance import EXTENSION, is_body, local_names
from app.engine.vocabulary import FLOW_NODE_TYPES

INPUT_COMPONENTS = {
    "textfield",
    "textarea",
    "number",
    "checkbox",
    "checklist",
    "radio",
    "select",
    "taglist",
    "datetime",
    "filepicker",
    "expression",
}


def check_catalogue(parsed: Any) -> list[Problem]:
    file = str(parsed.file)
    catalogue: Catalogue | None = parsed.catalogue
    if catalogue is None:
        return [
            Problem(
                file,
                None,
                None,
                "gegevenscatalogus ontbreekt: maak "
                f"{catalogue_path(parsed.file).name} naast het diagram (zie "
                "app/catalogue/)",
            )
        ]
    problems: list[Problem] = []

    def problem(element: str | None, message: str) -> None:
        line = parsed.elements.get(element, {}).get("line") if element else None
        problems.append(Problem(file, element, line, message))

    nodes = {e for e, info in parsed.elements.items() if info["type"] in FLOW_NODE_TYPES}
    for element in sorted(nodes):
        if catalogue.phase_of(element) is None:
            problem(element, "hoort in geen enkele fase van de gegevenscatalogus")
    # A catalogue for several processes of one file names the elements of all of them.
    types = {e: info["type"] for e, info in parsed.elements.items()}
    if len(catalogue.processes) > 1:
        types = {**parsed.file_elements, **types}
    for phase, elements in catalogue.phases.items():
        for element in elements:
            if element not in types:
                problem(None, f"catalogusfase {phase!r} noemt onbekend element {element!r}")
    for element in sorted(catalogue.tasks):
        if types.get(element) != "userTask":
            problem(None, f"catalogus: 'taken' noemt {element!r}, geen user task van het diagram")

    for wf_spec in (parsed.spec, *parsed.subprocess_specs.values()):
        for spec in wf_spec.task_specs.values():
            element = getattr(spec, "bpmn_id", None)
            if element is None:
                continue
            ext = getattr(spec, "extensions", None) or {}
            kind = parsed.elements.get(element, {}).get("type")
            if is_body(spec):
                _check_collection(catalogue, ext, element, problem)
                continue  # the inner task spec carries the activity's own extensions
            _check_local_writes(parsed, spec, ext, element, problem)
            if kind == "userTask":
                _check_user_task(catalogue, parsed, spec, ext, element, problem)
            if ext.get("topic"):
                _check_service_task(catalogue, ext, element, problem)
            for key in ("error_code_variable", "error_message_variable"):
                if ext.get(key) and ext[key] not in catalogue.fields:
                    problem(
                        element,
                        f"de fout wordt vastgelegd in {ext[key]!r}, maar dat veld staat niet "
                        "in de gegevenscatalogus",
                    )
            _check_erasure(catalogue, ext.get("properties") or {}, element, problem)
            script = getattr(spec, "script", None)
            if isinstance(script, str):
                for name in _assigned(script):
                    if name not in catalogue.fields:
                        problem(
                            element,
                            f"script legt {name!r} vast, maar dat veld staat "
                            "niet in de gegevenscatalogus",
                        )
    return problems


def _check_collection(
    catalogue: Catalogue, ext: dict[str, Any], element: str, problem: Any
) -> None:
    """A multi-instance activity's `camunda:collection` that names a variable names a list
    field of the catalogue (a `${...}` expression is checked like any other)."""
    collection = (ext.get(EXTENSION) or {}).get("collection")
    if not collection or not collection.isidentifier():
        return
    field = catalogue.fields.get(collection)
    if field is None:
        problem(
            element,
            f"camunda:collection {collection!r} staat niet in de gegevenscatalogus; neem "
            "het lijstveld op (type lijst)",
        )
    elif field.type != "lijst":
        problem(
            element,
            f"camunda:collection {collection!r} is in de gegevenscatalogus van type "
            f"{field.type!r}; multi-instance heeft een lijst nodig (type lijst)",
        )


def _check_local_writes(
    parsed: Any, spec: Any, ext: dict[str, Any], element: str, problem: Any
) -> None:
    """In an instance of a multi-instance activity the element variable and the loop
    variables are local (Camunda 7): what a form, a handler or a script writes to them
    stays in that instance and is gone after it, so deploy refuses it."""
    local = local_names(ext.get(EXTENSION))
    if not local:
        return
    written: set[str] = set()
    form = parsed.forms.get(ext.get("form")) if ext.get("form") else None
    if form is not None:
        written |= set(form_keys(form))
    written |= {name for name, _expr in ext.get("outputs") or []}
    known = handlers.get(ext.get("topic") or "")
    if known is not None and not ext.get("outputs"):
        written |= set(known.outputs)
    script = getattr(spec, "script", None)
    if isinstance(script, str):
        written |= _assigned(script)
    for name in sorted(written & local):
        problem(
            element,
            f"{name!r} is lokaal in elke instantie van deze meervoudige taak (elementvariabele "
            "of loopCounter/nrOf…): wat hier wordt geschreven gaat na de instantie verloren; "
            "schrijf naar een ander veld",
        )


def _literal(expression: str | None) -> str | None:
    if not expression:
        return None
    try:
        value = ast.literal_eval(expression)
    except (ValueError, SyntaxError):
        return None
    return value if isinstance(value, str) else None


def _check_user_task(
    catalogue: Catalogue, parsed: Any, spec: Any, ext: dict[str, Any], element: str, problem: Any
) -> None:
    groups = [g.strip() for g in (_literal(ext.get("candidate_groups")) or "").split(",")]
    groups = [g for g in groups if g]
    explicit = (ext.get("properties") or {}).get("partij")
    party = catalogue.party_for(explicit, *groups, spec.lane, catalogue.tasks.get(element))
    if catalogue.party_for(explicit, spec.lane) is None:
        # The candidate group is all a diagram from the Modeler says about who does the
        # task: a team (its organisation then plays the task's party in the case, see
        # app.engine.waits) or a party. Anything else would reach nobody's inbox.
        _check_teams(catalogue, parsed, groups, element, problem)
    if party is None:
        problem(
            element,
            "taak hoort bij geen partij van de catalogus (zet de taak in een "
            "baan met de naam van een partij, of een extensie-eigenschap "
            "'partij', of noem hem in 'taken' van de catalogus)",
        )
        return
    form = parsed.forms.get(ext.get("form")) if ext.get("form") else None
    if form is None:
        return
    phase = catalogue.phase_of(element)
    writable = set(catalogue.writable(party, phase))
    companions = catalogue.consent_companions()
    for key in form_keys(form):
        if key not in catalogue.fields and key not in companions:
            problem(element, f"formulierveld {key!r} staat niet in de gegevenscatalogus")
        elif key not in writable:
            problem(
                element,
                f"formulierveld {key!r} mag door partij {party!r} in fase "
                f"{phase!r} niet worden vastgelegd (catalogus: schrijven)",
            )


def _check_teams(
    catalogue: Catalogue, parsed: Any, groups: list[str], element: str, problem: Any
) -> None:
    if parsed.session is None:
        return
    plain = [g for g in groups if catalogue.party_for(g) is None]
    teams = hooks.teams(parsed.session, plain)
    for group in plain:
        if group not in teams:
            problem(
                element,
                f"kandidaatgroep {group!r} is geen team en geen partij van de catalogus; "
                f"leg het team aan (stroom groups add {group} NAAM --organisation ORG) of "
                f"noem een partij ({', '.join(sorted(catalogue.parties))})",
            )


def form_keys(form: dict[str, Any]) -> list[str]:
    """The data keys a form-js schema submits (nested groups included)."""
    keys: list[str] = []

    def walk(components: list[dict[str, Any]]) -> None:
        for component in components or []:
            if component.get("type") in INPUT_COMPONENTS and component.get("key"):
                keys.append(str(component["key"]))
            walk(component.get("components") or [])

    walk(form.get("components") or [])
    return keys


def _check_service_task(
    catalogue: Catalogue, ext: dict[str, Any], element: str, problem: Any
) -> None:
    topic = ext["topic"]
    known = handlers.get(topic)
    if known is None:
        return  # reported by the engine's topic check already
    rules = catalogue.systems.get(topic)
    if rules is None:
        problem(
            element,
            f"de catalogus staat topic {topic!r} niets toe (voeg het toe onder "
            "'systemen' met de velden die het mag lezen en schrijven)",
        )
        return
    read = set(rules["lezen"])
    settings = ext.get(EXTENSION) or {}
    if settings:
        # In an instance of a multi-instance task the loop counters are no case data, and
        # the element variable holds an element of the collection: reading it is reading
        # the collection (every field its expression reads).
        read |= set(local_names(settings)) - {settings.get("element_variable")}
        collection = settings.get("collection") or ""
        if settings.get("element_variable") and names_in(collection) <= read:
            read.add(settings["element_variable"])
    for name, expression in ext.get("inputs", []):
        for variable in sorted(names_in(expression) - read):
            if variable in catalogue.fields or variable.isidentifier():
                problem(
                    element,
                    f"invoer {name!r} leest {variable!r}, maar de catalogus "
                    f"staat {topic!r} dat niet toe",
                )
    mapped = [name for name, _ in ext.get("outputs", [])]
    written = mapped or sorted(known.outputs)
    for name in written:
        if name not in rules["schrijven"]:
            problem(element, f"{topic!r} schrijft {name!r}, maar de catalogus staat dat niet toe")


def _assigned(script: str) -> set[str]:
    try:
        tree = ast.parse(script)
    except SyntaxError:
        return set()
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
            names.add(node.id)
    # Loop variables and comprehension targets are local, not case data.
    for node in ast.walk(tree):
        if isinstance(node, (ast.For, ast.comprehension)):
            for target in ast.walk(node.target):
                if isinstance(target, ast.Name):
                    names.discard(target.id)
    return names


def _check_erasure(
    catalogue: Catalogue, properties: dict[str, Any], element: str, problem: Any
) -> None:
    """`gegevens = wissen` keeps only fields it names (`bewaren`), or erases whole catalogue
    categories (`categorieen`): a misspelt name would keep or erase the wrong data."""
    if not {"bewaren", "categorieen", "velden"} & set(properties):
        return
    if properties.get("gegevens") != "wissen":
        problem(element, "'bewaren', 'categorieen' en 'velden' werken alleen met gegevens = wissen")
        return
    for key in ("bewaren", "velden"):
        for name in (n.strip() for n in properties.get(key, "").split(",") if n.strip()):
            if name not in catalogue.fields:
                problem(element, f"{key} noemt {name!r}, dat niet in de gegevenscatalogus staat")
    for category in (c.strip() for c in properties.get("categorieen", "").split(",") if c.strip()):
        if category not in CATEGORIES:
            problem(
                element,
                f"categorie {category!r} bestaat niet; kies uit {', '.join(sorted(CATEGORIES))}",
            )
