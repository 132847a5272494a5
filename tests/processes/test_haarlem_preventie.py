"""Scenario tests of the Haarlem Convenant Preventie huisuitzettingen (bpmn/haarlem_preventie).

Every path of the diagram, on the virtual clock, with the working-day arithmetic of the
Algemene termijnenwet written out: who gets which task when, which deadline falls on which day,
and what each party may see (bijlage 2).
"""

from __future__ import annotations

import json
from datetime import date, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from app.engine.errors import InvalidInput, NotFound
from app.engine.models import Incident
from app.intake.models import SignalCase
from tests.processes.haarlem_preventie_support import (
    GEMEENTE,
    KEY,
    MELDING,
    SECRET,
    TEAMS,
    TERUGKOPPELING,
    Haarlem,
    local_iso,
    setup,
)

pytestmark = pytest.mark.process("haarlem_preventie")


@pytest.fixture
def h(db, settings, clock) -> Haarlem:  # type: ignore[no-untyped-def]
    return setup(db, settings, clock)


def test_melding_twee_weken_voor_deurwaarder_escalatie_en_ontruiming(h: Haarlem) -> None:
    """Art. 3.4 with a bailiff date that moves; no contact within 5 working days (escalation,
    art. 3.5); feedback within 5 working days with only the §6 fields (art. 3.7); not taken up;
    the eviction date becomes known and the troubleshooter tries once more (art. 8); eviction."""
    # Monday 2 March 2026: Elan Wonen registers the arrears, bailiff planned for 20 April.
    h.start("H-1", "jansen", deurwaarderdatum="2026-04-20")
    task = h.task("huurder_benaderen", "H-1")
    assert task.candidate_groups == ["elan-wonen"] and task.due_at is None
    h.do(
        "corporatie",
        "huurder_benaderen",
        "H-1",
        {
            "contact_wijze_corporatie": "brief",
            "huurder_geinformeerd": True,
            "inschatting_corporatie": "alleen_huurachterstand",
            "deurwaarderdatum": "2026-04-20",
        },
    )
    # 20 April minus 2 weeks is Easter Monday 6 April; counting backwards the term moves to
    # the previous working day: Sun 5, Sat 4 and Good Friday 3 April are not -> Thu 2 April.
    # The task is there 3 working days earlier (meldtaak_werkdagen_vooraf): Monday 30 March.
    assert h.data("H-1")["melden_uiterlijk_op"] == "2026-04-02T00:00:00+02:00"
    assert h.timers("H-1") == {"melden_uiterlijk": "2026-03-30T00:00:00+02:00"}
    assert h.phase("H-1") == "signalering"
    # Nothing is reported yet: the Sociaal Wijkteam sees nothing of the case.
    assert h.sees("wijkteam", "H-1") == set()
    assert h.sees("troubleshooter", "H-1") == set()
    # (This tenant's address has no addition: `toevoeging` is not in the case yet.)
    assert h.sees("corporatie", "H-1") == MELDING - {"toevoeging"} | {
        "deurwaarderdatum",
        "melden_uiterlijk_op",  # its own deadline for the report (art. 3.4)
        "melden_taak_op",  # when its task to report appears, ahead of that deadline
        "contact_wijze_corporatie",
        "huurder_geinformeerd",
        "inschatting_corporatie",
    }
    with pytest.raises(NotFound):
        h.sees("andere_corporatie", "H-1")

    # 16 March: the bailiff date moves to Monday 11 May; the deadline moves with it.
    # 11 May - 14 days = King's Day 27 April -> Sun 26, Sat 25 -> Friday 24 April; the task
    # 3 working days before: Thu 23 (1), Wed 22 (2), Tue 21 April (3).
    h.on("2026-03-16")
    h.message("deurwaarderdatum_gewijzigd", "H-1", {"deurwaarderdatum": "2026-05-11"})
    assert h.timers("H-1") == {"melden_uiterlijk": "2026-04-21T00:00:00+02:00"}
    h.on("2026-04-20T17:00")
    assert h.open_tasks("H-1") == []

    # Tuesday 21 April 00:00: the corporation's worker gets the task, due Friday 24 April.
    h.on("2026-04-24T08:00")
    task = h.task("melden_bij_wijkteam", "H-1")
    assert task.candidate_groups == ["elan-wonen"]
    assert local_iso(task.created_at) == "2026-04-21T00:00:00+02:00"
    assert local_iso(task.due_at) == "2026-04-24T23:59:59+02:00"
    h.on("2026-04-24T10:00")
    h.do("corporatie", "melden_bij_wijkteam", "H-1", {"maanden_achterstand": 3})

    # Reported Friday 24 April. 5 working days: Mon 27 April is King's Day, so Tue 28 (1),
    # Wed 29 (2), Thu 30 (3), Fri 1 May (4), Mon 4 May (5). The proposal: 14 days -> 8 May.
    data = h.data("H-1")
    assert data["datum_melding"] == "2026-04-24"
    assert data["soort_melding"] == "deurwaarder"
    assert data["termijn_contact"] == "2026-05-04T23:59:59+02:00"
    assert data["termijn_voorstel"] == "2026-05-08T23:59:59+02:00"
    # BRP: two minors at home (15 and 10): the waiting list's first priority group.
    assert data["bsn"] == "999990007" and data["minderjarigen"] == 2
    assert data["prioriteitsgroepen"] == ["kinderen tot 18 jaar"]
    assert data["prioriteit"] == 70 and data["doelgroep"] == "met kinderen"
    task = h.task("contact_opnemen", "H-1")
    assert task.candidate_groups == ["haarlem-swt"] and task.priority == 70
    assert local_iso(task.due_at) == "2026-05-04T23:59:59+02:00"
    assert h.timers("H-1") == {"contact_termijn_verstreken": "2026-05-04T23:59:59+02:00"}

    # The team sees bijlage 2 §1 and what it looked up; not the corporation's own notes.
    seen = h.sees("wijkteam", "H-1")
    assert seen >= MELDING | {"bsn", "minderjarigen", "prioriteit", "bekend_bij_wijkteam"}
    assert not seen & {"deurwaarderdatum", "inschatting_corporatie", "contact_wijze_corporatie"}
    # The corporation now sees only what bijlage 2 §6 allows: its own identifying data and the
    # state of the feedback (no contact yet, no decision yet).
    view = h.view("corporatie", "H-1")
    assert set(view) == MELDING | {"contact_gelegd", "in_behandeling"}
    assert (view["contact_gelegd"], view["in_behandeling"]) == (False, None)

    # Thursday 30 April: feedback within the 5 working days: no contact yet, not (yet) taken
    # up. The task comes back; the deadline and the escalation timer stay where they were.
    h.on("2026-04-30")
    h.do(
        "wijkteam",
        "contact_opnemen",
        "H-1",
        {
            "contact_gelegd": False,
            "wijze_contact": "aankondigingsbrief",
            "in_behandeling": "nog_niet",
            "alleen_huurschuld": True,
            "toestemming_overdracht": False,
            "incasso_hervatten": False,
            "toestemming_inhoud_delen": False,
        },
    )
    view = h.view("corporatie", "H-1")
    assert set(view) == MELDING | {"contact_gelegd", "in_behandeling", "incasso_hervatten"}
    assert view["in_behandeling"] == "nog_niet" and view["incasso_hervatten"] is False
    task = h.task("contact_opnemen", "H-1")
    assert local_iso(task.due_at) == "2026-05-04T23:59:59+02:00"
    assert h.timers("H-1") == {"contact_termijn_verstreken": "2026-05-04T23:59:59+02:00"}

    # Monday 4 May 23:59:59 passes without contact: the task goes to the team lead.
    h.on("2026-05-05T09:00")
    assert h.open_tasks("H-1") == ["contact_escalatie"]
    task = h.task("contact_escalatie", "H-1")
    assert task.candidate_groups == ["haarlem-swt-leiding"] and task.priority == 70
    assert local_iso(task.created_at) == "2026-05-04T23:59:59+02:00"
    assert h.sees("wijkteam_leiding", "H-1") >= MELDING | {"termijn_contact", "prioriteit"}
    h.on("2026-05-07")
    h.do(
        "wijkteam_leiding",
        "contact_escalatie",
        "H-1",
        {
            "escalatie_toelichting": "Huisbezoek twee keer zonder resultaat",
            "contact_gelegd": False,
            "wijze_contact": "aanbellen",
            "in_behandeling": "nee",
            "reden_niet_in_behandeling": "geen_contact",
            "alleen_huurschuld": True,
            "toestemming_overdracht": False,
            "toestemming_inhoud_delen": False,
            "eindresultaat": "Definitief geen contact kunnen krijgen",
            "incasso_hervatten": True,
        },
    )
    # Not taken up: the case stalls towards an eviction (art. 2.3b); the troubleshooter gets
    # bijlage 2 §1 and the feedback, nothing of the team's own reasons.
    assert h.phase("H-1") == "stagnatie"
    assert h.task("troubleshooter_bemiddelen", "H-1").priority == 70
    seen = h.sees("troubleshooter", "H-1")
    assert seen >= MELDING - {"toevoeging"} | {"contact_gelegd", "in_behandeling", "soort_melding"}
    assert not seen & {"reden_niet_in_behandeling", "eindresultaat", "bsn", "prioriteitsgroepen"}
    h.bemiddeling("H-1")
    # No arrangement either: the case waits for the verdict and the eviction date.
    assert h.phase("H-1") == "bewaking"
    assert h.sees("troubleshooter", "H-1") == set()
    seen = h.sees("corporatie", "H-1")
    assert seen == MELDING | TERUGKOPPELING - {"datum_hervatting_betaling"}
    assert h.view("corporatie", "H-1")["incasso_hervatten"] is True
    assert "reden_niet_in_behandeling" not in seen and "eindresultaat" not in seen

    # 1 June: the eviction is set for Tuesday 16 June; the troubleshooter gets a task due by
    # the end of the last working day before it, Monday 15 June.
    h.on("2026-06-01")
    h.message("ontruimingsdatum_bekend", "H-1", {"ontruimingsdatum": "2026-06-16"})
    task = h.task("troubleshooter_actie", "H-1")
    assert task.candidate_groups == ["haarlem-troubleshooter"] and task.priority == 70
    assert local_iso(task.due_at) == "2026-06-15T23:59:59+02:00"
    seen = h.sees("troubleshooter", "H-1")
    assert seen >= MELDING | {"ontruimingsdatum", "in_behandeling", "contact_gelegd"}
    assert not seen & {
        "bsn",
        "prioriteitsgroepen",
        "reden_niet_in_behandeling",
        "eindresultaat",
        "minderjarigen",
        "escalatie_toelichting",
    }
    h.on("2026-06-10")
    h.do(
        "troubleshooter",
        "troubleshooter_actie",
        "H-1",
        {
            "uitkomst_troubleshooter": "geen_regeling",
            "afspraken_troubleshooter": "Huurder niet bereikbaar",
        },
    )
    h.on("2026-06-17")
    h.do(
        "corporatie",
        "ontruiming_vastleggen",
        "H-1",
        {"afloop_ontruiming": "ontruimd", "reden_ontruiming": "huurschuld"},
    )
    assert h.status("H-1") == "completed"
    h.record()


def test_betalingsregeling_voor_de_melding(h: Haarlem) -> None:
    """Art. 3.1 and 3.4: the corporation contacts the tenant from the first month; a payment
    arrangement (message) ends the matter before any report. The Sociaal Wijkteam never sees
    anything of it."""
    h.start("H-2", "el_amrani", deurwaarderdatum="2026-05-18")
    h.do(
        "corporatie",
        "huurder_benaderen",
        "H-2",
        {
            "contact_wijze_corporatie": "telefoon",
            "huurder_geinformeerd": True,
            "inschatting_corporatie": "alleen_huurachterstand",
            "deurwaarderdatum": "2026-05-18",
        },
    )
    # 18 May minus 14 days is Monday 4 May, a working day (5 May is the holiday); the task
    # 3 working days before: Wednesday 29 April.
    assert h.timers("H-2") == {"melden_uiterlijk": "2026-04-29T00:00:00+02:00"}
    h.on("2026-03-20")
    assert h.sees("wijkteam", "H-2") == set()
    h.message("betalingsregeling_getroffen", "H-2")
    assert h.status("H-2") == "completed"
    assert h.timers("H-2") == {} and h.open_tasks("H-2") == []
    assert "datum_melding" not in h.data("H-2")
    for party in ("wijkteam", "wijkteam_leiding", "sdv", "troubleshooter"):
        assert h.sees(party, "H-2") == set()
    with pytest.raises(NotFound):
        h.sees("andere_corporatie", "H-2")
    h.record()


def test_melding_aan_de_beurt_deurwaarderdatum_verschuift_dan_regeling(h: Haarlem) -> None:
    """Art. 3.4 while the report is due but not yet made: the bailiff date moves, so the report
    task goes away and the deadline moves with it; then a payment arrangement is made before
    the report: the matter ends without one."""
    from app.processes.haarlem.statistics import statistieken

    h.start("H-9", "jansen", deurwaarderdatum="2026-03-20")
    h.do(
        "corporatie",
        "huurder_benaderen",
        "H-9",
        {
            "contact_wijze_corporatie": "brief",
            "huurder_geinformeerd": True,
            "inschatting_corporatie": "alleen_huurachterstand",
            "deurwaarderdatum": "2026-03-20",
        },
    )
    # Friday 6 March (20 March - 14 days): the report is due, and not made yet.
    h.on("2026-03-06T10:00")
    task = h.task("melden_bij_wijkteam", "H-9")
    assert local_iso(task.due_at) == "2026-03-06T23:59:59+01:00"
    # The bailiff is postponed to Friday 3 April: the report is due on Friday 20 March, its
    # task back on Tuesday 17 March.
    h.message("deurwaarderdatum_gewijzigd", "H-9", {"deurwaarderdatum": "2026-04-03"})
    assert h.open_tasks("H-9") == []
    assert h.timers("H-9") == {"melden_uiterlijk": "2026-03-17T00:00:00+01:00"}
    assert h.phase("H-9") == "signalering" and h.sees("wijkteam", "H-9") == set()
    h.on("2026-03-20T09:00")
    task = h.task("melden_bij_wijkteam", "H-9")
    assert task.candidate_groups == ["elan-wonen"]
    assert local_iso(task.due_at) == "2026-03-20T23:59:59+01:00"
    # An arrangement before the report is made: no report (art. 3.4).
    h.message("betalingsregeling_getroffen", "H-9")
    assert h.status("H-9") == "completed" and h.open_tasks("H-9") == []
    assert h.timers("H-9") == {} and "datum_melding" not in h.data("H-9")
    assert h.sees("wijkteam", "H-9") == set()
    with h.db.session() as session:
        assert statistieken(session, "haarlem").meldingen == 0
    h.record()


def test_geen_achterstand_en_geen_toestemming_geen_melding(h: Haarlem) -> None:
    """Art. 3.3 and bijlage 2 §2: without arrears a report needs the tenant's consent; the
    refusal is recorded and nothing reaches the Sociaal Wijkteam."""
    from app.privacy.models import Consent

    h.start("H-4", "bakker", maanden_achterstand=0)
    h.do(
        "corporatie",
        "huurder_benaderen",
        "H-4",
        {
            "contact_wijze_corporatie": "huisbezoek",
            "huurder_geinformeerd": True,
            "inschatting_corporatie": "complex_zonder_achterstand",
            "signalen_corporatie": "Woning raakt vervuild",
            "toestemming_melding": False,
        },
    )
    assert h.status("H-4") == "completed"
    assert h.sees("wijkteam", "H-4") == set()
    with h.db.session() as session:
        consents = session.scalars(select(Consent)).all()
        assert [(c.scope, c.given) for c in consents] == [("melding_wijkteam", False)]
    h.record()


def test_vroege_melding_met_toestemming_en_betalingsregeling(h: Haarlem) -> None:
    """Art. 3.2 with consent: reported at once, contact outside the 5-day rule but feedback
    within 5 working days; more than §6 only with the tenant's written consent; collection
    suspended while the debt services make a proposal within two weeks; the corporation makes
    the arrangement (art. 5, 6.2, 6.4): eviction prevented after a report."""
    from app.privacy.access import given_consents

    h.vroeg_gemeld("H-3", "haddou")
    data = h.data("H-3")
    assert data["soort_melding"] == "vroegsignaal" and data["datum_melding"] == "2026-03-02"
    # Two priority groups: minors at home, and already known to the team (STAPP).
    assert data["prioriteitsgroepen"] == ["kinderen tot 18 jaar", "bekend bij Sociaal Wijkteam"]
    assert data["prioriteit"] == 75 and data["bekend_bij_wijkteam"] is True
    with h.db.session() as session:
        assert given_consents(session, h.sim.instance("H-3").id) == {"melding_wijkteam"}
    # No contact deadline (art. 3.5 second sentence), but the feedback is due in 5 working
    # days: Mon 2 March -> Tue 3 (1), Wed 4 (2), Thu 5 (3), Fri 6 (4), Mon 9 March (5).
    task = h.task("contact_opnemen_vroeg", "H-3")
    assert task.candidate_groups == ["haarlem-swt"] and task.priority == 75
    assert local_iso(task.due_at) == "2026-03-09T23:59:59+01:00"
    assert h.timers("H-3") == {}
    # With the consent the team also reads what the corporation noticed (bijlage 2 §2).
    seen = h.sees("wijkteam", "H-3")
    assert {"signalen_corporatie", "toestemming_melding", "soort_melding"} <= seen
    assert "inschatting_corporatie" not in seen

    h.on("2026-03-05")
    h.do(
        "wijkteam",
        "contact_opnemen_vroeg",
        "H-3",
        {
            "contact_gelegd": True,
            "datum_contact": "2026-03-04",
            "wijze_contact": "aankondigingsbrief_met_afzien",
            "in_behandeling": "ja",
            "alleen_huurschuld": False,
            "regie_bij": "Sociaal Wijkteam",
            "toestemming_overdracht": True,
            "overdracht_aan": "Maatschappelijk werk",
            "eindresultaat": "Vervolghulp en/of verwijzing financieel",
            "incasso_hervatten": False,
            "datum_hervatting_betaling": "2026-04-01",
            "toestemming_inhoud_delen": True,
            # The form says: in writing; the signed form is among the case's documents.
            "bewijs_toestemming_inhoud_delen": str(h.document("H-3")),
            "toelichting_corporatie": "Inkomen viel weg door ziekte; herstel verwacht",
        },
    )
    # The written consent lets the corporation read the explanation too; nothing else.
    view = h.view("corporatie", "H-3")
    assert set(view) == MELDING | TERUGKOPPELING | {"toelichting_corporatie"}
    assert view["in_behandeling"] == "ja" and view["datum_hervatting_betaling"] == "2026-04-01"

    # Proposal within two weeks of the report: 2 + 14 = Monday 16 March.
    task = h.task("voorstel_opstellen", "H-3")
    assert task.candidate_groups == ["haarlem-sdv"] and task.priority == 75
    assert local_iso(task.due_at) == "2026-03-16T23:59:59+01:00"
    assert h.task("incasso_opschorten", "H-3").candidate_groups == ["elan-wonen"]
    assert h.phase("H-3") == "traject"
    assert h.sees("sdv", "H-3") >= MELDING | {"bsn", "bekend_bij_schuldhulp", "in_behandeling"}
    assert not h.sees("sdv", "H-3") & {"prioriteitsgroepen", "overdracht_aan", "eindresultaat"}
    h.do(
        "corporatie",
        "incasso_opschorten",
        "H-3",
        {"incasso_opgeschort": True, "opgeschort_tot": "2026-04-30"},
    )
    h.on("2026-03-12")
    h.voorstel("H-3", "regeling")
    task = h.task("regeling_treffen", "H-3")
    assert task.candidate_groups == ["elan-wonen"]
    seen = h.sees("corporatie", "H-3")
    assert {
        "uitkomst_voorstel",
        "datum_hervatting_lopende_huur",
        "aflossing_per_maand",
        "datum_start_aflossing",
        "incasso_opgeschort",
    } <= seen
    assert not seen & {"inventarisatie_schulden", "bsn", "prioriteit", "overdracht_aan"}
    h.do(
        "corporatie",
        "regeling_treffen",
        "H-3",
        {"regeling_getroffen": True, "datum_regeling": "2026-03-13"},
    )
    # The arrangement runs (art. 3.9) until the corporation reports the arrears paid off.
    assert h.status("H-3") == "waiting" and h.open_tasks("H-3") == []
    h.on("2026-03-20")
    h.message("achterstand_opgelost", "H-3")
    assert h.status("H-3") == "completed"
    h.record()


def test_geen_voorstel_mogelijk_minnelijk_traject_afgerond(h: Haarlem) -> None:
    """Art. 3.4 with contact in time; no proposal for the arrears possible yet: the
    corporation is informed while the debt services work on (art. 6.3); then no arrangement is
    possible: amicable settlement of at most 36 months (art. 7.1-7.4); the tenant misses the
    rent but pays within the 14-day recovery period (art. 7.6); the settlement runs its term."""
    h.start("H-5", "bakker", deurwaarderdatum="2026-03-20")
    h.do(
        "corporatie",
        "huurder_benaderen",
        "H-5",
        {
            "contact_wijze_corporatie": "brief",
            "huurder_geinformeerd": True,
            "inschatting_corporatie": "alleen_huurachterstand",
            "deurwaarderdatum": "2026-03-20",
        },
    )
    # 20 March - 14 days = Friday 6 March: the report is due that day.
    h.on("2026-03-06T10:00")
    task = h.task("melden_bij_wijkteam", "H-5")
    assert local_iso(task.due_at) == "2026-03-06T23:59:59+01:00"
    h.do("corporatie", "melden_bij_wijkteam", "H-5", {"maanden_achterstand": 2})
    # Fri 6 March + 5 working days = Fri 13 March; + 14 days = Fri 20 March.
    data = h.data("H-5")
    assert data["termijn_contact"] == "2026-03-13T23:59:59+01:00"
    assert data["termijn_voorstel"] == "2026-03-20T23:59:59+01:00"
    # 67 and living alone: one priority group.
    assert data["prioriteitsgroepen"] == ["65-plusser"] and data["prioriteit"] == 70
    assert data["doelgroep"] == "65-plus" and data["huishouden"] == "alleenstaand"

    h.on("2026-03-10")
    h.do(
        "wijkteam",
        "contact_opnemen",
        "H-5",
        {
            "contact_gelegd": True,
            "datum_contact": "2026-03-10",
            "wijze_contact": "telefonisch",
            "in_behandeling": "ja",
            "alleen_huurschuld": True,
            "toestemming_overdracht": False,
            "incasso_hervatten": False,
            "datum_hervatting_betaling": "2026-04-01",
            "toestemming_inhoud_delen": False,
        },
    )
    # Contact in time: no escalation; the corporation sees exactly bijlage 2 §6.
    assert h.timers("H-5") == {}
    assert h.sees("corporatie", "H-5") == MELDING | TERUGKOPPELING
    h.do("corporatie", "incasso_opschorten", "H-5", {"incasso_opgeschort": True})
    h.on("2026-03-18")
    h.voorstel("H-5", "nog_niet")
    # Art. 6.3: the corporation is informed, and the debt services work on the proposal.
    assert h.open_tasks("H-5") == ["geinformeerd_geen_voorstel", "voorstel_achterstand"]
    assert h.task("geinformeerd_geen_voorstel", "H-5").candidate_groups == ["elan-wonen"]
    assert h.task("voorstel_achterstand", "H-5").candidate_groups == ["haarlem-sdv"]
    assert h.view("corporatie", "H-5")["uitkomst_voorstel"] == "nog_niet"
    h.do("corporatie", "geinformeerd_geen_voorstel", "H-5", {"opschorting_voortzetten": True})
    h.on("2026-03-25")
    h.do("sdv", "voorstel_achterstand", "H-5", {"uitkomst_voorstel": "geen_regeling"})

    h.on("2026-04-01")
    h.minnelijk("H-5", looptijd=18)
    # Start Wed 1 April 2026 + 18 months = 1 October 2027, a Friday.
    data = h.data("H-5")
    assert (data["startdatum_minnelijk"], data["einde_minnelijk_traject"]) == (
        "2026-04-01",
        "2027-10-01",
    )
    assert h.timers("H-5") == {"looptijd_verstreken": "2027-10-01T23:59:59+02:00"}
    seen = h.sees("corporatie", "H-5")
    assert {"aanbod_percentage", "looptijd_maanden", "akkoord_aanbod"} <= seen
    assert "inventarisatie_schulden" not in seen

    # Tuesday 2 June: the tenant stops paying the current rent; 14 days to pay (art. 7.6).
    h.on("2026-06-02")
    h.message("lopende_huur_niet_betaald", "H-5", {"datum_herstelbrief": "2026-06-02"})
    assert h.timers("H-5") == {"hersteltermijn_verstreken": "2026-06-16T23:59:59+02:00"}
    h.on("2026-06-10")
    h.message("huur_alsnog_betaald", "H-5")
    # Back in the settlement; its end did not move.
    assert h.timers("H-5") == {"looptijd_verstreken": "2027-10-01T23:59:59+02:00"}
    h.on("2027-10-04")
    assert h.status("H-5") == "completed"
    h.record()


def test_hersteltermijn_verstreken_troubleshooter_voorkomt_ontruiming(h: Haarlem) -> None:
    """Art. 3.3 with consent (no arrears, complex problems) and a residence-status household;
    no arrangement possible; the settlement term is capped at 36 months; the tenant stops
    paying and lets the 14-day recovery period pass: the trajectory ends (art. 7.6). The
    eviction date becomes known and the troubleshooter makes an arrangement (art. 8)."""
    h.start("H-6", "tesfamariam", maanden_achterstand=0)
    h.do(
        "corporatie",
        "huurder_benaderen",
        "H-6",
        {
            "contact_wijze_corporatie": "huisbezoek",
            "huurder_geinformeerd": True,
            "inschatting_corporatie": "complex_zonder_achterstand",
            "signalen_corporatie": "Woning lijkt te klein; geen contact met instanties",
            "toestemming_melding": True,
        },
    )
    data = h.data("H-6")
    assert data["soort_melding"] == "vroegsignaal" and data["heeft_verblijfstatus"] is True
    assert data["prioriteitsgroepen"] == ["kinderen tot 18 jaar", "verblijfstatus"]
    assert data["prioriteit"] == 75
    h.in_behandeling("H-6")
    h.on("2026-03-10")
    h.voorstel("H-6", "geen_regeling")
    # At most 36 months: the form refuses 40 (and nothing is stored), 36 is the longest.
    with pytest.raises(InvalidInput) as refused:
        h.minnelijk("H-6", looptijd=40)
    assert refused.value.fields == {"looptijd_maanden": ["Het getal mag hoogstens 36 zijn."]}
    h.minnelijk("H-6", looptijd=36)
    # Tue 10 March 2026 + 36 months = 10 March 2029.
    data = h.data("H-6")
    assert data["looptijd_maanden"] == 36 and data["einde_minnelijk_traject"] == "2029-03-10"

    # Monday 4 May: recovery letter; 14 days later is Monday 18 May. Nothing is paid.
    h.on("2026-05-04")
    h.message("lopende_huur_niet_betaald", "H-6", {"datum_herstelbrief": "2026-05-04"})
    assert h.timers("H-6") == {"hersteltermijn_verstreken": "2026-05-18T23:59:59+02:00"}
    h.on("2026-05-19")
    assert h.phase("H-6") == "stagnatie"
    assert h.open_tasks("H-6") == ["troubleshooter_bemiddelen"]
    h.bemiddeling("H-6")
    assert h.phase("H-6") == "bewaking" and h.open_tasks("H-6") == []
    assert h.sees("troubleshooter", "H-6") == set()

    # The eviction is set for Wednesday 1 July: the troubleshooter acts before Tue 30 June.
    h.on("2026-06-15")
    h.message("ontruimingsdatum_bekend", "H-6", {"ontruimingsdatum": "2026-07-01"})
    task = h.task("troubleshooter_actie", "H-6")
    assert task.candidate_groups == ["haarlem-troubleshooter"] and task.priority == 75
    assert local_iso(task.due_at) == "2026-06-30T23:59:59+02:00"
    assert not h.sees("troubleshooter", "H-6") & {"signalen_corporatie", "heeft_verblijfstatus"}
    h.do(
        "troubleshooter",
        "troubleshooter_actie",
        "H-6",
        {
            "uitkomst_troubleshooter": "regeling",
            "afspraken_troubleshooter": "Achterstand in 12 maanden; huur via budgetbeheer",
        },
    )
    # The arrangement runs (art. 3.9) until the arrears are paid off.
    assert h.status("H-6") == "waiting" and h.phase("H-6") == "traject"
    h.message("achterstand_opgelost", "H-6")
    assert h.status("H-6") == "completed"
    h.record()


def test_wsnp_na_mislukt_minnelijk_traject_of_afgewezen_aanbod(h: Haarlem) -> None:
    """Art. 7.3-7.5: the amicable settlement fails (message), or the corporation does not
    accept the offer: the debt services file the Wsnp request."""
    for key, huurder, akkoord in (("H-7a", "el_amrani", True), ("H-7b", "hoekstra", False)):
        h.vroeg_gemeld(key, huurder)
        h.in_behandeling(key)
        h.voorstel(key, "geen_regeling")
        h.minnelijk(key, akkoord=akkoord)
    h.on("2026-09-01")
    h.message("minnelijk_traject_mislukt", "H-7a")
    for key in ("H-7a", "H-7b"):
        task = h.task("wsnp_verzoek", key)
        assert task.candidate_groups == ["haarlem-sdv"]
        h.do("sdv", "wsnp_verzoek", key, {"wsnp_ingediend_op": "2026-09-03"})
        assert h.status(key) == "completed"
        assert h.view("corporatie", key)["wsnp_ingediend_op"] == "2026-09-03"
    h.record()


def test_regeling_niet_getroffen_en_achterstand_opgelost(h: Haarlem) -> None:
    """Art. 6.3-6.4: a proposal for the arrears after all, but no arrangement is made; while
    the corporation waits for the verdict the arrears are resolved: no eviction."""
    h.vroeg_gemeld("H-8", "jansen")
    h.in_behandeling("H-8")
    h.voorstel("H-8", "nog_niet")
    h.do("corporatie", "geinformeerd_geen_voorstel", "H-8", {"opschorting_voortzetten": True})
    h.do(
        "sdv",
        "voorstel_achterstand",
        "H-8",
        {
            "uitkomst_voorstel": "regeling",
            "aflossing_per_maand": 50.0,
            "datum_start_aflossing": "2026-04-01",
        },
    )
    h.do("corporatie", "regeling_treffen", "H-8", {"regeling_getroffen": False})
    assert h.open_tasks("H-8") == ["troubleshooter_bemiddelen"]
    h.bemiddeling("H-8")
    assert h.phase("H-8") == "bewaking"
    h.on("2026-05-01")
    h.message("achterstand_opgelost", "H-8")
    assert h.status("H-8") == "completed"
    h.record()


def test_melding_zonder_aantal_bewoners_en_deurwaarderdatum_bereikt_het_wijkteam(
    h: Haarlem,
) -> None:
    """Issue 19: a report without the optional "Aantal ingeschreven bewoners" (nor a planned
    bailiff date) for a tenant the BRP does not know. Before the data-flow analysis the case
    stopped at "Standaard prioriteit" with a NameError and never reached the Sociaal
    Wijkteam; now it does, with the standard priority and the household group 'overig'."""
    melding = h.melding("wilgenpad", "ELAN-Z-1")
    del melding["aantal_bewoners"]
    h.sim.start(
        KEY, "Z-1", melding, actor="user:elan-wonen", parties=dict(TEAMS), municipality=GEMEENTE
    )
    # The corporation's assessment, sent without the (conditional) bailiff date.
    h.do(
        "corporatie",
        "huurder_benaderen",
        "Z-1",
        {
            "contact_wijze_corporatie": "brief",
            "huurder_geinformeerd": True,
            "inschatting_corporatie": "alleen_huurachterstand",
        },
    )
    # No bailiff date: no later moment to wait for (art. 3.4), the report is due at once.
    assert h.data("Z-1")["melden_uiterlijk_op"] == "2026-03-02T23:59:59+01:00"
    h.on("2026-03-03T08:00")
    task = h.task("melden_bij_wijkteam", "Z-1")
    assert local_iso(task.due_at) == "2026-03-02T23:59:59+01:00"  # (overdue: report now)
    h.do("corporatie", "melden_bij_wijkteam", "Z-1", {"maanden_achterstand": 3})

    assert h.status("Z-1") == "waiting"
    data = h.data("Z-1")
    assert data["huurder_in_brp"] is False and data["aantal_bewoners"] is None
    assert data["prioriteit"] == 50 and data["doelgroep"] == "overig"
    task = h.task("contact_opnemen", "Z-1")
    assert task.candidate_groups == ["haarlem-swt"] and task.priority == 50
    with h.db.session() as session:
        assert session.scalar(select(func.count()).select_from(Incident)) == 0
    h.record()


def test_formulier_en_bericht_weigeren_onmogelijke_waarden(h: Haarlem) -> None:
    """Issue 19, the form and the message door: the catalogue's rule for each value, with the
    same words as the signal door (tests/intake/test_value_rules.py)."""
    from app.engine.errors import InvalidInput
    from app.tasks import service as tasks

    h.start("V-1", "jansen", deurwaarderdatum="2026-04-20")
    h.do(
        "corporatie",
        "huurder_benaderen",
        "V-1",
        {
            "contact_wijze_corporatie": "brief",
            "huurder_geinformeerd": True,
            "inschatting_corporatie": "alleen_huurachterstand",
            "deurwaarderdatum": "2026-04-20",
        },
    )
    for data, field, problem in (
        ({"deurwaarderdatum": "2040-01-01"}, "deurwaarderdatum", "ligt meer dan 10 jaar vooruit"),
        ({"deurwaarderdatum": "morgen"}, "deurwaarderdatum", "is geen datum"),
    ):
        with pytest.raises(InvalidInput) as refused:
            h.message("deurwaarderdatum_gewijzigd", "V-1", data)
        assert refused.value.fields[field][0].startswith(problem)
    with pytest.raises(InvalidInput) as refused:
        h.message("deurwaarderdatum_gewijzigd", "V-1", {})
    assert refused.value.fields == {"deurwaarderdatum": ["ontbreekt"]}

    h.on("2026-04-02T08:00")
    task = h.task("melden_bij_wijkteam", "V-1")

    def complete(data: dict) -> dict:
        """The form door (page, API and command line alike: app.tasks.service.complete)."""
        with pytest.raises(InvalidInput) as refused, h.db.transaction() as session:
            tasks.complete(h.db, session, h.readers["corporatie"], task.id, data, "geheim")
        return refused.value.fields

    for months, problem in (
        (-3, "mag niet negatief zijn"),
        ("-3", "mag niet negatief zijn"),
        (400, "is te groot (hoogstens 120)"),
    ):
        assert complete({"maanden_achterstand": months})["maanden_achterstand"] == [problem]
    errors = complete({"maanden_achterstand": 3, "aantal_bewoners": 31})
    assert errors == {"aantal_bewoners": ["is te groot (hoogstens 30)"]}
    assert h.open_tasks("V-1") == ["melden_bij_wijkteam"]  # nothing was stored


def test_wachtlijst_prioriteit_uit_brp_en_inbox(h: Haarlem) -> None:
    """Art. 3.6 and bijlage 2 §4: households with minors, 65-plussers, residence-status
    holders and people already known to the team go first; the inbox orders by priority."""
    from app.tasks.inbox import Filters, page

    for key, huurder in (
        ("P-1", "el_amrani"),
        ("P-2", "bakker"),
        ("P-3", "tesfamariam"),
        ("P-4", "hoekstra"),
        ("P-5", "wilgenpad"),
    ):
        h.vroeg_gemeld(key, huurder)
    # Not in the BRP (nobody registered at the address): standard priority, no look-ups.
    data = h.data("P-5")
    assert data["huurder_in_brp"] is False and data["bsn"] is None
    assert data["prioriteit"] == 50 and data["doelgroep"] == "alleenstaand"
    assert "bekend_bij_schuldhulp" not in data and "minderjarigen" not in data
    # Known to the team (STAPP) and to the debt services (back office).
    data = h.data("P-4")
    assert data["bekend_bij_wijkteam"] is True and data["bekend_bij_schuldhulp"] is True
    assert data["lopend_traject"] is False

    swt = h.readers["wijkteam"]
    with h.db.session() as session:
        rows = page(session, swt, Filters(process="haarlem_preventie"), h.sim.clock.now()).rows
        order = [(row.business_key, row.task.priority) for row in rows]
        high = page(session, swt, Filters(priority="hoog"), h.sim.clock.now()).rows
    assert [p for _k, p in order] == [75, 75, 70, 50, 50]
    assert {k for k, p in order if p == 75} == {"P-3", "P-4"}
    assert {k for k, p in order if p == 50} == {"P-1", "P-5"}
    assert {row.business_key for row in high} == {"P-2", "P-3", "P-4"}
    # The team's inbox shows the name: the catalogue lets the team read it in this phase.
    assert {row.name for row in rows} >= {"Y. El Amrani", "H. Bakker"}
    h.record()


def test_statistieken_art_9_5(h: Haarlem) -> None:
    """Every case feeds the figures of art. 9.5: reports received, evictions per target group
    and reason, keys handed in, evictions prevented after a report."""
    from app.processes.haarlem.statistics import statistieken

    h.start("S-0", "el_amrani", deurwaarderdatum="2026-05-18")  # settled before any report
    h.do(
        "corporatie",
        "huurder_benaderen",
        "S-0",
        {
            "contact_wijze_corporatie": "brief",
            "huurder_geinformeerd": True,
            "inschatting_corporatie": "alleen_huurachterstand",
            "deurwaarderdatum": "2026-05-18",
        },
    )
    h.message("betalingsregeling_getroffen", "S-0")
    for key, huurder in (
        ("S-1", "jansen"),
        ("S-2", "bakker"),
        ("S-3", "wilgenpad"),
        ("S-4", "haddou"),
        ("S-5", "hoekstra"),
    ):
        h.vroeg_gemeld(key, huurder)
    for key in ("S-1", "S-2", "S-3"):
        h.niet_in_behandeling(key)
        h.bemiddeling(key)  # art. 2.3b: no arrangement through the troubleshooter either
    h.in_behandeling("S-4")
    h.voorstel("S-4", "regeling")
    h.do("corporatie", "regeling_treffen", "S-4", {"regeling_getroffen": True})
    h.message("achterstand_opgelost", "S-4")  # the arrangement is kept (art. 3.9)
    h.on("2026-06-01")
    h.ontruiming("S-1", "2026-06-16", "ontruimd", "huurschuld")
    h.ontruiming("S-2", "2026-06-17", "sleutels_ingeleverd")
    h.ontruiming("S-3", "2026-06-18", "ontruimd", "overlast")

    with h.db.session() as session:
        figures = statistieken(session, "haarlem")
        march = statistieken(session, "haarlem", van=date(2026, 3, 1), tot=date(2026, 3, 31))
        june = statistieken(session, "haarlem", van=date(2026, 6, 1), tot=date(2026, 6, 30))
    assert figures.meldingen == 5  # S-0 never reached the Sociaal Wijkteam
    assert figures.meldingen_per_corporatie == {"Elan-Wonen": 5}
    assert figures.meldingen_per_soort == {"vroegsignaal": 5}
    assert figures.huisuitzettingen == 2
    assert figures.huisuitzettingen_per_doelgroep == {"met kinderen": 1, "alleenstaand": 1}
    assert figures.huisuitzettingen_per_reden == {"huurschuld": 1, "overlast": 1}
    assert figures.sleutels_ingeleverd == 1
    assert figures.voorkomen_na_melding == 1  # S-4; S-5 is still running
    # Reports count in March, outcomes in the month the case ended.
    assert (march.meldingen, march.voorkomen_na_melding, march.huisuitzettingen) == (5, 1, 0)
    assert (june.meldingen, june.huisuitzettingen, june.sleutels_ingeleverd) == (0, 2, 1)
    lines = dict(figures.regels())
    assert lines["9.5.3c voorkomen huisuitzettingen na melding"] == 1
    assert lines["  doelgroep 65-plus"] == 0
    # The figures Stroom does not hold are on their own lines, never counted as 0.
    assert lines["9.5.2a huurders op de crisislijst van de Schulddienstverlening"].startswith(
        "niet in Stroom"
    )
    assert lines["  reden vanwege een strafbaar feit"].startswith("niet in Stroom")
    h.record()


# -- issue 22: the covenant read again ------------------------------------------------------------


def test_inhoud_van_gesprekken_alleen_met_schriftelijke_toestemming(h: Haarlem) -> None:
    """Bijlage 2 §6: "Terugkoppeling van inhoudelijke gegevens uit het gesprek, bijvoorbeeld de
    achtergrond van de betalingsachterstand, medische gegevens ed. zijn niet ter zake dienend en
    niet toegestaan (zonder schriftelijke toestemming van de klant)." The catalogue's read rule
    says `schriftelijk: ja`: the corporation reads the explanation only while the consent that
    counts is in writing (the signed form among the case's documents); an oral one does not
    open it, and the form does not take a paper reference for the signed form."""
    from app.engine.errors import InvalidInput
    from app.privacy import consent
    from app.tasks import service as tasks

    h.vroeg_gemeld("S6-1", "bakker")
    contact = {
        "contact_gelegd": True,
        "datum_contact": "2026-03-03",
        "wijze_contact": "telefonisch",
        "in_behandeling": "ja",
        "alleen_huurschuld": False,
        "regie_bij": "Sociaal Wijkteam",
        "toestemming_overdracht": False,
        "eindresultaat": "Vervolghulp en/of verwijzing financieel",
        "incasso_hervatten": False,
        "datum_hervatting_betaling": "2026-04-01",
        "toestemming_inhoud_delen": True,
        "toelichting_corporatie": "Inkomen viel weg door ziekte; herstel verwacht",
    }
    task = h.task("contact_opnemen_vroeg", "S6-1")
    # The number of a paper form outside Stroom is no evidence the corporation may rely on.
    with pytest.raises(InvalidInput) as refused, h.db.transaction() as session:
        tasks.complete(
            h.db,
            session,
            h.readers["wijkteam"],
            task.id,
            {**contact, "bewijs_toestemming_inhoud_delen": "TF-2026-0301"},
            SECRET,
        )
    assert list(refused.value.fields) == ["bewijs_toestemming_inhoud_delen"]
    assert "documentnummer" in refused.value.fields["bewijs_toestemming_inhoud_delen"][0]

    signed = h.document("S6-1")
    h.do(
        "wijkteam",
        "contact_opnemen_vroeg",
        "S6-1",
        {**contact, "bewijs_toestemming_inhoud_delen": str(signed)},
    )
    view = h.view("corporatie", "S6-1")
    assert view["toelichting_corporatie"] == "Inkomen viel weg door ziekte; herstel verwacht"
    assert set(view) == MELDING | TERUGKOPPELING | {"toelichting_corporatie"}

    # The tenant later says yes again, on the phone: the latest consent counts and it is oral,
    # so the explanation is closed to the corporation; the Sociaal Wijkteam still reads it.
    h.sim.clock.advance(timedelta(minutes=5))
    with h.db.transaction() as session:
        consent.record(
            session,
            h.sim.instance("S6-1").id,
            "inhoud_delen",
            True,
            given_by="bewoner",
            channel="mondeling",
            recorded_by=f"user:{TEAMS['wijkteam']}",
        )
    assert "toelichting_corporatie" not in h.sees("corporatie", "S6-1")
    assert "toelichting_corporatie" in h.sees("wijkteam", "S6-1")
    # Given digitally it is in writing again.
    h.sim.clock.advance(timedelta(minutes=5))
    with h.db.transaction() as session:
        consent.record(
            session,
            h.sim.instance("S6-1").id,
            "inhoud_delen",
            True,
            given_by="bewoner",
            channel="digitaal",
            recorded_by=f"user:{TEAMS['wijkteam']}",
        )
    assert "toelichting_corporatie" in h.sees("corporatie", "S6-1")
    h.record()


def test_brp_alleen_bij_een_wachtlijst_boven_de_capaciteit(h: Haarlem) -> None:
    """Bijlage 2 §4: "Wanneer het aantal personen op de wachtlijst groter is dan het Sociaal
    Wijkteam aankan, kan het Sociaal Wijkteam prioriteren. Hiervoor kan het Sociaal Wijkteam
    gegevens uit het BRP gebruiken zoals, gezinssamenstelling en leeftijd". Without a waiting
    list over capacity (the setting `wachtlijst_boven_capaciteit`, Haarlem's own value) no
    register is asked: no BRP look-up, no residence status, the standard priority; the team
    checks STAPP and the debt services itself (bijlage 2 §3). With it, the same report is
    prioritised from the BRP."""
    from app.engine.models import Job

    def topics(key: str) -> list[str]:
        with h.db.session() as session:
            return sorted(
                session.scalars(select(Job.topic).where(Job.instance_id == h.sim.instance(key).id))
            )

    h.setting("wachtlijst_boven_capaciteit", False)
    h.vroeg_gemeld("BRP-1", "tesfamariam")  # residence permit and three minors in the BRP
    assert topics("BRP-1") == []
    data = h.data("BRP-1")
    assert not {"bsn", "heeft_verblijfstatus", "minderjarigen", "huishouden"} & set(data)
    assert (data["prioriteit"], data["prioriteitsgroepen"], data["doelgroep"]) == (50, [], "overig")
    assert h.task("contact_opnemen_vroeg", "BRP-1").priority == 50

    # The waiting list grows beyond what the team can take on: the next report is prioritised.
    h.setting("wachtlijst_boven_capaciteit", True)
    h.vroeg_gemeld("BRP-2", "tesfamariam")
    assert topics("BRP-2") == [
        "brp.huishouden",
        "haarlem.huurder_brp",
        "haarlem.stapp",
        "schuldhulp.bekend",
    ]
    data = h.data("BRP-2")
    assert data["heeft_verblijfstatus"] is True and data["minderjarigen"] == 3
    assert data["prioriteit"] == 75 and data["doelgroep"] == "met kinderen"
    # The case that was reported before keeps what it had: nothing is looked up afterwards.
    assert topics("BRP-1") == []
    h.record()


def _benaderd(h: Haarlem, key: str, huurder: str, bailiff: str, **extra: object) -> None:
    """Registration with the bailiff planned on `bailiff`; the corporation informed the tenant
    and sees only rent arrears (art. 3.1)."""
    h.start(key, huurder, deurwaarderdatum=bailiff, **extra)
    h.do(
        "corporatie",
        "huurder_benaderen",
        key,
        {
            "contact_wijze_corporatie": "brief",
            "huurder_geinformeerd": True,
            "inschatting_corporatie": "alleen_huurachterstand",
            "deurwaarderdatum": bailiff,
        },
    )


def test_anderhalve_maand_achterstand_en_eerder_melden(h: Haarlem) -> None:
    """Bijlage 4: "Bij 1,5 maand huurschuld neemt de corporatie altijd contact op met het
    Sociaal Wijkteam en start de procedure Convenant preventie huisuitzettingen"; art. 3.4:
    "Uiterlijk 2 weken voor het inschakelen van de deurwaarder heeft de woningcorporatie
    contact met het Sociaal Wijkteam" (uiterlijk: earlier is always allowed). The threshold is
    the setting `melden_vanaf_maanden_achterstand` (1.5), read at the registration and when
    the corporation's system sends the arrears again (message `achterstand_bijgewerkt`); the
    message `nu_melden` reports before the report task appears."""
    from app.cases.service import send_message
    from app.engine.errors import Forbidden, InvalidInput

    # 1.5 months at the registration: reported at once, although the bailiff is months away.
    _benaderd(h, "AM-1", "jansen", "2026-09-01", maanden_achterstand=1.5)
    data = h.data("AM-1")
    assert (data["datum_melding"], data["soort_melding"]) == ("2026-03-02", "deurwaarder")
    assert h.open_tasks("AM-1") == ["contact_opnemen"]
    # 5 working days from Monday 2 March: Monday 9 March (art. 3.5).
    assert h.timers("AM-1") == {"contact_termijn_verstreken": "2026-03-09T23:59:59+01:00"}
    assert h.phase("AM-1") == "melding"

    # One month: the case waits for the deadline of art. 3.4 (1 September - 14 days = 18
    # August; the task 3 working days before, Thursday 13 August).
    _benaderd(h, "AM-2", "el_amrani", "2026-09-01")
    assert h.timers("AM-2") == {"melden_uiterlijk": "2026-08-13T00:00:00+02:00"}
    # The arrears are sent again: 1.4 months is not yet the threshold, nothing is reported.
    h.on("2026-03-16")
    h.message("achterstand_bijgewerkt", "AM-2", {"maanden_achterstand": 1.4})
    assert h.open_tasks("AM-2") == [] and h.phase("AM-2") == "signalering"
    assert h.timers("AM-2") == {"melden_uiterlijk": "2026-08-13T00:00:00+02:00"}
    with pytest.raises(InvalidInput) as refused:  # the message must bring the arrears
        h.message("achterstand_bijgewerkt", "AM-2", {})
    assert refused.value.fields == {"maanden_achterstand": ["ontbreekt"]}
    # 1 April: two months; the report is made that day, long before the deadline.
    h.on("2026-04-01")
    h.message("achterstand_bijgewerkt", "AM-2", {"maanden_achterstand": 2})
    assert h.data("AM-2")["datum_melding"] == "2026-04-01"
    assert h.open_tasks("AM-2") == ["contact_opnemen"]
    assert "melden_uiterlijk" not in h.timers("AM-2")
    assert {"maanden_achterstand", "referentie"} <= h.sees("wijkteam", "AM-2")
    assert h.view("wijkteam", "AM-2")["maanden_achterstand"] == 2

    # One month, and the corporation reports anyway (art. 3.4: at the latest, not at the
    # earliest); its report task had not appeared yet.
    # Through the message door of the API (app.cases.service.send_message): another
    # corporation cannot report this case; the corporation of the case can.
    _benaderd(h, "AM-3", "bakker", "2026-09-01")
    h.on("2026-04-02")
    with pytest.raises(NotFound), h.db.transaction() as session:
        send_message(session, h.readers["andere_corporatie"], "nu_melden", "AM-3", {})
    with pytest.raises(Forbidden), h.db.transaction() as session:  # only the corporation
        send_message(session, h.readers["wijkteam"], "nu_melden", "AM-3", {})
    assert h.open_tasks("AM-3") == []
    with h.db.transaction() as session:
        send_message(session, h.readers["corporatie"], "nu_melden", "AM-3", {})
    h.sim.settle()
    assert h.data("AM-3")["datum_melding"] == "2026-04-02"
    assert h.open_tasks("AM-3") == ["contact_opnemen"]

    # Haarlem sets its own threshold (3 months): two months at the registration wait.
    h.setting("melden_vanaf_maanden_achterstand", 3)
    _benaderd(h, "AM-4", "hoekstra", "2026-09-01", maanden_achterstand=2)
    assert h.open_tasks("AM-4") == [] and h.phase("AM-4") == "signalering"
    h.on("2026-04-03")
    h.message("achterstand_bijgewerkt", "AM-4", {"maanden_achterstand": 3})
    assert h.open_tasks("AM-4") == ["contact_opnemen"]
    h.record()


def test_troubleshooter_bij_stagnatie_voor_een_ontruimingsdatum(h: Haarlem) -> None:
    """Art. 2.3: "De troubleshooter Kan worden ingeschakeld bij: ... b. Stagneren van de
    voortgang omdat betrokken partijen niet op één lijn komen (tegengestelde belangen/ eisen
    en/of huurder wil niet mee werken) waardoor het risico ontstaat van huisuitzetting."
    Stalled, in the diagram: every way into waiting for an eviction date (the corporation makes
    no arrangement on the proposal, the report is not taken up, the debt route ended because
    the rent stopped); the troubleshooter mediates first, not only once the eviction date is
    known (art. 8). Here the corporation and the proposal do not meet; the troubleshooter
    brings them together and the eviction is prevented."""
    from app.processes.haarlem.statistics import statistieken

    h.vroeg_gemeld("TS-1", "hoekstra")
    h.in_behandeling("TS-1")
    h.on("2026-03-09")
    h.voorstel("TS-1", "regeling")
    # Before anything stalls the troubleshooter sees nothing of the case.
    assert h.sees("troubleshooter", "TS-1") == set()
    h.do("corporatie", "regeling_treffen", "TS-1", {"regeling_getroffen": False})

    task = h.task("troubleshooter_bemiddelen", "TS-1")
    assert task.candidate_groups == ["haarlem-troubleshooter"] and task.due_at is None
    assert h.phase("TS-1") == "stagnatie"
    seen = h.sees("troubleshooter", "TS-1")
    # Bijlage 2 §1 goes to the "Sociaal Wijkteam/ troubleshooter", with the feedback and the
    # proposal the parties disagree on; nothing of the team's file or the consents.
    assert seen >= MELDING | {"in_behandeling", "uitkomst_voorstel", "regeling_getroffen"}
    assert not seen & {"bsn", "signalen_corporatie", "eindresultaat", "inventarisatie_schulden"}

    h.on("2026-03-12")
    h.bemiddeling("TS-1", "regeling")
    # The arrangement runs like any other (art. 3.9); the parties read what was agreed, the
    # troubleshooter's part is over.
    assert h.status("TS-1") == "waiting" and h.phase("TS-1") == "traject"
    view = h.view("corporatie", "TS-1")
    assert view["uitkomst_troubleshooter"] == "regeling"
    assert view["afspraken_troubleshooter"].startswith("Achterstand in 10 maanden")
    assert h.sees("troubleshooter", "TS-1") == set()
    h.message("achterstand_opgelost", "TS-1")
    assert h.status("TS-1") == "completed"
    # Art. 9.5.3c: an eviction prevented after the report.
    with h.db.session() as session:
        assert statistieken(session, GEMEENTE).voorkomen_na_melding == 1
    h.record()


def _regeling(h: Haarlem, key: str, huurder: str) -> None:
    """Early report, taken up, a proposal with an arrangement that the corporation makes."""
    h.vroeg_gemeld(key, huurder)
    h.in_behandeling(key)
    h.voorstel(key, "regeling")
    h.do("corporatie", "regeling_treffen", key, {"regeling_getroffen": True})


def test_betaalafspraken_niet_nagekomen_na_de_regeling(h: Haarlem) -> None:
    """Art. 3.9: "Wanneer de huurder gemaakte betaalafspraken niet nakomt wordt het Sociaal
    Wijkteam direct geïnformeerd en vica versa." The case no longer ends when the arrangement
    is made: it waits while the arrangement runs, until the corporation reports the arrears
    paid off (`achterstand_opgelost`). A broken arrangement reported by the corporation
    (`betaalafspraken_niet_nagekomen`) gives the Sociaal Wijkteam a task at once; one reported
    by the team (`betaalafspraken_niet_nagekomen_wijkteam`) gives the corporation one first.
    The team chooses what follows: the agreements restored, the amicable route (art. 7.1),
    or, when the tenant does not cooperate, the troubleshooter (art. 2.3b)."""
    from app.cases.service import send_message
    from app.engine.errors import Forbidden

    _regeling(h, "N-1", "hoekstra")
    assert h.status("N-1") == "waiting" and h.phase("N-1") == "traject"
    assert h.open_tasks("N-1") == []

    # Each sends its own message (`afzenders` in the catalogue): not the other's.
    for party, message in (
        ("corporatie", "betaalafspraken_niet_nagekomen_wijkteam"),
        ("wijkteam", "betaalafspraken_niet_nagekomen"),
    ):
        with pytest.raises(Forbidden) as refused, h.db.transaction() as session:
            send_message(session, h.readers[party], message, "N-1", {})
        assert "alleen van" in refused.value.message
    assert h.open_tasks("N-1") == []

    # The corporation: a term of the arrangement was missed.
    h.on("2026-04-06")
    with h.db.transaction() as session:
        send_message(session, h.readers["corporatie"], "betaalafspraken_niet_nagekomen", "N-1", {})
    h.sim.settle()
    task = h.task("afspraken_opvolgen", "N-1")
    assert task.candidate_groups == ["haarlem-swt"] and task.priority == 75
    assert local_iso(task.created_at) == "2026-04-06T09:00:00+02:00"  # direct
    h.do("wijkteam", "afspraken_opvolgen", "N-1", {"vervolg_afspraken": "hersteld"})
    assert h.open_tasks("N-1") == [] and h.status("N-1") == "waiting"
    assert h.view("corporatie", "N-1")["vervolg_afspraken"] == "hersteld"

    # Vice versa: the team learns the tenant does not keep the agreements; the corporation
    # is informed and decides on its collection, then the team follows up.
    h.on("2026-05-04")
    with h.db.transaction() as session:
        send_message(
            session, h.readers["wijkteam"], "betaalafspraken_niet_nagekomen_wijkteam", "N-1", {}
        )
    h.sim.settle()
    assert h.open_tasks("N-1") == ["niet_nagekomen_kennisnemen"]
    h.do("corporatie", "niet_nagekomen_kennisnemen", "N-1", {"opschorting_voortzetten": True})
    h.do("wijkteam", "afspraken_opvolgen", "N-1", {"vervolg_afspraken": "minnelijk_traject"})
    assert h.open_tasks("N-1") == ["minnelijk_traject_starten"]
    assert h.task("minnelijk_traject_starten", "N-1").candidate_groups == ["haarlem-sdv"]
    assert h.phase("N-1") == "schuldhulp"

    # The tenant does not cooperate: the case stalls towards an eviction (art. 2.3b).
    _regeling(h, "N-2", "bakker")
    h.message("betaalafspraken_niet_nagekomen", "N-2")
    h.do("wijkteam", "afspraken_opvolgen", "N-2", {"vervolg_afspraken": "geen_vervolg"})
    assert h.open_tasks("N-2") == ["troubleshooter_bemiddelen"]
    assert h.phase("N-2") == "stagnatie"

    # Kept: the arrears are paid off and the case ends as an eviction prevented (9.5.3c).
    _regeling(h, "N-3", "el_amrani")
    h.message("achterstand_opgelost", "N-3")
    assert h.status("N-3") == "completed"
    # Nothing to inform about before an arrangement exists.
    h.vroeg_gemeld("N-4", "jansen")
    with pytest.raises(NotFound):
        h.message("betaalafspraken_niet_nagekomen", "N-4")
    h.record()


# -- the scenario file and the demo data ----------------------------------------------------------

ROOT = Path(__file__).resolve().parent.parent.parent


def test_scenario_bestand_speelt_af() -> None:
    """`stroom simulate scenarios/haarlem_preventie.yaml` plays without a failed expectation,
    with the covenant's deadlines on the dates the scenario's comments promise."""
    from click.testing import CliRunner

    from app.cli import main

    result = CliRunner().invoke(
        main, ["simulate", str(ROOT / "scenarios" / "haarlem_preventie.yaml")]
    )
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0].startswith("# Haarlem - Convenant Preventie huisuitzettingen, zes huurders (")

    def line(key: str, kind: str, element: str) -> list[str]:
        """Timeline lines: "YYYY-MM-DD HH:MM  key  kind  element  actor  details"."""
        return [text for text in lines if text[18:].split()[:3] == [key, kind, element]]

    # HAR-1: deadline Thu 2 April (Easter), moved with the bailiff date to Fri 24 April; the
    # task is there 3 working days before: Mon 30 March, then Tue 21 April.
    scheduled = line("HAR-1", "timer_scheduled", "melden_uiterlijk")
    assert [text.split("due=")[1] for text in scheduled] == [
        "2026-03-29T22:00:00+00:00",
        "2026-04-20T22:00:00+00:00",
    ]
    assert line("HAR-1", "timer_fired", "melden_uiterlijk")[0].startswith("2026-04-21 00:00")
    # HAR-4: no contact by Fri 13 March: the team lead gets the task at the deadline.
    assert line("HAR-4", "task_created", "contact_escalatie")[0].startswith("2026-03-13 23:59")
    assert "groups=['haarlem-swt-leiding']" in line("HAR-4", "task_created", "contact_escalatie")[0]
    # HAR-3: the 14-day recovery period runs out on Mon 18 May.
    assert line("HAR-3", "timer_fired", "hersteltermijn_verstreken")[0].startswith(
        "2026-05-18 23:59"
    )
    assert "instanties completed: 6" in lines
    for end in (
        "einde_geen_melding",
        "einde_regeling_voor_melding",
        "einde_wsnp",
        "einde_ontruiming",
    ):
        assert f"geëindigd bij {end}: 1" in lines
    # HAR-1 and HAR-3 (the troubleshooter's arrangement) both end once the arrears are paid.
    assert "geëindigd bij einde_regeling_na_melding: 2" in lines
    assert not [text for text in lines if text.startswith(("te laat", "open en over"))]


DEMO_STATES = {
    "YM-DEMO-0101": ("waiting", "signalering", ["huurder_benaderen"]),
    "ELAN-DEMO-0102": ("waiting", "signalering", []),
    "PRE-DEMO-0103": ("waiting", "signalering", ["melden_bij_wijkteam"]),
    "ELAN-DEMO-0104": ("waiting", "melding", ["contact_opnemen"]),
    "YM-DEMO-0105": ("waiting", "melding", ["contact_opnemen_vroeg"]),
    "PRE-DEMO-0106": ("waiting", "melding", ["contact_opnemen"]),
    "ELAN-DEMO-0107": ("waiting", "melding", ["contact_escalatie"]),
    "ELAN-DEMO-0108": ("waiting", "traject", ["voorstel_opstellen"]),
    "YM-DEMO-0109": ("waiting", "schuldhulp", []),
    "ELAN-DEMO-0110": ("completed", "traject", []),
    "PRE-DEMO-0111": ("completed", "signalering", []),
    "YM-DEMO-0112": ("waiting", "ontruiming", ["troubleshooter_actie"]),
    "PRE-DEMO-0113": ("completed", "ontruiming", []),
    "ELAN-DEMO-0114": ("completed", "ontruiming", []),
}


def _demo_states(db) -> dict[str, tuple[str, str | None, list[str]]]:  # type: ignore[no-untyped-def]
    from app.engine.models import HumanTask, ProcessInstance, TaskStatus
    from app.intake.models import Signal

    states = {}
    with db.session() as session:
        for reference, instance_id in session.execute(
            select(Signal.reference, ProcessInstance.id)
            .join(SignalCase, SignalCase.id == Signal.case_id)
            .join(ProcessInstance, ProcessInstance.id == SignalCase.instance_id)
            .where(Signal.municipality == "haarlem")
        ):
            row = session.get(ProcessInstance, instance_id)
            open_tasks = session.scalars(
                select(HumanTask.element_id).where(
                    HumanTask.instance_id == instance_id,
                    HumanTask.status == TaskStatus.OPEN.value,
                )
            ).all()
            states[reference] = (row.status, row.phase, sorted(open_tasks))
    return states


def _counts(db) -> dict[str, int]:  # type: ignore[no-untyped-def]
    from sqlalchemy import func

    from app.auth.models import User
    from app.cases.models import PartyBinding
    from app.engine.models import HumanTask, InstanceEvent, Job, ProcessInstance, Timer
    from app.intake.models import IntakeRoute, Signal

    with db.session() as session:
        return {
            model.__name__: session.scalar(select(func.count()).select_from(model))
            for model in (
                User,
                PartyBinding,
                IntakeRoute,
                Signal,
                ProcessInstance,
                HumanTask,
                Timer,
                Job,
                InstanceEvent,
            )
        }


@pytest.mark.parametrize(
    "nu",
    [
        "2026-03-02T09:00",  # a Monday (the story starts before Christmas 2025)
        "2026-04-28T16:00",  # the day after King's Day; Easter and 27 April in the story
        "2026-12-05T11:00",  # a Saturday
    ],
)
def test_demogegevens_haarlem(db, settings, clock, nu: str) -> None:  # type: ignore[no-untyped-def]
    """app/processes/haarlem/demo.py: cases in every phase through the real intake, tasks and
    timers; the team's inbox by waiting-list priority; the art. 9.5 figures; idempotent."""
    from app.auth import service as auth
    from app.auth.models import User
    from app.demo_data import common
    from app.engine.models import Job, JobStatus
    from app.processes.haarlem import demo as haarlem
    from app.processes.haarlem.statistics import statistieken
    from app.tasks.inbox import Filters, page
    from tests.processes.haarlem_preventie_support import at
    from tests.support.engine import deploy_process

    clock.set(at(nu))
    deploy_process(db, "haarlem_preventie")
    common.load(db, settings)
    lines = haarlem.load(db, settings)
    assert "meldroute ymere -> haarlem_preventie" in lines
    assert "partijbinding haarlem_preventie: wijkteam_leiding -> haarlem-swt-leiding" in lines
    # The loader left the clock as it found it.
    assert clock.now() == at(nu)
    assert _demo_states(db) == DEMO_STATES
    with db.session() as session:
        assert session.scalars(select(Job.status).distinct()).all() == [JobStatus.DONE.value]
        swt = auth.principal_for_user(
            session.scalar(select(User).where(User.username == "swt.sanne"))
        )
        rows = page(session, swt, Filters(process="haarlem_preventie"), clock.now()).rows
        assert [(row.task.element_id, row.task.priority) for row in rows] in (
            [
                (first, 75),
                (second, 75),
                ("contact_opnemen", 70),
            ]
            for first, second in (
                ("contact_opnemen", "contact_opnemen_vroeg"),
                ("contact_opnemen_vroeg", "contact_opnemen"),
            )
        )
        figures = statistieken(session, "haarlem")
    assert figures.meldingen == 10
    assert figures.meldingen_per_corporatie == {"Elan Wonen": 5, "Pré Wonen": 2, "Ymere": 3}
    assert figures.meldingen_per_soort == {"deurwaarder": 7, "vroegsignaal": 3}
    assert figures.huisuitzettingen_per_doelgroep == {"met kinderen": 1}
    assert figures.huisuitzettingen_per_reden == {"overlast": 1}
    assert (figures.sleutels_ingeleverd, figures.voorkomen_na_melding) == (1, 1)

    # The figures on the command line (app/processes/haarlem/cli.py).
    from click.testing import CliRunner

    from app.clikit import Env
    from app.processes.haarlem.cli import statistics as haarlem_statistieken

    result = CliRunner().invoke(haarlem_statistieken, [], obj=Env(settings, db))
    assert result.exit_code == 0, result.output
    assert "9.5.3c voorkomen huisuitzettingen na melding: 1" in result.output.splitlines()
    result = CliRunner().invoke(haarlem_statistieken, ["--json"], obj=Env(settings, db))
    assert json.loads(result.output)["meldingen_per_soort"] == {"deurwaarder": 7, "vroegsignaal": 3}
    result = CliRunner().invoke(haarlem_statistieken, ["--from", "1 maart"], obj=Env(settings, db))
    assert result.exit_code == 2 and "JJJJ-MM-DD" in result.output

    before = _counts(db)
    assert haarlem.load(db, settings) == []
    assert _counts(db) == before


def test_diagram_in_bpmn_moddle_controle_en_volledig_getekend() -> None:
    """tests/test_bpmn_moddle.py loads this diagram too; here: every element of the process
    has a shape or edge in the diagram layout (DI), so it opens readably in the Modeler."""
    import xml.etree.ElementTree as ET

    from tests.test_bpmn_moddle import DIAGRAMS

    path = ROOT / "bpmn" / "haarlem_preventie.bpmn"
    assert path in DIAGRAMS
    ns = {
        "bpmn": "http://www.omg.org/spec/BPMN/20100524/MODEL",
        "bpmndi": "http://www.omg.org/spec/BPMN/20100524/DI",
    }
    tree = ET.parse(path)
    process = tree.find("bpmn:process", ns)
    assert process is not None
    skip = {"laneSet", "documentation", "extensionElements"}
    elements = {
        child.get("id")
        for child in process
        if child.tag.split("}")[1] not in skip and child.get("id")
    }
    elements |= {lane.get("id") for lane in process.iterfind("bpmn:laneSet/bpmn:lane", ns)}
    drawn = {
        shape.get("bpmnElement")
        for shape in tree.iterfind(".//bpmndi:BPMNPlane/*", ns)
        if shape.get("bpmnElement")
    }
    assert elements - drawn == set()
