"""Service-task handlers: one module per external system or action.

A handler serves one `camunda:topic`. It declares the inputs it accepts and the outputs it
returns; the worker hands it only those inputs (never the whole case) and refuses outputs it
did not declare. Deployment refuses a diagram whose service task names an unknown topic or an
input the handler does not declare.

    @handler("brp.huishouden", inputs={"bsn": Param("BSN")}, outputs={"minderjarigen": ...})
    def huishouden(inputs: dict, ctx: HandlerContext) -> dict: ...

Raise `HandlerError` for an expected failure (its message becomes the incident text);
any other exception is treated the same way, with its type in the message. Raise
`BpmnError(code, message)` for a business outcome the diagram models (the external-task
pattern's "BPMN error"): it is not retried, and the error boundary event on the service task
whose errorCode matches catches it. A handler declares the codes it may throw (`errors=`);
deploy refuses an error boundary that waits for a code the topic never throws.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Param:
    description: str
    required: bool = True


@dataclass(frozen=True)
class HandlerContext:
    job_id: int
    instance_id: str
    business_key: str | None
    attempt: int
    settings: Any = None


@dataclass
class Handler:
    topic: str
    func: Callable[[dict[str, Any], HandlerContext], dict[str, Any] | None]
    inputs: dict[str, Param] = field(default_factory=dict)
    outputs: dict[str, Param] = field(default_factory=dict)
    description: str = ""
    module: str = ""
    errors: dict[str, str] = field(default_factory=dict)  # BPMN error code -> meaning


class HandlerError(Exception):
    """An expected failure of an external system; retried, then an incident."""


class BpmnError(Exception):
    """A business outcome for the diagram: caught by the service task's error boundary event
    with this errorCode; never retried."""

    def __init__(self, code: str, message: str = "") -> None:
        super().__init__(f"{code}: {message}" if message else code)
        self.code = code
        self.message = message


_HANDLERS: dict[str, Handler] = {}
_loaded = False


def handler(
    topic: str,
    *,
    inputs: dict[str, Param] | None = None,
    outputs: dict[str, Param] | None = None,
    description: str = "",
    errors: dict[str, str] | None = None,
) -> Callable:
    def decorator(func: Callable) -> Callable:
        if topic in _HANDLERS and _HANDLERS[topic].func is not func:
            existing = _HANDLERS[topic].module
            raise RuntimeError(f"topic {topic!r} is already handled by {existing}")
        _HANDLERS[topic] = Handler(
            topic,
            func,
            dict(inputs or {}),
            dict(outputs or {}),
            description or (func.__doc__ or "").strip().split("\n")[0],
            func.__module__,
            dict(errors or {}),
        )
        return func

    return decorator


def unregister(topic: str) -> None:
    _HANDLERS.pop(topic, None)


def load_all() -> dict[str, Handler]:
    """Import every module in this package so their handlers register."""
    global _loaded
    if not _loaded:
        for info in pkgutil.iter_modules(__path__):
            if not info.name.startswith("_"):
                importlib.import_module(f"{__name__}.{info.name}")
        _loaded = True
    return dict(_HANDLERS)


def get(topic: str) -> Handler | None:
    load_all()
    return _HANDLERS.get(topic)
