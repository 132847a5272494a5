"""Functions that diagrams may call in expressions and scripts.

Domains register theirs here (working days, consent, settings) when the app is assembled
(app/assembly.py). Only functions are exposed, never modules: the sandbox refuses module
objects anywhere (see sandbox.py).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from app.engine import hooks

_FUNCTIONS: dict[str, Callable[..., Any]] = {}


def register(name: str | None = None) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    def decorator(func: Callable[..., Any]) -> Callable[..., Any]:
        _FUNCTIONS[name or func.__name__] = func
        return func

    return decorator


def all_functions() -> dict[str, Callable[..., Any]]:
    hooks.require()
    return dict(_FUNCTIONS)
