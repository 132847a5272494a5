"""Feedback to a reporting partner: per signal, what the partner may learn.

What a partner may see is the catalogue's business: the fields the reporting party may read
in the case's current phase (as a covenant's feedback article or return overview says), plus
the outcome
in DDAS terms as the partner may learn it (for "not picked up: other reason" only that).
Everything goes through the access layer, so every export is in the processing log.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.auth.principal import Principal
from app.db import Database
from app.engine.errors import InvalidInput
from app.engine.models import ProcessInstance
from app.engine.runtime import version_catalogue
from app.intake.ddas import for_partner
from app.intake.models import Signal, SignalCase
from app.privacy import access


@dataclass
class Feedback:
    columns: list[str]
    labels: list[str]
    rows: list[list[Any]]


def feedback(
    db: Database, session: Session, principal: Principal, period: str, secret_key: str
) -> Feedback:
    if principal.organisation_id is None:
        raise InvalidInput(
            "terugkoppeling is per partner", {"partner": ["gebruik het token van de melder"]}
        )
    signals = session.execute(
        select(Signal, ProcessInstance)
        .join(SignalCase, SignalCase.id == Signal.case_id)
        .join(ProcessInstance, ProcessInstance.id == SignalCase.instance_id)
        .where(Signal.organisation_id == principal.organisation_id, Signal.period == period)
        .order_by(Signal.id)
    ).all()
    columns: list[str] = ["referentie", "periode"]
    labels: dict[str, str] = {
        "referentie": "Uw referentie",
        "periode": "Maand van melding",
        "resultaat": "Resultaat",
    }
    per_row: list[dict[str, Any]] = []
    reads = []
    for signal, instance in signals:
        catalogue = version_catalogue(session, instance.version_id)
        parties = access.parties_of(session, principal, instance.id)
        consents = access.given_consents(session, instance.id)
        data = dict(instance.data or {})
        names = access.readable_fields(catalogue, parties, instance.phase, consents, data)
        row = {
            "referentie": signal.reference,
            "periode": signal.period,
            "resultaat": for_partner(data.get("eindresultaat")),
        }
        for name in names:
            if name in ("eindresultaat",) or name not in data:
                continue
            row[name] = data[name]
            if name not in columns:
                columns.append(name)
                labels[name] = catalogue.fields[name].description if catalogue else name
        per_row.append(row)
        reads.append((instance, sorted(n for n in names if n in data), catalogue))
    access.record_reads(db, secret_key, principal, reads, "terugkoppeling aan melder")
    columns.append("resultaat")
    return Feedback(
        columns, [labels[c] for c in columns], [[row.get(c) for c in columns] for row in per_row]
    )
