"""The catalogue editor (blueprint `modelling`), for the process's owner:

/processen/<key>/catalogus                       the fields with who reads them, the draft's
                                                 widenings and approval, publish, throw away
/processen/<key>/catalogus/velden/<name>         one field: description, category, type,
                                                 retention, per party in which phases it
                                                 reads and writes (with which consent)
/processen/<key>/catalogus/nieuw-veld            a new field
/processen/<key>/catalogus/instellingen          the covenant's settings
/processen/<key>/catalogus.yaml                  the file as it is now (for bpmn/)

Every save writes only what changed into the file (app/catalogue/source.py) and runs the
deploy's own checks on it with the draft's diagram: a save that brings a problem the draft did
not have is refused with that problem. The file is kept in the process's draft and published
with its diagram; a catalogue that widens who may read waits for the privacy officer."""

from __future__ import annotations

from typing import Any

from flask import Response, abort, flash, g, redirect, render_template, request, url_for

from app import clock
from app.auth.web import roles_required
from app.catalogue import Catalogue, CatalogueError
from app.catalogue.source import Rewritten, tree
from app.engine.errors import Problem
from app.engine.models import ProcessDefinition, ProcessVersion
from app.modelling import catalogue as edit
from app.modelling.models import ApprovalStatus, ProcessDraft
from app.modelling.owners import PROCESS_OWNER
from app.modelling.publish import Upload
from app.modelling.views import _app, _definition, _latest, _problems, _publish, _session, bp


def _state(definition: ProcessDefinition) -> tuple[ProcessVersion, ProcessDraft | None, str]:
    version = _latest(definition)
    draft = _session().get(ProcessDraft, definition.key)
    text, _ = edit.current_text(_session(), _app().settings.bpmn_dir, version, draft)
    if not text:
        abort(404)  # a process without a catalogue has nothing to edit here
    return version, draft, text


def _catalogue(version: ProcessVersion, text: str) -> Catalogue:
    try:
        return edit.loaded(text, edit.file_name(version))
    except CatalogueError:
        abort(409)  # saved texts are checked; only a hand-edited database gets here


def _where(problem: Problem) -> str:
    parts = [
        f"element {problem.element}" if problem.element else "",
        f"regel {problem.line}" if problem.line else "",
    ]
    where = ", ".join(p for p in parts if p)
    return f"{problem.file}{' (' + where + ')' if where else ''}: {problem.message}"


def _new_problems(
    definition: ProcessDefinition,
    version: ProcessVersion,
    draft: ProcessDraft | None,
    before: str,
    after: str,
) -> list[str]:
    """The deploy's problems with the edited file that the file as it was did not have
    (the draft's diagram may have its own, which the modeller shows)."""
    xml = draft.xml if draft else version.bpmn_xml
    name = edit.file_name(version)
    old, _ = _problems(definition.key, xml, definition, [Upload(name, before.encode())])
    new, _ = _problems(definition.key, xml, definition, [Upload(name, after.encode())])
    known = {_where(p) for p in old}
    return [_where(p) for p in new if _where(p) not in known]


def _save(
    definition: ProcessDefinition,
    version: ProcessVersion,
    draft: ProcessDraft | None,
    before: str,
    result: Rewritten,
    done: str,
) -> list[str]:
    """Store the edited file in the draft, unless it brings problems (returned)."""
    problems = _new_problems(definition, version, draft, before, result.text)
    if problems:
        return problems
    session = _session()
    if draft is None:
        draft = ProcessDraft(
            process_key=definition.key, xml=version.bpmn_xml, based_on=version.version
        )
        session.add(draft)
    draft.catalogue = result.text
    draft.saved_by, draft.saved_at = g.principal.actor, clock.now()
    session.commit()
    note = (
        " Let op: het bestand is opnieuw opgemaakt; commentaar erin is verloren gegaan."
        if result.reformatted
        else ""
    )
    flash(done + " Het staat in het concept en is nog niet gepubliceerd." + note, "ok")
    return []


@bp.get("/<key>/catalogus")
@roles_required(PROCESS_OWNER)
def catalogue_page(key: str) -> Any:
    definition = _definition(key)
    version, draft, text = _state(definition)
    published, rewritten = edit.published_text(_session(), _app().settings.bpmn_dir, version)
    changed = draft is not None and draft.catalogue is not None
    found = edit.widened(version, text) if changed else []
    session = _session()
    decisions = [
        edit.approval(session, key, version.version, text, status)
        for status in (ApprovalStatus.APPROVED, ApprovalStatus.PENDING, ApprovalStatus.REJECTED)
    ]
    return render_template(
        "modelling/catalogue.html",
        definition=definition,
        version=version,
        draft=draft,
        changed=changed,
        rewritten=rewritten and not changed,
        catalogue=_catalogue(version, text),
        widenings=found,
        diff=edit.text_diff(published, text) if changed else "",
        approved=decisions[0],
        waiting=decisions[1],
        rejected=decisions[2],
        errors={},
        values={},
    )


def _field_page(
    definition: ProcessDefinition,
    catalogue: Catalogue,
    name: str | None,
    values: dict[str, Any],
    errors: dict[str, str],
    problems: list[str],
    status: int,
) -> Any:
    return render_template(
        "modelling/catalogue_field.html",
        definition=definition,
        catalogue=catalogue,
        name=name,
        values=values,
        errors=errors,
        problems=problems,
        labels=edit.LABELS,
        choices=edit.CHOICES,
    ), status


@bp.route("/<key>/catalogus/velden/<name>", methods=["GET", "POST"])
@roles_required(PROCESS_OWNER)
def catalogue_field(key: str, name: str) -> Any:
    definition = _definition(key)
    version, draft, text = _state(definition)
    catalogue = _catalogue(version, text)
    spec = (tree(text).get("velden") or {}).get(name)
    if not isinstance(spec, dict):
        abort(404)
    if request.method == "GET":
        values = edit.field_values(spec, catalogue, name)
        return _field_page(definition, catalogue, name, values, {}, [], 200)
    if request.form.get("stap") == "verwijderen":
        result = edit.with_field(text, name, None)
        problems = _save(definition, version, draft, text, result, f"Veld {name} verwijderd.")
        if not problems:
            return redirect(url_for("modelling.catalogue_page", key=key))
        values = edit.field_values(spec, catalogue, name)
        return _field_page(definition, catalogue, name, values, {}, problems, 422)
    new, errors = edit.apply_field(spec, request.form, catalogue)
    problems: list[str] = []
    if not errors:
        result = edit.with_field(text, name, new)
        if result.text == text:
            flash("Er is niets veranderd.", "info")
            return redirect(url_for("modelling.catalogue_page", key=key))
        problems = _save(definition, version, draft, text, result, f"Veld {name} opgeslagen.")
        if not problems:
            return redirect(url_for("modelling.catalogue_page", key=key) + f"#veld-{name}")
    return _field_page(
        definition, catalogue, name, _posted(request.form, catalogue), errors, problems, 422
    )


def _posted(form: Any, catalogue: Catalogue) -> dict[str, Any]:
    """The form as posted, to show it again."""
    values: dict[str, Any] = {k: form.get(k, "") for k in edit.LABELS}
    for right in edit.RIGHTS:
        for party in catalogue.parties:
            prefix = f"{right}-{party}"
            values[prefix] = {
                "alle": bool(form.get(f"{prefix}-alle")),
                "fasen": form.getlist(f"{prefix}-fasen"),
                "toestemming": form.get(f"{prefix}-toestemming", ""),
                "schriftelijk": bool(form.get(f"{prefix}-schriftelijk")),
            }
    return values


@bp.route("/<key>/catalogus/nieuw-veld", methods=["GET", "POST"])
@roles_required(PROCESS_OWNER)
def catalogue_new_field(key: str) -> Any:
    definition = _definition(key)
    version, draft, text = _state(definition)
    catalogue = _catalogue(version, text)
    if request.method == "GET":
        values = edit.field_values({}, catalogue, "")
        return _field_page(definition, catalogue, None, values, {}, [], 200)
    name = request.form.get("naam", "").strip()
    errors: dict[str, str] = {}
    if not name:
        errors["naam"] = "Vul de naam van het veld in (zoals in het diagram, bijv. huur_bedrag)."
    elif name in catalogue.fields:
        errors["naam"] = f"Er is al een veld {name}."
    new, more = edit.apply_field({}, request.form, catalogue)
    errors.update(more)
    problems: list[str] = []
    if not errors:
        result = edit.with_field(text, name, new)
        problems = _save(definition, version, draft, text, result, f"Veld {name} toegevoegd.")
        if not problems:
            return redirect(url_for("modelling.catalogue_page", key=key) + f"#veld-{name}")
    values = _posted(request.form, catalogue)
    values["naam"] = name
    return _field_page(definition, catalogue, None, values, errors, problems, 422)


@bp.route("/<key>/catalogus/instellingen", methods=["GET", "POST"])
@roles_required(PROCESS_OWNER)
def catalogue_settings(key: str) -> Any:
    definition = _definition(key)
    version, draft, text = _state(definition)
    settings = tree(text).get("instellingen") or {}
    errors: dict[str, str] = {}
    problems: list[str] = []
    if request.method == "POST":
        new, errors = edit.apply_settings(settings, request.form)
        if not errors:
            result = edit.with_settings(text, new)
            if result.text == text:
                flash("Er is niets veranderd.", "info")
                return redirect(url_for("modelling.catalogue_page", key=key))
            problems = _save(definition, version, draft, text, result, "Instellingen opgeslagen.")
            if not problems:
                return redirect(url_for("modelling.catalogue_page", key=key))
    return render_template(
        "modelling/catalogue_settings.html",
        definition=definition,
        settings=settings,
        form=request.form,
        errors=errors,
        problems=problems,
    ), (422 if errors or problems else 200)


@bp.post("/<key>/catalogus/publiceren")
@roles_required(PROCESS_OWNER)
def catalogue_publish(key: str) -> Any:
    """Publish the draft: its diagram with its catalogue (held while a widening waits)."""
    definition = _definition(key)
    draft = _session().get(ProcessDraft, key)
    if draft is None or draft.catalogue is None:
        flash("Er is geen gewijzigde catalogus om te publiceren.", "error")
        return redirect(url_for("modelling.catalogue_page", key=key))
    errors, done = _publish(definition, draft.xml, [], "catalogusbewerker", draft)
    if done is not None:
        return done
    for message in errors.values():
        flash(message, "error")
    return redirect(url_for("modelling.catalogue_page", key=key))


@bp.post("/<key>/catalogus/weggooien")
@roles_required(PROCESS_OWNER)
def catalogue_discard(key: str) -> Any:
    definition = _definition(key)
    draft = _session().get(ProcessDraft, definition.key)
    if draft is not None and draft.catalogue is not None:
        draft.catalogue = None
        edit.lapse(_session(), key)
        _session().commit()
    flash("Wijzigingen in de catalogus weggegooid.", "ok")
    return redirect(url_for("modelling.catalogue_page", key=key))


@bp.get("/<key>/catalogus.yaml")
@roles_required(PROCESS_OWNER)
def catalogue_file(key: str) -> Any:
    definition = _definition(key)
    version, _draft, text = _state(definition)
    response = Response(text, mimetype="application/yaml")
    response.headers["Content-Disposition"] = f'attachment; filename="{edit.file_name(version)}"'
    return response
