"""Process packages: what one municipality's processes add to Stroom beyond their files.

A process is files (diagram and catalogue in `bpmn/`, forms in `forms/`, handlers in
`handlers/`). What a covenant needs beyond that — pages, API routes, commands, menu items, a
simulation generator, demo data — lives in a package `app/processes/<key>/` whose
`__init__.py` declares it:

    PACKAGE = ProcessPackage(
        title="Zandvoort",
        pages=".views:bp",                  # Flask blueprint (templates beside it)
        api=".api:blp",                     # flask-smorest blueprint, under /api/v1
        cli=".cli:group",                   # click command or group: `stroom zandvoort …`
        menu=".views:menu_items",           # principal -> [(url, label)]
        demo=".demo:load",                  # (db, settings) -> lines, for `stroom demo`
        generators={"zandvoort_proces": ".simulation:Generator"},
    )

References are "module:attribute", relative to the package, and are imported only when the
app is assembled (app/web.py, app/api.py, app/cli.py, app/demo.py), so nothing generic names
a municipality. Packages are found like handlers are: every sub-package of `app.processes`,
plus those in the folders `STROOM_PROCESS_PATHS` names (`use_paths`).
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import app.processes as _namespace


@dataclass(frozen=True)
class ProcessPackage:
    title: str
    pages: str | None = None
    api: str | None = None
    cli: str | None = None
    menu: str | None = None
    demo: str | None = None
    generators: Mapping[str, str] = field(default_factory=dict)
    # Last version's top-level command names that now live in `cli` (kept for one version).
    cli_renamed: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Installed:
    """A package found on the path: its key (the folder name) and what it declares."""

    key: str
    module: str
    package: ProcessPackage

    def resolve(self, reference: str) -> Any:
        name, _, attribute = reference.partition(":")
        module = importlib.import_module(name, self.module) if name.startswith(".") else None
        module = module or importlib.import_module(name)
        return getattr(module, attribute)

    def get(self, what: str) -> Any:
        reference = getattr(self.package, what)
        return None if reference is None else self.resolve(reference)


def use_paths(paths: Iterable[Path]) -> None:
    """Also look for packages in these folders (installation-specific processes)."""
    added = False
    for path in paths:
        folder = str(Path(path).resolve())
        if folder not in _namespace.__path__:
            _namespace.__path__.append(folder)
            added = True
    if added:
        installed.cache_clear()


@cache
def installed() -> tuple[Installed, ...]:
    found = []
    for info in sorted(pkgutil.iter_modules(_namespace.__path__), key=lambda i: i.name):
        if not info.ispkg or info.name.startswith("_"):
            continue
        module = f"{_namespace.__name__}.{info.name}"
        package = getattr(importlib.import_module(module), "PACKAGE", None)
        if not isinstance(package, ProcessPackage):
            raise RuntimeError(f"{module} declareert geen PACKAGE = ProcessPackage(...)")
        found.append(Installed(info.name, module, package))
    return tuple(found)


def offered(what: str) -> list[tuple[Installed, Any]]:
    """Each package's `what` (pages, api, cli, menu, demo), resolved, where it offers one."""
    return [(p, p.get(what)) for p in installed() if getattr(p.package, what) is not None]


def generators() -> dict[str, Callable[..., Any]]:
    return {
        kind: p.resolve(reference)
        for p in installed()
        for kind, reference in p.package.generators.items()
    }
