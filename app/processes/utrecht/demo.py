"""Demo data for Utrecht: Voorkom Huisuitzetting (bijlage 3 of the Utrecht covenant).

First its organisations and people (ORGANISATIONS, PEOPLE: Portaal, Mitros, the Buurtteam with
its VH-coordinators and Werk en Inkomen). Binds the Buurtteam, the VH-coordinators and Werk en
Inkomen to their parties in process `utrecht_vh`, gives both corporations an intake route, and
reports six tenants through the real intake, then moves each case on by completing its open
tasks as the system would. Everything is fictional. Idempotent: existing bindings, routes and
demo reports are left alone.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app import clock
from app.auth.models import Group, Organisation
from app.auth.principal import partner_system
from app.cases import documents
from app.cases.service import bind_party
from app.config import Settings
from app.db import Database
from app.demo_data.common import Organisation_, Person, load_people
from app.engine import service
from app.engine.errors import NotFound
from app.engine.models import HumanTask, TaskStatus
from app.intake.models import Signal
from app.intake.service import ensure_route, prepare, receive
from app.tasks.service import complete_for_installation

PROCESS = "utrecht_vh"

# The organisations and people of this demo (made by app/demo_data/common.py load_people).
ORGANISATIONS: list[Organisation_] = [
    ("portaal", "Portaal", "woningcorporatie", "utrecht", []),
    ("mitros", "Mitros", "woningcorporatie", "utrecht", []),
    (
        "buurtteam-utrecht",
        "Buurtteam Utrecht",
        "wijkteam",
        "utrecht",
        [("vh-coordinator", "VH-coördinatoren")],
    ),
    ("utrecht-wi", "Werk en Inkomen Utrecht", "gemeente", "utrecht", []),
]
PEOPLE: list[Person] = [
    ("portaal.wim", "Wim Bakker", "portaal", ("behandelaar",), None),
    ("buurtteam.fatima", "Fatima Ouali", "buurtteam-utrecht", ("behandelaar",), None),
    (
        "buurtteam.karel",
        "Karel de Groot",
        "buurtteam-utrecht",
        ("behandelaar", "teamleider"),
        ["buurtteam-utrecht", "vh-coordinator"],
    ),
    ("wi.joost", "Joost Mulder", "utrecht-wi", ("behandelaar",), None),
]
MUNICIPALITY = "utrecht"
CORPORATIONS = ("portaal", "mitros")
BINDINGS = {
    "buurtteam": "buurtteam-utrecht",
    "vh_coordinator": "vh-coordinator",
    "werk_en_inkomen": "utrecht-wi",
}
ACTOR = "demo"
TODAY = "{vandaag}"  # replaced by today's date (Amsterdam) when the step runs
INTAKE_TIME = "{over_een_week}"  # replaced by 10:00 a week from today
SCAN = "{scan}"  # replaced by the id of the scanned agreement, uploaded into the case first
SCAN_UPLOADER = "user:portaal.wim"
# A one-page PDF standing in for the signed agreement (bijlage 3.3) that Portaal scans.
SCAN_PDF = (
    b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
    b"2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n"
    b"3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 595 842]>>endobj\n"
    b"trailer<</Root 1 0 R>>\n%%EOF\n"
)


def _tenant(reference: str, name: str, street: str, number: str, postcode: str) -> dict[str, Any]:
    return {
        "referentie": reference,
        "naam": name,
        "straat": street,
        "huisnummer": number,
        "postcode": postcode,
        "woonplaats": "Utrecht",
        "vonnis": "vonnis huisuitzetting mogelijk",
    }


INFORMED_WITH_CONSENT = (
    "bewoner_informeren",
    {
        "wijze_informeren": "telefonisch",
        "contact_gelegd": True,
        "toestemming_naw": True,
        "kanaal_toestemming_naw": "mondeling",
    },
)
CHECKED = ("bekend_controleren", {"al_bekend": False, "betrokken_medewerker": "Fatima Ouali"})
INVITED = (
    "uitnodiging_versturen",
    {
        "datum_aannamegesprek": INTAKE_TIME,
        "naam_woonconsulent": "Wim Bakker",
        "uitnodiging_verstuurd_op": TODAY,
    },
)
ELIGIBLE = [
    (
        "toestemming_vragen",
        {
            "doel_uitgelegd": True,
            "toestemming_gesprek": True,
            "kanaal_toestemming_gesprek": "mondeling",
        },
    ),
    (
        "aannamegesprek_voeren",
        {
            "huurverleden_betalingsverleden": "Sinds vorig jaar wisselend betaald",
            "huurverleden_oorzaak_achterstand": "Inkomensterugval na baanverlies",
            "gezin_bewoners": "Huurder en partner",
            "gezin_kinderen": "Twee kinderen",
            "inkomen_huidig": 1450,
            "inkomen_verwacht": "Vanaf volgend kwartaal werk via uitzendbureau",
            "schulden": "Huurachterstand 2.300 euro",
            "motivatie_budgetbeheer": "Wil graag in de woning blijven",
            "gezondheid_fysiek": "Geen bijzonderheden",
        },
    ),
    (
        "beoordelen",
        {"komt_in_aanmerking": True, "wil_deelnemen": True, "wenst_ondersteuning_buurtteam": False},
    ),
    (
        "overeenkomst_vastleggen",
        {"vh_uitgelegd": True, "overeenkomst_getekend": True, "datum_overeenkomst": TODAY},
    ),
    ("overeenkomst_scannen", {"overeenkomst_scan": SCAN}),
    ("kris_dossier_aanmaken", {"kris_nummer": "KRIS-DEMO"}),
    ("verslag_registreren", {"verslag_aannamegesprek_in_kris": True}),
    (
        "kris_registreren",
        {
            "naw_in_kris": True,
            "ktsd_leefgebieden": ["financien", "wonen"],
            "verslag_afgestemd_met_bewoner": True,
            "buurtteammedewerker": "Fatima Ouali",
        },
    ),
    ("aanvulverzoek_sturen", {"aanvulverzoek_verstuurd_op": TODAY}),
]
TRAJECTORY = [
    (
        "dossier_aanvullen",
        {
            "naam_corporatie": "Portaal",
            "naam_woonconsulent": "Wim Bakker",
            "huurachterstand": 2300,
            "huurspecificatie": "Kale huur 640, servicekosten 35, huurtoeslag 210",
            "datum_vonnis": TODAY,
        },
    ),
    ("ondersteuning_starten", {"ondersteuning_gestart_op": TODAY}),
    ("aanmelden_wi", {"aangemeld_bij_wi_op": TODAY}),
    ("incasso_bevriezen", {"incasso_bevroren_op": TODAY}),
    (
        "huisbezoek",
        {
            "datum_huisbezoek": TODAY,
            "budgetbeheer_getekend": True,
            "startdatum_budgetbeheer": TODAY,
        },
    ),
    (
        "budgetbeheer_registreren",
        {
            "inkomen_partner": 0,
            "inkomen_meerderjarige_kinderen": 0,
            "voorzieningen_op_orde": True,
            "administratie_op_orde": False,
            "beslag": "Geen",
            "zelfstandigheid": "budgetbeheer blijft voorlopig nodig",
        },
    ),
]

# (corporation, report, steps): each step completes the case's open task of that element.
CASES: list[tuple[str, dict[str, Any], list[tuple[str, dict[str, Any]]]]] = [
    # 1. Just reported: Portaal is to inform the tenant and ask consent to share NAW.
    ("portaal", _tenant("PORT-DEMO-001", "A. de Groot", "Kanaalstraat", "112", "3531 AB"), []),
    # 2. Consent, team informed and invited: the intake (consent first) is next.
    (
        "mitros",
        _tenant("MITR-DEMO-002", "B. Yilmaz", "Amsterdamsestraatweg", "305", "3551 CE"),
        [INFORMED_WITH_CONSENT, CHECKED, INVITED],
    ),
    # 3. No contact (the team got only the postcode); not eligible, wants team support: the
    #    regular Buurtteam registration took over.
    (
        "portaal",
        _tenant("PORT-DEMO-003", "C. Janssen", "Biltstraat", "77", "3572 AN"),
        [
            ("bewoner_informeren", {"wijze_informeren": "schriftelijk", "contact_gelegd": False}),
            CHECKED,
            INVITED,
            ("toestemming_vragen", {"doel_uitgelegd": True, "toestemming_gesprek": False}),
            (
                "beoordelen",
                {
                    "komt_in_aanmerking": False,
                    "wil_deelnemen": False,
                    "wenst_ondersteuning_buurtteam": True,
                },
            ),
            (
                "dossier_afsluiten_reden",
                {"reden_afsluiting": "geen toestemming voor aannamegesprek"},
            ),
            ("aanmelden_buurtteam", {"regulier_aangemeld_op": TODAY}),
        ],
    ),
    # 4. The tenant refused: the team got nothing.
    (
        "mitros",
        _tenant("MITR-DEMO-004", "D. Bos", "Vleutenseweg", "12", "3532 HD"),
        [
            (
                "bewoner_informeren",
                {
                    "wijze_informeren": "telefonisch",
                    "contact_gelegd": True,
                    "toestemming_naw": False,
                },
            )
        ],
    ),
    # 5. Agreement signed, KRIS file made: Portaal has three days to complete the file.
    (
        "portaal",
        _tenant("PORT-DEMO-005", "E. Mulder", "Oudegracht", "201", "3511 NH"),
        [INFORMED_WITH_CONSENT, CHECKED, INVITED, *ELIGIBLE],
    ),
    # 6. Budget management under way; the first quarterly progress talk comes in 3 months.
    (
        "portaal",
        _tenant("PORT-DEMO-006", "F. Visser", "Croeselaan", "18", "3521 BJ"),
        [INFORMED_WITH_CONSENT, CHECKED, INVITED, *ELIGIBLE, *TRAJECTORY],
    ),
]


def load(db: Database, settings: Settings) -> list[str]:
    lines = load_people(db, ORGANISATIONS, PEOPLE)
    with db.transaction() as session:
        try:
            service.latest_version(session, PROCESS)
        except NotFound:
            return lines + [f"{PROCESS}: niet gedeployed, geen demogegevens voor Utrecht"]
        orgs: dict[str, int] = dict(
            session.execute(
                select(Organisation.key, Organisation.id).where(Organisation.key.in_(CORPORATIONS))
            ).all()
        )
        groups = set(
            session.scalars(select(Group.key).where(Group.key.in_(BINDINGS.values()))).all()
        )
        missing = [k for k in CORPORATIONS if k not in orgs] + [
            g for g in BINDINGS.values() if g not in groups
        ]
        if missing:
            return lines + [f"{PROCESS}: ontbreekt ({', '.join(missing)}); laad eerst common"]
        for party, group_key in BINDINGS.items():
            if bind_party(session, PROCESS, MUNICIPALITY, party, group_key):
                lines.append(f"partijbinding {PROCESS}: {party} -> {group_key}")
        for key in CORPORATIONS:
            if ensure_route(session, orgs[key], MUNICIPALITY, PROCESS):
                lines.append(f"meldroute {key} -> {PROCESS}")
    for corporation, report, steps in CASES:
        org_id = orgs[corporation]
        with db.transaction() as session:
            if session.scalar(
                select(Signal.id).where(
                    Signal.organisation_id == org_id, Signal.reference == report["referentie"]
                )
            ):
                continue
            principal = partner_system(org_id, corporation, MUNICIPALITY)
            intake = prepare(session, principal, settings.secret_key, MUNICIPALITY)
            [result] = receive(session, intake, [(1, report)], "api")
        if result.instance_id is None:
            lines.append(f"melding {report['referentie']}: {result.status}")
            continue
        for element, data in steps:
            _complete(db, result.instance_id, element, data)
        lines.append(f"casus Utrecht VH: melding {report['referentie']} ({len(steps)} stappen)")
    return lines


def _fill(session: Session, instance_id: str, value: Any) -> Any:
    now = clock.local(clock.now())
    if value == SCAN:
        # Step 7: Portaal adds the scan to the case's documents and names it in the task.
        row = documents.store(
            session,
            instance_id,
            "overeenkomst-voorkom-huisuitzetting.pdf",
            "application/pdf",
            SCAN_PDF,
            "overeenkomst",
            SCAN_UPLOADER,
        )
        return str(row.id)
    if value == TODAY:
        return now.date().isoformat()
    if value == INTAKE_TIME:
        day = now.date() + timedelta(days=7)
        return datetime.combine(day, time(10, 0), tzinfo=now.tzinfo).isoformat()
    return value


def _complete(db: Database, instance_id: str, element: str, data: dict[str, Any]) -> None:
    with db.transaction() as session:
        task = session.scalars(
            select(HumanTask).where(
                HumanTask.instance_id == instance_id,
                HumanTask.element_id == element,
                HumanTask.status == TaskStatus.OPEN.value,
            )
        ).one()
        values = {name: _fill(session, instance_id, value) for name, value in data.items()}
        complete_for_installation(session, task.id, values, ACTOR)
