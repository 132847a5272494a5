"""The one access layer for case data.

Everything that shows or changes case data — pages, the API, exports, handlers — asks here.
It decides from the process's data catalogue which fields the viewer's party may see in the
case's current phase (and with which consents), refuses writes the catalogue does not allow,
and writes a processing-log line (what, why, about whom) and an audit line (who) for each
access. Objects of other organisations are reported as not found, so their existence leaks
nothing.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.auth.principal import Principal
from app.catalogue import Catalogue
from app.db import Database
from app.engine.errors import InvalidInput, NotFound
from app.engine.models import InstanceParty, ProcessInstance
from app.engine.runtime import version_catalogue
from app.privacy import logs
from app.privacy.models import Consent

SYSTEM_PARTY = "*"


@dataclass
class CaseView:
    instance: ProcessInstance
    parties: set[str]
    phase: str | None
    fields: dict[str, Any]
    hidden: list[str] = field(default_factory=list)  # names only, never values
    catalogue: Catalogue | None = None

    def label(self, name: str) -> str:
        if self.catalogue and name in self.catalogue.fields:
            return self.catalogue.fields[name].description
        return name


def parties_of(session: Session, principal: Principal, instance_id: str) -> set[str]:
    """The catalogue parties the principal's organisation plays in this case."""
    if principal.is_system:
        return {SYSTEM_PARTY}
    return set(
        session.scalars(
            select(InstanceParty.party).where(
                InstanceParty.instance_id == instance_id,
                InstanceParty.organisation_id == principal.organisation_id,
            )
        ).all()
    )


def visible_instance(
    session: Session, principal: Principal, instance_id: str
) -> tuple[ProcessInstance, set[str]]:
    """The instance and the viewer's parties in it; NotFound when the viewer's organisation
    plays no part in it (the same answer as for an instance that does not exist)."""
    row = session.get(ProcessInstance, instance_id)
    parties = parties_of(session, principal, instance_id) if row is not None else set()
    if row is None or not parties:
        raise NotFound(f"procesinstantie {instance_id} bestaat niet")
    return row, parties


def given_consents(session: Session, instance_id: str) -> set[str]:
    """Scopes with a consent given and not withdrawn (the latest record per scope counts);
    a consent in writing also as scope + WRITTEN (for read rules with `schriftelijk: ja`)."""
    latest: dict[str, Consent] = {}
    for row in session.scalars(
        select(Consent)
        .where(Consent.instance_id == instance_id)
        .order_by(Consent.recorded_at, Consent.id)
    ):
        latest[row.scope] = row
    from app.catalogue.model import WRITTEN
    from app.privacy.consent import in_writing

    given = {scope for scope, row in latest.items() if row.given and row.withdrawn_at is None}
    return given | {scope + WRITTEN for scope in given if in_writing(latest[scope])}


def readable_fields(
    catalogue: Catalogue | None,
    parties: set[str],
    phase: str | None,
    consents: set[str],
    data: dict[str, Any],
) -> list[str]:
    if SYSTEM_PARTY in parties:
        return sorted(data)
    if catalogue is None:
        return []  # without a catalogue nothing about the case is shown to anyone
    allowed: set[str] = set()
    for party in parties:
        allowed.update(catalogue.readable(party, phase, consents))
    return sorted(allowed)


def read_case(
    db: Database,
    session: Session,
    principal: Principal,
    instance_id: str,
    purpose: str,
    secret_key: str,
) -> CaseView:
    try:
        row, parties = visible_instance(session, principal, instance_id)
    except NotFound:
        logs.audit(
            db, secret_key, principal, "casus.lezen", "procesinstantie", instance_id, "geweigerd"
        )
        raise
    catalogue = version_catalogue(session, row.version_id)
    consents = given_consents(session, row.id)
    data = dict(row.data or {})
    allowed = readable_fields(catalogue, parties, row.phase, consents, data)
    fields = {name: data[name] for name in allowed if name in data}
    hidden = sorted(set(data) - set(fields))
    record_reads(db, secret_key, principal, [(row, sorted(fields), catalogue)], purpose)
    return CaseView(row, parties, row.phase, fields, hidden, catalogue)


def record_reads(
    db: Database,
    secret_key: str,
    principal: Principal,
    reads: list[tuple[ProcessInstance, list[str], Catalogue | None]],
    purpose: str,
) -> None:
    """One processing line per case whose data was shown, and one audit line per case."""
    processings, audits = [], []
    for row, names, catalogue in reads:
        if not names:
            continue
        categories = sorted(
            {catalogue.fields[n].category for n in names if catalogue and n in catalogue.fields}
        )
        processings.append(
            logs.Processing(
                name="casusgegevens inzien",
                activity_id=catalogue.activity if catalogue else row.definition_key,
                subject_kind="zaak",
                subject_value=row.id,
                attributes={
                    "doel": purpose,
                    "categorieen": categories,
                    "proces": row.definition_key,
                    "fase": row.phase,
                },
            )
        )
        audits.append(
            logs.audit_row(
                principal,
                "casus.lezen",
                "procesinstantie",
                row.id,
                details={"velden": names, "doel": purpose},
            )
        )
    logs.write(db, secret_key, processings=processings, audits=audits)


def check_writable(
    catalogue: Catalogue | None,
    party: str | None,
    phase: str | None,
    data: dict[str, Any],
    principal: Principal,
) -> None:
    """Refuse, per field, what the catalogue does not let this party record in this phase."""
    if principal.is_system or not data:
        return
    if catalogue is None:
        raise InvalidInput(
            "dit proces heeft geen gegevenscatalogus; er kan niets worden vastgelegd"
        )
    allowed = set(catalogue.writable(party, phase)) if party else set()
    errors = {
        name: [
            f"mag door {catalogue.parties.get(party, {}).get('naam', party or '?')} "
            f"in fase {phase or '?'} niet worden vastgelegd"
            if name in catalogue.fields or name in catalogue.consent_companions()
            else "staat niet in de gegevenscatalogus"
        ]
        for name in data
        if name not in allowed
    }
    if errors:
        raise InvalidInput("velden die niet mogen worden vastgelegd", errors)


def record_write(
    db: Database,
    secret_key: str,
    principal: Principal,
    row: ProcessInstance,
    names: list[str],
    catalogue: Catalogue | None,
    action: str,
    purpose: str,
) -> None:
    categories = sorted(
        {catalogue.fields[n].category for n in names if catalogue and n in catalogue.fields}
    )
    logs.write(
        db,
        secret_key,
        processings=[
            logs.Processing(
                name="casusgegevens vastleggen",
                activity_id=catalogue.activity if catalogue else row.definition_key,
                subject_kind="zaak",
                subject_value=row.id,
                attributes={
                    "doel": purpose,
                    "categorieen": categories,
                    "proces": row.definition_key,
                    "fase": row.phase,
                },
            )
        ],
        audits=[
            logs.audit_row(
                principal,
                action,
                "procesinstantie",
                row.id,
                details={"velden": sorted(names), "doel": purpose},
            )
        ],
    )
