"""The data catalogue in the browser: which file a process owner edits, a field or the
settings from a posted form into the catalogue's tree (written into the file by
app/catalogue/source.py, checked by the deploy's own code in views), and the privacy officer's
approval of a catalogue that widens who may read personal data (app/catalogue/widening.py).

The file a process owner edits (and a publish takes along) is, in this order: the draft's;
the one the newest version was published with from the browser; the server's file in bpmn/,
as `stroom deploy` takes it; else the newest version's tree written out anew (its comments are
gone: a version keeps only the tree). Widenings are always judged against the catalogue the
newest version runs with, so a server file changed since counts as part of the change."""

from __future__ import annotations

import difflib
import hashlib
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app import clock, yaml_safe
from app.auth.principal import Principal
from app.catalogue import Catalogue, catalogue_path, from_json, parse
from app.catalogue.fields import access_rules
from app.catalogue.model import CATEGORIES, FORMATS, LEGAL_BASES, TYPES
from app.catalogue.source import Rewritten, rewrite, tree
from app.catalogue.widening import Widening, widenings
from app.db import Database
from app.engine.models import ProcessDefinition, ProcessVersion
from app.modelling.models import (
    ApprovalStatus,
    CatalogueApproval,
    CatalogueSource,
    ProcessDraft,
)
from app.privacy import logs

SIMPLE = ("omschrijving", "categorie", "type", "formaat", "doel", "grondslag", "bron")
REQUIRED = ("omschrijving", "categorie", "type", "doel", "grondslag", "bewaartermijn")
LABELS = {
    "naam": "Naam van het veld",
    "omschrijving": "Omschrijving",
    "categorie": "Categorie",
    "type": "Soort waarde",
    "formaat": "Formaat",
    "doel": "Doel",
    "grondslag": "Grondslag",
    "bron": "Bron (artikel of bijlage)",
    "bewaartermijn": "Bewaartermijn",
    "voorbeeld": "Voorbeeld",
    "max_lengte": "Hoogstens zoveel tekens",
    "opties": "Keuzes (een per regel)",
}
CHOICES = {
    "categorie": list(CATEGORIES.items()),
    "type": [(t, t.replace("_", "/")) for t in TYPES],
    "formaat": [("", "geen"), *((f, f.replace("_", " ")) for f in FORMATS)],
    "grondslag": list(LEGAL_BASES.items()),
}
RIGHTS = {"lezen": "lezen", "schrijven": "schrijven"}


def file_name(version: ProcessVersion) -> str:
    return catalogue_path(Path(version.source_name)).name


def published_text(session: Session, bpmn_dir: Path, version: ProcessVersion) -> tuple[str, bool]:
    """(the newest version's catalogue file, whether it had to be written anew)."""
    key = version.definition.key
    source = session.get(CatalogueSource, key)
    if source is not None and source.version == version.version:
        return source.text, False
    server = catalogue_path(bpmn_dir / version.source_name)
    if server.is_file():  # what `stroom deploy` would take (it may be newer than the version)
        return server.read_text("utf-8"), False
    if not version.catalogue:
        return "", False
    return rewrite("{}\n", version.catalogue).text, True


def current_text(
    session: Session, bpmn_dir: Path, version: ProcessVersion, draft: ProcessDraft | None
) -> tuple[str, bool]:
    if draft is not None and draft.catalogue is not None:
        return draft.catalogue, False
    return published_text(session, bpmn_dir, version)


def loaded(text: str, name: str) -> Catalogue:
    """The catalogue of a text the editor saved (it was checked when saved)."""
    return parse(yaml_safe.load(text), name)


# -- a field from the form -------------------------------------------------------------------


def _shown(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "ja" if value else "nee"
    return str(value)


def field_values(spec: dict[str, Any], catalogue: Catalogue, name: str) -> dict[str, Any]:
    """What the field's form shows: its values as text, and per right and party the rule."""
    values: dict[str, Any] = {k: _shown(spec.get(k)) for k in (*SIMPLE, "bewaartermijn")}
    values["voorbeeld"] = _shown(spec.get("voorbeeld"))
    values["max_lengte"] = _shown(spec.get("max_lengte"))
    values["opties"] = "\n".join(str(o) for o in spec.get("opties") or [])
    field = catalogue.fields.get(name)
    for right in RIGHTS:
        rules = getattr(field, "read" if right == "lezen" else "write", {}) if field else {}
        for party in catalogue.parties:
            access = rules.get(party)
            values[f"{right}-{party}"] = {
                "alle": access is not None and access.phases is None,
                "fasen": sorted(access.phases) if access and access.phases else [],
                "toestemming": access.consent if access else "",
                "schriftelijk": bool(access and access.written),
            }
    return values


def _same_access(catalogue: Catalogue, party: str, a: Any, b: Any) -> bool:
    rules = [
        access_rules(
            {party: raw}, catalogue.parties, catalogue.phases, catalogue.consents, "", []
        ).get(party)
        for raw in (a, b)
    ]
    return rules[0] == rules[1]


def _rules(form: Any, right: str, old: Any, catalogue: Catalogue) -> dict[str, Any] | Any:
    """The parties' rules of one right from the form; a party's rule that means what it
    meant is kept as written."""
    old_rules = old if isinstance(old, dict) else {}
    rules: dict[str, Any] = {}
    for party in catalogue.parties:
        prefix = f"{right}-{party}"
        every = bool(form.get(f"{prefix}-alle"))
        chosen = [p for p in catalogue.phases if p in form.getlist(f"{prefix}-fasen")]
        consent = form.get(f"{prefix}-toestemming", "").strip() or None
        written = bool(form.get(f"{prefix}-schriftelijk"))
        if not every and not chosen:
            if party in old_rules and _same_access(catalogue, party, old_rules[party], []):
                rules[party] = old_rules[party]
            continue
        phases: Any = "*" if every else chosen
        rule: Any = phases
        if consent or written:
            rule = {"fasen": phases}
            if consent:
                rule["toestemming"] = consent
            if written:
                rule["schriftelijk"] = True
        if party in old_rules and _same_access(catalogue, party, old_rules[party], rule):
            rule = old_rules[party]
        rules[party] = rule
    # Rules for parties the catalogue does not know stay, so the parser names them.
    rules.update({p: r for p, r in old_rules.items() if p not in catalogue.parties})
    if old is not None and _same_rules(catalogue, old_rules, rules):
        return old
    return rules


def _same_rules(catalogue: Catalogue, a: dict[str, Any], b: dict[str, Any]) -> bool:
    if a.keys() != b.keys():
        return False
    return all(_same_access(catalogue, p, a[p], b[p]) for p in a)


def _example(text: str, kind: str) -> Any:
    if kind in ("getal", "bedrag"):
        try:
            number = float(text.replace(",", "."))
        except ValueError:
            return text
        return int(number) if number.is_integer() and kind == "getal" else number
    if kind == "ja_nee" and text.lower() in ("ja", "nee"):
        return text.lower() == "ja"
    return text


def apply_field(
    spec: dict[str, Any], form: Any, catalogue: Catalogue
) -> tuple[dict[str, Any], dict[str, str]]:
    """The field's entry with the form's values: what the form does not show stays, what it
    shows unchanged stays as written (a quoted date stays quoted). Only what cannot be put in
    the file is an error here; the rest the catalogue's parser judges."""
    new = dict(spec)
    errors: dict[str, str] = {}
    for key in (*SIMPLE, "bewaartermijn", "voorbeeld"):
        text = form.get(key, "").strip()
        if text == _shown(spec.get(key)) and (key in spec or not text):
            continue
        if not text and key not in REQUIRED and key != "voorbeeld":
            new.pop(key, None)
        elif key == "voorbeeld":
            new[key] = _example(text, form.get("type", "") or str(spec.get("type", "")))
        else:
            new[key] = text
    length = form.get("max_lengte", "").strip()
    if length != _shown(spec.get("max_lengte")):
        if not length:
            new.pop("max_lengte", None)
        elif length.isdigit() and int(length) > 0:
            new["max_lengte"] = int(length)
        else:
            errors["max_lengte"] = "Vul een geheel getal groter dan 0 in, of laat het leeg."
    options = [line.strip() for line in form.get("opties", "").splitlines() if line.strip()]
    if options != [str(o) for o in spec.get("opties") or []]:
        if options:
            new["opties"] = options
        else:
            new.pop("opties", None)
    for right in RIGHTS:
        rules = _rules(form, right, spec.get(right), catalogue)
        if rules or right in spec:
            new[right] = rules
    return new, errors


def apply_settings(settings: dict[str, Any], form: Any) -> tuple[dict[str, Any], dict[str, str]]:
    new: dict[str, Any] = {}
    errors: dict[str, str] = {}
    for name, spec in settings.items():
        entry = dict(spec) if isinstance(spec, dict) else spec
        if isinstance(entry, dict):
            for key in ("waarde", "omschrijving", "bron"):
                text = form.get(f"{name}-{key}", _shown(entry.get(key))).strip()
                if text == _shown(entry.get(key)):
                    continue
                if key == "waarde" and isinstance(entry.get(key), bool):
                    # A yes/no term (e.g. whether a waiting list is over capacity).
                    if text in ("ja", "nee"):
                        entry[key] = text == "ja"
                    else:
                        errors[f"{name}-{key}"] = "Kies ja of nee."
                elif key == "waarde":
                    try:
                        entry[key] = int(text) if text.lstrip("-").isdigit() else float(text)
                    except ValueError:
                        errors[f"{name}-{key}"] = "Vul een getal in."
                elif text or key != "bron":
                    entry[key] = text
                else:
                    entry.pop(key, None)
        new[name] = entry
    return new, errors


def with_field(text: str, name: str, spec: dict[str, Any] | None) -> Rewritten:
    """The file with one field replaced, added or (spec None) removed."""
    edited = tree(text)
    fields = edited.setdefault("velden", {})
    if spec is None:
        fields.pop(name, None)
    else:
        fields[name] = spec
    return rewrite(text, edited)


def with_settings(text: str, settings: dict[str, Any]) -> Rewritten:
    edited = tree(text)
    edited["instellingen"] = settings
    return rewrite(text, edited)


def text_diff(old: str, new: str) -> str:
    """The change as lines of the file (unified diff, three lines of context): what the owner
    publishes and what the privacy officer approves, beside the widenings in words."""
    return "".join(
        difflib.unified_diff(
            old.splitlines(keepends=True),
            new.splitlines(keepends=True),
            "gepubliceerd",
            "concept",
        )
    )


def version_row(session: Session, key: str, number: int) -> ProcessVersion | None:
    return session.scalar(
        select(ProcessVersion)
        .join(ProcessDefinition)
        .where(ProcessDefinition.key == key, ProcessVersion.version == number)
    )


# -- four eyes -------------------------------------------------------------------------------


def digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def widened(version: ProcessVersion, text: str) -> list[Widening]:
    """What the catalogue text lets parties read that the newest version's does not."""
    if not version.catalogue:
        return []
    return widenings(from_json(version.catalogue), loaded(text, file_name(version)))


def as_json(found: list[Widening]) -> list[dict[str, Any]]:
    return [
        {"soort": w.kind, "veld": w.field, "partij": w.party, "omschrijving": w.description}
        for w in found
    ]


def approval(
    session: Session, key: str, version: int, text: str, status: str
) -> CatalogueApproval | None:
    return session.scalar(
        select(CatalogueApproval)
        .where(
            CatalogueApproval.process_key == key,
            CatalogueApproval.based_on == version,
            CatalogueApproval.digest == digest(text),
            CatalogueApproval.status == status,
        )
        .order_by(CatalogueApproval.id.desc())
        .limit(1)
    )


def request_approval(
    session: Session, key: str, version: int, text: str, found: list[Widening], actor: str
) -> tuple[CatalogueApproval, bool]:
    """The pending request for this text (made now, or earlier: (row, False))."""
    row = approval(session, key, version, text, ApprovalStatus.PENDING)
    if row is not None:
        return row, False
    lapse(session, key)
    row = CatalogueApproval(
        process_key=key,
        based_on=version,
        digest=digest(text),
        catalogue=text,
        widenings=as_json(found),
        requested_by=actor,
        requested_at=clock.now(),
        status=ApprovalStatus.PENDING,
    )
    session.add(row)
    session.flush()
    return row, True


@dataclass
class Held:
    """A catalogue text that may not be published yet: it widens who may read personal data
    and the privacy officer has not approved this text (`request` is the waiting request,
    None in a dry run)."""

    key: str
    found: list[Widening]
    request: CatalogueApproval | None
    new_request: bool


def hold(session: Session, key: str, text: str, actor: str, ask: bool = True) -> Held | None:
    """None when the text may be published (no widening against the newest version, or this
    very text was approved); else what holds it, with the request made (when `ask`). Every
    way of publishing asks this, so a process owner cannot get around the four eyes by
    sending the catalogue through the API or the Camunda Modeler."""
    version = session.scalar(
        select(ProcessVersion)
        .join(ProcessDefinition)
        .where(ProcessDefinition.key == key)
        .order_by(ProcessVersion.version.desc())
        .limit(1)
    )
    if version is None:
        return None  # a new process: nothing was readable before; deploy checks the rest
    found = widened(version, text)
    if not found or approval(session, key, version.version, text, ApprovalStatus.APPROVED):
        return None
    if not ask:
        return Held(key, found, None, False)
    row, new = request_approval(session, key, version.version, text, found, actor)
    return Held(key, found, row, new)


def hold_texts(
    session: Session, texts: Iterable[tuple[str, str]], actor: str, ask: bool = True
) -> list[tuple[str, Held]]:
    """`hold` for each catalogue text of a publication ((file name, text) pairs): what holds
    which file. A text that is no catalogue deploy can read is left to deploy's problems."""
    found: list[tuple[str, Held]] = []
    for name, text in texts:
        try:
            keys = loaded(text, name).processes
        except Exception:  # noqa: BLE001 - deploy reports what is wrong with it
            continue
        for key in keys:
            held = hold(session, key, text, actor, ask=ask)
            if held is not None:
                found.append((name, held))
    return found


def audit_request(
    db: Database, secret_key: str, principal: Principal, held: Held, channel: str
) -> None:
    assert held.request is not None
    logs.audit(
        db,
        secret_key,
        principal,
        "catalogus.goedkeuring_vragen",
        "catalogusgoedkeuring",
        str(held.request.id),
        "gelukt",
        {
            "proces": held.key,
            "versie": held.request.based_on,
            "kanaal": channel,
            "verruimingen": held.request.widenings,
        },
    )


def held_message(held: Held) -> str:
    what = "; ".join(w.description for w in held.found[:5])
    more = f" (en nog {len(held.found) - 5})" if len(held.found) > 5 else ""
    waiting = (
        f" Verzoek {held.request.id} staat bij de privacyfunctionaris (Privacy → Goedkeuringen);"
        " publiceer opnieuw zodra het is goedgekeurd."
        if held.request is not None
        else " Bij publiceren gaat een verzoek naar de privacyfunctionaris."
    )
    return (
        "de catalogus geeft meer leesrecht op persoonsgegevens dan de nieuwste versie ("
        + what
        + more
        + "); dat publiceert pas na goedkeuring door de privacyfunctionaris."
        + waiting
    )


def lapse(session: Session, key: str) -> None:
    """The process's waiting requests are no longer to be decided (see ApprovalStatus)."""
    for row in session.scalars(
        select(CatalogueApproval).where(
            CatalogueApproval.process_key == key,
            CatalogueApproval.status == ApprovalStatus.PENDING,
        )
    ):
        row.status = ApprovalStatus.LAPSED


def pending(session: Session) -> list[CatalogueApproval]:
    return list(
        session.scalars(
            select(CatalogueApproval)
            .where(CatalogueApproval.status == ApprovalStatus.PENDING)
            .order_by(CatalogueApproval.requested_at)
        )
    )
