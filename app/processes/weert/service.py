"""Weert, Vroegsignalering huurschulden: the partners' terms, the return overview and AMW's list.

The process itself is bpmn/weert_vroegsignalering.bpmn. Around it the covenant has three
things that span many cases at once:

- **The corporations' own terms** (bijlage 1, stroomschema stap 1-2): when the rent is due,
  when the reminders go out, that the overview comes on the 30th. They are the partner's
  settings of its intake route (`IntakeRoute.settings`), with the document's values as
  defaults (partners.yaml); the process's own terms are the catalogue's `instellingen`.
- **The return overview** (stap 4): before the 10th of the next month the administration sends
  each corporation "het overzicht uit stap 2" back with one option per tenant.
  `retouroverzicht` builds it (through the access layer, so it is in the processing log);
  `verstuur_retouroverzicht` sends it: every case in it receives the message
  `retouroverzicht_verstuurd` and moves on to step 5.
- **AMW's list** (stap 4): on the 11th AMW Midden-Limburg receives the tenants it will invite,
  with only the fields of art. 12.3, families with minor children first (art. 4.1).
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app import clock, yaml_safe
from app.auth.models import Group, Organisation
from app.auth.principal import Principal, partner_system
from app.calendar.atw import default_calendar
from app.cases.models import PartyBinding
from app.cases.service import bind_party
from app.db import Database
from app.engine import service as engine
from app.engine.errors import Conflict, NotFound
from app.engine.models import (
    HumanTask,
    InstanceParty,
    InstanceStatus,
    MessageSubscription,
    ProcessInstance,
    TaskStatus,
    WaitStatus,
)
from app.engine.runtime import version_catalogue
from app.intake.models import IntakeRoute
from app.intake.service import ensure_route
from app.privacy import access

PROCESS = "weert_vroegsignalering"
MUNICIPALITY = "weert"
RETURN_MESSAGE = "retouroverzicht_verstuurd"
OBJECTION_MESSAGE = "bezwaar_amw"
AMW_TASK = "amw_contact_opnemen"

# The partners' terms and teams are data (partners.yaml beside this file), not code.
_PARTNERS = yaml_safe.load((Path(__file__).parent / "partners.yaml").read_text(encoding="utf-8"))
ROUTE_SETTINGS: dict[str, dict[str, Any]] = {
    key: corporation["route"] for key, corporation in _PARTNERS["corporations"].items()
}
REFERENCE_PATTERNS: dict[str, str] = {
    key: corporation["reference_pattern"] for key, corporation in _PARTNERS["corporations"].items()
}
REFERENCE_PREFIX: dict[str, str] = {
    key: corporation["reference_prefix"] for key, corporation in _PARTNERS["corporations"].items()
}
DEFAULT_TEAMS: dict[str, str] = dict(_PARTNERS["teams"])
OPTION_LABELS = {
    "gemeente": "Huurder wordt uitgenodigd door gemeente Weert",
    "amw": "Huurder wordt uitgenodigd door AMW",
    "niet": "Huurder wordt niet uitgenodigd",
}


def reporting_day(settings: dict[str, Any], year: int, month: int) -> date:
    """The day the corporation sends its overview: the melddag (the 30th), or the last day of a
    shorter month; on a non-working day the working day before (practice: the overview goes
    out on a working day, before the weekend)."""
    last = calendar.monthrange(year, month)[1]
    day = date(year, month, min(int(settings.get("melddag", 30)), last))
    return default_calendar().working_day_on_or_before(day)


def set_up(
    session: Session,
    teams: dict[str, str] | None = None,
    corporations: list[str] | tuple[str, ...] = ("wonen-limburg", "st-joseph"),
    municipality: str = MUNICIPALITY,
) -> list[str]:
    """Idempotent: party bindings for the municipality's parties and an intake route with
    its partner settings per corporation. The teams and organisations must exist."""
    lines: list[str] = []
    for party, group_key in (teams or DEFAULT_TEAMS).items():
        if bind_party(session, PROCESS, municipality, party, group_key):
            lines.append(f"partijbinding {PROCESS} {party} -> {group_key}")
    for key in corporations:
        org = session.scalar(select(Organisation).where(Organisation.key == key))
        if org is None:
            raise LookupError(f"organisatie {key!r} bestaat niet")
        if ensure_route(
            session,
            org.id,
            municipality,
            PROCESS,
            REFERENCE_PATTERNS.get(key),
            ROUTE_SETTINGS.get(key, {"melddag": 30}),
        ):
            lines.append(f"meldroute {key} -> {PROCESS}")
    session.flush()
    return lines


def partner_principal(session: Session, org_key: str) -> Principal:
    """The corporation's partner system, as the intake sees it."""
    org = session.scalar(select(Organisation).where(Organisation.key == org_key))
    if org is None:
        raise LookupError(f"organisatie {org_key!r} bestaat niet")
    return partner_system(org.id, org.key, org.municipality)


def team_principal(session: Session, group_key: str, name: str | None = None) -> Principal:
    """A worker of a team (for the administration sending the overview, AMW reading its list)."""
    group = session.scalar(select(Group).where(Group.key == group_key))
    if group is None:
        raise LookupError(f"groep {group_key!r} bestaat niet")
    org = session.get(Organisation, group.organisation_id)
    assert org is not None
    return Principal(
        "user",
        None,
        name or group_key,
        organisation_id=org.id,
        organisation_key=org.key,
        municipality=org.municipality,
        roles=frozenset({"behandelaar"}),
        groups=frozenset({group_key}),
    )


# -- the return overview (stap 4) -------------------------------------------------------------

OVERVIEW_FIELDS = (
    "referentie",
    "voorletters",
    "tussenvoegsel",
    "achternaam",
    "straat",
    "huisnummer",
    "huisletter",
    "toevoeging",
    "postcode",
    "woonplaats",
)


@dataclass
class ReturnRow:
    business_key: str | None
    instance_id: str
    fields: dict[str, Any]
    optie: str  # the label of stap 4
    uiterlijk: datetime | None

    @property
    def te_laat(self) -> bool:
        return self.uiterlijk is not None and clock.now() > self.uiterlijk


@dataclass
class ReturnOverview:
    corporation: str
    period: str  # the month of the corporation's overview (YYYY-MM)
    rows: list[ReturnRow] = field(default_factory=list)
    # Cases of this month still in enrichment or selection (not in this overview).
    pending: int = 0
    sent_at: datetime | None = None
    # Cases that could not be sent (no longer waiting for the overview): business keys.
    skipped: list[str] = field(default_factory=list)

    @property
    def deadline(self) -> datetime | None:
        moments = [r.uiterlijk for r in self.rows if r.uiterlijk is not None]
        return min(moments) if moments else None

    @property
    def late(self) -> bool:
        """Sent (or, unsent, now) after the deadline of one of its rows."""
        moment = self.sent_at or clock.now()
        return any(r.uiterlijk is not None and moment > r.uiterlijk for r in self.rows)

    def lines(self) -> list[str]:
        """The overview as text: one line per tenant, in the corporation's own order."""
        out = [f"Retouroverzicht {self.corporation} {self.period} ({len(self.rows)} huurders)"]
        for row in self.rows:
            f = row.fields
            name = " ".join(
                str(f[k]) for k in ("voorletters", "tussenvoegsel", "achternaam") if f.get(k)
            )
            number = f"{f.get('huisnummer', '')}{f.get('huisletter') or ''}"
            if f.get("toevoeging"):
                number += f"-{f['toevoeging']}"
            address = f"{f.get('straat', '')} {number}, {f.get('postcode', '')}"
            out.append(f"{f.get('referentie', '')}\t{name}\t{address}\t{row.optie}")
        return out


def _corporation(session: Session, org_key: str) -> Organisation:
    org = session.scalar(select(Organisation).where(Organisation.key == org_key))
    if org is None:
        raise LookupError(f"organisatie {org_key!r} bestaat niet")
    return org


def _as_moment(value: Any) -> datetime | None:
    if not value:
        return None
    return value if isinstance(value, datetime) else datetime.fromisoformat(str(value))


def return_overview(
    db: Database,
    session: Session,
    principal: Principal,
    org_key: str,
    period: str,
    secret_key: str,
) -> ReturnOverview:
    """What the administration sends `org_key` for the overview of `period`: every case of
    that corporation waiting for the return overview (of this month, or left over from an
    earlier one), with the option of stap 4. Read through the access layer as `principal`."""
    org = _corporation(session, org_key)
    waiting = session.scalars(
        select(ProcessInstance)
        .join(MessageSubscription, MessageSubscription.instance_id == ProcessInstance.id)
        .join(InstanceParty, InstanceParty.instance_id == ProcessInstance.id)
        .where(
            ProcessInstance.definition_key == PROCESS,
            MessageSubscription.message_name == RETURN_MESSAGE,
            MessageSubscription.status == WaitStatus.WAITING.value,
            InstanceParty.party == "corporatie",
            InstanceParty.organisation_id == org.id,
        )
        .order_by(ProcessInstance.started_at, ProcessInstance.id)
    ).all()
    overview = ReturnOverview(org_key, period)
    reads = []
    for row in waiting:
        data = dict(row.data or {})
        if str(data.get("overzichtsmaand", "")) > period:
            continue
        catalogue = version_catalogue(session, row.version_id)
        parties = access.parties_of(session, principal, row.id)
        names = access.readable_fields(
            catalogue, parties, row.phase, access.given_consents(session, row.id), data
        )
        shown = {n: data.get(n) for n in OVERVIEW_FIELDS if n in names}
        if "optie" not in names:
            raise PermissionError("deze gebruiker mag de opties van het retouroverzicht niet zien")
        overview.rows.append(
            ReturnRow(
                row.business_key,
                row.id,
                shown,
                OPTION_LABELS.get(str(data.get("optie")), ""),
                _as_moment(data.get("terugkoppeling_uiterlijk")),
            )
        )
        reads.append((row, sorted([*shown, "optie"]), catalogue))
    overview.rows.sort(key=lambda r: str(r.fields.get("referentie") or r.business_key or ""))
    overview.pending = _pending(session, org.id, period)
    access.record_reads(db, secret_key, principal, reads, "retouroverzicht aan corporatie")
    return overview


def _pending(session: Session, org_id: int, period: str) -> int:
    rows = session.execute(
        select(ProcessInstance.data)
        .join(InstanceParty, InstanceParty.instance_id == ProcessInstance.id)
        .where(
            ProcessInstance.definition_key == PROCESS,
            ProcessInstance.status.not_in(InstanceStatus.ended()),
            ProcessInstance.phase.in_(["melding", "verrijking", "selectie"]),
            InstanceParty.party == "corporatie",
            InstanceParty.organisation_id == org_id,
        )
    ).all()
    return sum(1 for (data,) in rows if str((data or {}).get("overzichtsmaand")) == period)


def send_return_overview(
    db: Database, principal: Principal, org_key: str, period: str, secret_key: str
) -> ReturnOverview:
    """Build and send the return overview: each case in it learns the moment it was sent
    and continues with step 5. One transaction per case, so one broken case stops no other."""
    with db.session() as session:
        overview = return_overview(db, session, principal, org_key, period, secret_key)
    return _deliver(db, principal, overview)


def _deliver(db: Database, principal: Principal, overview: ReturnOverview) -> ReturnOverview:
    """Deliver the message to every case of the overview; a case that no longer waits (sent
    meanwhile by someone else, or suspended) is left out of `rows` and named in `skipped`."""
    overview.sent_at = clock.now()
    delivered = []
    for row in overview.rows:
        try:
            with db.transaction() as session:
                engine.deliver_message(
                    session,
                    RETURN_MESSAGE,
                    row.business_key,
                    {"retouroverzicht_verzonden_op": overview.sent_at.isoformat()},
                    principal.actor,
                )
        except (NotFound, Conflict):
            overview.skipped.append(row.business_key or row.instance_id)
            continue
        delivered.append(row)
    overview.rows = delivered
    return overview


def record_objection(db: Database, principal: Principal, business_key: str) -> None:
    """Art. 10.4: the tenant objects to AMW being engaged (before AMW's list goes out)."""
    with db.transaction() as session:
        engine.deliver_message(
            session,
            OBJECTION_MESSAGE,
            business_key,
            {"bezwaar_amw_ontvangen_op": clock.now().isoformat()},
            principal.actor,
        )


# -- who plays which part, and the overviews as the routes show them -------------------------

MUNICIPAL_PARTIES = frozenset({"administratie", "sdv"})
PERIOD_PATTERN = r"^\d{4}-(0[1-9]|1[0-2])$"


def process_parties(
    session: Session, principal: Principal, municipality: str = MUNICIPALITY
) -> set[str]:
    """The parties of this process the principal's organisation plays in `municipality`:
    through the party bindings (a team of the organisation is bound to the party) and, for a
    corporation, through its intake route. The system plays every part."""
    if principal.is_system:
        return {access.SYSTEM_PARTY}
    parties: set[str] = set()
    bound = session.execute(
        select(PartyBinding.party)
        .join(Group, Group.key == PartyBinding.group_key)
        .where(
            PartyBinding.process_key == PROCESS,
            PartyBinding.municipality == municipality,
            Group.organisation_id == principal.organisation_id,
        )
    ).all()
    parties.update(party for (party,) in bound)
    route = session.scalar(
        select(IntakeRoute.id).where(
            IntakeRoute.organisation_id == principal.organisation_id,
            IntakeRoute.municipality == municipality,
            IntakeRoute.process_key == PROCESS,
        )
    )
    if route is not None:
        parties.add("corporatie")
    return parties


def corporations(session: Session, municipality: str = MUNICIPALITY) -> list[Organisation]:
    """The corporations that report to this process in `municipality`, by name."""
    return list(
        session.scalars(
            select(Organisation)
            .join(IntakeRoute, IntakeRoute.organisation_id == Organisation.id)
            .where(IntakeRoute.municipality == municipality, IntakeRoute.process_key == PROCESS)
            .order_by(Organisation.name)
        ).all()
    )


def month_bounds(period: str) -> tuple[datetime, datetime]:
    """The first moment of the month `period` (YYYY-MM) and of the next, in Amsterdam."""
    year, month = (int(part) for part in period.split("-"))
    start = datetime(year, month, 1, tzinfo=clock.AMSTERDAM)
    following = datetime(year + month // 12, month % 12 + 1, 1, tzinfo=clock.AMSTERDAM)
    return start, following


def _sent_moments(session: Session, org_id: int, period: str) -> tuple[set[str], list[Any]]:
    """The moments the overview of `period` went out (one per send), and every case of the
    corporation sent at one of them (also cases left over from an earlier month)."""
    cases = session.scalars(
        select(ProcessInstance)
        .join(InstanceParty, InstanceParty.instance_id == ProcessInstance.id)
        .where(
            ProcessInstance.definition_key == PROCESS,
            InstanceParty.party == "corporatie",
            InstanceParty.organisation_id == org_id,
        )
        .order_by(ProcessInstance.started_at, ProcessInstance.id)
    ).all()
    moments = {
        str((c.data or {}).get("retouroverzicht_verzonden_op"))
        for c in cases
        if (c.data or {}).get("retouroverzicht_verzonden_op")
        and str((c.data or {}).get("overzichtsmaand")) == period
    }
    sent = [c for c in cases if str((c.data or {}).get("retouroverzicht_verzonden_op")) in moments]
    return moments, sent


def sent_overview(
    db: Database,
    session: Session,
    principal: Principal,
    org_key: str,
    period: str,
    secret_key: str,
) -> ReturnOverview:
    """The return overview of `period` as it went to `org_key`: per case the fields of the
    corporation's own overview (OVERVIEW_FIELDS) and the option it received, each only as far
    as `principal` may read it. Empty (sent_at None) while nothing was sent."""
    org = _corporation(session, org_key)
    moments, cases = _sent_moments(session, org.id, period)
    overview = ReturnOverview(org_key, period)
    reads = []
    for row in cases:
        data = dict(row.data or {})
        catalogue = version_catalogue(session, row.version_id)
        parties = access.parties_of(session, principal, row.id)
        names = access.readable_fields(
            catalogue, parties, row.phase, access.given_consents(session, row.id), data
        )
        if not names:
            continue
        shown = {n: data.get(n) for n in OVERVIEW_FIELDS if n in names}
        option = data.get("teruggekoppelde_optie") if "teruggekoppelde_optie" in names else None
        overview.rows.append(
            ReturnRow(
                row.business_key,
                row.id,
                shown,
                str(option or ""),
                _as_moment(data.get("terugkoppeling_uiterlijk")),
            )
        )
        read = sorted([*shown, *(["teruggekoppelde_optie"] if option is not None else [])])
        reads.append((row, read, catalogue))
    overview.rows.sort(key=lambda r: str(r.fields.get("referentie") or r.business_key or ""))
    if moments:
        overview.sent_at = max(_as_moment(m) for m in moments)  # type: ignore[type-var]
    access.record_reads(db, secret_key, principal, reads, "retouroverzicht (verstuurd)")
    return overview


@dataclass
class SendResult:
    overview: ReturnOverview  # what went out now (no rows when nothing was sent)
    earlier: datetime | None  # the latest earlier send of this month's overview

    @property
    def status(self) -> str:
        if not self.overview.rows:
            return "al_verstuurd"
        return "aanvulling" if self.earlier else "verstuurd"

    @property
    def message(self) -> str:
        o = self.overview
        if self.status == "al_verstuurd":
            moment = clock.local(self.earlier).strftime("%d-%m-%Y %H:%M")  # type: ignore[arg-type]
            return (
                f"Het retouroverzicht {o.corporation} {o.period} is al verstuurd op {moment}; "
                "er is niets nieuws verstuurd."
            )
        what = "aanvulling op het retouroverzicht" if self.earlier else "retouroverzicht"
        return f"{what.capitalize()} {o.corporation} {o.period} verstuurd: {len(o.rows)} huurders."


def send_return_overview_once(
    db: Database, principal: Principal, org_key: str, period: str, secret_key: str
) -> SendResult:
    """Send the overview of `period` to `org_key`, idempotently: a second send finds nothing
    waiting and says when it went out; cases that reached step 4 after the first send go out as
    an addition. Conflict when there is nothing to send and nothing was sent. Each send is an
    audit line (`retouroverzicht.versturen`)."""
    from app.privacy import logs

    with db.session() as session:
        org = _corporation(session, org_key)
        moments, _ = _sent_moments(session, org.id, period)
        overview = return_overview(db, session, principal, org_key, period, secret_key)
    earlier = max((m for m in map(_as_moment, moments) if m), default=None)
    if not overview.rows:
        if earlier is None:
            waiting = (
                f"; nog {overview.pending} in verrijking of selectie" if overview.pending else ""
            )
            raise Conflict(
                f"er zijn geen huurders om terug te koppelen in het retouroverzicht "
                f"{org_key} {period}{waiting}"
            )
        result = SendResult(overview, earlier)
        logs.audit(
            db,
            secret_key,
            principal,
            "retouroverzicht.versturen",
            "retouroverzicht",
            f"{org_key}/{period}",
            "gelukt",
            {"status": result.status, "eerder_verstuurd_op": earlier.isoformat()},
        )
        return result
    _deliver(db, principal, overview)
    result = SendResult(overview, earlier)
    logs.audit(
        db,
        secret_key,
        principal,
        "retouroverzicht.versturen",
        "retouroverzicht",
        f"{org_key}/{period}",
        "gelukt",
        {
            "status": result.status,
            "huurders": len(overview.rows),
            "zaken": [r.instance_id for r in overview.rows],
            "niet_verstuurd": overview.skipped,
            "te_laat": overview.late,
        },
    )
    return result


def object_to_amw(
    db: Database, principal: Principal, business_key: str, secret_key: str
) -> ProcessInstance:
    """Art. 10.4 through the routes: the case must be one the principal's organisation plays
    the municipality's part in (NotFound otherwise, as for a case that does not exist), and it
    must still wait for an objection (Conflict otherwise). Written to the processing log."""
    with db.session() as session:
        row = session.scalar(
            select(ProcessInstance).where(
                ProcessInstance.definition_key == PROCESS,
                ProcessInstance.business_key == business_key,
            )
        )
        parties = access.parties_of(session, principal, row.id) if row is not None else set()
        if row is None or not (principal.is_system or parties & MUNICIPAL_PARTIES):
            raise NotFound(f"zaak {business_key} bestaat niet")
        catalogue = version_catalogue(session, row.version_id)
        waiting = session.scalar(
            select(MessageSubscription.id).where(
                MessageSubscription.instance_id == row.id,
                MessageSubscription.message_name == OBJECTION_MESSAGE,
                MessageSubscription.status == WaitStatus.WAITING.value,
            )
        )
        session.expunge(row)
    if waiting is None:
        raise Conflict(
            f"zaak {business_key} wacht niet op een bezwaar tegen AMW: de huurder is niet "
            "voor AMW geselecteerd, het retouroverzicht is nog niet verstuurd, of de AMW-lijst "
            "is al verstuurd"
        )
    record_objection(db, principal, business_key)
    access.record_write(
        db,
        secret_key,
        principal,
        row,
        ["bezwaar_amw_ontvangen_op"],
        catalogue,
        "casus.bezwaar_amw",
        "bezwaar tegen inschakeling AMW (art. 10.4)",
    )
    return row


# -- AMW's list (stap 4, the 11th) ------------------------------------------------------------


@dataclass
class AmwRow:
    business_key: str | None
    task_id: str
    voorrang: bool  # art. 4.1: families with minor children first
    received_at: datetime
    fields: dict[str, Any]
    status: str = TaskStatus.OPEN.value


AMW_LIST_FIELDS = (
    "voorletters",
    "tussenvoegsel",
    "achternaam",
    "geboortedatum",
    "straat",
    "huisnummer",
    "huisletter",
    "toevoeging",
    "postcode",
    "woonplaats",
    "telefoon",
    "leefsituatie",
    "schuldgebieden",
)
# Who may read AMW's list: AMW itself and the municipality that made it (the catalogue
# decides, per case and phase, which of the art. 12.3 fields each of them reads).
AMW_LIST_PARTIES = frozenset({"amw", "administratie", "sdv"})


def amw_list(
    db: Database,
    session: Session,
    principal: Principal,
    secret_key: str,
    since: datetime | None = None,
    until: datetime | None = None,
    include_done: bool = False,
) -> list[AmwRow]:
    """AMW's first contacts (received since `since`, before `until`; open ones only unless
    `include_done`), families with minor children first, each with the art. 12.3 fields the
    principal may read in the case's phase, read through the access layer. A worker of AMW
    sees the tasks of its own teams; the municipality (administratie, sdv) all of them."""
    statuses = [TaskStatus.OPEN.value] + ([TaskStatus.COMPLETED.value] if include_done else [])
    query = (
        select(HumanTask, ProcessInstance)
        .join(ProcessInstance, ProcessInstance.id == HumanTask.instance_id)
        .where(
            HumanTask.definition_key == PROCESS,
            HumanTask.element_id == AMW_TASK,
            HumanTask.status.in_(statuses),
        )
        .order_by(
            HumanTask.priority.desc(),
            HumanTask.created_at,
            ProcessInstance.started_at,
            ProcessInstance.business_key,
        )
    )
    if since is not None:
        query = query.where(HumanTask.created_at >= since)
    if until is not None:
        query = query.where(HumanTask.created_at < until)
    rows: list[AmwRow] = []
    reads = []
    groups = set(principal.groups)
    for task, instance in session.execute(query).all():
        parties = access.parties_of(session, principal, instance.id)
        if not principal.is_system and not parties & AMW_LIST_PARTIES:
            continue
        municipal = principal.is_system or bool(parties & MUNICIPAL_PARTIES)
        if not municipal and groups and not groups & set(task.candidate_groups or []):
            continue
        catalogue = version_catalogue(session, instance.version_id)
        data = dict(instance.data or {})
        names = access.readable_fields(
            catalogue, parties, instance.phase, access.given_consents(session, instance.id), data
        )
        shown = {n: data[n] for n in AMW_LIST_FIELDS if n in names and n in data}
        if not shown:
            continue  # e.g. AMW after the case left it: nothing of it is AMW's any more
        threshold = _setting(session, catalogue, "prioriteit_minderjarigen")
        rows.append(
            AmwRow(
                instance.business_key,
                task.id,
                task.priority >= threshold,
                task.created_at,
                shown,
                task.status,
            )
        )
        reads.append((instance, sorted(shown), catalogue))
    access.record_reads(db, secret_key, principal, reads, "AMW-lijst (art. 6.1.4)")
    return rows


def _setting(session: Session, catalogue: Any, name: str) -> Any:
    from app.cases.settings import value

    return value(session, catalogue, PROCESS, MUNICIPALITY, name)
