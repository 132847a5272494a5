"""The operation under way: its trace (for the processing log) and channel and origin (for
the audit log). Set by the web request, the CLI command or the worker's job."""

from __future__ import annotations

import re
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

# Set in a session's `info` (the web request's write session): its commits carry the
# operation's pending log rows (logs.install), instead of a transaction of their own after it.
LOGS_WITH_COMMIT = "stroom_logs_with_commit"


def running() -> Operation | None:
    """The operation under way, if any (without starting one, unlike `current`)."""
    return _current.get()


def current() -> Operation:
    operation = _current.get()
    if operation is None:
        operation = Operation(channel="intern")
        _current.set(operation)
    return operation


# W3C Trace Context: version, trace id, parent id, flags; lowercase hex, all-zero ids invalid.
# A later version may add fields after the flags.
_TRACEPARENT = re.compile(
    r"(?P<version>(?!ff)[0-9a-f]{2})-(?P<trace>[0-9a-f]{32})-(?P<parent>[0-9a-f]{16})"
    r"-[0-9a-f]{2}(?P<more>-.*)?"
)


def begin(
    channel: str, origin: str | None = None, traceparent: str | None = None, deferred: bool = False
) -> Operation:
    """Start an operation; a W3C `traceparent` header continues the caller's trace. With
    `deferred`, log rows are kept until `logs.flush` at the end of the operation."""
    operation = Operation(channel=channel, origin=origin, pending=[] if deferred else None)
    match = _TRACEPARENT.fullmatch(traceparent.strip()) if traceparent else None
    if (
        match
        and match["trace"] != "0" * 32
        and match["parent"] != "0" * 16
        and not (match["version"] == "00" and match["more"])
    ):
        operation.trace_id = match["trace"]  # anything else starts a trace of our own
    _current.set(operation)
    return operation


def end() -> None:
    _current.set(None)
