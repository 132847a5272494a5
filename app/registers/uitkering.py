"""Benefits (Werk en Inkomen; Civision / Suite4Sociaal Domein): does the resident receive a
Pw, IOAW, IOAZ or Bbz benefit?

Only the embedded register exists. The vendor API is NOT implemented: an implementation
must answer exactly this interface (and be registered in `factory.py`).
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal, Protocol, TypedDict, cast

from app.registers import testdata

Regeling = Literal["Pw", "IOAW", "IOAZ", "Bbz"]


class UitkeringAntwoord(TypedDict):
    heeft_uitkering: bool
    regeling: Regeling | None


class UitkeringRegister(Protocol):
    def uitkering(self, bsn: str) -> UitkeringAntwoord:
        """The current benefit of the person; someone unknown has none."""
        ...


class EmbeddedUitkering:
    def __init__(self, path: Path) -> None:
        self.register = testdata.load(path)

    def uitkering(self, bsn: str) -> UitkeringAntwoord:
        persoon = self.register.personen.get(bsn)
        regeling = cast(Regeling | None, persoon.uitkering if persoon else None)
        return {"heeft_uitkering": regeling is not None, "regeling": regeling}
