"""The embedded test register: FICTIONAL people in households at fictional addresses.

One JSON file (data/testpersonen.json, or STROOM_REGISTERS_TESTDATA) feeds all embedded
registers: BRP (people, birth dates, partners, children, addresses, residence permits),
benefits, debt assistance and creditors' arrears per address. BSNs lie in RvIG's test range
999990000-999999999 and pass the eleven test; the loader checks both.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

from app.registers.errors import ConfigurationError
from app.registers.validation import Adres, elfproef

TEST_BSN_RANGE = range(999990000, 1000000000)
REGELINGEN = ("Pw", "IOAW", "IOAZ", "Bbz")
SOORTEN = ("water", "energie", "zorgverzekering")


@dataclass(frozen=True)
class Schuldhulp:
    lopend_traject: bool
    andere_schulden: tuple[str, ...] = ()


@dataclass(frozen=True)
class Persoon:
    bsn: str
    voornamen: str
    voorvoegsel: str | None
    geslachtsnaam: str
    geslacht: str
    geboortedatum: str | None  # '1981-04-12', '1990-07' (day unknown), '1990', None
    partner: str | None = None
    kinderen: tuple[str, ...] = ()
    verblijfstitel: str | None = None  # code of the national table 56 (e.g. '26': asylum)
    uitkering: str | None = None
    schuldhulp: Schuldhulp | None = None
    adres_id: str = ""


@dataclass(frozen=True)
class Achterstand:
    soort: str
    bedrag: float
    sinds: str
    schuldeiser: str


@dataclass(frozen=True)
class Woning:
    id: str
    omschrijving: str
    straat: str
    adres: Adres
    woonplaats: str
    adresseerbaar_object: str
    bewoners: tuple[str, ...] = ()
    achterstanden: tuple[Achterstand, ...] = field(default=())


@dataclass(frozen=True)
class TestRegister:
    personen: dict[str, Persoon]
    woningen: dict[str, Woning]

    def woning_van(self, bsn: str) -> Woning | None:
        persoon = self.personen.get(bsn)
        return self.woningen.get(persoon.adres_id) if persoon else None


def _persoon(raw: dict[str, Any], adres_id: str) -> Persoon:
    schuldhulp = raw.get("schuldhulp")
    return Persoon(
        bsn=str(raw["bsn"]),
        voornamen=raw["voornamen"],
        voorvoegsel=raw.get("voorvoegsel"),
        geslachtsnaam=raw["geslachtsnaam"],
        geslacht=raw["geslacht"],
        geboortedatum=raw.get("geboortedatum"),
        partner=raw.get("partner"),
        kinderen=tuple(raw.get("kinderen") or ()),
        verblijfstitel=raw.get("verblijfstitel"),
        uitkering=raw.get("uitkering"),
        schuldhulp=(
            Schuldhulp(bool(schuldhulp["lopend_traject"]), tuple(schuldhulp["andere_schulden"]))
            if schuldhulp is not None
            else None
        ),
        adres_id=adres_id,
    )


def _woning(raw: dict[str, Any]) -> Woning:
    return Woning(
        id=raw["id"],
        omschrijving=raw.get("omschrijving", ""),
        straat=raw["straat"],
        adres=Adres(
            raw["postcode"],
            int(raw["huisnummer"]),
            raw.get("huisletter"),
            raw.get("huisnummertoevoeging"),
        ),
        woonplaats=raw["woonplaats"],
        adresseerbaar_object=raw["adresseerbaarObjectIdentificatie"],
        bewoners=tuple(p["bsn"] for p in raw.get("bewoners", [])),
        achterstanden=tuple(
            Achterstand(a["soort"], float(a["bedrag"]), a["sinds"], a["schuldeiser"])
            for a in raw.get("achterstanden", [])
        ),
    )


def _check(register: TestRegister) -> None:
    for bsn, persoon in register.personen.items():
        if int(bsn) not in TEST_BSN_RANGE or not elfproef(bsn):
            raise ConfigurationError(f"testregister: {bsn} is geen test-BSN met geldige elfproef")
        for other in (persoon.partner, *persoon.kinderen):
            if other and other not in register.personen:
                raise ConfigurationError(f"testregister: {bsn} verwijst naar onbekende {other}")
        if persoon.uitkering not in (None, *REGELINGEN):
            raise ConfigurationError(f"testregister: onbekende regeling {persoon.uitkering}")
    for woning in register.woningen.values():
        for achterstand in woning.achterstanden:
            if achterstand.soort not in SOORTEN:
                raise ConfigurationError(f"testregister: onbekende soort {achterstand.soort}")


@lru_cache(maxsize=4)
def load(path: Path) -> TestRegister:
    try:
        raw = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ConfigurationError(f"testregister {path} niet te lezen: {exc}") from exc
    personen: dict[str, Persoon] = {}
    woningen: dict[str, Woning] = {}
    for item in raw["adressen"]:
        woning = _woning(item)
        woningen[woning.id] = woning
        for p in item.get("bewoners", []):
            if p["bsn"] in personen:
                raise ConfigurationError(f"testregister: BSN {p['bsn']} staat er twee keer in")
            personen[p["bsn"]] = _persoon(p, woning.id)
    register = TestRegister(personen, woningen)
    _check(register)
    return register
