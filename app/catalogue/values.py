"""One value of a catalogue field, checked against the field's type: the rule every door uses.

Signals (API, CSV/XLSX, the page, the command line), task forms, messages and repairs of
incidents all come through `clean`, so a value is refused with the same Dutch problem
wherever it enters: numbers within their range (the field's `min`/`max`, else the type's),
dates neither impossibly far back nor far ahead, postcodes, phone numbers, BSNs, choices
from the field's options. Rejected values are never echoed back (they may be personal data).
"""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

from app import clock
from app.catalogue.model import Field
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
# Far above any amount or count a case holds; below it a float keeps cents exact, and no
# "1e999999" makes int() build a number of a million digits.
MAX_NUMBER = Decimal(10) ** 15
# The range of a number type when the field names none: counts and amounts in these
# processes are never negative, a count above ten thousand or an amount above ten million
# euro is a typing error (a field may set its own `min`/`max`, e.g. months in arrears).
TYPE_RANGES: dict[str, tuple[Decimal, Decimal]] = {
    "getal": (Decimal(0), Decimal(10_000)),
    "bedrag": (Decimal(0), Decimal(10_000_000)),
}
# A date of a living person or of a running case: not before anyone now alive was born, and
# not further ahead than any term these covenants know (a debt arrangement runs three years).
MAX_YEARS_BACK = 130
MAX_YEARS_AHEAD = 10


class FieldProblem(Exception):
    pass


def bsn_valid(value: str) -> bool:
    if not re.fullmatch(r"\d{9}", value):
        return False
    total = sum(int(d) * w for d, w in zip(value[:8], range(9, 1, -1), strict=True))
    return (total - int(value[8])) % 11 == 0


def bounds(field: Field) -> tuple[Decimal, Decimal] | None:
    """The range of a number field: its own `min`/`max`, else its type's."""
    if field.type not in TYPE_RANGES:
        return None
    low, high = TYPE_RANGES[field.type]
    return (
        Decimal(str(field.minimum)) if field.minimum is not None else low,
        Decimal(str(field.maximum)) if field.maximum is not None else high,
    )


def clean(field: Field, raw: Any) -> Any:
    """The value as the case stores it (None for nothing), or FieldProblem with a Dutch
    reason."""
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
        low, high = bounds(field) or (None, None)
        if low is not None and value < low:
            raise FieldProblem(
                "mag niet negatief zijn" if low == 0 else f"moet minstens {_plain(low)} zijn"
            )
        if high is not None and value > high:
            raise FieldProblem(f"is te groot (hoogstens {_plain(high)})")
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
    if kind == "tijdstip":
        return _moment(field, raw)
    if kind == "keuze":
        if str(raw) not in field.options:
            raise FieldProblem(f"moet een van {', '.join(field.options)} zijn")
        return str(raw)
    if kind in ("lijst", "object"):
        return raw  # structure: the form or the handler that writes it checks its parts
    text = str(raw)
    if len(text) > (field.max_length or DEFAULT_MAX):
        raise FieldProblem(f"is langer dan {field.max_length or DEFAULT_MAX} tekens")
    return _formatted(field, text)


def _plain(value: Decimal) -> str:
    return f"{value:,.0f}".replace(",", ".") if value == value.to_integral_value() else str(value)


def _number(raw: Any) -> Decimal:
    if isinstance(raw, bool):
        raise FieldProblem("is geen getal")
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
    _in_range(field, value)
    return value


def _moment(field: Field, raw: Any) -> str:
    if isinstance(raw, datetime):
        moment = raw
    else:
        try:
            moment = datetime.fromisoformat(str(raw).replace("Z", "+00:00"))
        except ValueError as exc:
            raise FieldProblem("is geen tijdstip (verwacht JJJJ-MM-DDTUU:MM met tijdzone)") from exc
    if moment.tzinfo is None:
        raise FieldProblem("heeft geen tijdzone (zoals +01:00)")
    _in_range(field, moment.date())
    return moment.isoformat()


def _in_range(field: Field, value: date) -> None:
    today = clock.local(clock.now()).date()
    if field.format == "datum_verleden" and value > today:
        raise FieldProblem("ligt in de toekomst")
    if field.format == "datum_toekomst" and value < today:
        raise FieldProblem("ligt in het verleden")
    if value < today - timedelta(days=365 * MAX_YEARS_BACK + 32):
        raise FieldProblem(f"ligt meer dan {MAX_YEARS_BACK} jaar terug")
    if value > today + timedelta(days=365 * MAX_YEARS_AHEAD + 2):
        raise FieldProblem(f"ligt meer dan {MAX_YEARS_AHEAD} jaar vooruit")


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


def check_values(fields: dict[str, Field], values: dict[str, Any]) -> dict[str, str]:
    """{name: problem} for the catalogued fields among `values` (others are not judged
    here: the write rules refuse them)."""
    problems: dict[str, str] = {}
    for name, value in values.items():
        field = fields.get(name)
        if field is None or value is None:
            continue
        if field.type == "tekst" and field.format is None:
            continue  # free text: the form's own length rules; a note may start with "-"
        try:
            clean(field, value)
        except FieldProblem as exc:
            problems[name] = str(exc)
    return problems
