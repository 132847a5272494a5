"""The case list (*Zaken*): the cases the viewer's organisation plays a part in, newest first,
searchable by case number and, where the catalogue lets the viewer's party read it in the
case's phase without a consent, by the name of the household (the inbox's rule,
app.tasks.inbox.name_readable). Names shown are logged as read by the caller."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import and_, exists, func, or_, select
from sqlalchemy.orm import Session

from app.auth.principal import Principal
from app.engine.models import InstanceParty, ProcessInstance
from app.engine.runtime import version_catalogue
from app.tasks.inbox import NAME_FIELD, _json_text, name_readable

PAGE_SIZE = 50
MAX_QUERY = 100


@dataclass(frozen=True)
class CaseRow:
    instance: ProcessInstance
    name: str | None  # only where the viewer may read it


def visible_cases(
    session: Session, principal: Principal, q: str | None = None, size: int = PAGE_SIZE
) -> tuple[list[CaseRow], bool]:
    """The first `size` cases (newest first) matching `q`, and whether there are more."""
    if principal.organisation_id is None:
        return [], False
    ours = and_(
        InstanceParty.instance_id == ProcessInstance.id,
        InstanceParty.organisation_id == principal.organisation_id,
    )
    query = select(ProcessInstance).where(exists().where(ours))
    text = (q or "").strip().lower()
    if text:
        pattern = f"%{text}%"
        by_name = and_(
            exists().where(
                ours,
                name_readable(
                    session, principal, InstanceParty.party, ProcessInstance.definition_key
                ),
            ),
            func.lower(_json_text(session, ProcessInstance.data, NAME_FIELD)).like(pattern),
        )
        query = query.where(or_(func.lower(ProcessInstance.business_key).like(pattern), by_name))
    found = session.scalars(
        query.order_by(ProcessInstance.started_at.desc(), ProcessInstance.id).limit(size + 1)
    ).all()
    more = len(found) > size
    rows = []
    for instance in found[:size]:
        parties = session.scalars(
            select(InstanceParty.party).where(
                InstanceParty.instance_id == instance.id,
                InstanceParty.organisation_id == principal.organisation_id,
            )
        ).all()
        catalogue = version_catalogue(session, instance.version_id)
        readable = catalogue is not None and any(
            NAME_FIELD in catalogue.readable(party, instance.phase) for party in parties
        )
        name = (instance.data or {}).get(NAME_FIELD) if readable else None
        rows.append(CaseRow(instance, str(name) if name not in (None, "") else None))
    return rows, more


def cases_with_party(
    session: Session, process: str, municipality: str, party: str, *columns: Any
) -> list[Any]:
    """Rows of `columns` of a municipality's cases of one process that were not cancelled,
    each with the name of the organisation playing `party` (None when nobody does): what the
    municipalities' reports count per corporation."""
    from app.auth.models import Organisation
    from app.engine.models import InstanceStatus

    return list(
        session.execute(
            select(*columns, Organisation.name)
            .outerjoin(
                InstanceParty,
                (InstanceParty.instance_id == ProcessInstance.id) & (InstanceParty.party == party),
            )
            .outerjoin(Organisation, Organisation.id == InstanceParty.organisation_id)
            .where(
                ProcessInstance.definition_key == process,
                ProcessInstance.municipality == municipality,
                ProcessInstance.status != InstanceStatus.CANCELLED.value,
            )
        ).all()
    )
