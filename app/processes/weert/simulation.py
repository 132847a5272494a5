"""The simulation generator of Weert: monthly overviews of the corporations, signals that arrive
on their own, month after month, for `stroom simulate`.

A scenario names them under `generatoren:`; `install(sim, spec)` hooks each into the
simulation. A generator is a hook with a `next_due(sim)`, so moving the clock stops at the
moments it has work (a monthly overview, a return overview to send), like timers and jobs.

    generatoren:
      - soort: weert_vroegsignalering
        signalen_tot: 2026-12-31          # the last monthly overview comes before this day
        rapport_op: 2027-02-15T17:00      # print the year's figures at this moment
        huishoudens: 380                  # fictional households of the simulated register
        corporaties:                      # signals per monthly overview (bijlage 1)
          wonen-limburg: {naam: Wonen Limburg, signalen: 250}
          st-joseph: {naam: Woningstichting St. Joseph, signalen: 5}
        retouroverzicht: {kans_te_laat: 0.1, werkdagen_te_laat: 2}
        bezwaar_amw: 0.03                 # share of AMW tenants who object (art. 10.4)
        niet_in_brp: 0.03                 # signals for people the BRP does not know there
        typfout_geboortedatum: 0.02       # signals the administration identifies by hand

Everything runs through the product: signals through the intake (`app.intake.service`) as the
corporation's partner system, return overviews through `app.processes.weert.service`, tasks
completed by the scenario's rules (`regels:`) or, for tasks without one, by the generator's defaults
(weighted choices). The people are FICTIONAL: the generator writes a register of made-up
households (test BSNs) and points the embedded registers at it for the simulation.
"""

from __future__ import annotations

import atexit
import dataclasses
import json
import os
import tempfile
from collections import Counter
from datetime import date, datetime, time
from pathlib import Path
from typing import Any

import click
from sqlalchemy import select

from app import clock
from app.calendar.atw import default_calendar
from app.clock import AMSTERDAM
from app.engine.models import HumanTask, ProcessInstance, TaskStatus
from app.processes.weert import service as weert
from app.processes.weert.demo import ORGANISATIONS
from app.processes.weert.service import ROUTE_SETTINGS, reporting_day
from app.simulation.durations import parse_moment
from app.simulation.runner import TODAY, Rule, Simulation
from app.tasks.service import complete_for_installation

PROCESS = "weert_vroegsignalering"
# The municipality's teams, as the demo has them (name and kind of each organisation).
WEERT_TEAMS = {
    key: (name, kind)
    for key, name, kind, _municipality, _groups in ORGANISATIONS
    if key in weert.DEFAULT_TEAMS.values()
}
# Default behaviour of the people doing the tasks, when the scenario gives no rule.
WEERT_RULES: list[Rule] = [
    Rule(
        "analyse_selectie",
        "2 werkdagen",
        choices=[
            (92, {}),  # the proposal is followed
            (5, {"optie": "niet", "reden_niet_benaderd": "geen_contact_corporatie"}),
            (3, {"optie": "niet", "reden_niet_benaderd": "betaald"}),
        ],
        process=PROCESS,
        actor="sdv",
    ),
    Rule(
        "gesprek_voeren",
        "8 werkdagen",
        choices=[
            (60, {"gesprek_gevoerd": True, "zrm_afgenomen": True, "vervolg_sdv": "regulier_sdv"}),
            (20, {"gesprek_gevoerd": True, "zrm_afgenomen": True, "vervolg_sdv": "geen_vervolg"}),
            (20, {"gesprek_gevoerd": False}),
        ],
        process=PROCESS,
        actor="sdv",
    ),
    Rule(
        "machtiging_vragen",
        "3 werkdagen",
        choices=[
            (90, {"machtiging_inhouding": True, "bewijs_machtiging_inhouding": "MA-SIM"}),
            (10, {"machtiging_inhouding": False}),
        ],
        process=PROCESS,
        actor="sdv",
    ),
    Rule(
        "huur_inhouden",
        "5 werkdagen",
        choices=[(85, {"huur_inhouding_gestart": True}), (15, {"huur_inhouding_gestart": False})],
        process=PROCESS,
        actor="sdv",
    ),
    Rule(
        "amw_contact_opnemen",
        "7 werkdagen",
        choices=[
            (75, {"amw_contact_gelegd": True, "amw_contactpogingen": 1}),
            (25, {"amw_contact_gelegd": False, "amw_contactpogingen": 3}),
        ],
        process=PROCESS,
        actor="amw",
    ),
    Rule(
        "psychosociale_situatie",
        "15 werkdagen",
        choices=[
            (30, {"schuldregeling_nodig": True, "psychosociale_begeleiding": True}),
            (70, {"schuldregeling_nodig": False, "psychosociale_begeleiding": True}),
        ],
        process=PROCESS,
        actor="amw",
    ),
    Rule(
        "reguliere_aanmelding_sdv",
        "3 werkdagen",
        data={"sdv_registratienummer": "SDV-SIMULATIE", "sdv_aanmelding_datum": TODAY},
        process=PROCESS,
        actor="administratie",
    ),
]

VOORNAMEN = (
    "Anna Bram Chantal Daan Emma Fatima Gerard Hanna Ilse Jeroen Karin Lars Mila Noah Olga "
    "Pieter Rosa Sem Tamara Umut Vera Wouter Yara Zeynep"
).split()
ACHTERNAMEN = (
    "Aerts Beckers Claessen Driessen Engelen Geurts Hendrikx Janssen Kessels Linders Maessen "
    "Nijssen Op den Kamp Peeters Quaedvlieg Raemaekers Smeets Teeuwen Verheijen Willems "
    "Zeelen Bos Yilmaz El Idrissi"
).split(" ")
STRATEN = "Beekstraat Maasdijk Kempenweg Molenakker Ittervoorterweg Graafschap Tungelroy".split()
ANDERE_SCHULDEN = ("Belastingdienst", "DUO", "zorgverzekeraar", "telefoonprovider", "CJIB")


def _test_bsns() -> list[str]:
    """Every BSN in RvIG's test range that passes the eleven test."""
    from app.registers.validation import elfproef

    return [str(n) for n in range(999990000, 1000000000) if elfproef(str(n))]


@dataclasses.dataclass
class _Household:
    address: dict[str, Any]  # straat, huisnummer, postcode, woonplaats
    tenant: dict[str, Any]  # bsn, voorletters, achternaam, geboortedatum
    telefoon: str


class WeertSignals:
    """Monthly overviews of the corporations of Weert through the intake, the return
    overviews before the 10th, objections, identification by hand; a report at the end."""

    def __init__(self, sim: Simulation, spec: dict[str, Any]) -> None:
        self.sim = sim
        self.random = sim.random
        self.municipality = str(spec.get("gemeente", "weert"))
        begin = sim.clock.now()
        self.until = self._day(spec.get("signalen_tot"), default=None) or date(
            begin.year + 1, begin.month, 1
        )
        report = spec.get("rapport_op")
        self.report_at = parse_moment(str(report)) if report else None
        self.households = int(spec.get("huishoudens", 380))
        self.corporations: dict[str, dict[str, Any]] = {
            str(k): dict(v or {})
            for k, v in (
                spec.get("corporaties")
                or {
                    "wonen-limburg": {"naam": "Wonen Limburg", "signalen": 250},
                    "st-joseph": {"naam": "Woningstichting St. Joseph", "signalen": 5},
                }
            ).items()
        }
        retour = dict(spec.get("retouroverzicht") or {})
        self.late_chance = float(retour.get("kans_te_laat", 0.1))
        self.late_days = int(retour.get("werkdagen_te_laat", 2))
        self.objection_chance = float(spec.get("bezwaar_amw", 0.03))
        self.unknown_chance = float(spec.get("niet_in_brp", 0.03))
        self.typo_chance = float(spec.get("typfout_geboortedatum", 0.02))
        self.ready = False
        self.events: list[tuple[datetime, int, str, dict[str, Any]]] = []
        self._seq = 0
        # What the corporations sent: reference -> BSN the administration will find (or None).
        self.identities: dict[str, str | None] = {}
        self.signals: Counter[str] = Counter()
        self.periods: set[str] = set()
        self.overviews: list[dict[str, Any]] = []
        self.objections = 0
        self.reported = False
        self.population: list[_Household] = []
        self.pools: dict[str, list[_Household]] = {}
        self.figures: dict[str, Any] = {}

    # -- hook protocol ------------------------------------------------------------------------

    def next_due(self, sim: Simulation) -> datetime | None:
        if not self.ready:
            return sim.clock.now()
        return self.events[0][0] if self.events else None

    def __call__(self, sim: Simulation) -> None:
        if not self.ready:
            self._set_up()
        now = sim.clock.now()
        while self.events and self.events[0][0] <= now:
            _at, _n, kind, payload = self.events.pop(0)
            getattr(self, f"_on_{kind}")(**payload)

    # -- set-up -------------------------------------------------------------------------------

    def _set_up(self) -> None:
        from app.auth import service as auth
        from app.auth.models import Organisation

        self.ready = True
        with self.sim.db.transaction() as session:
            wanted = {
                k: (v.get("naam", k), "woningcorporatie") for k, v in self.corporations.items()
            }
            for key, (name, kind) in {**WEERT_TEAMS, **wanted}.items():
                if session.scalar(select(Organisation.id).where(Organisation.key == key)) is None:
                    auth.create_organisation(session, key, str(name), kind, self.municipality)
                    auth.create_group(session, key, str(name), key)
            weert.set_up(
                session, corporations=list(self.corporations), municipality=self.municipality
            )
        self._write_register()
        self._share_out()
        # The scenario's own rules (added when play starts) go first; defaults fill the rest.
        covered = {r.element for r in self.sim.rules}
        self.sim.rules.extend(r for r in WEERT_RULES if r.element not in covered)
        self._schedule_months()
        if self.report_at is not None:
            self._add(self.report_at, "report", {})

    def _write_register(self) -> None:
        """A register of FICTIONAL households for the embedded BRP, benefits, debt assistance
        and creditors' lists, for this simulation only."""
        from app.registers import factory

        bsns = iter(_test_bsns())
        rnd = self.random
        addresses = []
        for n in range(self.households):
            street = STRATEN[n % len(STRATEN)]
            number = 1 + n // len(STRATEN)
            postcode = f"9998 {chr(65 + (n // 26) % 26)}{chr(65 + n % 26)}"
            tenant_bsn = next(bsns)
            surname = ACHTERNAMEN[rnd.randrange(len(ACHTERNAMEN))]
            born = date(rnd.randint(1950, 2002), rnd.randint(1, 12), rnd.randint(1, 28))
            benefit = rnd.choices([None, "Pw", "IOAW", "Bbz"], [65, 30, 3, 2])[0]
            debt = None
            if rnd.random() < 0.15:
                debt = {
                    "lopend_traject": rnd.random() < 0.4,
                    "andere_schulden": rnd.sample(ANDERE_SCHULDEN, rnd.randint(0, 2)),
                }
            people = [
                {
                    "bsn": tenant_bsn,
                    "voornamen": VOORNAMEN[rnd.randrange(len(VOORNAMEN))],
                    "voorvoegsel": None,
                    "geslachtsnaam": surname,
                    "geslacht": rnd.choice("MV"),
                    "geboortedatum": born.isoformat(),
                    "partner": None,
                    "kinderen": [],
                    "verblijfstitel": None,
                    "uitkering": benefit,
                    "schuldhulp": debt,
                }
            ]
            if rnd.random() < 0.4:
                partner = next(bsns)
                people[0]["partner"] = partner
                people.append(
                    {
                        "bsn": partner,
                        "voornamen": VOORNAMEN[rnd.randrange(len(VOORNAMEN))],
                        "voorvoegsel": None,
                        "geslachtsnaam": ACHTERNAMEN[rnd.randrange(len(ACHTERNAMEN))],
                        "geslacht": rnd.choice("MV"),
                        "geboortedatum": date(
                            born.year + rnd.randint(-5, 5), rnd.randint(1, 12), rnd.randint(1, 28)
                        ).isoformat(),
                        "partner": tenant_bsn,
                        "kinderen": [],
                        "verblijfstitel": None,
                        "uitkering": benefit,
                        "schuldhulp": None,
                    }
                )
            if rnd.random() < 0.35:
                for _ in range(rnd.choice([1, 1, 2, 2, 3])):
                    child = next(bsns)
                    people[0]["kinderen"].append(child)
                    people.append(
                        {
                            "bsn": child,
                            "voornamen": VOORNAMEN[rnd.randrange(len(VOORNAMEN))],
                            "voorvoegsel": None,
                            "geslachtsnaam": surname,
                            "geslacht": rnd.choice("MV"),
                            "geboortedatum": date(
                                rnd.randint(2009, 2025), rnd.randint(1, 12), rnd.randint(1, 28)
                            ).isoformat(),
                            "partner": None,
                            "kinderen": [],
                            "verblijfstitel": None,
                            "uitkering": None,
                            "schuldhulp": None,
                        }
                    )
            arrears = [
                {
                    "soort": kind,
                    "bedrag": round(rnd.uniform(40, 900), 2),
                    "sinds": "2025-12-01",
                    "schuldeiser": {
                        "water": "WML",
                        "energie": "Energieleverancier",
                        "zorgverzekering": "Zorgverzekeraar",
                    }[kind],
                }
                for kind in ("water", "energie", "zorgverzekering")
                if rnd.random() < 0.12
            ]
            address = {
                "id": f"S{n:04d}",
                "omschrijving": "gesimuleerd huishouden (fictief)",
                "straat": street,
                "huisnummer": number,
                "huisletter": None,
                "huisnummertoevoeging": None,
                "postcode": postcode.replace(" ", ""),
                "woonplaats": "Weert",
                "adresseerbaarObjectIdentificatie": f"99980100{n:08d}",
                "bewoners": people,
                "achterstanden": arrears,
            }
            addresses.append(address)
            self.population.append(
                _Household(
                    {
                        "straat": street,
                        "huisnummer": str(number),
                        "postcode": postcode,
                        "woonplaats": "Weert",
                    },
                    {
                        "bsn": tenant_bsn,
                        "voorletters": f"{people[0]['voornamen'][0]}.",
                        "achternaam": surname,
                        "geboortedatum": born.isoformat(),
                    },
                    f"06{rnd.randint(10000000, 99999999)}",
                )
            )
        handle, name = tempfile.mkstemp(prefix="stroom-simulatie-", suffix=".json")
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            json.dump(
                {"toelichting": "FICTIEF, alleen voor de simulatie", "adressen": addresses}, out
            )
        atexit.register(lambda: Path(name).unlink(missing_ok=True))
        current = factory.settings()
        factory.reset(
            dataclasses.replace(
                current,
                testdata=Path(name),
                brp_adapter="embedded",
                uitkering_adapter="embedded",
                schuldhulp_adapter="embedded",
                schuldeisers_adapter="embedded",
            )
        )

    def _share_out(self) -> None:
        """Each corporation rents out its own dwellings: the households are divided in
        proportion to the signals (at least 20 each), so two corporations never report the
        same address."""
        total = sum(float(c.get("signalen", 10)) for c in self.corporations.values()) or 1.0
        start = 0
        keys = list(self.corporations)
        for n, corp in enumerate(keys):
            if n == len(keys) - 1:
                size = len(self.population) - start
            else:
                share = float(self.corporations[corp].get("signalen", 10)) / total
                size = max(20, round(len(self.population) * share))
                size = min(size, len(self.population) - start - 20 * (len(keys) - n - 1))
            self.pools[corp] = self.population[start : start + size]
            start += size

    # -- the calendar of the covenant ---------------------------------------------------------

    def _add(self, moment: datetime, kind: str, payload: dict[str, Any]) -> None:
        self._seq += 1
        self.events.append((moment, self._seq, kind, payload))
        self.events.sort(key=lambda e: (e[0], e[1]))

    @staticmethod
    def _day(value: Any, default: date | None) -> date | None:
        if value is None or value == "":
            return default
        if isinstance(value, datetime):
            return value.date()
        if isinstance(value, date):
            return value
        return date.fromisoformat(str(value)[:10])

    def _schedule_months(self) -> None:

        now = self.sim.clock.now()
        year, month = now.astimezone(AMSTERDAM).year, now.astimezone(AMSTERDAM).month
        while True:
            for corp in self.corporations:
                settings = ROUTE_SETTINGS.get(corp, {"melddag": 30})
                day = reporting_day(settings, year, month)
                moment = datetime.combine(day, time(10, 0), AMSTERDAM)
                if day >= self.until:
                    return
                if moment >= now:
                    self._add(moment, "overview", {"corp": corp, "period": f"{year}-{month:02d}"})
            year, month = (year + 1, 1) if month == 12 else (year, month + 1)

    # -- events ---------------------------------------------------------------------------------

    def _on_overview(self, corp: str, period: str) -> None:
        """The corporation's monthly overview (stap 2) through the intake."""
        from app.intake import service as intake

        spec = self.corporations[corp]
        mean = float(spec.get("signalen", 10))
        count = max(0, round(self.random.gauss(mean, mean**0.5)))
        pool = self.pools[corp]
        households = self.random.sample(pool, min(count, len(pool)))
        prefix = weert.REFERENCE_PREFIX.get(corp, corp[:2].upper())
        rows = []
        for n, household in enumerate(households, start=1):
            reference = f"{prefix}-{period}-{n:04d}"
            tenant = dict(household.tenant)
            known: str | None = tenant.pop("bsn")
            roll = self.random.random()
            if roll < self.unknown_chance:
                # Somebody the BRP does not know at this address: nobody can identify them.
                tenant["geboortedatum"] = "1970-01-01"
                tenant["achternaam"] = "Onbekend"
                known = None
            elif roll < self.unknown_chance + self.typo_chance:
                born = date.fromisoformat(tenant["geboortedatum"])
                tenant["geboortedatum"] = born.replace(day=27 if born.day != 27 else 26).isoformat()
            self.identities[reference] = known
            rows.append(
                (
                    n,
                    {
                        "referentie": reference,
                        **tenant,
                        **household.address,
                        "telefoon": household.telefoon,
                        "maanden_achterstand": self.random.choice([2, 2, 2, 3, 3, 4, 5]),
                    },
                )
            )
        with self.sim.db.transaction() as session:
            principal = weert.partner_principal(session, corp)
            prepared = intake.prepare(
                session, principal, self.sim.settings.secret_key, self.municipality
            )
            results = intake.receive(session, prepared, rows, "bestand")
        stored = sum(r.status in ("opgeslagen", "bij_bestaande_casus") for r in results)
        self.signals[corp] += stored
        self.periods.add(period)
        self.sim.note(f"{spec.get('naam', corp)}: maandoverzicht {period}, {stored} signalen")
        # The administration identifies by hand the next working day (stap 3).
        self._add(self._working_day_at(1, 14), "identify", {})
        # The return overview (stap 4): normally on the last working day before the 10th,
        # sometimes a few working days after it.
        deadline = self._return_deadline(period)
        late = self.random.random() < self.late_chance
        send_day = (
            default_calendar().add_working_days(deadline, self.late_days) if late else deadline
        )
        self._add(
            datetime.combine(send_day, time(15, 0), AMSTERDAM),
            "return",
            {"corp": corp, "period": period, "deadline": deadline.isoformat()},
        )

    def _working_day_at(self, days: int, hour: int) -> datetime:
        today = clock.local(self.sim.clock.now()).date()
        return datetime.combine(
            default_calendar().add_working_days(today, days), time(hour, 0), AMSTERDAM
        )

    @staticmethod
    def _return_deadline(period: str) -> date:
        year, month = (int(p) for p in period.split("-"))
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
        return default_calendar().previous_working_day(date(year, month, 10))

    def _on_identify(self) -> None:
        """Open identification tasks: the administration finds the BSN of a birth-date typo,
        not that of somebody the BRP does not know."""
        with self.sim.db.session() as session:
            open_tasks = session.execute(
                select(HumanTask.id, ProcessInstance.data)
                .join(ProcessInstance, ProcessInstance.id == HumanTask.instance_id)
                .where(
                    HumanTask.definition_key == PROCESS,
                    HumanTask.element_id == "huurder_identificeren",
                    HumanTask.status == TaskStatus.OPEN.value,
                )
            ).all()
        for task_id, data in open_tasks:
            known = self.identities.get(str((data or {}).get("referentie")))
            values: dict[str, Any] = (
                {"huurder_geidentificeerd": True, "bsn": known}
                if known
                else {
                    "huurder_geidentificeerd": False,
                    "toelichting_identificatie": "niet gevonden in de BRP",
                }
            )
            with self.sim.db.transaction() as session:
                complete_for_installation(session, task_id, values, "administratie")
        self.sim.settle()

    def _on_return(self, corp: str, period: str, deadline: str) -> None:

        with self.sim.db.session() as session:
            principal = weert.team_principal(session, "weert-administratie", "administratie")
        sent = weert.send_return_overview(
            self.sim.db, principal, corp, period, self.sim.settings.secret_key
        )
        self.overviews.append(
            {
                "corp": corp,
                "period": period,
                "rows": len(sent.rows),
                "late": sent.late,
                "sent": sent.sent_at,
                "deadline": deadline,
            }
        )
        name = self.corporations[corp].get("naam", corp)
        self.sim.note(
            f"retouroverzicht {name} {period}: {len(sent.rows)} huurders"
            + (" (TE LAAT)" if sent.late else "")
        )
        # Art. 10.4: a few tenants announced to AMW object before the list of the 11th.
        for row in sent.rows:
            if row.optie == weert.OPTION_LABELS["amw"] and self.random.random() < (
                self.objection_chance
            ):
                self._add(self._working_day_at(1, 11), "objection", {"key": row.business_key})
        self.sim.settle()

    def _on_objection(self, key: str) -> None:
        from app.engine.errors import EngineError

        with self.sim.db.session() as session:
            principal = weert.team_principal(session, "weert-administratie", "administratie")
        try:
            weert.record_objection(self.sim.db, principal, key)
            self.objections += 1
        except EngineError:
            return  # AMW's list went out already: too late to object
        self.sim.settle()

    # -- the year's figures ---------------------------------------------------------------------

    def _on_report(self) -> None:
        for line in self.report():
            click.echo(line)

    def report(self) -> list[str]:
        from app.processes.weert.results import resultaten

        with self.sim.db.session() as session:
            result = resultaten(session, self.municipality)
        outcomes: Counter[str] = Counter(result.uitkomsten)
        reasons = result.redenen_niet_benaderd
        options = result.opties
        running = result.nog_lopend
        priority = result.voorrang_minderjarigen
        late_cases = result.retouroverzicht_te_laat
        cases = result.signalen  # every signal row of an overview is one case
        total = sum(self.signals.values())
        self.figures = {
            "casussen": cases,
            "signalen": total,
            "uitkomsten": dict(outcomes),
            "redenen_niet_benaderd": dict(reasons),
            "opties": dict(options),
            "nog_lopend": running,
            "retouroverzichten": len(self.overviews),
            "retouroverzichten_te_laat": sum(1 for o in self.overviews if o["late"]),
            "casussen_te_late_terugkoppeling": late_cases,
        }
        names = {k: v.get("naam", k) for k, v in self.corporations.items()}
        lines = [
            "",
            f"== Weert: vroegsignalering huurschulden, {cases} casussen ==",
            "signalen ontvangen: "
            + ", ".join(f"{names[k]} {v}" for k, v in self.signals.items())
            + f" (samen {total}, gemiddeld {total / max(1, self._months()):.0f} per maand)",
            f"gezinnen met minderjarige kinderen (voorrang art. 4.1): {priority}",
            "optie in het retouroverzicht: "
            + ", ".join(
                f"{label} {options.get(k, 0)}"
                for k, label in (
                    ("gemeente", "uitgenodigd door gemeente"),
                    ("amw", "uitgenodigd door AMW"),
                    ("niet", "niet uitgenodigd"),
                )
            ),
            "paden (stap 5):",
            f"  uitkering: gesprek gemeente en huur ingehouden  {outcomes['gesprek_gemeente']}",
            f"  geen uitkering: benaderd door AMW             {outcomes['ondersteuning_amw']}",
            f"  AMW -> schuldregeling: reguliere aanmelding SDV {outcomes['doorverwezen_sdv']}",
            f"  niet benaderd, vastgelegd                     {outcomes['niet_benaderd']}"
            + (
                " (" + ", ".join(f"{k} {v}" for k, v in sorted(reasons.items())) + ")"
                if reasons
                else ""
            ),
            f"  nog lopend                                    {running}",
            f"bezwaren tegen inschakeling AMW (art. 10.4): {self.objections}",
            f"retouroverzichten verstuurd: {len(self.overviews)}, te laat: "
            f"{sum(1 for o in self.overviews if o['late'])}",
        ]
        for o in self.overviews:
            if o["late"]:
                lines.append(
                    f"  te laat: {names[o['corp']]} {o['period']} ({o['rows']} huurders), "
                    f"verstuurd {clock.local(o['sent']):%Y-%m-%d}, uiterlijk {o['deadline']}"
                )
        lines.append(f"casussen met een te late terugkoppeling: {late_cases}")
        return lines

    def _months(self) -> int:
        return len(self.periods)
