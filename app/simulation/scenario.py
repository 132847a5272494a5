"""Scenario files for `stroom simulate` (YAML, Dutch keys, as process owners write them).

    naam: Voorbeeldstad - betalingsregeling voor de melding
    begin: 2026-03-02T09:00          # without offset: Amsterdam time
    diagrammen: [bpmn/voorbeeld.bpmn]  # optional, relative to this file; default: bpmn/
    formulieren: ../forms            # optional, likewise; default: forms/
    regels:                          # optional: complete tasks automatically
      - taak: contact_opnemen        # element id of a user task
        na: 2 werkdagen              # after the task was created
        data: {contact_gelegd: true, datum_contact: =vandaag}   # =vandaag: the day it is done
        keuzes:                      # optional weighted alternatives merged into data
          - {kans: 3, data: {uitkomst: regeling}}
          - {kans: 1, data: {uitkomst: geen_regeling}}
    stappen:
      - start: voorbeeld_preventie
        sleutel: H-1
        gemeente: voorbeeldstad
        partijen: {corporatie: corporatie-noord, wijkteam: wijkteam-zuid}   # party -> team
        data: {deurwaarderdatum: "2026-04-20"}

      - wacht: 3 werkdagen           # or: tot: 2026-03-10T09:00
      - voltooi: contact_opnemen
        sleutel: H-1
        door: anna
        data: {contact_gelegd: true}
      - bericht: betalingsregeling
        sleutel: H-1
      - document: overeenkomst.pdf   # a document added to the case (its description only)
        sleutel: H-1
        categorie: overeenkomst
        door: anna
        als: overeenkomst            # later data name it: {veld: {document: overeenkomst}}
      - notitie: vrije tekst in de tijdlijn
      - verwacht: {sleutel: H-1, status: completed, open_taken: []}

Every problem in a file is reported with the step number and the key at fault.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from app import yaml_safe
from app.simulation.durations import DurationError, later, parse_moment
from app.simulation.runner import Rule, Simulation, SimulationError

ACTIONS = ("start", "voltooi", "bericht", "document", "wacht", "tot", "verwacht", "notitie")


class ScenarioError(ValueError):
    pass


@dataclass
class Scenario:
    name: str
    begin: Any
    steps: list[dict[str, Any]]
    rules: list[Rule] = field(default_factory=list)
    diagrams: list[Path] = field(default_factory=list)
    generators: list[dict[str, Any]] = field(default_factory=list)
    seed: int = 1
    forms: Path | None = None


def load(path: Path) -> Scenario:
    try:
        raw = yaml_safe.load(path.read_text("utf-8"))
    except (OSError, yaml_safe.YAMLError) as exc:
        raise ScenarioError(f"{path}: kan scenario niet lezen: {exc}") from exc
    if not isinstance(raw, dict):
        raise ScenarioError(f"{path}: een scenario is een YAML-object met 'begin' en 'stappen'")
    return parse(raw, base=path.parent, source=str(path))


def parse(raw: dict[str, Any], base: Path = Path("."), source: str = "scenario") -> Scenario:
    if "begin" not in raw:
        raise ScenarioError(f"{source}: 'begin' ontbreekt (startmoment van de virtuele klok)")
    try:
        begin = parse_moment(str(raw["begin"]))
    except ValueError as exc:
        raise ScenarioError(f"{source}: 'begin' is geen ISO-tijdstip: {raw['begin']!r}") from exc
    steps = raw.get("stappen") or []
    if not isinstance(steps, list):
        raise ScenarioError(f"{source}: 'stappen' moet een lijst zijn")
    for number, step in enumerate(steps, start=1):
        if not isinstance(step, dict):
            raise ScenarioError(f"{source}: stap {number} is geen object")
        actions = [a for a in ACTIONS if a in step]
        if len(actions) != 1:
            raise ScenarioError(
                f"{source}: stap {number} moet precies één van "
                f"{', '.join(ACTIONS)} bevatten (gevonden: {actions or 'geen'})"
            )
        if "data" in step and not isinstance(step["data"], dict):
            raise ScenarioError(f"{source}: stap {number}: 'data' moet een object zijn")
    rules = []
    for number, item in enumerate(raw.get("regels") or [], start=1):
        if not isinstance(item, dict) or "taak" not in item or "na" not in item:
            raise ScenarioError(f"{source}: regel {number} heeft 'taak' en 'na' nodig")
        choices = [
            (float(c.get("kans", 1)), dict(c.get("data") or {})) for c in item.get("keuzes") or []
        ]
        rules.append(
            Rule(
                element=str(item["taak"]),
                after=str(item["na"]),
                data=dict(item.get("data") or {}),
                choices=choices,
                process=item.get("proces"),
                actor=str(item.get("door", "simulatie")),
            )
        )
    diagrams = [base / d for d in raw.get("diagrammen") or []]
    return Scenario(
        name=str(raw.get("naam", source)),
        begin=begin,
        steps=steps,
        rules=rules,
        diagrams=diagrams,
        generators=list(raw.get("generatoren") or []),
        seed=int(raw.get("zaad", 1)),
        forms=base / raw["formulieren"] if raw.get("formulieren") else None,
    )


def play(
    scenario: Scenario,
    sim: Simulation,
    source: str = "scenario",
    progress: Callable[[int], None] | None = None,
) -> list[str]:
    """Run the steps; returns the failed expectations (empty when all held). `progress`
    hears each step done."""
    sim.rules.extend(scenario.rules)
    failures: list[str] = []
    for number, step in enumerate(scenario.steps, start=1):
        if progress is not None and number > 1:
            progress(1)
        where = f"{source}: stap {number}"
        try:
            failures.extend(_play_step(step, sim, where))
        except (SimulationError, DurationError, ValueError) as exc:
            raise ScenarioError(f"{where}: {exc}") from exc
        except Exception as exc:
            message = getattr(exc, "message", None) or str(exc)
            raise ScenarioError(f"{where}: {message}") from exc
    if progress is not None and scenario.steps:
        progress(1)
    return failures


def _play_step(step: dict[str, Any], sim: Simulation, where: str) -> list[str]:
    key = step.get("sleutel")
    actor = str(step.get("door", "simulatie"))
    if "start" in step:
        sim.start(
            str(step["start"]),
            key,
            step.get("data") or {},
            actor,
            parties=step.get("partijen"),
            municipality=step.get("gemeente"),
        )

    elif "voltooi" in step:
        sim.complete(str(step["voltooi"]), key, _data(step, sim), actor)
    elif "bericht" in step:
        sim.message(str(step["bericht"]), key, _data(step, sim), actor)
    elif "document" in step:
        if not key:
            raise ScenarioError(f"{where}: een document hoort bij een zaak; geef een sleutel")
        name = str(step["document"])
        alias = str(step.get("als") or name)
        sim.add_document(key, name, str(step.get("categorie", "overig")), actor, alias)
    elif "wacht" in step:
        sim.advance_to(later(sim.clock.now(), str(step["wacht"])))
    elif "tot" in step:
        sim.advance_to(parse_moment(str(step["tot"])))
    elif "notitie" in step:
        sim.note(str(step["notitie"]))
    elif "verwacht" in step:
        return _expect(step["verwacht"], sim, where)
    return []


def _data(step: dict[str, Any], sim: Simulation) -> dict[str, Any]:
    """The step's data, with {document: alias} replaced by that document's number."""
    result: dict[str, Any] = {}
    for name, value in (step.get("data") or {}).items():
        if isinstance(value, dict) and set(value) == {"document"}:
            alias = str(value["document"])
            if alias not in sim.documents:
                raise SimulationError(f"onbekend document {alias!r} (eerst een stap document)")
            value = str(sim.documents[alias])
        result[name] = value
    return result


def _expect(expected: dict[str, Any], sim: Simulation, where: str) -> list[str]:
    from sqlalchemy import select

    from app.engine.models import HumanTask, TaskStatus

    failures = []
    key = expected.get("sleutel")
    row = sim.instance(str(key))
    if "status" in expected and row.status != expected["status"]:
        failures.append(f"{where}: {key}: status {row.status!r}, verwacht {expected['status']!r}")
    if "open_taken" in expected:
        with sim.db.session() as session:
            open_now = sorted(
                session.scalars(
                    select(HumanTask.element_id).where(
                        HumanTask.instance_id == row.id, HumanTask.status == TaskStatus.OPEN.value
                    )
                )
            )
        wanted = sorted(expected["open_taken"] or [])
        if open_now != wanted:
            failures.append(f"{where}: {key}: open taken {open_now}, verwacht {wanted}")
    return failures
