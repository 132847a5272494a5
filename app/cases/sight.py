"""What the catalogue lets a viewer see of one case beyond its fields: consent records and
documents. The case page, the download, the task page and the service functions that let
someone name a document in a case's data all ask here.

A document is shown to the organisation that uploaded it, with the consent it is evidence
of (to whoever sees that consent), and to whoever may read a field of the catalogue's
`document` type that names it by number. Nothing else names a document: not its file name,
which any text field could repeat."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.auth.models import ApiToken, User
from app.auth.principal import Principal
from app.cases.documents import document_number
from app.cases.models import Document
from app.catalogue import Catalogue
from app.engine.errors import InvalidInput
from app.engine.models import ProcessInstance
from app.engine.runtime import version_catalogue
from app.privacy import access, consent
from app.privacy.models import Consent

UNKNOWN_DOCUMENT = "deze zaak heeft geen document met dit nummer"


@dataclass
class Sight:
    """What the catalogue lets the viewer's parties see of one case, beyond its fields."""

    parties: set[str]
    catalogue: Catalogue | None
    phase: str | None
    readable: dict[str, Any]  # the fields the viewer may read, with their values
    consent_scopes: set[str] = field(default_factory=set)  # consent records shown
    withdrawable: set[str] = field(default_factory=set)  # scopes the viewer may withdraw


def sight(session: Session, principal: Principal, row: ProcessInstance, parties: set[str]) -> Sight:
    catalogue = version_catalogue(session, row.version_id)
    given = access.given_consents(session, row.id)
    data = dict(row.data or {})
    names = access.readable_fields(catalogue, parties, row.phase, given, data)
    result = Sight(parties, catalogue, row.phase, {n: data[n] for n in names if n in data})
    if catalogue is None:
        return result
    everything = access.SYSTEM_PARTY in parties
    for name, spec in catalogue.fields.items():
        scope = spec.records_consent
        if not scope:
            continue
        may_write = everything or any(party in spec.write for party in parties)
        may_read = everything or name in names
        if may_read or may_write:
            result.consent_scopes.add(scope)
        if may_write:
            result.withdrawable.add(scope)
    return result


def own_actors(session: Session, principal: Principal, actors: set[str]) -> set[str]:
    """The actors (`user:<name>`, `token:<name>`) who belong to the viewer's organisation."""
    if principal.is_system:
        return set(actors)
    users = sorted({a[5:] for a in actors if a.startswith("user:")})
    tokens = sorted({a[6:] for a in actors if a.startswith("token:")})
    own: set[str] = set()
    if users:
        own.update(
            f"user:{name}"
            for name in session.scalars(
                select(User.username).where(
                    User.username.in_(users), User.organisation_id == principal.organisation_id
                )
            )
        )
    if tokens:
        own.update(
            f"token:{name}"
            for name in session.scalars(
                select(ApiToken.name).where(
                    ApiToken.name.in_(tokens), ApiToken.organisation_id == principal.organisation_id
                )
            )
        )
    return own


def document_fields(catalogue: Catalogue | None, values: dict[str, Any]) -> dict[str, int | None]:
    """The fields of the catalogue's `document` type among `values`, with the number each
    names (None: not a number). Blank values name nothing."""
    if catalogue is None:
        return {}
    return {
        name: document_number(value)
        for name, value in values.items()
        if (spec := catalogue.fields.get(name)) is not None
        and spec.format == "document"
        and not _blank(value)
    }


def _evidence_fields(catalogue: Catalogue | None, values: dict[str, Any]) -> dict[str, int]:
    """The evidence of a consent (`bewijs_<field>`) that names a document: all digits (other
    text is a reference outside Stroom)."""
    if catalogue is None:
        return {}
    keys = {
        consent.companion_keys(name)["evidence"]
        for name, spec in catalogue.fields.items()
        if spec.records_consent
    }
    return {
        name: number
        for name, value in values.items()
        if name in keys and (number := document_number(value)) is not None
    }


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def visible_documents(
    session: Session, principal: Principal, instance_id: str, seen: Sight, consents: list[Consent]
) -> tuple[list[Document], int]:
    """The case's documents the viewer may open, and how many others there are."""
    rows = session.scalars(
        select(Document).where(Document.instance_id == instance_id).order_by(Document.uploaded_at)
    ).all()
    own = own_actors(session, principal, {r.uploaded_by for r in rows if r.uploaded_by})
    evidence = {
        c.evidence_document_id
        for c in consents
        if c.evidence_document_id and c.scope in seen.consent_scopes
    }
    numbered = set(document_fields(seen.catalogue, seen.readable).values())
    shown = [r for r in rows if r.uploaded_by in own or r.id in evidence or r.id in numbered]
    return shown, len(rows) - len(shown)


def check_document_references(
    session: Session, principal: Principal, row: ProcessInstance, values: dict[str, Any]
) -> None:
    """Someone who names a document in a case's data (a document field, a consent's
    evidence) names one they may open themselves: else naming another organisation's file
    would show it to every reader of the field. The same answer as for a number that does
    not exist, so it tells nothing about the documents one may not see."""
    if principal.is_system:
        return
    catalogue = version_catalogue(session, row.version_id)
    named = {**document_fields(catalogue, values), **_evidence_fields(catalogue, values)}
    if not named:
        return
    parties = access.parties_of(session, principal, row.id)
    seen = sight(session, principal, row, parties)
    shown, _hidden = visible_documents(
        session, principal, row.id, seen, consent.history(session, row.id)
    )
    ids = {d.id for d in shown}
    errors = {name: [UNKNOWN_DOCUMENT] for name, number in named.items() if number not in ids}
    if errors:
        raise InvalidInput("onbekend document", errors)
