"""Errors of the registers.

`RegisterError` is a `HandlerError`, so a handler can let it propagate: the worker retries the
job and finally raises an incident whose text is the (Dutch) message. Messages never contain
the BSN or other personal data of the person looked up: incident texts are shown to managers.
"""

from __future__ import annotations

from typing import Any

from handlers import HandlerError


class RegisterError(HandlerError):
    """A register could not answer (unreachable, refused, or answered an error)."""

    def __init__(
        self, message: str, *, status: int | None = None, problem: dict[str, Any] | None = None
    ) -> None:
        super().__init__(message)
        self.status = status
        self.problem = problem or {}


class InvalidInput(RegisterError):
    """A handler input is missing or malformed; the message names the field."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"ongeldige invoer '{field}': {message}")
        self.field = field


class ConfigurationError(RegisterError):
    """The settings select an unknown adapter or miss a required value."""
