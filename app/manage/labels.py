"""Dutch words for what the engine records in English."""

from __future__ import annotations

from datetime import datetime
from typing import Any

EVENTS = {
    "instance_started": "Gestart",
    "instance_completed": "Afgerond",
    "instance_cancelled": "Afgebroken",
    "instance_suspended": "Opgeschort",
    "instance_resumed": "Hervat",
    "task_created": "Taak klaargezet",
    "task_completed": "Taak afgerond",
    "task_claimed": "Taak opgepakt",
    "task_unclaimed": "Taak teruggelegd",
    "task_assigned": "Taak toegewezen",
    "task_cancelled": "Taak vervallen",
    "job_created": "Systeemtaak klaargezet",
    "job_completed": "Systeemtaak uitgevoerd",
    "job_failed": "Systeemtaak mislukt",
    "job_cancelled": "Systeemtaak vervallen",
    "timer_scheduled": "Timer gezet",
    "timer_fired": "Timer afgegaan",
    "timer_cancelled": "Timer vervallen",
    "message_awaited": "Wacht op bericht",
    "message_received": "Bericht ontvangen",
    "message_cancelled": "Wachten op bericht vervallen",
    "signal_awaited": "Wacht op signaal",
    "signal_received": "Signaal ontvangen",
    "signal_thrown": "Signaal verstuurd",
    "signal_cancelled": "Wachten op signaal vervallen",
    "party_bound": "Team neemt de rol in de zaak op zich",
    "incident_raised": "Storing",
    "incident_resolved": "Storing opgelost",
    "incident_data_added": "Gegevens aangevuld voor een storing",
    "incident_retry_failed": "Opnieuw geprobeerd, weer mislukt",
    "instance_modified": "Verplaatst naar een andere stap",
    "gegevens_gewist": "Gegevens gewist",
    "signaal_toegevoegd": "Signaal toegevoegd",
    "toestemming_gegeven": "Toestemming gegeven",
    "toestemming_geweigerd": "Toestemming geweigerd",
    "toestemming_ingetrokken": "Toestemming ingetrokken",
}

TIMER_KINDS = {"date": "moment", "duration": "duur", "cycle": "herhaling"}

# Details of history events, in the order they are shown. Only these keys are shown: they
# name fields, teams and moments, never case data values.
_DETAILS = {
    "reason": "reden",
    "message": "melding",
    "error": "fout",
    "topic": "onderwerp",
    "attempt": "poging",
    "retry_at": "opnieuw om",
    "due": "termijn",
    "groups": "teams",
    "assignee": "toegewezen aan",
    "previous": "eerder",
    "fields": "velden",
    "outputs": "velden",
    "kind": "soort",
    "version": "versie",
    "start": "start",
    "signal": "signaal",
    "party": "partij",
    "team": "team",
    "incident": "storing",
    "gewist": "gewist",
    "bewaard": "bewaard",
}


def event(kind: str) -> str:
    return EVENTS.get(kind, kind.replace("_", " "))


def status(value: str | None) -> str:
    from app.ui.formatting import status as in_dutch

    return in_dutch(value)


def details(values: dict[str, Any] | None) -> list[tuple[str, str]]:
    out = []
    for key, label in _DETAILS.items():
        value = (values or {}).get(key)
        if value in (None, "", [], {}):
            continue
        if isinstance(value, (list, tuple)):
            value = ", ".join(str(v) for v in value)
        elif key in ("due", "retry_at"):
            value = _moment(str(value))
        out.append((label, str(value)))
    return out


def _moment(text: str) -> str:
    from app.ui.formatting import datum

    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return text
    return datum(moment, tijd=True) if moment.tzinfo else text
