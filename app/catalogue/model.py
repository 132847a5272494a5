"""The data catalogue of a process, as the application holds it: parties, phases, consents,
fields with who may read and write them, the covenant's settings, the systems (service-task
topics) and the signal. Parsed from YAML by app/catalogue/parser.py.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from app.catalogue.names import group_key

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


@dataclass(frozen=True)
class Access:
    """Who may read or write a field: the phases per party, and a consent it may need (in
    writing, with `schriftelijk: ja`: on paper with the signed form in the case, or digital)."""

    phases: frozenset[str] | None  # None = every phase
    consent: str | None = None
    written: bool = False

    def allows(self, phase: str | None) -> bool:
        return self.phases is None or (phase is not None and phase in self.phases)

    @property
    def needs(self) -> str | None:
        """The key the given consents must hold: the scope, or scope + WRITTEN."""
        if self.consent is None:
            return None
        return self.consent + WRITTEN if self.written else self.consent


# A consent given in writing counts as its scope plus this, among the given consents
# (app.privacy.access.given_consents).
WRITTEN = ":schriftelijk"


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
    # The range of a number (`min`/`max`; else the type's, see values.py).
    minimum: float | None = None
    maximum: float | None = None
    # `standaard`: the value an instance starts with when nobody supplied one, so diagrams
    # may read an optional field (deploy's data-flow analysis counts it as written).
    default: Any = None
    has_default: bool = False


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
    # Messages that carry case data: {message name: [fields it must bring]}; the message
    # door refuses one without them, so a diagram may read them after the catch.
    messages: dict[str, list[str]] = field(default_factory=dict)
    # Who may send a message from outside ({message name: [parties]}, `afzenders`); a message
    # without it may come from any organisation with a part in the case.
    message_senders: dict[str, list[str]] = field(default_factory=dict)
    # What a message says, for people (`omschrijving`): the label of its button on the case page.
    message_labels: dict[str, str] = field(default_factory=dict)
    # A process without a signal: the fields every start must bring (`start: {verplicht}`).
    start: list[str] = field(default_factory=list)
    # How long a finished case's history (who did what, with operators' reasons) is kept
    # (`geschiedenis: {bewaartermijn: P7Y}`); without it, the history goes when the last field
    # of the case does.
    history_retention: str | None = None
    # Who reads the notes other organisations write on a case (`notities: {lezen: {...}}`,
    # per party and phase, as for a field); without it, notes stay with their writer's
    # organisation.
    notes_read: dict[str, Access] = field(default_factory=dict)
    # User tasks whose party the diagram does not name: {element id: party}.
    tasks: dict[str, str] = field(default_factory=dict)
    raw: dict[str, Any] = field(default_factory=dict, repr=False)
    # Every process this catalogue covers (`proces:` may list several); `process` is the first.
    processes: tuple[str, ...] = ()

    @property
    def reporting_party(self) -> str | None:
        """The party every reporting partner plays (the first `melder` without `soort`)."""
        for key, info in self.parties.items():
            if info.get("melder") and not info.get("soort"):
                return key
        return None

    def reporting_parties(self, kind: str | None) -> list[str]:
        """The parties a reporting partner of this organisation kind plays: the general one,
        and those for its kind only (`soort: [woningcorporatie]`), so a field can be for the
        corporation that reported and not for an insurer or energy company that did."""
        return [
            key
            for key, info in self.parties.items()
            if info.get("melder") and (not info.get("soort") or kind in info["soort"])
        ]

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
            and (f.read[party].needs is None or f.read[party].needs in consents)
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
        names: dict[str, str] = {}
        for key, info in self.parties.items():
            names[key] = key
            names[group_key(str(info.get("naam") or key))] = key
        return names

    def party_for(self, *candidates: str | None) -> str | None:
        """The first candidate (explicit `partij`, candidate group, lane) naming a party."""
        names = self.party_names()
        for value in candidates:
            if value and (value in names or group_key(value) in names):
                return names.get(value) or names[group_key(value)]
        return None

    def required_at_start(self) -> list[str]:
        """What every start must bring: the signal's required fields, or `start`'s."""
        return list(dict.fromkeys([*self.signal.get("verplicht", []), *self.start]))

    def defaults(self) -> dict[str, Any]:
        """The `standaard` of every field that has one."""
        return {name: f.default for name, f in self.fields.items() if f.has_default}

    def examples(self) -> dict[str, Any]:
        return {name: f.example for name, f in self.fields.items()}

    def to_json(self) -> dict[str, Any]:
        """Stored with each deployed version, so running instances keep their rules: the
        file as written (dates as ISO text), parsed again by `from_json`."""
        return _plain_tree(self.raw)


def _plain_tree(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _plain_tree(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain_tree(v) for v in value]
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    return value
