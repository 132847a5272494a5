"""Werkzeug compiles two URL-builder functions for every route of every app it binds (about
3 ms a route). Production builds one app per process; the suite builds one per test, so it
spends a seventh of its time compiling the same hundred routes again. The generated function
depends only on the rule's text, its parsed trace and its defaults, and takes the rule as its
first argument, so one compiled function serves every app. Tests only."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from werkzeug.routing.rules import Rule

_compiled: dict[tuple[Any, ...], Callable[..., tuple[str, str]]] = {}


def install() -> None:
    original = Rule._compile_builder
    if getattr(original, "_stroom_shared", False):
        return

    def shared(self: Rule, append_unknown: bool = True) -> Callable[..., tuple[str, str]]:
        defaults = self.defaults or {}
        key = (
            self.rule,
            self.subdomain,
            self.host,
            self.merge_slashes,
            tuple(self._trace),
            tuple(sorted((str(k), repr(v)) for k, v in defaults.items())),
            tuple(sorted((k, type(c).__name__) for k, c in self._converters.items())),
            append_unknown,
        )
        function = _compiled.get(key)
        if function is None:
            function = _compiled[key] = original(self, append_unknown)
        return function

    shared._stroom_shared = True  # type: ignore[attr-defined]
    Rule._compile_builder = shared  # type: ignore[method-assign]
