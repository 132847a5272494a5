"""Keyset pagination: an opaque cursor holding the sort values of the last row shown."""

from __future__ import annotations

import base64
import json
from typing import Any

from app.engine.errors import InvalidInput
from app.text_rules import json_problems, parse_json


def encode_cursor(values: list[Any]) -> str:
    raw = json.dumps(values, default=str, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str | None, size: int) -> list[Any] | None:
    if not cursor:
        return None
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        values = parse_json(base64.urlsafe_b64decode(padded.encode()))
        wrong = json_problems(values)
    except (ValueError, UnicodeDecodeError) as exc:
        raise InvalidInput("ongeldige cursor", {"cursor": ["is geen geldige cursor"]}) from exc
    if wrong or not isinstance(values, list) or len(values) != size:
        raise InvalidInput("ongeldige cursor", {"cursor": ["is geen geldige cursor"]})
    return values
