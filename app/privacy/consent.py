"""The consent registry: given or refused, by whom, for which scope, when, with what
evidence, and its withdrawal. A withdrawal reaches the running instance as the message
`toestemming_ingetrokken`, so a process can stop a conversation or a referral at once."""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app import clock
from app.cases.models import Document
from app.engine import service
from app.engine.errors import Conflict, InvalidInput, NotFound
from app.engine.models import InstanceEvent, MessageSubscription, ProcessInstance, WaitStatus
from app.engine.runtime import version_catalogue
from app.privacy.models import Consent

WITHDRAWAL_MESSAGE = "toestemming_ingetrokken"
CHANNELS = ("schriftelijk", "mondeling", "digitaal")
MAX_GIVEN_BY = 300  # Consent.given_by
MAX_EVIDENCE_TEXT = 300  # a reference outside Stroom, e.g. "TF-2026-0101"
_MAX_ID = 2**31 - 1  # Document.id is a 32-bit integer on PostgreSQL
_DIGITS = re.compile(r"[0-9]+")

# Where `record` reports a wrong argument; a task form names its companion fields instead.
API_KEYS = {"channel": "channel", "given_by": "given_by", "evidence": "evidence_document_id"}


def companion_keys(name: str) -> dict[str, str]:
    """The form fields that go with consent field `name`, by what they carry."""
    return {"channel": f"kanaal_{name}", "given_by": f"door_{name}", "evidence": f"bewijs_{name}"}


@dataclass(frozen=True)
class Companions:
    """What the companion fields of one consent field say, checked."""

    channel: str
    given_by: str
    evidence_document_id: int | None
    note: str | None


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def in_writing(consent: Consent) -> bool:
    """A consent in writing: on paper with the signed form among the case's documents, or
    given digitally. The one rule for `heeft_toestemming(..., schriftelijk=True)` and for
    read rules with `schriftelijk: ja`."""
    return consent.channel == "digitaal" or (
        consent.channel == "schriftelijk" and consent.evidence_document_id is not None
    )


def read_companions(
    session: Session,
    instance_id: str,
    name: str,
    values: Mapping[str, Any],
    form_channel: str | None = None,
    form_fields: Collection[str] = (),
) -> tuple[Companions | None, dict[str, list[str]]]:
    """Check `kanaal_<name>`, `bewijs_<name>` and `door_<name>` in a task's values.

    `bewijs_`: all digits is the id of a document of this case; other text is a reference
    outside Stroom (the number on a paper form), kept in the consent's note. `kanaal_`:
    one of CHANNELS; without it, the channel the form's field declares (`form_channel`,
    e.g. a box "geeft schriftelijk toestemming"), else schriftelijk when there is evidence,
    else mondeling. A consent given in writing carries its evidence (the signed form).
    `door_`: who decided (the resident, by default, or a representative).
    A missing evidence is reported at its field when it was sent or is on the form
    (`form_fields`), else at the consent field. Returns the companions, or None and the
    errors per field."""
    keys = companion_keys(name)
    errors: dict[str, list[str]] = {}
    evidence = values.get(keys["evidence"])
    document_id: int | None = None
    note: str | None = None
    if isinstance(evidence, bool) or not (_blank(evidence) or isinstance(evidence, str | int)):
        errors[keys["evidence"]] = ["moet een documentnummer of een kenmerk zijn"]
    elif not _blank(evidence):
        text = str(evidence).strip()
        if len(text) > MAX_EVIDENCE_TEXT:
            errors[keys["evidence"]] = [f"hoogstens {MAX_EVIDENCE_TEXT} tekens"]
        elif _DIGITS.fullmatch(text):
            document_id = int(text)
        else:
            note = f"bewijs: {text}"
    channel = values.get(keys["channel"])
    if _blank(channel):
        declared = form_channel if values.get(name) is True else None  # a refusal: as said
        channel = declared or ("schriftelijk" if not _blank(evidence) else "mondeling")
    if channel == "schriftelijk" and values.get(name) is True and _blank(evidence):
        at = keys["evidence"] if keys["evidence"] in {*values, *form_fields} else name
        errors[at] = [
            "schriftelijke toestemming: vul het documentnummer of kenmerk van het "
            "ondertekende formulier in"
        ]
    given_by = values.get(keys["given_by"])
    if _blank(given_by):
        given_by = "bewoner"
    errors.update(
        check(
            session,
            instance_id,
            channel=channel,
            given_by=given_by,
            evidence_document_id=document_id,
            keys=keys,
        )
    )
    if errors:
        return None, errors
    return Companions(str(channel), str(given_by).strip(), document_id, note), {}


def check(
    session: Session,
    instance_id: str,
    *,
    channel: Any,
    given_by: Any,
    evidence_document_id: Any,
    keys: Mapping[str, str] = API_KEYS,
) -> dict[str, list[str]]:
    """What is wrong with a consent's channel, decider and evidence, per field (named by
    `keys`): checked here so that no database constraint can be the first to notice."""
    errors: dict[str, list[str]] = {}
    if not isinstance(channel, str) or channel not in CHANNELS:
        errors[keys["channel"]] = [f"onbekend kanaal; kies een van: {', '.join(CHANNELS)}"]
    if not isinstance(given_by, str):
        errors[keys["given_by"]] = ["moet tekst zijn: wie de toestemming gaf"]
    elif not given_by.strip():
        errors[keys["given_by"]] = ["vul in wie de toestemming gaf"]
    elif len(given_by.strip()) > MAX_GIVEN_BY:
        errors[keys["given_by"]] = [f"hoogstens {MAX_GIVEN_BY} tekens"]
    if evidence_document_id is not None:
        document = None
        if (
            isinstance(evidence_document_id, int)
            and not isinstance(evidence_document_id, bool)
            and 0 < evidence_document_id <= _MAX_ID
        ):
            document = session.get(Document, evidence_document_id)
        if document is None or document.instance_id != instance_id:
            errors[keys["evidence"]] = ["deze casus heeft geen document met dit nummer"]
    return errors


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
    keys: Mapping[str, str] = API_KEYS,
) -> Consent:
    """Record a consent or refusal. `keys` names the fields in the InvalidInput error (the
    API's arguments by default, a form's companion fields from a task)."""
    row = session.get(ProcessInstance, instance_id)
    if row is None:
        raise NotFound(f"procesinstantie {instance_id} bestaat niet")
    catalogue = version_catalogue(session, row.version_id)
    if catalogue is None or scope not in catalogue.consents:
        known = ", ".join(catalogue.consents) if catalogue else "geen"
        raise InvalidInput("onbekende toestemming", {"scope": [f"het proces kent: {known}"]})
    errors = check(
        session,
        instance_id,
        channel=channel,
        given_by=given_by,
        evidence_document_id=evidence_document_id,
        keys=keys,
    )
    if errors:
        raise InvalidInput("toestemming kan zo niet worden vastgelegd", errors)
    consent = Consent(
        instance_id=instance_id,
        scope=scope,
        given=given,
        given_by=given_by.strip(),
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
    consent = latest(session, instance_id, scope)
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


def latest(session: Session, instance_id: str, scope: str) -> Consent | None:
    """The consent that counts for `scope`: the last one recorded."""
    return session.scalars(
        select(Consent)
        .where(Consent.instance_id == instance_id, Consent.scope == scope)
        .order_by(Consent.recorded_at.desc(), Consent.id.desc())
        .limit(1)
    ).first()


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


def _form_fields(session: Session, execution: Any) -> dict[str, dict[str, Any]]:
    """The form fields of the task being completed, by key ({} without a form)."""
    from app.engine.runtime import version_forms
    from app.tasks.forms import components

    task = getattr(execution, "completing", None)
    if task is None or not task.form_key:
        return {}
    schema = version_forms(session, execution.row.version_id).get(task.form_key)
    return {c["key"]: c for c in components(schema or {})}


def record_from_task(
    session: Session, execution: Any, values: dict[str, Any], actor: str | None
) -> dict[str, Any]:
    """A yes/no form field whose catalogue entry says `registreert_toestemming: <scope>`
    goes into the consent registry, before the engine moves on (so `heeft_toestemming` at
    the next gateway sees it). A checkbox left unticked records nothing: the resident was
    not asked (a refusal is recorded where the form asks yes or no, a radio or a select).
    The form's field may declare its channel (`properties: {kanaal: schriftelijk}`); a
    written consent needs its evidence. Companion fields: `kanaal_<veld>` (schriftelijk,
    mondeling, digitaal), `bewijs_<veld>` (the id of the signed form's document in this case, or a
    reference outside Stroom) and `door_<veld>` (who decided).

    Every consent field is checked before any is recorded. Returns the values for the
    process data: without the companions, unless the catalogue declares them as fields. The
    engine calls this before it sets a completed task's data (app.engine.hooks.task_data)."""
    catalogue = execution.catalogue
    if catalogue is None:
        return values
    companions = catalogue.consent_companions()  # only those that are not catalogued
    asked = _form_fields(session, execution)
    checked: list[tuple[str, bool, Companions]] = []
    errors: dict[str, list[str]] = {}
    for name, value in values.items():
        field = catalogue.fields.get(name)
        if field is None or not field.records_consent or not isinstance(value, bool):
            continue
        component = asked.get(name) or {}
        if value is False and component.get("type") == "checkbox":
            continue  # a box left unticked: not asked, which is no refusal
        channel = (component.get("properties") or {}).get("kanaal")
        found, problems = read_companions(
            session,
            execution.row.id,
            name,
            values,
            channel if channel in CHANNELS else None,
            asked,
        )
        errors.update(problems)
        if found is not None:
            checked.append((field.records_consent, value, found))
    for name, value in values.items():
        base = companions.get(name)
        if base is None or value is None or (isinstance(value, str) and not value.strip()):
            continue
        if not isinstance(values.get(base), bool):
            errors[name] = [f"hoort bij {base}, dat in deze taak niet met ja of nee is ingevuld"]
    if errors:
        raise InvalidInput("toestemming kan zo niet worden vastgelegd", errors)
    for scope, value, found in checked:
        record(
            session,
            execution.row.id,
            scope,
            value,
            given_by=found.given_by,
            channel=found.channel,
            recorded_by=actor or "systeem",
            evidence_document_id=found.evidence_document_id,
            note=found.note,
        )
    return {name: value for name, value in values.items() if name not in companions}
