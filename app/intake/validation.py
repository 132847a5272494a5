"""Checking one incoming signal against its process's catalogue.

Every problem names the field and says what is wrong; rejected values themselves are never
echoed back into logs or error reports (they may be personal data).
"""

from __future__ import annotations

import re
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from app import clock
from app.catalogue import Catalogue, Field
from app.text_rules import problem

POSTCODE = re.compile(r"^([1-9][0-9]{3})\s?([A-Za-z]{2})$")
PHONE = re.compile(r"^\+?[0-9][0-9 -]{7,17}$")
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
MONTH = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")
HOUSE_NUMBER = re.compile(r"^[1-9][0-9]{0,4}$")
# A cell a spreadsheet would run as a formula (OWASP "CSV injection").
FORMULA = re.compile(r"^[=@\t\r]|^[+-](?![0-9 ().]*$)")
TRUE = {"ja", "j", "true", "waar", "1", "yes"}
FALSE = {"nee", "n", "false", "onwaar", "0", "no"}
DEFAULT_MAX = 200
# Far above any amount or count a signal holds; below it a float keeps cents exact, and no
# "1e999999" makes int() build a number of a million digits.
MAX_NUMBER = Decimal(10) ** 15


class FieldProblem(Exception):
    pass


def bsn_valid(value: str) -> bool:
    if not re.fullmatch(r"\d{9}", value):
        return False
    total = sum(int(d) * w for d, w in zip(value[:8], range(9, 1, -1), strict=True))
    return (total - int(value[8])) % 11 == 0


def clean(field: Field, raw: Any) -> Any:
    """The value as the case stores it, or FieldProblem with a Dutch reason."""
    if isinstance(raw, str):
        raw = raw.strip()
        if "\ufffd" in raw or any("\udc80" <= ch <= "\udcff" for ch in raw):
            raise FieldProblem("bevat ongeldige tekens (geen UTF-8)")
        reason = problem(raw)
        if reason:
            raise FieldProblem(reason)
        if FORMULA.search(raw):
            raise FieldProblem("begint met een formuleteken (=, +, -, @); niet toegestaan")
    if raw in (None, ""):
        return None
    kind = field.type
    if kind in ("getal", "bedrag"):
        value = _number(raw)
        if kind == "bedrag" and value < 0:
            raise FieldProblem("mag niet negatief zijn")
        return (
            int(value) if value == value.to_integral_value() and kind == "getal" else float(value)
        )
    if kind == "ja_nee":
        if isinstance(raw, bool):
            return raw
        text = str(raw).lower()
        if text in TRUE:
            return True
        if text in FALSE:
            return False
        raise FieldProblem("moet ja of nee zijn")
    if kind == "datum":
        return _date(field, raw).isoformat()
    if kind == "keuze":
        if str(raw) not in field.options:
            raise FieldProblem(f"moet een van {', '.join(field.options)} zijn")
        return str(raw)
    text = str(raw)
    if len(text) > (field.max_length or DEFAULT_MAX):
        raise FieldProblem(f"is langer dan {field.max_length or DEFAULT_MAX} tekens")
    return _formatted(field, text)


def _number(raw: Any) -> Decimal:
    text = str(raw).replace("€", "").replace(" ", "")
    if "," in text and "." in text:
        text = text.replace(".", "").replace(",", ".")  # 1.234,56
    elif "," in text:
        text = text.replace(",", ".")
    try:
        value = Decimal(text)
    except InvalidOperation as exc:
        raise FieldProblem("is geen getal") from exc
    if not value.is_finite():  # NaN, Infinity, or a spreadsheet's 1E999
        raise FieldProblem("is geen getal")
    if value.copy_abs() >= MAX_NUMBER:  # abs() would apply the context and overflow
        raise FieldProblem("is te groot")
    return value


def _date(field: Field, raw: Any) -> date:
    if isinstance(raw, datetime):
        value = raw.date()
    elif isinstance(raw, date):
        value = raw
    else:
        text = str(raw)
        value = None
        for pattern in ("%Y-%m-%d", "%d-%m-%Y", "%d/%m/%Y"):
            try:
                value = datetime.strptime(text, pattern).date()
                break
            except ValueError:
                continue
        if value is None:
            raise FieldProblem("is geen datum (verwacht JJJJ-MM-DD of DD-MM-JJJJ)")
    today = clock.local(clock.now()).date()
    if field.format == "datum_verleden" and value > today:
        raise FieldProblem("ligt in de toekomst")
    if field.format == "datum_toekomst" and value < today:
        raise FieldProblem("ligt in het verleden")
    if value.year < 1900:
        raise FieldProblem("ligt voor 1900")
    return value


def _formatted(field: Field, text: str) -> str:
    fmt = field.format
    if fmt == "postcode":
        match = POSTCODE.match(text)
        if not match:
            raise FieldProblem("is geen geldige postcode (bijv. 1234 AB)")
        return f"{match.group(1)} {match.group(2).upper()}"
    if fmt == "bsn" and not bsn_valid(text):
        raise FieldProblem("is geen geldig BSN (9 cijfers, elfproef)")
    if fmt == "telefoon" and not PHONE.match(text):
        raise FieldProblem("is geen telefoonnummer")
    if fmt == "email" and not EMAIL.match(text):
        raise FieldProblem("is geen e-mailadres")
    if fmt == "maand" and not MONTH.match(text):
        raise FieldProblem("is geen maand (JJJJ-MM)")
    if fmt == "huisnummer" and not HOUSE_NUMBER.match(text):
        raise FieldProblem("is geen huisnummer")
    return text


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
