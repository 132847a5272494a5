"""Helpers for the scenario tests of the Haarlem Convenant Preventie huisuitzettingen.

Tenants are FICTIONAL people of the embedded registers (app/registers/data/testpersonen.json);
their ages hold on the dates the tests use (2026).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import select

from app import clock as app_clock
from app.auth.models import Organisation
from app.auth.principal import Principal
from app.cases.models import Document
from app.clock import AMSTERDAM, local
from app.db import Database
from app.engine.models import HumanTask, ProcessInstance, TaskStatus, Timer, WaitStatus
from app.privacy import access
from app.simulation.runner import Simulation
from tests.support import coverage, orgs
from tests.support.engine import deploy_process

KEY = "haarlem_preventie"
GEMEENTE = "haarlem"
SECRET = "test-geheim-haarlem"
ROOT = Path(__file__).resolve().parent.parent.parent
TEAMS = {
    "corporatie": "elan-wonen",
    "wijkteam": "haarlem-swt",
    "wijkteam_leiding": "haarlem-swt-leiding",
    "sdv": "haarlem-sdv",
    "troubleshooter": "haarlem-troubleshooter",
}
KINDS = {
    "elan-wonen": "woningcorporatie",
    "ymere": "woningcorporatie",
    "haarlem-swt": "wijkteam",
    "haarlem-swt-leiding": "wijkteam",
    "haarlem-sdv": "gemeente",
    "haarlem-troubleshooter": "gemeente",
}

# Bijlage 2 §1: what the corporation reports (and, per §6, sees back).
MELDING = {
    "referentie",
    "naam",
    "geboortedatum",
    "straat",
    "huisnummer",
    "toevoeging",
    "postcode",
    "woonplaats",
    "telefoon",
    "aantal_bewoners",
    "datum_achterstand",
    "maanden_achterstand",
}
# Bijlage 2 §6: the feedback to the corporation (besides its own identifying data).
TERUGKOPPELING = {
    "contact_gelegd",
    "in_behandeling",
    "incasso_hervatten",
    "datum_hervatting_betaling",
}

# Fictional tenants of the embedded BRP (A01, A02, A03, A04, A05, A13, A15).
HUURDERS: dict[str, dict[str, Any]] = {
    "jansen": {  # A01: two minors at home
        "naam": "P.J. Jansen",
        "geboortedatum": "1981-04-12",
        "straat": "Fluitekruidlaan",
        "huisnummer": "12",
        "postcode": "9999 XA",
        "aantal_bewoners": 5,
    },
    "bakker": {  # A02: living alone, 67
        "naam": "H. Bakker",
        "geboortedatum": "1958-08-21",
        "straat": "Hoogstraat",
        "huisnummer": "3",
        "toevoeging": "B",
        "postcode": "9999 XB",
        "aantal_bewoners": 1,
    },
    "el_amrani": {  # A03: young couple, no priority group
        "naam": "Y. El Amrani",
        "geboortedatum": "1997-02-11",
        "straat": "Hoogstraat",
        "huisnummer": "3",
        "postcode": "9999 XB",
        "aantal_bewoners": 2,
    },
    "haddou": {  # A04: single mother, two minors, known to the Sociaal Wijkteam (STAPP)
        "naam": "S. Haddou",
        "geboortedatum": "1990-05-14",
        "straat": "Kievitstraat",
        "huisnummer": "8",
        "postcode": "9999 XC",
        "aantal_bewoners": 3,
    },
    "tesfamariam": {  # A05: residence permit (asylum), three minors
        "naam": "H. Tesfamariam",
        "geboortedatum": "1992-03-15",
        "straat": "Lindelaan",
        "huisnummer": "41",
        "toevoeging": "2",
        "postcode": "9999 XE",
        "aantal_bewoners": 5,
    },
    "wilgenpad": {  # A13: nobody registered at the address
        "naam": "K. de Wit",
        "geboortedatum": "1970-01-01",
        "straat": "Wilgenpad",
        "huisnummer": "14",
        "postcode": "9999 XM",
        "aantal_bewoners": 1,
    },
    "hoekstra": {  # A15: father with a son of 15; known to STAPP and debt services
        "naam": "D. Hoekstra",
        "geboortedatum": "1984-12-12",
        "straat": "Tulpstraat",
        "huisnummer": "6",
        "postcode": "9999 XP",
        "aantal_bewoners": 2,
    },
}


def at(text: str) -> datetime:
    """An Amsterdam wall-clock moment; a bare date means 09:00."""
    return datetime.fromisoformat(text if "T" in text else f"{text}T09:00").replace(
        tzinfo=AMSTERDAM
    )


def local_iso(moment: datetime | None) -> str | None:
    """A stored (UTC) moment as Amsterdam ISO text, to compare with literals."""
    return None if moment is None else local(moment).isoformat()


@dataclass
class Haarlem:
    db: Database
    settings: Any
    sim: Simulation
    readers: dict[str, Principal] = field(default_factory=dict)

    # -- cases ---------------------------------------------------------------------------------

    def melding(self, huurder: str, referentie: str, **extra: Any) -> dict[str, Any]:
        """The corporation's registration: bijlage 2 §1 plus the planned bailiff date."""
        data = {
            "referentie": referentie,
            "woonplaats": "Teststad",
            "telefoon": "0612345678",
            "datum_achterstand": "2026-01-01",
            "maanden_achterstand": 1,
            **HUURDERS[huurder],
        }
        data.update(extra)
        return data

    def start(self, key: str, huurder: str, **extra: Any) -> str:
        return self.sim.start(
            KEY,
            key,
            self.melding(huurder, f"ELAN-{key}", **extra),
            actor="user:elan-wonen",
            parties=dict(TEAMS),
            municipality=GEMEENTE,
        )

    def task(self, element: str, key: str) -> HumanTask:
        return self.sim.open_task(element, key)

    def open_tasks(self, key: str) -> list[str]:
        with self.db.session() as session:
            return sorted(
                session.scalars(
                    select(HumanTask.element_id)
                    .join(ProcessInstance)
                    .where(
                        ProcessInstance.business_key == key,
                        HumanTask.status == TaskStatus.OPEN.value,
                    )
                )
            )

    def do(self, party: str, element: str, key: str, data: dict[str, Any] | None = None) -> None:
        """Complete the open task `element` as `party`, after checking it is that party's work:
        in the inbox of exactly the team that plays the party in this case."""
        task = self.task(element, key)
        assert task.party == party, (element, task.party)
        assert task.candidate_groups == [TEAMS[party]], (element, task.candidate_groups)
        self.sim.complete(element, key, data or {}, actor=f"user:{TEAMS[party]}")

    def message(
        self, name: str, key: str, data: dict[str, Any] | None = None, actor: str = "elan-wonen"
    ) -> None:
        self.sim.message(name, key, data or {}, actor=f"user:{actor}")

    def document(self, key: str, name: str = "toestemming-ondertekend.pdf") -> int:
        """A signed form among the case's documents (uploaded by the team); its number."""
        with self.db.transaction() as session:
            row = Document(
                instance_id=self.sim.instance(key).id,
                name=name,
                content_type="application/pdf",
                size=2048,
                sha256="ab" * 32,
                category="toestemming",
                uploaded_by=f"user:{TEAMS['wijkteam']}",
                uploaded_at=app_clock.now(),
            )
            session.add(row)
            session.flush()
            return row.id

    def setting(self, name: str, value: Any) -> None:
        """Haarlem's own value of a term of the covenant (as `stroom settings set` does)."""
        from app.cases import settings as process_settings
        from app.catalogue.parser import load

        catalogue = load(ROOT / "bpmn" / f"{KEY}.catalogus.yaml")
        with self.db.transaction() as session:
            process_settings.set_value(
                session, catalogue, KEY, GEMEENTE, name, value, "user:beheerder"
            )

    def on(self, moment: str) -> None:
        self.sim.advance_to(at(moment))

    # -- what there is to see --------------------------------------------------------------------

    def data(self, key: str) -> dict[str, Any]:
        return dict(self.sim.instance(key).data or {})

    def phase(self, key: str) -> str | None:
        return self.sim.instance(key).phase

    def status(self, key: str) -> str:
        return self.sim.instance(key).status

    def sees(self, party: str, key: str) -> set[str]:
        """The case fields a person of the party's organisation is shown."""
        return set(self.view(party, key))

    def view(self, party: str, key: str) -> dict[str, Any]:
        instance_id = self.sim.instance(key).id
        with self.db.session() as session:
            return access.read_case(
                self.db, session, self.readers[party], instance_id, "test", SECRET
            ).fields

    def timers(self, key: str) -> dict[str, str | None]:
        """Waiting timers of the case: element -> due moment (Amsterdam ISO)."""
        with self.db.session() as session:
            rows = session.execute(
                select(Timer.element_id, Timer.due_at)
                .join(ProcessInstance, ProcessInstance.id == Timer.instance_id)
                .where(
                    ProcessInstance.business_key == key,
                    Timer.status == WaitStatus.WAITING.value,
                )
            ).all()
        return {element: local_iso(due) for element, due in rows}

    def record(self) -> None:
        coverage.record(self.db, KEY)

    # -- paths used by several scenarios -----------------------------------------------------------

    def vroeg_gemeld(self, key: str, huurder: str, **extra: Any) -> None:
        """Registration and an early report with the tenant's consent (art. 3.2)."""
        self.start(key, huurder, **extra)
        self.do(
            "corporatie",
            "huurder_benaderen",
            key,
            {
                "contact_wijze_corporatie": "huisbezoek",
                "huurder_geinformeerd": True,
                "inschatting_corporatie": "meer_dan_huurachterstand",
                "signalen_corporatie": "Buren melden overlast; huurder lijkt het overzicht kwijt",
                "toestemming_melding": True,
                "deurwaarderdatum": "2026-06-01",
            },
        )

    def in_behandeling(self, key: str, **contact: Any) -> None:
        """Contact and feedback for an early report: taken up; collection suspended."""
        self.do(
            "wijkteam",
            "contact_opnemen_vroeg",
            key,
            {
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
                "toestemming_inhoud_delen": False,
                **contact,
            },
        )
        self.do("corporatie", "incasso_opschorten", key, {"incasso_opgeschort": True})

    def niet_in_behandeling(self, key: str) -> None:
        """Contact for an early report: the tenant wants no support; the case waits."""
        self.do(
            "wijkteam",
            "contact_opnemen_vroeg",
            key,
            {
                "contact_gelegd": True,
                "wijze_contact": "aanbellen",
                "in_behandeling": "nee",
                "reden_niet_in_behandeling": "wil_geen_hulp",
                "alleen_huurschuld": True,
                "toestemming_overdracht": False,
                "eindresultaat": "Inwoner regelt het zelf/hoeft geen hulp vanuit vroegsignalering",
                "incasso_hervatten": True,
                "toestemming_inhoud_delen": False,
            },
        )

    def bemiddeling(self, key: str, uitkomst: str = "geen_regeling") -> None:
        """Art. 2.3b: the case stalls towards an eviction; the troubleshooter mediates."""
        data: dict[str, Any] = {"uitkomst_troubleshooter": uitkomst}
        if uitkomst == "regeling":
            data["afspraken_troubleshooter"] = "Achterstand in 10 maanden; huur via budgetbeheer"
        self.do("troubleshooter", "troubleshooter_bemiddelen", key, data)

    def ontruiming(self, key: str, datum: str, afloop: str, reden: str = "huurschuld") -> None:
        """The eviction date becomes known; the troubleshooter does not succeed; the outcome."""
        self.message("ontruimingsdatum_bekend", key, {"ontruimingsdatum": datum})
        self.do(
            "troubleshooter",
            "troubleshooter_actie",
            key,
            {"uitkomst_troubleshooter": "geen_regeling"},
        )
        data: dict[str, Any] = {"afloop_ontruiming": afloop}
        if afloop != "niet_ontruimd":
            data["reden_ontruiming"] = reden
        self.do("corporatie", "ontruiming_vastleggen", key, data)

    def voorstel(self, key: str, uitkomst: str) -> None:
        data: dict[str, Any] = {
            "inventarisatie_schulden": "Huurachterstand en energie; inkomen uit loon",
            "uitkomst_voorstel": uitkomst,
            "datum_hervatting_lopende_huur": "2026-04-01",
        }
        if uitkomst == "regeling":
            data.update(aflossing_per_maand=75.0, datum_start_aflossing="2026-05-01")
        self.do("sdv", "voorstel_opstellen", key, data)

    def minnelijk(self, key: str, looptijd: int = 36, akkoord: bool = True) -> None:
        self.do(
            "sdv",
            "minnelijk_traject_starten",
            key,
            {
                "aanbod_percentage": 40,
                "looptijd_maanden": looptijd,
                "budgetbeheer_of_bewind": False,
            },
        )
        self.do("corporatie", "aanbod_beoordelen", key, {"akkoord_aanbod": akkoord})


def setup(db: Database, settings: Any, clock: Any) -> Haarlem:
    """Deploy, make the organisations of the covenant (each team in an organisation of its
    own, plus Ymere as a corporation outside these cases) and readers for every party."""
    deploy_process(db, KEY)
    for team, kind in KINDS.items():
        orgs.organisation(db, team, kind, municipality=GEMEENTE)
    clock.set(at("2026-03-02"))
    sim = Simulation(db, settings, clock)
    readers = {}
    with db.session() as session:
        ids = dict(session.execute(select(Organisation.key, Organisation.id)).all())
    for party, team in {**TEAMS, "andere_corporatie": "ymere"}.items():
        readers[party] = Principal(
            "user",
            None,
            f"{team}.medewerker",
            organisation_id=ids[team],
            organisation_key=team,
            municipality=GEMEENTE,
            roles=frozenset({"behandelaar"}),
            groups=frozenset({team}),
        )
    h = Haarlem(db, settings, sim, readers)
    # The tests' Sociaal Wijkteam has more people waiting than it can take on, so it may
    # prioritise with the BRP (bijlage 2 §4); a test of the other case sets it back.
    h.setting("wachtlijst_boven_capaciteit", True)
    return h
