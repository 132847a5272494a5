"""The case page: everything about one case that the viewer may see.

What the page shows follows the process's data catalogue (app/privacy/access.py):

- data: the fields the viewer's party may read in the case's phase (`access.read_case`, which
  also writes the processing-log and audit lines);
- tasks: every task of the case, but the people working on them are named only when they
  belong to the viewer's own organisation;
- consent records: only for scopes whose consent field (the field that records it) the
  viewer's party may read in this phase or may record in some phase; withdrawing a consent is
  for the parties that may record it;
- documents: those uploaded by the viewer's organisation, the evidence of the consents the
  viewer may see, and documents a field of the `document` type the viewer may read names by
  number (as a process's scanned agreement); see app/cases/sight.py;
- the timeline: what happened and to which task, without the diagram's element ids; people
  only from the viewer's organisation; consent events only for the scopes the viewer may see.
"""

from __future__ import annotations

import io
import re
from typing import Any

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    g,
    redirect,
    render_template,
    request,
    send_file,
    url_for,
)
from sqlalchemy import select

from app import clock
from app.auth.models import User
from app.auth.principal import actor_label
from app.auth.web import login_required
from app.cases import documents
from app.cases.models import CaseNote
from app.cases.service import send_message, sendable_messages
from app.cases.sight import own_actors, sight, visible_documents
from app.cases.timeline import case_timeline
from app.engine.errors import Conflict, Forbidden, InvalidInput, NotFound
from app.engine.models import (
    HumanTask,
    Incident,
    IncidentStatus,
    InstanceParty,
    Timer,
    WaitStatus,
)
from app.engine.runtime import version_catalogue
from app.manage import labels as status_labels
from app.manage.repair import explain
from app.manage.scope import REPAIR_ROLES
from app.privacy import access, consent, logs
from app.privacy.models import Consent
from app.tasks import service as tasks
from app.ui import team_names
from app.ui.formatting import case_fields

bp = Blueprint("cases", __name__)

MIN_REASON = 3
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def _app() -> Any:
    from app.services import stroom

    return stroom()


def _session() -> Any:
    from app.services import db_session

    return db_session()


# -- the list --------------------------------------------------------------------------------


@bp.get("/zaken")
@login_required
def index() -> Any:
    """Every case the viewer's organisation plays a part in, with search (app/cases/listing.py)."""
    from app.cases.listing import MAX_QUERY, visible_cases
    from app.tasks.inbox import NAME_FIELD

    session = _session()
    q = (request.args.get("q") or "").strip()
    if len(q) > MAX_QUERY:
        abort(400, description=f"zoekterm (q): hoogstens {MAX_QUERY} tekens")
    rows, more = visible_cases(session, g.principal, q or None)
    named = [(row.instance, [NAME_FIELD], None) for row in rows if row.name]
    if named:
        access.record_reads(_app().db, _app().settings.secret_key, g.principal, named, "zakenlijst")
    return render_template("cases/list.html", rows=rows, more=more, q=q)


# -- the page ---------------------------------------------------------------------------------


@bp.get("/zaken/<instance_id>")
@login_required
def case(instance_id: str) -> Any:
    session = _session()
    principal = g.principal
    view = access.read_case(
        _app().db, session, principal, instance_id, "zaak bekijken", _app().settings.secret_key
    )
    instance = view.instance
    seen = sight(session, principal, instance, view.parties)
    parties = session.execute(
        select(InstanceParty.party, InstanceParty.group_key)
        .where(InstanceParty.instance_id == instance.id)
        .order_by(InstanceParty.party)
    ).all()
    all_tasks = session.scalars(
        select(HumanTask).where(HumanTask.instance_id == instance.id).order_by(HumanTask.created_at)
    ).all()
    timers = session.scalars(
        select(Timer)
        .where(Timer.instance_id == instance.id, Timer.status == WaitStatus.WAITING.value)
        .order_by(Timer.due_at)
    ).all()
    every_consent = consent.history(session, instance.id)
    consents = [c for c in every_consent if c.scope in seen.consent_scopes]
    docs, hidden_docs = visible_documents(session, principal, instance.id, seen, every_consent)
    people = {f"user:{t.assignee}" for t in all_tasks if t.assignee}
    people |= {t.completed_by for t in all_tasks if t.completed_by}
    people |= {d.uploaded_by for d in docs if d.uploaded_by}
    own = own_actors(session, principal, people)
    party_names = {
        k: v.get("naam", k) for k, v in (view.catalogue.parties.items() if view.catalogue else [])
    }
    open_tasks = [t for t in all_tasks if t.status == "open"]
    # A case stopped by an incident says so here: where, what in plain words, who can fix it.
    incidents = session.scalars(
        select(Incident)
        .where(Incident.instance_id == instance.id, Incident.status == IncidentStatus.OPEN.value)
        .order_by(Incident.id)
    ).all()
    return render_template(
        "cases/case.html",
        view=view,
        instance=instance,
        status_label=status_labels.status(instance.status),
        trouble=[(explain(session, principal, instance, i), i) for i in incidents],
        may_repair="manage" in current_app.blueprints and bool(principal.roles & set(REPAIR_ROLES)),
        shown=case_fields(view),
        notes=_notes(session, principal, view),
        parties=[(party_names.get(p, p), team_names(gk)) for p, gk in parties],
        open_tasks=[(t, _worker(t.assignee and f"user:{t.assignee}", own)) for t in open_tasks],
        done_tasks=[
            (t.name, t.completed_at, _worker(t.completed_by, own) or "—")
            for t in all_tasks
            if t.status != "open"
        ],
        due_tasks=[t for t in open_tasks if t.due_at],
        may_open={t.id for t in all_tasks if tasks.may_see(principal, t)},
        history=case_timeline(session, principal, instance, seen),
        timers=timers,
        consents=consents,
        withdrawable={
            c.id
            for c in consents
            if c.scope in seen.withdrawable
            and c.given
            and c.withdrawn_at is None
            and c is _latest(every_consent, c.scope)
        },
        channels=consent.CHANNELS,
        documents=[(d, _worker(d.uploaded_by, own) or "—") for d in docs],
        hidden_documents=hidden_docs,
        messages=sendable_messages(session, instance, view.parties, view.catalogue),
        errors={},
    )


def _worker(actor: str | None, own: set[str]) -> str | None:
    """A person's name when they belong to the viewer's organisation; else only that
    someone of another organisation has it."""
    if not actor:
        return None
    if actor in own:
        return actor_label(actor)
    if actor.startswith(("user:", "token:")):
        return "andere organisatie"
    return "systeem"


def _latest(rows: list[Consent], scope: str) -> Consent | None:
    found = [r for r in rows if r.scope == scope]
    return found[-1] if found else None


# -- documents --------------------------------------------------------------------------------


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


# -- notes ------------------------------------------------------------------------------------

MAX_NOTE = 2000


def _notes(session: Any, principal: Any, view: Any) -> list[tuple[CaseNote, str]]:
    """The notes on this case the viewer may read, newest first, with the writer's name: its
    own organisation's, and every organisation's when the catalogue lets one of the viewer's
    parties read notes in this phase (`notities: {lezen: ...}`)."""
    if principal.organisation_id is None:
        return []
    rules = view.catalogue.notes_read if view.catalogue is not None else {}
    shared = any(rules[p].allows(view.phase) for p in view.parties if p in rules)
    condition = CaseNote.instance_id == view.instance.id
    if not shared:
        condition = condition & (CaseNote.organisation_id == principal.organisation_id)
    rows = session.scalars(
        select(CaseNote).where(condition).order_by(CaseNote.created_at.desc(), CaseNote.id.desc())
    ).all()
    names = dict(
        session.execute(
            select(User.username, User.name).where(User.username.in_({r.author for r in rows}))
        ).all()
    )
    return [(row, names.get(row.author, row.author)) for row in rows]


@bp.post("/zaken/<instance_id>/notities")
@login_required
def add_note(instance_id: str) -> Any:
    """A note on a case the viewer's organisation plays a part in: 3 to 2000 characters,
    no control characters (line breaks are fine)."""
    session = _session()
    principal = g.principal
    access.visible_instance(session, principal, instance_id)  # else 404
    if principal.organisation_id is None:
        abort(403)
    text = (request.form.get("notitie") or "").strip().replace("\r\n", "\n")
    problem = None
    if len(text) < MIN_REASON:
        problem = f"Notitie: schrijf minstens {MIN_REASON} tekens."
    elif len(text) > MAX_NOTE:
        problem = f"Notitie: hoogstens {MAX_NOTE} tekens (nu {len(text)})."
    elif _CONTROL.search(text.replace("\n", "").replace("\t", "")):
        problem = "Notitie: bevat tekens die geen tekst zijn."
    if problem:
        flash(problem, "error")
        return redirect(url_for("cases.case", instance_id=instance_id) + "#notities")
    row = CaseNote(
        instance_id=instance_id,
        organisation_id=principal.organisation_id,
        author=principal.name,
        text=text,
        created_at=clock.now(),
    )
    session.add(row)
    session.commit()
    logs.audit(
        _app().db,
        _app().settings.secret_key,
        principal,
        "notitie.toevoegen",
        "zaak",
        instance_id,
        details={"notitie": row.id},
    )
    flash("Notitie toegevoegd.", "ok")
    return redirect(url_for("cases.case", instance_id=instance_id) + "#notities")


@bp.get("/zaken/<instance_id>/documenten/<int:document_id>")
@login_required
def download(instance_id: str, document_id: int) -> Any:
    """A document the viewer may see on the case page (see `visible_documents`); any other
    answers 404, as a document that does not exist."""
    session = _session()
    principal = g.principal
    app = _app()
    try:
        instance, parties = access.visible_instance(session, principal, instance_id)
        seen = sight(session, principal, instance, parties)
        shown, _hidden = visible_documents(
            session, principal, instance_id, seen, consent.history(session, instance_id)
        )
        row = next((d for d in shown if d.id == document_id), None)
        if row is None:
            raise NotFound(f"document {document_id} bestaat niet")
    except NotFound:
        logs.audit(
            app.db,
            app.settings.secret_key,
            principal,
            "document.lezen",
            "document",
            document_id,
            "geweigerd",
            details={"zaak": instance_id},
        )
        raise
    content = documents.read(row)
    logs.write(
        app.db,
        app.settings.secret_key,
        processings=[
            logs.Processing(
                name="document inzien",
                activity_id=seen.catalogue.activity if seen.catalogue else instance.definition_key,
                subject_kind="zaak",
                subject_value=instance.id,
                attributes={
                    "doel": "document downloaden",
                    "soort": row.category,
                    "proces": instance.definition_key,
                    "fase": instance.phase,
                },
            )
        ],
        audits=[
            logs.audit_row(
                principal, "document.lezen", "document", row.id, details={"zaak": instance_id}
            )
        ],
    )
    response = send_file(
        io.BytesIO(content),
        mimetype=row.content_type,
        as_attachment=True,
        download_name=_CONTROL.sub("_", row.name) or "document",
        max_age=0,
    )
    response.headers["Cache-Control"] = "no-store"
    return response


# -- messages ---------------------------------------------------------------------------------


@bp.post("/zaken/<instance_id>/berichten/<name>")
@login_required
def send(instance_id: str, name: str) -> Any:
    """Send a message the case waits for, from the case page: only one the catalogue lets one
    of the viewer's parties send (`afzenders`) and that brings no data; the same door as the
    API's (app.cases.service.send_message), audited."""
    session = _session()
    principal = g.principal

    def audit(result: str, **details: Any) -> None:
        _audit_case("bericht.sturen", instance_id, result, {"bericht": name, **details})

    try:
        instance, parties = access.visible_instance(session, principal, instance_id)
    except NotFound:
        audit("geweigerd")
        raise
    catalogue = version_catalogue(session, instance.version_id)
    offered = {m.name: m for m in sendable_messages(session, instance, parties, catalogue)}
    if name not in offered:
        audit("geweigerd")
        abort(403)
    back = redirect(url_for("cases.case", instance_id=instance_id) + "#berichten")
    try:
        send_message(session, principal, name, offered[name].correlation_key, {})
        session.commit()
    except (NotFound, Forbidden, Conflict, InvalidInput) as exc:
        session.rollback()
        audit("geweigerd", fout=exc.message)
        flash(f"Niet verstuurd: {exc.message}.", "error")
        return back
    audit("gelukt")
    flash(f"Verstuurd: {offered[name].label}.", "ok")
    return back


def _audit_case(action: str, instance_id: str, result: str, details: dict[str, Any]) -> None:
    """An audit line for something a person did on one case from its page."""
    app = _app()
    logs.audit(
        app.db,
        app.settings.secret_key,
        g.principal,
        action,
        "procesinstantie",
        instance_id,
        result,
        details=details,
    )


# -- consent ----------------------------------------------------------------------------------


@bp.post("/zaken/<instance_id>/toestemmingen/<scope>/intrekken")
@login_required
def withdraw(instance_id: str, scope: str) -> Any:
    """Record that the resident withdrew a consent; the running process hears of it at once
    (app.privacy.consent.withdraw delivers the message). Only for a party that may record
    the consent; the reason goes into the audit line."""
    session = _session()
    principal = g.principal

    def audit(result: str, **details: Any) -> None:
        _audit_case("toestemming.intrekken", instance_id, result, {"toestemming": scope, **details})

    try:
        instance, parties = access.visible_instance(session, principal, instance_id)
    except NotFound:
        audit("geweigerd")
        raise
    seen = sight(session, principal, instance, parties)
    if scope not in seen.consent_scopes:
        audit("geweigerd")
        abort(404)
    if scope not in seen.withdrawable:
        audit("geweigerd")
        abort(403)
    back = redirect(url_for("cases.case", instance_id=instance_id) + "#toestemmingen")
    reason = (request.form.get("reden") or "").strip()
    channel = request.form.get("kanaal") or "mondeling"
    if len(reason) < MIN_REASON:
        flash(f"Geef een reden voor het intrekken (minstens {MIN_REASON} tekens).", "error")
        return back
    if len(reason) > 500:
        flash("De reden mag hoogstens 500 tekens zijn.", "error")
        return back
    try:
        consent.withdraw(session, instance_id, scope, withdrawn_by=principal.actor, channel=channel)
        session.commit()
    except (NotFound, Conflict, InvalidInput) as exc:
        session.rollback()
        audit("geweigerd", reden=reason, kanaal=channel, fout=exc.message)
        flash(f"Toestemming niet ingetrokken: {exc.message}.", "error")
        return back
    audit("gelukt", reden=reason, kanaal=channel)
    label = seen.catalogue.consents.get(scope, scope) if seen.catalogue else scope
    flash(f"Toestemming '{label}' is ingetrokken; het proces is op de hoogte gebracht.", "ok")
    return back
