"""The web interface's foundation: layout, template helpers, security headers, landing page.

`register_ui(app)` is called once by the application factory. Pages of the domains
(`app/tasks/`, `app/cases/`, ...) extend `base.html` and import `_macros.html`; see the
comment at the top of that file for how to use the macros.
"""

from __future__ import annotations

import re
from typing import Any

from flask import Flask, g, request

from app.ui.assets import asset, register_asset_caching
from app.ui.formatting import (
    TERMIJN_LABELS,
    bedrag,
    case_fields,
    datum,
    duur,
    iso,
    names,
    status,
    termijn,
    waarde,
)
from app.ui.security import register_security_headers
from app.ui.views import bp

_NOT_ID = re.compile(r"[^A-Za-z0-9_-]+")

# The browser-tab icon, inline (no request, allowed by the CSP's img-src data:).
STROOM_ICON = (
    "data:image/svg+xml,%3Csvg xmlns='http://www.w3.org/2000/svg' viewBox='0 0 32 32'%3E"
    "%3Crect width='32' height='32' rx='7' fill='%23003e65'/%3E"
    "%3Cpath d='M6 13c3.3-3 6.7-3 10 0s6.7 3 10 0M6 21c3.3-3 6.7-3 10 0s6.7 3 10 0' "
    "fill='none' stroke='%23fff' stroke-width='3' stroke-linecap='round'/%3E%3C/svg%3E"
)


def field_id(name: str) -> str:
    """The HTML id of a form field: 'veld-' plus the name with unusual characters as '-'."""
    return "veld-" + _NOT_ID.sub("-", name).strip("-")


def current_page(url: str) -> str | None:
    """aria-current for a navigation link: "page" on that page, "true" inside its section."""
    path = request.path
    if path == url:
        return "page"
    if url != "/" and path.startswith(url.rstrip("/") + "/"):
        return "true"
    return None


def _known(kind: str) -> dict[str, str]:
    """Names of every process or team of the installation, read once per request."""
    cache = g.setdefault("stroom_names", {})
    if kind not in cache:
        from sqlalchemy import select

        from app.auth.models import Group
        from app.engine.models import ProcessDefinition
        from app.services import db_session

        model = ProcessDefinition if kind == "process" else Group
        cache[kind] = {k: n for k, n in db_session().execute(select(model.key, model.name))}
    return cache[kind]


def process_name(key: str | None) -> str:
    """A process by its name (its diagram's name), not its key."""
    return names([key], _known("process")) if key else ""


def team_names(keys: str | list[str] | tuple[str, ...] | None) -> str:
    """Teams (candidate groups) by their names, ', '-joined."""
    if not keys:
        return ""
    return names([keys] if isinstance(keys, str) else keys, _known("team"))


def combine(first: dict[str, Any], second: Any) -> dict[str, Any]:
    """`first` with the keys of `second` (when it is a mapping) over it."""
    return {**first, **second} if isinstance(second, dict) else dict(first)


def register_ui(app: Flask) -> None:
    """Mount the landing page and give every template the shared helpers. Idempotent."""
    if "ui" in app.blueprints:
        return
    app.register_blueprint(bp)
    app.add_template_global(asset)
    app.add_template_global(termijn)
    app.add_template_global(field_id)
    app.add_template_global(current_page)
    app.add_template_global(TERMIJN_LABELS, "TERMIJN_LABELS")
    app.add_template_global(STROOM_ICON, "STROOM_ICON")
    app.add_template_filter(datum)
    app.add_template_filter(iso, "datum_iso")
    app.add_template_global(case_fields)
    app.add_template_filter(combine)
    app.add_template_filter(bedrag)
    app.add_template_filter(duur)
    app.add_template_filter(waarde)
    app.add_template_filter(status)
    app.add_template_filter(process_name, "proces")
    app.add_template_filter(team_names, "teams")
    register_security_headers(app)
    register_asset_caching(app)
