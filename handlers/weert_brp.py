"""Weert: find the tenant's BSN in the BRP from what the corporation may send (art. 12.2).

A corporation's signal carries no BSN: only name, birth date, address, phone and months of
arrears. The covenant says these fields are there "om foutloze aanvulling bij de gemeente te
garanderen" (art. 12.2). So the municipality searches the BRP for the residents of the
dwelling (Haal Centraal `ZoekMetPostcodeEnHuisnummer`, with letter and addition when given)
and takes the one resident born on the signal's birth date. Only `burgerservicenummer` and
`geboorte.datum` are requested (data minimisation); names are not compared, so a married or
misspelt name does not stop the match. No resident, or more than one with that birth date
(twins), gives no BSN: the administration then identifies the tenant by hand.

Works on the configured BRP adapter (the embedded test register or the real API, see
app/registers/README.md).
"""

from __future__ import annotations

from datetime import date
from typing import Any

from app.registers import factory, validation
from app.registers.brp.dates import BrpDatum
from app.registers.brp.protocol import BEWONER_FIELDS, zoek_met_postcode_en_huisnummer
from app.registers.errors import InvalidInput
from handlers import HandlerContext, Param, handler


def _birth_date(value: Any) -> date:
    if validation.is_absent(value):
        raise InvalidInput("geboortedatum", "geboortedatum ontbreekt")
    try:
        return date.fromisoformat(str(value).strip()[:10])
    except ValueError as exc:
        raise InvalidInput("geboortedatum", "geboortedatum moet de vorm JJJJ-MM-DD hebben") from exc


@handler(
    "weert.bsn_zoeken",
    inputs={
        "geboortedatum": Param("geboortedatum van de huurder (JJJJ-MM-DD), uit de melding"),
        "postcode": Param("postcode van de gehuurde woning"),
        "huisnummer": Param("huisnummer van de gehuurde woning"),
        "huisletter": Param("huisletter", required=False),
        "toevoeging": Param("huisnummertoevoeging", required=False),
    },
    outputs={
        "bsn": Param("burgerservicenummer van de huurder, of None als niet eenduidig gevonden"),
        "bsn_gevonden": Param("precies één bewoner van de woning heeft deze geboortedatum"),
    },
)
def bsn_zoeken(inputs: dict[str, Any], ctx: HandlerContext) -> dict[str, Any]:
    """Zoek de huurder in de BRP op adres en geboortedatum (convenant art. 12.2)."""
    born = _birth_date(inputs.get("geboortedatum"))
    adres = validation.adres(inputs)
    answer = factory.brp().personen(zoek_met_postcode_en_huisnummer(adres, BEWONER_FIELDS))
    matches = sorted(
        {
            str(person["burgerservicenummer"])
            for person in answer.get("personen") or []
            if isinstance(person, dict)
            and person.get("burgerservicenummer")
            and _same_day(person, born)
        }
    )
    if len(matches) != 1:
        return {"bsn": None, "bsn_gevonden": False}
    return {"bsn": matches[0], "bsn_gevonden": True}


def _same_day(person: dict[str, Any], born: date) -> bool:
    parsed = BrpDatum.parse((person.get("geboorte") or {}).get("datum"))
    return parsed is not None and parsed.datum == born
