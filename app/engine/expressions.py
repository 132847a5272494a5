"""How the Camunda 7 dialect's expression strings become Python expressions.

Camunda Modeler writes literals (`P5D`, `2026-03-01T09:00:00+01:00`, `sociaal-wijkteam`) and
JUEL-style `${...}` expressions. We execute Python, so: `${expr}` means the Python expression
`expr`, with the JUEL subset Camunda diagrams use translated (`&&`, `||`, `!`, `null`, `true`,
`false`, `empty x`, `eq ne lt gt le ge div mod`, `c ? a : b`); text with `${...}` inside
(`kermit_${loopCounter}`) is string concatenation, a null part giving the empty string, as in
JUEL. An ISO-8601 literal in a timer stays a literal; anything else in an expression field is
Python already. The translation is what deploy checks and what runs.
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


_JUEL_WORDS = {
    "null": "None",
    "true": "True",
    "false": "False",
    "eq": "==",
    "ne": "!=",
    "lt": "<",
    "gt": ">",
    "le": "<=",
    "ge": ">=",
    "div": "/",
    # JUEL's remainder has the sign of the dividend (Java's), Python's that of the divisor:
    # -7 mod 3 is -1 in Camunda, 2 in Python. `@` has `%`'s precedence and associativity and
    # no other use in an expression; the sandbox computes it as JUEL does (sandbox.juel_mod).
    "mod": "@",
}


def _string_end(text: str, start: int) -> int:
    """The index after the string literal starting at `start`."""
    quote, index = text[start], start + 1
    while index < len(text):
        if text[index] == "\\":
            index += 2
            continue
        if text[index] == quote:
            return index + 1
        index += 1
    return len(text)


def _operand_end(text: str, start: int) -> int:
    """The end of the unary operand at `start`: a name or a parenthesised group, followed by
    any `.name`, `[...]` or `(...)`."""
    index = start
    while index < len(text) and text[index] == " ":
        index += 1
    if index < len(text) and text[index] in "([":
        index = _group_end(text, index)
    else:
        while index < len(text) and (text[index].isalnum() or text[index] == "_"):
            index += 1
    while index < len(text):
        if text[index] == "." and index + 1 < len(text) and text[index + 1].isidentifier():
            index += 1
            while index < len(text) and (text[index].isalnum() or text[index] == "_"):
                index += 1
        elif text[index] in "([":
            index = _group_end(text, index)
        else:
            break
    return index


def _group_end(text: str, start: int) -> int:
    depth, index = 0, start
    while index < len(text):
        char = text[index]
        if char in "'\"":
            index = _string_end(text, index)
            continue
        if char in "([{":
            depth += 1
        elif char in ")]}":
            depth -= 1
            if depth == 0:
                return index + 1
        index += 1
    return len(text)


def _top_level(text: str) -> list[tuple[int, str]]:
    """Positions and characters outside strings and brackets."""
    found, depth, index = [], 0, 0
    while index < len(text):
        char = text[index]
        if char in "'\"":
            index = _string_end(text, index)
            continue
        if char in "([{":
            depth += 1
        elif char in ")]}":
            depth -= 1
        elif depth == 0:
            found.append((index, char))
        index += 1
    return found


def _conditional(expr: str) -> tuple[str, str, str] | None:
    """JUEL's `cond ? a : b` (lowest precedence, right-associative) split in its parts."""
    top = _top_level(expr)
    question = next((i for i, c in top if c == "?"), None)
    if question is None:
        return None
    nested = 0
    for index, char in top:
        if index <= question:
            continue
        if char == "?":
            nested += 1
        elif char == ":":
            if nested == 0:
                return expr[:question], expr[question + 1 : index], expr[index + 1 :]
            nested -= 1
    return None


def juel_to_python(expr: str) -> str:
    """The JUEL subset of Camunda diagrams as Python; Python passes through unchanged."""
    parts = _conditional(expr)
    if parts is not None:
        condition, yes, no = (juel_to_python(part.strip()) for part in parts)
        return f"(({yes}) if ({condition}) else ({no}))"
    out: list[str] = []
    index = 0
    while index < len(expr):
        char = expr[index]
        if char in "'\"":
            end = _string_end(expr, index)
            out.append(expr[index:end])
            index = end
        elif char == "(":  # a group may hold a conditional of its own
            end = _group_end(expr, index)
            out.append(f"({juel_to_python(expr[index + 1 : end - 1].strip())})")
            index = end
        elif expr.startswith("&&", index):
            out.append(" and ")
            index += 2
        elif expr.startswith("||", index):
            out.append(" or ")
            index += 2
        elif char == "!" and not expr.startswith("!=", index):
            out.append(" not ")
            index += 1
        elif char == "%":
            out.append("@")
            index += 1
        elif char.isalpha() or char == "_":
            end = index
            while end < len(expr) and (expr[end].isalnum() or expr[end] == "_"):
                end += 1
            word = expr[index:end]
            attribute = index > 0 and expr[index - 1] == "."
            if not attribute and word == "empty":
                operand_end = _operand_end(expr, end)
                operand = juel_to_python(expr[end:operand_end].strip())
                out.append(f"(({operand}) in (None, '', [], {{}}))")
                index = operand_end
                continue
            out.append(_JUEL_WORDS.get(word, word) if not attribute else word)
            index = end
        else:
            out.append(char)
            index += 1
    return re.sub(r"  +", " ", "".join(out)).strip()


def unwrap(text: str) -> str | None:
    """`${expr}` -> `expr` (JUEL subset translated); anything else -> None."""
    match = _WRAPPED.match(text or "")
    if not match or _parts(text.strip()) is None or len(_parts(text.strip()) or []) != 1:
        return None
    return juel_to_python(match.group(1).strip())


def _parts(text: str) -> list[tuple[bool, str]] | None:
    """Text split into literal and `${...}` parts; None when there is no `${`."""
    if "${" not in text and "#{" not in text:
        return None
    parts: list[tuple[bool, str]] = []
    index, literal = 0, ""
    while index < len(text):
        if text[index] in "$#" and text.startswith("{", index + 1):
            end = _group_end(text, index + 1)
            if literal:
                parts.append((False, literal))
                literal = ""
            parts.append((True, text[index + 2 : end - 1]))
            index = end
        else:
            literal += text[index]
            index += 1
    if literal:
        parts.append((False, literal))
    return parts


def composite(text: str) -> str | None:
    """`kermit_${x}` -> a Python expression concatenating the parts as strings (a null part
    is the empty string, as in JUEL); None when the text has no `${...}`."""
    parts = _parts(text)
    if parts is None:
        return None
    pieces = []
    for is_expression, value in parts:
        if is_expression:
            inner = juel_to_python(value.strip())
            pieces.append(f"('' if ({inner}) is None else str({inner}))")
        else:
            pieces.append(repr(value))
    return " + ".join(pieces)


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
    return composite(value) or value


def value_expression(text: str | None) -> str | None:
    """For attributes that are literal unless wrapped (assignee, candidate groups, inputs)."""
    if text is None:
        return None
    inner = unwrap(text)
    if inner is not None:
        return inner
    return composite(text) or repr(text)


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
    return composite(value) or value
