"""Debt assistance (schulddienstverlening): is the person already known, with a running
trajectory, and which other debts are registered? Back offices: Stratech / Allegro, STAPP,
municipal SDV systems, KRIS.

Only the embedded register exists; the vendor systems are NOT implemented.
"""

from __future__ import annotations

from pathlib import Path
from typing import Protocol, TypedDict

from app.registers import testdata


class SchuldhulpAntwoord(TypedDict):
    bekend_bij_schuldhulp: bool
    andere_schulden: list[str]
    lopend_traject: bool


class SchuldhulpRegister(Protocol):
    def bekend(self, bsn: str) -> SchuldhulpAntwoord:
        """Whether debt assistance knows the person; `andere_schulden` names creditor kinds."""
        ...


class EmbeddedSchuldhulp:
    def __init__(self, path: Path) -> None:
        self.register = testdata.load(path)

    def bekend(self, bsn: str) -> SchuldhulpAntwoord:
        persoon = self.register.personen.get(bsn)
        dossier = persoon.schuldhulp if persoon else None
        if dossier is None:
            return {"bekend_bij_schuldhulp": False, "andere_schulden": [], "lopend_traject": False}
        return {
            "bekend_bij_schuldhulp": True,
            "andere_schulden": list(dossier.andere_schulden),
            "lopend_traject": dossier.lopend_traject,
        }
