"""Receiving signals: validate, store once, match into cases, start their processes.

Batches store every valid row and report every rejected one with its row, field and
problem; nothing is dropped silently. The same signal (same partner reference in the same
month) is stored once, so importing a file twice adds nothing. Signals for one address in one
month form one case; an earlier signal for the address in the six months before is flagged.
A resident with a recorded objection gets no case and none of the signal is kept.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from app import clock
from app.auth.crypto import pseudonym
from app.auth.models import Organisation
from app.auth.principal import Principal
from app.cases.service import bind_parties, start_case
from app.catalogue import Catalogue
from app.engine import service as engine
from app.engine.errors import InvalidInput, NotFound
from app.engine.models import InstanceEvent
from app.engine.runtime import version_catalogue
from app.engine.statements import deferred_inserts
from app.intake.models import IntakeRoute, Objection, Signal, SignalBatch, SignalCase
from app.intake.validation import validate

LOOK_BACK_MONTHS = 6
# What the intake adds to every case it starts, where the catalogue has the field.
START_FIELDS = ("melddatum", "eerder_gemeld", "melder", "melder_soort")
CHUNK = 100


@dataclass
class RowResult:
    row: int
    status: str  # opgeslagen, bij_bestaande_casus, dubbel, afgewezen, bezwaar
    errors: list[tuple[str, str]] = field(default_factory=list)
    instance_id: str | None = None
    earlier_signal: bool = False


@dataclass
class Intake:
    """What an intake needs, looked up once per batch: the partner, its route, the process
    version and catalogue, the party bindings, and the objections of the municipality."""

    principal: Principal
    organisation: Organisation
    route: IntakeRoute
    catalogue: Catalogue
    secret_key: str
    version: Any = None
    parties: dict[str, tuple[int, str]] = field(default_factory=dict)
    objections: set[str] = field(default_factory=set)


def prepare(
    session: Session, principal: Principal, secret_key: str, municipality: str | None = None
) -> Intake:
    if principal.organisation_id is None:
        raise InvalidInput(
            "melden kan alleen namens een partnerorganisatie",
            {"partner": ["geef de organisatie van de melder op"]},
        )
    organisation = session.get(Organisation, principal.organisation_id)
    assert organisation is not None
    query = select(IntakeRoute).where(IntakeRoute.organisation_id == organisation.id)
    if municipality:
        query = query.where(IntakeRoute.municipality == municipality)
    routes = session.scalars(query).all()
    if not routes:
        raise NotFound(
            f"voor {organisation.name} is geen meldroute ingesteld"
            + (f" in {municipality}" if municipality else "")
        )
    if len(routes) > 1:
        raise InvalidInput(
            "meer meldroutes",
            {"gemeente": ["deze partner meldt in meer gemeenten; geef de gemeente op"]},
        )
    route = routes[0]
    version = engine.latest_version(session, route.process_key)
    catalogue = version_catalogue(session, version.id)
    if catalogue is None or not catalogue.signal:
        raise InvalidInput(
            f"proces {route.process_key} neemt geen meldingen aan",
            {"proces": ["de gegevenscatalogus heeft geen 'melding'"]},
        )
    parties = bind_parties(session, route.process_key, catalogue, route.municipality, principal)
    objections = set(
        session.scalars(
            select(Objection.subject_key).where(Objection.municipality == route.municipality)
        )
    )
    return Intake(
        principal, organisation, route, catalogue, secret_key, version, parties, objections
    )


def period_of(day: date) -> str:
    return f"{day.year:04d}-{day.month:02d}"


def months_before(period: str, months: int) -> str:
    year, month = (int(p) for p in period.split("-"))
    index = year * 12 + (month - 1) - months
    return f"{index // 12:04d}-{index % 12 + 1:02d}"


def _normal(value: Any) -> str:
    return re.sub(r"\s+", "", str(value or "")).upper()


def address_key(intake: Intake, values: dict[str, Any]) -> str:
    parts = [_normal(values.get(name)) for name in intake.catalogue.signal.get("adres", [])]
    return pseudonym(intake.secret_key, "adres", "|".join(parts))


def subject_key(secret_key: str, address: str, birth_date: str | None) -> str:
    return pseudonym(secret_key, "bewoner", f"{address}|{birth_date or ''}")


def record_objection(
    session: Session,
    secret_key: str,
    municipality: str,
    address: dict[str, Any],
    birth_date: str | None,
    source: str,
    recorded_by: str,
    note: str | None = None,
) -> Objection:
    """Keep only that this resident objects (a keyed hash of address and birth date)."""
    parts = [_normal(address.get(k)) for k in ("postcode", "huisnummer", "toevoeging")]
    key = subject_key(secret_key, pseudonym(secret_key, "adres", "|".join(parts)), birth_date)
    row = Objection(
        municipality=municipality,
        subject_key=key,
        recorded_at=clock.now(),
        recorded_by=recorded_by,
        source=source,
        note=note,
        signals_refused=0,
    )
    session.add(row)
    session.flush()
    return row


def receive(
    session: Session,
    intake: Intake,
    rows: list[tuple[int, dict[str, Any]]],
    channel: str,
    batch: SignalBatch | None = None,
) -> list[RowResult]:
    """Receive rows in the caller's transaction.

    The fast path looks up everything the rows need in three queries and writes them in one
    savepoint; if another import stored one of the same signals meanwhile (a unique-key
    clash), the rows are done again one by one, each in a savepoint of its own.
    """
    today = clock.local(clock.now()).date()
    period = period_of(today)
    checked: list[tuple[int, dict[str, Any] | None, RowResult | None]] = []
    seen: dict[str, int] = {}
    for number, raw in rows:
        values, errors = validate(intake.catalogue, raw, intake.route.reference_pattern)
        if errors:
            checked.append((number, None, RowResult(number, "afgewezen", errors)))
            continue
        reference = str(values.get("referentie", ""))
        if reference in seen:
            checked.append(
                (
                    number,
                    None,
                    RowResult(
                        number,
                        "dubbel",
                        [("referentie", f"komt ook voor in rij {seen[reference]}")],
                    ),
                )
            )
            continue
        seen[reference] = number
        checked.append((number, values, None))
    try:
        with session.begin_nested():
            return _store_all(session, intake, checked, period, today, channel, batch, fast=True)
    except IntegrityError:
        return _store_all(session, intake, checked, period, today, channel, batch, fast=False)


@dataclass
class _Case:
    id: int
    instance_id: str | None


@dataclass
class _Known:
    """What the database already holds about a chunk's rows."""

    references: set[str]
    earlier: set[str]
    cases: dict[str, _Case]


def _lookup(session: Session, intake: Intake, values: list[dict[str, Any]], period: str) -> _Known:
    municipality = intake.route.municipality
    references = [str(v.get("referentie", "")) for v in values]
    addresses = {address_key(intake, v) for v in values}
    known_refs = set(
        session.scalars(
            select(Signal.reference).where(
                Signal.organisation_id == intake.organisation.id,
                Signal.period == period,
                Signal.reference.in_(references),
            )
        )
    )
    earlier = set(
        session.scalars(
            select(Signal.address_key).where(
                Signal.municipality == municipality,
                Signal.address_key.in_(addresses),
                Signal.period >= months_before(period, LOOK_BACK_MONTHS),
                Signal.period < period,
            )
        )
    )
    cases = {
        address: _Case(case_id, instance_id)
        for address, case_id, instance_id in session.execute(
            select(SignalCase.address_key, SignalCase.id, SignalCase.instance_id).where(
                SignalCase.municipality == municipality,
                SignalCase.period == period,
                SignalCase.address_key.in_(addresses),
            )
        )
    }
    return _Known(known_refs, earlier, cases)


def _store_all(
    session: Session,
    intake: Intake,
    checked: list[tuple[int, dict[str, Any] | None, RowResult | None]],
    period: str,
    today: date,
    channel: str,
    batch: SignalBatch | None,
    fast: bool,
) -> list[RowResult]:
    if fast:
        known = _lookup(session, intake, [v for _n, v, _r in checked if v is not None], period)
        results = _store(session, intake, known, checked, period, today, channel, batch)
        session.flush()
        return results
    results = []
    for item in checked:
        number, values, result = item
        if result is not None:
            results.append(result)
            continue
        assert values is not None
        known = _lookup(session, intake, [values], period)
        try:
            with session.begin_nested():
                results.extend(
                    _store(session, intake, known, [item], period, today, channel, batch)
                )
        except IntegrityError:
            results.append(RowResult(number, "dubbel", [("referentie", "al ontvangen deze maand")]))
    session.flush()
    return results


@dataclass
class _Start:
    """A new case whose process starts once the case has its number."""

    address: str
    values: dict[str, Any]
    earlier: bool


@dataclass
class _Plan:
    """What a chunk of validated rows will write: the outcome per row, and the rows for each
    table (signals per address, events for existing cases, new cases and their starts)."""

    results: list[RowResult] = field(default_factory=list)
    signals: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    events: list[dict[str, Any]] = field(default_factory=list)
    new_cases: list[dict[str, Any]] = field(default_factory=list)
    starts: list[_Start] = field(default_factory=list)


def _store(
    session: Session,
    intake: Intake,
    known: _Known,
    checked: list[tuple[int, dict[str, Any] | None, RowResult | None]],
    period: str,
    today: date,
    channel: str,
    batch: SignalBatch | None,
) -> list[RowResult]:
    """Store validated rows with a few statements for all of them: the new cases in one
    insert (their numbers make the business keys), then the signals, instances and events
    in one statement per table."""
    plan = _classify(session, intake, known, checked, period, channel, batch)
    _write(session, intake, known, plan, period, today)
    return plan.results


def _classify(
    session: Session,
    intake: Intake,
    known: _Known,
    checked: list[tuple[int, dict[str, Any] | None, RowResult | None]],
    period: str,
    channel: str,
    batch: SignalBatch | None,
) -> _Plan:
    """Each row: a duplicate, refused by an objection, added to an existing case (of the
    store or of this chunk), or a new case."""
    municipality = intake.route.municipality
    org = intake.organisation
    now = clock.now()
    plan = _Plan()
    opening: dict[str, str] = {}  # address -> instance id of a case made in this chunk
    for number, values, result in checked:
        if result is not None:
            plan.results.append(result)
            continue
        assert values is not None
        reference = str(values.get("referentie", ""))
        if reference in known.references:
            plan.results.append(
                RowResult(number, "dubbel", [("referentie", "al ontvangen deze maand")])
            )
            continue
        address = address_key(intake, values)
        if _objected(session, intake, address, values):
            plan.results.append(RowResult(number, "bezwaar"))
            continue
        earlier = address in known.earlier
        known.references.add(reference)
        plan.signals.append(
            (
                address,
                {
                    "organisation_id": org.id,
                    "reference": reference,
                    "period": period,
                    "municipality": municipality,
                    "address_key": address,
                    "channel": channel,
                    "batch_id": batch.id if batch else None,
                    "received_at": now,
                    "earlier_signal": earlier,
                    "data": values,
                },
            )
        )
        existing = known.cases.get(address)
        instance_id = existing.instance_id if existing else opening.get(address)
        if existing is not None or instance_id is not None:
            plan.events.append(
                {
                    "instance_id": instance_id,
                    "at": now,
                    "kind": "signaal_toegevoegd",
                    "element_id": None,
                    "task_id": None,
                    "actor": intake.principal.actor,
                    "details": {"referentie": reference, "melder": org.name},
                }
            )
            plan.results.append(
                RowResult(
                    number, "bij_bestaande_casus", instance_id=instance_id, earlier_signal=earlier
                )
            )
            continue
        instance_id = opening[address] = str(uuid.uuid4())
        plan.new_cases.append(
            {
                "municipality": municipality,
                "address_key": address,
                "period": period,
                "instance_id": instance_id,
                "created_at": now,
            }
        )
        plan.starts.append(_Start(address, values, earlier))
        plan.results.append(
            RowResult(number, "opgeslagen", instance_id=instance_id, earlier_signal=earlier)
        )
    return plan


def _write(
    session: Session, intake: Intake, known: _Known, plan: _Plan, period: str, today: date
) -> None:
    """The new cases in one insert (their numbers make the business keys), then signals,
    instances and events in one statement per table."""
    if plan.new_cases:
        ids = session.scalars(
            insert(SignalCase).returning(SignalCase.id, sort_by_parameter_order=True),
            plan.new_cases,
        ).all()
        for row, case_id in zip(plan.new_cases, ids, strict=True):
            known.cases[row["address_key"]] = _Case(case_id, row["instance_id"])
    with deferred_inserts(session) as buffer:
        buffer.add(
            Signal.__table__,
            [{**row, "case_id": known.cases[address].id} for address, row in plan.signals],
        )
        for start in plan.starts:
            _start_process(session, intake, known.cases[start.address], start, today, period)
        buffer.add(InstanceEvent.__table__, plan.events)


def _objected(session: Session, intake: Intake, address: str, values: dict[str, Any]) -> bool:
    """A recorded objection for the resident (or the whole address): count the refusal."""
    keys = {
        subject_key(intake.secret_key, address, values.get("geboortedatum")),
        subject_key(intake.secret_key, address, None),
    }
    if not keys & intake.objections:
        return False
    objection = session.scalars(
        select(Objection).where(
            Objection.municipality == intake.route.municipality, Objection.subject_key.in_(keys)
        )
    ).first()
    if objection is None:
        return False
    objection.signals_refused += 1
    return True


def _start_process(
    session: Session, intake: Intake, case: _Case, start: _Start, today: date, period: str
) -> None:
    municipality = intake.route.municipality
    org = intake.organisation
    extra = {
        "melddatum": today.isoformat(),
        "eerder_gemeld": start.earlier,
        "melder": org.name,
        "melder_soort": org.kind,
    }
    data = {
        **start.values,
        **{k: v for k, v in extra.items() if k in start_fields(intake.catalogue)},
    }
    start_case(
        session,
        intake.principal,
        intake.route.process_key,
        business_key=f"{municipality[:3].upper()}-{period}-{case.id:05d}",
        data=data,
        municipality=municipality,
        check_rights=False,
        version=intake.version,
        bound=intake.parties,
        instance_id=case.instance_id,
    )


def start_fields(catalogue: Catalogue) -> set[str]:
    """The fields the intake writes into every case it starts (app.engine.hooks.start_fields:
    a process with a signal starts only through the intake)."""
    if not catalogue.signal:
        return set()
    return {name for name in START_FIELDS if name in catalogue.fields}


def summarise(batch: SignalBatch, results: list[RowResult]) -> None:
    batch.rows_total += len(results)
    batch.rows_stored += sum(r.status in ("opgeslagen", "bij_bestaande_casus") for r in results)
    batch.rows_duplicate += sum(r.status == "dubbel" for r in results)
    batch.rows_rejected += sum(r.status == "afgewezen" for r in results)
    batch.rows_objected += sum(r.status == "bezwaar" for r in results)
    batch.errors = list(batch.errors or []) + [
        {"rij": r.row, "veld": f, "probleem": p}
        for r in results
        if r.status in ("afgewezen", "dubbel")
        for f, p in r.errors
    ]


def ensure_route(
    session: Session,
    organisation_id: int,
    municipality: str,
    process: str,
    reference_pattern: str | None = None,
    settings: dict[str, Any] | None = None,
) -> bool:
    """Give a partner an intake route to a process, unless it has one in the municipality.
    Returns whether it was added."""
    exists = session.scalar(
        select(IntakeRoute.id).where(
            IntakeRoute.organisation_id == organisation_id,
            IntakeRoute.municipality == municipality,
        )
    )
    if exists is not None:
        return False
    session.add(
        IntakeRoute(
            organisation_id=organisation_id,
            municipality=municipality,
            process_key=process,
            reference_pattern=reference_pattern,
            settings=dict(settings or {}),
        )
    )
    session.flush()
    return True
