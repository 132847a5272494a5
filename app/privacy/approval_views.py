"""The privacy officer's four eyes on catalogues (issue 20): a process owner's catalogue that
widens who may read personal data waits here (app/modelling/catalogue.py) until the officer
approves or rejects it, with a reason. Both the request and the decision are audited; the
one who asked cannot decide."""

from __future__ import annotations

from typing import Any

from flask import abort, flash, g, redirect, render_template, request, url_for
from sqlalchemy import select

from app import clock
from app.auth.web import roles_required
from app.manage.actions import ActionError, check_reason
from app.manage.queries import process_names
from app.modelling.catalogue import published_text, text_diff, version_row
from app.modelling.models import ApprovalStatus, CatalogueApproval
from app.privacy.pages import OFFICER, audit_action, bp, request_session, services


@bp.get("/goedkeuringen")
@roles_required(OFFICER)
def approvals() -> Any:
    session = request_session()
    waiting = session.scalars(
        select(CatalogueApproval)
        .where(CatalogueApproval.status == ApprovalStatus.PENDING)
        .order_by(CatalogueApproval.requested_at)
    ).all()
    decided = session.scalars(
        select(CatalogueApproval)
        .where(CatalogueApproval.status.in_((ApprovalStatus.APPROVED, ApprovalStatus.REJECTED)))
        .order_by(CatalogueApproval.decided_at.desc())
        .limit(20)
    ).all()
    return render_template(
        "privacy/approvals.html", waiting=waiting, decided=decided, names=process_names(session)
    )


@bp.route("/goedkeuringen/<int:approval_id>", methods=["GET", "POST"])
@roles_required(OFFICER)
def approval(approval_id: int) -> Any:
    session = request_session()
    row = session.get(CatalogueApproval, approval_id)
    if row is None:
        abort(404)
    own = row.requested_by == g.principal.actor
    errors: dict[str, str] = {}
    if request.method == "POST":
        step = request.form.get("besluit", "")
        if step not in ("goedkeuren", "afwijzen"):
            abort(400)
        if row.status != ApprovalStatus.PENDING:
            errors["reden"] = "Hierover is al besloten."
        elif own:
            errors["reden"] = "U vroeg deze wijziging zelf aan; een ander moet erover besluiten."
        try:
            reason = check_reason(request.form.get("reden"))
        except ActionError as exc:
            errors.setdefault("reden", exc.message)
        if not errors:
            approved = step == "goedkeuren"
            row.status = ApprovalStatus.APPROVED if approved else ApprovalStatus.REJECTED
            row.decided_by, row.decided_at, row.reason = g.principal.actor, clock.now(), reason
            session.commit()
            audit_action(
                "catalogus.goedkeuren" if approved else "catalogus.afwijzen",
                "catalogusgoedkeuring",
                str(row.id),
                proces=row.process_key,
                versie=row.based_on,
                reden=reason,
                verruimingen=row.widenings,
            )
            flash(
                f"Goedgekeurd: de procesbeheerder kan de catalogus van {row.process_key} "
                "publiceren."
                if approved
                else f"Afgewezen: de catalogus van {row.process_key} wordt niet gepubliceerd.",
                "ok",
            )
            return redirect(url_for("privacy.approvals"))
        if own and row.status == ApprovalStatus.PENDING:
            audit_action(
                "catalogus.goedkeuren",
                "catalogusgoedkeuring",
                str(row.id),
                "geweigerd",
                proces=row.process_key,
                waarom="eigen wijziging",
            )
    base = version_row(session, row.process_key, row.based_on)
    diff = (
        text_diff(published_text(session, services().settings.bpmn_dir, base)[0], row.catalogue)
        if base is not None
        else ""
    )
    return render_template(
        "privacy/approval.html",
        row=row,
        name=process_names(session).get(row.process_key, row.process_key),
        diff=diff,
        own=own,
        errors=errors,
        values={"reden": request.form.get("reden", "")},
    ), (422 if errors else 200)
