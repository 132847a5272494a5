"""Repair of one incident by people (issue 19): what went wrong in plain Dutch, the case data
the failed step reads that the viewer may write, and the repair itself (the values checked
by the catalogue's rules, written through the engine's retry with data, audited and in the
processing log). Moving the instance elsewhere is app.engine.modification; cancelling is
actions.change_state.

Who may write which field is the catalogue's answer for the parties the viewer's organisation
plays in the case, in the case's current phase (app.privacy.access): an operator whose
organisation has no part in the case sees which party can supply the data, not a field.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.orm import Session

from app.auth.principal import Principal
from app.catalogue.values import FieldProblem, clean
from app.engine import modification, service
from app.engine.errors import NotFound
from app.engine.models import Incident, IncidentStatus, ProcessInstance, ProcessVersion
from app.engine.runtime import version_catalogue
from app.manage.actions import ActionError, Context, _perform
from app.manage.scope import find_instance
from app.privacy import access

NAME_ERROR = re.compile(r"name '([A-Za-z_][A-Za-z0-9_]*)' is not defined")
NONE_ERROR = re.compile(r"NoneType|None")
FIELD_PREFIX = "veld-"

KINDS = {
    "job": "Een koppeling met een ander systeem gaf een fout.",
    "timer": "De termijn van deze stap kon niet worden berekend.",
    "expression": "Een voorwaarde of berekening in het proces kon niet worden uitgevoerd.",
    "script": "Een berekening in deze stap kon niet worden uitgevoerd.",
    # app/engine/failures.py: the worker tried a few times, then stopped trying.
    "timer_firing": (
        "De termijn van deze stap is verstreken, maar het systeem kon de zaak niet verder "
        "laten gaan; de zaak staat stil. Als de oorzaak is verholpen, kunt u het opnieuw "
        "proberen: dan gaat de termijn alsnog af."
    ),
    "state_limit": (
        "De zaak is te groot geworden: een bericht voor deze zaak is geweigerd. Vraag de "
        "proceseigenaar de zaak te verkleinen of de grens te verhogen; daarna kan de afzender "
        "het bericht opnieuw sturen."
    ),
}


@dataclass
class RepairField:
    name: str
    label: str
    type: str
    missing: bool  # not in the case, or empty
    writable: bool
    options: list[str] = field(default_factory=list)

    @property
    def option_pairs(self) -> list[tuple[str, str]]:
        return [(str(o), str(o)) for o in self.options]


@dataclass
class Explanation:
    step: str
    what: str  # plain Dutch
    fields: list[RepairField]
    who_can: list[str]  # names of the parties that may write the fields the step needs
    technical: str

    @property
    def writable(self) -> list[RepairField]:
        return [f for f in self.fields if f.writable]


def writable_names(
    session: Session, principal: Principal, row: ProcessInstance, element: str | None
) -> set[str]:
    """What the viewer's parties in the case may record there now: the catalogue's answer
    for the case's phase (or, for a case that failed before it entered one, the phase of
    the failed step)."""
    catalogue = version_catalogue(session, row.version_id)
    if catalogue is None:
        return set()
    phase = row.phase or (catalogue.phase_of(element) if element else None)
    names: set[str] = set()
    for party in access.parties_of(session, principal, row.id) - {access.SYSTEM_PARTY}:
        names.update(catalogue.writable(party, phase))
    return names


def explain(
    session: Session, principal: Principal, row: ProcessInstance, incident: Incident
) -> Explanation:
    version = session.get(ProcessVersion, row.version_id)
    elements = (version.elements if version else None) or {}
    info = elements.get(incident.element_id or "", {})
    step = str(info.get("name") or incident.element_id or "onbekende stap")
    catalogue = version_catalogue(session, row.version_id)
    catalogued = catalogue.fields if catalogue else {}
    named = NAME_ERROR.findall(incident.message)
    reads = [n for n in [*named, *(info.get("reads") or [])] if n in catalogued]
    data = row.data or {}
    may_write = writable_names(session, principal, row, incident.element_id)
    fields = [
        RepairField(
            name,
            catalogued[name].description,
            catalogued[name].type,
            data.get(name) in (None, ""),
            name in may_write,
            list(catalogued[name].options),
        )
        for name in dict.fromkeys(reads)
    ]
    missing = [f for f in fields if f.missing]
    if named:
        labels = ", ".join(
            f"‘{catalogued[n].description if n in catalogued else n}’" for n in named
        )
        what = f"Het gegeven {labels} ontbreekt in de zaak, en deze stap heeft het nodig."
    elif incident.kind in ("script", "expression") and NONE_ERROR.search(incident.message):
        what = "Een gegeven dat deze stap gebruikt is leeg" + (
            ": " + ", ".join(f"‘{f.label}’" for f in missing) + "." if missing else "."
        )
    else:
        what = KINDS.get(incident.kind, "De stap liep vast op een fout.")
        if incident.kind == "job":
            what += " Als dat systeem weer werkt, kunt u het opnieuw proberen."
    who = {
        str(catalogue.parties.get(p, {}).get("naam") or p)
        for f in (missing or fields)
        for p in (catalogued[f.name].write if catalogue else {})
    }
    technical = incident.message + (f"\n\n{incident.details}" if incident.details else "")
    return Explanation(step, what, fields, sorted(who), technical)


def incident_of(
    ctx: Context, instance_id: str, incident_id: int
) -> tuple[ProcessInstance, Incident]:
    row = find_instance(ctx.session, ctx.principal, instance_id)
    incident = ctx.session.get(Incident, incident_id)
    if incident is None or incident.instance_id != row.id:
        raise NotFound(f"storing {incident_id} bestaat niet")
    return row, incident


def read_values(
    ctx: Context, row: ProcessInstance, explanation: Explanation, form: Any
) -> dict[str, Any]:
    """The values given on the form (empty inputs are not changes), each checked by the
    catalogue's rule for its field; only fields of the step the viewer may write."""
    catalogue = version_catalogue(ctx.session, row.version_id)
    offered = {f.name: f for f in explanation.writable}
    values: dict[str, Any] = {}
    errors: dict[str, str] = {}
    for key in form:
        if not key.startswith(FIELD_PREFIX):
            continue
        name = key[len(FIELD_PREFIX) :]
        raw = form.get(key, "").strip()
        if raw == "":
            continue
        if name not in offered:
            errors[name] = "U mag dit gegeven niet vastleggen in deze zaak."
            continue
        try:
            values[name] = clean(catalogue.fields[name], raw)
        except FieldProblem as exc:
            errors[name] = f"{offered[name].label} {exc}."
    if errors:
        raise RepairRefused(errors)
    return values


class RepairRefused(Exception):
    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__("herstel geweigerd")
        self.errors = errors


@dataclass
class Outcome:
    fixed: bool  # the step ran (or its job is queued again)
    queued: bool  # a job: the worker runs it at its next tick
    message: str  # the incident's message after the retry


def repair(
    ctx: Context,
    row: ProcessInstance,
    incident: Incident,
    reason: str,
    values: dict[str, Any],
    step: str,
) -> Outcome:
    """Add `values` to the failed step and run it again; audited either way, the written
    fields (names, never values) in the processing log."""
    if incident.status != IncidentStatus.OPEN.value:
        raise ActionError("Deze storing is al opgelost.")
    incident_id, queued = incident.id, incident.job_id is not None
    _perform(
        ctx,
        "herstellen",
        row.id,
        reason,
        lambda: service.retry_incident(
            ctx.session, incident_id, ctx.principal.actor, reason, values or None
        ),
        {"storing": incident_id, "stap": step, "velden": sorted(values)},
    )
    if values:
        access.record_write(
            ctx.db,
            ctx.secret_key,
            ctx.principal,
            row,
            sorted(values),
            version_catalogue(ctx.session, row.version_id),
            "casus.vastleggen",
            f"storing herstellen bij ‘{step}’: {reason}",
        )
    after = ctx.session.get(Incident, incident_id)
    assert after is not None
    ctx.session.refresh(after)
    return Outcome(after.status != IncidentStatus.OPEN.value, queued, after.message)


def move(
    ctx: Context,
    row: ProcessInstance,
    cancel: list[str],
    start_at: str,
    reason: str,
    dry_run: bool,
) -> modification.Modification:
    """Process instance modification: the dry run changes nothing and is not audited; doing
    it is (with what stopped and where it started)."""
    if dry_run:
        return modification.modify(
            ctx.session, row.id, cancel, start_at, ctx.principal.actor, reason, True
        )
    plan: list[modification.Modification] = []
    _perform(
        ctx,
        "verplaatsen",
        row.id,
        reason,
        lambda: plan.append(
            modification.modify(
                ctx.session, row.id, cancel, start_at, ctx.principal.actor, reason, False
            )
        ),
        {"gestopt": sorted(cancel), "gestart": start_at},
    )
    return plan[0]
