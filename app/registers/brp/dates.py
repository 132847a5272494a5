"""BRP dates (the spec's polymorphic `AbstractDatum`) and ages on a reference date.

A BRP date is an object with a `type`: `Datum` (full date in `datum`), `JaarMaandDatum`
(`jaar`, `maand`), `JaarDatum` (`jaar`) or `DatumOnbekend`; all carry `langFormaat`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from app import clock

MAANDEN = (
    "januari februari maart april mei juni juli augustus september oktober november december"
).split()


@dataclass(frozen=True)
class BrpDatum:
    type: str
    datum: date | None = None
    jaar: int | None = None
    maand: int | None = None

    @classmethod
    def parse(cls, value: Any) -> BrpDatum | None:
        """The spec's date object; None when absent or not understood."""
        if not isinstance(value, dict):
            return None
        kind = value.get("type")
        try:
            if kind == "Datum":
                full = date.fromisoformat(str(value["datum"]))
                return cls(kind, full, full.year, full.month)
            if kind == "JaarMaandDatum":
                return cls(kind, None, int(value["jaar"]), int(value["maand"]))
            if kind == "JaarDatum":
                return cls(kind, None, int(value["jaar"]))
            if kind == "DatumOnbekend":
                return cls(kind)
        except (KeyError, TypeError, ValueError):
            return None
        return None

    @classmethod
    def from_text(cls, text: str | None) -> BrpDatum:
        """Test data notation: '1981-04-12', '1990-07' (day unknown), '1990', or None."""
        if not text:
            return cls("DatumOnbekend")
        parts = text.split("-")
        if len(parts) == 3:
            full = date.fromisoformat(text)
            return cls("Datum", full, full.year, full.month)
        if len(parts) == 2:
            return cls("JaarMaandDatum", None, int(parts[0]), int(parts[1]))
        return cls("JaarDatum", None, int(parts[0]))

    def as_json(self) -> dict[str, Any]:
        """The date as the BRP API delivers it."""
        if self.type == "Datum" and self.datum is not None:
            d = self.datum
            return {
                "type": "Datum",
                "datum": d.isoformat(),
                "langFormaat": f"{d.day} {MAANDEN[d.month - 1]} {d.year}",
            }
        if self.type == "JaarMaandDatum":
            return {
                "type": "JaarMaandDatum",
                "jaar": self.jaar,
                "maand": self.maand,
                "langFormaat": f"{MAANDEN[(self.maand or 1) - 1]} {self.jaar}",
            }
        if self.type == "JaarDatum":
            return {"type": "JaarDatum", "jaar": self.jaar, "langFormaat": str(self.jaar)}
        return {"type": "DatumOnbekend", "onbekend": True, "langFormaat": "onbekend"}


def leeftijd_op(geboorte: BrpDatum | None, peildatum: date) -> int | None:
    """Age in whole years on `peildatum`; None when the birth date does not determine it.

    Someone born on 29 February turns a year older on 1 March in a common year (as the BRP API
    computes `leeftijd`). With only year and month known the age is certain except in the
    birth month itself; with only the year it is never certain.
    """
    if geboorte is None:
        return None
    if geboorte.datum is not None:
        born = geboorte.datum
        before_birthday = (peildatum.month, peildatum.day) < (born.month, born.day)
        age = peildatum.year - born.year - (1 if before_birthday else 0)
        return age if age >= 0 else None
    if geboorte.jaar is not None and geboorte.maand is not None:
        if peildatum.month == geboorte.maand:
            return None
        age = peildatum.year - geboorte.jaar - (1 if peildatum.month < geboorte.maand else 0)
        return age if age >= 0 else None
    return None


def peildatum() -> date:
    """Today as people in the Netherlands read it, from the application's clock."""
    return clock.local(clock.now()).date()
