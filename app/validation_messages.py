"""marshmallow's and webargs' English validation messages in Dutch, for the API's 422 answers
(app/error_pages.py): the rest of the API speaks Dutch, and so does whoever reads the
message at a partner. Translated where the answer is made, so no schema needs its own
messages and a schema defined before this module was imported is covered too. A message not
listed here (a schema's own, already Dutch) is left as it is."""

from __future__ import annotations

import re
from typing import Any

_FIXED = {
    "Missing data for required field.": "Dit veld is verplicht.",
    "Field may not be null.": "Dit veld mag niet null zijn.",
    "Unknown field.": "Dit veld bestaat niet.",
    "Invalid value.": "Ongeldige waarde.",
    "Invalid input type.": "Ongeldig soort invoer: verwacht een JSON-object.",
    "Not a valid string.": "Geen tekst.",
    "Not a valid integer.": "Geen geheel getal.",
    "Not a valid number.": "Geen getal.",
    "Not a valid decimal.": "Geen getal.",
    "Not a valid boolean.": "Geen ja/nee-waarde (true of false).",
    "Not a valid datetime.": "Geen datum met tijd (ISO 8601: 2026-03-02T09:00:00+01:00).",
    "Not a valid date.": "Geen datum (JJJJ-MM-DD).",
    "Not a valid time.": "Geen tijd (UU:MM:SS).",
    "Not a valid period of time.": "Geen tijdsduur.",
    "Not a valid list.": "Geen lijst.",
    "Not a valid tuple.": "Geen lijst.",
    "Not a valid mapping type.": "Geen object (namen met waarden).",
    "Not a valid UUID.": "Geen UUID.",
    "Not a valid email address.": "Geen e-mailadres.",
    "Not a valid URL.": "Geen URL.",
    "Not a valid IP address.": "Geen IP-adres.",
    "Not a valid utf-8 string.": "Geen geldige UTF-8-tekst.",
    "Invalid type.": "Ongeldig soort waarde.",
    "String does not match expected pattern.": "Heeft niet de verwachte vorm.",
    "Number too large.": "Getal te groot.",
    "Special numeric values (nan or infinity) are not permitted.": (
        "NaN en oneindig zijn geen getallen die hier kunnen."
    ),
}

_PATTERNS = [
    (re.compile(r"Length must be between (.+) and (.+)\."), "Lengte moet tussen {} en {} liggen."),
    (re.compile(r"Length must be (.+)\."), "Lengte moet {} zijn."),
    (re.compile(r"Shorter than minimum length (.+)\."), "Korter dan de minimale lengte {}."),
    (re.compile(r"Longer than maximum length (.+)\."), "Langer dan de maximale lengte {}."),
    (
        re.compile(r"Must be greater than or equal to (.+) and less than or equal to (.+)\."),
        "Moet minstens {} en hoogstens {} zijn.",
    ),
    (
        re.compile(r"Must be greater than (.+) and less than (.+)\."),
        "Moet groter dan {} en kleiner dan {} zijn.",
    ),
    (re.compile(r"Must be greater than or equal to (.+)\."), "Moet minstens {} zijn."),
    (re.compile(r"Must be less than or equal to (.+)\."), "Moet hoogstens {} zijn."),
    (re.compile(r"Must be greater than (.+)\."), "Moet groter dan {} zijn."),
    (re.compile(r"Must be less than (.+)\."), "Moet kleiner dan {} zijn."),
    (re.compile(r"Must be one of: (.*)\."), "Moet een van deze zijn: {}."),
    (re.compile(r"Must be equal to (.+)\."), "Moet {} zijn."),
    (re.compile(r"Not a valid aware datetime\."), "Geen datum met tijd mét tijdzone."),
    (re.compile(r"Not a valid naive datetime\."), "Geen datum met tijd zonder tijdzone."),
]


def dutch(message: str) -> str:
    fixed = _FIXED.get(message)
    if fixed is not None:
        return fixed
    for pattern, text in _PATTERNS:
        match = pattern.fullmatch(message)
        if match:
            return text.format(*match.groups())
    return message


def in_dutch(errors: Any) -> Any:
    """The same nesting of field errors (dicts by field or list index, lists of messages),
    every known message translated."""
    if isinstance(errors, str):
        return dutch(errors)
    if isinstance(errors, dict):
        return {key: in_dutch(value) for key, value in errors.items()}
    if isinstance(errors, list):
        return [in_dutch(value) for value in errors]
    return errors
