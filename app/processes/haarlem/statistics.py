"""Haarlem, Convenant Preventie huisuitzettingen art. 9.5: the figures the partners keep "for
the cooperation and the result", computed from the cases of process `haarlem_preventie`.

- 9.5.1a  reports the Sociaal Wijkteam received from the corporations (per corporation and per
          kind: art. 3.4 "deurwaarder" or early report under art. 3.2/3.3);
- 9.5.3a  evictions per target group (households with children, 65+, residence-status holders,
          single people, other) and per reason (rent debt, nuisance, other reason);
- 9.5.3b  keys handed in voluntarily;
- 9.5.3c  evictions prevented after a report to the Sociaal Wijkteam.

Only counts leave this module: policy evaluation with data that no longer relate to an
identifiable person (bijlage 1 art. 2.1b). A report counts in the period of its date
(`datum_melding`); an outcome in the period in which its case ended. A case that ended after a
report without an eviction or keys handed in (arrangement, amicable settlement, Wsnp request,
the troubleshooter's arrangement, arrears resolved while waiting for the verdict) counts as
prevented. Evictions solely for a criminal offence fall outside the covenant (art. 1.3) and
criminal data are never processed, so "strafbaar feit" is not a reason here.

Not computed, and shown as such on their own lines (never as 0): 9.5.2a (tenants on the crisis
list of the debt services: that list lives in the SDV back office, not in these cases) and
evictions "vanwege een strafbaar feit" (a criminal-data reason Stroom never processes; the
corporation supplies that total itself).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy.orm import Session

from app.cases.listing import cases_with_party
from app.clock import local
from app.engine.models import InstanceStatus, ProcessInstance

PROCESS = "haarlem_preventie"
DOELGROEPEN = ("met kinderen", "65-plus", "statushouder", "alleenstaand", "overig")
REDENEN = {"huurschuld": "huurschuld", "overlast": "overlast", "andere_reden": "andere reden"}
SOORTEN = {"deurwaarder": "art. 3.4 (voor de deurwaarder)", "vroegsignaal": "art. 3.2/3.3"}
NOT_HELD_CRISIS = (
    "niet in Stroom: de crisislijst staat in de backoffice van de Schulddienstverlening"
)
NOT_HELD_CRIMINAL = (
    "niet in Stroom: strafrechtelijke gegevens worden niet verwerkt; de corporatie levert dit "
    "aantal zelf aan"
)
UITGEZET = "ontruimd"
SLEUTELS = "sleutels_ingeleverd"


@dataclass
class Statistieken:
    gemeente: str
    van: date | None
    tot: date | None
    meldingen: int = 0
    meldingen_per_corporatie: dict[str, int] = field(default_factory=dict)
    meldingen_per_soort: dict[str, int] = field(default_factory=dict)
    huisuitzettingen: int = 0
    huisuitzettingen_per_doelgroep: dict[str, int] = field(default_factory=dict)
    huisuitzettingen_per_reden: dict[str, int] = field(default_factory=dict)
    sleutels_ingeleverd: int = 0
    voorkomen_na_melding: int = 0

    def regels(self) -> list[tuple[str, int | str]]:
        """The figures as labelled lines, in the order of art. 9.5; the two figures Stroom does
        not hold say so on their own line instead of being left out or counted as 0."""
        lines: list[tuple[str, int | str]] = [
            ("9.5.1a meldingen bij het Sociaal Wijkteam via de corporatie", self.meldingen)
        ]
        lines += [(f"  via {name}", n) for name, n in sorted(self.meldingen_per_corporatie.items())]
        lines += [(f"  {SOORTEN[k]}", self.meldingen_per_soort.get(k, 0)) for k in SOORTEN]
        lines.append(
            ("9.5.2a huurders op de crisislijst van de Schulddienstverlening", NOT_HELD_CRISIS)
        )
        lines.append(("9.5.3a huisuitzettingen", self.huisuitzettingen))
        lines += [
            (f"  doelgroep {g}", self.huisuitzettingen_per_doelgroep.get(g, 0)) for g in DOELGROEPEN
        ]
        lines += [
            (f"  reden {label}", self.huisuitzettingen_per_reden.get(label, 0))
            for label in REDENEN.values()
        ]
        lines.append(("  reden vanwege een strafbaar feit", NOT_HELD_CRIMINAL))
        lines.append(("9.5.3b vrijwillig ingeleverde sleutels", self.sleutels_ingeleverd))
        lines.append(("9.5.3c voorkomen huisuitzettingen na melding", self.voorkomen_na_melding))
        return lines


def _within(day: date | None, van: date | None, tot: date | None) -> bool:
    if day is None:
        return False
    return (van is None or day >= van) and (tot is None or day <= tot)


def _date(value: Any) -> date | None:
    try:
        return date.fromisoformat(str(value)[:10]) if value else None
    except ValueError:
        return None


def statistieken(
    session: Session, gemeente: str = "haarlem", van: date | None = None, tot: date | None = None
) -> Statistieken:
    """The art. 9.5 figures of one municipality over [van, tot] (both inclusive; None: open)."""
    result = Statistieken(gemeente, van, tot)
    rows = cases_with_party(session, PROCESS, gemeente, "corporatie", ProcessInstance)
    per_corporation: Counter[str] = Counter()
    per_kind: Counter[str] = Counter()
    per_group: Counter[str] = Counter()
    per_reason: Counter[str] = Counter()
    for instance, corporation in rows:
        data = dict(instance.data or {})
        reported = _date(data.get("datum_melding"))
        if _within(reported, van, tot):
            result.meldingen += 1
            per_corporation[corporation or "onbekend"] += 1
            per_kind[str(data.get("soort_melding") or "deurwaarder")] += 1
        if instance.status != InstanceStatus.COMPLETED.value or instance.ended_at is None:
            continue
        if not _within(local(instance.ended_at).date(), van, tot):
            continue
        outcome = data.get("afloop_ontruiming")
        if outcome == UITGEZET:
            result.huisuitzettingen += 1
            group = data.get("doelgroep")
            per_group[group if group in DOELGROEPEN else "overig"] += 1
            per_reason[REDENEN.get(str(data.get("reden_ontruiming")), "andere reden")] += 1
        elif outcome == SLEUTELS:
            result.sleutels_ingeleverd += 1
        elif reported is not None:
            result.voorkomen_na_melding += 1
    result.meldingen_per_corporatie = dict(per_corporation)
    result.meldingen_per_soort = dict(per_kind)
    result.huisuitzettingen_per_doelgroep = dict(per_group)
    result.huisuitzettingen_per_reden = dict(per_reason)
    return result
