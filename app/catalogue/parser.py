"""The data catalogue of a process: every case field, why it is there, and who may see it.

A catalogue is a YAML file next to the diagram (`bpmn/<diagram>.catalogus.yaml`). The covenants
spell out which party may receive which personal data in which phase; the catalogue is that
agreement in a form the application enforces (see access.py) and deployment checks (forms,
handlers and timers may only use catalogued fields in ways the catalogue allows).

    proces: voorbeeld_preventie            # or a list: the processes of one file, same rules
    verwerkingsactiviteit: vroegsignalering-voorbeeld   # id in the processing register
    partijen:
      corporatie: {naam: Woningcorporatie, melder: true}
      wijkteam: {naam: Sociaal Wijkteam}
    fasen:                         # in order; every flow node belongs to exactly one
      melding: [gestart, contact_huurder]
      behandeling: [contact_opnemen, einde]
    toestemmingen:
      inhoud_delen: Inhoud van gesprekken delen met de corporatie
    velden:
      naam:
        omschrijving: Volledige naam van de huurder
        categorie: identificerend
        type: tekst
        doel: Contact leggen met de huurder
        grondslag: publieke_taak
        bron: Convenant bijlage 2 §1
        bewaartermijn: P6M
        voorbeeld: J. Jansen
        lezen: {corporatie: "*", wijkteam: [melding, behandeling]}
        schrijven: {corporatie: [melding]}
      reden_achterstand:
        ...
        lezen:
          wijkteam: "*"
          corporatie: {fasen: "*", toestemming: inhoud_delen}   # only with that consent
          # (add `schriftelijk: ja` for a consent in writing: signed form in the case)
    systemen:                      # service-task topics and the fields they may use
      brp.huishouden: {lezen: [bsn], schrijven: [minderjarigen]}
    berichten:                     # messages that bring case data: the fields they must bring
      ontruimingsdatum_bekend: {verplicht: [ontruimingsdatum]}
      afspraken_gebroken: {afzenders: [wijkteam], omschrijving: Afspraken niet nagekomen}
                                   # only these parties send it; its button on the case page
    start: {verplicht: [bedrag]}   # without a `melding`: what every start must bring
    taken: {nakijken: wijkteam}    # the party of a user task the diagram gives none
                                   # (no partij property, candidate group or lane)

A field may also have `min`/`max` (numbers; else the type's range, see values.py) and a
`standaard`: the value an instance starts with, so a diagram may read an optional field.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

from app import yaml_safe
from app.catalogue.durations import is_duration
from app.catalogue.fields import access_rules, parse_fields
from app.catalogue.model import Access, Catalogue

# What `stroom catalogue init` writes where only the process owner can answer; a catalogue
# that still holds it is refused, so a draft never deploys half done.
PLACEHOLDER = "IN TE VULLEN"


def _placeholders(value: Any, where: str = "") -> list[str]:
    if isinstance(value, str):
        return [where or "(catalogus)"] if value.strip() == PLACEHOLDER else []
    if isinstance(value, dict):
        return [
            p
            for k, v in value.items()
            for p in _placeholders(v, f"{where}.{k}" if where else str(k))
        ]
    if isinstance(value, list):
        return [p for i, v in enumerate(value) for p in _placeholders(v, f"{where}[{i}]")]
    return []


class CatalogueError(ValueError):
    def __init__(self, file: str, problems: list[str]) -> None:
        super().__init__("\n".join(f"{file}: {p}" for p in problems))
        self.file = file
        self.problems = problems


def catalogue_path(diagram: Path) -> Path:
    return diagram.with_name(diagram.stem + ".catalogus.yaml")


def _processes(value: Any, problems: list[str]) -> list[str]:
    """`proces: key`, or a list of keys when one catalogue covers several processes (the
    pools of one diagram file, or a process and the ones it calls): the same rules for all."""
    keys = value if isinstance(value, list) else [value]
    if not keys or not all(isinstance(k, str) and k.strip() for k in keys):
        problems.append("'proces' is de sleutel van een proces of een lijst van sleutels")
        return []
    if len(set(keys)) != len(keys):
        problems.append("'proces' noemt een proces twee keer")
    return [k.strip() for k in keys]


def for_process(catalogue: Catalogue, key: str) -> Catalogue | None:
    """The catalogue as the one of process `key` (None when it does not cover it): a version
    stores its own tree, with `proces: key`, so its runtime rules name its own process;
    `processes` still lists all it covers (deploy accepts their elements in phases)."""
    if key not in catalogue.processes:
        return None
    if catalogue.processes == (key,):
        return catalogue
    return replace(catalogue, process=key, raw={**catalogue.raw, "proces": key})


def load(path: Path) -> Catalogue:
    try:
        raw = yaml_safe.load(path.read_text("utf-8"))
    except (OSError, yaml_safe.YAMLError) as exc:
        raise CatalogueError(str(path), [f"kan niet lezen: {exc}"]) from exc
    return parse(raw, str(path))


def parse(raw: Any, file: str) -> Catalogue:
    """Every section by its own parser; all problems of all sections at once."""
    if not isinstance(raw, dict):
        raise CatalogueError(file, ["een catalogus is een YAML-object"])
    problems = [
        f"'{key}' ontbreekt"
        for key in ("proces", "verwerkingsactiviteit", "partijen", "fasen", "velden")
        if key not in raw
    ]
    if problems:
        raise CatalogueError(file, problems)
    todo = _placeholders(raw)
    if todo:
        raise CatalogueError(file, [f"{where}: nog {PLACEHOLDER!r}; vul het in" for where in todo])
    parties = _parties(raw["partijen"], problems)
    phases = _phases(raw["fasen"], problems)
    consents = {str(k): str(v) for k, v in (raw.get("toestemmingen") or {}).items()}
    fields = parse_fields(raw["velden"], parties, phases, consents, problems)
    processes = _processes(raw["proces"], problems)
    catalogue = Catalogue(
        process=processes[0] if processes else "",
        processes=tuple(processes),
        activity=str(raw["verwerkingsactiviteit"]),
        file=file,
        parties=parties,
        phases=phases,
        consents=consents,
        fields=fields,
        systems=_systems(raw.get("systemen"), fields, problems),
        signal=_signal(raw.get("melding"), fields, problems),
        settings=_settings(raw.get("instellingen"), problems),
        messages=_messages(raw.get("berichten"), fields, problems),
        message_senders=_message_senders(raw.get("berichten"), parties, problems),
        message_labels=_message_labels(raw.get("berichten"), problems),
        start=_start(raw.get("start"), fields, problems),
        history_retention=_history(raw.get("geschiedenis"), problems),
        notes_read=_notes(raw.get("notities"), parties, phases, consents, problems),
        tasks=_tasks(raw.get("taken"), parties, problems),
        raw=raw,
    )
    if problems:
        raise CatalogueError(file, problems)
    return catalogue


def _notes(
    raw: Any,
    parties: dict[str, Any],
    phases: dict[str, list[str]],
    consents: dict[str, str],
    problems: list[str],
) -> dict[str, Access]:
    if raw is None:
        return {}
    if not isinstance(raw, dict) or set(raw) - {"lezen", "omschrijving"} or "lezen" not in raw:
        problems.append("'notities' kent alleen 'lezen' (per partij de fasen) en 'omschrijving'")
        return {}
    return access_rules(raw["lezen"], parties, phases, consents, "notities lezen", problems)


def _history(raw: Any, problems: list[str]) -> str | None:
    if raw is None:
        return None
    retention = raw.get("bewaartermijn") if isinstance(raw, dict) else None
    if not isinstance(retention, str) or not is_duration(retention):
        problems.append("'geschiedenis' heeft een 'bewaartermijn' zoals P2Y of P6M nodig")
        return None
    if set(raw) - {"bewaartermijn", "omschrijving"}:
        problems.append("'geschiedenis' kent alleen 'bewaartermijn' en 'omschrijving'")
    return retention.strip()


def _parties(raw: Any, problems: list[str]) -> dict[str, dict[str, Any]]:
    if not isinstance(raw, dict) or not raw:
        problems.append("'partijen' moet minstens één partij noemen")
        return {}
    general = 0
    for key, info in raw.items():
        if not isinstance(info, dict):
            continue
        kinds = info.get("soort")
        if kinds is not None:
            if not info.get("melder"):
                problems.append(f"partij {key!r}: 'soort' geldt alleen voor een melder")
            if (
                not isinstance(kinds, list)
                or not all(isinstance(k, str) for k in kinds)
                or not kinds
            ):
                problems.append(f"partij {key!r}: 'soort' is een lijst van organisatiesoorten")
        elif info.get("melder"):
            general += 1
    if general > 1:
        problems.append("hoogstens één melder zonder 'soort' (de partij van elke melder)")
    return raw


def _phases(raw: Any, problems: list[str]) -> dict[str, list[str]]:
    """In order; every flow node belongs to at most one phase."""
    phases = {str(k): [str(e) for e in (v or [])] for k, v in (raw or {}).items()}
    seen: dict[str, str] = {}
    for phase, elements in phases.items():
        for element in elements:
            if element in seen:
                problems.append(
                    f"element {element!r} staat in fase {seen[element]!r} en in fase {phase!r}"
                )
            seen[element] = phase
    return phases


def _settings(raw: Any, problems: list[str]) -> dict[str, dict[str, Any]]:
    settings: dict[str, dict[str, Any]] = {}
    for name, spec in (raw or {}).items():
        if not isinstance(spec, dict) or "waarde" not in spec or not spec.get("omschrijving"):
            problems.append(f"instelling {name!r}: 'waarde' en 'omschrijving' zijn verplicht")
            continue
        bounds = {k: spec[k] for k in ("min", "max") if k in spec}
        if any(isinstance(b, bool) or not isinstance(b, (int, float)) for b in bounds.values()):
            problems.append(f"instelling {name!r}: 'min' en 'max' moeten getallen zijn")
            continue
        settings[str(name)] = dict(spec)
    return settings


def _systems(
    raw: Any, fields: dict[str, Any], problems: list[str]
) -> dict[str, dict[str, list[str]]]:
    systems: dict[str, dict[str, list[str]]] = {}
    for topic, rules in (raw or {}).items():
        rules = rules or {}
        systems[str(topic)] = {
            "lezen": [str(f) for f in rules.get("lezen") or []],
            "schrijven": [str(f) for f in rules.get("schrijven") or []],
        }
        for name in systems[str(topic)]["lezen"] + systems[str(topic)]["schrijven"]:
            if name not in fields:
                problems.append(f"systeem {topic!r}: onbekend veld {name!r}")
    return systems


def _signal(raw: Any, fields: dict[str, Any], problems: list[str]) -> dict[str, list[str]]:
    if not raw:
        return {}
    signal = {key: [str(f) for f in raw.get(key) or []] for key in ("velden", "verplicht", "adres")}
    for key, names in signal.items():
        for name in names:
            if name not in fields:
                problems.append(f"melding {key}: onbekend veld {name!r}")
    for name in signal["verplicht"] + signal["adres"]:
        if name not in signal["velden"]:
            problems.append(f"melding: {name!r} moet ook onder 'velden' staan")
    return signal


def _messages(raw: Any, fields: dict[str, Any], problems: list[str]) -> dict[str, list[str]]:
    """berichten: {name: {verplicht: [fields]}}: what a message must bring."""
    messages: dict[str, list[str]] = {}
    if raw is not None and not isinstance(raw, dict):
        problems.append("'berichten' moet per bericht de velden noemen")
        return messages
    for name, spec in (raw or {}).items():
        names = (spec or {}).get("verplicht") if isinstance(spec, dict) else None
        if names is None and isinstance(spec, dict) and {"afzenders", "omschrijving"} & set(spec):
            names = []  # a message that brings nothing, but says who sends it or what it is
        if not isinstance(names, list):
            problems.append(f"bericht {name!r}: 'verplicht' moet een lijst van velden zijn")
            continue
        messages[str(name)] = [str(n) for n in names]
        for field_name in messages[str(name)]:
            if field_name not in fields:
                problems.append(f"bericht {name!r}: onbekend veld {field_name!r}")
    return messages


def _message_senders(
    raw: Any, parties: dict[str, Any], problems: list[str]
) -> dict[str, list[str]]:
    """berichten: {name: {afzenders: [parties]}}: only an organisation playing one of these
    parties in the case may send the message (the covenant says who informs whom)."""
    senders: dict[str, list[str]] = {}
    if not isinstance(raw, dict):
        return senders  # _messages reports the shape
    for name, spec in raw.items():
        if not isinstance(spec, dict) or "afzenders" not in spec:
            continue
        names = spec["afzenders"]
        if not isinstance(names, list) or not names:
            problems.append(f"bericht {name!r}: 'afzenders' moet een lijst van partijen zijn")
            continue
        unknown = [str(n) for n in names if str(n) not in parties]
        if unknown:
            problems.append(f"bericht {name!r}: onbekende afzenders {unknown}")
            continue
        senders[str(name)] = [str(n) for n in names]
    return senders


def _message_labels(raw: Any, problems: list[str]) -> dict[str, str]:
    """berichten: {name: {omschrijving: text}}: what the message says, for people."""
    labels: dict[str, str] = {}
    for name, spec in (raw or {}).items() if isinstance(raw, dict) else ():
        if not isinstance(spec, dict) or "omschrijving" not in spec:
            continue
        text = spec["omschrijving"]
        if not isinstance(text, str) or not text.strip() or len(text) > 100:
            problems.append(f"bericht {name!r}: 'omschrijving' is tekst van 1 tot 100 tekens")
            continue
        labels[str(name)] = text.strip()
    return labels


def _start(raw: Any, fields: dict[str, Any], problems: list[str]) -> list[str]:
    """start: {verplicht: [fields]}: what every start of a process without a signal brings."""
    if raw is None:
        return []
    names = raw.get("verplicht") if isinstance(raw, dict) else None
    if not isinstance(names, list):
        problems.append("'start' moet 'verplicht' met een lijst van velden hebben")
        return []
    for name in names:
        if name not in fields:
            problems.append(f"start: onbekend veld {name!r}")
    return [str(n) for n in names]


def _tasks(raw: Any, parties: dict[str, Any], problems: list[str]) -> dict[str, str]:
    """taken: {user task id: party}: who does a task the diagram names no party for (a
    diagram from elsewhere, drawn without lanes or groups)."""
    if raw is None:
        return {}
    if not isinstance(raw, dict):
        problems.append("'taken' moet een object {taak-id: partij} zijn")
        return {}
    for element, party in raw.items():
        if str(party) not in parties:
            problems.append(f"taken: taak {element!r} noemt onbekende partij {party!r}")
    return {str(k): str(v) for k, v in raw.items()}


def from_json(data: dict[str, Any]) -> Catalogue:
    return parse(data, f"catalogus van {data.get('proces')}")
