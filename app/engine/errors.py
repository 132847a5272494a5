"""Errors the engine raises for callers (CLI, API, UI) to turn into clear answers."""

from __future__ import annotations

from dataclasses import dataclass, field


class EngineError(Exception):
    status = 400
    code = "bad_request"

    def __init__(self, message: str, fields: dict[str, list[str]] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.fields = fields or {}


class NotFound(EngineError):
    status = 404
    code = "not_found"


class Forbidden(EngineError):
    """The caller may see the object but not do this with it."""

    status = 403
    code = "forbidden"


class Conflict(EngineError):
    """Somebody else got there first, or the object is not in a state that allows this."""

    status = 409
    code = "conflict"


class SandboxError(Exception):
    """An expression or script that the sandbox refuses, or that overran its budget; `line`
    is the script's line where it happened, when known."""

    def __init__(self, message: str, line: int | None = None) -> None:
        super().__init__(message)
        self.line = line


class InvalidInput(EngineError):
    status = 422
    code = "invalid_input"


class CaseTooLarge(InvalidInput):
    """A transition would make an instance's stored state larger than the limits allow
    (app/engine/state_limit.py): refused, nothing stored. `detail` names the figures, for the
    incident and the log (the message is for whoever caused the transition)."""

    code = "case_too_large"

    def __init__(self, message: str, detail: str, instance_id: str) -> None:
        super().__init__(message)
        self.detail = detail
        self.instance_id = instance_id


@dataclass
class Problem:
    file: str
    element: str | None
    line: int | None
    message: str

    def __str__(self) -> str:
        where = self.file
        if self.line:
            where += f":{self.line}"
        if self.element:
            where += f" [{self.element}]"
        return f"{where}: {self.message}"


@dataclass
class DeploymentError(Exception):
    problems: list[Problem] = field(default_factory=list)

    def __str__(self) -> str:
        return "\n".join(str(p) for p in self.problems)


def describe_error(exc: BaseException) -> str:
    """The real cause, not SpiffWorkflow's wrapper (which can hide it, see design.md)."""
    parts = [f"{type(exc).__name__}: {exc}"]
    inner = getattr(exc, "exception", None) or exc.__cause__ or exc.__context__
    if inner is not None and inner is not exc:
        parts.append(f"{type(inner).__name__}: {inner}")
    line = getattr(exc, "line_number", None)
    if line:
        parts.append(f"regel {line}: {getattr(exc, 'error_line', '')}".strip())
    return " | ".join(parts)
