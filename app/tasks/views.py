"""The inbox and the task page (Dutch interface)."""

from __future__ import annotations

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
    url_for,
)
from sqlalchemy import select
from sqlalchemy.orm import load_only

from app import clock, text_rules
from app.auth.models import Group, GroupMember, User
from app.auth.web import login_required
from app.calendar.deadlines import deadline_status
from app.engine.errors import Conflict, InvalidInput, NotFound
from app.engine.models import (
    HumanTask,
    ProcessInstance,
    ProcessVersion,
    TaskStatus,
    Timer,
    WaitStatus,
)
from app.manage.scope import MONITOR_ROLES, cases_with_incidents
from app.privacy import access, logs
from app.tasks import forms, inbox
from app.tasks import service as tasks
from app.tasks.models import SavedFilter, TaskDraft
from app.ui.formatting import case_fields, datum, for_form_text

bp = Blueprint("inbox", __name__)


def _app() -> Any:
    from app.services import stroom

    return stroom()


def _session() -> Any:
    from app.services import db_session

    return db_session()


def _user() -> User:
    user = _session().get(User, g.principal.id)
    assert user is not None
    return user


# -- inbox ----------------------------------------------------------------------------------------


@bp.get("/taken")
@login_required
def index() -> Any:
    session = _session()
    try:
        filters = inbox.Filters.from_args(request.args)
        result = inbox.page(session, g.principal, filters, clock.now())
    except InvalidInput:
        abort(400)
    named = {r.task.instance_id for r in result.rows if r.name}
    # The cases whose name is shown, in one read of the columns the read log needs (not one
    # whole instance with its state per row).
    cases = (
        {
            row.id: row
            for row in session.scalars(
                select(ProcessInstance)
                .where(ProcessInstance.id.in_(sorted(named)))
                .options(load_only(ProcessInstance.definition_key, ProcessInstance.phase))
            )
        }
        if named
        else {}
    )
    shown = [(cases[r.task.instance_id], r.task) for r in result.rows if r.name]
    if shown:
        access.record_reads(
            _app().db,
            _app().settings.secret_key,
            g.principal,
            [(instance, [inbox.NAME_FIELD], None) for instance, _task in shown],
            "takenlijst",
        )
    saved = session.scalars(
        select(SavedFilter).where(SavedFilter.user_id == g.principal.id).order_by(SavedFilter.name)
    ).all()
    options = _filter_options(session)
    context = {
        "result": result,
        "filters": filters,
        "saved": saved,
        "options": options,
        "team_members": _team_members(session) if filters.tab == "team" else [],
        # A team lead (or manager, or operator) sees here when cases stand still.
        "stopped": cases_with_incidents(session, g.principal)
        if "manage" in current_app.blueprints and g.principal.roles & set(MONITOR_ROLES)
        else 0,
    }
    context["follow_ups"] = tasks.follow_ups(session, [r.task.id for r in result.rows])
    if request.headers.get("HX-Request") and request.args.get("_deel") == "rijen":
        return render_template("tasks/_rows.html", **context)
    return render_template("tasks/inbox.html", **context)


def _filter_options(session: Any) -> dict[str, list[tuple[str, str]]]:
    rows = session.execute(inbox.open_kinds(g.principal)).all()
    return {
        "process": sorted({(r[0], r[0].replace("_", " ")) for r in rows}),
        "element": sorted({(r[1], r[2]) for r in rows}, key=lambda o: o[1]),
    }


def _team_members(session: Any) -> list[User]:
    groups = select(Group.id).where(Group.key.in_(sorted(g.principal.groups)))
    members = select(GroupMember.user_id).where(GroupMember.group_id.in_(groups))
    return list(
        session.scalars(select(User).where(User.id.in_(members), User.active).order_by(User.name))
    )


def _saved_query() -> dict[str, str]:
    """The filter to save, as the inbox reads it (unknown keys dropped; nonsense refused)."""
    try:
        raw = text_rules.parse_json(request.form.get("query") or "{}")
        if (
            not isinstance(raw, dict)
            or not all(isinstance(v, str) for v in raw.values())
            or text_rules.json_problems(raw)
        ):
            raise ValueError("geen filter")
        return inbox.Filters.from_args(raw).query()
    except (ValueError, InvalidInput):
        abort(400)


@bp.post("/taken/filters")
@login_required
def save_filter() -> Any:
    query = _saved_query()
    name = (request.form.get("naam") or "").strip()[:100]
    if not name:
        flash("Geef het filter een naam.", "error")
        return redirect(url_for("inbox.index", **query))
    session = _session()
    row = session.scalar(
        select(SavedFilter).where(SavedFilter.user_id == g.principal.id, SavedFilter.name == name)
    )
    if row is None:
        session.add(SavedFilter(user_id=g.principal.id, name=name, query=query))
    else:
        row.query = query
    session.commit()
    flash(f"Filter '{name}' is bewaard.", "ok")
    return redirect(url_for("inbox.index", **query))


@bp.post("/taken/filters/<int:filter_id>/verwijderen")
@login_required
def delete_filter(filter_id: int) -> Any:
    session = _session()
    row = session.get(SavedFilter, filter_id)
    if row is None or row.user_id != g.principal.id:
        abort(404)
    session.delete(row)
    session.commit()
    flash("Filter verwijderd.", "ok")
    return redirect(url_for("inbox.index"))


# -- claim, release, reassign, distribute -------------------------------------------------------


def _back() -> Any:
    target = request.form.get("terug") or ""
    return redirect(
        target if target.startswith("/") and not target.startswith("//") else url_for("inbox.index")
    )


@bp.post("/taken/<task_id>/claimen")
@login_required
def claim(task_id: str) -> Any:
    session = _session()
    try:
        tasks.claim(
            _app().db,
            session,
            g.principal,
            task_id,
            None,
            request.form.get("reden") or None,
            _app().settings.secret_key,
        )
        session.commit()
        flash("De taak staat nu op uw naam.", "ok")
    except Conflict as exc:
        session.rollback()
        flash(exc.message, "error")
    return redirect(url_for("inbox.task", task_id=task_id))


@bp.post("/taken/<task_id>/vrijgeven")
@login_required
def release(task_id: str) -> Any:
    session = _session()
    try:
        tasks.release(
            _app().db,
            session,
            g.principal,
            task_id,
            request.form.get("reden") or None,
            _app().settings.secret_key,
        )
        session.commit()
        flash("De taak is vrijgegeven voor het team.", "ok")
    except (Conflict, InvalidInput) as exc:
        session.rollback()
        flash(_problem(exc), "error")
    return _back()


@bp.post("/taken/<task_id>/overdragen")
@login_required
def delegate(task_id: str) -> Any:
    """Hand one's own task to a colleague, with a reason."""
    session = _session()
    colleague = request.form.get("collega") or ""
    try:
        tasks.delegate(
            _app().db,
            session,
            g.principal,
            task_id,
            colleague,
            request.form.get("reden"),
            _app().settings.secret_key,
        )
        session.commit()
    except (Conflict, InvalidInput) as exc:
        session.rollback()
        flash(_problem(exc), "error")
        return redirect(url_for("inbox.task", task_id=task_id))
    flash(f"De taak is overgedragen aan {colleague}.", "ok")
    return redirect(url_for("inbox.index"))


@bp.post("/taken/<task_id>/opvolgen")
@login_required
def follow_up(task_id: str) -> Any:
    """Set or clear the day to follow the task up (field `opvolgen`, JJJJ-MM-DD; empty
    clears it)."""
    from datetime import date

    session = _session()
    text = (request.form.get("opvolgen") or "").strip()
    try:
        day = date.fromisoformat(text) if text else None
    except ValueError:
        flash("Opvolgen op: geef een datum als JJJJ-MM-DD.", "error")
        return redirect(url_for("inbox.task", task_id=task_id))
    try:
        tasks.set_follow_up(session, g.principal, task_id, day)
        session.commit()
    except (Conflict, InvalidInput) as exc:
        session.rollback()
        flash(_problem(exc), "error")
        return redirect(url_for("inbox.task", task_id=task_id))
    flash(f"Opvolgen op {datum(day)}." if day else "Opvolgdatum gewist.", "ok")
    return redirect(url_for("inbox.task", task_id=task_id))


def _problem(exc: Any) -> str:
    details = "; ".join(m for ms in exc.fields.values() for m in ms)
    return f"{exc.message}: {details}" if details else exc.message


@bp.post("/taken/verdelen")
@login_required
def distribute() -> Any:
    """Team leads assign (or release) several tasks at once, with a reason, each to someone
    who may work on it; if one of them cannot be given, none is."""
    if not g.principal.has_role("teamleider"):
        abort(403)
    session = _session()
    ids = request.form.getlist("taken")
    reason = (request.form.get("reden") or "").strip()
    target = request.form.get("medewerker") or None  # None: release
    problems = []
    if not ids:
        problems.append("Kies een of meer taken.")
    if len(reason) < tasks.MIN_REASON:
        problems.append(f"Geef een reden (minstens {tasks.MIN_REASON} tekens).")
    if target and target not in {u.username for u in _team_members(session)}:
        problems.append("Kies een medewerker uit uw team.")
    if not problems:
        for task_id in ids:
            try:
                tasks.check_reassign(session, g.principal, task_id, target, reason)
            except (InvalidInput, NotFound) as exc:
                problems.append(_problem(exc))
    if problems:
        for problem in problems:
            flash(problem, "error")
        return redirect(url_for("inbox.index", tab="team"))
    for task_id in ids:
        tasks.reassign(
            _app().db, session, g.principal, task_id, target, reason, _app().settings.secret_key
        )
    session.commit()
    count = "1 taak" if len(ids) == 1 else f"{len(ids)} taken"
    flash(f"{count} {'toegewezen aan ' + target if target else 'vrijgegeven'}.", "ok")
    return redirect(url_for("inbox.index", tab="team"))


# -- the task page ------------------------------------------------------------------------------


def _task_context(session: Any, task: HumanTask) -> dict[str, Any]:
    instance = session.get(ProcessInstance, task.instance_id)
    version = session.get(ProcessVersion, instance.version_id)
    schema = (version.forms or {}).get(task.form_key) if task.form_key else None
    view = access.read_case(
        _app().db,
        session,
        g.principal,
        instance.id,
        f"taak {task.name}",
        _app().settings.secret_key,
    )
    from app.cases.sight import sight
    from app.cases.timeline import case_timeline

    seen = sight(session, g.principal, instance, view.parties)
    history = case_timeline(session, g.principal, instance, seen, newest_first=True, limit=25)
    timers = session.scalars(
        select(Timer)
        .where(Timer.instance_id == instance.id, Timer.status == WaitStatus.WAITING.value)
        .order_by(Timer.due_at)
    )
    draft = session.get(TaskDraft, (task.id, g.principal.id))
    labels = {c["key"]: str(c.get("label") or c["key"]) for c in forms.components(schema or {})}
    shown = case_fields(view)
    # The form's text shows case data ("geboren {{geboortedatum}}"); its fields start from
    # the draft. form-js submits only its own fields, never these.
    form_text = for_form_text(view, skip=labels)
    return {
        "task": task,
        "instance": instance,
        "schema": schema,
        "view": view,
        "labels": labels,
        "shown": shown,
        "history": history,
        "timers": list(timers),
        "deadline": deadline_status(task.due_at),
        "draft": draft.data if draft else {},
        "form_text": form_text,
        "may_complete": task.assignee in (None, g.principal.name),
        "follow_up": tasks.follow_ups(session, [task.id]).get(task.id),
        # Colleagues the holder may hand the task to (app.tasks.service.delegate).
        "colleagues": [
            (username, name)
            for username, name in tasks.assignable_users(session, g.principal, task)
            if username != g.principal.name
        ]
        if task.assignee == g.principal.name
        else [],
    }


def _visible(session: Any, task_id: str) -> HumanTask:
    """The task, if the viewer may see it; a refusal is audited (and answers 404)."""
    try:
        return tasks.visible_task(session, g.principal, task_id)
    except NotFound:
        logs.audit(
            _app().db,
            _app().settings.secret_key,
            g.principal,
            "taak.openen",
            "taak",
            task_id,
            "geweigerd",
        )
        raise


@bp.get("/taken/<task_id>")
@login_required
def task(task_id: str) -> Any:
    session = _session()
    row = _visible(session, task_id)
    if row.status != TaskStatus.OPEN.value:
        flash("Deze taak is al afgerond.", "info")
        return redirect(url_for("cases.case", instance_id=row.instance_id))
    return render_template("tasks/task.html", errors={}, **_task_context(session, row))


@bp.post("/taken/<task_id>")
@login_required
def submit(task_id: str) -> Any:
    session = _session()
    row = _visible(session, task_id)

    def again(errors: dict[str, list[str]], draft: Any = None) -> Any:
        # The page is read (and the read logged) only when it is shown again.
        context = _task_context(session, row)
        if draft is not None:
            context["draft"] = draft
        return render_template("tasks/task.html", errors=errors, **context), 422

    try:
        submitted = text_rules.parse_json(request.form.get("data") or "{}")
        refused = text_rules.json_problems(submitted)
    except ValueError:
        submitted, refused = None, {}
    if refused:  # the form field is a door too: nothing of it is kept, not even as a draft
        return again(refused)
    if request.form.get("actie") == "concept":
        return _save_draft(session, row, submitted)
    if not isinstance(submitted, dict):
        return again({"_schema": ["het formulier gaf geen gegevens"]}, {})
    try:
        # The service checks the form, the catalogue and the documents, as for the API.
        instance = tasks.complete(
            _app().db, session, g.principal, row.id, submitted, _app().settings.secret_key
        )
        session.commit()
    except InvalidInput as exc:
        session.rollback()
        errors = {k: list(map(str, v)) for k, v in exc.fields.items()}
        return again(errors or {"_schema": [exc.message]}, submitted)
    except (Conflict, NotFound) as exc:
        session.rollback()
        flash(exc.message, "error")
        return redirect(url_for("inbox.index"))
    flash(f"Taak '{row.name}' is afgerond.", "ok")
    return _next_task(session, instance.id)


def _save_draft(session: Any, row: HumanTask, data: Any) -> Any:
    if not isinstance(data, dict):
        abort(400)
    # The page may have stood open while the task was completed or withdrawn: read its
    # status locked (a completion updates that row), so no draft outlives its task.
    status = session.scalar(
        select(HumanTask.status).where(HumanTask.id == row.id).with_for_update()
    )
    if status != TaskStatus.OPEN.value:
        instance_id = row.instance_id
        session.rollback()
        flash("Deze taak is intussen afgesloten; het concept is niet bewaard.", "error")
        return redirect(url_for("cases.case", instance_id=instance_id))
    draft = session.get(TaskDraft, (row.id, g.principal.id))
    if draft is None:
        session.add(
            TaskDraft(task_id=row.id, user_id=g.principal.id, data=data, saved_at=clock.now())
        )
    else:
        draft.data, draft.saved_at = data, clock.now()
    session.commit()
    flash("Concept opgeslagen. Alleen u ziet het.", "ok")
    return redirect(url_for("inbox.task", task_id=row.id))


def _next_task(session: Any, instance_id: str) -> Any:
    """The user's next task in the same case, if there is one; else the inbox."""
    candidates = session.scalars(
        select(HumanTask)
        .where(HumanTask.instance_id == instance_id, HumanTask.status == TaskStatus.OPEN.value)
        .order_by(HumanTask.created_at)
    ).all()
    for candidate in candidates:
        if tasks.may_see(g.principal, candidate) and candidate.assignee in (None, g.principal.name):
            return redirect(url_for("inbox.task", task_id=candidate.id))
    return redirect(url_for("inbox.index"))
