"""Functions that diagrams may call in expressions and scripts.

Domain packages register theirs here (working days, consent, ...). Only functions are exposed,
never modules: the sandbox refuses module objects anywhere (see sandbox.py).
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import Any

_FUNCTIONS: dict[str, Callable[..., Any]] = {}

# Modules that register functions on import; loaded before the first script engine is built.
PROVIDERS: list[str] = [
    "app.calendar.functions",
    "app.privacy.functions",
    "app.cases.settings",
]


def register(name: str | None = None) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    def decorator(func: Callable[..., Any]) -> Callable[..., Any]:
        _FUNCTIONS[name or func.__name__] = func
        return func

    return decorator


def all_functions() -> dict[str, Callable[..., Any]]:
    for module in PROVIDERS:
        importlib.import_module(module)
    return dict(_FUNCTIONS)
