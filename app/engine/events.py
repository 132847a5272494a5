"""History events as people read them (Dutch)."""

from __future__ import annotations

LABELS = {
    "instance_started": "zaak gestart",
    "instance_completed": "zaak afgerond",
    "instance_cancelled": "zaak afgebroken",
    "instance_suspended": "zaak opgeschort",
    "instance_resumed": "zaak hervat",
    "task_created": "taak klaargezet",
    "task_claimed": "taak geclaimd",
    "task_unclaimed": "taak vrijgegeven",
    "task_assigned": "taak toegewezen",
    "task_completed": "taak afgerond",
    "task_cancelled": "taak vervallen",
    "timer_scheduled": "termijn gezet",
    "timer_fired": "termijn verstreken",
    "timer_cancelled": "termijn vervallen",
    "job_created": "opdracht aan register",
    "job_completed": "antwoord van register",
    "job_failed": "register gaf een fout",
    "job_cancelled": "opdracht vervallen",
    "message_awaited": "wacht op bericht",
    "message_received": "bericht ontvangen",
    "message_cancelled": "wachten op bericht vervallen",
    "signal_awaited": "wacht op signaal",
    "signal_received": "signaal ontvangen",
    "signal_thrown": "signaal verstuurd",
    "signal_cancelled": "wachten op signaal vervallen",
    "condition_met": "voorwaarde vervuld",
    "party_bound": "team neemt de rol in de zaak op zich",
    "incident_raised": "storing",
    "incident_resolved": "storing opgelost",
    "incident_data_added": "gegevens aangevuld voor een storing",
    "incident_retry_failed": "opnieuw geprobeerd, weer mislukt",
    "instance_modified": "procesinstantie verplaatst",
    "instance_migrated": "naar een andere versie gemigreerd",
    "signaal_toegevoegd": "melding toegevoegd",
    "toestemming_gegeven": "toestemming gegeven",
    "toestemming_geweigerd": "toestemming geweigerd",
    "toestemming_ingetrokken": "toestemming ingetrokken",
    "gegevens_gewist": "persoonsgegevens gewist",
}


def label(kind: str) -> str:
    return LABELS.get(kind, kind.replace("_", " "))
