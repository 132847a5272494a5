"""Haarlem: find the tenant a corporation reported in the BRP, and the household's residence
status (Convenant Preventie huisuitzettingen, bijlage 2 §3 and §4).

The corporation's report holds no BSN (bijlage 2 §1: name, address, phone, birth date, number
of residents, date and period of the arrears). The Sociaal Wijkteam may use the BRP to
prioritise its waiting list (bijlage 2 §4; art. 3.6: households with minors, 65-plussers,
people with a residence status, people already known to the team), so the tenant is looked up
by address and birth date, and only then by BSN.

Two questions, each asking the BRP for as little as it can (Haal Centraal BRP Personen
Bevragen v2, through `app.registers.factory.brp()`: the embedded test register by default):

1. `ZoekMetPostcodeEnHuisnummer` with `burgerservicenummer` and `geboorte.datum`: the residents
   of the dwelling; the tenant is the one resident born on the reported date (a BRP date
   known only to the month matches on year and month). No match, or more than one, means
   "not found": the team then looks the tenant up by hand, and the case gets the standard
   priority.
2. `RaadpleegMetBurgerservicenummer` with `verblijfstitel.aanduiding` for the residents found:
   the household has a residence status when one of them holds a current residence permit
   (a `verblijfstitel` without an end date in the past).
"""

from __future__ import annotations

from datetime import date
from typing import Any

from app.registers import factory, validation
from app.registers.brp.dates import BrpDatum, peildatum
from app.registers.brp.protocol import raadpleeg_met_bsn, zoek_met_postcode_en_huisnummer
from app.registers.errors import InvalidInput
from handlers import HandlerContext, Param, handler

BEWONER_FIELDS = ("burgerservicenummer", "geboorte.datum")
VERBLIJFSTITEL_FIELDS = ("verblijfstitel.aanduiding", "verblijfstitel.datumEinde")
NIET_GEVONDEN = {"bsn": None, "huurder_in_brp": False, "heeft_verblijfstatus": False}


def _adres(inputs: dict[str, Any]) -> validation.Adres:
    """The reported address; the report's one `toevoeging` field is a house letter when it is
    a single letter (3 B), else a house number addition (41-2)."""
    extra = inputs.get("toevoeging")
    letter = None
    if isinstance(extra, str) and len(extra.strip()) == 1 and extra.strip().isalpha():
        letter, extra = validation.huisletter(extra, "toevoeging"), None
    return validation.Adres(
        validation.postcode(inputs.get("postcode")),
        validation.huisnummer(inputs.get("huisnummer")),
        letter,
        validation.toevoeging(extra),
    )


def _geboortedatum(value: Any) -> date:
    if validation.is_absent(value):
        raise InvalidInput("geboortedatum", "geboortedatum ontbreekt")
    try:
        return date.fromisoformat(str(value).strip())
    except ValueError as exc:
        raise InvalidInput("geboortedatum", "geboortedatum moet de vorm JJJJ-MM-DD hebben") from exc


def _born_on(person: dict[str, Any], day: date) -> bool:
    known = BrpDatum.parse((person.get("geboorte") or {}).get("datum"))
    if known is None:
        return False
    if known.datum is not None:
        return known.datum == day
    if known.jaar != day.year:
        return False
    return known.maand is None or known.maand == day.month


def _current_permit(person: dict[str, Any], today: date) -> bool:
    titel = person.get("verblijfstitel") or {}
    if not (titel.get("aanduiding") or {}).get("code"):
        return False
    einde = BrpDatum.parse(titel.get("datumEinde"))
    return einde is None or einde.datum is None or einde.datum >= today


@handler(
    "haarlem.huurder_brp",
    inputs={
        "postcode": Param("postcode van de gehuurde woning (uit de melding)"),
        "huisnummer": Param("huisnummer van de gehuurde woning"),
        "toevoeging": Param("huisletter of huisnummertoevoeging", required=False),
        "geboortedatum": Param("geboortedatum van de huurder (uit de melding)"),
    },
    outputs={
        "bsn": Param("burgerservicenummer van de huurder (None als niet gevonden)"),
        "huurder_in_brp": Param("precies één bewoner van de woning heeft deze geboortedatum"),
        "heeft_verblijfstatus": Param(
            "een bewoner van de woning heeft een geldige verblijfstitel (statushouder)"
        ),
    },
)
def huurder_brp(inputs: dict[str, Any], ctx: HandlerContext) -> dict[str, Any]:
    """Huurder opzoeken in het BRP op adres en geboortedatum; verblijfstatus van het huishouden."""
    adres = _adres(inputs)
    geboren = _geboortedatum(inputs.get("geboortedatum"))
    brp = factory.brp()
    answer = brp.personen(zoek_met_postcode_en_huisnummer(adres, BEWONER_FIELDS))
    residents = [p for p in answer.get("personen") or [] if isinstance(p, dict)]
    tenants = [p for p in residents if _born_on(p, geboren)]
    if len(tenants) != 1 or not tenants[0].get("burgerservicenummer"):
        return dict(NIET_GEVONDEN)
    bsns = [str(p["burgerservicenummer"]) for p in residents if p.get("burgerservicenummer")]
    titles = brp.personen(raadpleeg_met_bsn(bsns, VERBLIJFSTITEL_FIELDS))
    today = peildatum()
    return {
        "bsn": str(tenants[0]["burgerservicenummer"]),
        "huurder_in_brp": True,
        "heeft_verblijfstatus": any(
            _current_permit(p, today) for p in titles.get("personen") or [] if isinstance(p, dict)
        ),
    }
