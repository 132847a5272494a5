"""The operation under way: its trace (for the processing log) and channel and origin (for
the audit log). Set by the web request, the CLI command or the worker's job."""

from __future__ import annotations

import secrets
from contextvars import ContextVar
from dataclasses import dataclass, field


@dataclass
class Operation:
    channel: str  # web, api, cli, worker
    origin: str | None = None  # client IP address, or a description
    trace_id: str = field(default_factory=lambda: secrets.token_hex(16))
    span_id: str = field(default_factory=lambda: secrets.token_hex(8))
    # Log rows waiting for the operation's own transaction to end (see logs.write). On
    # SQLite a second writer cannot start while a request holds the write lock.
    pending: list[tuple[str, dict]] | None = None
    # Small writes of their own (e.g. a token's last use) to run once the operation ends.
    after: list = field(default_factory=list)


_current: ContextVar[Operation | None] = ContextVar("stroom_operation", default=None)


def current() -> Operation:
    operation = _current.get()
    if operation is None:
        operation = Operation(channel="intern")
        _current.set(operation)
    return operation


def begin(
    channel: str, origin: str | None = None, traceparent: str | None = None, deferred: bool = False
) -> Operation:
    """Start an operation; a W3C `traceparent` header continues the caller's trace. With
    `deferred`, log rows are kept until `logs.flush` at the end of the operation."""
    operation = Operation(channel=channel, origin=origin, pending=[] if deferred else None)
    if traceparent:
        parts = traceparent.split("-")
        if len(parts) == 4 and len(parts[1]) == 32 and len(parts[2]) == 16:
            operation.trace_id = parts[1]
    _current.set(operation)
    return operation


def end() -> None:
    _current.set(None)
