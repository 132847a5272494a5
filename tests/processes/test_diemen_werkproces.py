"""Diemen, Bijlage 3 "Uitwisseling persoonsgegevens en werkproces": every path of the diagram.

The partner (Eigen Haard) reports through the central reporting point with exactly the six
data items; only the Uitvoerder receives them. Then: a debt settlement ends the case; or the
ladder (on their own, own network, volunteers), each rung with written consent before the
coordination with the partner and the referral; or a benefit (rent paid from it) or other
income (budget management at Plangroep after the municipality's approval); and a family with
minor children still facing eviction gets a care report.

Deadlines are practice settings (Bijlage 3 names no terms) counted in Atw working days; the
expected dates are written out with the arithmetic beside them. The clock starts on Monday
2 March 2026, 09:00 (Amsterdam).
"""

from __future__ import annotations

import pytest

from app.cases import settings as process_settings
from app.engine import service as engine
from app.engine.errors import InvalidInput, NotFound
from app.engine.runtime import version_catalogue
from app.intake.feedback import feedback
from app.privacy import consent
from tests.processes.diemen_werkproces_support import (
    CARE_REPORT,
    NAW,
    PROCESS,
    SIGNAL,
    SIGNAL_FIELDS,
    ask_consent,
    case,
    decide,
    due,
    report,
    to_ladder,
)
from tests.support.engine import kinds

pytestmark = pytest.mark.process("diemen_werkproces")

RECEIVED = SIGNAL_FIELDS | {"melddatum", "melder"}


def refer_to_volunteers(c, day: str, reference: str):  # type: ignore[no-untyped-def]
    """The executor refers the resident to Humanitas; returns the volunteers' new task."""
    c.complete(
        "uitvoerder",
        "doorgeleiden_vrijwilliger",
        {
            "datum_doorverwijzing": day,
            "kenmerk_doorverwijzing": reference,
            "eindresultaat": "Vervolghulp en/of verwijzing financieel",
        },
    )
    task = c.task("ondersteuning_starten")
    assert task.candidate_groups == ["humanitas-diemen"]
    return task


def test_melding_met_zes_gegevens_en_schuldregeling(db, settings, clock) -> None:
    c = case(db, settings, clock)
    # Anything beyond the six data items of Bijlage 3 is refused at the reporting point.
    refused = report(c, {**SIGNAL, "telefoon": "0612345678"})
    assert refused[0].status == "afgewezen"
    assert ("telefoon", "is geen veld van deze melding") in refused[0].errors
    stored = report(c)
    assert stored[0].status == "opgeslagen"
    data = c.instance().data
    assert set(data) == RECEIVED
    assert (data["huur"], data["huurachterstand"], data["minderjarige_kinderen"]) == (
        725.5,
        1451.0,
        2,
    )

    # Only the Uitvoerder's team gets the work. Mon 2 Mar + 10 working days = Mon 16 Mar.
    task = c.task("schuldregeling_onderzoeken")
    assert task.candidate_groups == ["diemen-uitvoerder"]
    assert due(task) == "2026-03-16T23:59:59+01:00"
    # Only the Uitvoerder receives the data; the partner sees what it supplied; nobody else
    # sees anything before a referral; an organisation outside the case does not find it.
    assert c.sees("uitvoerder") == RECEIVED
    assert c.sees("partner") == RECEIVED
    for party in ("gemeente", "plangroep", "vrijwilligers"):
        assert c.sees(party) == set()
    with pytest.raises(NotFound):
        c.sees("buitenstaander")
    with pytest.raises(NotFound):  # the partner cannot do the Uitvoerder's work
        c.complete("partner", "schuldregeling_onderzoeken", {"schuldregeling_mogelijk": True})

    c.advance_to("2026-03-05T09:00")
    c.complete(
        "uitvoerder",
        "schuldregeling_onderzoeken",
        {
            "schuldregeling_mogelijk": True,
            "toelichting_onderzoek": "Regeling met twee schuldeisers",
        },
    )
    task = c.task("schuldregeling_treffen")
    assert task.candidate_groups == ["diemen-uitvoerder"]
    # Thu 5 Mar + 5 working days: 6, 9, 10, 11, 12 Mar.
    assert due(task) == "2026-03-12T23:59:59+01:00"
    c.complete(
        "uitvoerder",
        "schuldregeling_treffen",
        {
            "kenmerk_schuldregeling": "SR-2026-0042",
            "eindresultaat": "Vervolghulp en/of verwijzing financieel",
        },
    )
    assert c.instance().status == "completed"
    assert c.end() == {"einde_schuldregeling": 1}
    assert c.open_elements() == []

    # Feedback to the partner: what it supplied and the outcome in the words it may learn.
    with db.session() as session:
        result = feedback(db, session, c.principals["melder"], "2026-03", settings.secret_key)
    assert result.rows[0][result.columns.index("resultaat")] == "Opgepakt"
    assert not {"eindresultaat", "kenmerk_schuldregeling", "schuldregeling_mogelijk"} & set(
        result.columns
    )
    c.record()


def test_zelfstandig_met_schriftelijke_toestemming_en_afstemming(db, settings, clock) -> None:
    c = case(db, settings, clock)
    report(c)
    c.complete("uitvoerder", "schuldregeling_onderzoeken", {"schuldregeling_mogelijk": False})
    # Mon 2 Mar + 10 working days = Mon 16 Mar.
    assert due(c.task("mogelijkheden_onderzoeken")) == "2026-03-16T23:59:59+01:00"

    c.advance_to("2026-04-02T09:00")  # the Thursday before Easter
    c.complete(
        "uitvoerder",
        "mogelijkheden_onderzoeken",
        {"zelfstandig_mogelijk": True, "netwerk_mogelijk": False, "vrijwilligers_mogelijk": False},
    )
    task = c.task("toestemming_zelfstandig_vragen")
    assert task.candidate_groups == ["diemen-uitvoerder"]
    # Thu 2 Apr + 5 working days; Good Friday 3 Apr and Easter Monday 6 Apr do not count:
    # 7, 8, 9, 10, 13 Apr (summer time).
    assert due(task) == "2026-04-13T23:59:59+02:00"
    assert "voorstel_aanpak" not in c.sees("partner")

    evidence = c.signed_form("toestemming-zelfstandig.pdf")
    ask_consent(c, "zelfstandig", True, evidence)
    # Written consent is in the registry, with the signed form as evidence, before anything
    # is coordinated with the partner.
    assert c.consents() == [("zelfstandig", True, "schriftelijk", int(evidence))]
    task = c.task("afstemmen_zelfstandig")
    assert task.candidate_groups == ["eigen-haard"]
    assert due(task) == "2026-04-13T23:59:59+02:00"
    seen = c.sees("partner")
    assert "voorstel_aanpak" in seen
    assert not seen & {
        "toestemming_zelfstandig",
        "bewijs_toestemming_zelfstandig",
        "zelfstandig_mogelijk",
        "schuldregeling_mogelijk",
        "toelichting_onderzoek",
    }
    with pytest.raises(InvalidInput):  # the partner records its coordination only
        c.complete(
            "partner",
            "afstemmen_zelfstandig",
            {"akkoord_partner": True, "toestemming_zelfstandig": False},
        )

    c.advance_to("2026-04-08T09:00")
    c.complete(
        "partner",
        "afstemmen_zelfstandig",
        {"akkoord_partner": True, "toelichting_partner": "Eerdere regelingen nagekomen"},
    )
    # "Bovenstaande aanpak wordt afgestemd met de Partner" (alinea 4): the Uitvoerder weighs
    # the Partner's view, which it reads, and decides.
    task = c.task("besluiten_zelfstandig")
    assert task.candidate_groups == ["diemen-uitvoerder"]
    assert {"akkoord_partner", "toelichting_partner"} <= c.sees("uitvoerder")
    assert "voorstel_aanpak" not in c.sees("partner")  # its part is done
    decide(c, "zelfstandig", True)
    task = c.task("afspraken_zelfstandig_vastleggen")
    assert task.candidate_groups == ["diemen-uitvoerder"]
    # Wed 8 Apr + 5 working days: 9, 10, 13, 14, 15 Apr.
    assert due(task) == "2026-04-15T23:59:59+02:00"
    assert "voorstel_aanpak" not in c.sees("partner")  # only while it is coordinated
    assert {"akkoord_partner", "toelichting_partner"} <= c.sees("partner")
    c.complete(
        "uitvoerder",
        "afspraken_zelfstandig_vastleggen",
        {
            "afspraken_zelfstandig": "Huur per automatische incasso op de 1e",
            "eindresultaat": "(Budget)advies en/of quick fix",
        },
    )
    assert c.end() == {"einde_zelfstandig": 1}
    c.record()


def test_weigering_zelfstandig_dan_eigen_netwerk(db, settings, clock) -> None:
    c = case(db, settings, clock)
    report(c)
    c.advance_to("2026-04-24T09:00")  # the Friday before King's Day
    to_ladder(c, zelfstandig=True, netwerk=True, vrijwilligers=False)
    # Fri 24 Apr + 5 working days; King's Day Mon 27 Apr does not count: 28, 29, 30 Apr,
    # 1, 4 May.
    assert due(c.task("toestemming_zelfstandig_vragen")) == "2026-05-04T23:59:59+02:00"

    ask_consent(c, "zelfstandig", False)
    # The refusal is recorded; nothing is coordinated and the next rung is asked.
    assert c.consents() == [("zelfstandig", False, "mondeling", None)]
    assert "toestemming_geweigerd" in kinds(db, c.instance_id)
    assert c.open_elements() == ["toestemming_netwerk_vragen"]
    assert "voorstel_aanpak" not in c.sees("partner")

    c.advance_to("2026-04-30T09:00")
    evidence = c.signed_form("toestemming-netwerk.pdf")
    ask_consent(c, "netwerk", True, evidence)
    task = c.task("afstemmen_netwerk")
    assert task.candidate_groups == ["eigen-haard"]
    # Thu 30 Apr + 5 working days; Liberation Day Tue 5 May does not count: 1, 4, 6, 7,
    # 8 May.
    assert due(task) == "2026-05-08T23:59:59+02:00"
    c.complete("partner", "afstemmen_netwerk", {"akkoord_partner": True})
    decide(c, "netwerk", True)
    task = c.task("doorgeleiden_netwerk")
    assert task.candidate_groups == ["diemen-uitvoerder"]
    assert due(task) == "2026-05-08T23:59:59+02:00"
    c.complete(
        "uitvoerder",
        "doorgeleiden_netwerk",
        {
            "datum_doorverwijzing": "2026-04-30",
            "kenmerk_doorverwijzing": "DV-2026-0017",
            "eindresultaat": "Vervolghulp en/of verwijzing niet financieel",
        },
    )
    c.after_care()
    assert c.end() == {"einde_netwerk": 1}
    assert c.consents()[-1] == ("eigen_netwerk", True, "schriftelijk", int(evidence))
    c.record()


def test_vrijwilliger_humanitas_na_weigering_eigen_netwerk(db, settings, clock) -> None:
    c = case(db, settings, clock)
    report(c)
    to_ladder(c, zelfstandig=False, netwerk=True, vrijwilligers=True)
    assert c.open_elements() == ["toestemming_netwerk_vragen"]  # rung 1 not possible
    ask_consent(c, "netwerk", False)
    assert c.open_elements() == ["toestemming_vrijwilligers_vragen"]
    evidence = c.signed_form("toestemming-vrijwilligers.pdf")
    ask_consent(c, "vrijwilligers", True, evidence)
    c.complete("partner", "afstemmen_vrijwilligers", {"akkoord_partner": True})
    decide(c, "vrijwilligers", True)
    # Before the referral the volunteers see nothing of the resident.
    assert c.sees("vrijwilligers") == set()

    c.advance_to("2026-05-13T09:00")  # the day before Ascension
    task = refer_to_volunteers(c, "2026-05-13", "HUM-2026-0009")
    # Wed 13 May + 10 working days; Ascension 14 May, the bridge day 15 May and Whit Monday
    # 25 May do not count: 18-22 May (5), 26-29 May (9), Mon 1 Jun (10).
    assert due(task) == "2026-06-01T23:59:59+02:00"
    # With the resident's consent the volunteer sees contact details, rent and arrears only.
    assert c.sees("vrijwilligers") == NAW | {
        "huur",
        "huurachterstand",
        "datum_doorverwijzing",
        "kenmerk_doorverwijzing",
    }
    c.complete("vrijwilligers", "ondersteuning_starten", {"startdatum_ondersteuning": "2026-05-18"})
    c.after_care()
    assert c.end() == {"einde_vrijwilligers": 1}
    assert [(s, g) for s, g, _c, _e in c.consents()] == [
        ("eigen_netwerk", False),
        ("vrijwilligers", True),
    ]

    # Withdrawn consent: the volunteers see nothing any more.
    with db.transaction() as session:
        consent.withdraw(
            session, c.instance_id, "vrijwilligers", withdrawn_by="bewoner", channel="schriftelijk"
        )
    assert c.sees("vrijwilligers") == set()
    c.record()


def test_uitkering_huur_via_gemeente(db, settings, clock) -> None:
    c = case(db, settings, clock)
    report(c)
    to_ladder(c, zelfstandig=True, netwerk=False, vrijwilligers=True)
    ask_consent(c, "zelfstandig", True, c.signed_form("toestemming-zelfstandig.pdf"))
    # The partner knows the collection history and has its doubts. "Bovenstaande aanpak wordt
    # afgestemd met de Partner gezien diens kennis van het incassoverleden" (alinea 4):
    # coordinated, not vetoed; the Uitvoerder, weighing three broken arrangements, decides
    # that paying on their own is not an option.
    c.complete(
        "partner",
        "afstemmen_zelfstandig",
        {"akkoord_partner": False, "toelichting_partner": "Drie regelingen niet nagekomen"},
    )
    decide(c, "zelfstandig", False, "Partner: drie regelingen niet nagekomen")
    assert c.open_elements() == ["toestemming_vrijwilligers_vragen"]  # rung 2 not possible
    ask_consent(c, "vrijwilligers", False)
    task = c.task("inkomen_vaststellen")
    assert task.candidate_groups == ["diemen-uitvoerder"]
    # Mon 2 Mar + 10 working days = Mon 16 Mar.
    assert due(task) == "2026-03-16T23:59:59+01:00"
    c.complete("uitvoerder", "inkomen_vaststellen", {"inkomen": "Bbz"})
    c.complete(
        "uitvoerder",
        "toestemming_uitkering_vragen",
        {
            "toestemming_huur_via_uitkering": True,
            "bewijs_toestemming_huur_via_uitkering": c.signed_form("toestemming-uitkering.pdf"),
        },
    )
    assert c.sees("gemeente") == set()  # consent given, referral not made yet

    c.advance_to("2026-03-10T09:00")
    c.complete(
        "uitvoerder",
        "doorverwijzen_gemeente",
        {
            "datum_doorverwijzing": "2026-03-10",
            "kenmerk_doorverwijzing": "WI-2026-0031",
            "eindresultaat": "Vervolghulp en/of verwijzing financieel",
        },
    )
    task = c.task("huur_via_uitkering_regelen")
    assert task.candidate_groups == ["diemen-gemeente"]
    # Tue 10 Mar + 10 working days: 11, 12, 13, 16, 17, 18, 19, 20, 23, 24 Mar.
    assert due(task) == "2026-03-24T23:59:59+01:00"
    # For rent paid from the benefit: who, the rent, the partner's reference, the benefit.
    assert c.sees("gemeente") == NAW | {
        "geboortedatum",
        "huur",
        "referentie",
        "inkomen",
        "datum_doorverwijzing",
        "kenmerk_doorverwijzing",
    }
    assert "huurachterstand" not in c.sees("gemeente")
    c.complete(
        "gemeente",
        "huur_via_uitkering_regelen",
        {"ingangsdatum_inhouding": "2026-04-01", "einddatum_inhouding": "2026-09-30"},
    )
    c.after_care()
    assert c.end() == {"einde_uitkering": 1}
    assert [(s, g) for s, g, _c, _e in c.consents()] == [
        ("zelfstandig", True),
        ("vrijwilligers", False),
        ("huur_via_uitkering", True),
    ]
    c.record()


def test_ander_inkomen_budgetbeheer_plangroep(db, settings, clock) -> None:
    c = case(db, settings, clock)
    report(c)
    to_ladder(c, zelfstandig=False, netwerk=True, vrijwilligers=False)
    ask_consent(c, "netwerk", True, c.signed_form("toestemming-netwerk.pdf"))
    # "afgestemd met de Partner" (alinea 4): the Partner's doubt is weighed; the Uitvoerder
    # decides not to go on with the own network.
    c.complete("partner", "afstemmen_netwerk", {"akkoord_partner": False})
    decide(c, "netwerk", False)
    c.complete("uitvoerder", "inkomen_vaststellen", {"inkomen": "Ander inkomen"})
    assert c.open_elements() == ["toestemming_budgetbeheer_vragen"]

    c.advance_to("2026-03-16T09:00")
    c.complete(
        "uitvoerder",
        "toestemming_budgetbeheer_vragen",
        {
            "motivering_budgetbeheer": "Geen netwerk; vrijwilliger niet passend",
            "toestemming_budgetbeheer": True,
            "bewijs_toestemming_budgetbeheer": c.signed_form("toestemming-budgetbeheer.pdf"),
        },
    )
    task = c.task("budgetbeheer_goedkeuren")
    assert task.candidate_groups == ["diemen-gemeente"]
    # Mon 16 Mar + 10 working days: 17-20 Mar (4), 23-27 Mar (9), Mon 30 Mar (10), after
    # the change to summer time.
    assert due(task) == "2026-03-30T23:59:59+02:00"
    # No income test: the municipality decides on who and why, without income or amounts.
    assert c.sees("gemeente") == NAW | {"geboortedatum", "motivering_budgetbeheer"}
    assert c.sees("plangroep") == set()
    with pytest.raises(InvalidInput):  # the municipality cannot change the resident's income
        c.complete("gemeente", "budgetbeheer_goedkeuren", {"inkomen": "Pw"})

    c.complete(
        "gemeente",
        "budgetbeheer_goedkeuren",
        {"akkoord_gemeente": True, "toelichting_gemeente": "Kosten voor de gemeente"},
    )
    task = c.task("aanmelden_plangroep")
    assert task.candidate_groups == ["diemen-uitvoerder"]
    # Mon 16 Mar + 5 working days = Mon 23 Mar.
    assert due(task) == "2026-03-23T23:59:59+01:00"
    c.complete(
        "uitvoerder",
        "aanmelden_plangroep",
        {
            "datum_doorverwijzing": "2026-03-16",
            "kenmerk_doorverwijzing": "PG-2026-0044",
            "eindresultaat": "Vervolghulp en/of verwijzing financieel",
        },
    )
    task = c.task("budgetbeheer_starten")
    assert task.candidate_groups == ["plangroep"]
    assert due(task) == "2026-03-30T23:59:59+02:00"
    assert c.sees("plangroep") == NAW | {
        "geboortedatum",
        "referentie",
        "huur",
        "huurachterstand",
        "datum_doorverwijzing",
        "kenmerk_doorverwijzing",
    }
    assert c.sees("gemeente") == set()
    c.complete("plangroep", "budgetbeheer_starten", {"startdatum_budgetbeheer": "2026-04-01"})
    # A family with minor children: during the settlement term only the Uitvoerder and the
    # Partner read the case (alinea 8); then it closes.
    c.after_care()
    assert c.end() == {"einde_budgetbeheer": 1}
    # Closed at einde_budgetbeheer: the case keeps that phase (not that of the end events
    # closing the wrapping work process and the settlement term), so Plangroep reads again
    # what it did.
    assert "startdatum_budgetbeheer" in c.sees("plangroep")
    assert "startdatum_budgetbeheer" in c.sees("uitvoerder")
    c.record()


def test_zorgmelding_gezin_met_minderjarigen(db, settings, clock) -> None:
    c = case(db, settings, clock)
    report(c)
    to_ladder(c, zelfstandig=False, netwerk=False, vrijwilligers=True)
    assert c.open_elements() == ["toestemming_vrijwilligers_vragen"]
    ask_consent(c, "vrijwilligers", True, c.signed_form("toestemming-vrijwilligers.pdf"))
    # The resident withdraws the consent while the approach is coordinated: no referral.
    with db.transaction() as session:
        consent.withdraw(
            session, c.instance_id, "vrijwilligers", withdrawn_by="bewoner", channel="mondeling"
        )
    c.complete("partner", "afstemmen_vrijwilligers", {"akkoord_partner": True})
    # The Uitvoerder would go on, but "met schriftelijke toestemming" (alinea 4) no longer
    # holds: no referral.
    decide(c, "vrijwilligers", True)
    assert c.open_elements() == ["inkomen_vaststellen"]
    c.complete("uitvoerder", "inkomen_vaststellen", {"inkomen": "Pw"})
    assert c.open_elements() == ["toestemming_uitkering_vragen"]
    c.complete(
        "uitvoerder", "toestemming_uitkering_vragen", {"toestemming_huur_via_uitkering": False}
    )
    assert c.consents()[-1] == ("huur_via_uitkering", False, "mondeling", None)
    assert c.task("uitzetting_beoordelen").candidate_groups == ["diemen-uitvoerder"]

    c.advance_to("2026-05-04T09:00")
    c.complete(
        "uitvoerder",
        "uitzetting_beoordelen",
        {
            "uitzetting_dreigt": True,
            "gezin_met_minderjarigen": True,
            "eindresultaat": "Niet opgepakt: andere reden",
        },
    )
    task = c.task("zorgmelding_doen")
    assert task.candidate_groups == ["diemen-uitvoerder"]
    # Mon 4 May + 1 working day; Liberation Day Tue 5 May does not count: Wed 6 May.
    assert due(task) == "2026-05-06T23:59:59+02:00"
    assert c.sees("gemeente") == set()  # the care report is not made yet
    # The partner reports the same threat meanwhile: one care report per case, so the
    # message ends at "al gemeld" instead of opening a second report beside this one.
    c.sim.message("uitzetting_dreigt", c.key)
    assert c.open_elements() == ["zorgmelding_doen"]
    c.complete(
        "uitvoerder",
        "zorgmelding_doen",
        {
            "datum_zorgmelding": "2026-05-04",
            "kenmerk_zorgmelding": "ZM-2026-0007",
            "zorgmelding_toelichting": "Gezin met twee kinderen; dagvaarding aangekondigd",
        },
    )
    task = c.task("huurder_informeren")
    assert task.candidate_groups == ["diemen-uitvoerder"]
    assert due(task) == "2026-05-06T23:59:59+02:00"
    # The municipality's duty of care: the family, the arrears and the report, no rent,
    # income or anything of the conversations.
    assert c.sees("gemeente") == NAW | {
        "geboortedatum",
        "huurachterstand",
        "minderjarige_kinderen",
        "uitzetting_dreigt",
        "gezin_met_minderjarigen",
        "datum_zorgmelding",
        "kenmerk_zorgmelding",
        "zorgmelding_toelichting",
    }
    c.complete(
        "uitvoerder",
        "huurder_informeren",
        {
            "datum_huurder_geinformeerd": "2026-05-05",
            "wijze_informeren": "Brief",
            "kenmerk_informeren": "BR-2026-0311",
        },
    )
    assert c.end() == {"einde_zorgmelding": 1, "einde_al_gemeld": 1}
    assert c.instance().data["kenmerk_zorgmelding"] == "ZM-2026-0007"
    assert not {"datum_huurder_geinformeerd", "kenmerk_informeren"} & c.sees("gemeente")
    c.record()


def test_budgetbeheer_geweigerd_en_eigen_termijn_gemeente(db, settings, clock) -> None:
    c = case(db, settings, clock)
    # Diemen sets its own term for the Uitvoerder's investigations: 3 working days.
    with db.transaction() as session:
        version = engine.latest_version(session, PROCESS)
        process_settings.set_value(
            session,
            version_catalogue(session, version.id),
            PROCESS,
            "diemen",
            "onderzoek_werkdagen",
            3,
            "user:procesbeheer",
        )
    report(c)
    # Mon 2 Mar + 3 working days = Thu 5 Mar.
    assert due(c.task("schuldregeling_onderzoeken")) == "2026-03-05T23:59:59+01:00"
    to_ladder(c, zelfstandig=False, netwerk=False, vrijwilligers=False)
    assert c.open_elements() == ["inkomen_vaststellen"]
    c.complete("uitvoerder", "inkomen_vaststellen", {"inkomen": "Ander inkomen"})
    c.complete(
        "uitvoerder",
        "toestemming_budgetbeheer_vragen",
        {"motivering_budgetbeheer": "Kan niet zelf betalen", "toestemming_budgetbeheer": False},
    )
    assert c.consents() == [("budgetbeheer", False, "mondeling", None)]
    c.complete(
        "uitvoerder",
        "uitzetting_beoordelen",
        {
            "uitzetting_dreigt": False,
            "gezin_met_minderjarigen": True,
            "eindresultaat": "Inwoner regelt het zelf/hoeft geen hulp vanuit vroegsignalering",
        },
    )
    assert c.end() == {"einde_zonder_oplossing": 1}
    for party in ("gemeente", "plangroep", "vrijwilligers"):
        assert c.sees(party) == set()
    c.record()


def test_gemeente_keurt_budgetbeheer_niet_goed(db, settings, clock) -> None:
    c = case(db, settings, clock)
    report(c)
    to_ladder(c, zelfstandig=False, netwerk=False, vrijwilligers=False)
    c.complete("uitvoerder", "inkomen_vaststellen", {"inkomen": "Ander inkomen"})
    c.complete(
        "uitvoerder",
        "toestemming_budgetbeheer_vragen",
        {
            "motivering_budgetbeheer": "Kan niet zelf betalen",
            "toestemming_budgetbeheer": True,
            "bewijs_toestemming_budgetbeheer": "TF-2026-0105",  # a reference outside Stroom
        },
    )
    assert c.consents() == [("budgetbeheer", True, "schriftelijk", None)]
    c.complete(
        "gemeente",
        "budgetbeheer_goedkeuren",
        {"akkoord_gemeente": False, "toelichting_gemeente": "Eerst schuldhulp"},
    )
    assert c.task("uitzetting_beoordelen").candidate_groups == ["diemen-uitvoerder"]
    assert c.sees("plangroep") == set()
    # An eviction threatens, but not a family with minor children: no care report.
    c.complete(
        "uitvoerder",
        "uitzetting_beoordelen",
        {
            "uitzetting_dreigt": True,
            "gezin_met_minderjarigen": False,
            "eindresultaat": "Niet opgepakt: andere reden",
        },
    )
    assert c.end() == {"einde_zonder_oplossing": 1}
    c.record()


def test_zorgmelding_van_de_partner_gaat_voor_op_die_na_beoordeling(db, settings, clock) -> None:
    """One care report per case, the other way round: the partner reported the threat and
    its report is being made when the Uitvoerder's own assessment also finds a family with
    minor children facing eviction; the work process does not open a second report."""
    c = case(db, settings, clock)
    report(c)  # a family with two minor children (gegeven 6)
    to_ladder(c, zelfstandig=False, netwerk=False, vrijwilligers=False)
    c.complete("uitvoerder", "inkomen_vaststellen", {"inkomen": "Ander inkomen"})
    c.complete(
        "uitvoerder",
        "toestemming_budgetbeheer_vragen",
        {
            "motivering_budgetbeheer": "Kan niet zelf betalen",
            "toestemming_budgetbeheer": True,
            "bewijs_toestemming_budgetbeheer": "TF-2026-0106",
        },
    )
    c.complete(
        "gemeente",
        "budgetbeheer_goedkeuren",
        {"akkoord_gemeente": False, "toelichting_gemeente": "Eerst schuldhulp"},
    )
    c.sim.message("uitzetting_dreigt", c.key)
    assert c.open_elements() == ["uitzetting_beoordelen", "zorgmelding_bij_dreiging"]
    c.complete(
        "uitvoerder",
        "uitzetting_beoordelen",
        {
            "uitzetting_dreigt": True,
            "gezin_met_minderjarigen": True,
            "eindresultaat": "Niet opgepakt: andere reden",
        },
    )
    assert c.open_elements() == ["zorgmelding_bij_dreiging"]
    c.complete("uitvoerder", "zorgmelding_bij_dreiging", CARE_REPORT)
    c.complete(
        "uitvoerder",
        "huurder_informeren_bij_dreiging",
        {
            "datum_huurder_geinformeerd": "2026-05-06",
            "wijze_informeren": "Brief",
            "kenmerk_informeren": "BR-2026-0312",
        },
    )
    assert c.instance().status == "completed"
    assert c.end() == {"einde_zonder_oplossing": 1, "einde_zorgmelding_bij_dreiging": 1}
    c.record()


# -- eviction threatens on any rung: the care report beside the work process (alinea 8) ------


def test_uitzetting_dreigt_tijdens_afstemming_vrijwilligers(db, settings, clock) -> None:
    c = case(db, settings, clock)
    report(c)  # a family with two minor children (gegeven 6)
    to_ladder(c, zelfstandig=False, netwerk=False, vrijwilligers=True)
    ask_consent(c, "vrijwilligers", True, c.signed_form("toestemming-vrijwilligers.pdf"))
    assert c.open_elements() == ["afstemmen_vrijwilligers"]
    assert c.instance().phase == "afstemming"

    # Monday 4 May the partner reports that, despite the efforts, eviction threatens (a
    # summons is on its way). The number of children comes from its own report: nobody is
    # asked again.
    c.advance_to("2026-05-04T09:00")
    c.sim.message("uitzetting_dreigt", c.key)
    assert c.open_elements() == ["afstemmen_vrijwilligers", "zorgmelding_bij_dreiging"]
    task = c.task("zorgmelding_bij_dreiging")
    assert task.candidate_groups == ["diemen-uitvoerder"]
    # Mon 4 May + 1 working day; Liberation Day Tue 5 May does not count: Wed 6 May.
    assert due(task) == "2026-05-06T23:59:59+02:00"
    data = c.instance().data
    assert (data["uitzetting_dreigt"], data["gezin_met_minderjarigen"]) == (True, True)
    # The rung goes on as before: still the partner's coordination, which it still sees.
    assert c.instance().phase == "afstemming"
    assert c.task("afstemmen_vrijwilligers").candidate_groups == ["eigen-haard"]
    assert "voorstel_aanpak" in c.sees("partner")
    assert not c.sees("partner") & {"uitzetting_dreigt", "gezin_met_minderjarigen"}
    assert c.sees("gemeente") == set()  # no report yet
    assert c.sees("vrijwilligers") == set()
    with pytest.raises(NotFound):  # the partner cannot make the care report
        c.complete("partner", "zorgmelding_bij_dreiging", CARE_REPORT)

    c.complete("uitvoerder", "zorgmelding_bij_dreiging", CARE_REPORT)
    task = c.task("huurder_informeren_bij_dreiging")
    assert task.candidate_groups == ["diemen-uitvoerder"]
    assert due(task) == "2026-05-06T23:59:59+02:00"
    # The municipality reads the report (date, reference, content) on whatever rung the
    # case is; the partner and the volunteers do not.
    assert c.sees("gemeente") == set(CARE_REPORT)
    assert not c.sees("partner") & set(CARE_REPORT)
    assert c.sees("vrijwilligers") == set()

    # The partner agrees meanwhile; the referral to Humanitas goes on beside the report.
    c.complete("partner", "afstemmen_vrijwilligers", {"akkoord_partner": True})
    decide(c, "vrijwilligers", True)
    assert c.open_elements() == ["doorgeleiden_vrijwilliger", "huurder_informeren_bij_dreiging"]
    # One care report per case: the boundary event still listens while the work process
    # runs (Camunda 7), but a second report of the threat ends at "al gemeld".
    c.sim.message("uitzetting_dreigt", c.key)
    assert c.open_elements() == ["doorgeleiden_vrijwilliger", "huurder_informeren_bij_dreiging"]

    c.advance_to("2026-05-06T09:00")
    c.complete(
        "uitvoerder",
        "huurder_informeren_bij_dreiging",
        {
            "datum_huurder_geinformeerd": "2026-05-06",
            "wijze_informeren": "Huisbezoek",
            "kenmerk_informeren": "HB-2026-0014",
        },
    )
    assert not {"datum_huurder_geinformeerd", "kenmerk_informeren"} & c.sees("gemeente")
    task = refer_to_volunteers(c, "2026-05-06", "HUM-2026-0011")
    # Wed 6 May + 10 working days; Ascension 14 May and the bridge day 15 May do not count:
    # 7, 8, 11, 12, 13, 18, 19, 20, 21, 22 May.
    assert due(task) == "2026-05-22T23:59:59+02:00"
    c.complete("vrijwilligers", "ondersteuning_starten", {"startdatum_ondersteuning": "2026-05-25"})
    assert c.instance().status == "completed"
    assert c.end() == {
        "einde_zorgmelding_bij_dreiging": 1,
        "einde_al_gemeld": 1,
        "einde_vrijwilligers": 1,
    }
    with pytest.raises(NotFound):  # a closed case hears nothing
        c.sim.message("uitzetting_dreigt", c.key)
    c.record()


def test_uitzetting_dreigt_tijdens_budgetbeheer_plangroep(db, settings, clock) -> None:
    c = case(db, settings, clock)
    report(c, {**SIGNAL, "minderjarige_kinderen": "1"})
    to_ladder(c, zelfstandig=False, netwerk=False, vrijwilligers=False)
    c.complete("uitvoerder", "inkomen_vaststellen", {"inkomen": "Ander inkomen"})
    c.complete(
        "uitvoerder",
        "toestemming_budgetbeheer_vragen",
        {
            "motivering_budgetbeheer": "Kan niet zelf betalen",
            "toestemming_budgetbeheer": True,
            "bewijs_toestemming_budgetbeheer": c.signed_form("toestemming-budgetbeheer.pdf"),
        },
    )
    c.complete("gemeente", "budgetbeheer_goedkeuren", {"akkoord_gemeente": True})
    c.complete(
        "uitvoerder",
        "aanmelden_plangroep",
        {
            "datum_doorverwijzing": "2026-03-02",
            "kenmerk_doorverwijzing": "PG-2026-0051",
            "eindresultaat": "Vervolghulp en/of verwijzing financieel",
        },
    )
    assert c.open_elements() == ["budgetbeheer_starten"]

    # Thursday 2 April, the day before Good Friday, the partner reports the threat while
    # Plangroep is still starting budget management.
    c.advance_to("2026-04-02T16:00")
    c.sim.message("uitzetting_dreigt", c.key)
    assert c.open_elements() == ["budgetbeheer_starten", "zorgmelding_bij_dreiging"]
    # Thu 2 Apr + 1 working day; Good Friday 3 Apr and Easter Monday 6 Apr do not count:
    # Tue 7 Apr.
    assert due(c.task("zorgmelding_bij_dreiging")) == "2026-04-07T23:59:59+02:00"
    # Plangroep keeps its view and its work while the report is made.
    assert c.instance().phase == "budgetbeheer"
    assert {"naam", "huurachterstand", "kenmerk_doorverwijzing"} <= c.sees("plangroep")
    assert not c.sees("plangroep") & {"uitzetting_dreigt", "gezin_met_minderjarigen"}
    c.complete("plangroep", "budgetbeheer_starten", {"startdatum_budgetbeheer": "2026-04-07"})
    assert c.open_elements() == ["zorgmelding_bij_dreiging"]
    assert c.instance().status == "waiting"  # the case waits for the care report

    c.advance_to("2026-04-07T09:00")
    c.complete("uitvoerder", "zorgmelding_bij_dreiging", CARE_REPORT)
    # Tue 7 Apr + 1 working day = Wed 8 Apr.
    assert due(c.task("huurder_informeren_bij_dreiging")) == "2026-04-08T23:59:59+02:00"
    assert set(CARE_REPORT) <= c.sees("gemeente")
    assert not set(CARE_REPORT) & c.sees("plangroep")
    c.complete(
        "uitvoerder",
        "huurder_informeren_bij_dreiging",
        {
            "datum_huurder_geinformeerd": "2026-04-07",
            "wijze_informeren": "Brief",
            "kenmerk_informeren": "BR-2026-0402",
        },
    )
    assert c.end() == {"einde_budgetbeheer": 1, "einde_zorgmelding_bij_dreiging": 1}
    c.record()


def test_uitzetting_dreigt_zonder_minderjarige_kinderen(db, settings, clock) -> None:
    c = case(db, settings, clock)
    # The partner left the number of minor children out ("indien van toepassing"): none.
    report(c, {k: v for k, v in SIGNAL.items() if k != "minderjarige_kinderen"})
    assert "minderjarige_kinderen" not in c.instance().data
    to_ladder(c, zelfstandig=False, netwerk=True, vrijwilligers=False)
    ask_consent(c, "netwerk", True, c.signed_form("toestemming-netwerk.pdf"))
    assert c.open_elements() == ["afstemmen_netwerk"]
    c.sim.message("uitzetting_dreigt", c.key)
    # No family with minor children: no care report; the rung goes on untouched.
    assert c.open_elements() == ["afstemmen_netwerk"]
    c.complete("partner", "afstemmen_netwerk", {"akkoord_partner": False})
    # Coordinated ("afgestemd met de Partner", alinea 4); the Uitvoerder weighs the Partner's
    # doubt and decides against the own network.
    decide(c, "netwerk", False)
    c.complete("uitvoerder", "inkomen_vaststellen", {"inkomen": "IOAW"})
    c.complete(
        "uitvoerder", "toestemming_uitkering_vragen", {"toestemming_huur_via_uitkering": False}
    )
    c.complete(
        "uitvoerder",
        "uitzetting_beoordelen",
        {
            "uitzetting_dreigt": True,
            "gezin_met_minderjarigen": False,
            "eindresultaat": "Niet opgepakt: andere reden",
        },
    )
    assert c.end() == {"einde_geen_minderjarigen": 1, "einde_zonder_oplossing": 1}
    assert c.sees("gemeente") == set()
    c.record()


# -- coordinating is not a veto; the care report after a referral (alinea 4 and 8) ------------


def test_partner_twijfelt_uitvoerder_besluit_door_te_zetten(db, settings, clock) -> None:
    """Bijlage 3, werkproces alinea 4: "Bovenstaande aanpak wordt afgestemd met de Partner
    gezien diens kennis van het incassoverleden." Coordinating is not agreeing: the Partner's
    view is recorded and shown to the Uitvoerder, who decides. Here the Partner disagrees and
    the Uitvoerder refers the resident to the own network all the same."""
    c = case(db, settings, clock)
    report(c, {k: v for k, v in SIGNAL.items() if k != "minderjarige_kinderen"})
    to_ladder(c, zelfstandig=False, netwerk=True, vrijwilligers=False)
    ask_consent(c, "netwerk", True, c.signed_form("toestemming-netwerk.pdf"))
    c.complete(
        "partner",
        "afstemmen_netwerk",
        {"akkoord_partner": False, "toelichting_partner": "Broer betaalde eerder niet door"},
    )
    task = c.task("besluiten_netwerk")
    assert task.candidate_groups == ["diemen-uitvoerder"]
    with pytest.raises(NotFound):  # the decision is not the Partner's
        c.complete("partner", "besluiten_netwerk", {"aanpak_doorzetten": False})
    # The Uitvoerder reads the Partner's view; the Partner no longer reads the proposal.
    data = c.instance().data
    assert (data["akkoord_partner"], data["toelichting_partner"]) == (
        False,
        "Broer betaalde eerder niet door",
    )
    assert {"akkoord_partner", "toelichting_partner"} <= c.sees("uitvoerder")
    assert "voorstel_aanpak" not in c.sees("partner")
    decide(c, "netwerk", True, "Inwoner heeft nu vast werk; zus springt bij")
    assert c.open_elements() == ["doorgeleiden_netwerk"]
    assert not {"aanpak_doorzetten", "toelichting_besluit"} & c.sees("partner")
    c.complete(
        "uitvoerder",
        "doorgeleiden_netwerk",
        {
            "datum_doorverwijzing": "2026-03-05",
            "kenmerk_doorverwijzing": "DV-2026-0021",
            "eindresultaat": "Vervolghulp en/of verwijzing niet financieel",
        },
    )
    # No minor children in the report: nothing waits after the referral.
    assert c.instance().status == "completed"
    assert c.end() == {"einde_netwerk": 1}
    c.record()


def test_zorgmelding_na_doorverwijzing(db, settings, clock) -> None:
    """Bijlage 3, werkproces alinea 8: "Wanneer in een situatie waarin sprake is van bewoning
    door een gezin met minderjarige kinderen, ondanks de inspanningen van de Uitvoerder, een
    woninguitzetting wegens huurachterstand dreigt, doet de Uitvoerder een zorgmelding bij de
    Gemeente. De Uitvoerder informeert de Huurder over de zorgmelding." A referral closed the
    work process; three months later the Partner reports that eviction threatens the family:
    the care report follows as it would have during the work process."""
    c = case(db, settings, clock)
    report(c)  # two minor children (gegeven 6)
    to_ladder(c, zelfstandig=False, netwerk=True, vrijwilligers=False)
    ask_consent(c, "netwerk", True, c.signed_form("toestemming-netwerk.pdf"))
    c.complete("partner", "afstemmen_netwerk", {"akkoord_partner": True})
    decide(c, "netwerk", True)
    c.complete(
        "uitvoerder",
        "doorgeleiden_netwerk",
        {
            "datum_doorverwijzing": "2026-03-03",
            "kenmerk_doorverwijzing": "DV-2026-0022",
            "eindresultaat": "Vervolghulp en/of verwijzing niet financieel",
        },
    )
    row = c.instance()
    assert (row.status, row.phase) == ("waiting", "nazorg")
    assert c.open_elements() == []
    assert c.sees("gemeente") == set()

    c.advance_to("2026-06-01T10:00")
    c.sim.message("uitzetting_dreigt", c.key)
    task = c.task("zorgmelding_bij_dreiging")
    assert task.candidate_groups == ["diemen-uitvoerder"]
    # Mon 1 Jun + 1 working day = Tue 2 Jun.
    assert due(task) == "2026-06-02T23:59:59+02:00"
    assert c.instance().phase == "dreigende_uitzetting"
    c.complete("uitvoerder", "zorgmelding_bij_dreiging", CARE_REPORT)
    assert set(CARE_REPORT) <= c.sees("gemeente")
    assert not set(CARE_REPORT) & c.sees("partner")
    c.complete(
        "uitvoerder",
        "huurder_informeren_bij_dreiging",
        {
            "datum_huurder_geinformeerd": "2026-06-02",
            "wijze_informeren": "Brief",
            "kenmerk_informeren": "BR-2026-0602",
        },
    )
    assert c.instance().status == "completed"
    ends = c.sim.end_events()
    assert ends == {"einde_netwerk": 1, "einde_zorgmelding_bij_dreiging": 1}, ends
    with pytest.raises(NotFound):  # one care report: the closed case hears nothing more
        c.sim.message("uitzetting_dreigt", c.key)
    c.record()
