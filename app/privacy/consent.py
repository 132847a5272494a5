"""The consent registry: given or refused, by whom, for which scope, when, with what
evidence, and its withdrawal. A withdrawal reaches the running instance as the message
`toestemming_ingetrokken`, so a process can stop a conversation or a referral at once."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app import clock
from app.engine import service
from app.engine.errors import Conflict, InvalidInput, NotFound
from app.engine.models import InstanceEvent, MessageSubscription, ProcessInstance, WaitStatus
from app.engine.runtime import version_catalogue
from app.privacy.models import Consent

WITHDRAWAL_MESSAGE = "toestemming_ingetrokken"
CHANNELS = ("schriftelijk", "mondeling", "digitaal")


def _history(
    session: Session, instance_id: str, kind: str, actor: str, details: dict[str, Any]
) -> None:
    session.add(
        InstanceEvent(
            instance_id=instance_id, at=clock.now(), kind=kind, actor=actor, details=details
        )
    )


def record(
    session: Session,
    instance_id: str,
    scope: str,
    given: bool,
    *,
    given_by: str,
    channel: str,
    recorded_by: str,
    evidence_document_id: int | None = None,
    note: str | None = None,
) -> Consent:
    row = session.get(ProcessInstance, instance_id)
    if row is None:
        raise NotFound(f"procesinstantie {instance_id} bestaat niet")
    catalogue = version_catalogue(session, row.version_id)
    if catalogue is None or scope not in catalogue.consents:
        known = ", ".join(catalogue.consents) if catalogue else "geen"
        raise InvalidInput("onbekende toestemming", {"scope": [f"het proces kent: {known}"]})
    if channel not in CHANNELS:
        raise InvalidInput("onbekend kanaal", {"channel": [f"een van: {', '.join(CHANNELS)}"]})
    consent = Consent(
        instance_id=instance_id,
        scope=scope,
        given=given,
        given_by=given_by,
        channel=channel,
        recorded_by=recorded_by,
        recorded_at=clock.now(),
        evidence_document_id=evidence_document_id,
        note=note,
    )
    session.add(consent)
    session.flush()
    _history(
        session,
        instance_id,
        "toestemming_gegeven" if given else "toestemming_geweigerd",
        recorded_by,
        {"scope": scope, "kanaal": channel, "consent": consent.id, "bewijs": evidence_document_id},
    )
    return consent


def withdraw(
    session: Session, instance_id: str, scope: str, *, withdrawn_by: str, channel: str
) -> Consent:
    consent = session.scalars(
        select(Consent)
        .where(Consent.instance_id == instance_id, Consent.scope == scope)
        .order_by(Consent.recorded_at.desc(), Consent.id.desc())
    ).first()
    if consent is None or not consent.given:
        raise NotFound(f"geen gegeven toestemming {scope!r} in deze casus")
    if consent.withdrawn_at is not None:
        raise Conflict("deze toestemming is al ingetrokken")
    if channel not in CHANNELS:
        raise InvalidInput("onbekend kanaal", {"channel": [f"een van: {', '.join(CHANNELS)}"]})
    consent.withdrawn_at = clock.now()
    consent.withdrawn_by = withdrawn_by
    consent.withdrawal_channel = channel
    _history(
        session,
        instance_id,
        "toestemming_ingetrokken",
        withdrawn_by,
        {"scope": scope, "kanaal": channel, "consent": consent.id},
    )
    session.flush()
    _notify(session, instance_id, scope, withdrawn_by)
    return consent


def _notify(session: Session, instance_id: str, scope: str, actor: str) -> None:
    """Deliver the withdrawal to the instance if it waits for it right now; a process that
    does not wait checks `heeft_toestemming` at its next decision instead."""
    waiting = session.scalar(
        select(MessageSubscription).where(
            MessageSubscription.instance_id == instance_id,
            MessageSubscription.message_name == WITHDRAWAL_MESSAGE,
            MessageSubscription.status == WaitStatus.WAITING.value,
        )
    )
    if waiting is not None:
        service.deliver_message(
            session,
            WITHDRAWAL_MESSAGE,
            waiting.correlation_key,
            {"ingetrokken_toestemming": scope},
            actor,
        )


def history(session: Session, instance_id: str) -> list[Consent]:
    return list(
        session.scalars(
            select(Consent)
            .where(Consent.instance_id == instance_id)
            .order_by(Consent.recorded_at, Consent.id)
        )
    )
