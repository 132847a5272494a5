"""Pages of Vroegsignalering huurschulden Weert for the municipality's workers:

- *Retouroverzichten* (`/weert/retouroverzichten?maand=2026-03`): per corporation the return
  overview of that month (stap 4), what still has to go and what went, with a send button
  and CSV/XLSX downloads;
- *AMW-lijst* (`/weert/amw-lijst?maand=2026-04`): the list AMW received that month (the 11th),
  families with minor children first. AMW's own workers read it too;
- *Resultaten* (`/weert/resultaten?van=2026-01&tot=2026-12`): the figures for the periodic review
  with the covenant partners (app/processes/weert/results.py), counts only, with downloads.

Who sees what is decided in app/processes/weert/overviews.py through the access layer.
"""

from __future__ import annotations

import re
from datetime import date
from typing import Any

from flask import Blueprint, Response, abort, flash, g, redirect, render_template, request, url_for

from app import clock
from app.auth.web import login_required
from app.engine.errors import Conflict, EngineError
from app.exports import MEDIA_TYPES, to_csv, to_xlsx
from app.processes.weert import overviews as views
from app.processes.weert import service as weert

bp = Blueprint("weert_ui", __name__, template_folder="templates")


def _app() -> Any:
    from app.services import stroom

    return stroom()


def _session() -> Any:
    from app.services import db_session

    return db_session()


def month_label(period: str) -> str:
    from app.ui.formatting import maand

    return maand(period)


def _shift(period: str, months: int) -> str:
    year, month = (int(p) for p in period.split("-"))
    index = year * 12 + month - 1 + months
    return f"{index // 12:04d}-{index % 12 + 1:02d}"


def _month(default_shift: int) -> tuple[str, str | None]:
    """The month asked for (?maand=), or this month shifted; and an error for a bad value."""
    today: date = clock.local(clock.now()).date()
    fallback = _shift(f"{today.year:04d}-{today.month:02d}", default_shift)
    value = (request.args.get("maand") or "").strip()
    if not value:
        return fallback, None
    if not re.match(weert.PERIOD_PATTERN, value):
        return fallback, "Vul de maand in als JJJJ-MM, bijvoorbeeld 2026-03."
    return value, None


def _municipal_only() -> None:
    if not views.may_send(_session(), g.principal):
        abort(403)


@bp.route("/weert/retouroverzichten")
@login_required
def overviews() -> Any:
    _municipal_only()
    period, error = _month(-1)  # before the 10th the previous month's overview goes back
    app = _app()
    docs = [
        views.overview_document(
            app.db, _session(), g.principal, org.key, period, app.settings.secret_key
        )
        for org in weert.corporations(_session())
    ]
    return render_template(
        "weert/retouroverzichten.html",
        period=period,
        period_label=month_label(period),
        previous=_shift(period, -1),
        following=_shift(period, 1),
        error=error,
        docs=docs,
        labels=views.LABELS,
        options=weert.OPTION_LABELS,
    ), (422 if error else 200)


@bp.post("/weert/retouroverzichten/<corporatie>/<maand>/versturen")
@login_required
def send(corporatie: str, maand: str) -> Any:
    if not re.match(weert.PERIOD_PATTERN, maand):
        abort(404)
    app = _app()
    _session().rollback()  # the send runs its own transactions
    try:
        result = views.send(app.db, g.principal, corporatie, maand, app.settings.secret_key)
    except Conflict as exc:
        flash(exc.message[0].upper() + exc.message[1:] + ".", "error")
    else:
        category = "info" if result.status == "al_verstuurd" else "ok"
        message = result.message
        if result.overview.skipped:
            message += f" Niet verstuurd (wachtte niet meer): {', '.join(result.overview.skipped)}."
        if result.overview.rows and result.overview.late:
            category = "warning"
            message += " Let op: na de termijn verstuurd."
        flash(message, category)
    anchor = f"corporatie-{corporatie}"
    return redirect(url_for("weert_ui.overviews", maand=maand, _anchor=anchor))


@bp.get("/weert/retouroverzichten/<corporatie>/<maand>.<formaat>")
@login_required
def download(corporatie: str, maand: str, formaat: str) -> Any:
    if formaat not in ("csv", "xlsx") or not re.match(weert.PERIOD_PATTERN, maand):
        abort(404)
    _municipal_only()
    app = _app()
    doc = views.overview_document(
        app.db, _session(), g.principal, corporatie, maand, app.settings.secret_key
    )
    labels, rows = doc.table()
    return _file(f"retouroverzicht-{corporatie}-{maand}", formaat, labels, rows)


@bp.route("/weert/amw-lijst")
@login_required
def amw() -> Any:
    period, error = _month(0)
    app = _app()
    try:
        doc = views.amw_document(app.db, _session(), g.principal, period, app.settings.secret_key)
    except EngineError as exc:
        abort(exc.status)
    if request.args.get("formaat") in ("csv", "xlsx"):
        labels, rows = doc.table()
        return _file(f"amw-lijst-{period}", request.args["formaat"], labels, rows)
    return render_template(
        "weert/amw_lijst.html",
        period=period,
        period_label=month_label(period),
        previous=_shift(period, -1),
        following=_shift(period, 1),
        error=error,
        doc=doc,
        labels=views.LABELS,
    ), (422 if error else 200)


@bp.route("/weert/resultaten")
@login_required
def results() -> Any:
    """The periodic review's figures over a range of overview months (default: this year)."""
    from app.processes.weert.results import resultaten

    _municipal_only()
    today: date = clock.local(clock.now()).date()
    defaults = {"van": f"{today.year:04d}-01", "tot": f"{today.year:04d}-{today.month:02d}"}
    values, errors = {}, {}
    for name in ("van", "tot"):
        value = (request.args.get(name) or "").strip() or defaults[name]
        if not re.match(weert.PERIOD_PATTERN, value):
            errors[name] = "Vul de maand in als JJJJ-MM, bijvoorbeeld 2026-03."
            value = defaults[name]
        values[name] = value
    if not errors and values["van"] > values["tot"]:
        errors["tot"] = "De laatste maand ligt voor de eerste maand."
    figures = resultaten(_session(), weert.MUNICIPALITY, values["van"], values["tot"])
    if not errors and request.args.get("formaat") in ("csv", "xlsx"):
        name = f"resultaten-weert-{values['van']}-{values['tot']}"
        rows = [list(line) for line in figures.regels()]
        return _file(name, request.args["formaat"], ["Resultaat", "Aantal"], rows)
    return render_template(
        "weert/resultaten.html",
        values=values,
        errors=errors,
        van_label=month_label(values["van"]),
        tot_label=month_label(values["tot"]),
        figures=figures,
    ), (422 if errors else 200)


def _file(name: str, formaat: str, labels: list[str], rows: list[list[Any]]) -> Response:
    content = (to_csv if formaat == "csv" else to_xlsx)(labels, rows)
    return Response(
        content,
        mimetype=MEDIA_TYPES[formaat],
        headers={"Content-Disposition": f'attachment; filename="{name}.{formaat}"'},
    )


def navigation_items(principal: Any) -> list[tuple[str, str]]:
    """Menu items for app/navigation.py: the overviews for the municipality, the AMW list
    for the municipality and AMW."""
    from app.services import db_session

    if principal is None or principal.organisation_id is None:
        return []
    # The menu is drawn on every page: look the parties up once per request.
    parties = g.get("weert_parties")
    if parties is None:
        parties = g.weert_parties = weert.process_parties(db_session(), principal)
    links = []
    if parties & weert.MUNICIPAL_PARTIES:
        links.append((url_for("weert_ui.overviews"), "Retouroverzichten"))
        links.append((url_for("weert_ui.results"), "Resultaten Weert"))
    if parties & weert.AMW_LIST_PARTIES:
        links.append((url_for("weert_ui.amw"), "AMW-lijst"))
    return links
