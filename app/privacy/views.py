"""The privacy officer's pages (role privacyfunctionaris): the processing log, the audit log
and the consents of a case; the registers of breaches and requests are in register_views.py.

Every search and every export is itself audited (privacy.zoeken, privacy.exporteren) with
the filters, never with what was found. A case id or BSN the officer types never appears in
a URL, a server log or the audit log: the search form is posted, turned into the keyed
pseudonym the processing log holds, and the page is then shown at a URL with only that
pseudonym in it.
"""

from __future__ import annotations

from typing import Any

from flask import (
    Flask,
    abort,
    flash,
    g,
    redirect,
    render_template,
    request,
    url_for,
)
from sqlalchemy import select

from app.auth.crypto import pseudonym
from app.auth.models import Organisation
from app.auth.web import roles_required
from app.exports import to_csv, to_xlsx
from app.privacy import logs, search
from app.privacy.models import AuditLog, Consent, ProcessingLog
from app.privacy.pages import (
    FORMATS,
    OFFICER,
    audit_action,
    bp,
    download,
    request_session,
    services,
)

PROCESSING_FIELDS = ("van", "tot", "activiteit", "naam", "status", "trace")
AUDIT_FIELDS = (
    "van",
    "tot",
    "actor",
    "actie",
    "objecttype",
    "objectid",
    "resultaat",
    "organisatie",
)
SUBJECT_KIND_LABELS = {"zaak": "Zaak (zaak-id of kenmerk)", "bsn": "BSN"}
PURPOSE = "toezicht op de verwerking van persoonsgegevens (privacyfunctionaris)"


def register_privacy(app: Flask) -> None:
    """Mount the privacy officer's pages. Idempotent."""
    from app.privacy import approval_views, register_views  # noqa: F401 - routes join bp

    if "privacy" not in app.blueprints:
        app.register_blueprint(bp)


@bp.context_processor
def _helpers() -> dict[str, Any]:
    return {"describe": search.describe, "limit": search.EXPORT_LIMIT}


def _given(values: Any, names: tuple[str, ...]) -> dict[str, str]:
    """The filled-in filter fields, as typed (for URLs and for the audit line)."""
    return {n: values.get(n, "").strip() for n in names if values.get(n, "").strip()}


@bp.get("/")
@roles_required(OFFICER)
def index() -> Any:
    return redirect(url_for("privacy.processing"))


# -- processing log (Logboek Dataverwerkingen) ----------------------------------------------


def _processing_query(values: Any, pseudonyms: list[str], kind: str | None) -> dict[str, Any]:
    query: dict[str, Any] = _given(values, PROCESSING_FIELDS)
    if pseudonyms:
        query["soort"] = kind or ""
        query["pseudoniem"] = pseudonyms
    return query


def _processing_details(query: dict[str, Any]) -> dict[str, Any]:
    filters = {k: v for k, v in query.items() if k not in ("soort", "pseudoniem")}
    if query.get("pseudoniem"):
        filters["betrokkene"] = {"soort": query["soort"], "pseudoniemen": query["pseudoniem"]}
    return filters


@bp.route("/verwerkingen", methods=["GET", "POST"])
@roles_required(OFFICER)
def processing() -> Any:
    errors: dict[str, str] = {}
    if request.method == "POST":
        form = request.form
        kind = form.get("soort", "").strip() or None
        subject = form.get("betrokkene", "").strip() or None
        search.parse_processing(form, [], errors)
        search.check_subject(kind, subject, errors)
        if not errors:
            if subject:
                with services().db.session() as session:
                    pseudonyms = search.subject_pseudonyms(
                        session, services().settings.secret_key, kind, subject
                    )
            else:  # keep the subject of the search shown before (its pseudonyms)
                pseudonyms = form.getlist("pseudoniem")
                kind = form.get("pseudoniem_soort", "").strip() or None
            query = _processing_query(form, pseudonyms, kind)
            return redirect(url_for("privacy.processing", **query), 303)
        kept = form.getlist("pseudoniem")  # the subject of the search shown before stays
        return _processing_page(
            form, errors, None, kept, {"soort": form.get("pseudoniem_soort", "")}
        )

    args = request.args
    pseudonyms = args.getlist("pseudoniem")
    selection = search.parse_processing(args, pseudonyms, errors)
    if errors:
        return _processing_page(args, errors, None, [])
    try:
        found = search.page(
            request_session(),
            ProcessingLog,
            selection.conditions(),
            after=args.get("na"),
            before=args.get("voor"),
        )
    except search.BadCursor:
        abort(400)
    query = _processing_query(args, list(selection.subjects), selection.subject_kind)
    audit_action(
        "privacy.zoeken",
        "verwerkingenlogboek",
        logboek="verwerkingen",
        filters=_processing_details(query),
        pagina="vorige" if args.get("voor") else ("volgende" if args.get("na") else "eerste"),
    )
    return _processing_page(args, errors, found, list(selection.subjects), query)


def _processing_page(
    values: Any,
    errors: dict[str, str],
    found: search.Page | None,
    pseudonyms: list[str],
    query: dict[str, Any] | None = None,
) -> Any:
    query = query or {}
    return render_template(
        "privacy/processing.html",
        form=values,
        errors=errors,
        page=found,
        pseudonyms=pseudonyms,
        subject_kind=values.get("soort") or "zaak",
        kinds=list(SUBJECT_KIND_LABELS.items()),
        statuses=search.STATUSES,
        query=query,
        next_url=(
            url_for("privacy.processing", **query, na=found.next_cursor)
            if found and found.next_cursor
            else None
        ),
        previous_url=(
            url_for("privacy.processing", **query, voor=found.previous_cursor)
            if found and found.previous_cursor
            else None
        ),
        without_subject=url_for(
            "privacy.processing",
            **{k: v for k, v in query.items() if k not in ("soort", "pseudoniem")},
        ),
    ), (422 if errors else 200)


@bp.get("/verwerkingen/export.<fmt>")
@roles_required(OFFICER)
def processing_export(fmt: str) -> Any:
    if fmt not in FORMATS:
        abort(404)
    args = request.args
    errors: dict[str, str] = {}
    selection = search.parse_processing(args, args.getlist("pseudoniem"), errors)
    query = _processing_query(args, list(selection.subjects), selection.subject_kind)
    if errors:
        flash("De selectie is niet geldig; pas de zoekvelden aan en probeer het opnieuw.", "error")
        return redirect(url_for("privacy.processing", **query))
    rows = search.export_rows(
        request_session(), ProcessingLog, selection.conditions(), search.EXPORT_LIMIT
    )
    details = {"logboek": "verwerkingen", "formaat": fmt, "filters": _processing_details(query)}
    if rows is None:
        audit_action("privacy.exporteren", "verwerkingenlogboek", None, "geweigerd", **details)
        flash(_too_many(), "error")
        return redirect(url_for("privacy.processing", **query))
    audit_action("privacy.exporteren", "verwerkingenlogboek", aantal=len(rows), **details)
    table = [search.processing_row(r) for r in rows]
    content = (
        to_xlsx(search.PROCESSING_COLUMNS, table, "Verwerkingen")
        if fmt == "xlsx"
        else to_csv(search.PROCESSING_COLUMNS, table)
    )
    return download(content, fmt, "verwerkingen")


def _too_many() -> str:
    limit = f"{search.EXPORT_LIMIT:,}".replace(",", ".")
    return (
        f"De selectie heeft meer dan {limit} regels en is niet geëxporteerd. "
        "Maak de selectie kleiner, bijvoorbeeld met een kortere periode."
    )


# -- audit log (BIO) ------------------------------------------------------------------------


def _organisations() -> list[tuple[str, str]]:
    rows = request_session().execute(
        select(Organisation.key, Organisation.name).order_by(Organisation.name)
    )
    return [(key, name) for key, name in rows]


@bp.get("/audit")
@roles_required(OFFICER)
def audit() -> Any:
    args = request.args
    errors: dict[str, str] = {}
    organisations = _organisations()
    selection = search.parse_audit(args, [k for k, _ in organisations], errors)
    query = _given(args, AUDIT_FIELDS)
    found = None
    if not errors:
        try:
            found = search.page(
                request_session(),
                AuditLog,
                selection.conditions(),
                after=args.get("na"),
                before=args.get("voor"),
            )
        except search.BadCursor:
            abort(400)
        audit_action(
            "privacy.zoeken",
            "auditlog",
            logboek="audit",
            filters=query,
            pagina="vorige" if args.get("voor") else ("volgende" if args.get("na") else "eerste"),
        )
    return render_template(
        "privacy/audit.html",
        form=args,
        errors=errors,
        page=found,
        query=query,
        organisations=organisations,
        results=search.RESULTS,
        next_url=(
            url_for("privacy.audit", **query, na=found.next_cursor)
            if found and found.next_cursor
            else None
        ),
        previous_url=(
            url_for("privacy.audit", **query, voor=found.previous_cursor)
            if found and found.previous_cursor
            else None
        ),
    ), (422 if errors else 200)


@bp.get("/audit/export.<fmt>")
@roles_required(OFFICER)
def audit_export(fmt: str) -> Any:
    if fmt not in FORMATS:
        abort(404)
    args = request.args
    errors: dict[str, str] = {}
    organisations = [k for k, _ in _organisations()]
    selection = search.parse_audit(args, organisations, errors)
    query = _given(args, AUDIT_FIELDS)
    if errors:
        flash("De selectie is niet geldig; pas de zoekvelden aan en probeer het opnieuw.", "error")
        return redirect(url_for("privacy.audit", **query))
    rows = search.export_rows(
        request_session(), AuditLog, selection.conditions(), search.EXPORT_LIMIT
    )
    details = {"logboek": "audit", "formaat": fmt, "filters": query}
    if rows is None:
        audit_action("privacy.exporteren", "auditlog", None, "geweigerd", **details)
        flash(_too_many(), "error")
        return redirect(url_for("privacy.audit", **query))
    audit_action("privacy.exporteren", "auditlog", aantal=len(rows), **details)
    table = [search.audit_row(r) for r in rows]
    content = (
        to_xlsx(search.AUDIT_COLUMNS, table, "Auditlog")
        if fmt == "xlsx"
        else to_csv(search.AUDIT_COLUMNS, table)
    )
    return download(content, fmt, "auditlog")


# -- consents of a case ---------------------------------------------------------------------


@bp.get("/toestemmingen")
@roles_required(OFFICER)
def consent_lookup() -> Any:
    """Find a case by its id or business key, then show its consents."""
    from app.engine.models import ProcessInstance

    value = request.args.get("zaak", "").strip()
    errors: dict[str, str] = {}
    matches: list[Any] = []
    if value:
        session = request_session()
        matches = list(
            session.scalars(
                select(ProcessInstance)
                .where((ProcessInstance.id == value) | (ProcessInstance.business_key == value))
                .order_by(ProcessInstance.started_at.desc())
                .limit(50)
            )
        )
        audit_action(
            "privacy.zoeken", "procesinstantie", logboek="toestemmingen", filters={"zaak": value}
        )
        if len(matches) == 1:
            return redirect(url_for("privacy.consents", instance_id=matches[0].id))
        if not matches:
            errors["zaak"] = "Er is geen zaak met dit zaak-id of kenmerk."
    return render_template(
        "privacy/consent_lookup.html", errors=errors, value=value, matches=matches
    ), (422 if errors else 200)


@bp.get("/toestemmingen/<instance_id>")
@roles_required(OFFICER)
def consents(instance_id: str) -> Any:
    from app.cases.models import Document
    from app.engine.models import ProcessInstance
    from app.engine.runtime import version_catalogue

    session = request_session()
    instance = session.get(ProcessInstance, instance_id)
    if instance is None:
        audit_action(
            "privacy.inzien",
            "procesinstantie",
            instance_id,
            "geweigerd",
            gegevens="toestemmingen",
            reden="bestaat niet",
        )
        abort(404)
    catalogue = version_catalogue(session, instance.version_id)
    rows = list(
        session.scalars(
            select(Consent)
            .where(Consent.instance_id == instance_id)
            .order_by(Consent.recorded_at, Consent.id)
        )
    )
    evidence_ids = {r.evidence_document_id for r in rows if r.evidence_document_id}
    documents = (
        {d.id: d for d in session.scalars(select(Document).where(Document.id.in_(evidence_ids)))}
        if evidence_ids
        else {}
    )
    app = services()
    logs.write(
        app.db,
        app.settings.secret_key,
        processings=[
            logs.Processing(
                name="toestemmingen inzien",
                activity_id=catalogue.activity if catalogue else instance.definition_key,
                subject_kind="zaak",
                subject_value=instance.id,
                attributes={
                    "doel": PURPOSE,
                    "categorieen": ["toestemming"],
                    "proces": instance.definition_key,
                    "fase": instance.phase,
                },
            )
        ],
        audits=[
            logs.audit_row(
                g.principal,
                "privacy.inzien",
                "procesinstantie",
                instance.id,
                details={"gegevens": "toestemmingen", "aantal": len(rows)},
            )
        ],
    )
    subject = pseudonym(app.settings.secret_key, "zaak", instance.id)
    return render_template(
        "privacy/consents.html",
        instance=instance,
        consents=rows,
        scopes=catalogue.consents if catalogue else {},
        documents=documents,
        processing_url=url_for("privacy.processing", soort="zaak", pseudoniem=subject),
        audit_url=url_for("privacy.audit", objecttype="procesinstantie", objectid=instance.id),
    )
