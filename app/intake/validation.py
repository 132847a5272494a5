"""Checking one incoming signal against its process's catalogue (each value by the rule of
its type, app/catalogue/values.py, which every other door uses too).

Every problem names the field and says what is wrong; rejected values themselves are never
echoed back into logs or error reports (they may be personal data).
"""

from __future__ import annotations

import re
from typing import Any

from app.catalogue import Catalogue
from app.catalogue.values import FieldProblem, bsn_valid, clean

__all__ = ["FieldProblem", "bsn_valid", "clean", "validate"]


def validate(
    catalogue: Catalogue, row: dict[str, Any], reference_pattern: str | None = None
) -> tuple[dict[str, Any], list[tuple[str, str]]]:
    """(clean values, [(field, problem)]) for one signal."""
    errors: list[tuple[str, str]] = []
    values: dict[str, Any] = {}
    allowed = catalogue.signal.get("velden", [])
    for name in row:
        if name not in allowed:
            errors.append((name, "is geen veld van deze melding"))
    for name in allowed:
        try:
            value = clean(catalogue.fields[name], row.get(name))
        except FieldProblem as problem:
            errors.append((name, str(problem)))
            continue
        if value is None:
            if name in catalogue.signal.get("verplicht", []):
                errors.append((name, "ontbreekt"))
            continue
        values[name] = value
    reference = values.get("referentie")
    if (
        reference is not None
        and reference_pattern
        and not re.fullmatch(reference_pattern, str(reference))
    ):
        errors.append(("referentie", "heeft niet het formaat van deze partner"))
    return values, errors
