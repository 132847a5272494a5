"""Scenario tests of Vroegsignalering huurschulden Weert (bpmn/weert_vroegsignalering.bpmn).

Every path of the stroomschema on the virtual clock (Europe/Amsterdam, 2026), with the real
intake, the real handlers on the embedded test registers, tasks completed through the task
service as the party's own workers, and what each party reads through the access layer.

Working days follow the Atw: Good Friday 3 April, Easter Monday 6 April, King's Day 27 April,
5 May, Ascension 14 May, the bridge day Friday 15 May and Whit Monday 25 May 2026 are no
working days.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pytest
from sqlalchemy import select

from app.cases.settings import set_value
from app.clock import AMSTERDAM
from app.engine.errors import InvalidInput as InvalidInputError
from app.engine.errors import NotFound
from app.engine.models import InstanceEvent
from app.engine.runtime import version_catalogue
from app.intake.models import IntakeRoute
from app.privacy import context, logs
from app.processes.weert import service as weert
from app.registers.errors import InvalidInput
from app.tasks import service as tasks
from handlers import HandlerContext
from handlers.weert_brieven import vooraankondiging
from handlers.weert_brp import bsn_zoeken
from tests.processes import weert_vroegsignalering_support as s
from tests.support.coverage import record

pytestmark = pytest.mark.process("weert_vroegsignalering")

KEY = s.KEY
ADMIN, SDV, PARTICIPATIE, AMW = (
    "weert-administratie",
    "weert-sdv",
    "weert-participatie",
    "amw-midden-limburg",
)
# What the corporation reads of its own case: its signal (art. 12.2) and the moment and
# month of its overview; after the return overview also the option of stap 4.
# The corporation also reads back whether it passed on the tenant's objection (art. 10.3).
CORPORATION_READS = s.ART_12_2 | {"melddatum", "melder", "overzichtsmaand", "bezwaar_melding"}
RETURNED = {"teruggekoppelde_optie", "retouroverzicht_verzonden_op"}
AMW_OWN = {"amw_contact_gelegd", "amw_contactpogingen", "amw_contact_datum"}


def at(*args: int) -> datetime:
    return datetime(*args, tzinfo=AMSTERDAM)  # type: ignore[misc]


def complete(w: s.Weert, key: str, element: str, org_key: str, data: dict[str, Any]) -> None:
    """Complete the case's open task as a worker of `org_key`, through the task service (which
    refuses tasks of other teams and fields the party may not record in this phase)."""
    found = s.task(w, key, element)
    context.begin("test", deferred=True)
    try:
        with w.db.transaction() as session:
            tasks.complete(w.db, session, w.people[org_key], found.id, data, w.settings.secret_key)
        logs.flush(w.db)
    finally:
        context.end()
    w.sim.settle()


def ended_at(w: s.Weert, key: str) -> list[str]:
    from app.simulation.coverage import ended_at as ends

    with w.db.session() as session:
        return ends(session, w.sim.instance(key))


def history(w: s.Weert, key: str, kind: str) -> list[InstanceEvent]:
    with w.db.session() as session:
        rows = session.scalars(
            select(InstanceEvent)
            .where(InstanceEvent.instance_id == w.sim.instance(key).id, InstanceEvent.kind == kind)
            .order_by(InstanceEvent.id)
        ).all()
        session.expunge_all()
        return list(rows)


def overview(w: s.Weert, corporation: str, period: str) -> weert.ReturnOverview:
    with w.db.session() as session:
        return weert.return_overview(
            w.db, session, w.people[ADMIN], corporation, period, w.settings.secret_key
        )


def send(w: s.Weert, corporation: str, period: str) -> weert.ReturnOverview:
    sent = weert.send_return_overview(
        w.db, w.people[ADMIN], corporation, period, w.settings.secret_key
    )
    w.sim.settle()
    return sent


# -- step 2 to 5 for tenants without a benefit: AMW ---------------------------------------------


def test_maandoverzicht_van_de_30e_naar_amw_en_niet_uitnodigen(db, clock, settings) -> None:
    w = s.set_up(db, settings, clock)
    # Monday 30 March 2026: both corporations send their overview of the 30th.
    w.sim.advance_to(at(2026, 3, 30, 10, 0))
    jansen, el_amrani, de_boer, vermeulen, de_groot = s.send_overview(
        w,
        "wonen-limburg",
        [
            s.signal("jansen", "WL-2026-03-0001"),
            s.signal("el_amrani", "WL-2026-03-0002"),
            s.signal("de_boer", "WL-2026-03-0003"),
            s.signal("vermeulen", "WL-2026-03-0004"),
            s.signal("de_groot", "WL-2026-03-0005"),
        ],
    )
    (mulder,) = s.send_overview(w, "st-joseph", [s.signal("mulder", "SJ-2026-03-0001")])
    cases = [jansen, el_amrani, de_boer, vermeulen, de_groot, mulder]

    # Step 3: found in the BRP on address and birth date, enriched from the four registers.
    for key, tenant in zip(
        cases, ["jansen", "el_amrani", "de_boer", "vermeulen", "de_groot", "mulder"], strict=True
    ):
        data = s.case(w, key).data
        assert data["bsn"] == s.BSN[tenant] and data["bsn_gevonden"] is True
        assert data["overzichtsmaand"] == "2026-03"
        # Before the 10th of April (a Friday): the last working day before, Thursday 9 April.
        assert data["terugkoppeling_uiterlijk"] == "2026-04-09T23:59:59+02:00"
        # The 11th is a Saturday: AMW's list comes on Monday 13 April.
        assert data["amw_lijst_op"] == "2026-04-13T00:00:00+02:00"
    jansen_data = s.case(w, jansen).data
    assert jansen_data["huishouden"] == "met partner en kinderen"
    assert jansen_data["minderjarigen"] == 2 and jansen_data["heeft_uitkering"] is False
    assert jansen_data["leefsituatie"] == "met partner en kinderen, 2 minderjarige kinderen"
    assert jansen_data["voorgestelde_optie"] == "amw" and jansen_data["voorrang_minderjarigen"]
    amrani = s.case(w, el_amrani).data
    assert amrani["schuldgebieden"] == ["energie", "huur", "water"]
    assert s.case(w, de_boer).data["leefsituatie"] == "overig, 1 minderjarig kind"
    groot = s.case(w, de_groot).data
    assert groot["lopend_traject"] is True and groot["voorgestelde_optie"] == "niet"
    assert groot["reden_niet_benaderd"] == "lopend_traject_sdv"
    # Stratech names creditors (here the CJIB); AMW would only ever see debt areas.
    assert groot["andere_schulden"] == ["Belastingdienst", "CJIB", "DUO"]
    assert groot["schuldgebieden"] == ["huur", "overheid", "water"]
    assert s.case(w, mulder).data["regeling"] == "IOAW"  # not a P-wet benefit
    assert s.case(w, mulder).data["voorgestelde_optie"] == "amw"

    # The municipal worker gets the analysis, due with the return overview; families with
    # minor children first (art. 4.1).
    for key, priority in [
        (jansen, 80),
        (el_amrani, 50),
        (de_boer, 80),
        (vermeulen, 50),
        (de_groot, 50),
        (mulder, 50),
    ]:
        found = s.task(w, key, "analyse_selectie")
        assert found.candidate_groups == [SDV]
        assert s.local(found.due_at) == "2026-04-09T23:59:59+02:00"
        assert found.priority == priority
        assert s.local(found.created_at) == "2026-03-30T10:00:00+02:00"

    # Art. 12.2: the corporation reads back only what it sent; AMW and participatie nothing
    # yet; the other corporation does not know the case exists.
    assert set(s.sees(w, "wonen-limburg", jansen)) == CORPORATION_READS
    assert s.sees(w, AMW, jansen) == {} and s.sees(w, PARTICIPATIE, jansen) == {}
    with pytest.raises(NotFound):
        s.sees(w, "st-joseph", jansen)
    sdv_view = s.sees(w, SDV, jansen)
    assert {
        "bsn",
        "heeft_uitkering",
        "lopend_traject",
        "andere_schulden",
        "achterstanden",
        "voorgestelde_optie",
        "toelichting_voorstel",
        "leefsituatie",
    } <= set(sdv_view)

    # Selection (bijlage 1 verrijking 6): only the SDV's team gets the task, and it records
    # only the selection's fields.
    with pytest.raises(NotFound):
        complete(w, jansen, "analyse_selectie", AMW, {"optie": "amw"})
    with pytest.raises(InvalidInputError) as refused:
        complete(w, jansen, "analyse_selectie", SDV, {"optie": "amw", "bsn": "999990019"})
    assert refused.value.fields == {"bsn": ["dit veld bestaat niet in het formulier"]}
    for key in (jansen, el_amrani, de_boer, vermeulen, mulder):
        complete(w, key, "analyse_selectie", SDV, {"optie": "amw"})
    complete(
        w,
        de_groot,
        "analyse_selectie",
        SDV,
        {"optie": "niet", "reden_niet_benaderd": "lopend_traject_sdv"},
    )

    # The letter announcing AMW (art. 10.4) is made for the AMW tenants only.
    letter = s.case(w, jansen).data
    assert letter["vooraankondiging_kenmerk"].startswith("WRT-VA-2026-03-")
    assert letter["vooraankondiging_datum"] == "2026-03-30"
    assert "P.J. Jansen" in letter["vooraankondiging_tekst"]
    assert "vanaf 13 april 2026" in letter["vooraankondiging_tekst"]
    assert "bezwaar" in letter["vooraankondiging_tekst"]
    assert "vooraankondiging_kenmerk" not in s.case(w, de_groot).data

    # Step 4: the return overview per corporation, one option per tenant; not yet sent.
    wl = overview(w, "wonen-limburg", "2026-03")
    assert [r.fields["referentie"] for r in wl.rows] == [f"WL-2026-03-000{n}" for n in range(1, 6)]
    assert [r.optie for r in wl.rows] == ["Huurder wordt uitgenodigd door AMW"] * 4 + [
        "Huurder wordt niet uitgenodigd"
    ]
    assert wl.pending == 0 and not wl.late and wl.deadline == at(2026, 4, 9, 23, 59, 59)
    assert [r.fields["referentie"] for r in overview(w, "st-joseph", "2026-03").rows] == [
        "SJ-2026-03-0001"
    ]
    assert "teruggekoppelde_optie" not in s.sees(w, "wonen-limburg", jansen)

    # Wednesday 8 April: sent in time.
    w.sim.advance_to(at(2026, 4, 8, 10, 0))
    sent = send(w, "wonen-limburg", "2026-03")
    assert len(sent.rows) == 5 and not sent.late
    assert sent.lines()[1] == (
        "WL-2026-03-0001\tP.J. Jansen\tFluitekruidlaan 12, 9999 XA\t"
        "Huurder wordt uitgenodigd door AMW"
    )
    assert set(s.sees(w, "wonen-limburg", jansen)) == CORPORATION_READS | RETURNED
    assert s.sees(w, "wonen-limburg", jansen)["teruggekoppelde_optie"] == (
        "Huurder wordt uitgenodigd door AMW"
    )
    assert s.sees(w, "wonen-limburg", de_groot)["teruggekoppelde_optie"] == (
        "Huurder wordt niet uitgenodigd"
    )
    # Not invited: step 5, fourth possibility, recorded as such.
    assert ended_at(w, de_groot) == ["einde_niet_benaderd"]
    groot = s.case(w, de_groot).data
    assert groot["uitkomst"] == "niet_benaderd"
    assert groot["eindresultaat"] == "Inwoner heeft al een ander lopend traject"
    w.sim.advance_to(at(2026, 4, 9, 16, 0))
    assert not send(w, "st-joseph", "2026-03").late

    # Until AMW's list the tenants may object (art. 10.4); AMW sees nothing of them yet.
    assert s.case(w, jansen).phase == "vooraankondiging"
    assert s.sees(w, AMW, jansen) == {}
    w.sim.advance_to(at(2026, 4, 10, 11, 0))
    weert.record_objection(w.db, w.people[ADMIN], vermeulen)
    w.sim.settle()
    assert ended_at(w, vermeulen) == ["einde_niet_benaderd"]
    data = s.case(w, vermeulen).data
    assert data["reden_niet_benaderd"] == "bezwaar_amw"
    assert data["eindresultaat"] == (
        "Inwoner regelt het zelf/hoeft geen hulp vanuit vroegsignalering"
    )
    assert s.sees(w, AMW, vermeulen) == {}

    # AMW's list on the 11th (Saturday) is there on Monday 13 April, 00:00.
    w.sim.advance_to(at(2026, 4, 12, 23, 0))
    assert [t.element_id for t in s.open_tasks(w, jansen)] == []
    w.sim.advance_to(at(2026, 4, 13, 8, 30))
    for key, priority in [(jansen, 80), (el_amrani, 50), (de_boer, 80), (mulder, 50)]:
        found = s.task(w, key, "amw_contact_opnemen")
        assert found.candidate_groups == [AMW] and found.priority == priority
        assert s.local(found.created_at) == "2026-04-13T00:00:00+02:00"
        # 10 working days from Monday 13 April; King's Day (27 April) does not count.
        assert s.local(found.due_at) == "2026-04-28T23:59:59+02:00"
        # Art. 12.3, exactly: name, birth date, address, phone, leefsituatie, schuldgebieden.
        assert set(s.sees(w, AMW, key)) == s.ART_12_3
    assert s.sees(w, AMW, jansen)["leefsituatie"] == (
        "met partner en kinderen, 2 minderjarige kinderen"
    )
    with w.db.session() as session:
        amw_list = weert.amw_list(w.db, session, w.people[AMW], w.settings.secret_key)
    # Families with minor children first (art. 4.1), then in order of arrival.
    assert [r.business_key for r in amw_list] == [jansen, de_boer, el_amrani, mulder]
    assert [r.voorrang for r in amw_list] == [True, True, False, False]
    assert all(set(r.fields) == s.ART_12_3 for r in amw_list)

    # Step 5 with AMW. Wednesday 15 April: contact with Jansen and De Boer, not with
    # El Amrani.
    w.sim.advance_to(at(2026, 4, 15, 10, 0))
    complete(
        w,
        jansen,
        "amw_contact_opnemen",
        AMW,
        {"amw_contact_gelegd": True, "amw_contactpogingen": 1, "amw_contact_datum": "2026-04-15"},
    )
    found = s.task(w, jansen, "psychosociale_situatie")
    assert found.candidate_groups == [AMW]
    # 20 working days from 15 April: King's Day, 5 May, Ascension (14 May) and the bridge
    # day (15 May) do not count.
    assert s.local(found.due_at) == "2026-05-19T23:59:59+02:00"
    # AMW now reads its own recordings too, still nothing else of the municipality's.
    assert set(s.sees(w, AMW, jansen)) == s.ART_12_3 | AMW_OWN
    complete(
        w,
        el_amrani,
        "amw_contact_opnemen",
        AMW,
        {"amw_contact_gelegd": False, "amw_contactpogingen": 3},
    )
    assert ended_at(w, el_amrani) == ["einde_niet_benaderd"]
    amrani = s.case(w, el_amrani).data
    assert amrani["reden_niet_benaderd"] == "geen_contact_amw"
    assert amrani["eindresultaat"] == "Definitief geen contact kunnen krijgen"
    complete(
        w,
        de_boer,
        "amw_contact_opnemen",
        AMW,
        {"amw_contact_gelegd": True, "amw_contactpogingen": 2, "amw_contact_datum": "2026-04-15"},
    )
    complete(
        w,
        de_boer,
        "psychosociale_situatie",
        AMW,
        {
            "schuldregeling_nodig": False,
            "psychosociale_begeleiding": True,
            "andere_deskundigen": False,
        },
    )
    assert ended_at(w, de_boer) == ["einde_amw"]
    assert s.case(w, de_boer).data["uitkomst"] == "ondersteuning_amw"

    # Wednesday 22 April: Jansen's debts need a settlement; back to the municipality for a
    # regular registration, within 5 working days (King's Day skipped).
    w.sim.advance_to(at(2026, 4, 22, 14, 0))
    complete(
        w,
        jansen,
        "psychosociale_situatie",
        AMW,
        {
            "schuldregeling_nodig": True,
            "psychosociale_begeleiding": True,
            "andere_deskundigen": False,
        },
    )
    found = s.task(w, jansen, "reguliere_aanmelding_sdv")
    assert found.candidate_groups == [ADMIN]
    assert s.local(found.due_at) == "2026-04-30T23:59:59+02:00"
    assert set(s.sees(w, AMW, jansen)) == s.ART_12_3 | AMW_OWN | {
        "schuldregeling_nodig",
        "psychosociale_begeleiding",
        "andere_deskundigen",
    }
    complete(
        w,
        jansen,
        "reguliere_aanmelding_sdv",
        ADMIN,
        {"sdv_aanmelding_datum": "2026-04-24", "sdv_registratienummer": "SDV-2026-0142"},
    )
    assert ended_at(w, jansen) == ["einde_sdv"]
    data = s.case(w, jansen).data
    assert data["uitkomst"] == "doorverwezen_sdv"
    assert data["eindresultaat"] == "Vervolghulp en/of verwijzing financieel"
    # The corporation never learns more than its signal and the option.
    assert set(s.sees(w, "wonen-limburg", jansen)) == CORPORATION_READS | RETURNED
    record(db, KEY)


# -- step 5 for tenants with a benefit: the municipality ------------------------------------


def test_uitkering_gesprek_en_huur_inhouden(db, clock, settings) -> None:
    w = s.set_up(db, settings, clock)
    # Thursday 30 April 2026.
    w.sim.advance_to(at(2026, 4, 30, 10, 0))
    haddou, tesfamariam = s.send_overview(
        w,
        "wonen-limburg",
        [s.signal("haddou", "WL-2026-04-0001"), s.signal("tesfamariam", "WL-2026-04-0002")],
    )
    for key in (haddou, tesfamariam):
        data = s.case(w, key).data
        assert data["regeling"] == "Pw" and data["voorgestelde_optie"] == "gemeente"
        # The 10th of May is a Sunday: the last working day before is Friday 8 May.
        assert data["terugkoppeling_uiterlijk"] == "2026-05-08T23:59:59+02:00"
        assert data["amw_lijst_op"] == "2026-05-11T00:00:00+02:00"
        assert s.task(w, key, "analyse_selectie").priority == 80  # minor children
        complete(w, key, "analyse_selectie", SDV, {"optie": "gemeente"})
        assert "vooraankondiging_kenmerk" not in s.case(w, key).data
    assert s.case(w, tesfamariam).data["leefsituatie"] == (
        "met partner en kinderen, 3 minderjarige kinderen"
    )
    assert s.sees(w, PARTICIPATIE, haddou) == {}

    # Thursday 7 May: the return overview; then at once the conversation with both
    # regisseurs and, in parallel, the tenant's authorisation to withhold rent from the
    # benefit (art. 10.5), an activity of debt services (bijlage 1, SDV 1).
    w.sim.advance_to(at(2026, 5, 7, 14, 0))
    sent = send(w, "wonen-limburg", "2026-04")
    assert [r.optie for r in sent.rows] == ["Huurder wordt uitgenodigd door gemeente Weert"] * 2
    for key in (haddou, tesfamariam):
        talk = s.task(w, key, "gesprek_voeren")
        rent = s.task(w, key, "machtiging_vragen")
        assert talk.candidate_groups == [SDV, PARTICIPATIE] and rent.candidate_groups == [SDV]
        # 10 working days from 7 May: Ascension (14 May), the bridge day (15 May) and Whit
        # Monday (25 May) do not count.
        assert s.local(talk.due_at) == "2026-05-26T23:59:59+02:00"
        assert s.local(rent.due_at) == "2026-05-26T23:59:59+02:00"
        assert talk.priority == rent.priority == 80
    # Participatie now sees what it needs for the benefit, not the debts; AMW nothing.
    seen = s.sees(w, PARTICIPATIE, haddou)
    assert {
        "bsn",
        "regeling",
        "heeft_uitkering",
        "maanden_achterstand",
        "achternaam",
        "leefsituatie",
        "voorrang_minderjarigen",
    } <= set(seen)
    assert not {
        "andere_schulden",
        "achterstanden",
        "lopend_traject",
        "referentie",
        "toelichting_voorstel",
    } & set(seen)
    assert s.sees(w, AMW, haddou) == {}
    assert s.sees(w, "wonen-limburg", haddou)["teruggekoppelde_optie"] == (
        "Huurder wordt uitgenodigd door gemeente Weert"
    )

    w.sim.advance_to(at(2026, 5, 12, 10, 0))
    complete(
        w,
        haddou,
        "machtiging_vragen",
        SDV,
        {"machtiging_inhouding": True, "bewijs_machtiging_inhouding": "MA-2026-0042"},
    )
    assert s.task(w, haddou, "huur_inhouden").candidate_groups == [SDV]
    complete(
        w,
        haddou,
        "huur_inhouden",
        SDV,
        {"huur_inhouding_gestart": True, "inhouding_ingangsdatum": "2026-06-01"},
    )
    complete(
        w,
        haddou,
        "gesprek_voeren",
        SDV,
        {
            "gesprek_gevoerd": True,
            "gesprek_datum": "2026-05-12",
            "zrm_afgenomen": True,
            "vervolg_sdv": "regulier_sdv",
        },
    )
    assert ended_at(w, haddou) == ["einde_gemeente"]
    data = s.case(w, haddou).data
    assert data["huur_inhouding_gestart"] is True and data["gesprek_gevoerd"] is True
    assert data["uitkomst"] == "gesprek_gemeente"
    assert data["eindresultaat"] == "Vervolghulp en/of verwijzing financieel"
    # Nothing of the benefit or the conversation reaches the corporation.
    assert set(s.sees(w, "wonen-limburg", haddou)) == CORPORATION_READS | RETURNED

    # The family does not come: not approached, recorded as such.
    complete(w, tesfamariam, "gesprek_voeren", SDV, {"gesprek_gevoerd": False})
    assert s.case(w, tesfamariam).status == "waiting"
    # No authorisation: no rent is withheld (art. 10.5); the refusal is in the registry.
    complete(w, tesfamariam, "machtiging_vragen", SDV, {"machtiging_inhouding": False})
    assert ended_at(w, tesfamariam) == ["einde_niet_benaderd"]
    data = s.case(w, tesfamariam).data
    assert "huur_inhouding_gestart" not in data and data["machtiging_inhouding"] is False
    assert data["reden_niet_benaderd"] == "geen_contact_gemeente"
    assert data["eindresultaat"] == "Definitief geen contact kunnen krijgen"
    record(db, KEY)


# -- identification by hand, and a late return overview ---------------------------------------


def test_februarioverzicht_identificatie_en_te_laat_retouroverzicht(db, clock, settings) -> None:
    w = s.set_up(db, settings, clock)
    # Monday 2 March 2026 (the clock's start): February has no 30th, the overview comes in
    # two days into March and belongs to February.
    rahimi, onbekend = s.send_overview(
        w,
        "wonen-limburg",
        [s.signal("rahimi", "WL-2026-02-0001"), s.signal("onbekend", "WL-2026-02-0002")],
    )
    for key in (rahimi, onbekend):
        data = s.case(w, key).data
        assert data["overzichtsmaand"] == "2026-02" and data["terugkoppelmaand"] == "2026-03"
        # Before Tuesday 10 March: Monday 9 March; AMW's list on Wednesday 11 March (winter
        # time, +01:00).
        assert data["terugkoppeling_uiterlijk"] == "2026-03-09T23:59:59+01:00"
        assert data["amw_lijst_op"] == "2026-03-11T00:00:00+01:00"
        # Not found: the BRP knows only year and month of Rahimi's birth; nobody lives at
        # Wilgenpad 14.
        assert data["bsn_gevonden"] is False and data["bsn"] is None
        found = s.task(w, key, "huurder_identificeren")
        assert found.candidate_groups == [ADMIN] and found.priority == 50
        assert s.local(found.due_at) == "2026-03-09T23:59:59+01:00"

    complete(
        w,
        rahimi,
        "huurder_identificeren",
        ADMIN,
        {
            "huurder_geidentificeerd": True,
            "bsn": s.BSN["rahimi"],
            "toelichting_identificatie": "BRP kent alleen jaar en maand van geboorte",
        },
    )
    data = s.case(w, rahimi).data
    assert data["regeling"] == "Pw" and data["voorgestelde_optie"] == "gemeente"
    assert "bsn" not in s.sees(w, "wonen-limburg", rahimi)
    complete(
        w,
        onbekend,
        "huurder_identificeren",
        ADMIN,
        {"huurder_geidentificeerd": False, "toelichting_identificatie": "niet in de BRP"},
    )
    data = s.case(w, onbekend).data
    assert data["voorgestelde_optie"] == "niet" and data["reden_niet_benaderd"] == "vertrokken"
    assert data["leefsituatie"] == "onbekend (niet gevonden in de BRP)"

    w.sim.advance_to(at(2026, 3, 5, 10, 0))
    complete(w, rahimi, "analyse_selectie", SDV, {"optie": "gemeente"})
    complete(
        w, onbekend, "analyse_selectie", SDV, {"optie": "niet", "reden_niet_benaderd": "vertrokken"}
    )
    assert not overview(w, "wonen-limburg", "2026-02").late

    # Nobody sends the overview: the term runs out at the end of Monday 9 March.
    w.sim.advance_to(at(2026, 3, 10, 9, 0))
    for key in (rahimi, onbekend):
        fired = history(w, key, "timer_fired")
        assert [(e.element_id, e.details["due"]) for e in fired] == [
            ("retouroverzicht_termijn", "2026-03-09T22:59:59+00:00")
        ]
        assert s.case(w, key).phase == "terugkoppeling"  # still waiting for the overview
        # Stap 4 ("Voor de 10e ... stuurt gemeente Weert het overzicht ... terug"): a late
        # overview is the administration's task, due 2 working days after the term
        # (retouroverzicht_escalatie_werkdagen): Mon 9 March + 2 = Wed 11 March.
        late = s.task(w, key, "retouroverzicht_alsnog")
        assert late.candidate_groups == [ADMIN]
        assert s.local(late.due_at) == "2026-03-11T23:59:59+01:00"
    assert overview(w, "wonen-limburg", "2026-02").late

    # Wednesday 11 March the administration explains the delay of one case; the other task
    # is left: after Wednesday it escalates to the SDV regisseur (retouroverzicht_escalatie_naar).
    w.sim.advance_to(at(2026, 3, 11, 9, 0))
    complete(w, onbekend, "retouroverzicht_alsnog", ADMIN, {"reden_vertraging": "BRP-storing"})
    assert [t.element_id for t in s.open_tasks(w, onbekend)] == []
    w.sim.advance_to(at(2026, 3, 12, 9, 0))
    escalated = s.task(w, rahimi, "retouroverzicht_escaleren")
    assert escalated.candidate_groups == [SDV]
    assert s.local(escalated.due_at) == "2026-03-13T23:59:59+01:00"
    assert [t.element_id for t in s.open_tasks(w, rahimi)] == ["retouroverzicht_escaleren"]

    # Thursday 12 March: sent late; both cases are in it and go on; the escalation closes.
    w.sim.advance_to(at(2026, 3, 12, 11, 0))
    sent = send(w, "wonen-limburg", "2026-02")
    assert sent.late and len(sent.rows) == 2
    assert [t.element_id for t in s.open_tasks(w, rahimi)] == [
        "gesprek_voeren",
        "machtiging_vragen",
    ]
    assert sorted(ended_at(w, onbekend)) == ["einde_niet_benaderd"]
    assert s.case(w, onbekend).data["reden_vertraging"] == "BRP-storing"
    assert s.case(w, onbekend).data["eindresultaat"] == (
        "Persoon is geen inwoner (meer) in de gemeente"
    )
    talk = s.task(w, rahimi, "gesprek_voeren")
    # 10 working days from Thursday 12 March.
    assert s.local(talk.due_at) == "2026-03-26T23:59:59+01:00"
    record(db, KEY)


# -- the terms are settings ------------------------------------------------------------------


def test_termijnen_en_partnerinstellingen(db, clock, settings) -> None:
    w = s.set_up(db, settings, clock)
    # The corporations' collection rhythm (bijlage 1) is their route's partner setting.
    with db.session() as session:
        routes = {r.reference_pattern[:2]: r.settings for r in session.scalars(select(IntakeRoute))}
        catalogue = version_catalogue(session, _version_id(session))
    assert routes["WL"]["inningsritme"] == [
        {"vervaldag": 1, "eerste_aanmaning": 13, "tweede_aanmaning": None}
    ]
    assert [r["vervaldag"] for r in routes["SJ"]["inningsritme"]] == [1, 5, 10, 15, 20, 25]
    assert routes["SJ"]["inningsritme"][-1] == {
        "vervaldag": 25,
        "eerste_aanmaning": 27,
        "tweede_aanmaning": 3,
    }
    assert routes["WL"]["melddag"] == routes["SJ"]["melddag"] == 30
    # The overview of the 30th: Saturday 30 May goes out on Friday 29 May; February has no
    # 30th and Saturday 28 February 2026 moves to Friday 27 February.
    assert str(weert.reporting_day(routes["WL"], 2026, 5)) == "2026-05-29"
    assert str(weert.reporting_day(routes["WL"], 2026, 2)) == "2026-02-27"
    assert str(weert.reporting_day(routes["WL"], 2026, 3)) == "2026-03-30"

    # Weert sets its own terms: the overview back before the 8th, AMW's list on the 9th, and
    # IOAW counts as a benefit for which the municipality invites.
    with db.transaction() as session:
        for name, value in (
            ("terugkoppeling_voor_dag", 8),
            ("amw_lijst_dag", 9),
            ("pwet_regelingen", ["Pw", "IOAW"]),
        ):
            set_value(session, catalogue, KEY, "weert", name, value, "procesbeheerder")
    w.sim.advance_to(at(2026, 3, 30, 10, 0))
    (mulder,) = s.send_overview(w, "st-joseph", [s.signal("mulder", "SJ-2026-03-0001")])
    data = s.case(w, mulder).data
    # Before Wednesday 8 April: Tuesday 7 April; the list on Thursday 9 April.
    assert data["terugkoppeling_uiterlijk"] == "2026-04-07T23:59:59+02:00"
    assert data["amw_lijst_op"] == "2026-04-09T00:00:00+02:00"
    assert data["voorgestelde_optie"] == "gemeente"
    assert s.local(s.task(w, mulder, "analyse_selectie").due_at) == "2026-04-07T23:59:59+02:00"
    record(db, KEY)


def _version_id(session: Any) -> int:
    from app.engine.service import latest_version

    return latest_version(session, KEY).id


# -- the Weert handlers ----------------------------------------------------------------------

CTX = HandlerContext(1, "00000000-0000-0000-0000-000000000001", "WEE-2026-03-00001", 1)


def test_bsn_zoeken_op_adres_en_geboortedatum(clock) -> None:
    # Hoogstraat 3 without a letter also finds the woman at 3 B; the birth date decides.
    found = bsn_zoeken(
        {"geboortedatum": "1997-02-11", "postcode": "9999 xb", "huisnummer": "3"}, CTX
    )
    assert found == {"bsn": "999990068", "bsn_gevonden": True}
    # The addition makes the dwelling exact: 41-1 is De Groot's, not the family at 41-2.
    assert bsn_zoeken(
        {
            "geboortedatum": "1992-03-15",
            "postcode": "9999XE",
            "huisnummer": "41",
            "toevoeging": "1",
        },
        CTX,
    ) == {"bsn": None, "bsn_gevonden": False}
    # Only year and month of birth in the BRP, or nobody at the address: not found.
    assert not bsn_zoeken(
        {"geboortedatum": "1990-07-01", "postcode": "9999XL", "huisnummer": 2}, CTX
    )["bsn_gevonden"]
    assert not bsn_zoeken(
        {"geboortedatum": "1975-01-01", "postcode": "9999XM", "huisnummer": 14}, CTX
    )["bsn_gevonden"]
    with pytest.raises(InvalidInput, match="geboortedatum"):
        bsn_zoeken({"geboortedatum": "12-04-1981", "postcode": "9999XA", "huisnummer": 12}, CTX)


def test_vooraankondiging_is_een_brief_met_bezwaarmogelijkheid(clock) -> None:
    letter = vooraankondiging(
        {
            "voorletters": "M.",
            "tussenvoegsel": "de",
            "achternaam": "Groot",
            "straat": "Lindelaan",
            "huisnummer": "41",
            "toevoeging": "1",
            "postcode": "9999 XE",
            "woonplaats": "Teststad",
            "amw_lijst_op": "2026-04-13T00:00:00+02:00",
        },
        CTX,
    )
    assert letter["vooraankondiging_datum"] == "2026-03-02"
    assert letter["vooraankondiging_kenmerk"].startswith("WRT-VA-2026-03-")
    # The same case gives the same kenmerk (a retried job makes the same letter).
    assert (
        vooraankondiging(
            {
                "voorletters": "M.",
                "achternaam": "Groot",
                "straat": "Lindelaan",
                "huisnummer": "41",
                "postcode": "9999XE",
                "woonplaats": "Teststad",
                "amw_lijst_op": "2026-04-13T00:00:00+02:00",
            },
            CTX,
        )["vooraankondiging_kenmerk"]
        == letter["vooraankondiging_kenmerk"]
    )
    text = letter["vooraankondiging_tekst"]
    assert "M. de Groot\nLindelaan 41-1\n9999 XE  TESTSTAD" in text
    assert "vanaf 13 april 2026" in text and "vóór 13 april 2026" in text
    assert "bezwaar" in text and "geen kosten" in text


# -- art. 10.3: the tenant's objection at the corporation; the late overview's task -------------


def test_bezwaar_bij_de_corporatie_tegen_de_melding(db, clock, settings) -> None:
    """Convenant art. 10.3: "Woningcorporaties informeren huurders die het betreft van het
    voornemen om de huurschuld te melden bij de gemeente en wijzen op de mogelijkheid om hier
    bezwaar tegen te maken." The corporation passes the objection on with the signal; from the
    report on, the municipality answers for the tenant's rights (art. 11.2): the SDV regisseur
    decides before anything is enriched. Upheld: no registers asked, not invited, the
    corporation learns "niet uitgenodigd". Not upheld: the signal is processed as any other."""
    w = s.set_up(db, settings, clock)
    w.sim.advance_to(at(2026, 3, 30, 10, 0))
    jansen, vermeulen = s.send_overview(
        w,
        "wonen-limburg",
        [
            s.signal("jansen", "WL-2026-03-0001", bezwaar_melding=True),
            s.signal("vermeulen", "WL-2026-03-0002", bezwaar_melding=True),
        ],
    )
    for key in (jansen, vermeulen):
        data = s.case(w, key).data
        # Nothing enriched yet: no BRP, Civision, Stratech or creditors' lists.
        assert data.get("bsn") is None and data["heeft_uitkering"] is None
        assert s.case(w, key).phase == "bezwaar"
        found = s.task(w, key, "bezwaar_beoordelen")
        assert found.candidate_groups == [SDV]
        assert s.local(found.due_at) == "2026-04-09T23:59:59+02:00"
        assert s.sees(w, "wonen-limburg", key)["bezwaar_melding"] is True
        assert s.sees(w, AMW, key) == {}
    with pytest.raises(NotFound):  # the corporation does not decide on the objection
        complete(w, jansen, "bezwaar_beoordelen", "wonen-limburg", {"bezwaar_gegrond": True})

    complete(
        w,
        jansen,
        "bezwaar_beoordelen",
        SDV,
        {"bezwaar_gegrond": True, "motivering_bezwaar": "Huurder wil geen contact"},
    )
    data = s.case(w, jansen).data
    assert data.get("bsn") is None and data["optie"] == "niet"
    assert data["reden_niet_benaderd"] == "bezwaar_melding"
    assert s.case(w, jansen).phase == "terugkoppeling"
    complete(
        w,
        vermeulen,
        "bezwaar_beoordelen",
        SDV,
        {"bezwaar_gegrond": False, "motivering_bezwaar": "Twee maanden achterstand, hulp nodig"},
    )
    assert s.case(w, vermeulen).data["bsn"] == s.BSN["vermeulen"]  # now enriched
    complete(w, vermeulen, "analyse_selectie", SDV, {"optie": "amw"})

    w.sim.advance_to(at(2026, 4, 8, 10, 0))
    sent = send(w, "wonen-limburg", "2026-03")
    assert {r.business_key: r.optie for r in sent.rows} == {
        jansen: "Huurder wordt niet uitgenodigd",
        vermeulen: "Huurder wordt uitgenodigd door AMW",
    }
    assert ended_at(w, jansen) == ["einde_niet_benaderd"]
    assert s.case(w, jansen).data["eindresultaat"] == (
        "Inwoner regelt het zelf/hoeft geen hulp vanuit vroegsignalering"
    )
    # The corporation learns the option, never the reasons of the decision.
    seen = s.sees(w, "wonen-limburg", jansen)
    assert not {"bezwaar_gegrond", "motivering_bezwaar", "reden_niet_benaderd"} & set(seen)
    record(db, KEY)


def test_retouroverzicht_te_laat_verstuurd_voor_en_na_escalatie(db, clock, settings) -> None:
    """Stroomschema stap 4: "Voor de 10e van de daaropvolgende maand stuurt gemeente Weert het
    overzicht uit stap 2 terug naar de woningcorporatie" (Gemeente Weert-Administratief
    medewerkers). Late, it is the administration's task; sending closes it. Left for
    retouroverzicht_escalatie_werkdagen working days it escalates to the party the setting
    retouroverzicht_escalatie_naar names, here changed to the participatie regisseur and 1 day."""
    w = s.set_up(db, settings, clock)
    w.sim.advance_to(at(2026, 3, 30, 10, 0))
    (jansen,) = s.send_overview(w, "wonen-limburg", [s.signal("jansen", "WL-2026-03-0001")])
    with w.db.transaction() as session:
        catalogue = version_catalogue(session, s.case(w, jansen).version_id)
        set_value(
            session, catalogue, KEY, "weert", "retouroverzicht_escalatie_werkdagen", 1, "beheer"
        )
        set_value(
            session,
            catalogue,
            KEY,
            "weert",
            "retouroverzicht_escalatie_naar",
            "participatie",
            "beheer",
        )
    (mulder,) = s.send_overview(w, "st-joseph", [s.signal("mulder", "SJ-2026-03-0001")])
    complete(w, jansen, "analyse_selectie", SDV, {"optie": "amw"})
    complete(w, mulder, "analyse_selectie", SDV, {"optie": "amw"})

    # Friday 10 April, after the term (Thursday 9 April): a task for the administration.
    w.sim.advance_to(at(2026, 4, 10, 9, 0))
    for key in (jansen, mulder):
        late = s.task(w, key, "retouroverzicht_alsnog")
        # The term ended on Thursday 9 April; + 1 working day: Friday 10 April.
        assert s.local(late.due_at) == "2026-04-10T23:59:59+02:00"
    # Wonen Limburg's overview goes out while the task is open: the task closes.
    sent = send(w, "wonen-limburg", "2026-03")
    assert [r.business_key for r in sent.rows] == [jansen] and sent.late
    assert [t.element_id for t in s.open_tasks(w, jansen)] == []
    assert s.case(w, jansen).data["teruggekoppelde_optie"]

    # St. Joseph's is forgotten: after Friday 10 April it escalates to participatie.
    w.sim.advance_to(at(2026, 4, 13, 9, 0))
    escalated = s.task(w, mulder, "retouroverzicht_escaleren")
    assert escalated.candidate_groups == [PARTICIPATIE]
    with pytest.raises(NotFound):  # no longer the administration's
        complete(w, mulder, "retouroverzicht_escaleren", ADMIN, {"reden_vertraging": "x"})
    complete(
        w,
        mulder,
        "retouroverzicht_escaleren",
        PARTICIPATIE,
        {"reden_vertraging": "Besproken met de administratie; gaat vandaag"},
    )
    assert s.case(w, mulder).phase == "terugkoppeling"  # still waiting for the overview
    sent = send(w, "st-joseph", "2026-03")
    assert [r.business_key for r in sent.rows] == [mulder]
    assert s.case(w, mulder).data["teruggekoppelde_optie"]
    record(db, KEY)
