"""The case page: everything about one case that the viewer may see."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, abort, flash, g, redirect, render_template, request, url_for
from sqlalchemy import select

from app.auth.web import login_required
from app.cases import documents
from app.cases.models import Document, InstanceParty
from app.engine.errors import InvalidInput
from app.engine.models import HumanTask, InstanceEvent, Timer, WaitStatus
from app.privacy import access, consent, logs
from app.tasks import service as tasks
from app.tasks.views import _display

bp = Blueprint("cases", __name__)


def _app() -> Any:
    from app.web import stroom

    return stroom()


def _session() -> Any:
    from app.web import db_session

    return db_session()


@bp.get("/zaken/<instance_id>")
@login_required
def case(instance_id: str) -> Any:
    session = _session()
    view = access.read_case(
        _app().db, session, g.principal, instance_id, "zaak bekijken", _app().settings.secret_key
    )
    instance = view.instance
    parties = session.execute(
        select(InstanceParty.party, InstanceParty.group_key)
        .where(InstanceParty.instance_id == instance.id)
        .order_by(InstanceParty.party)
    ).all()
    all_tasks = session.scalars(
        select(HumanTask).where(HumanTask.instance_id == instance.id).order_by(HumanTask.created_at)
    ).all()
    history = session.scalars(
        select(InstanceEvent)
        .where(InstanceEvent.instance_id == instance.id)
        .order_by(InstanceEvent.id)
    ).all()
    timers = session.scalars(
        select(Timer)
        .where(Timer.instance_id == instance.id, Timer.status == WaitStatus.WAITING.value)
        .order_by(Timer.due_at)
    ).all()
    docs = session.scalars(
        select(Document).where(Document.instance_id == instance.id).order_by(Document.uploaded_at)
    ).all()
    party_names = {
        k: v.get("naam", k) for k, v in (view.catalogue.parties.items() if view.catalogue else [])
    }
    return render_template(
        "cases/case.html",
        view=view,
        instance=instance,
        shown=[(view.label(k), _display(v)) for k, v in view.fields.items()],
        parties=[(party_names.get(p, p), gk) for p, gk in parties],
        open_tasks=[t for t in all_tasks if t.status == "open"],
        done_tasks=[t for t in all_tasks if t.status != "open"],
        may_open={t.id for t in all_tasks if tasks.may_see(g.principal, t)},
        history=history,
        timers=timers,
        consents=consent.history(session, instance.id),
        documents=docs,
        errors={},
    )


@bp.post("/zaken/<instance_id>/documenten")
@login_required
def upload(instance_id: str) -> Any:
    session = _session()
    access.visible_instance(session, g.principal, instance_id)
    upload = request.files.get("bestand")
    try:
        if upload is None:
            raise InvalidInput("geen bestand", {"bestand": ["kies een bestand"]})
        row = documents.store(
            session,
            instance_id,
            upload.filename or "document",
            upload.mimetype,
            upload.read(),
            request.form.get("soort") or "bewijs",
            g.principal.actor,
        )
        session.commit()
    except InvalidInput as exc:
        session.rollback()
        flash(
            "Document niet opgeslagen: " + "; ".join(m for ms in exc.fields.values() for m in ms),
            "error",
        )
        return redirect(url_for("cases.case", instance_id=instance_id))
    logs.audit(
        _app().db,
        _app().settings.secret_key,
        g.principal,
        "document.toevoegen",
        "document",
        row.id,
        details={"zaak": instance_id, "soort": row.category},
    )
    flash(f"Document '{row.name}' toegevoegd (nummer {row.id}).", "ok")
    return redirect(url_for("cases.case", instance_id=instance_id))


@bp.get("/zaken/<instance_id>/documenten/<int:document_id>")
@login_required
def download(instance_id: str, document_id: int) -> Any:
    session = _session()
    access.visible_instance(session, g.principal, instance_id)
    row = session.get(Document, document_id)
    if row is None or row.instance_id != instance_id:
        abort(404)
    logs.audit(
        _app().db,
        _app().settings.secret_key,
        g.principal,
        "document.lezen",
        "document",
        row.id,
        details={"zaak": instance_id},
    )
    return Response(
        documents.read(row),
        mimetype=row.content_type,
        headers={"Content-Disposition": f'attachment; filename="{row.name}"'},
    )
