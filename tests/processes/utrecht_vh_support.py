"""Helpers for the scenario tests of utrecht_vh (Voorkom Huisuitzetting Utrecht): the parties
of Utrecht as the demo has them (the corporation Portaal reporting through the real intake, the
Buurtteam with its VH-coordinators as a group of the same organisation, Werk en Inkomen), and
short ways to do a task as a party, read what a party sees, and walk the common stretches of
the process."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import select

from app.auth import service as auth
from app.auth.principal import Principal
from app.cases.models import Document
from app.clock import AMSTERDAM, local, now
from app.db import Database
from app.engine.models import HumanTask, ProcessInstance, TaskStatus
from app.intake.service import prepare, receive
from app.privacy import access, context, logs
from app.simulation.runner import Simulation
from app.tasks import service as tasks
from app.tasks.forms import validate
from tests.support.engine import deploy_process
from tests.support.orgs import bind, organisation, partner, user

KEY = "utrecht_vh"
FORMS = Path(__file__).resolve().parents[2] / "forms"
MUNICIPALITY = "utrecht"
SECRET = "utrecht-testgeheim"
# party -> the team (group key) that plays it, as in app/demo_data/common.py
TEAMS = {
    "corporatie": "portaal",
    "woonconsulent": "portaal",  # the reporting corporation's housing consultant
    "buurtteam": "buurtteam-utrecht",
    "vh_coordinator": "vh-coordinator",
    "werk_en_inkomen": "utrecht-wi",
}
# party -> the organisation whose people read the case for that party
ORGS = {
    "corporatie": "portaal",
    "woonconsulent": "portaal",
    "buurtteam": "buurtteam-utrecht",
    "vh_coordinator": "buurtteam-utrecht",
    "werk_en_inkomen": "utrecht-wi",
}

REGISTRATION = {
    "referentie": "PORT-2026-0042",
    "naam": "J. de Bruijn",
    "straat": "Kanaalstraat",
    "huisnummer": "112",
    "toevoeging": "bis",
    "postcode": "3531 AB",
    "woonplaats": "Utrecht",
    "vonnis": "vonnis huisuitzetting mogelijk",
}
CORPORATION_OWN = set(REGISTRATION) | {"melddatum", "melder"}
NAW = {"naam", "straat", "huisnummer", "toevoeging", "postcode", "woonplaats"}
INTAKE = {
    "huurverleden_betalingsverleden": "Sinds 2025 wisselend betaald",
    "huurverleden_oorzaak_achterstand": "Inkomensterugval na baanverlies",
    "huurverleden_overlast": "Geen",
    "huurverleden_woonfraude": "Niet van toepassing",
    "gezin_bewoners": "Huurder en partner",
    "gezin_kinderen": "Twee kinderen, 4 en 9 jaar",
    "inkomen_huidig": 1450,
    "inkomen_verwacht": "Vanaf mei werk via uitzendbureau",
    "schulden": "Huurachterstand 2.300 euro; zorgverzekeraar 400 euro",
    "motivatie_budgetbeheer": "Wil in de woning blijven",
    "gezondheid_fysiek": "Geen bijzonderheden",
    "gezondheid_mentaal": "Somberheid, onder behandeling huisarts",
}
HEALTH = {"gezondheid_fysiek", "gezondheid_mentaal"}
HUURVERLEDEN = {k for k in INTAKE if k.startswith("huurverleden_")}
FOR_BUDGET_MANAGEMENT = {
    "gezin_bewoners",
    "inkomen_huidig",
    "inkomen_verwacht",
    "schulden",
    "motivatie_budgetbeheer",
}
SHARED_WITH_WOONCONSULENT = {"toestemming_vragen", "beoordelen"}
BUURTTEAM_ONLY = {"al_bekend", "betrokken_medewerker", "wenst_ondersteuning_buurtteam"}
# Portaal's housing consultant, a user of Portaal's organisation: the scan is uploaded by him.
SCANNER = "user:portaal.wim"


@dataclass
class Utrecht:
    sim: Simulation
    db: Database
    corporation: Principal  # Portaal's partner system, which reports through the intake
    readers: dict[str, Principal]  # party -> a person of the organisation playing it

    def start(self, reference: str = "PORT-2026-0042", **changes: Any) -> tuple[str, str]:
        """Portaal reports a (possible) eviction verdict through the intake, as in production;
        returns (instance id, business key)."""
        values = {**REGISTRATION, "referentie": reference, **changes}
        with self.db.transaction() as session:
            intake = prepare(session, self.corporation, SECRET)
            results = receive(session, intake, [(1, values)], "api")
        assert results[0].status == "opgeslagen", results[0].errors
        instance_id = results[0].instance_id
        assert instance_id is not None
        self.sim.settle()
        with self.db.session() as session:
            key = session.get(ProcessInstance, instance_id).business_key
        return instance_id, key

    def task(self, element: str, key: str) -> HumanTask:
        return self.sim.open_task(element, key)

    def do(self, party: str, element: str, key: str, data: dict[str, Any] | None = None) -> None:
        """Complete the open task `element` as `party`, after checking it is that party's
        work: in the inbox of exactly the team that plays the party in this case."""
        task = self.task(element, key)
        if element in SHARED_WITH_WOONCONSULENT:
            # Steps 5-6: the team member and the housing consultant lead the conversation
            # and assess together: either may record it.
            assert task.party == "buurtteam", (element, task.party)
            assert task.candidate_groups == [TEAMS["buurtteam"], TEAMS["woonconsulent"]]
            assert party in ("buurtteam", "woonconsulent"), (element, party)
        else:
            assert task.party == party, (element, task.party)
            assert task.candidate_groups == [TEAMS[party]], (element, task.candidate_groups)
        check_form(task, data or {})
        self.sim.complete(element, key, data or {}, actor=f"user:{TEAMS[party]}")

    def web_complete(
        self, party: str, element: str, key: str, data: dict[str, Any], reader: str | None = None
    ) -> None:
        """Complete the open task through the task service, as a person of `reader`'s (default:
        the party's) team would in the web interface: the service refuses tasks of other
        teams and fields the party may not record in this phase."""
        task = self.task(element, key)
        # Log rows wait until the task's own transaction has ended (SQLite has one writer).
        context.begin("test", deferred=True)
        try:
            with self.db.transaction() as session:
                tasks.complete(
                    self.db, session, self.readers[reader or party], task.id, data, SECRET
                )
            logs.flush(self.db)
        finally:
            context.end()
        self.sim.settle()

    def sees(self, party: str, instance_id: str) -> set[str]:
        """The names of the case fields a person of the party's organisation is shown."""
        with self.db.session() as session:
            view = access.read_case(
                self.db, session, self.readers[party], instance_id, "test", SECRET
            )
            return set(view.fields)

    def phase(self, key: str) -> str | None:
        return self.sim.instance(key).phase

    def on(self, moment: str) -> None:
        """Move the clock to an Amsterdam wall-clock moment ("2026-03-03" means 09:00)."""
        self.sim.advance_to(at(moment if "T" in moment else f"{moment}T09:00"))


def check_form(task: HumanTask, data: dict[str, Any]) -> None:
    """The data is what the task's form (as the server checks it) accepts."""
    assert task.form_key, task.element_id
    schema = json.loads((FORMS / task.form_key).read_text("utf-8"))
    _clean, errors = validate(schema, data)
    assert not errors, (task.element_id, errors)


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=AMSTERDAM)


def local_iso(moment: datetime | None) -> str | None:
    """A stored (UTC) moment as Amsterdam wall-clock ISO text, to compare with literals."""
    return None if moment is None else local(moment).isoformat()


def setup(db: Database, settings: Any, clock: Any) -> Utrecht:
    """Deploy the process; organisations, teams and party bindings of Utrecht as in the
    demo (the VH-coordinators are a group of the Buurtteam's organisation)."""
    deploy_process(db, KEY)
    corporation = partner(db, "portaal", KEY, MUNICIPALITY)
    organisation(db, "buurtteam-utrecht", "wijkteam", MUNICIPALITY, "Buurtteam Utrecht")
    organisation(db, "utrecht-wi", "gemeente", MUNICIPALITY, "Werk en Inkomen Utrecht")
    with db.transaction() as session:
        auth.create_group(session, "vh-coordinator", "VH-coördinatoren", "buurtteam-utrecht")
    for party in ("buurtteam", "vh_coordinator", "werk_en_inkomen"):
        bind(db, KEY, MUNICIPALITY, party, TEAMS[party])
    user(db, SCANNER.split(":", 1)[1], "portaal")
    readers = {}
    with db.session() as session:
        for party, org_key in ORGS.items():
            org = auth.organisation(session, org_key)
            readers[party] = Principal(
                "user",
                None,
                f"lezer-{party}",
                organisation_id=org.id,
                organisation_key=org_key,
                municipality=MUNICIPALITY,
                roles=frozenset({"behandelaar"}),
                groups=frozenset({TEAMS[party]}),
            )
    return Utrecht(Simulation(db, settings, clock), db, corporation, readers)


def tasks_of(db: Database, key: str, element: str) -> list[HumanTask]:
    """Every task row of an element in a case, in order of creation."""
    with db.session() as session:
        rows = session.scalars(
            select(HumanTask)
            .join(ProcessInstance)
            .where(ProcessInstance.business_key == key, HumanTask.element_id == element)
            .order_by(HumanTask.created_at, HumanTask.id)
        ).all()
        for row in rows:
            session.expunge(row)
        return list(rows)


def open_elements(db: Database, key: str) -> list[str]:
    with db.session() as session:
        return sorted(
            session.scalars(
                select(HumanTask.element_id)
                .join(ProcessInstance)
                .where(
                    ProcessInstance.business_key == key,
                    HumanTask.status == TaskStatus.OPEN.value,
                )
            ).all()
        )


# -- the common stretches of the process --------------------------------------------------


def report_with_consent(u: Utrecht) -> tuple[str, str]:
    """Steps 1-2 on Monday 2 March 2026: contact, the tenant allows sharing NAW."""
    instance_id, key = u.start()
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
    return instance_id, key


def invite(u: Utrecht, key: str, known: bool = False) -> None:
    """Steps 3-4: the team checks (Tue 3 March), Portaal invites (Wed 4 March)."""
    u.on("2026-03-03")
    u.do(
        "buurtteam",
        "bekend_controleren",
        key,
        {"al_bekend": known, "betrokken_medewerker": "Fatima Ouali"},
    )
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


def consent_to_talk(u: Utrecht, key: str, given: bool = True) -> None:
    """Step 5, first part, on Thursday 12 March: consent to the conversation."""
    u.on("2026-03-12T10:00")
    data: dict[str, Any] = {"doel_uitgelegd": True, "toestemming_gesprek": given}
    if given:
        data["kanaal_toestemming_gesprek"] = "mondeling"
    u.do("buurtteam", "toestemming_vragen", key, data)


def eligible_intake(u: Utrecht, key: str) -> None:
    """Steps 5-6 on Thursday 12 March: conversation, eligible, agreement signed."""
    consent_to_talk(u, key)
    u.do("buurtteam", "aannamegesprek_voeren", key, dict(INTAKE))
    u.do(
        "buurtteam",
        "beoordelen",
        key,
        {
            "komt_in_aanmerking": True,
            "wil_deelnemen": True,
            "wenst_ondersteuning_buurtteam": False,
            "toelichting_beoordeling": "Voldoet aan de voorwaarden",
        },
    )
    u.do(
        "corporatie",
        "overeenkomst_vastleggen",
        key,
        {"vh_uitgelegd": True, "overeenkomst_getekend": True, "datum_overeenkomst": "2026-03-12"},
    )


def scan_agreement(u: Utrecht, key: str, instance_id: str | None = None) -> int:
    """Step 7, first half: Portaal adds the scanned agreement to the case's documents (the
    upload on the case page stores such a row; the bytes are not needed here). Returns its
    number, which the task then names. `instance_id`: attach it to another case instead."""
    with u.db.transaction() as session:
        row = Document(
            instance_id=instance_id or u.sim.instance(key).id,
            name="overeenkomst-vh-getekend.pdf",
            content_type="application/pdf",
            size=182_311,
            sha256="5c" * 32,
            category="overeenkomst",
            uploaded_by=SCANNER,
            uploaded_at=now(),
        )
        session.add(row)
        session.flush()
        return row.id


def register(u: Utrecht, key: str, request_sent: str) -> None:
    """Steps 7-10a: scan, KRIS file, registrations, and the request to complete the file
    sent on `request_sent` (the clock is moved there)."""
    u.on("2026-03-13")
    scan = scan_agreement(u, key)
    u.do("corporatie", "overeenkomst_scannen", key, {"overeenkomst_scan": str(scan)})
    u.on("2026-03-16")
    u.do("vh_coordinator", "kris_dossier_aanmaken", key, {"kris_nummer": "KRIS-204518"})
    u.on("2026-03-17")
    u.do("corporatie", "verslag_registreren", key, {"verslag_aannamegesprek_in_kris": True})
    u.do(
        "vh_coordinator",
        "kris_registreren",
        key,
        {
            "naw_in_kris": True,
            "ktsd_leefgebieden": ["financien", "wonen"],
            "verslag_afgestemd_met_bewoner": True,
            "buurtteammedewerker": "Fatima Ouali",
        },
    )
    u.on(request_sent)
    u.do("buurtteam", "aanvulverzoek_sturen", key, {"aanvulverzoek_verstuurd_op": request_sent})


FILE_COMPLETION = {
    "naam_corporatie": "Portaal",
    "naam_woonconsulent": "Wim Bakker",
    "huurachterstand": 2300,
    "huurspecificatie": "Kale huur 640, servicekosten 35, huurtoeslag 210",
    "datum_vonnis": "2026-02-20",
}


def start_support(u: Utrecht, key: str, day: str, visit: str) -> None:
    """Steps 11-14 after the file is complete: support, W&I, collection frozen (on `day`),
    home visit with budget management signed (on `visit`)."""
    u.on(day)
    u.do("buurtteam", "ondersteuning_starten", key, {"ondersteuning_gestart_op": day})
    u.do("vh_coordinator", "aanmelden_wi", key, {"aangemeld_bij_wi_op": day})
    u.do("corporatie", "incasso_bevriezen", key, {"incasso_bevroren_op": day})
    u.on(visit)
    u.do(
        "werk_en_inkomen",
        "huisbezoek",
        key,
        {
            "datum_huisbezoek": visit,
            "budgetbeheer_getekend": True,
            "startdatum_budgetbeheer": visit,
        },
    )


BUDGET_DATA = {
    "inkomen_partner": 0,
    "inkomen_meerderjarige_kinderen": 0,
    "voorzieningen_op_orde": True,
    "administratie_op_orde": False,
    "beslag": "Geen",
    "zelfstandigheid": "budgetbeheer blijft voorlopig nodig",
}


def talk(u: Utrecht, key: str, day: str) -> None:
    """Step 16: the team member holds and reports this quarter's progress talk."""
    u.on(day)
    u.do(
        "buurtteam",
        "voortgangsgesprek",
        key,
        {
            "datum_voortgangsgesprek": day,
            "aanwezig_voortgangsgesprek": ["huurder", "buurtteammedewerker", "trajectbegeleider"],
            "huur_op_tijd_betaald": True,
            "afbetaling_volgens_afspraak": True,
            "verslag_voortgangsgesprek": "Huur op tijd betaald, aflossing loopt",
        },
    )


def close(u: Utrecht, key: str, day: str) -> None:
    """Steps 18-19: the coordinator closes the KRIS file, Portaal sends the closing letter."""
    u.on(day)
    u.do("vh_coordinator", "kris_dossier_sluiten", key, {"kris_dossier_gesloten_op": day})
    u.do("corporatie", "dossier_sluiten_brief", key, {"afsluitende_brief_verstuurd_op": day})
