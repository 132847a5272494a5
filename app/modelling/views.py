"""Process owners change their processes in the browser (blueprint `modelling`, under
/processen, next to the monitoring pages):

/processen/<key>/bewerken               the web modeller: bpmn-js with the properties panel,
                                        the Camunda 7 moddle and behaviours and the element
                                        templates of the handlers (frontend/modeller.js)
/processen/<key>/bewerken/controleren   dry run of the deploy (app/modelling/publish.py
                                        `preview`) on the diagram being edited, with the
                                        server's catalogue and forms: the problems per element
/processen/<key>/concept                save the diagram as the process's draft, or throw it away
/processen/<key>/publiceren             a new version, by the code `stroom deploy` runs, with a
                                        note; refused while the diagram has problems; audited
/processen/<key>/formulieren/<name>     form-js's editor for a form of the newest version,
                                        checked (…/controleren) and published (…/publiceren)
                                        with the newest diagram, like the modeller
/processen/<key>/versies                the versions: who published when with which note,
                                        cases per version, each version's diagram (….bpmn)
/processen/<key>/migreren?van=N         running instances of version N to another version:
                                        mapping, dry run per instance, then confirm
/processen/sjablonen.json               the element templates, for the desktop Camunda Modeler
/processen/<key>/catalogus…             the catalogue editor (catalogue_views.py)

Only the process's owner (owners.py) opens or changes them; others get 404 for a process they
do not own (its existence is no secret, but they have nothing to do there) and 403 without
the role.
"""

from __future__ import annotations

import json
from typing import Any

from flask import (
    Blueprint,
    Response,
    abort,
    flash,
    g,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)
from sqlalchemy import func, select

from app import clock
from app.auth.web import roles_required
from app.engine import migration
from app.engine.errors import DeploymentError, EngineError, Problem
from app.engine.models import InstanceStatus, ProcessDefinition, ProcessInstance, ProcessVersion
from app.engine.runtime import version_spec
from app.manage.actions import ActionError, check_reason
from app.modelling import catalogue
from app.modelling.models import CatalogueSource, ProcessDraft
from app.modelling.owners import PROCESS_OWNER, owns_process
from app.modelling.publish import Upload, UploadProblem, deployment_id, preview, publish
from app.modelling.templates import element_templates
from app.privacy import logs
from app.privacy.models import AuditLog
from app.tasks.forms import accepted_kinds

bp = Blueprint("modelling", __name__, url_prefix="/processen")

MAX_XML = 2 * 1024 * 1024


def _app() -> Any:
    from app.services import stroom

    return stroom()


def _session() -> Any:
    from app.services import db_session

    return db_session()


def _definition(key: str) -> ProcessDefinition:
    """The process, if the viewer owns it; 404 otherwise."""
    session = _session()
    definition = session.scalar(select(ProcessDefinition).where(ProcessDefinition.key == key))
    if definition is None or not owns_process(session, g.principal, key):
        abort(404)
    return definition


def _latest(definition: ProcessDefinition) -> ProcessVersion:
    version = _session().scalar(
        select(ProcessVersion)
        .where(ProcessVersion.definition_id == definition.id)
        .order_by(ProcessVersion.version.desc())
        .limit(1)
    )
    if version is None:
        abort(404)
    return version


def _upload(
    definition: ProcessDefinition, xml: str, extra: list[Upload] | None = None
) -> list[Upload]:
    return [Upload(_latest(definition).source_name, xml.encode()), *(extra or [])]


def _problems(
    key: str, xml: str, definition: ProcessDefinition, extra: list[Upload] | None = None
) -> tuple[list[Problem], Any]:
    """Every check of the deploy on the diagram being edited: ([], preview) or (problems,
    None). A diagram must stay the process being edited: one process, with the same id."""
    if not xml.strip():
        return [Problem("", None, None, "het diagram is leeg")], None
    if len(xml.encode()) > MAX_XML:
        return [Problem("", None, None, "het diagram is groter dan 2 MB")], None
    try:
        result = preview(_session(), _upload(definition, xml, extra), _app().settings)
    except DeploymentError as exc:
        return list(exc.problems), None
    except UploadProblem as exc:
        return [Problem(n, None, None, "; ".join(m)) for n, m in exc.problems.items()], None
    keys = {k for k, _ in result.new + result.unchanged}
    if keys != {key}:
        found = ", ".join(sorted(keys)) or "geen"
        return [
            Problem(
                "",
                None,
                None,
                f"het diagram moet precies één proces met id ‘{key}’ bevatten (gevonden: {found})",
            )
        ], None
    return [], result


def _as_json(problems: list[Problem]) -> list[dict[str, Any]]:
    return [{"element": p.element, "regel": p.line, "melding": p.message} for p in problems]


def _page_data(key: str, version: ProcessVersion, xml: str) -> dict[str, Any]:
    """What the modeller's script reads (a JSON data block: no inline script)."""
    return {
        "xml": xml,
        "runningXml": version.bpmn_xml,
        "runningVersion": version.version,
        "templates": element_templates(),
        "checkUrl": url_for("modelling.check", key=key),
    }


@bp.get("/<key>/bewerken")
@roles_required(PROCESS_OWNER)
def edit(key: str) -> Any:
    definition = _definition(key)
    version = _latest(definition)
    draft = _session().get(ProcessDraft, key)
    data = _page_data(key, version, draft.xml if draft else version.bpmn_xml)
    return render_template(
        "modelling/edit.html",
        definition=definition,
        version=version,
        draft=draft,
        data=data,
        errors={},
        values={},
    )


@bp.post("/<key>/concept")
@roles_required(PROCESS_OWNER)
def draft(key: str) -> Any:
    """Save the diagram being edited as the process's draft (`stap=opslaan`), unchecked and
    unpublished, or throw the draft away (`stap=weggooien`)."""
    definition = _definition(key)
    session = _session()
    row = session.get(ProcessDraft, key)
    step = request.form.get("stap", "")
    if step == "weggooien":
        if row is not None:
            session.delete(row)
            session.commit()
        flash("Concept weggegooid: u bewerkt weer de nieuwste versie.", "ok")
        return redirect(url_for("modelling.edit", key=key))
    if step != "opslaan":
        abort(400)
    xml = request.form.get("xml", "")
    if not xml.strip() or len(xml.encode()) > MAX_XML:
        flash("Het concept is niet opgeslagen: het diagram is leeg of groter dan 2 MB.", "error")
        return redirect(url_for("modelling.edit", key=key))
    version = _latest(definition)
    if row is None:
        row = ProcessDraft(process_key=key)
        session.add(row)
    row.xml, row.based_on = xml, version.version
    row.saved_by, row.saved_at = g.principal.actor, clock.now()
    session.commit()
    flash("Concept opgeslagen. Het is nog niet gepubliceerd.", "ok")
    return redirect(url_for("modelling.edit", key=key))


@bp.post("/<key>/bewerken/controleren")
@roles_required(PROCESS_OWNER)
def check(key: str) -> Any:
    definition = _definition(key)
    body = request.get_json(silent=True)
    if not isinstance(body, dict) or not isinstance(body.get("xml"), str):
        return jsonify(
            {"title": "ongeldige aanvraag", "errors": {"xml": ["verplicht: het diagram als tekst"]}}
        ), 400
    # With the catalogue the publish would take (the draft's), not only the server's file.
    draft_row = _session().get(ProcessDraft, key)
    problems, result = _problems(
        key, body["xml"], definition, catalogue_upload(definition, draft_row)[1]
    )
    return jsonify(
        {
            "problemen": _as_json(problems),
            "versie": (result.new or result.unchanged)[0][1] if result else None,
            "gewijzigd": bool(result and result.new),
        }
    )


def catalogue_upload(
    definition: ProcessDefinition, draft: ProcessDraft | None = None
) -> tuple[str, list[Upload]]:
    """The catalogue a publish takes along: the draft's, else the one the newest version has
    (so publishing a diagram or a form never puts the server's older file back)."""
    version = _latest(definition)
    text, _ = catalogue.current_text(_session(), _app().settings.bpmn_dir, version, draft)
    if not text:
        return "", []
    return text, [Upload(catalogue.file_name(version), text.encode())]


def _held(definition: ProcessDefinition, text: str, channel: str) -> Any:
    """A catalogue that widens who may read personal data waits for the privacy officer: a
    redirect to the catalogue page while it is not approved, None when it may go."""
    session = _session()
    held = catalogue.hold(session, definition.key, text, g.principal.actor)
    if held is None:
        return None
    session.commit()
    if held.new_request:
        app = _app()
        catalogue.audit_request(app.db, app.settings.secret_key, g.principal, held, channel)
    flash(
        "Nog niet gepubliceerd: de catalogus geeft meer partijen of fasen leesrecht op "
        "persoonsgegevens. De privacyfunctionaris moet dat eerst goedkeuren.",
        "info",
    )
    return redirect(url_for("modelling.catalogue_page", key=definition.key))


def _publish(
    definition: ProcessDefinition,
    xml: str,
    extra: list[Upload],
    channel: str,
    draft: ProcessDraft | None = None,
) -> tuple[dict[str, str], Any]:
    """Publish the diagram (and the extra files, e.g. an edited form) with the catalogue (the
    draft's when given) and the note of the request: (errors, None) when refused, ({},
    redirect) when published or held for the privacy officer. Audited either way when the
    files had problems, like the API's publish."""
    key = definition.key
    text, catalogue_files = catalogue_upload(definition, draft)
    extra = [*extra, *catalogue_files]
    errors: dict[str, str] = {}
    note = ""
    try:
        note = check_reason(request.form.get("notitie"))
    except ActionError as exc:
        errors["notitie"] = exc.message.replace("reden", "notitie")
    problems, result = _problems(key, xml, definition, extra)
    if problems:
        errors["diagram"] = "Er zijn problemen; los ze op voordat u publiceert: " + "; ".join(
            p.message for p in problems[:5]
        )
    elif result is not None and not result.new:
        errors["diagram"] = "Er is niets veranderd ten opzichte van de nieuwste versie."
    files = _upload(definition, xml, extra) if xml.strip() else []
    upload_id = deployment_id(files) if files else "-"
    app, session = _app(), _session()
    # Only the owner's own catalogue edits wait for the privacy officer: without them the
    # publish takes the catalogue as installed (the operator's, as `stroom deploy` does).
    if not errors and draft is not None and draft.catalogue is not None:
        held = _held(definition, draft.catalogue, channel)
        if held is not None:
            return {}, held
    if not errors:
        try:
            deployed = publish(session, files, app.settings, g.principal.actor)
        except DeploymentError as exc:  # changed between the check and now
            session.rollback()
            errors["diagram"] = "; ".join(p.message for p in exc.problems[:5])
        else:
            [(_key, number)] = deployed.created
            # The draft goes only when it was what got published (a form's publish keeps it).
            row = session.get(ProcessDraft, key) if draft is not None else None
            if row is not None:
                session.delete(row)
            if text:
                session.merge(CatalogueSource(process_key=key, version=number, text=text))
            catalogue.lapse(session, key)  # a request on the old version has nothing to decide
            session.commit()
            logs.audit(
                app.db,
                app.settings.secret_key,
                g.principal,
                "proces.publiceren",
                "deployment",
                upload_id,
                "gelukt",
                {
                    "nieuw": [{"proces": k, "versie": v} for k, v in deployed.created],
                    "notitie": note,
                    "kanaal": channel,
                },
            )
            flash(f"Gepubliceerd: versie {number}. Nieuwe zaken lopen volgens deze versie.", "ok")
            return {}, redirect(url_for("modelling.versions", key=key))
    if problems and xml.strip():
        logs.audit(
            app.db,
            app.settings.secret_key,
            g.principal,
            "proces.publiceren",
            "deployment",
            upload_id,
            "geweigerd",
            {"problemen": len(problems), "kanaal": channel},
        )
    return errors, None


@bp.post("/<key>/publiceren")
@roles_required(PROCESS_OWNER)
def publish_page(key: str) -> Any:
    definition = _definition(key)
    xml = request.form.get("xml", "")
    errors, done = _publish(
        definition, xml, [], "modeller", _session().get(ProcessDraft, definition.key)
    )
    if done is not None:
        return done
    version = _latest(definition)
    data = _page_data(key, version, xml if xml.strip() else version.bpmn_xml)
    return render_template(
        "modelling/edit.html",
        definition=definition,
        version=version,
        draft=_session().get(ProcessDraft, key),
        data=data,
        errors=errors,
        values={"notitie": request.form.get("notitie", "")},
    ), 422


# -- forms ----------------------------------------------------------------------------------


def _form_schema(definition: ProcessDefinition, name: str) -> tuple[ProcessVersion, Any]:
    """A form of the newest version (forms are frozen with their version)."""
    version = _latest(definition)
    schema = (version.forms or {}).get(name)
    if schema is None:
        abort(404)
    return version, schema


def form_text(schema: Any) -> str:
    """A form as the files in forms/ are written: two spaces, a newline at the end (the
    editor's page writes it the same way, so saving without edits changes nothing)."""
    return json.dumps(schema, indent=2, ensure_ascii=False) + "\n"


def _form_upload(name: str, text: str) -> tuple[list[Upload], str | None]:
    try:
        schema = json.loads(text)
    except ValueError:
        return [], "het formulier is geen geldige JSON"
    if not isinstance(schema, dict) or not isinstance(schema.get("components"), list):
        return [], "het formulier heeft geen onderdelen (components)"
    return [Upload(name, text.encode())], None


@bp.get("/<key>/formulieren/<name>")
@roles_required(PROCESS_OWNER)
def form_page(key: str, name: str) -> Any:
    definition = _definition(key)
    version, schema = _form_schema(definition, name)
    return _render_form(definition, version, name, form_text(schema), {}, 200)


def _render_form(
    definition: ProcessDefinition,
    version: ProcessVersion,
    name: str,
    text: str,
    errors: dict[str, str],
    status: int,
) -> Any:
    return render_template(
        "modelling/form.html",
        definition=definition,
        version=version,
        name=name,
        data={
            "schema": text,
            "checkUrl": url_for("modelling.form_check", key=definition.key, name=name),
            "kinds": accepted_kinds(),
        },
        errors=errors,
        values={"notitie": request.form.get("notitie", "")},
    ), status


@bp.post("/<key>/formulieren/<name>/controleren")
@roles_required(PROCESS_OWNER)
def form_check(key: str, name: str) -> Any:
    definition = _definition(key)
    version, _schema = _form_schema(definition, name)
    body = request.get_json(silent=True)
    if not isinstance(body, dict) or not isinstance(body.get("formulier"), str):
        return jsonify(
            {
                "title": "ongeldige aanvraag",
                "errors": {"formulier": ["verplicht: het formulier als JSON-tekst"]},
            }
        ), 400
    extra, wrong = _form_upload(name, body["formulier"])
    if wrong:
        return jsonify({"problemen": [{"element": None, "regel": None, "melding": wrong}]})
    problems, result = _problems(
        key, version.bpmn_xml, definition, [*extra, *catalogue_upload(definition)[1]]
    )
    return jsonify({"problemen": _as_json(problems), "gewijzigd": bool(result and result.new)})


@bp.post("/<key>/formulieren/<name>/publiceren")
@roles_required(PROCESS_OWNER)
def form_publish(key: str, name: str) -> Any:
    definition = _definition(key)
    version, schema = _form_schema(definition, name)
    text = request.form.get("formulier", "")
    extra, wrong = _form_upload(name, text)
    if wrong:
        return _render_form(definition, version, name, form_text(schema), {"formulier": wrong}, 422)
    errors, done = _publish(definition, version.bpmn_xml, extra, "formulierbewerker")
    if done is not None:
        return done
    return _render_form(definition, version, name, text, errors, 422)


@bp.get("/<key>/versies")
@roles_required(PROCESS_OWNER)
def versions(key: str) -> Any:
    definition = _definition(key)
    session = _session()
    counts: dict[int, dict[str, int]] = {}
    for version_id, status, n in session.execute(
        select(ProcessInstance.version_id, ProcessInstance.status, func.count())
        .join(ProcessVersion, ProcessVersion.id == ProcessInstance.version_id)
        .where(ProcessVersion.definition_id == definition.id)
        .group_by(ProcessInstance.version_id, ProcessInstance.status)
    ):
        per = counts.setdefault(version_id, {"lopend": 0, "totaal": 0})
        per["totaal"] += n
        if status not in InstanceStatus.ended():
            per["lopend"] += n
    rows = session.scalars(
        select(ProcessVersion)
        .where(ProcessVersion.definition_id == definition.id)
        .order_by(ProcessVersion.version.desc())
    ).all()
    return render_template(
        "modelling/versions.html",
        definition=definition,
        rows=[
            (row, counts.get(row.id, {"lopend": 0, "totaal": 0}), i == 0)
            for i, row in enumerate(rows)
        ],
        notes=_notes(key),
    )


def _notes(key: str) -> dict[int, str]:
    """{version: the note it was published with} from the audit log (publishing in the
    browser asks for one; `stroom deploy` and the API do not)."""
    notes: dict[int, str] = {}
    for details in _session().scalars(
        select(AuditLog.details).where(
            AuditLog.object_type == "deployment",
            AuditLog.action == "proces.publiceren",
            AuditLog.result == "gelukt",
        )
    ):
        for item in (details or {}).get("nieuw", []):
            if item.get("proces") == key and details.get("notitie"):
                notes[int(item["versie"])] = str(details["notitie"])
    return notes


@bp.app_template_global("may_edit_process")
def may_edit_process(key: str) -> bool:
    """For links to the modeller (the process overview): does the viewer own the process?"""
    principal = getattr(g, "principal", None)
    return principal is not None and owns_process(_session(), principal, key)


@bp.get("/sjablonen.json")
@roles_required(PROCESS_OWNER)
def templates_file() -> Any:
    """The element templates as a file for the desktop Camunda Modeler
    (resources/element-templates/ in its configuration folder)."""
    response = jsonify(element_templates())
    response.headers["Content-Disposition"] = 'attachment; filename="stroom-sjablonen.json"'
    return response


@bp.get("/<key>/versies/<int:number>.bpmn")
@roles_required(PROCESS_OWNER)
def version_file(key: str, number: int) -> Any:
    """One version's diagram, to bring a change made in the browser back into bpmn/."""
    definition = _definition(key)
    version = _version_row(definition, number)
    response = Response(version.bpmn_xml, mimetype="application/xml")
    response.headers["Content-Disposition"] = (
        f'attachment; filename="{version.source_name.removesuffix(".bpmn")}-v{number}.bpmn"'
    )
    return response


# -- migration ----------------------------------------------------------------------------------


def _version_row(definition: ProcessDefinition, number: Any) -> ProcessVersion:
    try:
        wanted = int(number)
    except (TypeError, ValueError):
        abort(404)
    row = _session().scalar(
        select(ProcessVersion).where(
            ProcessVersion.definition_id == definition.id, ProcessVersion.version == wanted
        )
    )
    if row is None:
        abort(404)
    return row


@bp.route("/<key>/migreren", methods=["GET", "POST"])
@roles_required(PROCESS_OWNER)
def migrate(key: str) -> Any:
    """Move running instances of one version to another: the mapping (generated for the
    elements that kept their id, editable), then a dry run per instance, then confirm."""
    definition = _definition(key)
    session = _session()
    source = _version_row(definition, request.values.get("van"))
    versions = session.scalars(
        select(ProcessVersion)
        .where(ProcessVersion.definition_id == definition.id, ProcessVersion.id != source.id)
        .order_by(ProcessVersion.version.desc())
    ).all()
    if not versions:
        abort(404)
    target = _version_row(definition, request.values.get("naar", versions[0].version))
    if target.id == source.id:
        abort(404)
    old_spec, _ = version_spec(session, source.id)
    new_spec, _ = version_spec(session, target.id)
    old_elements = migration.elements(old_spec)
    new_elements = migration.elements(new_spec)
    generated = migration.default_mapping(session, source.id, target.id)
    running = migration.running_instances(session, source.id)
    form = request.form
    errors: dict[str, str] = {}
    if request.method == "POST":
        mapping = {
            element: form.get(f"koppeling-{element}", "")
            for element in old_elements
            if form.get(f"koppeling-{element}")
        }
        chosen = [i for i in form.getlist("zaken") if i in running]
    else:
        mapping, chosen = generated, list(running)
    bad = sorted(v for v in mapping.values() if v not in new_elements)
    if bad:
        errors["koppeling"] = f"Onbekend element in versie {target.version}: {', '.join(bad)}."
    plans: list[migration.InstanceMigration] = []
    step = form.get("stap", "")
    reason = ""
    if request.method == "POST" and not errors:
        if not chosen:
            errors["zaken"] = "Kies een of meer zaken om te migreren."
        try:
            reason = check_reason(form.get("reden"))
        except ActionError as exc:
            errors["reden"] = exc.message
    if request.method == "POST" and not errors:
        if step == "uitvoeren":
            return _migrate_now(definition, source, target, mapping, chosen, reason)
        plans = [
            migration.migrate(session, i, target.id, mapping, g.principal.actor, reason)
            for i in chosen
        ]
        session.rollback()
    keys = dict(
        session.execute(
            select(ProcessInstance.id, ProcessInstance.business_key).where(
                ProcessInstance.id.in_(running)
            )
        ).all()
    )
    return render_template(
        "modelling/migrate.html",
        definition=definition,
        source=source,
        target=target,
        version_pairs=[(str(v.version), f"versie {v.version}") for v in versions],
        old_elements=sorted(old_elements.items(), key=lambda item: item[1].lower()),
        new_pairs=[("", "— geen plaats —")]
        + sorted(new_elements.items(), key=lambda item: item[1].lower()),
        mapping=mapping,
        generated=generated,
        added=sorted(
            (name for element, name in new_elements.items() if element not in old_elements),
            key=str.lower,
        ),
        running=[(i, keys.get(i)) for i in running],
        running_total=migration.running_count(session, source.id),
        chosen=chosen,
        plans=plans,
        errors=errors,
        values={"reden": form.get("reden", "")},
    ), (422 if errors else 200)


def _migrate_now(
    definition: ProcessDefinition,
    source: ProcessVersion,
    target: ProcessVersion,
    mapping: dict[str, str],
    chosen: list[str],
    reason: str,
) -> Any:
    """Each instance in its own transaction: one that cannot move does not hold back the
    others; each migration (and each refusal) is in the audit log and the case's history."""
    app, session = _app(), _session()
    moved, refused = 0, []
    for instance_id in chosen:
        try:
            plan = migration.migrate(
                session, instance_id, target.id, mapping, g.principal.actor, reason, False
            )
        except EngineError as exc:
            session.rollback()
            refused.append(instance_id)
            result, details = "geweigerd", {"reden": reason, "waarom": str(exc)}
        else:
            session.commit()
            moved += 1
            result = "gelukt"
            details = {
                "proces": definition.key,
                "van": source.version,
                "naar": target.version,
                "koppeling": {m.element: m.target for m in plan.moves},
                "reden": reason,
            }
        logs.audit(
            app.db,
            app.settings.secret_key,
            g.principal,
            "proces.migreren",
            "process_instance",
            instance_id,
            result,
            details,
        )
    if moved:
        flash(f"{moved} zaak/zaken gemigreerd naar versie {target.version}.", "ok")
    if refused:
        flash(
            f"{len(refused)} zaak/zaken niet gemigreerd: ze konden niet (meer) verhuizen.", "error"
        )
    return redirect(url_for("modelling.versions", key=definition.key))
