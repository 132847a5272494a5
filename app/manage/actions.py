"""Acting on instances: retry a failure, suspend, resume, cancel, give a task to someone else.

Every action needs a reason. It goes into the instance's history (through the engine's
service functions) and into the audit log, with who did it and the outcome, also when the
action failed. A bulk action is planned first (a dry run that lists exactly the instances it
will touch and why others are left alone); the plan is signed, and running it touches those
instances and no others, each in its own transaction. A plan runs once: the run is recorded in
the audit log first, and a second run of the same plan is refused.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy import func, insert, select
from sqlalchemy.orm import Session

from app.auth.principal import Principal
from app.db import Database
from app.engine import service
from app.engine.errors import EngineError, InvalidInput, NotFound
from app.engine.models import (
    HumanTask,
    Incident,
    IncidentStatus,
    InstanceStatus,
    ProcessInstance,
    TaskStatus,
)
from app.manage import queries
from app.manage.scope import find_instance
from app.privacy import logs
from app.privacy.models import AuditLog
from app.tasks import service as tasks

MIN_REASON = 5
MAX_REASON = 1000
MAX_BULK = 500
PLAN_SECONDS = 3600

ACTIONS: dict[str, str] = {
    "opnieuw": "Storingen opnieuw proberen",
    "opschorten": "Opschorten",
    "hervatten": "Hervatten",
    "afbreken": "Afbreken",
}
AUDIT = {
    "opnieuw": "proces.storing_opnieuw",
    "opschorten": "proces.opschorten",
    "hervatten": "proces.hervatten",
    "afbreken": "proces.afbreken",
    "toewijzen": "taak.toewijzen",
    "herstellen": "proces.storing_herstellen",
    "verplaatsen": "proces.verplaatsen",
}


class ActionError(Exception):
    """The action was refused or failed; the message is for the person who tried."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


@dataclass
class Context:
    """Who acts, and where the audit log goes."""

    db: Database
    session: Session
    principal: Principal
    secret_key: str

    def audit(
        self, action: str, object_type: str, object_id: Any, result: str, details: dict[str, Any]
    ) -> None:
        logs.audit(
            self.db,
            self.secret_key,
            self.principal,
            action,
            object_type,
            object_id,
            result,
            details,
        )


def check_reason(reason: str | None) -> str:
    text = " ".join((reason or "").split())
    if len(text) < MIN_REASON:
        raise ActionError(
            f"Geef een reden van minstens {MIN_REASON} tekens; die komt in het logboek.", "reden"
        )
    if len(text) > MAX_REASON:
        raise ActionError(f"De reden mag hoogstens {MAX_REASON} tekens lang zijn.", "reden")
    return text


# -- single actions ---------------------------------------------------------------------------


def _perform(
    ctx: Context,
    action: str,
    instance_id: str,
    reason: str,
    work: Callable[[], Any],
    details: dict[str, Any] | None = None,
    object_type: str = "procesinstantie",
    object_id: Any = None,
) -> None:
    """Run `work` in the session's transaction; commit; audit the outcome either way."""
    details = {"reden": reason, "procesinstantie": instance_id, **(details or {})}
    try:
        work()
        ctx.session.commit()
    except EngineError as exc:
        ctx.session.rollback()
        ctx.audit(
            AUDIT[action],
            object_type,
            object_id or instance_id,
            "mislukt",
            {**details, "fout": exc.message},
        )
        raise ActionError(_dutch(exc)) from exc
    ctx.audit(AUDIT[action], object_type, object_id or instance_id, "gelukt", details)


def _dutch(exc: EngineError) -> str:
    text = exc.message
    return text[:1].upper() + text[1:] + ("" if text.endswith(".") else ".")


def retry(
    ctx: Context,
    instance_id: str,
    incident_id: int,
    reason: str,
    extra: dict[str, Any] | None = None,
) -> None:
    row = find_instance(ctx.session, ctx.principal, instance_id)
    incident = ctx.session.get(Incident, incident_id)
    if incident is None or incident.instance_id != row.id:
        raise NotFound(f"storing {incident_id} bestaat niet")
    _perform(
        ctx,
        "opnieuw",
        row.id,
        reason,
        lambda: service.retry_incident(ctx.session, incident_id, ctx.principal.actor, reason),
        {"storing": incident_id, **(extra or {})},
    )


def change_state(
    ctx: Context, action: str, instance_id: str, reason: str, extra: dict[str, Any] | None = None
) -> None:
    functions = {
        "opschorten": service.suspend_instance,
        "hervatten": service.resume_instance,
        "afbreken": service.cancel_instance,
    }
    if action not in functions:
        raise ActionError("Onbekende handeling.")
    row = find_instance(ctx.session, ctx.principal, instance_id)
    _perform(
        ctx,
        action,
        row.id,
        reason,
        lambda: functions[action](ctx.session, row.id, ctx.principal.actor, reason),
        extra,
    )


def reassign(ctx: Context, task_id: str, username: str | None, reason: str) -> HumanTask:
    """Give an open task to `username`, or release it (None), with the candidate-group check
    of every door that hands out tasks (app.tasks.service.check_assignee): only within a
    team of the task that the manager belongs to; tasks of other organisations' teams answer
    as not found."""
    task = ctx.session.get(HumanTask, task_id)
    if task is None or task.status != TaskStatus.OPEN.value:
        raise NotFound(f"taak {task_id} bestaat niet of is niet meer open")
    row = find_instance(ctx.session, ctx.principal, task.instance_id)
    try:
        tasks.check_assignee(ctx.session, ctx.principal, task, username)
    except InvalidInput as exc:
        raise ActionError("Kies iemand uit een team van deze taak.", "toewijzen") from exc
    previous = task.assignee
    _perform(
        ctx,
        "toewijzen",
        row.id,
        reason,
        lambda: service.assign_task(ctx.session, task_id, username, ctx.principal.actor, reason),
        {"taak": task_id, "was": previous, "wordt": username},
        object_type="taak",
        object_id=task_id,
    )
    return task


# -- bulk: plan (dry run), then run ---------------------------------------------------------


@dataclass
class PlanItem:
    instance_id: str
    business_key: str | None
    process_name: str
    status: str
    incidents: list[tuple[int, str]] = field(default_factory=list)  # (id, element name)


@dataclass
class Skipped:
    instance_id: str
    business_key: str | None
    why: str


@dataclass
class Plan:
    action: str
    items: list[PlanItem]
    skipped: list[Skipped]
    left_over: int = 0  # eligible, but beyond MAX_BULK: for a next round
    token: str = ""

    @property
    def label(self) -> str:
        return ACTIONS[self.action]


def _why_not(action: str, row: ProcessInstance, open_incidents: list[Incident]) -> str | None:
    status = row.status
    if action == "opnieuw":
        if not open_incidents:
            return "heeft geen open storing"
        if status == InstanceStatus.SUSPENDED.value:
            return "is opgeschort; hervat eerst"
        return None
    if status in InstanceStatus.ended():
        return "is al beëindigd"
    if action == "opschorten" and status == InstanceStatus.SUSPENDED.value:
        return "is al opgeschort"
    if action == "hervatten" and status != InstanceStatus.SUSPENDED.value:
        return "is niet opgeschort"
    return None


def plan(ctx: Context, action: str, instance_ids: list[str]) -> Plan:
    """The dry run: which of these instances the action would touch, and why not the rest.
    Instances the principal may not see are left out without a word (as if not there)."""
    if action not in ACTIONS:
        raise ActionError("Kies een handeling.", "actie")
    wanted = list(dict.fromkeys(i for i in instance_ids if i))
    if not wanted:
        raise ActionError("Kies eerst een of meer zaken.", "instantie")
    names = queries.process_names(ctx.session)
    items: list[PlanItem] = []
    skipped: list[Skipped] = []
    left_over = 0
    for instance_id in wanted:
        try:
            row = find_instance(ctx.session, ctx.principal, instance_id)
        except NotFound:
            continue
        open_incidents = list(
            ctx.session.scalars(
                select(Incident)
                .where(Incident.instance_id == row.id, Incident.status == IncidentStatus.OPEN.value)
                .order_by(Incident.id)
            )
        )
        why = _why_not(action, row, open_incidents)
        if why:
            skipped.append(Skipped(row.id, row.business_key, why))
            continue
        if len(items) >= MAX_BULK:
            left_over += 1
            continue
        items.append(
            PlanItem(
                row.id,
                row.business_key,
                names.get(row.definition_key, row.definition_key),
                row.status,
                [
                    (i.id, queries.element_name(ctx.session, row.version_id, i.element_id))
                    for i in open_incidents
                ]
                if action == "opnieuw"
                else [],
            )
        )
    result = Plan(action, items, skipped, left_over)
    result.token = _serializer(ctx.secret_key).dumps(
        {
            "a": action,
            "u": ctx.principal.actor,
            "p": secrets.token_hex(6),
            "i": [[item.instance_id, [i for i, _ in item.incidents]] for item in items],
        }
    )
    return result


def _load(ctx: Context, token: str) -> dict[str, Any]:
    try:
        data = _serializer(ctx.secret_key).loads(token, max_age=PLAN_SECONDS)
    except SignatureExpired as exc:
        raise ActionError("Dit voorstel is verlopen; maak een nieuw.") from exc
    except BadSignature as exc:
        raise ActionError("Dit voorstel is ongeldig; maak een nieuw.") from exc
    if data.get("u") != ctx.principal.actor:
        raise ActionError("Dit voorstel is door iemand anders gemaakt; maak een eigen.")
    return data


def read_plan(ctx: Context, token: str) -> Plan:
    """A signed plan as it was made (to show it again), without checking anything anew."""
    data = _load(ctx, token)
    names = queries.process_names(ctx.session)
    items = []
    for instance_id, incident_ids in data["i"]:
        row = ctx.session.get(ProcessInstance, instance_id)
        if row is None:
            continue
        incidents = [ctx.session.get(Incident, i) for i in incident_ids]
        items.append(
            PlanItem(
                row.id,
                row.business_key,
                names.get(row.definition_key, row.definition_key),
                row.status,
                [
                    (i.id, queries.element_name(ctx.session, row.version_id, i.element_id))
                    for i in incidents
                    if i is not None
                ],
            )
        )
    return Plan(data["a"], items, [], 0, token)


@dataclass
class Outcome:
    instance_id: str
    business_key: str | None
    result: str  # gelukt, mislukt
    message: str = ""


PLAN_AUDIT = "proces.bulk_uitvoeren"
PLAN_OBJECT = "bulkactie"


def _claim(ctx: Context, data: dict[str, Any], reason: str) -> None:
    """Mark the plan as used, once: a signed plan is valid for an hour, but may run only one
    time (else a form sent twice, or a copied plan, would act again on instances that were
    handled since). The claim is an audit-log row written and committed before the first
    action, with the plan's id, the reason and the instances; a second run finds it and is
    refused. Two runs at the same moment queue: on SQLite the request's write transaction
    holds the database's write lock, on PostgreSQL an advisory lock on the plan's id."""
    session = ctx.session
    plan_id = str(data["p"])
    if session.get_bind().dialect.name == "postgresql":
        session.execute(select(func.pg_advisory_xact_lock(_lock_key(plan_id))))
    used = session.scalar(
        select(AuditLog.id)
        .where(
            AuditLog.object_type == PLAN_OBJECT,
            AuditLog.object_id == plan_id,
            AuditLog.action == PLAN_AUDIT,
        )
        .limit(1)
    )
    if used is not None:
        session.rollback()
        raise ActionError(
            "Dit voorstel is al uitgevoerd; een voorstel werkt maar één keer. "
            "Maak een nieuw voorstel als er nog iets moet gebeuren."
        )
    session.execute(
        insert(AuditLog),
        [
            logs.audit_row(
                ctx.principal,
                PLAN_AUDIT,
                PLAN_OBJECT,
                plan_id,
                "gelukt",
                {
                    "actie": data["a"],
                    "reden": reason,
                    "procesinstanties": [instance_id for instance_id, _ in data["i"]],
                },
            )
        ],
    )
    session.commit()


def _lock_key(plan_id: str) -> int:
    """A PostgreSQL advisory lock key (signed 64 bits) for a plan id."""
    digest = hashlib.sha256(f"{PLAN_OBJECT}:{plan_id}".encode()).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


def run(ctx: Context, token: str, reason: str) -> tuple[str, list[Outcome]]:
    """Carry out a signed plan, once: exactly its instances (and, for retries, exactly its
    incidents), each in its own transaction and audited with the reason and the plan's id."""
    data = _load(ctx, token)
    reason = check_reason(reason)
    action = data["a"]
    _claim(ctx, data, reason)
    outcomes: list[Outcome] = []
    for instance_id, incident_ids in data["i"]:
        extra = {"bulk": data["p"]}
        key = ctx.session.scalar(
            select(ProcessInstance.business_key).where(ProcessInstance.id == instance_id)
        )
        try:
            if action == "opnieuw":
                for incident_id in incident_ids:
                    retry(ctx, instance_id, incident_id, reason, extra)
            else:
                change_state(ctx, action, instance_id, reason, extra)
        except (ActionError, EngineError) as exc:
            ctx.session.rollback()
            outcomes.append(Outcome(instance_id, key, "mislukt", getattr(exc, "message", "")))
            continue
        if action == "opnieuw" and _still_open(ctx, incident_ids):
            # Retried, and the step failed again at once: its incident is open again.
            outcomes.append(
                Outcome(instance_id, key, "mislukt", "Opnieuw geprobeerd, weer mislukt.")
            )
            continue
        outcomes.append(Outcome(instance_id, key, "gelukt"))
    return action, outcomes


def _still_open(ctx: Context, incident_ids: list[int]) -> bool:
    return bool(
        ctx.session.scalar(
            select(func.count())
            .select_from(Incident)
            .where(Incident.id.in_(incident_ids), Incident.status == IncidentStatus.OPEN.value)
        )
    )


def _serializer(secret_key: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(secret_key, salt="stroom-bulkactie")
