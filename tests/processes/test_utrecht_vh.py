"""Scenario tests of Voorkom Huisuitzetting Utrecht (bijlage 3 of the Utrecht covenant): every
path of bpmn/utrecht_vh.bpmn on the virtual clock, with who gets which task when, the deadlines
in (working) days, and what each party may see in each phase.

Dates are 2026-2029, Europe/Amsterdam. Non-working days used below (Algemene termijnenwet):
Good Friday 3 April 2026 and Easter Monday 6 April 2026; New Year's Day 1 January 2027 and
2029; Good Friday 30 March 2029 and Easter Monday 2 April 2029; weekends.
"""

from __future__ import annotations

import json
import shutil
from datetime import date, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from app.cases.models import Document
from app.cases.settings import set_value
from app.cases.views import sight, visible_documents
from app.catalogue import load
from app.catalogue.model import FORBIDDEN_NAME
from app.engine.deploy import parse_files
from app.engine.errors import DeploymentError, InvalidInput, NotFound
from app.engine.models import HumanTask, InstanceEvent, Timer
from app.privacy import access, consent
from app.privacy.models import Consent
from app.tasks.forms import validate
from tests.processes.utrecht_vh_support import (
    BUDGET_DATA,
    BUURTTEAM_ONLY,
    CORPORATION_OWN,
    FILE_COMPLETION,
    FOR_BUDGET_MANAGEMENT,
    FORMS,
    HEALTH,
    HUURVERLEDEN,
    INTAKE,
    KEY,
    MUNICIPALITY,
    NAW,
    Utrecht,
    close,
    consent_to_talk,
    eligible_intake,
    invite,
    local_iso,
    open_elements,
    register,
    report_with_consent,
    scan_agreement,
    setup,
    start_support,
    talk,
    tasks_of,
)
from tests.support.coverage import record

pytestmark = pytest.mark.process(KEY)

ROOT = Path(__file__).resolve().parents[2]
DIAGRAM = ROOT / "bpmn" / f"{KEY}.bpmn"
CATALOGUE = ROOT / "bpmn" / f"{KEY}.catalogus.yaml"
PHASES = ("aanmelding", "aannamegesprek", "bij_aanname", "budgetbeheer", "afsluiting")


def consents(u: Utrecht, instance_id: str) -> list[tuple[str, bool, str]]:
    with u.db.session() as session:
        return [
            (c.scope, c.given, c.channel)
            for c in session.scalars(
                select(Consent).where(Consent.instance_id == instance_id).order_by(Consent.id)
            )
        ]


def timer_due(u: Utrecht, instance_id: str, element: str) -> str | None:
    with u.db.session() as session:
        row = session.scalars(
            select(Timer)
            .where(Timer.instance_id == instance_id, Timer.element_id == element)
            .order_by(Timer.id.desc())
        ).first()
        return None if row is None else f"{local_iso(row.due_at)[:19]} {row.status}"


def never_for_corporation(u: Utrecht, instance_id: str) -> None:
    """Step 3's check ("already known") and the health data never reach the corporation."""
    seen = u.sees("corporatie", instance_id)
    assert not seen & (BUURTTEAM_ONLY | HEALTH), seen & (BUURTTEAM_ONLY | HEALTH)


def finish_to_budget_management(u: Utrecht, key: str) -> None:
    """The happy path from the report to budget management under way on Thursday 2 April
    2026 (10:00 summer time): consent, eligible intake, file completed in time."""
    invite(u, key)
    eligible_intake(u, key)
    register(u, key, "2026-03-18")
    u.on("2026-03-20")
    u.do("corporatie", "dossier_aanvullen", key, dict(FILE_COMPLETION))
    start_support(u, key, "2026-03-23", "2026-04-01")
    u.on("2026-04-02T10:00")
    u.do("werk_en_inkomen", "budgetbeheer_registreren", key, dict(BUDGET_DATA))


# -- registration with consent, the whole trajectory, positive close (17a) ------------------


def test_consent_to_share_naw_through_the_trajectory_to_a_positive_close(
    db, settings, clock
) -> None:
    u = setup(db, settings, clock)
    instance_id, key = u.start()
    assert key == "UTR-2026-03-00001"
    assert u.phase(key) == "aanmelding"
    first = u.task("bewoner_informeren", key)
    assert (first.candidate_groups, first.due_at) == (["portaal"], None)
    # Nothing has gone to the team yet: it sees nothing of the corporation's registration.
    assert u.sees("buurtteam", instance_id) == set()
    assert u.sees("werk_en_inkomen", instance_id) == set()

    # Step 1-2: contact, consent to share NAW -> the team gets the verdict and NAW only.
    _, key = instance_id, key
    u.do(
        "corporatie",
        "bewoner_informeren",
        key,
        {
            "wijze_informeren": "telefonisch",
            "contact_gelegd": True,
            "toestemming_naw": True,
            "kanaal_toestemming_naw": "mondeling",
        },
    )
    assert consents(u, instance_id) == [("naw_delen", True, "mondeling")]
    assert u.sees("buurtteam", instance_id) == {"melding_vonnis", "melding_naw"}
    data = u.sim.instance(key).data
    assert data["melding_naw"] == {
        "naam": "J. de Bruijn",
        "straat": "Kanaalstraat",
        "huisnummer": "112",
        "toevoeging": "bis",
        "postcode": "3531 AB",
        "woonplaats": "Utrecht",
    }
    assert data["melding_vonnis"] == "vonnis huisuitzetting mogelijk"
    assert u.sees("werk_en_inkomen", instance_id) == set()
    assert u.sees("corporatie", instance_id) >= CORPORATION_OWN | {"melding_naw"}

    # Step 3 through the web path: a person of the Buurtteam completes it; Portaal's people
    # cannot even find the task, nor record a team-only field in a task of their own.
    check = u.task("bekend_controleren", key)
    assert check.candidate_groups == ["buurtteam-utrecht"]
    with pytest.raises(NotFound):
        u.web_complete("buurtteam", "bekend_controleren", key, {"al_bekend": True}, "corporatie")
    u.on("2026-03-03")
    u.web_complete(
        "buurtteam",
        "bekend_controleren",
        key,
        {"al_bekend": True, "betrokken_medewerker": "Fatima Ouali"},
    )
    assert {"al_bekend", "betrokken_medewerker"} <= u.sees("buurtteam", instance_id)
    never_for_corporation(u, instance_id)
    assert u.task("uitnodiging_versturen", key).candidate_groups == ["portaal"]
    with pytest.raises(InvalidInput) as refused:
        u.web_complete("corporatie", "uitnodiging_versturen", key, {"al_bekend": False})
    assert "al_bekend" in refused.value.fields
    u.on("2026-03-04")
    u.do(
        "corporatie",
        "uitnodiging_versturen",
        key,
        {
            "datum_aannamegesprek": "2026-03-12T10:00:00+01:00",
            "naam_woonconsulent": "Wim Bakker",
            "uitnodiging_verstuurd_op": "2026-03-04",
        },
    )

    # Steps 5-6: consent to the conversation first, then the intake; eligible; agreement.
    assert u.phase(key) == "aannamegesprek"
    consent_to_talk(u, key)
    assert consents(u, instance_id)[-1] == ("gesprek", True, "mondeling")
    u.do("buurtteam", "aannamegesprek_voeren", key, dict(INTAKE))
    team = u.sees("buurtteam", instance_id)
    assert set(INTAKE) <= team
    corporation = u.sees("corporatie", instance_id)
    assert HUURVERLEDEN <= corporation  # the rent history it brought in itself
    # Its housing consultant assesses with the team (step 6): during the conversation, with
    # consent, Portaal reads what the assessment rests on, never the health data.
    assert FOR_BUDGET_MANAGEMENT | {"gezin_kinderen"} <= corporation
    assert not corporation & HEALTH
    assert u.sees("werk_en_inkomen", instance_id) == set()
    never_for_corporation(u, instance_id)
    u.do(
        "buurtteam",
        "beoordelen",
        key,
        {"komt_in_aanmerking": True, "wil_deelnemen": True, "wenst_ondersteuning_buurtteam": False},
    )
    u.do(
        "corporatie",
        "overeenkomst_vastleggen",
        key,
        {"vh_uitgelegd": True, "overeenkomst_getekend": True, "datum_overeenkomst": "2026-03-12"},
    )

    # Bij aanname (agreement signed, bijlage 3.3): the corporation's NAW and what budget
    # management needs go to the team, the coordinator and Werk en Inkomen; health data never
    # to Werk en Inkomen, the rent history and the children not either.
    assert u.phase(key) == "bij_aanname"
    assert u.task("overeenkomst_scannen", key).candidate_groups == ["portaal"]
    # The assessment done, the corporation no longer reads the intake (its file keeps only
    # what steps 9-10 name).
    assert not u.sees("corporatie", instance_id) & (
        HEALTH | FOR_BUDGET_MANAGEMENT | {"gezin_kinderen"}
    )
    wi = u.sees("werk_en_inkomen", instance_id)
    assert NAW | FOR_BUDGET_MANAGEMENT | {"overeenkomst_getekend", "melder"} <= wi
    assert not wi & (HEALTH | HUURVERLEDEN | BUURTTEAM_ONLY | {"gezin_kinderen", "melding_naw"})
    assert NAW <= u.sees("buurtteam", instance_id)

    # Steps 7-10: KRIS number back to Portaal; the request to complete the file is sent on
    # Wednesday 18 March: three (calendar) days end on Saturday 21 March, which Atw art. 1
    # extends to Monday 23 March.
    register(u, key, "2026-03-18")
    assert "kris_nummer" in u.sees("corporatie", instance_id)
    completion = u.task("dossier_aanvullen", key)
    assert completion.candidate_groups == ["portaal"]
    assert local_iso(completion.due_at) == "2026-03-23T23:59:59+01:00"
    assert timer_due(u, instance_id, "aanvultermijn_verstreken") == "2026-03-23T23:59:59 waiting"
    u.on("2026-03-20")
    u.do("corporatie", "dossier_aanvullen", key, dict(FILE_COMPLETION))
    assert timer_due(u, instance_id, "aanvultermijn_verstreken").endswith("cancelled")
    assert tasks_of(db, key, "dossier_aanvullen_herinnering") == []
    # Steps 11, 12 and 13 run side by side; 14 follows 12.
    assert open_elements(db, key) == ["aanmelden_wi", "incasso_bevriezen", "ondersteuning_starten"]
    assert u.task("aanmelden_wi", key).candidate_groups == ["vh-coordinator"]
    assert {"kris_nummer", "huurachterstand", "datum_vonnis"} <= u.sees(
        "werk_en_inkomen", instance_id
    )
    start_support(u, key, "2026-03-23", "2026-04-01")
    assert "startdatum_budgetbeheer" in u.sees("corporatie", instance_id)

    # Step 15-16: budget management from Thursday 2 April 2026; a progress talk every quarter
    # (3 calendar months from 2 April: Thursday 2 July), due within 10 working days
    # (3, 6-10, 13-16 July -> Thursday 16 July).
    u.on("2026-04-02T10:00")
    u.do("werk_en_inkomen", "budgetbeheer_registreren", key, dict(BUDGET_DATA))
    assert u.phase(key) == "budgetbeheer"
    assert u.task("budgetbeheer_uitvoeren", key).candidate_groups == ["utrecht-wi"]
    assert timer_due(u, instance_id, "elk_kwartaal") == "2026-07-02T10:00:00 waiting"
    assert {"inkomen_partner", "zelfstandigheid"} <= u.sees("werk_en_inkomen", instance_id)
    assert not {"inkomen_partner", "zelfstandigheid"} & u.sees("corporatie", instance_id)
    u.on("2026-07-01")
    assert tasks_of(db, key, "voortgangsgesprek") == []
    u.on("2026-07-02T12:00")
    first_talk = u.task("voortgangsgesprek", key)
    assert first_talk.candidate_groups == ["buurtteam-utrecht"]
    assert local_iso(first_talk.created_at)[:10] == "2026-07-02"
    assert local_iso(first_talk.due_at) == "2026-07-16T23:59:59+02:00"
    talk(u, key, "2026-07-07")
    # Second quarter: Friday 2 October (the same day of the month, not 91 days on: 1 October);
    # 10 working days: 5-9, 12-16 October.
    u.on("2026-10-01T12:00")
    assert tasks_of(db, key, "voortgangsgesprek")[-1].status == "completed"  # none new yet
    u.on("2026-10-02T12:00")
    assert local_iso(u.task("voortgangsgesprek", key).due_at) == "2026-10-16T23:59:59+02:00"
    talk(u, key, "2026-10-08")
    never_for_corporation(u, instance_id)

    # 17a: stable payments -> the counsellor closes positively; the repetition ends.
    u.on("2026-10-12")
    u.do(
        "werk_en_inkomen",
        "budgetbeheer_uitvoeren",
        key,
        {
            "uitkomst_budgetbeheer": "positief afsluiten",
            "huurder_geinformeerd": True,
            "toelichting_uitkomst": "Huur op tijd; afbetaalregeling stabiel",
        },
    )
    assert u.phase(key) == "afsluiting"
    assert open_elements(db, key) == ["kris_dossier_sluiten"]
    assert u.task("kris_dossier_sluiten", key).candidate_groups == ["vh-coordinator"]
    assert timer_due(u, instance_id, "elk_kwartaal").endswith("cancelled")
    assert u.sim.instance(key).data["vh_uitkomst"] == "positief"
    u.on("2027-01-20")
    assert len(tasks_of(db, key, "voortgangsgesprek")) == 2  # no talks after the close

    # Steps 18-19.
    close(u, key, "2027-01-20")
    row = u.sim.instance(key)
    assert row.status == "completed"
    # Ended at: the quarterly talks' branch, 17a inside the trajectory, and step 19.
    assert u.sim.end_events() == {
        "voortgangsgesprek_gevoerd": 1,
        "traject_positief": 1,
        "vh_afgesloten": 1,
    }
    assert {"vh_uitkomst", "kris_dossier_gesloten_op"} <= u.sees("corporatie", instance_id)
    never_for_corporation(u, instance_id)
    record(db, KEY)


# -- optional fields left out (data coverage) ----------------------------------------------


def test_a_report_without_a_house_number_addition_gives_naw_without_it(db, settings, clock) -> None:
    """The addition (toevoeging) is optional in Portaal's report; the script that puts
    together what the team may see reads it. Left out, the team gets the rest of the NAW
    and the case goes on to the team's check."""
    u = setup(db, settings, clock)
    instance_id, key = u.start("PORT-2026-0077", toevoeging="")
    assert u.sim.instance(key).data.get("toevoeging") in (None, "")
    report_consent = {
        "wijze_informeren": "telefonisch",
        "contact_gelegd": True,
        "toestemming_naw": True,
        "kanaal_toestemming_naw": "mondeling",
    }
    u.do("corporatie", "bewoner_informeren", key, report_consent)
    data = u.sim.instance(key).data
    assert data["melding_naw"]["naam"] == "J. de Bruijn"
    assert data["melding_naw"].get("toevoeging") in (None, "")
    assert u.sees("buurtteam", instance_id) == {"melding_vonnis", "melding_naw"}
    assert open_elements(db, key) == ["bekend_controleren"]
    record(db, KEY)


# -- no contact: postcode only; no consent to talk; regular team registration ----------------


def test_no_contact_gives_the_team_only_the_postcode_then_regular_registration(
    db, settings, clock
) -> None:
    u = setup(db, settings, clock)
    instance_id, key = u.start()
    u.do(
        "corporatie",
        "bewoner_informeren",
        key,
        {"wijze_informeren": "schriftelijk", "contact_gelegd": False},
    )
    assert consents(u, instance_id) == []
    assert u.sees("buurtteam", instance_id) == {"melding_vonnis", "melding_postcode"}
    assert u.sim.instance(key).data["melding_postcode"] == "3531 AB"
    assert u.sees("werk_en_inkomen", instance_id) == set()

    invite(u, key)
    # The tenant comes, but does not consent to the conversation: no intake at all.
    consent_to_talk(u, key, given=False)
    assert consents(u, instance_id) == [("gesprek", False, "mondeling")]
    assert tasks_of(db, key, "aannamegesprek_voeren") == []
    u.do(
        "buurtteam",
        "beoordelen",
        key,
        {
            "komt_in_aanmerking": False,
            "wil_deelnemen": False,
            "wenst_ondersteuning_buurtteam": True,
        },
    )
    # Not eligible / not willing: the corporation closes with a reason; the tenant who still
    # wants team support goes to the regular registration of the Buurtteam.
    closing = u.task("dossier_afsluiten_reden", key)
    assert closing.candidate_groups == ["portaal"]
    u.do(
        "corporatie",
        "dossier_afsluiten_reden",
        key,
        {"reden_afsluiting": "geen toestemming voor aannamegesprek"},
    )
    u.do("buurtteam", "aanmelden_buurtteam", key, {"regulier_aangemeld_op": "2026-03-13"})
    assert u.sim.instance(key).status == "completed"
    assert u.sim.end_events() == {"regulier_aangemeld": 1}
    assert tasks_of(db, key, "kris_dossier_aanmaken") == []  # no team file (no VH-traject)
    corporation = u.sees("corporatie", instance_id)
    assert "reden_afsluiting" in corporation
    never_for_corporation(u, instance_id)
    assert not NAW & u.sees("buurtteam", instance_id)
    assert u.sees("werk_en_inkomen", instance_id) == set()
    record(db, KEY)


# -- explicit refusal: the team gets nothing --------------------------------------------------


def test_explicit_refusal_gives_the_team_nothing(db, settings, clock) -> None:
    u = setup(db, settings, clock)
    instance_id, key = u.start()
    u.do(
        "corporatie",
        "bewoner_informeren",
        key,
        {"wijze_informeren": "telefonisch", "contact_gelegd": True, "toestemming_naw": False},
    )
    assert consents(u, instance_id) == [("naw_delen", False, "mondeling")]
    row = u.sim.instance(key)
    assert row.status == "completed"
    assert u.sim.end_events() == {"geen_gegevens_gedeeld": 1}
    assert not {"melding_vonnis", "melding_naw", "melding_postcode"} & set(row.data)
    assert u.sees("buurtteam", instance_id) == set()
    assert u.sees("vh_coordinator", instance_id) == set()
    assert u.sees("werk_en_inkomen", instance_id) == set()
    assert u.sees("corporatie", instance_id) >= CORPORATION_OWN
    with db.session() as session:
        groups = session.scalars(
            select(HumanTask.candidate_groups).where(HumanTask.instance_id == instance_id)
        ).all()
    assert groups == [["portaal"]]  # the team never got a task
    record(db, KEY)


# -- withdrawing consent stops the intake at once ------------------------------------------


def test_withdrawing_consent_stops_the_intake_at_once(db, settings, clock) -> None:
    u = setup(db, settings, clock)
    instance_id, key = report_with_consent(u)
    invite(u, key)
    consent_to_talk(u, key)
    conversation = u.task("aannamegesprek_voeren", key)
    assert conversation.candidate_groups == ["buurtteam-utrecht"]

    u.on("2026-03-12T10:40")
    with db.transaction() as session:
        consent.withdraw(
            session, instance_id, "gesprek", withdrawn_by="bewoner", channel="mondeling"
        )
    u.sim.settle()
    (stopped,) = tasks_of(db, key, "aannamegesprek_voeren")
    assert stopped.status == "cancelled"
    assessment = u.task("beoordelen", key)
    assert local_iso(assessment.created_at) == "2026-03-12T10:40:00+01:00"  # at once
    assert u.sim.instance(key).data["ingetrokken_toestemming"] == "gesprek"
    assert "ingetrokken_toestemming" in u.sees("corporatie", instance_id)
    # Without consent there is no VH-traject, even if the assessment were positive.
    u.do(
        "buurtteam",
        "beoordelen",
        key,
        {"komt_in_aanmerking": True, "wil_deelnemen": True, "wenst_ondersteuning_buurtteam": False},
    )
    u.do(
        "corporatie",
        "dossier_afsluiten_reden",
        key,
        {"reden_afsluiting": "toestemming ingetrokken tijdens aannamegesprek"},
    )
    assert u.sim.instance(key).status == "completed"
    assert u.sim.end_events() == {"geen_vh_traject": 1}
    assert tasks_of(db, key, "overeenkomst_vastleggen") == []
    never_for_corporation(u, instance_id)
    record(db, KEY)


def test_not_eligible_after_the_conversation_keeps_no_intake_data(db, settings, clock) -> None:
    """Bijlage 3.1 stap 6: a tenant found not eligible keeps no data from the intake
    conversation (health, income, debts, household, rent history) in the case: they served
    the assessment only. The report, the consents and the reason for closing stay."""
    u = setup(db, settings, clock)
    instance_id, key = report_with_consent(u)
    invite(u, key)
    consent_to_talk(u, key)
    u.do("buurtteam", "aannamegesprek_voeren", key, dict(INTAKE))
    assert set(INTAKE) <= set(u.sim.instance(key).data)
    u.do(
        "buurtteam",
        "beoordelen",
        key,
        {
            "komt_in_aanmerking": False,
            "wil_deelnemen": True,
            "wenst_ondersteuning_buurtteam": False,
        },
    )
    u.do(
        "corporatie",
        "dossier_afsluiten_reden",
        key,
        {"reden_afsluiting": "komt niet in aanmerking"},
    )
    row = u.sim.instance(key)
    assert row.status == "completed" and u.sim.end_events() == {"geen_vh_traject": 1}
    assert not set(INTAKE) & set(row.data), sorted(set(INTAKE) & set(row.data))
    assert not any(str(value) in row.state for value in INTAKE.values() if len(str(value)) > 6)
    assert row.data["reden_afsluiting"] == "komt niet in aanmerking" and row.data["naam"]
    with db.session() as session:
        [event] = session.scalars(
            select(InstanceEvent).where(
                InstanceEvent.instance_id == instance_id, InstanceEvent.kind == "gegevens_gewist"
            )
        ).all()
    assert event.details["categorieen"] == ["financieel", "gezondheid", "huishouden"]
    assert set(INTAKE) <= set(event.details["gewist"])
    record(db, KEY)


# -- reminder and escalation; 17b: new agreements, then exit --------------------------------


def test_reminder_and_escalation_then_new_agreements_and_a_negative_exit(
    db, settings, clock
) -> None:
    u = setup(db, settings, clock)
    instance_id, key = report_with_consent(u)
    invite(u, key)
    eligible_intake(u, key)
    # Request sent Tuesday 31 March: three days end on Friday 3 April, Good Friday; Saturday,
    # Sunday and Easter Monday 6 April follow, so the term ends on Tuesday 7 April.
    register(u, key, "2026-03-31")
    completion = u.task("dossier_aanvullen", key)
    assert local_iso(completion.due_at) == "2026-04-07T23:59:59+02:00"
    u.on("2026-04-07T23:00")
    assert open_elements(db, key) == ["dossier_aanvullen"]

    # The term passes: Portaal gets the task again as a reminder, first in its inbox, with
    # two more working days (Wednesday 8, Thursday 9 April).
    u.on("2026-04-08")
    (first,) = tasks_of(db, key, "dossier_aanvullen")
    assert first.status == "cancelled"
    reminder = u.task("dossier_aanvullen_herinnering", key)
    assert reminder.candidate_groups == ["portaal"]
    assert reminder.priority == 80
    assert local_iso(reminder.created_at) == "2026-04-07T23:59:59+02:00"
    assert local_iso(reminder.due_at) == "2026-04-09T23:59:59+02:00"
    # Still not done: the VH-coordinator escalates; the reminder stays open.
    u.on("2026-04-10")
    escalation = u.task("aanvullen_escaleren", key)
    assert escalation.candidate_groups == ["vh-coordinator"]
    assert local_iso(escalation.created_at) == "2026-04-09T23:59:59+02:00"
    assert open_elements(db, key) == ["aanvullen_escaleren", "dossier_aanvullen_herinnering"]
    u.on("2026-04-13")
    u.do("corporatie", "dossier_aanvullen_herinnering", key, dict(FILE_COMPLETION))
    assert open_elements(db, key) == [
        "aanmelden_wi",
        "aanvullen_escaleren",
        "incasso_bevriezen",
        "ondersteuning_starten",
    ]
    u.do(
        "vh_coordinator",
        "aanvullen_escaleren",
        key,
        {"escalatie_toelichting": "Teamleider verhuur gebeld; dossier is nu aangevuld"},
    )
    start_support(u, key, "2026-04-13", "2026-04-15")
    u.on("2026-04-16")
    u.do("werk_en_inkomen", "budgetbeheer_registreren", key, dict(BUDGET_DATA))

    # 17b: repayment does not come about; a meeting, then the corporation decides.
    u.on("2026-06-26")
    u.do(
        "werk_en_inkomen",
        "budgetbeheer_uitvoeren",
        key,
        {"uitkomst_budgetbeheer": "komt niet tot stand", "toelichting_uitkomst": "Geen aflossing"},
    )
    meeting = u.task("gesprek_niet_tot_stand", key)
    assert meeting.candidate_groups == ["utrecht-wi"]
    u.on("2026-06-30")
    u.do(
        "werk_en_inkomen",
        "gesprek_niet_tot_stand",
        key,
        {"datum_gesprek_17b": "2026-06-30", "verslag_gesprek_17b": "Huurder wil door"},
    )
    u.do(
        "corporatie",
        "besluiten_exit_of_afspraken",
        key,
        {"besluit_corporatie": "nieuwe afspraken", "nieuwe_afspraken": "Extra aflossing 25 euro"},
    )
    # New agreements return to the trajectory: budget management again, with a new quarter
    # (3 months from 30 June = 92 days: Wednesday 30 September).
    assert len(tasks_of(db, key, "budgetbeheer_uitvoeren")) == 2
    assert u.phase(key) == "budgetbeheer"
    assert timer_due(u, instance_id, "elk_kwartaal") == "2026-09-30T09:00:00 waiting"
    u.on("2026-09-30T12:00")
    # 10 working days after Wednesday 30 September: 1-2, 5-9, 12-14 October.
    assert local_iso(u.task("voortgangsgesprek", key).due_at) == "2026-10-14T23:59:59+02:00"
    talk(u, key, "2026-10-06")
    u.on("2026-11-16")
    u.do(
        "werk_en_inkomen",
        "budgetbeheer_uitvoeren",
        key,
        {"uitkomst_budgetbeheer": "komt niet tot stand"},
    )
    u.do(
        "werk_en_inkomen",
        "gesprek_niet_tot_stand",
        key,
        {"datum_gesprek_17b": "2026-11-16", "verslag_gesprek_17b": "Afspraken niet nagekomen"},
    )
    u.do(
        "corporatie", "besluiten_exit_of_afspraken", key, {"besluit_corporatie": "exit VH negatief"}
    )
    assert u.sim.instance(key).data["vh_uitkomst"] == "negatief"
    assert open_elements(db, key) == ["kris_dossier_sluiten"]
    close(u, key, "2026-11-18")
    assert u.sim.instance(key).status == "completed"
    assert "vh_uitkomst" in u.sees("corporatie", instance_id)
    never_for_corporation(u, instance_id)
    record(db, KEY)


# -- three years of quarterly talks; then the tenant stops (orally) -------------------------

# (quarter begins, talk due): every 3 calendar months from Thursday 2 April 2026, on the same
# day of the month for three years (not every 91 days, which drifts to 29 March by 2029), due
# 10 working days on.
QUARTERS = [
    ("2026-07-02", "2026-07-16"),
    ("2026-10-02", "2026-10-16"),
    ("2027-01-02", "2027-01-15"),  # a Saturday: the task is there; working days from Monday
    ("2027-04-02", "2027-04-16"),
    ("2027-07-02", "2027-07-16"),
    ("2027-10-02", "2027-10-15"),
    ("2028-01-02", "2028-01-14"),
    ("2028-04-02", "2028-04-18"),  # Good Friday 14 April, Easter Monday 17 April 2028
    ("2028-07-02", "2028-07-14"),
    ("2028-10-02", "2028-10-16"),
    ("2029-01-02", "2029-01-16"),
    ("2029-04-02", "2029-04-16"),  # Easter Monday 2 April 2029: counting starts on the 3rd
]


def test_three_years_of_quarterly_talks_then_the_tenant_stops(db, settings, clock) -> None:
    u = setup(db, settings, clock)
    instance_id, key = report_with_consent(u)
    finish_to_budget_management(u, key)
    sizes = [len(u.sim.instance(key).state)]
    for begins, due in QUARTERS:
        u.on(f"{begins}T12:00")
        current = u.task("voortgangsgesprek", key)
        assert local_iso(current.created_at)[:10] == begins
        assert local_iso(current.due_at)[:10] == due
        assert current.candidate_groups == ["buurtteam-utrecht"]
        talk(u, key, (date.fromisoformat(begins) + timedelta(days=6)).isoformat())
        sizes.append(len(u.sim.instance(key).state))
    talks = tasks_of(db, key, "voortgangsgesprek")
    assert [t.status for t in talks] == ["completed"] * 12
    # Each quarter adds a parallel branch (breadth, not depth): the stored state grows by
    # the same modest amount every quarter.
    growth = [b - a for a, b in zip(sizes, sizes[1:], strict=False)]
    assert max(growth) < 4_000, growth
    assert max(growth) - min(growth) < 400, growth
    assert sizes[-1] < sizes[0] + 12 * 4_000

    # The tenant tells the team member (orally) to stop: the trajectory ends at once.
    u.on("2029-04-10")
    u.sim.message(
        "bewoner_stopt", key, {"stop_kanaal": "mondeling", "stop_gemeld_bij": "buurtteam"}
    )
    (counselling,) = tasks_of(db, key, "budgetbeheer_uitvoeren")
    assert counselling.status == "cancelled"
    assert timer_due(u, instance_id, "elk_kwartaal").endswith("cancelled")
    data = u.sim.instance(key).data
    assert (data["vh_uitkomst"], data["stop_kanaal"]) == ("gestopt door bewoner", "mondeling")
    assert open_elements(db, key) == ["kris_dossier_sluiten"]
    assert {"vh_uitkomst", "stop_kanaal", "stop_gemeld_bij"} <= u.sees("corporatie", instance_id)
    u.on("2029-07-05")
    assert len(tasks_of(db, key, "voortgangsgesprek")) == 12
    close(u, key, "2029-07-05")
    assert u.sim.end_events() == {"voortgangsgesprek_gevoerd": 1, "vh_afgesloten": 1}
    never_for_corporation(u, instance_id)
    record(db, KEY)


@pytest.mark.parametrize("ending", ["bewoner stopt", "17a"])
def test_budget_management_ends_while_a_talk_is_open(db, settings, clock, ending) -> None:
    u = setup(db, settings, clock)
    _, key = report_with_consent(u)
    finish_to_budget_management(u, key)
    u.on("2026-07-02T12:00")
    assert u.task("voortgangsgesprek", key)
    if ending == "bewoner stopt":
        u.sim.message(
            "bewoner_stopt", key, {"stop_kanaal": "schriftelijk", "stop_gemeld_bij": "corporatie"}
        )
    else:
        u.do(
            "werk_en_inkomen",
            "budgetbeheer_uitvoeren",
            key,
            {"uitkomst_budgetbeheer": "positief afsluiten", "huurder_geinformeerd": True},
        )
    # The open talk is cancelled with the repetition; steps 18-19 follow.
    assert [t.status for t in tasks_of(db, key, "voortgangsgesprek")] == ["cancelled"]
    assert open_elements(db, key) == ["kris_dossier_sluiten"]


# -- step 7: the signed agreement is a scan among the case's documents ----------------------


def may_open(u: Utrecht, party: str, instance_id: str) -> set[int]:
    """The documents of the case a person of the party's organisation may open, by the rule
    of the case page and the download (app/cases/views.py)."""
    with u.db.session() as session:
        instance, parties = access.visible_instance(session, u.readers[party], instance_id)
        seen = sight(session, u.readers[party], instance, parties)
        shown, _hidden = visible_documents(
            session, u.readers[party], instance_id, seen, consent.history(session, instance_id)
        )
        return {d.id for d in shown}


def to_the_scan(u: Utrecht) -> tuple[str, str]:
    instance_id, key = report_with_consent(u)
    invite(u, key)
    eligible_intake(u, key)
    u.on("2026-03-13")
    return instance_id, key


def test_the_signed_agreement_is_a_document_of_the_case(db, settings, clock) -> None:
    u = setup(db, settings, clock)
    instance_id, key = to_the_scan(u)
    task = u.task("overeenkomst_scannen", key)
    assert task.candidate_groups == ["portaal"]
    # The form asks for the number of the scan among the case's documents, not for a name
    # typed by hand.
    form = json.loads((FORMS / task.form_key).read_text("utf-8"))
    _clean, errors = validate(form, {"overeenkomst_scan": "SCAN-0042.pdf"})
    assert errors == {
        "overeenkomst_scan": ["Vul het documentnummer van de scan in (alleen cijfers)."]
    }
    assert validate(form, {})[1] == {"overeenkomst_scan": ["Vul dit veld in."]}

    scan = scan_agreement(u, key)
    # Another case's document cannot be named: refused, and the task stays open.
    other_id, other_key = u.start("PORT-2026-0043", naam="K. Smit", huisnummer="114")
    foreign = scan_agreement(u, other_key, other_id)
    with pytest.raises(InvalidInput) as refused:
        u.web_complete(
            "corporatie", "overeenkomst_scannen", key, {"overeenkomst_scan": str(foreign)}
        )
    assert refused.value.fields == {
        "overeenkomst_scan": ["deze zaak heeft geen document met dit nummer"]
    }
    assert open_elements(db, key) == ["overeenkomst_scannen"]
    u.web_complete("corporatie", "overeenkomst_scannen", key, {"overeenkomst_scan": str(scan)})
    assert open_elements(db, key) == ["kris_dossier_aanmaken"]
    assert u.sim.instance(key).data["overeenkomst_scan"] == str(scan)
    # The number names a real document of this very case: the scan Portaal uploaded.
    with db.session() as session:
        row = session.get(Document, int(u.sim.instance(key).data["overeenkomst_scan"]))
        assert row is not None
        assert (row.instance_id, row.category, row.uploaded_by) == (
            instance_id,
            "overeenkomst",
            "user:portaal.wim",
        )
    # The field: the corporation, the team and the VH-coordinator (who registers the scan in
    # KRIS, step 9) read it; Werk en Inkomen does not (bijlage 3.1 sends the scan to the
    # coordinator only).
    for party in ("corporatie", "buurtteam", "vh_coordinator"):
        assert "overeenkomst_scan" in u.sees(party, instance_id), party
    assert "overeenkomst_scan" not in u.sees("werk_en_inkomen", instance_id)
    # The document: Portaal scanned it and keeps it (it is a party to the agreement); Werk en
    # Inkomen cannot open it.
    assert scan in may_open(u, "corporatie", instance_id)
    assert scan not in may_open(u, "werk_en_inkomen", instance_id)

    # Another case's scan number is not this case's document.
    with db.session() as session:
        assert session.get(Document, foreign).instance_id != instance_id
    assert foreign not in may_open(u, "vh_coordinator", instance_id)
    record(db, KEY)


def test_the_coordinator_and_the_team_may_open_the_scan(db, settings, clock) -> None:
    u = setup(db, settings, clock)
    instance_id, key = to_the_scan(u)
    scan = scan_agreement(u, key)
    u.web_complete("corporatie", "overeenkomst_scannen", key, {"overeenkomst_scan": str(scan)})
    # Those who may read the field that names the scan may open the scan.
    assert scan in may_open(u, "vh_coordinator", instance_id)
    assert scan in may_open(u, "buurtteam", instance_id)
    assert scan not in may_open(u, "werk_en_inkomen", instance_id)


# -- the terms are settings of the municipality ------------------------------------------------


def test_a_municipality_can_set_its_own_terms(db, settings, clock) -> None:
    """Utrecht's own values instead of the document's: two days to complete the file, one
    working day after the reminder, a progress talk every two months, at most twice, due
    within five working days."""
    u = setup(db, settings, clock)
    catalogue = load(CATALOGUE)
    own = {
        "aanvullen_dagen": 2,
        "herinnering_werkdagen": 1,
        "voortgangsgesprek_cyclus": "R2/P2M",
        "voortgangsgesprek_werkdagen": 5,
    }
    with db.transaction() as session:
        for name, value in own.items():
            set_value(session, catalogue, KEY, MUNICIPALITY, name, value, "test")
    instance_id, key = report_with_consent(u)
    invite(u, key)
    eligible_intake(u, key)
    # Request Wednesday 18 March + 2 days = Friday 20 March (the default 3 would give
    # Saturday 21 -> Monday 23); the reminder then has 1 working day: Monday 23 March.
    register(u, key, "2026-03-18")
    assert local_iso(u.task("dossier_aanvullen", key).due_at) == "2026-03-20T23:59:59+01:00"
    u.on("2026-03-23")
    reminder = u.task("dossier_aanvullen_herinnering", key)
    assert local_iso(reminder.due_at) == "2026-03-23T23:59:59+01:00"
    u.do("corporatie", "dossier_aanvullen_herinnering", key, dict(FILE_COMPLETION))
    start_support(u, key, "2026-03-23", "2026-04-01")
    u.on("2026-04-02T10:00")
    u.do("werk_en_inkomen", "budgetbeheer_registreren", key, dict(BUDGET_DATA))
    # Two months from Thursday 2 April = 61 days: Tuesday 2 June, due 5 working days on
    # (3-5, 8-9 June); 61 days later: Sunday 2 August, due Friday 7 August (3-7 August).
    assert timer_due(u, instance_id, "elk_kwartaal") == "2026-06-02T10:00:00 waiting"
    u.on("2026-06-02T12:00")
    assert local_iso(u.task("voortgangsgesprek", key).due_at) == "2026-06-09T23:59:59+02:00"
    talk(u, key, "2026-06-04")
    u.on("2026-08-02T12:00")
    assert local_iso(u.task("voortgangsgesprek", key).due_at) == "2026-08-07T23:59:59+02:00"
    talk(u, key, "2026-08-04")
    # At most twice: the repetition is done, budget management goes on without talks.
    assert not timer_due(u, instance_id, "elk_kwartaal").endswith("waiting")
    u.on("2026-12-01")
    assert len(tasks_of(db, key, "voortgangsgesprek")) == 2
    u.do(
        "werk_en_inkomen",
        "budgetbeheer_uitvoeren",
        key,
        {"uitkomst_budgetbeheer": "positief afsluiten", "huurder_geinformeerd": True},
    )
    close(u, key, "2026-12-02")
    assert u.sim.instance(key).status == "completed"
    record(db, KEY)


# -- criminal data can not be entered --------------------------------------------------------


def _variant(tmp_path: Path) -> tuple[Path, Path]:
    diagram = tmp_path / DIAGRAM.name
    shutil.copy(DIAGRAM, diagram)
    shutil.copy(CATALOGUE, tmp_path / CATALOGUE.name)
    forms = tmp_path / "forms"
    forms.mkdir()
    for form in (ROOT / "forms").glob(f"{KEY}-*.form"):
        shutil.copy(form, forms / form.name)
    return diagram, forms


def test_a_misspelt_category_or_field_to_erase_is_refused_at_deployment(tmp_path: Path) -> None:
    diagram, forms = _variant(tmp_path)
    text = diagram.read_text("utf-8")
    diagram.write_text(
        text.replace('value="gezondheid, financieel, huishouden"', 'value="gezondhied"', 1).replace(
            "huurverleden_overlast, ", "huurverleden_overlest, ", 1
        ),
        "utf-8",
    )
    with pytest.raises(DeploymentError) as refused:
        parse_files([diagram], forms)
    messages = [p.message for p in refused.value.problems if p.element == "geen_vh_traject"]
    assert any("categorie 'gezondhied' bestaat niet" in m for m in messages), messages
    assert any("velden noemt 'huurverleden_overlest'" in m for m in messages), messages


def test_a_form_field_for_criminal_data_is_refused_at_deployment(tmp_path: Path) -> None:
    diagram, forms = _variant(tmp_path)
    assert parse_files([diagram], forms)  # the real diagram deploys
    intake = forms / f"{KEY}-aannamegesprek.form"
    schema = json.loads(intake.read_text("utf-8"))
    schema["components"].append(
        {"key": "strafrechtelijk_verleden", "label": "Strafblad", "type": "textarea"}
    )
    intake.write_text(json.dumps(schema), "utf-8")
    with pytest.raises(DeploymentError) as refused:
        parse_files([diagram], forms)
    assert any(
        "strafrechtelijk_verleden" in p.message and "gegevenscatalogus" in p.message
        for p in refused.value.problems
    )
    # Nor can the field be added to the catalogue to make the form pass.
    catalogue = tmp_path / CATALOGUE.name
    catalogue.write_text(
        catalogue.read_text("utf-8") + "  strafrechtelijk_verleden:\n"
        "    omschrijving: Strafrechtelijk verleden\n    categorie: woonsituatie\n"
        "    type: tekst\n    doel: x\n    grondslag: toestemming\n    bewaartermijn: P1Y\n"
        "    voorbeeld: x\n    lezen: {buurtteam: '*'}\n"
        "    schrijven: {buurtteam: [aannamegesprek]}\n",
        "utf-8",
    )
    with pytest.raises(DeploymentError) as refused:
        parse_files([diagram], forms)
    assert any("strafrechtelijke gegevens" in p.message for p in refused.value.problems)


def test_the_catalogue_keeps_the_covenants_limits() -> None:
    catalogue = load(CATALOGUE)
    all_consents = set(catalogue.consents)
    for phase in PHASES:
        for consents_given in (set(), all_consents):
            corporation = set(catalogue.readable("corporatie", phase, consents_given))
            assert not corporation & (BUURTTEAM_ONLY | HEALTH), phase
            wi = set(catalogue.readable("werk_en_inkomen", phase, consents_given))
            assert not wi & (BUURTTEAM_ONLY | HEALTH | HUURVERLEDEN), phase
    # No team file for a tenant without a VH-traject: the coordinator reads nothing of the
    # intake before the agreement, the team member only with consent to the conversation.
    assert not set(catalogue.readable("vh_coordinator", "aannamegesprek", all_consents)) & set(
        INTAKE
    )
    assert not set(catalogue.readable("buurtteam", "aannamegesprek", set())) & set(INTAKE)
    # Before the agreement the team reads NAW only from the report, and only with consent.
    for phase in ("aanmelding", "aannamegesprek"):
        assert not set(catalogue.readable("buurtteam", phase, all_consents)) & NAW
    assert "melding_naw" not in catalogue.readable("buurtteam", "aanmelding", set())
    # Criminal data is never a field.
    assert not [name for name in catalogue.fields if FORBIDDEN_NAME.search(name)]
    # The document's terms are settings with the document's values.
    assert catalogue.settings["aanvullen_dagen"]["waarde"] == 3
    assert catalogue.settings["voortgangsgesprek_cyclus"]["waarde"] == "R/P3M"


def test_the_housing_consultant_asks_consent_and_assesses_with_the_team(
    db, settings, clock
) -> None:
    """Bijlage 3.1 stap 5: "Buurtteammedewerker en woonconsulent leiden het gesprek in ...
    toestemming vragen aan bewoner om dit gesprek te voeren" and "voeren samen
    aannamegesprek"; stap 6: "Buurtteammedewerker en woonconsulent beoordelen of bewoner in
    aanmerking komt." Portaal's housing consultant records the consent and the assessment in
    the task the team member sees too; to assess, he reads during the conversation, with the
    tenant's consent, the household, income, debts and motivation, never the health data the
    team member records. Withdrawn consent: he reads none of it."""
    u = setup(db, settings, clock)
    instance_id, key = report_with_consent(u)
    invite(u, key)
    u.on("2026-03-12T10:00")
    asked = u.task("toestemming_vragen", key)
    assert asked.candidate_groups == ["buurtteam-utrecht", "portaal"]
    u.web_complete(
        "woonconsulent",
        "toestemming_vragen",
        key,
        {
            "doel_uitgelegd": True,
            "toestemming_gesprek": True,
            "kanaal_toestemming_gesprek": "mondeling",
        },
    )
    assert consents(u, instance_id)[-1] == ("gesprek", True, "mondeling")
    # The record of the conversation, health included, is the team member's task.
    with pytest.raises(NotFound):
        u.web_complete("woonconsulent", "aannamegesprek_voeren", key, dict(INTAKE))
    u.do("buurtteam", "aannamegesprek_voeren", key, dict(INTAKE))
    seen = u.sees("woonconsulent", instance_id)
    assert FOR_BUDGET_MANAGEMENT | {"gezin_kinderen"} | HUURVERLEDEN <= seen
    assert not seen & (HEALTH | {"al_bekend", "betrokken_medewerker"})

    u.web_complete(
        "woonconsulent",
        "beoordelen",
        key,
        {
            "komt_in_aanmerking": True,
            "wil_deelnemen": True,
            "wenst_ondersteuning_buurtteam": False,
            "toelichting_beoordeling": "Samen beoordeeld: voldoet aan de voorwaarden",
        },
    )
    assert open_elements(db, key) == ["overeenkomst_vastleggen"]
    assert u.sim.instance(key).data["toelichting_beoordeling"].startswith("Samen beoordeeld")
    # The tenant withdraws the consent for the conversation: the intake is unreadable for him.
    with db.transaction() as session:
        consent.withdraw(
            session, instance_id, "gesprek", withdrawn_by="bewoner", channel="mondeling"
        )
    assert not u.sees("woonconsulent", instance_id) & (FOR_BUDGET_MANAGEMENT | HEALTH)
    u.do(
        "corporatie",
        "overeenkomst_vastleggen",
        key,
        {"vh_uitgelegd": True, "overeenkomst_getekend": True, "datum_overeenkomst": "2026-03-12"},
    )
    record(db, KEY)
