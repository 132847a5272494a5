"""Which text Stroom accepts from outside, and how it shows text stored before these rules.

Every door (JSON bodies, form fields, query strings, file names, CSV/XLSX cells, the command
line) refuses:

- text that is not valid Unicode: a lone UTF-16 surrogate (JSON's "\\ud83d" decodes into one)
  cannot be encoded as UTF-8, so the page, export or database that meets it fails;
- NUL: no database stores it (PostgreSQL refuses it);
- other control characters (C0 except tab, line feed and carriage return; DEL; C1): they are
  invisible, XML and therefore XLSX cannot hold C0 controls, and C1's CSI acts as a terminal
  escape in command-line output;
- the bidi embedding, override and isolate controls (U+202A-U+202E, U+2066-U+2069): they make
  a name or file name display as something else ("Trojan Source"); the plain direction marks
  U+200E/U+200F and the zero-width joiner of emoji stay allowed;
- the noncharacters U+FFFE and U+FFFF, which XML (XLSX) cannot hold.

JSON from outside is also refused when it nests deeper than MAX_DEPTH or holds a number that
is not finite (NaN, Infinity, or 1e400, which Python reads as infinity).
"""

from __future__ import annotations

import json
import math
import re
from typing import Any

REFUSED = re.compile(
    "[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\ud800-\udfff\ufffe\uffff]"
)
UNENCODABLE = re.compile("[\ud800-\udfff]")
# Far beyond the deepest document the API describes (about five levels) and far below
# Python's recursion limit, so code that walks a value recursively later stays safe.
MAX_DEPTH = 64
# Enough to name what is wrong; a body with a million bad strings gets the first few.
MAX_PROBLEMS = 20
TOO_DEEP = f"de JSON is te diep genest (meer dan {MAX_DEPTH} niveaus)"


def problem(text: str) -> str | None:
    """Why `text` is refused (Dutch, without echoing it), or None when it is acceptable."""
    match = REFUSED.search(text)
    if match is None:
        return None
    char = match.group()
    code = f"U+{ord(char):04X}"
    if char == "\x00":
        return "bevat een NUL-teken; dat is niet toegestaan"
    if "\ud800" <= char <= "\udfff":
        return f"is geen geldige Unicode-tekst (een losse surrogaat, {code})"
    if "\u202a" <= char <= "\u202e" or "\u2066" <= char <= "\u2069":
        return f"bevat een teken dat de schrijfrichting omkeert ({code}); dat is niet toegestaan"
    if char in "\ufffe\uffff":
        return f"bevat een niet-teken ({code}); dat is niet toegestaan"
    return f"bevat een stuurteken ({code}); alleen tab en regeleinde zijn toegestaan"


def shown(text: str) -> str:
    """`text` with every refused character replaced by U+FFFD: safe to echo in a message
    (a refused field name) and to write into XLSX."""
    return REFUSED.sub("\ufffd", text) if REFUSED.search(text) else text


def readable(text: str) -> str:
    """`text` with lone surrogates replaced by U+FFFD, so that it can be encoded as UTF-8:
    for showing text stored before the doors refused it."""
    return UNENCODABLE.sub("\ufffd", text) if UNENCODABLE.search(text) else text


def dutch_number(value: int) -> str:
    """An integer as Dutch writes it in a message: 100.000."""
    return f"{value:,}".replace(",", ".")


def parse_json(data: str | bytes, **kwargs: Any) -> Any:
    """json.loads for input from outside: a ValueError with a Dutch reason when it is not
    JSON, is not UTF-8, or nests so deep that the parser would overflow Python's stack."""
    try:
        return json.loads(data, **kwargs)
    except RecursionError:
        raise ValueError(TOO_DEEP) from None
    except UnicodeDecodeError:
        raise ValueError("de JSON is geen geldige UTF-8") from None
    except json.JSONDecodeError as exc:
        raise ValueError(f"geen geldige JSON (regel {exc.lineno}, kolom {exc.colno})") from None
    except ValueError:  # an integer of more than 4,300 digits
        raise ValueError("geen geldige JSON (een getal met te veel cijfers)") from None


def json_problems(value: Any, where: str = "") -> dict[str, list[str]]:
    """{field path: [problem]} for every refused text (key or value) and every number that
    is not finite in a parsed JSON value, paths like "signalen.0.naam"; at most MAX_PROBLEMS.
    ValueError (TOO_DEEP) when the value nests deeper than MAX_DEPTH. Iterative: it walks
    what the parser could build without overflowing the stack itself."""
    found: dict[str, list[str]] = {}
    stack: list[tuple[Any, str, int]] = [(value, where, 0)]
    while stack:
        item, path, depth = stack.pop()
        if isinstance(item, str):
            reason = problem(item)
            if reason:
                _note(found, path, reason)
        elif isinstance(item, float):
            if not math.isfinite(item):
                _note(found, path, "is geen eindig getal (NaN en Infinity zijn niet toegestaan)")
        elif isinstance(item, (dict, list)):
            if depth >= MAX_DEPTH:
                raise ValueError(TOO_DEEP)
            pairs = item.items() if isinstance(item, dict) else enumerate(item)
            children = []
            for key, child in pairs:
                child_path = _join(path, key)
                if isinstance(key, str):
                    reason = problem(key)
                    if reason:
                        _note(found, child_path, f"de veldnaam {reason}")
                children.append((child, child_path, depth + 1))
            stack.extend(reversed(children))  # report in document order
    return found


def _join(path: str, key: Any) -> str:
    name = shown(str(key))
    return f"{path}.{name}" if path else name


def _note(found: dict[str, list[str]], path: str, reason: str) -> None:
    if len(found) < MAX_PROBLEMS:
        found.setdefault(path or "body", []).append(reason)
