"""Reporting by hand: *Nieuwe melding* (one signal) and a batch file upload, for partners."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, flash, g, redirect, render_template, request, url_for
from sqlalchemy import select

from app.auth.web import login_required
from app.engine.errors import EngineError, InvalidInput, NotFound
from app.intake import service
from app.intake.batches import import_file
from app.intake.files import FileProblem
from app.intake.models import IntakeRoute

bp = Blueprint("intake_ui", __name__)


def _app() -> Any:
    from app.services import stroom

    return stroom()


def _session() -> Any:
    from app.services import db_session

    return db_session()


def _intake() -> service.Intake:
    try:
        return service.prepare(
            _session(),
            g.principal,
            _app().settings.secret_key,
            request.values.get("gemeente") or None,
        )
    except (NotFound, InvalidInput):
        abort(404)


def may_report(principal: Any) -> bool:
    if principal is None or principal.organisation_id is None:
        return False
    return (
        _session().scalar(
            select(IntakeRoute.id)
            .where(IntakeRoute.organisation_id == principal.organisation_id)
            .limit(1)
        )
        is not None
    )


@bp.route("/meldingen/nieuw", methods=["GET", "POST"])
@login_required
def new() -> Any:
    intake = _intake()
    names = intake.catalogue.signal.get("velden", [])
    fields = [(n, intake.catalogue.fields[n]) for n in names]
    values = {n: request.form.get(n, "") for n in names}
    errors: dict[str, str] = {}
    if request.method == "POST":
        session = _session()
        result = service.receive(
            session, intake, [(1, {k: v for k, v in values.items() if v.strip()})], "formulier"
        )[0]
        if result.status in ("opgeslagen", "bij_bestaande_casus"):
            session.commit()
            flash(
                "De melding is ontvangen"
                + (
                    " en bij een bestaande zaak gevoegd."
                    if result.status == "bij_bestaande_casus"
                    else "."
                ),
                "ok",
            )
            return redirect(
                url_for("cases.case", instance_id=result.instance_id)
                if result.instance_id
                else url_for("intake_ui.new")
            )
        session.rollback()
        if result.status == "bezwaar":
            flash(
                "Voor deze bewoner is bezwaar vastgelegd; er wordt geen zaak gemaakt en de "
                "melding is niet bewaard.",
                "info",
            )
            return redirect(url_for("intake_ui.new"))
        errors = {f: p for f, p in result.errors}
    return render_template(
        "intake/new.html",
        fields=fields,
        values=values,
        errors=errors,
        labels={n: f.description for n, f in fields},
        required=set(intake.catalogue.signal.get("verplicht", [])),
        process=intake.route.process_key,
    ), (422 if errors else 200)


def _case_numbers(instance_ids: set[str]) -> dict[str, str]:
    """The case number (business key) of each instance an import made or added to."""
    from sqlalchemy import select

    from app.engine.models import ProcessInstance

    if not instance_ids:
        return {}
    found = _session().execute(
        select(ProcessInstance.id, ProcessInstance.business_key).where(
            ProcessInstance.id.in_(sorted(instance_ids))
        )
    )
    return {instance_id: key or instance_id for instance_id, key in found}


@bp.route("/meldingen/bestand", methods=["GET", "POST"])
@login_required
def batch() -> Any:
    intake = _intake()
    result = None
    rows: list[Any] = []
    cases: dict[str, str] = {}
    errors: dict[str, str] = {}
    if request.method == "POST":
        upload = request.files.get("bestand")
        if upload is None or not upload.filename:
            errors["bestand"] = "Kies een CSV- of XLSX-bestand."
        else:
            _session().rollback()
            try:
                result = import_file(
                    _app().db,
                    g.principal,
                    upload.filename,
                    upload.read(),
                    _app().settings.secret_key,
                    results=rows,
                )
                cases = _case_numbers({r.instance_id for r in rows if r.instance_id})
            except FileProblem as exc:
                errors["bestand"] = str(exc)
            except EngineError as exc:
                errors["bestand"] = exc.message
    return render_template(
        "intake/batch.html",
        result=result,
        rows=sorted(rows, key=lambda r: r.row),
        cases=cases,
        errors=errors,
        columns=intake.catalogue.signal.get("velden", []),
        required=intake.catalogue.signal.get("verplicht", []),
    ), (422 if errors else 200)
