"""The privacy officer's registers as pages: what is due (Te doen), the data breach register
with its export, and data subjects' requests. Mounted on the privacy blueprint."""

from __future__ import annotations

from typing import Any

from flask import abort, flash, g, redirect, render_template, request, url_for
from sqlalchemy import select

from app import clock
from app.auth.principal import actor_label
from app.auth.web import roles_required
from app.engine.errors import Conflict, InvalidInput
from app.exports import to_csv, to_xlsx
from app.privacy import registers
from app.privacy.models import DataBreach, SubjectRequest
from app.privacy.pages import (
    FORMATS,
    OFFICER,
    audit_action,
    bp,
    download,
    request_session,
    services,
)
from app.ui.formatting import datum

BREACH_LABELS = {name: label for name, label, _required in registers.BREACH_FIELDS} | {
    "reported_by_partner": "Gemeld door partner",
    "partners_notified": "Ingelicht",
    "partners_notified_at": "Ingelicht op",
    "authority_decision": "Besluit",
    "authority_reason": "Waarom",
    "authority_notified_at": "Gemeld bij de AP op",
}
REQUEST_LABELS = {
    "kind": "Soort verzoek",
    "bsn": "BSN van de betrokkene",
    "description": "Omschrijving",
    "received_on": "Ontvangen op",
    "forward_to": "Doorsturen naar",
    "extended_reason": "Reden van verlenging",
    "outcome": "Antwoord",
}


def _now_local() -> str:
    return clock.local(clock.now()).strftime("%Y-%m-%dT%H:%M")


@bp.get("/taken")
@roles_required(OFFICER)
def work() -> Any:
    from app.modelling.catalogue import pending

    session = request_session()
    return render_template(
        "privacy/work.html", dues=registers.open_work(session), approvals=pending(session)
    )


# -- data breaches --------------------------------------------------------------------------


@bp.route("/datalekken", methods=["GET", "POST"])
@roles_required(OFFICER)
def breaches() -> Any:
    session = request_session()
    errors: dict[str, Any] = {}
    form = request.form if request.method == "POST" else {}
    if request.method == "POST":
        try:
            breach = registers.record_breach(session, g.principal, dict(form))
        except InvalidInput as exc:
            session.rollback()
            errors = exc.fields
        else:
            session.commit()
            audit_action("privacy.datalek_registreren", "datalek", breach.reference)
            flash(f"Datalek {breach.reference} is geregistreerd.", "success")
            return redirect(url_for("privacy.breach", breach_id=breach.id))
    rows = session.scalars(select(DataBreach).order_by(DataBreach.discovered_at.desc())).all()
    return render_template(
        "privacy/breaches.html",
        breaches=rows,
        form=form,
        errors=errors,
        labels=BREACH_LABELS,
        fields=registers.BREACH_FIELDS,
        now=_now_local(),
        dues={b.id: registers.breach_dues(b) for b in rows},
    ), (422 if errors else 200)


def _breach(breach_id: int) -> DataBreach:
    breach = request_session().get(DataBreach, breach_id)
    if breach is None:
        abort(404)
    return breach


@bp.get("/datalekken/<int:breach_id>")
@roles_required(OFFICER)
def breach(breach_id: int) -> Any:
    return _breach_page(_breach(breach_id), {}, {})


def _breach_items(breach: DataBreach) -> list[tuple[str, str | None]]:
    """The register entry as (label, text) pairs, a to j in the reglement's order."""
    by = actor_label(breach.recorded_by)
    items: list[tuple[str, str | None]] = [
        ("Geregistreerd", f"{datum(breach.recorded_at, True)} door {by}"),
        ("Gemeld door partner", breach.reported_by_partner),
    ]
    for name, label, _required in registers.BREACH_FIELDS:
        value = getattr(breach, name)
        if name in registers.MOMENTS:
            items.append((label, datum(value, True) if value else "onbekend"))
        else:
            items.append((label, value))
    partners = (
        f"{datum(breach.partners_notified_at, True)}: {breach.partners_notified}"
        if breach.partners_notified_at
        else "nog niet"
    )
    authority = "nog geen besluit"
    if breach.authority_decision:
        authority = registers.AUTHORITY_DECISIONS[breach.authority_decision]
        if breach.authority_notified_at:
            authority += f" op {datum(breach.authority_notified_at, True)}"
        authority += f". {breach.authority_reason}"
    items += [
        ("Partners ingelicht", partners),
        ("j. Melding aan de AP", authority),
        ("Gesloten", datum(breach.closed_at, True) if breach.closed_at else "nee"),
    ]
    return items


def _breach_page(breach: DataBreach, errors: dict[str, Any], form: Any) -> Any:
    return render_template(
        "privacy/breach.html",
        breach=breach,
        items=_breach_items(breach),
        errors=errors,
        form=form,
        labels=BREACH_LABELS,
        fields=registers.BREACH_FIELDS,
        decisions=registers.AUTHORITY_DECISIONS,
        dues=registers.breach_dues(breach),
        now=_now_local(),
    ), (422 if errors else 200)


@bp.post("/datalekken/<int:breach_id>/<step>")
@roles_required(OFFICER)
def breach_step(breach_id: int, step: str) -> Any:
    steps = {
        "partners": (registers.notify_partners, "privacy.datalek_partners_ingelicht"),
        "ap": (registers.decide_authority, "privacy.datalek_ap_besluit"),
    }
    session, breach = request_session(), _breach(breach_id)
    try:
        if step == "sluiten":
            registers.close_breach(breach)
            action = "privacy.datalek_sluiten"
        elif step in steps:
            func, action = steps[step]
            func(session, breach, dict(request.form))
        else:
            abort(404)
    except InvalidInput as exc:
        session.rollback()
        return _breach_page(_breach(breach_id), exc.fields, request.form)
    except Conflict as exc:
        session.rollback()
        flash(exc.message, "error")
        return redirect(url_for("privacy.breach", breach_id=breach_id))
    session.commit()
    audit_action(
        action, "datalek", breach.reference, velden=sorted(request.form.keys() - {"csrf_token"})
    )
    flash("Vastgelegd.", "success")
    return redirect(url_for("privacy.breach", breach_id=breach_id))


@bp.get("/datalekken/export.<fmt>")
@roles_required(OFFICER)
def breaches_export(fmt: str) -> Any:
    if fmt not in FORMATS:
        abort(404)
    rows = request_session().scalars(select(DataBreach).order_by(DataBreach.discovered_at)).all()
    columns, table = registers.breach_rows(list(rows))
    audit_action("privacy.exporteren", "datalekregister", None, logboek="datalekken", formaat=fmt)
    content = to_csv(columns, table) if fmt == "csv" else to_xlsx(columns, table, "Datalekregister")
    return download(content, fmt, "datalekregister")


# -- data subjects' requests ----------------------------------------------------------------


@bp.route("/verzoeken", methods=["GET", "POST"])
@roles_required(OFFICER)
def subject_requests() -> Any:
    session = request_session()
    errors: dict[str, Any] = {}
    form = request.form if request.method == "POST" else {}
    if request.method == "POST":
        try:
            row = registers.register_request(
                session, g.principal, services().settings.secret_key, dict(form)
            )
        except InvalidInput as exc:
            session.rollback()
            errors = exc.fields
        else:
            session.commit()
            audit_action("privacy.verzoek_registreren", "verzoek", row.reference, soort=row.kind)
            flash(f"Verzoek {row.reference} is geregistreerd.", "success")
            return redirect(url_for("privacy.subject_request", request_id=row.id))
    rows = session.scalars(select(SubjectRequest).order_by(SubjectRequest.due_on)).all()
    return render_template(
        "privacy/requests.html",
        requests=rows,
        form=form,
        errors=errors,
        labels=REQUEST_LABELS,
        kinds=registers.REQUEST_KINDS,
        today=clock.local(clock.now()).date().isoformat(),
    ), (422 if errors else 200)


def _request(request_id: int) -> SubjectRequest:
    row = request_session().get(SubjectRequest, request_id)
    if row is None:
        abort(404)
    return row


@bp.get("/verzoeken/<int:request_id>")
@roles_required(OFFICER)
def subject_request(request_id: int) -> Any:
    return _request_page(_request(request_id), {}, {})


def _request_page(row: SubjectRequest, errors: dict[str, Any], form: Any) -> Any:
    return render_template(
        "privacy/request.html",
        row=row,
        errors=errors,
        form=form,
        labels=REQUEST_LABELS,
        kinds=registers.REQUEST_KINDS,
        dues=registers.request_dues(row),
    ), (422 if errors else 200)


@bp.post("/verzoeken/<int:request_id>/<step>")
@roles_required(OFFICER)
def subject_request_step(request_id: int, step: str) -> Any:
    session, row = request_session(), _request(request_id)
    values = dict(request.form)
    actions = {
        "verlengen": (lambda: registers.extend_request(row, values), "privacy.verzoek_verlengen"),
        "doorsturen": (lambda: registers.forward_request(row), "privacy.verzoek_doorsturen"),
        "beantwoorden": (
            lambda: registers.answer_request(row, values),
            "privacy.verzoek_beantwoorden",
        ),
    }
    if step not in actions:
        abort(404)
    run, action = actions[step]
    try:
        run()
    except InvalidInput as exc:
        session.rollback()
        return _request_page(_request(request_id), exc.fields, request.form)
    except Conflict as exc:
        session.rollback()
        flash(exc.message, "error")
        return redirect(url_for("privacy.subject_request", request_id=request_id))
    session.commit()
    audit_action(action, "verzoek", row.reference)
    flash("Vastgelegd.", "success")
    return redirect(url_for("privacy.subject_request", request_id=request_id))
