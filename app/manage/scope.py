"""Who sees which instances in process monitoring.

Managers and team leads see the instances their organisation plays a party in (the access
layer answers 404 for others); operators (role beheerder) see every instance but no case
data; process owners (procesbeheerder) see aggregates (heatmaps, deadline performance) of
every process, and the incidents and instance pages of the processes they own: those of
their municipality's cases (a process owner of the installation itself, without a
municipality, owns every process). Case data they see only as a party in the case.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import distinct, exists, func, select
from sqlalchemy.orm import Session

from app.auth.principal import Principal
from app.engine.errors import NotFound
from app.engine.models import Incident, IncidentStatus, InstanceParty, ProcessInstance
from app.privacy import access

MANAGER = "manager"
TEAM_LEAD = "teamleider"
OPERATOR = "beheerder"
PROCESS_OWNER = "procesbeheerder"

# The stuck list, instance pages and actions on them.
MONITOR_ROLES = (MANAGER, TEAM_LEAD, OPERATOR)
# Heatmaps and deadline performance (aggregates only).
OVERVIEW_ROLES = (*MONITOR_ROLES, PROCESS_OWNER)
# Incidents, instance pages and repairing them: the monitors, and process owners for the
# processes they own (`owns`).
REPAIR_ROLES = (*MONITOR_ROLES, PROCESS_OWNER)
# Giving a waiting task to someone else is work management, not repair.
REASSIGN_ROLES = (MANAGER, TEAM_LEAD)


@dataclass(frozen=True)
class Scope:
    """A set of instances: all of them, or those one organisation plays a party in."""

    organisation_id: int | None = None
    # A process owner's processes: the cases of one municipality.
    municipality: str | None = None

    @property
    def everything(self) -> bool:
        return self.organisation_id is None and self.municipality is None

    def condition(self, instance_id: Any, per_row: bool = False) -> Any:
        """SQL condition on an instance-id column; None when nothing is filtered.

        Set-based by default: EXISTS on the organisation's parties, a semi-join that
        PostgreSQL answers with one hash of the organisation's cases for the whole query (or
        with index probes, as it estimates best). Heatmaps, charts, the overview and the stuck
        list's big queries filter thousands of rows: measured in bench/stuck.py with 100,000
        instances, the semi-join made the overview's count 3x and the heatmap 2x faster, and
        the list's `risico` and `stil` queries faster, than a probe per row.

        per_row: a probe per row instead (a scalar subquery with LIMIT 1), whose cost follows
        the rows being filtered, not the size of the organisation. Cheaper where a query
        filters a few hundred rows (incidents, late tasks, awaited messages): there the
        hash of an organisation's 25,000 cases costs more than the probes. Both forms select
        the same instances (tests/manage/test_scope.py)."""
        if self.municipality is not None:
            return instance_id.in_(
                select(ProcessInstance.id).where(ProcessInstance.municipality == self.municipality)
            )
        if self.organisation_id is None:
            return None
        if not per_row:
            return exists().where(
                InstanceParty.organisation_id == self.organisation_id,
                InstanceParty.instance_id == instance_id,
            )
        probe = (
            select(InstanceParty.party)
            .where(
                InstanceParty.organisation_id == self.organisation_id,
                InstanceParty.instance_id == instance_id,
            )
            .limit(1)
            .scalar_subquery()
        )
        return probe.is_not(None)

    def apply(self, query: Any, instance_id: Any, per_row: bool = False) -> Any:
        condition = self.condition(instance_id, per_row)
        return query if condition is None else query.where(condition)


def is_operator(principal: Principal) -> bool:
    return OPERATOR in principal.roles


def is_process_owner_only(principal: Principal) -> bool:
    return PROCESS_OWNER in principal.roles and not principal.roles & set(MONITOR_ROLES)


def owns(principal: Principal, row: ProcessInstance) -> bool:
    """Is the case one of a process the principal owns (see the module's docstring)?"""
    return PROCESS_OWNER in principal.roles and principal.municipality in (None, row.municipality)


def case_scope(principal: Principal, organisation_id: int | None = None) -> Scope:
    """The instances on the stuck list. Operators may narrow it to one organisation."""
    if is_operator(principal):
        return Scope(organisation_id)
    if is_process_owner_only(principal):
        return Scope(None, principal.municipality)
    return Scope(principal.organisation_id if principal.organisation_id is not None else -1)


def overview_scope(principal: Principal) -> Scope:
    """The instances counted in heatmaps and charts."""
    if principal.roles & {OPERATOR, PROCESS_OWNER}:
        return Scope(None)
    return Scope(principal.organisation_id if principal.organisation_id is not None else -1)


def find_instance(session: Session, principal: Principal, instance_id: str) -> ProcessInstance:
    """The instance, if the principal may see it; NotFound otherwise (also for instances of
    other organisations, so their existence leaks nothing)."""
    if is_operator(principal):
        row = session.get(ProcessInstance, instance_id)
        if row is None:
            raise NotFound(f"procesinstantie {instance_id} bestaat niet")
        return row
    try:
        row, _parties = access.visible_instance(session, principal, instance_id)
    except NotFound:
        row = session.get(ProcessInstance, instance_id)
        if row is None or not owns(principal, row):
            raise
    return row


def cases_with_incidents(session: Session, principal: Principal) -> int:
    """How many cases on the principal's incident list (Storingen) have an open incident:
    the signal in a team lead's inbox."""
    query = (
        select(func.count(distinct(Incident.instance_id)))
        .join(ProcessInstance, ProcessInstance.id == Incident.instance_id)
        .where(Incident.status == IncidentStatus.OPEN.value)
    )
    return int(
        session.scalar(case_scope(principal).apply(query, ProcessInstance.id, per_row=True)) or 0
    )
