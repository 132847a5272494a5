"""Scenario tests of Hollands Kroon's vroegsignalering (seed 004): monthly signals from every
kind of fixed-cost partner, contact attempts by e-mail/letter, phone and home visit, the
resident free to decline (no file at all), consent at the home visit, and what partners learn.

All dates are 2026, Europe/Amsterdam. Working days follow the Atw: Good Friday 3 Apr, Easter
Monday 6 Apr, King's Day Mon 27 Apr, Tue 5 May, Ascension Thu 14 May and the bridge day Fri
15 May are not working days. A due date "n working days" ends at 23:59:59 of that day; the next
contact attempt is planned at 00:00 of the day n working days after the previous attempt.
"""

from __future__ import annotations

import pytest
from sqlalchemy import select

from app.cases import settings as process_settings
from app.cases.models import Document
from app.catalogue import load as load_catalogue
from app.engine.errors import NotFound
from app.engine.models import InstanceEvent, Job
from app.intake.models import Signal
from app.privacy import consent
from app.privacy.models import Consent
from tests.processes.hollands_kroon_vroegsignalering_support import (
    KEY,
    MUNICIPALITY,
    SDV_TEAM,
    WIJKTEAM,
    at,
    attempt,
    feedback_rows,
    instance,
    local_iso,
    open_elements,
    open_task,
    partner_feedback,
    report,
    setup,
    signal,
    signals_of,
    view,
    waiting_timer,
)
from tests.support.coverage import record
from tests.support.engine import ROOT
from tests.support.orgs import user

pytestmark = pytest.mark.process(KEY)

REFUSAL = "Inwoner regelt het zelf/hoeft geen hulp vanuit vroegsignalering"
# Values of the test signal that are personal data: none may survive a refusal.
# Whole values as they would appear in the stored JSON: a bare "1761" also occurs in random ids.
PERSONAL = ("de Boer", "Kanaalweg", "1761 AB", "0612345678", "j.deboer@example.nl", "1234.56")


def test_signalen_van_meerdere_partners_een_casus_en_definitief_geen_contact(
    db, clock, settings
) -> None:
    world = setup(db, settings, clock)
    sim = world.sim

    # Thursday 26 March: the corporation's rent signal, then the water company's signal for the
    # same household in the same month: one case, the corporation is its reporting party.
    sim.advance_to(at("2026-03-26T09:00"))
    [huur] = report(world, "wooncompagnie", signal("WC-2026-0301", "Huur"))
    sim.advance_to(at("2026-03-26T10:00"))
    [water] = report(
        world, "waterbedrijf-nh", signal("WB-2026-0301", "Water", achterstand_bedrag="87,20")
    )
    assert (huur.status, water.status) == ("opgeslagen", "bij_bestaande_casus")
    case = huur.instance_id
    assert water.instance_id == case
    assert {s.reference for s in signals_of(db, case)} == {"WC-2026-0301", "WB-2026-0301"}
    with db.session() as session:
        added = session.scalars(
            select(InstanceEvent).where(
                InstanceEvent.instance_id == case, InstanceEvent.kind == "signaal_toegevoegd"
            )
        ).one()
    assert added.details["referentie"] == "WB-2026-0301"

    # The debt-services team judges the signal within 5 working days:
    # Fri 27, Mon 30, Tue 31 Mar, Wed 1, Thu 2 Apr -> Thu 2 April.
    task = open_task(db, case)
    assert task.element_id == "signaal_beoordelen"
    assert task.candidate_groups == [SDV_TEAM]
    assert local_iso(task.due_at) == "2026-04-02T23:59:59+02:00"
    assert instance(db, case).data["melder"] == "Wooncompagnie"

    # Friday 27 March: picked up. First attempt within 5 working days:
    # Mon 30, Tue 31 Mar, Wed 1, Thu 2 Apr, (Good Friday 3, Easter Monday 6 Apr) Tue 7 April.
    sim.advance_to(at("2026-03-27T10:00"))
    sim.complete("signaal_beoordelen", instance_id=case, data={"signaal_status": "Opgepakt"})
    task = open_task(db, case)
    assert (task.element_id, task.candidate_groups) == ("contactpoging", [SDV_TEAM])
    assert local_iso(task.due_at) == "2026-04-07T23:59:59+02:00"

    # What each party sees while the team is making contact: the corporation only its own
    # reference; the water company is no party to the case at all; the team the signal.
    assert view(db, world.partners["wooncompagnie"], case) == {"referentie": "WC-2026-0301"}
    with pytest.raises(NotFound):
        view(db, world.partners["waterbedrijf-nh"], case)
    seen = view(db, world.sdv, case)
    assert seen["naam"] == "J. de Boer" and seen["telefoon"] == "0612345678"
    assert seen["soort_vaste_lasten"] == "Huur" and seen["achterstand_bedrag"] == 1234.56

    # Attempt 1, Monday 30 March: e-mail, not reached. The next attempt is planned 5 working
    # days later: Tue 31 Mar, Wed 1, Thu 2, (3 and 6 Apr) Tue 7, Wed 8 April, at 00:00.
    sim.advance_to(at("2026-03-30T11:00"))
    sim.complete(
        "contactpoging", instance_id=case, data=attempt("Mail", "2026-03-30", "Ochtend", False)
    )
    assert open_elements(db, case) == []
    timer = waiting_timer(db, case)
    assert timer.element_id == "wachten_volgende_poging"
    assert local_iso(timer.due_at) == "2026-04-08T00:00:00+02:00"
    assert instance(db, case).data["volgende_poging"] == "2026-04-08T00:00:00+02:00"

    # Tuesday 7 April, 23:00: still nothing for the team.
    sim.advance_to(at("2026-04-07T23:00"))
    assert open_elements(db, case) == []
    # Wednesday 8 April 00:00: attempt 2 is there, due in 5 working days:
    # Thu 9, Fri 10, Mon 13, Tue 14, Wed 15 April.
    sim.advance_to(at("2026-04-08T09:00"))
    task = open_task(db, case)
    assert task.element_id == "contactpoging" and task.candidate_groups == [SDV_TEAM]
    assert local_iso(task.created_at) == "2026-04-08T00:00:00+02:00"
    assert local_iso(task.due_at) == "2026-04-15T23:59:59+02:00"

    # Attempt 2, Wednesday 8 April: phone, not reached. Next: 5 working days later, Wed 15.
    sim.advance_to(at("2026-04-08T14:00"))
    sim.complete(
        "contactpoging", instance_id=case, data=attempt("Telefoon", "2026-04-08", "Middag", False)
    )
    assert local_iso(waiting_timer(db, case).due_at) == "2026-04-15T00:00:00+02:00"

    # Attempt 3 appears on Wednesday 15 April, due Thu 16, Fri 17, Mon 20, Tue 21, Wed 22.
    sim.advance_to(at("2026-04-15T19:00"))
    task = open_task(db, case)
    assert local_iso(task.due_at) == "2026-04-22T23:59:59+02:00"
    # Home visit in the evening: nobody in, a leaflet goes through the door. That was the
    # third and last configured attempt: the case closes as "definitively no contact".
    sim.complete(
        "contactpoging",
        instance_id=case,
        data=attempt("Huisbezoek", "2026-04-15", "Avond", False, folder_achtergelaten=True),
    )
    row = instance(db, case)
    assert row.status == "completed"
    assert row.data["eindresultaat"] == "Definitief geen contact kunnen krijgen"
    assert row.data["aantal_pogingen"] == 3
    assert row.data["contactpogingen"] == [
        {
            "nummer": 1,
            "soort": "Mail",
            "datum": "2026-03-30",
            "dagdeel": "Ochtend",
            "bereikt": False,
            "folder_achtergelaten": False,
        },
        {
            "nummer": 2,
            "soort": "Telefoon",
            "datum": "2026-04-08",
            "dagdeel": "Middag",
            "bereikt": False,
            "folder_achtergelaten": False,
        },
        {
            "nummer": 3,
            "soort": "Huisbezoek",
            "datum": "2026-04-15",
            "dagdeel": "Avond",
            "bereikt": False,
            "folder_achtergelaten": True,
        },
    ]

    # Both partners learn the DDAS outcome as they may learn it, nothing else.
    for partner_key, reference in (
        ("wooncompagnie", "WC-2026-0301"),
        ("waterbedrijf-nh", "WB-2026-0301"),
    ):
        result = partner_feedback(world, partner_key, "2026-03")
        assert result.columns == ["referentie", "periode", "resultaat"]
        assert feedback_rows(result) == [
            {
                "referentie": reference,
                "periode": "2026-03",
                "resultaat": "Niet opgepakt: geen contact",
            }
        ]

    # The resident can come back later. A signal in May from the health insurer for the same
    # household starts a new case (flagged as reported before); so does a start by the team.
    sim.advance_to(at("2026-05-04T09:00"))
    [zorg] = report(world, "zorgverzekeraar-nh", signal("ZV-2026-0501", "Zorg"))
    assert zorg.status == "opgeslagen" and zorg.instance_id != case
    assert zorg.earlier_signal is True
    again = instance(db, zorg.instance_id)
    assert again.status == "waiting" and again.data["eerder_gemeld"] is True
    # Judge within 5 working days of Mon 4 May: (Tue 5 May) Wed 6, Thu 7, Fri 8, Mon 11, Tue 12.
    task = open_task(db, zorg.instance_id)
    assert task.element_id == "signaal_beoordelen" and task.candidate_groups == [SDV_TEAM]
    assert local_iso(task.due_at) == "2026-05-12T23:59:59+02:00"

    data = {k: v for k, v in signal("-", "Huur").items() if k != "referentie"}
    data["achterstand_bedrag"] = 1234.56
    by_team = sim.start(
        KEY, "HK-TERUG-1", data, parties={"sdv": SDV_TEAM}, municipality=MUNICIPALITY
    )
    assert by_team not in (case, zorg.instance_id)
    task = open_task(db, by_team)
    assert (task.element_id, task.candidate_groups) == ("signaal_beoordelen", [SDV_TEAM])
    assert instance(db, case).status == "completed"  # the closed case stays closed
    record(db, KEY)


def test_inwoner_wil_geen_hulp_geen_dossier_alleen_weigering(db, clock, settings) -> None:
    world = setup(db, settings, clock)
    sim = world.sim

    # Tuesday 12 May: the corporation's and the energy company's signals, one household.
    sim.advance_to(at("2026-05-12T09:00"))
    [huur] = report(world, "beter-wonen", signal("BW-2026-0501", "Huur"))
    [energie] = report(
        world, "energie-nh", signal("EN-2026-0501", "Energie", achterstand_bedrag="312,00")
    )
    case = huur.instance_id
    assert energie.instance_id == case
    # Judge within 5 working days: Wed 13, (Ascension Thu 14, bridge day Fri 15 May),
    # Mon 18, Tue 19, Wed 20, Thu 21 May.
    assert local_iso(open_task(db, case).due_at) == "2026-05-21T23:59:59+02:00"

    sim.advance_to(at("2026-05-13T09:00"))
    sim.complete("signaal_beoordelen", instance_id=case, data={"signaal_status": "Opgepakt"})
    # First attempt within 5 working days: Mon 18, Tue 19, Wed 20, Thu 21, Fri 22 May.
    assert local_iso(open_task(db, case).due_at) == "2026-05-22T23:59:59+02:00"

    # Reached by phone; the resident wants no help.
    sim.advance_to(at("2026-05-13T14:00"))
    sim.complete(
        "contactpoging",
        instance_id=case,
        data=attempt("Telefoon", "2026-05-13", "Middag", True, reactie_inwoner="Wil geen hulp"),
    )

    # Nothing is done with the data and no file is created: only the refusal is kept.
    row = instance(db, case)
    assert row.status == "completed"
    assert row.data == {
        "referentie": "BW-2026-0501",
        "geen_hulp_gewenst": True,
        "eindresultaat": REFUSAL,
    }
    assert not any(value in row.state for value in PERSONAL), "personal data left in the state"
    stored = {s.reference: s.data for s in signals_of(db, case)}
    assert stored == {
        "BW-2026-0501": {"referentie": "BW-2026-0501"},
        "EN-2026-0501": {"referentie": "EN-2026-0501"},
    }
    with db.session() as session:
        events = session.scalars(
            select(InstanceEvent).where(InstanceEvent.instance_id == case)
        ).all()
        erased = [e for e in events if e.kind == "gegevens_gewist"]
        assert len(erased) == 1 and erased[0].element_id == "geen_hulp_einde"
        assert {"naam", "telefoon", "contactpogingen", "achterstand_bedrag"} <= set(
            erased[0].details["gewist"]
        )
        history = repr([e.details for e in events])
        assert not any(value in history for value in PERSONAL)
        assert session.scalars(select(Job).where(Job.instance_id == case)).all() == []
        assert session.scalars(select(Consent).where(Consent.instance_id == case)).all() == []
        assert session.scalars(select(Document).where(Document.instance_id == case)).all() == []
        # No signal of this household keeps anything but the partner's reference.
        assert all(set(s.data) == {"referentie"} for s in session.scalars(select(Signal)).all())

    # The refusal is passed on to the corporation; the team sees no more than that either.
    assert view(db, world.partners["beter-wonen"], case) == {
        "referentie": "BW-2026-0501",
        "geen_hulp_gewenst": True,
    }
    assert view(db, world.sdv, case) == row.data
    result = partner_feedback(world, "beter-wonen", "2026-05")
    assert feedback_rows(result) == [
        {
            "referentie": "BW-2026-0501",
            "periode": "2026-05",
            "geen_hulp_gewenst": True,
            "resultaat": "Niet opgepakt: inwoner wil geen hulp",
        }
    ]
    # The energy company, not a party to the case, learns only the DDAS outcome.
    result = partner_feedback(world, "energie-nh", "2026-05")
    assert feedback_rows(result) == [
        {
            "referentie": "EN-2026-0501",
            "periode": "2026-05",
            "resultaat": "Niet opgepakt: inwoner wil geen hulp",
        }
    ]
    record(db, KEY)


def test_een_weigering_gaat_niet_naar_een_energiebedrijf_dat_meldde(db, clock, settings) -> None:
    """HK "Ad 4": the refusal is "doorgegeven aan de woningbouwvereniging". An energy company
    that reported the household learns the DDAS outcome, not that the resident refused."""
    world = setup(db, settings, clock)
    sim = world.sim
    sim.advance_to(at("2026-05-12T09:00"))
    [energie] = report(world, "energie-nh", signal("EN-2026-0601", "Energie"))
    case = energie.instance_id
    sim.advance_to(at("2026-05-13T09:00"))
    sim.complete("signaal_beoordelen", instance_id=case, data={"signaal_status": "Opgepakt"})
    sim.advance_to(at("2026-05-13T14:00"))
    sim.complete(
        "contactpoging",
        instance_id=case,
        data=attempt("Telefoon", "2026-05-13", "Middag", True, reactie_inwoner="Wil geen hulp"),
    )
    assert instance(db, case).data["geen_hulp_gewenst"] is True
    assert view(db, world.partners["energie-nh"], case) == {"referentie": "EN-2026-0601"}
    assert feedback_rows(partner_feedback(world, "energie-nh", "2026-05")) == [
        {
            "referentie": "EN-2026-0601",
            "periode": "2026-05",
            "resultaat": "Niet opgepakt: inwoner wil geen hulp",
        }
    ]
    record(db, KEY)


def test_toestemming_bij_huisbezoek_start_reguliere_schulddienstverlening(
    db, clock, settings
) -> None:
    world = setup(db, settings, clock)
    sim = world.sim

    # Thursday 23 April: the health insurer reports arrears.
    sim.advance_to(at("2026-04-23T09:00"))
    [zorg] = report(world, "zorgverzekeraar-nh", signal("ZV-2026-0401", "Zorg"))
    case = zorg.instance_id
    # Judge within 5 working days: Fri 24, (King's Day Mon 27), Tue 28, Wed 29, Thu 30 Apr,
    # Fri 1 May.
    assert local_iso(open_task(db, case).due_at) == "2026-05-01T23:59:59+02:00"

    sim.advance_to(at("2026-04-24T09:00"))
    sim.complete("signaal_beoordelen", instance_id=case, data={"signaal_status": "Opgepakt"})
    # First attempt: (27 Apr) Tue 28, Wed 29, Thu 30, Fri 1 May, Mon 4 May.
    assert local_iso(open_task(db, case).due_at) == "2026-05-04T23:59:59+02:00"

    # Home visit, Tuesday 28 April: the resident opens and wants a personal conversation.
    sim.advance_to(at("2026-04-28T10:00"))
    sim.complete(
        "contactpoging",
        instance_id=case,
        data=attempt(
            "Huisbezoek",
            "2026-04-28",
            "Ochtend",
            True,
            reactie_inwoner="Wil een persoonlijk gesprek",
        ),
    )
    task = open_task(db, case)
    assert (task.element_id, task.candidate_groups) == ("persoonlijk_gesprek", [SDV_TEAM])
    # 10 working days: Wed 29, Thu 30 Apr, Fri 1, Mon 4, (Tue 5 May) Wed 6, Thu 7, Fri 8,
    # Mon 11, Tue 12, Wed 13 May.
    assert local_iso(task.due_at) == "2026-05-13T23:59:59+02:00"
    assert instance(db, case).phase == "gesprek"

    # The resident signs the consent form; the scan is the evidence.
    with db.transaction() as session:
        document = Document(
            instance_id=case,
            name="toestemmingsformulier.pdf",
            content_type="application/pdf",
            size=48_213,
            sha256="ab" * 32,
            category="toestemming",
            uploaded_by="user:mira",
            uploaded_at=clock.now(),
        )
        session.add(document)
        session.flush()
        document_id = document.id
    sim.complete(
        "persoonlijk_gesprek",
        instance_id=case,
        data={
            "gesprek_datum": "2026-04-28",
            "toestemming_hulp": True,
            "bewijs_toestemming_hulp": str(document_id),
            "andere_hulp_nodig": False,
        },
    )
    with db.session() as session:
        given = session.scalars(select(Consent).where(Consent.instance_id == case)).one()
    assert (given.scope, given.given, given.channel) == ("hulpverlening", True, "schriftelijk")
    assert given.evidence_document_id == document_id

    # Hand-over to the regular debt assistance within 5 working days:
    # Wed 29, Thu 30 Apr, Fri 1, Mon 4, (Tue 5 May) Wed 6 May.
    task = open_task(db, case)
    assert (task.element_id, task.candidate_groups) == ("aanmelden_regulier", [SDV_TEAM])
    assert local_iso(task.due_at) == "2026-05-06T23:59:59+02:00"
    assert instance(db, case).phase == "overdracht"
    # The insurer still sees only its reference; the team sees the consent and the attempts.
    assert view(db, world.partners["zorgverzekeraar-nh"], case) == {"referentie": "ZV-2026-0401"}
    seen = view(db, world.sdv, case)
    assert seen["toestemming_hulp"] is True
    assert seen["bewijs_toestemming_hulp"] == str(document_id)
    assert seen["contactpogingen"][0]["soort"] == "Huisbezoek"

    sim.advance_to(at("2026-05-04T10:00"))
    sim.complete(
        "aanmelden_regulier",
        instance_id=case,
        data={"aanmelddatum_regulier": "2026-05-04", "kenmerk_regulier": "SDV-2026-0117"},
    )
    row = instance(db, case)
    assert row.status == "completed"
    assert row.data["eindresultaat"] == "Vervolghulp en/of verwijzing financieel"
    assert row.data["naam"] == "J. de Boer"  # a file exists now, with consent
    # (and the personal values the refusal tests look for are really in a kept state)
    assert all(value in row.state for value in PERSONAL)
    assert view(db, world.sdv, case)["kenmerk_regulier"] == "SDV-2026-0117"
    assert view(db, world.partners["zorgverzekeraar-nh"], case) == {"referentie": "ZV-2026-0401"}
    assert feedback_rows(partner_feedback(world, "zorgverzekeraar-nh", "2026-04")) == [
        {"referentie": "ZV-2026-0401", "periode": "2026-04", "resultaat": "Opgepakt"}
    ]
    record(db, KEY)


def test_geen_toestemming_bij_huisbezoek_en_ingetrokken_toestemming(db, clock, settings) -> None:
    world = setup(db, settings, clock)
    sim = world.sim

    # Monday 2 March 09:00 (the clock fixture): two households, two corporations. A told
    # Wooncompagnie after the WIK letter that the data may not go to the wijkteam ("Ad 3"):
    # Team Schulddienstverlening makes A's visit; B's visit is the wijkteam's.
    [a] = report(world, "wooncompagnie", signal("WC-2026-0302", "Huur", bezwaar_wik_brief=True))
    [b] = report(
        world,
        "beter-wonen",
        signal("BW-2026-0302", "Huur", straat="Middenweg", huisnummer="3", toevoeging=None),
    )
    assert a.instance_id != b.instance_id
    # Judge within 5 working days: Tue 3, Wed 4, Thu 5, Fri 6, Mon 9 March.
    assert local_iso(open_task(db, a.instance_id).due_at) == "2026-03-09T23:59:59+01:00"
    for case in (a.instance_id, b.instance_id):
        sim.complete("signaal_beoordelen", instance_id=case, data={"signaal_status": "Opgepakt"})

    # A: reached at a home visit, but at the conversation the resident does not sign and
    # wants no help ("Ook bij het huisbezoek kan de huurder aangeven geen contact te willen").
    sim.advance_to(at("2026-03-03T10:00"))
    sim.complete(
        "contactpoging",
        instance_id=a.instance_id,
        data=attempt(
            "Huisbezoek",
            "2026-03-03",
            "Ochtend",
            True,
            reactie_inwoner="Wil een persoonlijk gesprek",
        ),
    )
    # 10 working days after Tue 3 March: Wed 4 ... Tue 17 March.
    assert local_iso(open_task(db, a.instance_id).due_at) == "2026-03-17T23:59:59+01:00"
    sim.complete(
        "persoonlijk_gesprek",
        instance_id=a.instance_id,
        data={"gesprek_datum": "2026-03-03", "toestemming_hulp": False},
    )
    row = instance(db, a.instance_id)
    assert row.status == "completed"
    assert row.data == {
        "referentie": "WC-2026-0302",
        "geen_hulp_gewenst": True,
        "eindresultaat": REFUSAL,
    }
    assert not any(value in row.state for value in PERSONAL)
    assert [s.data for s in signals_of(db, a.instance_id)] == [{"referentie": "WC-2026-0302"}]
    with db.session() as session:
        refused = session.scalars(select(Consent).where(Consent.instance_id == a.instance_id)).one()
    assert (refused.given, refused.channel) == (False, "mondeling")
    assert view(db, world.partners["wooncompagnie"], a.instance_id) == {
        "referentie": "WC-2026-0302",
        "geen_hulp_gewenst": True,
    }

    # B: reached by phone, signs at the visit (paper form, reference only), then withdraws
    # consent before the hand-over: no help wanted after all, so no file either.
    sim.complete(
        "contactpoging",
        instance_id=b.instance_id,
        data=attempt(
            "Telefoon",
            "2026-03-03",
            "Middag",
            True,
            reactie_inwoner="Wil een persoonlijk gesprek",
        ),
    )
    sim.advance_to(at("2026-03-05T10:00"))
    sim.complete(
        "huisbezoek_wijkteam",
        instance_id=b.instance_id,
        data={
            "gesprek_datum": "2026-03-05",
            "toestemming_hulp": True,
            "bewijs_toestemming_hulp": "TF-2026-0007",
            "andere_hulp_nodig": False,
        },
    )
    assert open_elements(db, b.instance_id) == ["aanmelden_regulier"]
    sim.advance_to(at("2026-03-06T09:00"))
    with db.transaction() as session:
        consent.withdraw(
            session,
            b.instance_id,
            "hulpverlening",
            withdrawn_by="bewoner",
            channel="schriftelijk",
        )
    sim.settle()
    row = instance(db, b.instance_id)
    assert row.status == "completed" and open_elements(db, b.instance_id) == []
    assert row.data == {
        "referentie": "BW-2026-0302",
        "geen_hulp_gewenst": True,
        "eindresultaat": REFUSAL,
    }
    assert "TF-2026-0007" not in row.state and "Middenweg" not in row.state
    assert [s.data for s in signals_of(db, b.instance_id)] == [{"referentie": "BW-2026-0302"}]
    assert feedback_rows(partner_feedback(world, "beter-wonen", "2026-03")) == [
        {
            "referentie": "BW-2026-0302",
            "periode": "2026-03",
            "geen_hulp_gewenst": True,
            "resultaat": "Niet opgepakt: inwoner wil geen hulp",
        }
    ]
    record(db, KEY)


def test_niet_opgepakt_partner_leert_alleen_de_uitkomst(db, clock, settings) -> None:
    world = setup(db, settings, clock)
    sim = world.sim

    # Monday 2 March: the energy company and the water company, two households.
    [energie] = report(world, "energie-nh", signal("EN-2026-0302", "Energie"))
    [water] = report(
        world,
        "waterbedrijf-nh",
        signal("WB-2026-0302", "Water", straat="Zuiderweg", huisnummer="40", toevoeging=None),
    )
    sim.advance_to(at("2026-03-03T09:00"))
    sim.complete(
        "signaal_beoordelen",
        instance_id=energie.instance_id,
        data={
            "signaal_status": "Niet opgepakt: andere reden",
            "reden_niet_opgepakt": "Inwoner is verhuisd naar Den Helder",
        },
    )
    sim.complete(
        "signaal_beoordelen",
        instance_id=water.instance_id,
        data={"signaal_status": "Inwoner al bekend bij schuldhulpverlening"},
    )
    row = instance(db, energie.instance_id)
    assert row.status == "completed"
    assert row.data["eindresultaat"] == "Niet opgepakt: andere reden"
    assert view(db, world.sdv, energie.instance_id)["reden_niet_opgepakt"].endswith("Den Helder")
    assert view(db, world.partners["energie-nh"], energie.instance_id) == {
        "referentie": "EN-2026-0302"
    }

    # "Niet opgepakt: andere reden": the partner learns only that, never the reason.
    result = partner_feedback(world, "energie-nh", "2026-03")
    assert result.columns == ["referentie", "periode", "resultaat"]
    assert feedback_rows(result) == [
        {
            "referentie": "EN-2026-0302",
            "periode": "2026-03",
            "resultaat": "Niet opgepakt: andere reden",
        }
    ]
    assert "Den Helder" not in repr((result.rows, result.labels))
    # Already known to debt assistance: the water company learns only "picked up".
    assert instance(db, water.instance_id).data["eindresultaat"] == (
        "Inwoner al bekend bij schuldhulpverlening"
    )
    assert feedback_rows(partner_feedback(world, "waterbedrijf-nh", "2026-03")) == [
        {"referentie": "WB-2026-0302", "periode": "2026-03", "resultaat": "Opgepakt"}
    ]
    record(db, KEY)


def test_termijnen_en_aantal_pogingen_zijn_instellingen_van_de_gemeente(
    db, clock, settings
) -> None:
    world = setup(db, settings, clock)
    sim = world.sim
    catalogue = load_catalogue(ROOT / "bpmn" / f"{KEY}.catalogus.yaml")
    assert catalogue.settings["max_contactpogingen"]["waarde"] == 3
    with db.transaction() as session:
        for name, value in (
            ("max_contactpogingen", 2),
            ("werkdagen_tussen_pogingen", 2),
            ("beoordelen_werkdagen", 3),
        ):
            process_settings.set_value(
                session, catalogue, KEY, MUNICIPALITY, name, value, "procesbeheer"
            )

    # Monday 2 March: judge within 3 working days: Tue 3, Wed 4, Thu 5 March.
    [huur] = report(world, "wooncompagnie", signal("WC-2026-0303", "Huur"))
    case = huur.instance_id
    assert local_iso(open_task(db, case).due_at) == "2026-03-05T23:59:59+01:00"
    sim.complete("signaal_beoordelen", instance_id=case, data={"signaal_status": "Opgepakt"})
    # A letter on Monday 2 March; the next attempt 2 working days later: Wed 4 March, 00:00.
    sim.complete(
        "contactpoging", instance_id=case, data=attempt("Brief", "2026-03-02", "Ochtend", False)
    )
    assert local_iso(waiting_timer(db, case).due_at) == "2026-03-04T00:00:00+01:00"
    sim.advance_to(at("2026-03-04T09:00"))
    # The second of two attempts fails: definitively no contact.
    sim.complete(
        "contactpoging", instance_id=case, data=attempt("Telefoon", "2026-03-04", "Ochtend", False)
    )
    row = instance(db, case)
    assert row.status == "completed"
    assert row.data["aantal_pogingen"] == 2
    assert row.data["eindresultaat"] == "Definitief geen contact kunnen krijgen"
    record(db, KEY)


def test_twintig_pogingen_blijven_binnen_de_lusgrens(db, clock, settings) -> None:
    """The attempt loop adds six tasks per round to the task tree; the engine stalls a loop
    after about 1000 tasks deep (round 167 here). The setting's description caps it at 20:
    prove that a municipality setting of 20 attempts still runs to its end."""
    world = setup(db, settings, clock)
    sim = world.sim
    catalogue = load_catalogue(ROOT / "bpmn" / f"{KEY}.catalogus.yaml")
    with db.transaction() as session:
        process_settings.set_value(
            session, catalogue, KEY, MUNICIPALITY, "max_contactpogingen", 20, "procesbeheer"
        )
        process_settings.set_value(
            session, catalogue, KEY, MUNICIPALITY, "werkdagen_tussen_pogingen", 1, "procesbeheer"
        )
    [huur] = report(world, "wooncompagnie", signal("WC-2026-0304", "Huur"))
    case = huur.instance_id
    sim.complete("signaal_beoordelen", instance_id=case, data={"signaal_status": "Opgepakt"})
    for _ in range(20):
        day = local_iso(clock.now())[:10]
        sim.complete(
            "contactpoging", instance_id=case, data=attempt("Brief", day, "Ochtend", False)
        )
        if instance(db, case).status != "completed":
            # the next attempt: 00:00 of the next working day
            sim.advance_to(waiting_timer(db, case).due_at)
    row = instance(db, case)
    assert row.status == "completed"
    assert row.data["aantal_pogingen"] == 20 and len(row.data["contactpogingen"]) == 20
    assert row.data["eindresultaat"] == "Definitief geen contact kunnen krijgen"
    record(db, KEY)


def test_wijkteam_huisbezoek_bij_huurachterstand_en_andere_hulp(db, clock, settings) -> None:
    """HK "Afspraak met woningbouwverenigingen": "De woningbouwverenigingen geven direct
    huurachterstanden door aan het wijkteam van de gemeente. Het wijkteam neemt dan contact op
    met inwoners om hulp aan te bieden bij het oplossen van deze achterstanden. Als het nodig
    is, zal het wijkteam ook andere hulpverlening aanbieden." and punt 4: "Uw toestemming wordt
    gevraagd door ondertekening van het toestemmingsformulier als het wijkteam van de gemeente
    bij u op huisbezoek komt voor een persoonlijk gesprek." A corporation's rent signal: the
    wijkteam makes the visit and, with the signed form, offers other help besides the regular
    debt assistance. It reads nothing of the case before its visit, nor of a water signal."""
    world = setup(db, settings, clock)
    sim = world.sim
    wijkteam = user(db, "sara", WIJKTEAM)
    [huur] = report(world, "wooncompagnie", signal("WC-2026-0310", "Huur"))
    [water] = report(
        world,
        "waterbedrijf-nh",
        signal("WN-2026-0310", "Water", straat="Dijkweg", huisnummer="8", toevoeging=None),
    )
    case = huur.instance_id
    sim.advance_to(at("2026-03-03T10:00"))  # the attempt is recorded on the day it was made
    for each in (case, water.instance_id):
        sim.complete("signaal_beoordelen", instance_id=each, data={"signaal_status": "Opgepakt"})
        sim.complete(
            "contactpoging",
            instance_id=each,
            data=attempt(
                "Telefoon",
                "2026-03-03",
                "Ochtend",
                True,
                reactie_inwoner="Wil een persoonlijk gesprek",
            ),
        )
    assert view(db, wijkteam, water.instance_id) == {}
    assert open_task(db, water.instance_id).element_id == "persoonlijk_gesprek"

    task = open_task(db, case)
    assert (task.element_id, task.candidate_groups) == ("huisbezoek_wijkteam", [WIJKTEAM])
    assert instance(db, case).phase == "gesprek_wijkteam"
    seen = view(db, wijkteam, case)
    assert seen["naam"] == "J. de Boer" and seen["soort_vaste_lasten"] == "Huur"
    assert "bezwaar_wik_brief" not in seen
    sim.advance_to(at("2026-03-05T10:00"))
    sim.complete(
        "huisbezoek_wijkteam",
        instance_id=case,
        data={
            "gesprek_datum": "2026-03-05",
            "toestemming_hulp": True,
            "bewijs_toestemming_hulp": "TF-2026-0031",
            "andere_hulp_nodig": True,
            "andere_hulp_vraag": "Hulp bij de post en opvoedondersteuning",
        },
    )
    # The regular debt assistance is Team Schulddienstverlening's; the wijkteam does not
    # read the hand-over.
    task = open_task(db, case)
    assert (task.element_id, task.candidate_groups) == ("aanmelden_regulier", [SDV_TEAM])
    assert view(db, wijkteam, case) == {}
    sim.complete(
        "aanmelden_regulier",
        instance_id=case,
        data={"aanmelddatum_regulier": "2026-03-05", "kenmerk_regulier": "SDV-2026-0120"},
    )
    task = open_task(db, case)
    assert (task.element_id, task.candidate_groups) == ("andere_hulp_aanbieden", [WIJKTEAM])
    # Thu 5 March (the clock) + 10 working days = Thu 19 March.
    assert local_iso(task.due_at) == "2026-03-19T23:59:59+01:00"
    seen = view(db, wijkteam, case)
    assert seen["andere_hulp_vraag"] == "Hulp bij de post en opvoedondersteuning"
    assert "kenmerk_regulier" not in seen
    sim.advance_to(at("2026-03-09T10:00"))  # the other help is offered the next Monday
    sim.complete(
        "andere_hulp_aanbieden",
        instance_id=case,
        data={"andere_hulp_aangeboden": "Opvoedondersteuning", "andere_hulp_datum": "2026-03-09"},
    )
    row = instance(db, case)
    assert row.status == "completed"
    assert row.data["eindresultaat"] == "Vervolghulp en/of verwijzing financieel"
    assert view(db, world.sdv, case)["andere_hulp_aangeboden"] == "Opvoedondersteuning"
    assert view(db, world.partners["wooncompagnie"], case) == {"referentie": "WC-2026-0310"}
    record(db, KEY)
