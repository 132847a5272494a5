"""The data catalogue of a process: every case field, why it is there, and who may see it.

A catalogue is a YAML file next to the diagram (`bpmn/<diagram>.catalogus.yaml`). The covenants
spell out which party may receive which personal data in which phase; the catalogue is that
agreement in a form the application enforces (see access.py) and deployment checks (forms,
handlers and timers may only use catalogued fields in ways the catalogue allows).

    proces: voorbeeld_preventie
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
    systemen:                      # service-task topics and the fields they may use
      brp.huishouden: {lezen: [bsn], schrijven: [minderjarigen]}
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

import yaml

CATEGORIES = {
    "identificerend": "Identificerende gegevens (naam, BSN, geboortedatum, referentie)",
    "contact": "Contactgegevens (adres, telefoon, e-mail)",
    "financieel": "Financiële gegevens (huur, achterstand, inkomen, schulden)",
    "huishouden": "Huishouden en gezinssituatie",
    "woonsituatie": "Woonsituatie (vonnis, huurverleden)",
    "gezondheid": "Gezondheidsgegevens (bijzonder persoonsgegeven, AVG art. 9)",
    "proces": "Procesgegevens (besluiten, uitkomsten, data, verwijzingen)",
    "toestemming": "Toestemmingen en bezwaren",
}
# Criminal data (AVG art. 10) may never be processed in these processes (the covenants forbid
# it in so many words): there is deliberately no category for it, and names that suggest it
# are refused.
FORBIDDEN_NAME = re.compile(
    r"strafrecht|strafbaar|crimin|justiti|delict|veroordeling|politie", re.I
)
LEGAL_BASES = {
    "toestemming": "AVG art. 6 lid 1 a (toestemming)",
    "overeenkomst": "AVG art. 6 lid 1 b (overeenkomst)",
    "wettelijke_verplichting": "AVG art. 6 lid 1 c (wettelijke verplichting)",
    "vitaal_belang": "AVG art. 6 lid 1 d (vitaal belang)",
    "publieke_taak": "AVG art. 6 lid 1 e (publieke taak)",
    "gerechtvaardigd_belang": "AVG art. 6 lid 1 f (gerechtvaardigd belang)",
}
TYPES = ("tekst", "getal", "bedrag", "datum", "tijdstip", "ja_nee", "keuze", "lijst", "object")
FORMATS = (
    "postcode",
    "bsn",
    "telefoon",
    "email",
    "datum_verleden",
    "datum_toekomst",
    "maand",
    "huisnummer",
    "document",  # the number of a document of the case (checked on completion)
)
ALL = "*"


class CatalogueError(ValueError):
    def __init__(self, file: str, problems: list[str]) -> None:
        super().__init__("\n".join(f"{file}: {p}" for p in problems))
        self.file = file
        self.problems = problems


@dataclass(frozen=True)
class Access:
    """Who may read or write a field: the phases per party, and a consent it may need."""

    phases: frozenset[str] | None  # None = every phase
    consent: str | None = None

    def allows(self, phase: str | None) -> bool:
        return self.phases is None or (phase is not None and phase in self.phases)


@dataclass
class Field:
    name: str
    description: str
    category: str
    type: str
    purpose: str
    legal_basis: str
    source: str
    retention: str
    example: Any
    read: dict[str, Access]
    write: dict[str, Access]
    options: list[str] = field(default_factory=list)
    # A yes/no field that records the resident's decision in the consent registry.
    records_consent: str | None = None
    # How values are checked where they come in (signals, forms): see FORMATS.
    format: str | None = None
    max_length: int | None = None


# Companions of a consent field: channel, evidence (a document id or a reference), and who
# decided (the resident or a representative).
CONSENT_COMPANIONS = ("kanaal", "bewijs", "door")


@dataclass
class Catalogue:
    process: str
    activity: str
    file: str
    parties: dict[str, dict[str, Any]]
    phases: dict[str, list[str]]
    consents: dict[str, str]
    fields: dict[str, Field]
    systems: dict[str, dict[str, list[str]]]
    # The signal a partner sends to start a case: its fields (in column order), the required
    # ones, and those that make up the address (for matching signals into one case).
    signal: dict[str, list[str]] = field(default_factory=dict)
    # The covenant's terms (days, working days, dates in the month) with their defaults:
    # {name: {"waarde": 5, "omschrijving": "...", "bron": "art. 3.5"}}. A municipality can
    # set its own value (process_setting table); diagrams read them with instelling(naam).
    settings: dict[str, dict[str, Any]] = field(default_factory=dict)
    raw: dict[str, Any] = field(default_factory=dict, repr=False)

    @property
    def reporting_party(self) -> str | None:
        for key, info in self.parties.items():
            if info.get("melder"):
                return key
        return None

    def phase_of(self, element: str) -> str | None:
        for phase, elements in self.phases.items():
            if element in elements:
                return phase
        return None

    def phase_order(self, phase: str) -> int:
        return list(self.phases).index(phase)

    def readable(
        self, party: str, phase: str | None, consents: set[str] | frozenset[str] = frozenset()
    ) -> list[str]:
        return [
            name
            for name, f in self.fields.items()
            if party in f.read
            and f.read[party].allows(phase)
            and (f.read[party].consent is None or f.read[party].consent in consents)
        ]

    def writable(self, party: str, phase: str | None) -> list[str]:
        names = [
            name
            for name, f in self.fields.items()
            if party in f.write and f.write[party].allows(phase)
        ]
        return names + [c for c, base in self.consent_companions().items() if base in names]

    def consent_companions(self) -> dict[str, str]:
        """Fields that go with a consent field `x` into the registry (`kanaal_x`, `bewijs_x`,
        `door_x`) without being catalogued: they are not case data, so they need no entry.
        Maps each to its consent field."""
        return {
            f"{prefix}_{name}": name
            for name, f in self.fields.items()
            if f.records_consent
            for prefix in CONSENT_COMPANIONS
            if f"{prefix}_{name}" not in self.fields
        }

    def party_names(self) -> dict[str, str]:
        """Every way a diagram may name a party (its key, or its name as a lane)."""
        from app.engine.parser import group_key

        names: dict[str, str] = {}
        for key, info in self.parties.items():
            names[key] = key
            names[group_key(str(info.get("naam") or key))] = key
        return names

    def party_for(self, *candidates: str | None) -> str | None:
        """The first candidate (explicit `partij`, candidate group, lane) naming a party."""
        from app.engine.parser import group_key

        names = self.party_names()
        for value in candidates:
            if value and (value in names or group_key(value) in names):
                return names.get(value) or names[group_key(value)]
        return None

    def examples(self) -> dict[str, Any]:
        return {name: f.example for name, f in self.fields.items()}

    def to_json(self) -> dict[str, Any]:
        """Stored with each deployed version, so running instances keep their rules: the
        file as written (dates as ISO text), parsed again by `from_json`."""
        return _plain_tree(self.raw)


def catalogue_path(diagram: Path) -> Path:
    return diagram.with_name(diagram.stem + ".catalogus.yaml")


def load(path: Path) -> Catalogue:
    try:
        raw = yaml.safe_load(path.read_text("utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise CatalogueError(str(path), [f"kan niet lezen: {exc}"]) from exc
    return parse(raw, str(path))


def parse(raw: Any, file: str) -> Catalogue:
    problems: list[str] = []
    if not isinstance(raw, dict):
        raise CatalogueError(file, ["een catalogus is een YAML-object"])
    for key in ("proces", "verwerkingsactiviteit", "partijen", "fasen", "velden"):
        if key not in raw:
            problems.append(f"'{key}' ontbreekt")
    if problems:
        raise CatalogueError(file, problems)
    parties = raw["partijen"] or {}
    phases = {str(k): [str(e) for e in (v or [])] for k, v in (raw["fasen"] or {}).items()}
    consents = {str(k): str(v) for k, v in (raw.get("toestemmingen") or {}).items()}
    if not isinstance(parties, dict) or not parties:
        problems.append("'partijen' moet minstens één partij noemen")
        parties = {}
    seen: dict[str, str] = {}
    for phase, elements in phases.items():
        for element in elements:
            if element in seen:
                problems.append(
                    f"element {element!r} staat in fase {seen[element]!r} en in fase {phase!r}"
                )
            seen[element] = phase

    fields: dict[str, Field] = {}
    for name, spec in (raw["velden"] or {}).items():
        where = f"veld {name!r}"
        if not isinstance(spec, dict):
            problems.append(f"{where}: moet een object zijn")
            continue
        if not str(name).isidentifier() or str(name).startswith("_"):
            problems.append(f"{where}: geen geldige variabelenaam")
        if FORBIDDEN_NAME.search(str(name)) or FORBIDDEN_NAME.search(
            str(spec.get("omschrijving", ""))
        ):
            problems.append(f"{where}: strafrechtelijke gegevens mogen niet worden verwerkt")
        for key in ("omschrijving", "categorie", "type", "doel", "grondslag", "bewaartermijn"):
            if not spec.get(key):
                problems.append(f"{where}: '{key}' ontbreekt")
        category = spec.get("categorie")
        if category and category not in CATEGORIES:
            problems.append(
                f"{where}: onbekende categorie {category!r} (toegestaan: {', '.join(CATEGORIES)})"
            )
        basis = spec.get("grondslag")
        if basis and basis not in LEGAL_BASES:
            problems.append(
                f"{where}: onbekende grondslag {basis!r} (toegestaan: {', '.join(LEGAL_BASES)})"
            )
        kind = spec.get("type")
        if kind and kind not in TYPES:
            problems.append(f"{where}: onbekend type {kind!r} (toegestaan: {', '.join(TYPES)})")
        if "voorbeeld" not in spec:
            problems.append(f"{where}: 'voorbeeld' ontbreekt (nodig om termijnen te toetsen)")
        read = _access(
            spec.get("lezen") or {}, parties, phases, consents, f"{where} lezen", problems
        )
        write = _access(
            spec.get("schrijven") or {}, parties, phases, consents, f"{where} schrijven", problems
        )
        fields[str(name)] = Field(
            name=str(name),
            description=str(spec.get("omschrijving", "")),
            category=str(category or ""),
            type=str(kind or ""),
            purpose=str(spec.get("doel", "")),
            legal_basis=str(basis or ""),
            source=str(spec.get("bron", "")),
            retention=str(spec.get("bewaartermijn", "")),
            example=spec.get("voorbeeld"),
            read=read,
            write=write,
            options=[str(o) for o in spec.get("opties") or []],
            records_consent=spec.get("registreert_toestemming"),
            format=spec.get("formaat"),
            max_length=int(spec["max_lengte"]) if spec.get("max_lengte") else None,
        )
        if spec.get("formaat") and spec["formaat"] not in FORMATS:
            problems.append(
                f"{where}: onbekend formaat {spec['formaat']!r} (toegestaan: {', '.join(FORMATS)})"
            )
        if spec.get("registreert_toestemming") and spec["registreert_toestemming"] not in consents:
            problems.append(f"{where}: onbekende toestemming {spec['registreert_toestemming']!r}")
    settings: dict[str, dict[str, Any]] = {}
    for name, spec in (raw.get("instellingen") or {}).items():
        if not isinstance(spec, dict) or "waarde" not in spec or not spec.get("omschrijving"):
            problems.append(f"instelling {name!r}: 'waarde' en 'omschrijving' zijn verplicht")
            continue
        bounds = {k: spec[k] for k in ("min", "max") if k in spec}
        if any(isinstance(b, bool) or not isinstance(b, (int, float)) for b in bounds.values()):
            problems.append(f"instelling {name!r}: 'min' en 'max' moeten getallen zijn")
            continue
        settings[str(name)] = dict(spec)
    systems: dict[str, dict[str, list[str]]] = {}
    for topic, rules in (raw.get("systemen") or {}).items():
        rules = rules or {}
        systems[str(topic)] = {
            "lezen": [str(f) for f in rules.get("lezen") or []],
            "schrijven": [str(f) for f in rules.get("schrijven") or []],
        }
        for name in systems[str(topic)]["lezen"] + systems[str(topic)]["schrijven"]:
            if name not in fields:
                problems.append(f"systeem {topic!r}: onbekend veld {name!r}")
    signal: dict[str, list[str]] = {}
    if raw.get("melding"):
        spec = raw["melding"]
        signal = {
            key: [str(f) for f in spec.get(key) or []] for key in ("velden", "verplicht", "adres")
        }
        for key, names in signal.items():
            for name in names:
                if name not in fields:
                    problems.append(f"melding {key}: onbekend veld {name!r}")
        for name in signal["verplicht"] + signal["adres"]:
            if name not in signal["velden"]:
                problems.append(f"melding: {name!r} moet ook onder 'velden' staan")
    if problems:
        raise CatalogueError(file, problems)
    return Catalogue(
        process=str(raw["proces"]),
        activity=str(raw["verwerkingsactiviteit"]),
        file=file,
        parties=parties,
        phases=phases,
        consents=consents,
        fields=fields,
        systems=systems,
        signal=signal,
        settings=settings,
        raw=raw,
    )


def from_json(data: dict[str, Any]) -> Catalogue:
    return parse(data, f"catalogus van {data.get('proces')}")


def _access(
    raw: Any,
    parties: dict[str, Any],
    phases: dict[str, list[str]],
    consents: dict[str, str],
    where: str,
    problems: list[str],
) -> dict[str, Access]:
    if not isinstance(raw, dict):
        problems.append(f"{where}: moet per partij de fasen noemen")
        return {}
    result: dict[str, Access] = {}
    for party, rule in raw.items():
        if party not in parties:
            problems.append(f"{where}: onbekende partij {party!r}")
            continue
        consent = None
        if isinstance(rule, dict):
            consent = rule.get("toestemming")
            rule = rule.get("fasen", ALL)
            if consent is not None and consent not in consents:
                problems.append(f"{where}: onbekende toestemming {consent!r}")
        if rule == ALL:
            result[party] = Access(None, consent)
            continue
        if not isinstance(rule, list):
            problems.append(f"{where} {party}: '*' of een lijst van fasen")
            continue
        unknown = [p for p in rule if p not in phases]
        if unknown:
            problems.append(f"{where} {party}: onbekende fasen {unknown}")
        result[party] = Access(frozenset(str(p) for p in rule), consent)
    return result


def _plain_tree(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _plain_tree(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain_tree(v) for v in value]
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    return value


def names_in(expression: str) -> set[str]:
    """Variables an expression reads (for checking flows of data against the catalogue)."""
    try:
        tree = ast.parse(expression.strip(), mode="eval")
    except SyntaxError:
        return set()
    return {
        node.id
        for node in ast.walk(tree)
        if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Load)
    }
