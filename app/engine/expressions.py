"""How the Camunda 7 dialect's expression strings become Python expressions.

Camunda Modeler writes literals (`P5D`, `2026-03-01T09:00:00+01:00`, `sociaal-wijkteam`) and
JUEL-style `${...}` expressions. We execute Python, so: `${expr}` means the Python expression
`expr`; an ISO-8601 literal in a timer stays a literal; anything else in an expression field is
Python already.
"""

from __future__ import annotations

import re

_WRAPPED = re.compile(r"^\s*[$#]\{(.*)\}\s*$", re.S)
_ISO_DURATION = re.compile(
    r"^P(?!$)(\d+Y)?(\d+M)?(\d+W)?(\d+D)?(T(?=\d)(\d+H)?(\d+M)?(\d+(\.\d+)?S)?)?$"
)
_ISO_DATETIME = re.compile(
    r"^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d+)?)?)?(Z|[+-]\d{2}:?\d{2})?$"
)
_ISO_CYCLE = re.compile(r"^R\d*/")


def unwrap(text: str) -> str | None:
    """`${expr}` -> `expr`; anything else -> None."""
    match = _WRAPPED.match(text or "")
    return match.group(1).strip() if match else None


def is_iso_literal(text: str) -> bool:
    value = text.strip()
    return bool(_ISO_DURATION.match(value) or _ISO_DATETIME.match(value) or _ISO_CYCLE.match(value))


def timer_expression(text: str) -> str:
    """The Python expression a timer definition stands for."""
    value = (text or "").strip()
    inner = unwrap(value)
    if inner is not None:
        return inner
    if is_iso_literal(value):
        return repr(value)
    return value


def value_expression(text: str | None) -> str | None:
    """For attributes that are literal unless wrapped (assignee, candidate groups, inputs)."""
    if text is None:
        return None
    inner = unwrap(text)
    return inner if inner is not None else repr(text)


def plain_expression(text: str | None) -> str | None:
    """For attributes that are always expressions (conditions, due dates): strip `${}`."""
    if text is None or not text.strip():
        return None
    inner = unwrap(text)
    if inner is not None:
        return inner
    value = text.strip()
    if _ISO_DATETIME.match(value):
        return repr(value)
    return value
