"""From BRP answers to the facts a process needs: a person's age and address, and the
household registered at an address.

"Minor children living in" is computed from ALL residents registered at the address and their
ages on the reference date (the application's clock, Europe/Amsterdam), never from the
person's `kinderen`: those are legal children wherever they live.

Household type (`huishouden`), from the residents at the address and the person's partner:
  onbekend                  nobody registered at the address (or no address)
  alleenstaand              one resident
  met partner               the person's current partner lives there, no minors
  met partner en kinderen   the person's current partner lives there, and minors
  eenoudergezin             one adult (18+ or age unknown) and one or more minors
  overig                    anything else: several adults without a partner relation
                            (house-sharers, parent with adult child, three generations ...)
A partner is the current spouse or registered partner (`partners` without a dissolution
date); people living together unmarried are not partners in the BRP and count as "overig".
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from app.registers.brp.dates import BrpDatum, leeftijd_op
from app.registers.brp.protocol import (
    BEWONER_FIELDS,
    HUISHOUDEN_PERSOON_FIELDS,
    PERSOON_FIELDS,
    BrpRegister,
    raadpleeg_met_bsn,
    zoek_met_adresseerbaar_object,
    zoek_met_postcode_en_huisnummer,
)
from app.registers.errors import RegisterError
from app.registers.validation import Adres

MEERDERJARIG = 18
SENIOR = 65


@dataclass(frozen=True)
class Persoon:
    """One person as far as these questions need: no names, no more than the fields asked."""

    geboorte: BrpDatum | None
    leeftijd: int | None
    adres: Adres | None
    adresseerbaar_object: str | None
    partners: tuple[str, ...] = ()

    @property
    def geboortedatum(self) -> str | None:
        """ISO date when the birth date is fully known."""
        if self.geboorte is not None and self.geboorte.datum is not None:
            return self.geboorte.datum.isoformat()
        return None


@dataclass(frozen=True)
class Bewoner:
    bsn: str | None
    leeftijd: int | None

    @property
    def minderjarig(self) -> bool:
        return self.leeftijd is not None and self.leeftijd < MEERDERJARIG


@dataclass(frozen=True)
class Huishouden:
    leeftijd: int | None
    aantal_bewoners: int
    minderjarigen: int
    bewoner_65_plus: bool
    huishouden: str
    adres_gevonden: bool

    def as_outputs(self) -> dict[str, Any]:
        return {
            "leeftijd": self.leeftijd,
            "aantal_bewoners": self.aantal_bewoners,
            "minderjarigen": self.minderjarigen,
            "heeft_minderjarigen": self.minderjarigen > 0,
            "bewoner_65_plus": self.bewoner_65_plus,
            "huishouden": self.huishouden,
            "adres_gevonden": self.adres_gevonden,
        }


class BrpService:
    def __init__(self, register: BrpRegister) -> None:
        self.register = register

    def persoon(
        self, bsn: str, peildatum: date, fields: tuple[str, ...] = PERSOON_FIELDS
    ) -> Persoon:
        answer = self.register.personen(raadpleeg_met_bsn([bsn], fields))
        people = answer.get("personen") or []
        if not people:
            # No BSN in the message: incident texts are read by managers.
            raise RegisterError(
                "BRP kent geen (levende) persoon met het opgegeven burgerservicenummer "
                "(invoer 'bsn')"
            )
        return _persoon(people[0], peildatum)

    def bewoners(
        self, peildatum: date, *, adres: Adres | None = None, object_id: str | None = None
    ) -> list[Bewoner]:
        """Everybody registered at the addressable object, or else at the address."""
        if object_id:
            query = zoek_met_adresseerbaar_object(object_id, BEWONER_FIELDS)
        elif adres is not None:
            query = zoek_met_postcode_en_huisnummer(adres, BEWONER_FIELDS)
        else:
            return []
        answer = self.register.personen(query)
        return [
            Bewoner(
                p.get("burgerservicenummer"),
                leeftijd_op(BrpDatum.parse((p.get("geboorte") or {}).get("datum")), peildatum),
            )
            for p in answer.get("personen") or []
            if isinstance(p, dict)
        ]

    def huishouden(self, bsn: str, adres: Adres | None, peildatum: date) -> Huishouden:
        """The household at `adres`, or at the person's own registered address if None.

        When the given postcode and number are the person's own, the search uses the
        addressable object of the registration (exact dwelling, so 3 and 3B differ);
        otherwise it searches postcode and number, which includes every letter and
        addition at that number (as the API does).
        """
        persoon = self.persoon(bsn, peildatum, HUISHOUDEN_PERSOON_FIELDS)
        if adres is None or (persoon.adres is not None and adres.same_number(persoon.adres)):
            residents = self.bewoners(
                peildatum, adres=persoon.adres, object_id=persoon.adresseerbaar_object
            )
        else:
            residents = self.bewoners(peildatum, adres=adres)
        return afleiden(bsn, persoon, residents)


def afleiden(bsn: str, persoon: Persoon, residents: list[Bewoner]) -> Huishouden:
    minors = sum(1 for r in residents if r.minderjarig)
    adults = len(residents) - minors
    present = {r.bsn for r in residents if r.bsn}
    partner_home = any(p in present for p in persoon.partners) and bsn in present
    if not residents:
        kind = "onbekend"
    elif len(residents) == 1:
        kind = "alleenstaand"
    elif partner_home:
        kind = "met partner en kinderen" if minors else "met partner"
    elif adults == 1 and minors:
        kind = "eenoudergezin"
    else:
        kind = "overig"
    return Huishouden(
        leeftijd=persoon.leeftijd,
        aantal_bewoners=len(residents),
        minderjarigen=minors,
        bewoner_65_plus=any(r.leeftijd is not None and r.leeftijd >= SENIOR for r in residents),
        huishouden=kind,
        adres_gevonden=bool(residents),
    )


def _persoon(raw: dict[str, Any], peildatum: date) -> Persoon:
    geboorte = BrpDatum.parse((raw.get("geboorte") or {}).get("datum"))
    plaats = raw.get("verblijfplaats") or {}
    adres: Adres | None = None
    object_id: str | None = None
    if plaats.get("type") == "Adres":
        verblijf = plaats.get("verblijfadres") or {}
        object_id = plaats.get("adresseerbaarObjectIdentificatie") or None
        if verblijf.get("postcode") and verblijf.get("huisnummer"):
            adres = Adres(
                str(verblijf["postcode"]).replace(" ", "").upper(),
                int(verblijf["huisnummer"]),
                verblijf.get("huisletter"),
                verblijf.get("huisnummertoevoeging"),
            )
    partners = tuple(
        str(p["burgerservicenummer"])
        for p in raw.get("partners") or []
        if isinstance(p, dict)
        and p.get("burgerservicenummer")
        and not (p.get("ontbindingHuwelijkPartnerschap") or {}).get("datum")
    )
    return Persoon(geboorte, leeftijd_op(geboorte, peildatum), adres, object_id, partners)
