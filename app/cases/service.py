"""Starting a case: the instance, and which organisation plays which party in it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.auth.models import Group, Organisation
from app.auth.principal import Principal
from app.cases.models import PartyBinding
from app.cases.sight import UNKNOWN_DOCUMENT, check_document_references, document_fields
from app.db import Database
from app.engine import service
from app.engine.errors import Conflict, Forbidden, InvalidInput, NotFound
from app.engine.models import (
    InstanceStatus,
    MessageSubscription,
    ProcessInstance,
    ProcessVersion,
    WaitStatus,
)
from app.engine.runtime import Execution, version_catalogue
from app.intake.models import IntakeRoute
from app.privacy import access
from app.privacy.access import check_writable


def default_group(session: Session, organisation_id: int) -> Group | None:
    """An organisation's team for work addressed to the organisation as a whole: the group
    whose key is the organisation's key, else its first group."""
    org = session.get(Organisation, organisation_id)
    groups = session.scalars(
        select(Group).where(Group.organisation_id == organisation_id).order_by(Group.id)
    ).all()
    for group in groups:
        if org is not None and group.key == org.key:
            return group
    return groups[0] if groups else None


def teams_by_key(session: Session, keys: list[str]) -> dict[str, tuple[int, str]]:
    """The candidate groups among `keys` that are teams: {key: (organisation id, key)}. A
    task addressed to a team is done by that team's organisation (app.engine.hooks)."""
    rows = session.execute(
        select(Group.key, Group.organisation_id).where(Group.key.in_(sorted(set(keys))))
    ).all()
    return {key: (organisation_id, key) for key, organisation_id in rows}


def bind_parties(
    session: Session,
    process_key: str,
    catalogue: Any,
    municipality: str | None,
    reporter: Principal | None,
    explicit: dict[str, str] | None = None,
    *,
    check_known: bool = False,
) -> dict[str, tuple[int, str]]:
    """party -> (organisation id, group key) for a new case: the municipality's standing
    bindings, the reporting partner as the reporting party, then explicit group keys.
    `check_known`: a municipality the installation named must be one it knows (checked only
    when it has no binding for this process, so an ordinary start reads nothing more)."""
    parties: dict[str, tuple[int, str]] = {}
    if catalogue is None:
        if check_known and municipality:
            _check_known_municipality(session, municipality)
        return parties
    if municipality:
        # The bindings with their groups in one read (a binding whose group is gone binds
        # nothing): every case start passes here.
        for party, organisation_id, group_key in session.execute(
            select(PartyBinding.party, Group.organisation_id, Group.key)
            .join(Group, Group.key == PartyBinding.group_key)
            .where(
                PartyBinding.process_key == process_key, PartyBinding.municipality == municipality
            )
        ):
            parties[party] = (organisation_id, group_key)
        if check_known and not parties:
            _check_known_municipality(session, municipality)
    if reporter is not None and reporter.organisation_id is not None:
        kind = session.scalar(
            select(Organisation.kind).where(Organisation.id == reporter.organisation_id)
        )
        reporting = catalogue.reporting_parties(str(kind) if kind else None)
        group = default_group(session, reporter.organisation_id) if reporting else None
        if reporting and group is None:
            raise InvalidInput(
                "uw organisatie heeft geen team",
                {"organisatie": ["leg eerst een groep aan voor de organisatie van de melder"]},
            )
        for party in reporting:
            parties[party] = (reporter.organisation_id, group.key)
    for party, group_key in (explicit or {}).items():
        if party not in catalogue.parties:
            raise InvalidInput(
                "onbekende partij",
                {
                    f"parties.{party}": [
                        f"het proces kent de partijen {', '.join(catalogue.parties)}"
                    ]
                },
            )
        group = session.scalar(select(Group).where(Group.key == group_key))
        if group is None:
            raise InvalidInput(
                "onbekende groep", {f"parties.{party}": [f"groep {group_key!r} bestaat niet"]}
            )
        parties[party] = (group.organisation_id, group.key)
    return parties


def start_case(
    session: Session,
    principal: Principal,
    process_key: str,
    *,
    business_key: str | None = None,
    data: dict[str, Any] | None = None,
    municipality: str | None = None,
    parties: dict[str, str] | None = None,
    check_rights: bool = True,
    version: Any = None,
    bound: dict[str, tuple[int, str]] | None = None,
    instance_id: str | None = None,
) -> ProcessInstance:
    """Start a case. `check_rights=False` is for the intake, which validated the partner's
    signal against the catalogue itself and adds fields of its own (melddatum, ...); it also
    hands in the version and the party bindings it looked up once for a whole batch.

    Only the installation itself (a token without organisation, the CLI, a simulation)
    names the municipality freely and the parties; anyone else starts what an intake route
    of its organisation allows, and the case's parties follow from the bindings."""
    version = version or service.latest_version(session, process_key)
    catalogue = version_catalogue(session, version.id)
    values = service.check_data(data)
    if check_rights and not principal.is_system:
        municipality = route_municipality(session, principal, process_key, municipality, parties)
        _check_partner_start(session, process_key, catalogue, business_key)
    else:
        municipality = municipality or principal.municipality
    if check_rights and catalogue is not None and not principal.is_system:
        reporting = catalogue.reporting_party
        first_phase = next(iter(catalogue.phases), None)
        check_writable(catalogue, reporting, first_phase, values, principal)
    named = document_fields(catalogue, values)
    if named:
        # A case being started has no documents yet: the number could only be another's.
        raise InvalidInput("onbekend document", {name: [UNKNOWN_DOCUMENT] for name in named})
    if bound is None:
        bound = bind_parties(
            session,
            process_key,
            catalogue,
            municipality,
            None if principal.is_system else principal,
            parties if principal.is_system else None,
            check_known=check_rights and principal.is_system,
        )

    execution = Execution.create(
        session,
        version,
        business_key,
        values,
        principal.actor,
        parties=bound,
        municipality=municipality,
        instance_id=instance_id,
    )

    execution.run_engine()
    return execution.save()


def send_message(
    session: Session,
    principal: Principal,
    name: str,
    key: str | None,
    data: dict[str, Any] | None,
) -> ProcessInstance:
    """Deliver a message from outside (the API) to the case waiting for it. Anyone but the
    installation reaches only a case its organisation plays a part in (else the answer is
    that nobody waits), sends it only as a party the catalogue lets send it (`afzenders`),
    records only what one of its parties may write there in the case's phase, and names only
    documents it may open."""
    if not principal.is_system:
        values = service.check_data(data)
        waiting = sorted(
            set(
                session.scalars(
                    select(MessageSubscription.instance_id).where(
                        MessageSubscription.message_name == name,
                        MessageSubscription.correlation_key == key,
                        MessageSubscription.status == WaitStatus.WAITING.value,
                    )
                )
            )
        )
        mine = {
            i: parties for i in waiting if (parties := access.parties_of(session, principal, i))
        }
        if not mine:
            raise NotFound(f"geen instantie wacht op bericht {name!r} met sleutel {key!r}")
        if len(waiting) == 1:  # more: the engine refuses the ambiguous correlation
            row = session.get(ProcessInstance, waiting[0])
            assert row is not None
            catalogue = version_catalogue(session, row.version_id)
            senders = catalogue.message_senders.get(name) if catalogue is not None else None
            if senders and not mine[row.id] & set(senders):
                names = ", ".join(str(catalogue.parties[p].get("naam", p)) for p in senders)
                raise Forbidden(f"bericht {name!r} komt in deze casus alleen van: {names}")
            _check_writable_by_one(
                catalogue,
                mine[row.id],
                row.phase,
                values,
                principal,
            )
            check_document_references(session, principal, row, values)
    return service.deliver_message(session, name, key, data, principal.actor)


def record_entered(
    db: Database,
    session: Session,
    secret_key: str,
    principal: Principal,
    row: ProcessInstance,
    data: dict[str, Any] | None,
    action: str,
    purpose: str,
) -> None:
    """Data a start, a message or a signal brought into a case is a processing of personal
    data, as a task's form is: a processing-log line and an audit line (`action`, `purpose`),
    whichever door it came through (API or command line); none without data."""
    if not data:
        return
    catalogue = version_catalogue(session, row.version_id)
    access.record_write(db, secret_key, principal, row, sorted(data), catalogue, action, purpose)


def record_signal(
    db: Database,
    session: Session,
    secret_key: str,
    principal: Principal,
    result: Any,
    data: dict[str, Any] | None,
    name: str,
) -> None:
    """`record_entered` for each case a broadcast signal (app.engine.signals.broadcast)
    reached or started."""
    if not data:
        return
    ids = [*result.received, *result.started]
    rows = session.scalars(select(ProcessInstance).where(ProcessInstance.id.in_(ids)))
    action, purpose = "signaal.afleveren", f"signaal {name}"
    for row in rows:
        record_entered(db, session, secret_key, principal, row, data, action, purpose)


@dataclass(frozen=True)
class Sendable:
    """A message the case waits for that the viewer's organisation may send from the case
    page: the catalogue's `afzenders` name one of its parties, and it brings no data."""

    name: str
    label: str  # the catalogue's `omschrijving`, else the catching element's name
    correlation_key: str | None


def sendable_messages(
    session: Session, instance: ProcessInstance, parties: set[str], catalogue: Any
) -> list[Sendable]:
    if catalogue is None or instance.status in InstanceStatus.ended():
        return []
    version = session.get(ProcessVersion, instance.version_id)
    elements = (version.elements or {}) if version is not None else {}
    found: dict[str, Sendable] = {}
    for row in session.scalars(
        select(MessageSubscription)
        .where(
            MessageSubscription.instance_id == instance.id,
            MessageSubscription.status == WaitStatus.WAITING.value,
        )
        .order_by(MessageSubscription.id)
    ):
        senders = set(catalogue.message_senders.get(row.message_name) or ())
        if not senders & parties or catalogue.messages.get(row.message_name):
            continue
        label = (
            catalogue.message_labels.get(row.message_name)
            or (elements.get(row.element_id) or {}).get("name")
            or row.message_name
        )
        found.setdefault(
            row.message_name, Sendable(row.message_name, str(label), row.correlation_key)
        )
    return list(found.values())


def _check_writable_by_one(
    catalogue: Any,
    parties: set[str],
    phase: str | None,
    values: dict[str, Any],
    principal: Principal,
) -> None:
    """The values are all writable by one of the principal's parties in the case."""
    refusal: InvalidInput | None = None
    for party in sorted(parties):
        try:
            check_writable(catalogue, party, phase, values, principal)
            return
        except InvalidInput as exc:
            refusal = exc
    if refusal is not None:
        raise refusal


def _check_partner_start(
    session: Session, process_key: str, catalogue: Any, business_key: str | None
) -> None:
    """A process that takes signals is started through the signal door, which matches signals
    into cases and respects a resident's objection; and a partner's business key is its
    own: one that another case of the process already has would make messages ambiguous."""
    if catalogue is not None and catalogue.signal:
        raise Forbidden(
            f"proces {process_key!r} start met een melding: gebruik POST /api/v1/signals",
            {"proces": ["dit proces neemt meldingen aan; meld via /api/v1/signals"]},
        )
    if business_key is not None and session.scalar(
        select(ProcessInstance.id)
        .where(
            ProcessInstance.definition_key == process_key,
            ProcessInstance.business_key == business_key,
        )
        .limit(1)
    ):
        raise Conflict(
            f"kenmerk {business_key!r} is al in gebruik",
            {"business_key": ["een andere zaak van dit proces heeft dit kenmerk al"]},
        )


def _check_known_municipality(session: Session, municipality: str) -> None:
    """The installation names a municipality freely, but only one it knows (an organisation,
    an intake route or a party binding names it): a typo would start a case that no
    municipality's people see."""
    known = (
        select(Organisation.municipality.label("name"))
        .union(select(IntakeRoute.municipality), select(PartyBinding.municipality))
        .subquery()
    )
    names = sorted(n for n in session.scalars(select(known.c.name)) if n)
    if municipality in names:
        return
    raise InvalidInput(
        f"onbekende gemeente {municipality!r}",
        {
            "municipality": [
                f"geen organisatie, aanmeldroute of partijkoppeling noemt {municipality!r}; "
                + ("bekend zijn: " + ", ".join(names) if names else "er is nog geen gemeente")
            ]
        },
    )


def route_municipality(
    session: Session,
    principal: Principal,
    process_key: str,
    municipality: str | None,
    parties: dict[str, str] | None,
) -> str:
    """The municipality in which an organisation may start this process: that of one of its
    intake routes to it. Parties are never the caller's word: a partner naming itself (or
    anyone) as the social team would read what only the team may read."""
    if parties:
        raise Forbidden(
            "alleen beheer (een token zonder organisatie) mag partijen aanwijzen",
            {
                "parties": [
                    "de partijen volgen uit de afspraken van de gemeente en uit uw token; "
                    "laat dit veld weg"
                ]
            },
        )
    allowed = sorted(
        session.scalars(
            select(IntakeRoute.municipality).where(
                IntakeRoute.organisation_id == principal.organisation_id,
                IntakeRoute.process_key == process_key,
            )
        )
    )
    if not allowed:
        raise Forbidden(
            f"uw organisatie mag proces {process_key!r} niet starten",
            {"proces": ["uw organisatie heeft geen meldroute naar dit proces"]},
        )
    if municipality is None:
        if len(allowed) > 1:
            raise InvalidInput(
                "gemeente ontbreekt",
                {
                    "municipality": [
                        f"uw organisatie meldt dit proces in {', '.join(allowed)}; "
                        "geef de gemeente op"
                    ]
                },
            )
        return allowed[0]
    if municipality not in allowed:
        raise Forbidden(
            f"uw organisatie mag proces {process_key!r} niet starten in {municipality}",
            {"municipality": [f"uw organisatie meldt dit proces alleen in {', '.join(allowed)}"]},
        )
    return municipality


def bind_party(
    session: Session,
    process: str,
    municipality: str,
    party: str,
    group_key: str,
    *,
    replace: bool = False,
) -> bool:
    """Bind a team to a process's party in a municipality. An existing binding stays as it is
    unless `replace`. Returns whether anything changed."""
    for name, value in (("proces", process), ("gemeente", municipality), ("partij", party)):
        if not value.strip():
            raise InvalidInput(f"{name} ontbreekt", {name: ["verplicht"]})
    row = session.scalar(
        select(PartyBinding).where(
            PartyBinding.process_key == process,
            PartyBinding.municipality == municipality,
            PartyBinding.party == party,
        )
    )
    if row is not None:
        if not replace or row.group_key == group_key:
            return False
        row.group_key = group_key
    else:
        session.add(
            PartyBinding(
                process_key=process, municipality=municipality, party=party, group_key=group_key
            )
        )
    session.flush()
    return True
