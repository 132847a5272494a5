"""The catalogue's `velden` section: every case field, its category, legal basis, retention
and example, and per party in which phases it may be read or written (and with which consent).
"""

from __future__ import annotations

from typing import Any

from app.catalogue.durations import is_duration
from app.catalogue.model import (
    ALL,
    CATEGORIES,
    FORBIDDEN_NAME,
    FORMATS,
    LEGAL_BASES,
    TYPES,
    Access,
    Field,
)

_REQUIRED = ("omschrijving", "categorie", "type", "doel", "grondslag", "bewaartermijn")


def parse_fields(
    raw: Any,
    parties: dict[str, Any],
    phases: dict[str, list[str]],
    consents: dict[str, str],
    problems: list[str],
) -> dict[str, Field]:
    fields: dict[str, Field] = {}
    for name, spec in (raw or {}).items():
        where = f"veld {name!r}"
        if not isinstance(spec, dict):
            problems.append(f"{where}: moet een object zijn")
            continue
        _check_field(str(name), spec, consents, where, problems)
        retention = spec.get("bewaartermijn")
        if retention not in (None, "") and not is_duration(str(retention)):
            problems.append(f"{where}: bewaartermijn {retention!r} is geen duur zoals P6M of P2Y")
        read = access_rules(
            spec.get("lezen") or {}, parties, phases, consents, f"{where} lezen", problems
        )
        write = access_rules(
            spec.get("schrijven") or {}, parties, phases, consents, f"{where} schrijven", problems
        )
        fields[str(name)] = Field(
            name=str(name),
            description=str(spec.get("omschrijving", "")),
            category=str(spec.get("categorie") or ""),
            type=str(spec.get("type") or ""),
            purpose=str(spec.get("doel", "")),
            legal_basis=str(spec.get("grondslag") or ""),
            source=str(spec.get("bron", "")),
            retention=str(spec.get("bewaartermijn", "")),
            example=spec.get("voorbeeld"),
            read=read,
            write=write,
            options=[str(o) for o in spec.get("opties") or []],
            records_consent=spec.get("registreert_toestemming"),
            format=spec.get("formaat"),
            max_length=int(spec["max_lengte"]) if spec.get("max_lengte") else None,
            minimum=spec.get("min"),
            maximum=spec.get("max"),
            default=spec.get("standaard"),
            has_default="standaard" in spec,
        )
        _check_rules(fields[str(name)], where, problems)
    return fields


def _check_field(
    name: str, spec: dict[str, Any], consents: dict[str, str], where: str, problems: list[str]
) -> None:
    if not name.isidentifier() or name.startswith("_"):
        problems.append(f"{where}: geen geldige variabelenaam")
    if FORBIDDEN_NAME.search(name) or FORBIDDEN_NAME.search(str(spec.get("omschrijving", ""))):
        problems.append(f"{where}: strafrechtelijke gegevens mogen niet worden verwerkt")
    for key in _REQUIRED:
        if not spec.get(key):
            problems.append(f"{where}: '{key}' ontbreekt")
    for key, allowed, unknown in (
        ("categorie", CATEGORIES, "onbekende categorie"),
        ("grondslag", LEGAL_BASES, "onbekende grondslag"),
        ("type", TYPES, "onbekend type"),
        ("formaat", FORMATS, "onbekend formaat"),
    ):
        value = spec.get(key)
        if value and value not in allowed:
            problems.append(f"{where}: {unknown} {value!r} (toegestaan: {', '.join(allowed)})")
    if "voorbeeld" not in spec:
        problems.append(f"{where}: 'voorbeeld' ontbreekt (nodig om termijnen te toetsen)")
    consent = spec.get("registreert_toestemming")
    if consent and consent not in consents:
        problems.append(f"{where}: onbekende toestemming {consent!r}")


def _check_rules(field: Field, where: str, problems: list[str]) -> None:
    """`min`/`max` only on numbers and in order; a `standaard` the field itself accepts."""
    from app.catalogue.values import FieldProblem, clean

    bounds = {k: v for k, v in (("min", field.minimum), ("max", field.maximum)) if v is not None}
    if bounds and field.type not in ("getal", "bedrag"):
        problems.append(f"{where}: 'min' en 'max' horen bij een getal of bedrag")
        return
    if any(isinstance(v, bool) or not isinstance(v, (int, float)) for v in bounds.values()):
        problems.append(f"{where}: 'min' en 'max' moeten getallen zijn")
        return
    if len(bounds) == 2 and bounds["min"] > bounds["max"]:
        problems.append(f"{where}: 'min' is groter dan 'max'")
    if field.has_default and field.default is not None:
        try:
            clean(field, field.default)
        except FieldProblem as exc:
            problems.append(f"{where}: 'standaard' {exc}")


def access_rules(
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
        written = False
        if isinstance(rule, dict):
            consent = rule.get("toestemming")
            written = {"ja": True, "nee": False}.get(
                rule.get("schriftelijk"), rule.get("schriftelijk", False)
            )
            rule = rule.get("fasen", ALL)
            if consent is not None and consent not in consents:
                problems.append(f"{where}: onbekende toestemming {consent!r}")
            if not isinstance(written, bool):
                problems.append(f"{where} {party}: 'schriftelijk' is ja of nee (true of false)")
                written = False
            elif written and consent is None:
                problems.append(f"{where} {party}: 'schriftelijk' zonder 'toestemming'")
        if rule == ALL:
            result[party] = Access(None, consent, written)
            continue
        if not isinstance(rule, list):
            problems.append(f"{where} {party}: '*' of een lijst van fasen")
            continue
        unknown = [p for p in rule if p not in phases]
        if unknown:
            problems.append(f"{where} {party}: onbekende fasen {unknown}")
        result[party] = Access(frozenset(str(p) for p in rule), consent, written)
    return result
