"""Administration pages (role beheerder): organisations, groups, users, tokens, bindings.

Every change is audited with who did it. Passwords and tokens are never shown again after
they are set or made.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, g, redirect, render_template, request, url_for
from sqlalchemy import select

from app.auth import service
from app.auth.models import ApiToken, Group, Organisation, OrganisationKind, Role, User
from app.auth.tokens import ALL_SCOPES, create_token, revoke_token
from app.auth.web import roles_required
from app.cases.models import PartyBinding
from app.cases.service import bind_party
from app.engine.errors import EngineError, InvalidInput
from app.privacy import logs

bp = Blueprint("admin", __name__, url_prefix="/beheer")
ADMIN = Role.ADMINISTRATOR.value


def _session() -> Any:
    from app.services import db_session

    return db_session()


def _audit(action: str, object_type: str, object_id: Any, **details: Any) -> None:
    from app.services import stroom

    logs.audit(
        stroom().db,
        stroom().settings.secret_key,
        g.principal,
        action,
        object_type,
        object_id,
        "gelukt",
        details,
    )


def _errors(exc: EngineError) -> dict[str, str]:
    errors = {k: "; ".join(map(str, v)) for k, v in exc.fields.items()}
    if not errors:
        errors["_schema"] = exc.message
    return errors


@bp.get("/")
@roles_required(ADMIN)
def index() -> Any:
    return redirect(url_for("admin.users"))


@bp.route("/gebruikers", methods=["GET", "POST"])
@roles_required(ADMIN)
def users() -> Any:
    session = _session()
    errors: dict[str, str] = {}
    form = request.form
    if request.method == "POST":
        try:
            row = service.create_user(
                session,
                form.get("gebruikersnaam", "").strip().lower(),
                form.get("naam", "").strip(),
                form.get("organisatie", ""),
                password=form.get("wachtwoord") or None,
                email=form.get("email") or None,
                roles=form.getlist("rollen"),
                groups=form.getlist("groepen"),
            )
            session.commit()
            _audit(
                "gebruiker.aanmaken",
                "gebruiker",
                row.username,
                rollen=sorted(row.roles),
                organisatie=form.get("organisatie"),
            )
            flash(f"Gebruiker {row.username} is aangemaakt.", "ok")
            return redirect(url_for("admin.users"))
        except EngineError as exc:
            session.rollback()
            errors = _errors(exc)
    rows = session.scalars(select(User).order_by(User.username)).all()
    return render_template(
        "admin/users.html",
        users=rows,
        errors=errors,
        form=form,
        organisations=session.scalars(select(Organisation).order_by(Organisation.name)).all(),
        groups=session.scalars(select(Group).order_by(Group.key)).all(),
        roles=list(Role),
    ), (422 if errors else 200)


@bp.route("/gebruikers/<username>", methods=["GET", "POST"])
@roles_required(ADMIN)
def user_detail(username: str) -> Any:
    session = _session()
    row = service.user(session, username)
    errors: dict[str, str] = {}
    if request.method == "POST":
        action = request.form.get("actie", "")
        try:
            if action == "rollen":
                service.set_roles(session, row, request.form.getlist("rollen"))
                row.memberships = []
                session.flush()
                for key in request.form.getlist("groepen"):
                    service.add_to_group(session, row, key)
            elif action == "deblokkeren":
                row.locked_until, row.failed_logins = None, 0
            elif action == "uitschakelen":
                service.deactivate(row)
            elif action == "inschakelen":
                row.active = True
            elif action == "tweede-factor-wissen":
                service.reset_second_factor(row)
            elif action == "wachtwoord":
                service.change_password(row, request.form.get("wachtwoord", ""))
            else:
                raise InvalidInput(f"onbekende handeling {action!r}")
            session.commit()
            _audit(f"gebruiker.{action}", "gebruiker", row.username, rollen=sorted(row.roles))
            flash("Opgeslagen.", "ok")
            return redirect(url_for("admin.user_detail", username=username))
        except EngineError as exc:
            session.rollback()
            errors = _errors(exc)
    groups = session.scalars(
        select(Group).where(Group.organisation_id == row.organisation_id).order_by(Group.key)
    ).all()
    return render_template(
        "admin/user.html", user=row, groups=groups, roles=list(Role), errors=errors
    ), (422 if errors else 200)


@bp.route("/organisaties", methods=["GET", "POST"])
@roles_required(ADMIN)
def organisations() -> Any:
    session = _session()
    errors: dict[str, str] = {}
    form = request.form
    if request.method == "POST":
        try:
            key = form.get("key", "").strip()
            row = service.create_organisation(
                session,
                key,
                form.get("naam", "").strip(),
                form.get("soort", ""),
                form.get("gemeente") or None,
            )
            service.create_group(session, key, row.name, key)
            session.commit()
            _audit("organisatie.aanmaken", "organisatie", key, soort=row.kind)
            flash(f"Organisatie {row.name} is aangemaakt, met een team {key}.", "ok")
            return redirect(url_for("admin.organisations"))
        except EngineError as exc:
            session.rollback()
            errors = _errors(exc)
    return render_template(
        "admin/organisations.html",
        errors=errors,
        form=form,
        kinds=list(OrganisationKind),
        organisations=session.scalars(select(Organisation).order_by(Organisation.name)).all(),
        groups=session.scalars(select(Group).order_by(Group.key)).all(),
        bindings=session.scalars(
            select(PartyBinding).order_by(
                PartyBinding.process_key, PartyBinding.municipality, PartyBinding.party
            )
        ).all(),
    ), (422 if errors else 200)


@bp.post("/groepen")
@roles_required(ADMIN)
def add_group() -> Any:
    session = _session()
    try:
        row = service.create_group(
            session,
            request.form.get("key", "").strip(),
            request.form.get("naam", "").strip(),
            request.form.get("organisatie", ""),
        )
        session.commit()
        _audit("groep.aanmaken", "groep", row.key)
        flash(f"Groep {row.key} is aangemaakt.", "ok")
    except EngineError as exc:
        session.rollback()
        flash(f"Groep niet aangemaakt: {exc.message}", "error")
    return redirect(url_for("admin.organisations"))


@bp.post("/partijbindingen")
@roles_required(ADMIN)
def add_binding() -> Any:
    session = _session()
    form = request.form
    try:
        service.group(session, form.get("groep", ""))
        bind_party(
            session,
            form.get("proces", ""),
            form.get("gemeente", ""),
            form.get("partij", ""),
            form.get("groep", ""),
            replace=True,
        )
        session.commit()
        _audit(
            "partijbinding.aanmaken",
            "partijbinding",
            form.get("proces"),
            gemeente=form.get("gemeente"),
            partij=form.get("partij"),
            groep=form.get("groep"),
        )
        flash("Partijbinding opgeslagen.", "ok")
    except Exception as exc:  # noqa: BLE001 - shown to the administrator
        session.rollback()
        flash(f"Partijbinding niet opgeslagen: {getattr(exc, 'message', exc)}", "error")
    return redirect(url_for("admin.organisations"))


@bp.route("/tokens", methods=["GET", "POST"])
@roles_required(ADMIN)
def tokens() -> Any:
    session = _session()
    new_secret = None
    errors: dict[str, str] = {}
    if request.method == "POST":
        form = request.form
        if form.get("actie") == "intrekken":
            row = revoke_token(session, int(form.get("token", "0")))
            session.commit()
            _audit("token.intrekken", "token", row.id)
            flash(f"Token {row.name} is ingetrokken.", "ok")
            return redirect(url_for("admin.tokens"))
        name = form.get("naam", "").strip()
        scopes = form.getlist("scopes")
        if not name:
            errors["naam"] = "Geef het token een naam."
        if not scopes:
            errors["scopes"] = "Kies minstens één bevoegdheid."
        if not errors:
            try:
                org = service.organisation(session, form.get("organisatie", ""))
                row, new_secret = create_token(
                    session, name, scopes, created_by=g.principal.actor, organisation_id=org.id
                )
                session.commit()
                _audit("token.aanmaken", "token", row.id, organisatie=org.key, scopes=scopes)
            except EngineError as exc:
                session.rollback()
                errors = _errors(exc)
    return render_template(
        "admin/tokens.html",
        errors=errors,
        new_secret=new_secret,
        scopes=ALL_SCOPES,
        tokens=session.scalars(select(ApiToken).order_by(ApiToken.id.desc())).all(),
        organisations=session.scalars(select(Organisation).order_by(Organisation.name)).all(),
    ), (422 if errors else 200)
