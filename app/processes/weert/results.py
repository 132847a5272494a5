"""Weert's results for the periodic review with the covenant partners, from the cases of
process `weert_vroegsignalering`.

Raadsvoorstel, "Uitvoering/evaluatie": "Werkwijze en resultaten zullen periodiek met de
convenantpartners worden besproken. Het convenant zal na verloop van één jaar worden
geëvalueerd." (convenant art. 18.1: the municipality takes the initiative). The figures follow
the stroomschema: signals per corporation (stap 2), priority for families with minor children
(art. 4.1), the option of the return overview (stap 4), the four outcomes of stap 5 (with the
reasons for not approaching), the tenants' objections (art. 10.3 at the corporation, art. 10.4
against AMW), authorisations for withholding rent (art. 10.5), and how often the return overview
was late (before the 10th) and escalated.

A case counts in the month of its overview (`overzichtsmaand`, YYYY-MM), so a period is a range
of months as the partners see their overviews. Only counts leave this module: no name, address
or reference of a tenant.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.cases.listing import cases_with_party
from app.engine.models import InstanceStatus, ProcessInstance, Timer

PROCESS = "weert_vroegsignalering"
OPTIONS = {
    "gemeente": "uitgenodigd door gemeente",
    "amw": "uitgenodigd door AMW",
    "niet": "niet uitgenodigd",
}
OUTCOMES = {
    "gesprek_gemeente": "uitkering: gesprek gemeente (en huur ingehouden met machtiging)",
    "ondersteuning_amw": "geen uitkering: benaderd en ondersteund door AMW",
    "doorverwezen_sdv": "AMW -> schuldregeling: reguliere aanmelding SDV",
    "niet_benaderd": "niet benaderd",
}
REASONS = {
    "lopend_traject_sdv": "lopend traject bij schulddienstverlening",
    "geen_contact_corporatie": "geen contact (corporatie)",
    "vertrokken": "vertrokken",
    "betaald": "betaald",
    "anders": "andere reden",
    "bezwaar_amw": "bezwaar tegen AMW (art. 10.4)",
    "bezwaar_melding": "bezwaar tegen de melding (art. 10.3)",
    "geen_contact_gemeente": "geen contact (gemeente)",
    "geen_contact_amw": "geen contact (AMW)",
}
# Timers whose firing is a fact of the review: the term of the return overview (stap 4) and
# its escalation.
LATE_TIMER = "retouroverzicht_termijn"
ESCALATION_TIMER = "retouroverzicht_escalatie"


@dataclass
class Resultaten:
    gemeente: str
    van: str | None  # first overview month (YYYY-MM), None: from the start
    tot: str | None  # last overview month, None: up to now
    signalen_per_corporatie: dict[str, int] = field(default_factory=dict)
    voorrang_minderjarigen: int = 0
    opties: dict[str, int] = field(default_factory=dict)
    uitkomsten: dict[str, int] = field(default_factory=dict)
    redenen_niet_benaderd: dict[str, int] = field(default_factory=dict)
    nog_lopend: int = 0
    bezwaar_melding: int = 0
    bezwaar_melding_gegrond: int = 0
    bezwaar_amw: int = 0
    machtiging_gegeven: int = 0
    machtiging_geweigerd: int = 0
    retouroverzicht_te_laat: int = 0
    retouroverzicht_geescaleerd: int = 0

    @property
    def signalen(self) -> int:
        return sum(self.signalen_per_corporatie.values())

    def regels(self) -> list[tuple[str, int]]:
        """The figures as labelled lines in the order of the stroomschema."""
        lines: list[tuple[str, int]] = [("Signalen van de corporaties (stap 2)", self.signalen)]
        lines += [(f"  {name}", n) for name, n in sorted(self.signalen_per_corporatie.items())]
        lines.append(
            ("Gezinnen met minderjarige kinderen (voorrang, art. 4.1)", self.voorrang_minderjarigen)
        )
        lines.append(("Optie in het retouroverzicht (stap 4)", sum(self.opties.values())))
        lines += [(f"  {label}", self.opties.get(k, 0)) for k, label in OPTIONS.items()]
        lines.append(("Afgerond (stap 5)", sum(self.uitkomsten.values())))
        lines += [(f"  {label}", self.uitkomsten.get(k, 0)) for k, label in OUTCOMES.items()]
        lines += [
            (f"    reden: {REASONS.get(k, k)}", n)
            for k, n in sorted(self.redenen_niet_benaderd.items())
        ]
        lines.append(("Nog lopend", self.nog_lopend))
        lines.append(
            ("Bezwaar tegen de melding bij de corporatie (art. 10.3)", self.bezwaar_melding)
        )
        lines.append(("  gegrond: niet verrijkt en niet uitgenodigd", self.bezwaar_melding_gegrond))
        lines.append(("Bezwaar tegen inschakeling AMW (art. 10.4)", self.bezwaar_amw))
        lines.append(("Machtiging voor inhouding gegeven (art. 10.5)", self.machtiging_gegeven))
        lines.append(("Machtiging voor inhouding geweigerd (art. 10.5)", self.machtiging_geweigerd))
        lines.append(("Retouroverzicht na de termijn (vóór de 10e)", self.retouroverzicht_te_laat))
        lines.append(("  daarvan geëscaleerd", self.retouroverzicht_geescaleerd))
        return lines


def _fired(session: Session, gemeente: str, element: str) -> set[str]:
    """The municipality's cases in which the timer `element` fired."""
    return set(
        session.scalars(
            select(func.distinct(Timer.instance_id))
            .join(ProcessInstance, ProcessInstance.id == Timer.instance_id)
            .where(
                ProcessInstance.definition_key == PROCESS,
                ProcessInstance.municipality == gemeente,
                Timer.element_id == element,
                Timer.fired_at.is_not(None),
            )
        )
    )


def resultaten(
    session: Session, gemeente: str = "weert", van: str | None = None, tot: str | None = None
) -> Resultaten:
    """The figures of one municipality's cases whose overview month lies in [van, tot] (both
    YYYY-MM and inclusive; None: open). Cancelled cases do not count."""
    result = Resultaten(gemeente, van, tot)
    rows = cases_with_party(
        session,
        PROCESS,
        gemeente,
        "corporatie",
        ProcessInstance.id,
        ProcessInstance.status,
        ProcessInstance.data,
    )
    corporations: Counter[str] = Counter()
    options: Counter[str] = Counter()
    outcomes: Counter[str] = Counter()
    reasons: Counter[str] = Counter()
    counted: set[str] = set()
    for instance_id, status, data, corporation in rows:
        data = dict(data or {})
        month = str(data.get("overzichtsmaand") or "")
        if (van and month < van) or (tot and month > tot):
            continue
        counted.add(instance_id)
        corporations[corporation or "onbekend"] += 1
        if data.get("voorrang_minderjarigen"):
            result.voorrang_minderjarigen += 1
        if data.get("optie") in OPTIONS:
            options[str(data["optie"])] += 1
        if status == InstanceStatus.COMPLETED.value and data.get("uitkomst"):
            outcomes[str(data["uitkomst"])] += 1
            if data["uitkomst"] == "niet_benaderd":
                reasons[str(data.get("reden_niet_benaderd"))] += 1
        elif status not in InstanceStatus.ended():
            result.nog_lopend += 1
        if data.get("bezwaar_melding") is True:
            result.bezwaar_melding += 1
            result.bezwaar_melding_gegrond += data.get("bezwaar_gegrond") is True
        if data.get("bezwaar_amw_ontvangen_op"):
            result.bezwaar_amw += 1
        if data.get("machtiging_inhouding") is True:
            result.machtiging_gegeven += 1
        elif data.get("machtiging_inhouding") is False:
            result.machtiging_geweigerd += 1
    result.signalen_per_corporatie = dict(corporations)
    result.opties = dict(options)
    result.uitkomsten = dict(outcomes)
    result.redenen_niet_benaderd = dict(reasons)
    result.retouroverzicht_te_laat = len(counted & _fired(session, gemeente, LATE_TIMER))
    result.retouroverzicht_geescaleerd = len(counted & _fired(session, gemeente, ESCALATION_TIMER))
    return result
