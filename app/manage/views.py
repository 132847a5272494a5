"""The monitoring pages (blueprint `manage`, under /processen).

/processen/                          stuck cases and deadlines at risk (manager,
                                     teamleider, beheerder); process owners go on to
                                     the overview
/processen/storingen                 open incidents grouped per activity, bulk retry, and
                                     per case (also for process owners: their processes)
/processen/instanties/<id>           one instance: diagram, history, wait states, acting
/processen/instanties/<id>/storingen/<n>
                                     one incident explained; add the data its step needs
                                     and retry (…/herstellen), move or cancel the case
/processen/instanties/<id>/verplaatsen
                                     process instance modification: dry run, then confirm
/processen/bulk, /bulk/uitvoeren     dry run of a bulk action, then running it
/processen/taken/<id>/toewijzen      give a waiting task to someone else
/processen/overzicht                 the processes, with links to:
/processen/warmtekaart/<key>         where instances wait, per version
/processen/prestaties/<key>          deadlines met and throughput per month (+ CSV)
"""

from __future__ import annotations

from typing import Any

from flask import (
    Blueprint,
    Response,
    abort,
    flash,
    g,
    redirect,
    render_template,
    request,
    url_for,
)
from sqlalchemy import func, select

from app.auth.web import roles_required
from app.engine import modification
from app.engine.errors import EngineError, NotFound
from app.engine.models import (
    HumanTask,
    Incident,
    IncidentStatus,
    InstanceStatus,
    ProcessInstance,
    TaskStatus,
)
from app.engine.runtime import load_workflow
from app.exports import MEDIA_TYPES, to_csv
from app.manage import actions, charts, labels, queries, repair, stuck
from app.manage.heatmap import heatmap
from app.manage.instance import instance_page
from app.manage.scope import (
    MONITOR_ROLES,
    OVERVIEW_ROLES,
    REASSIGN_ROLES,
    REPAIR_ROLES,
    case_scope,
    find_instance,
    is_operator,
    overview_scope,
)
from app.privacy import access
from app.tasks.service import assignable_users, in_team_of

bp = Blueprint("manage", __name__, url_prefix="/processen")

PURPOSE = "procesbewaking: vastgelopen zaak beoordelen"


def _app() -> Any:
    from app.services import stroom

    return stroom()


def _session() -> Any:
    from app.services import db_session

    return db_session()


def _ctx() -> actions.Context:
    return actions.Context(_app().db, _session(), g.principal, _app().settings.secret_key)


def _may(*roles: str) -> bool:
    return bool(g.principal.roles & set(roles))


@bp.app_template_global("manage_may")
def manage_may(kind: str) -> bool:
    """For the sub-navigation: may the viewer see this kind of page?"""
    roles = {"monitor": MONITOR_ROLES, "overview": OVERVIEW_ROLES, "repair": REPAIR_ROLES}[kind]
    principal = getattr(g, "principal", None)
    return principal is not None and bool(principal.roles & set(roles))


def _url(endpoint: str, **values: Any) -> str:
    return url_for(endpoint, **{k: v for k, v in values.items() if v not in (None, "")})


# -- the stuck list -----------------------------------------------------------------------------


@bp.get("/")
@roles_required(*OVERVIEW_ROLES)
def index() -> Any:
    if not _may(*MONITOR_ROLES):
        return redirect(url_for("manage.processes"))
    session = _session()
    args = {
        "proces": request.args.get("proces") or None,
        "reden": request.args.get("reden") if request.args.get("reden") in stuck.REASONS else None,
        "organisatie": request.args.get("organisatie", type=int)
        if is_operator(g.principal)
        else None,
    }
    page = max(request.args.get("pagina", 1, type=int) or 1, 1)
    result = stuck.stuck_list(
        session,
        case_scope(g.principal, args["organisatie"]),
        stuck.Filters(args["proces"], args["reden"]),
        page,
    )
    tabs = [(None, "Alle", result.total)] + [
        (key, label, result.counts[key]) for key, label in stuck.REASONS.items()
    ]
    pages = [
        {"number": n, "url": _url("manage.index", **args, pagina=n), "current": n == result.page}
        for n in _page_window(result.page, result.pages)
    ]
    return render_template(
        "manage/stuck.html",
        result=result,
        args=args,
        tabs=[
            (key, label, count, _url("manage.index", **{**args, "reden": key}))
            for key, label, count in tabs
        ],
        pages=pages,
        previous_url=_url("manage.index", **args, pagina=result.page - 1)
        if result.page > 1
        else None,
        next_url=_url("manage.index", **args, pagina=result.page + 1)
        if result.page < result.pages
        else None,
        processes=queries.processes(session),
        organisations=queries.organisations(session) if is_operator(g.principal) else [],
        actions=actions.ACTIONS,
        operator=is_operator(g.principal),
    )


def _page_window(current: int, total: int, width: int = 2) -> list[int]:
    numbers = {1, total, *range(max(1, current - width), min(total, current + width) + 1)}
    return sorted(numbers)


# -- incidents grouped ----------------------------------------------------------------------------


@bp.get("/storingen")
@roles_required(*REPAIR_ROLES)
def incidents() -> Any:
    session = _session()
    scope = case_scope(
        g.principal, request.args.get("organisatie", type=int) if is_operator(g.principal) else None
    )
    query = scope.apply(
        select(
            ProcessInstance.definition_key,
            ProcessInstance.version_id,
            Incident.element_id,
            func.count(Incident.id),
            func.min(Incident.created_at),
            func.max(Incident.created_at),
            func.min(Incident.message),
        )
        .join(ProcessInstance, ProcessInstance.id == Incident.instance_id)
        .where(Incident.status == IncidentStatus.OPEN.value)
        .group_by(ProcessInstance.definition_key, ProcessInstance.version_id, Incident.element_id)
        .order_by(func.count(Incident.id).desc()),
        ProcessInstance.id,
        per_row=True,  # open incidents are few: see Scope.condition
    )
    names = queries.process_names(session)
    groups = [
        {
            "process": key,
            "process_name": names.get(key, key),
            "version_id": version_id,
            "element": element,
            "element_name": queries.element_name(session, version_id, element),
            "count": count,
            "first": first,
            "last": last,
            "example": stuck._first_line(message, 200),
        }
        for key, version_id, element, count, first, last, message in session.execute(query)
    ]
    cases = session.execute(
        scope.apply(
            select(
                Incident.id,
                Incident.instance_id,
                Incident.element_id,
                Incident.created_at,
                ProcessInstance.definition_key,
                ProcessInstance.version_id,
                ProcessInstance.business_key,
            )
            .join(ProcessInstance, ProcessInstance.id == Incident.instance_id)
            .where(Incident.status == IncidentStatus.OPEN.value)
            .order_by(Incident.created_at.desc())
            .limit(100),
            ProcessInstance.id,
            per_row=True,
        )
    ).all()
    return render_template(
        "manage/incidents.html",
        groups=groups,
        cases=[
            {
                "url": url_for("manage.repair_page", instance_id=instance_id, incident_id=id_),
                "case": business_key or instance_id[:8],
                "process_name": names.get(key, key),
                "element_name": queries.element_name(session, version_id, element),
                "since": since,
            }
            for id_, instance_id, element, since, key, version_id, business_key in cases
        ],
        may_bulk=_may(*MONITOR_ROLES),
    )


def _instances_in_group(process: str, version_id: int, element: str | None) -> list[str]:
    session = _session()
    query = case_scope(g.principal).apply(
        select(Incident.instance_id)
        .join(ProcessInstance, ProcessInstance.id == Incident.instance_id)
        .where(
            Incident.status == IncidentStatus.OPEN.value,
            ProcessInstance.definition_key == process,
            ProcessInstance.version_id == version_id,
            Incident.element_id == element if element else Incident.element_id.is_(None),
        )
        .order_by(Incident.created_at),
        ProcessInstance.id,
        per_row=True,
    )
    return list(dict.fromkeys(session.scalars(query)))


# -- bulk actions -------------------------------------------------------------------------------


@bp.post("/bulk")
@roles_required(*MONITOR_ROLES)
def bulk_plan() -> Any:
    form = request.form
    if form.get("groep_proces"):
        ids = _instances_in_group(
            form["groep_proces"],
            form.get("groep_versie", type=int) or 0,
            form.get("groep_element") or None,
        )
    else:
        ids = form.getlist("instantie")
    try:
        plan = actions.plan(_ctx(), form.get("actie", ""), ids)
    except actions.ActionError as exc:
        flash(exc.message, "error")
        return redirect(_back(form.get("terug")))
    return render_template(
        "manage/bulk_plan.html",
        plan=plan,
        errors={},
        reason="",
        back=_back(form.get("terug")),
        labels=labels,
        max_bulk=actions.MAX_BULK,
    )


@bp.post("/bulk/uitvoeren")
@roles_required(*MONITOR_ROLES)
def bulk_run() -> Any:
    ctx = _ctx()
    token = request.form.get("plan", "")
    reason = request.form.get("reden", "")
    back = _back(request.form.get("terug"))
    try:
        action, outcomes = actions.run(ctx, token, reason)
    except actions.ActionError as exc:
        if exc.field != "reden":
            flash(exc.message, "error")
            return redirect(back)
        plan = actions.read_plan(ctx, token)
        return render_template(
            "manage/bulk_plan.html",
            plan=plan,
            errors={"reden": exc.message},
            reason=reason,
            back=back,
            labels=labels,
            max_bulk=actions.MAX_BULK,
        ), 422
    done = sum(1 for o in outcomes if o.result == "gelukt")
    flash(
        f"{actions.ACTIONS[action]}: {done} van {len(outcomes)} zaken gelukt.",
        "ok" if done == len(outcomes) else "warning",
    )
    return render_template(
        "manage/bulk_result.html",
        action_label=actions.ACTIONS[action],
        outcomes=outcomes,
        reason=" ".join(reason.split()),
        back=back,
    )


def _back(target: str | None) -> str:
    """Where "back" goes: a page of this section only (no open redirect)."""
    if target and target.startswith(bp.url_prefix + "/") and not target.startswith("//"):
        return target
    return url_for("manage.index")


# -- one instance ---------------------------------------------------------------------------------


def _instance_or_404(instance_id: str) -> ProcessInstance:
    try:
        return find_instance(_session(), g.principal, instance_id)
    except NotFound:
        abort(404)


@bp.get("/instanties/<instance_id>")
@roles_required(*REPAIR_ROLES)
def instance(instance_id: str) -> Any:
    return _render_instance(_instance_or_404(instance_id))


def _render_instance(
    row: ProcessInstance,
    errors: dict[str, str] | None = None,
    values: dict[str, str] | None = None,
    status: int = 200,
) -> Any:
    session = _session()
    page = instance_page(session, row)
    may_read = bool(access.parties_of(session, g.principal, row.id))
    case_view = None
    if may_read and request.args.get("gegevens") == "1":
        case_view = access.read_case(
            _app().db, session, g.principal, row.id, PURPOSE, _app().settings.secret_key
        )
    assignable = {}
    if _may(*REASSIGN_ROLES):
        assignable = {
            t.id: assignable_users(session, g.principal, t)
            for t in page.tasks
            if in_team_of(g.principal, t)
        }
    return render_template(
        "manage/instance.html",
        page=page,
        labels=labels,
        case_view=case_view,
        may_read=may_read,
        assignable=assignable,
        may_act=not page.ended,
        errors=errors or {},
        values=values or {},
    ), status


def _act(instance_id: str, form_key: str, work: Any) -> Any:
    row = _instance_or_404(instance_id)
    reason = request.form.get("reden", "")
    try:
        work(actions.check_reason(reason))
    except actions.ActionError as exc:
        _session().rollback()
        if exc.field == "reden":
            return _render_instance(row, {form_key: exc.message}, {form_key: reason}, 422)
        flash(exc.message, "error")
        return _render_instance(row, {}, {form_key: reason}, 409)
    except NotFound:
        abort(404)
    return redirect(url_for("manage.instance", instance_id=row.id))


@bp.post("/instanties/<instance_id>/storingen/<int:incident_id>/opnieuw")
@roles_required(*REPAIR_ROLES)
def retry(instance_id: str, incident_id: int) -> Any:
    def work(reason: str) -> None:
        actions.retry(_ctx(), instance_id, incident_id, reason)
        incident = _session().get(Incident, incident_id)
        _session().refresh(incident)
        if incident.status == IncidentStatus.OPEN.value:
            flash(
                "Opnieuw geprobeerd, maar de stap mislukte weer. De storing blijft open; "
                "bij de storing staat wat er nu misgaat.",
                "error",
            )
        else:
            flash("De storing wordt opnieuw geprobeerd.", "ok")

    return _act(instance_id, f"storing-{incident_id}", work)


@bp.post("/instanties/<instance_id>/status")
@roles_required(*REPAIR_ROLES)
def change(instance_id: str) -> Any:
    action = request.form.get("actie", "")

    def work(reason: str) -> None:
        actions.change_state(_ctx(), action, instance_id, reason)
        flash(f"{actions.ACTIONS.get(action, action)}: gelukt.", "ok")

    return _act(instance_id, "status", work)


@bp.post("/taken/<task_id>/toewijzen")
@roles_required(*REASSIGN_ROLES)
def reassign(task_id: str) -> Any:
    session = _session()
    task = session.get(HumanTask, task_id)
    if task is None or task.status != TaskStatus.OPEN.value:
        abort(404)
    username = request.form.get("toewijzen") or None

    def work(reason: str) -> None:
        actions.reassign(_ctx(), task_id, username, reason)
        flash("De taak is " + (f"toegewezen aan {username}." if username else "vrijgegeven."), "ok")

    return _act(task.instance_id, f"taak-{task_id}", work)


# -- repairing one incident, moving an instance ------------------------------------------------


def _incident_or_404(instance_id: str, incident_id: int) -> tuple[ProcessInstance, Any]:
    try:
        return repair.incident_of(_ctx(), instance_id, incident_id)
    except NotFound:
        abort(404)


@bp.get("/instanties/<instance_id>/storingen/<int:incident_id>")
@roles_required(*REPAIR_ROLES)
def repair_page(instance_id: str, incident_id: int) -> Any:
    row, incident = _incident_or_404(instance_id, incident_id)
    return _render_repair(row, incident)


def _render_repair(
    row: ProcessInstance,
    incident: Any,
    errors: dict[str, str] | None = None,
    values: dict[str, str] | None = None,
    status: int = 200,
) -> Any:
    session = _session()
    return render_template(
        "manage/repair.html",
        row=row,
        incident=incident,
        explanation=repair.explain(session, g.principal, row, incident),
        process_name=queries.process_names(session).get(row.definition_key, row.definition_key),
        errors=errors or {},
        values=values or {},
        prefix=repair.FIELD_PREFIX,
        labels=labels,
    ), status


@bp.post("/instanties/<instance_id>/storingen/<int:incident_id>/herstellen")
@roles_required(*REPAIR_ROLES)
def repair_submit(instance_id: str, incident_id: int) -> Any:
    ctx = _ctx()
    row, incident = _incident_or_404(instance_id, incident_id)
    explanation = repair.explain(ctx.session, g.principal, row, incident)
    given = {k: v for k, v in request.form.items() if k.startswith(repair.FIELD_PREFIX)}
    values = {**given, "herstel": request.form.get("reden", "")}
    errors: dict[str, str] = {}
    try:
        reason = actions.check_reason(request.form.get("reden"))
    except actions.ActionError as exc:
        errors["herstel"] = exc.message
    try:
        data = repair.read_values(ctx, row, explanation, request.form)
    except repair.RepairRefused as exc:
        errors.update({repair.FIELD_PREFIX + k: v for k, v in exc.errors.items()})
    if errors:
        # A refused value is not shown again (it may be personal data).
        kept = {k: v for k, v in values.items() if k not in errors}
        return _render_repair(row, incident, errors, kept, 422)
    try:
        outcome = repair.repair(ctx, row, incident, reason, data, explanation.step)
    except actions.ActionError as exc:
        flash(exc.message, "error")
        return _render_repair(row, incident, {}, values, 409)
    if outcome.queued:
        flash(
            "De systeemtaak wordt opnieuw uitgevoerd. Mislukt ze weer, dan staat deze storing "
            "hier weer open.",
            "ok",
        )
    elif outcome.fixed:
        flash(f"Hersteld: ‘{explanation.step}’ is opnieuw uitgevoerd en de zaak gaat verder.", "ok")
        return redirect(url_for("manage.instance", instance_id=row.id))
    else:
        flash(
            f"Opnieuw geprobeerd, maar ‘{explanation.step}’ mislukte weer. De storing blijft "
            "open; hieronder staat wat er nu misgaat.",
            "error",
        )
    return redirect(url_for("manage.repair_page", instance_id=row.id, incident_id=incident.id))


@bp.route("/instanties/<instance_id>/verplaatsen", methods=["GET", "POST"])
@roles_required(*REPAIR_ROLES)
def move(instance_id: str) -> Any:
    row = _instance_or_404(instance_id)
    session = _session()
    workflow = load_workflow(session, row.version_id, row.state)
    form = request.form
    values = {
        "stoppen": form.getlist("stoppen"),
        "starten": form.get("starten", ""),
        "verplaatsen": form.get("reden", ""),
    }
    errors: dict[str, str] = {}
    plan = None
    status = 200
    if request.method == "POST":
        try:
            reason = actions.check_reason(form.get("reden"))
        except actions.ActionError as exc:
            errors["verplaatsen"] = exc.message
        if not values["stoppen"]:
            errors["stoppen"] = "Kies een of meer stappen waar de zaak nu is."
        if not values["starten"]:
            errors["starten"] = "Kies de stap waar de zaak verder moet gaan."
        if not errors:
            dry_run = form.get("stap") != "uitvoeren"
            try:
                plan = repair.move(
                    _ctx(), row, values["stoppen"], values["starten"], reason, dry_run
                )
            except actions.ActionError as exc:
                flash(exc.message, "error")
                status = 409
            except EngineError as exc:
                session.rollback()
                fields = exc.fields
                errors.update({k: "; ".join(v) for k, v in fields.items()})
                if not fields:
                    flash(actions._dutch(exc), "error")
                status = 422 if fields else 409
            else:
                if not dry_run:
                    flash(f"Verplaatst: de zaak gaat verder bij ‘{plan.started.name}’.", "ok")
                    return redirect(url_for("manage.instance", instance_id=row.id))
        else:
            status = 422
    return render_template(
        "manage/move.html",
        row=row,
        process_name=queries.process_names(session).get(row.definition_key, row.definition_key),
        steps=modification.steps(workflow),
        target_pairs=[(t.element, t.name) for t in modification.targets(workflow)],
        plan=plan,
        errors=errors,
        values=values,
        ended=row.status in InstanceStatus.ended(),
    ), status


# -- processes, heatmaps, performance ------------------------------------------------------------


@bp.get("/overzicht")
@roles_required(*OVERVIEW_ROLES)
def processes() -> Any:
    session = _session()
    scope = overview_scope(g.principal)
    active = dict(
        session.execute(
            scope.apply(
                select(ProcessInstance.definition_key, func.count())
                .where(ProcessInstance.status.not_in(InstanceStatus.ended()))
                .group_by(ProcessInstance.definition_key),
                ProcessInstance.id,
            )
        ).all()
    )
    rows = []
    for key, name in queries.processes(session):
        versions = queries.versions(session, key)
        rows.append(
            {
                "key": key,
                "name": name,
                "version": versions[0].version if versions else 0,
                "active": active.get(key, 0),
            }
        )
    return render_template("manage/processes.html", rows=rows)


@bp.get("/warmtekaart/<process_key>")
@roles_required(*OVERVIEW_ROLES)
def heatmap_page(process_key: str) -> Any:
    session = _session()
    versions = queries.versions(session, process_key)
    if not versions:
        abort(404)
    number = request.args.get("versie", type=int) or versions[0].version
    version = next((v for v in versions if v.version == number), None)
    if version is None:
        abort(404)
    data = heatmap(session, version, overview_scope(g.principal), g.principal.municipality)
    return render_template(
        "manage/heatmap.html",
        process_key=process_key,
        process_name=queries.process_names(session).get(process_key, process_key),
        version_options=[
            (str(v.version), f"Versie {v.version} ({v.deployed_at:%d-%m-%Y})") for v in versions
        ],
        version=version,
        data=data,
        diagram_data={"xml": version.bpmn_xml, "heat": data.as_json(), "markers": {}},
        everything=overview_scope(g.principal).everything,
    )


def _months() -> list[str]:
    default = charts.last_months(12)
    first = request.args.get("van") or default[0]
    last = request.args.get("tot") or default[-1]
    try:
        months = charts.months_between(first, last)
    except ValueError:
        months = []
    return months or default


CSV = {
    "termijnen": ["Maand", "Termijn", "Gehaald", "Niet gehaald", "Percentage gehaald"],
    "doorstroom": ["Maand", "Gestart", "Afgerond", "Afgebroken"],
    "uitkomsten": ["Maand", "Eindpunt", "Aantal"],
}


def _performance(process_key: str) -> dict[str, Any]:
    session = _session()
    if process_key not in queries.process_names(session):
        abort(404)
    scope = overview_scope(g.principal)
    months = _months()
    deadlines = charts.deadlines(session, process_key, scope, months)
    flow = charts.throughput(session, process_key, scope, months)
    return {
        "months": months,
        "deadlines": deadlines,
        "flow": flow,
        "rows": {
            "termijnen": charts.deadline_rows(deadlines, months),
            "doorstroom": charts.throughput_rows(flow, months),
            "uitkomsten": charts.outcome_rows(flow, months),
        },
        "configs": {
            "termijnen": charts.deadline_chart(deadlines, months),
            "doorstroom": charts.throughput_chart(flow, months),
            "uitkomsten": charts.outcome_chart(flow, months),
        },
    }


@bp.get("/prestaties/<process_key>")
@roles_required(*OVERVIEW_ROLES)
def performance(process_key: str) -> Any:
    data = _performance(process_key)
    return render_template(
        "manage/performance.html",
        process_key=process_key,
        process_name=queries.process_names(_session()).get(process_key, process_key),
        data=data,
        columns=CSV,
        month_label=charts.month_label,
        everything=overview_scope(g.principal).everything,
    )


@bp.get("/prestaties/<process_key>/<chart>.csv")
@roles_required(*OVERVIEW_ROLES)
def performance_csv(process_key: str, chart: str) -> Any:
    if chart not in CSV:
        abort(404)
    data = _performance(process_key)
    months = data["months"]
    body = to_csv(CSV[chart], data["rows"][chart])
    name = f"{process_key}-{chart}-{months[0]}-{months[-1]}.csv"
    return Response(
        body,
        mimetype=MEDIA_TYPES["csv"],
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )
