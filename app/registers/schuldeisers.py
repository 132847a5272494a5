"""Creditors' lists: other payment arrears at an address (water company, energy supplier,
health insurer), as fixed-cost creditors report them under the Wgs.

The embedded register reads the test data. The intended production implementation reads the
signals already in Stroom's own signal store (each creditor's signal is one arrear at one
address): it only has to answer `achterstanden` for an address, returning one `Achterstand`
per open signal. `soort` is free to grow ("huur", "telecom", ...); callers treat any soort
other than "huur" as another fixed-cost arrear.
"""

from __future__ import annotations

from pathlib import Path
from typing import Protocol, TypedDict

from app.registers import testdata
from app.registers.validation import Adres


class Achterstand(TypedDict):
    soort: str  # "water" | "energie" | "zorgverzekering" (the signal store may add more)
    bedrag: float  # euros, two decimals
    sinds: str  # ISO date the arrears began
    schuldeiser: str


class AchterstandenAntwoord(TypedDict):
    achterstanden: list[Achterstand]
    aantal: int


class SchuldeisersRegister(Protocol):
    def achterstanden(self, adres: Adres) -> AchterstandenAntwoord:
        """Open arrears at exactly this address (huisletter and toevoeging included)."""
        ...


def same_dwelling(left: Adres, right: Adres) -> bool:
    """Postcode, number, letter and addition equal; letter and addition case-insensitive."""

    def key(a: Adres) -> tuple[str, int, str, str]:
        return (
            a.postcode.replace(" ", "").upper(),
            a.huisnummer,
            (a.huisletter or "").upper(),
            (a.toevoeging or "").upper(),
        )

    return key(left) == key(right)


class EmbeddedSchuldeisers:
    def __init__(self, path: Path) -> None:
        self.register = testdata.load(path)

    def achterstanden(self, adres: Adres) -> AchterstandenAntwoord:
        found: list[Achterstand] = [
            {
                "soort": a.soort,
                "bedrag": round(a.bedrag, 2),
                "sinds": a.sinds,
                "schuldeiser": a.schuldeiser,
            }
            for woning in self.register.woningen.values()
            if same_dwelling(woning.adres, adres)
            for a in woning.achterstanden
        ]
        found.sort(key=lambda a: (a["sinds"], a["soort"]))
        return {"achterstanden": found, "aantal": len(found)}
