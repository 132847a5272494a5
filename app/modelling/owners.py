"""Who may change a process: process owners (role procesbeheerder) of the processes they own.

The rule of the monitoring pages (app/manage/scope.py), applied to a process instead of a
case: a process owner of the installation itself (without a municipality) owns every process;
one of a municipality owns the processes only that municipality works with, i.e. whose parties
only that municipality has bound to its teams and whose cases are only that municipality's.
A process another municipality also uses is not one municipality's to change."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.auth.principal import Principal
from app.cases.models import PartyBinding
from app.engine.models import ProcessInstance

PROCESS_OWNER = "procesbeheerder"


def municipalities(session: Session, process_key: str) -> set[str]:
    """The municipalities that work with the process: bound parties, or cases."""
    bound = session.scalars(
        select(PartyBinding.municipality).where(PartyBinding.process_key == process_key).distinct()
    ).all()
    cases = session.scalars(
        select(ProcessInstance.municipality)
        .where(
            ProcessInstance.definition_key == process_key,
            ProcessInstance.municipality.is_not(None),
        )
        .distinct()
    ).all()
    return {m for m in (*bound, *cases) if m}


def owns_process(session: Session, principal: Principal, process_key: str) -> bool:
    if PROCESS_OWNER not in principal.roles:
        return False
    if principal.municipality is None:
        return True
    return municipalities(session, process_key) == {principal.municipality}
