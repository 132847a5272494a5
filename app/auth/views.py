"""Logging in and out: password, second factor (TOTP), and OpenID Connect."""

from __future__ import annotations

from typing import Any

from flask import (
    Blueprint,
    Flask,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)

from app.auth import passwords, service
from app.auth.web import (
    current_user,
    log_in,
    log_out,
    pending_user,
    safe_next,
)
from app.privacy import logs

bp = Blueprint("auth", __name__)
NEXT = "volgende"


def _app() -> Any:
    from app.services import stroom

    return stroom()


def _audit(action: str, username: str | None, result: str, **details: Any) -> None:
    from app.auth.principal import Principal

    who = Principal("user", None, username or "onbekend") if username else None
    logs.audit(
        _app().db, _app().settings.secret_key, who, action, "gebruiker", username, result, details
    )


@bp.route("/inloggen", methods=["GET", "POST"])
def login() -> Any:
    if current_user() is not None:
        return redirect(safe_next(request.args.get(NEXT)))
    errors: dict[str, str] = {}
    username = request.form.get("gebruikersnaam", "")
    if request.method == "POST":
        from app.services import db_session

        password = request.form.get("wachtwoord", "")
        if not username.strip():
            errors["gebruikersnaam"] = "Vul uw gebruikersnaam in."
        if not password:
            errors["wachtwoord"] = "Vul uw wachtwoord in."
        if not errors:
            db = db_session()
            try:
                user = service.check_password(db, username, password)
            except service.LoginError as exc:
                db.commit()  # the failure counts towards the lock-out
                _audit("inloggen", username.strip().lower(), "geweigerd", reden=exc.reason)
                errors["_schema"] = str(exc)
            else:
                needs_code = service.totp_required(user, _app().settings.totp_roles)
                db.commit()
                session_next = request.args.get(NEXT)
                log_in(user, "wachtwoord" if needs_code else "klaar")
                session[NEXT] = session_next
                if needs_code:
                    if user.totp_secret is None:
                        return redirect(url_for("auth.enroll"))
                    return redirect(url_for("auth.second_factor"))
                return _finish(user)
    status = 422 if errors else 200
    return render_template(
        "auth/login.html",
        errors=errors,
        gebruikersnaam=username,
        oidc=bool(_app().settings.oidc_metadata_url),
        oidc_name=_app().settings.oidc_name,
    ), status


def _finish(user: Any) -> Any:
    from app.services import db_session

    service.record_login(user)
    db_session().commit()
    target = safe_next(session.pop(NEXT, None))
    session["stap"] = "klaar"
    _audit("inloggen", user.username, "gelukt")
    return redirect(target)


@bp.route("/inloggen/code", methods=["GET", "POST"])
def second_factor() -> Any:
    user = pending_user()
    if user is None:
        return redirect(url_for("auth.login"))
    if user.totp_secret is None:
        return redirect(url_for("auth.enroll"))
    errors: dict[str, str] = {}
    if request.method == "POST":
        from app.services import db_session

        code = request.form.get("code", "")
        try:
            service.check_totp(user, _app().settings.secret_key, code)
        except service.LoginError as exc:
            db_session().commit()  # the failure counts towards the lock-out
            _audit("tweede factor", user.username, "geweigerd", reden=exc.reason)
            errors["code"] = str(exc)
        else:
            return _finish(user)
    return render_template("auth/code.html", errors=errors), (422 if errors else 200)


@bp.route("/inloggen/instellen", methods=["GET", "POST"])
def enroll() -> Any:
    """First login of someone whose role needs a second factor: install it now. Someone who
    has one gives its code; only an administrator's reset lets them set up another."""
    user = pending_user()
    if user is None:
        return redirect(url_for("auth.login"))
    if user.totp_secret is not None:
        session.pop("totp_zaad", None)
        return redirect(url_for("auth.second_factor"))
    if "totp_zaad" not in session:
        session["totp_zaad"] = service.start_totp_enrollment(_app().settings.secret_key)
    seed = session["totp_zaad"]
    errors: dict[str, str] = {}
    if request.method == "POST":
        from app.services import db_session

        try:
            service.finish_totp_enrollment(
                user, _app().settings.secret_key, seed, request.form.get("code", "")
            )
        except service.LoginError as exc:
            db_session().commit()  # the failure counts towards the lock-out
            _audit("tweede factor instellen", user.username, "geweigerd", reden=exc.reason)
            errors["code"] = str(exc)
        else:
            session.pop("totp_zaad", None)
            _audit("tweede factor ingesteld", user.username, "gelukt")
            return _finish(user)
    grouped = " ".join(seed[i : i + 4] for i in range(0, len(seed), 4))
    return render_template(
        "auth/enroll.html", errors=errors, seed=grouped, uri=service.totp_uri(seed, user.username)
    ), (422 if errors else 200)


@bp.post("/uitloggen")
def logout() -> Any:
    """Ends every session of the user, also on other devices and saved copies of the cookie."""
    from app.services import db_session

    user = current_user() or pending_user()
    if user is not None:
        service.end_sessions(user)
        db_session().commit()
        _audit("uitloggen", user.username, "gelukt")
    log_out()
    flash("U bent uitgelogd.", "info")
    return redirect(url_for("auth.login"))


# -- OpenID Connect -----------------------------------------------------------------------------


def _oidc() -> Any:
    return current_app.extensions["stroom_oidc"]


@bp.get("/inloggen/oidc")
def oidc_start() -> Any:
    if not _app().settings.oidc_metadata_url:
        return redirect(url_for("auth.login"))
    session[NEXT] = request.args.get(NEXT)
    return _oidc().authorize_redirect(url_for("auth.oidc_callback", _external=True))


@bp.get("/inloggen/oidc/terug")
def oidc_callback() -> Any:
    from app.auth.oidc import OidcRefused, claimed_username, login_claims, user_from_claims
    from app.services import db_session

    if not _app().settings.oidc_metadata_url:
        return redirect(url_for("auth.login"))
    claims: dict[str, Any] = {}
    try:
        token = _oidc().authorize_access_token()
        claims = login_claims(token, _oidc().userinfo, _app().settings)
        user = user_from_claims(db_session(), claims, _app().settings)
    except OidcRefused as exc:
        db_session().rollback()
        # Who tried is known (the provider vouched for it), so the refusal names them.
        _audit(
            "inloggen via OIDC",
            claimed_username(claims) if claims.get("sub") else None,
            "geweigerd",
            reden=str(exc),
            sub=str(claims.get("sub") or ""),
        )
        flash(f"Inloggen lukt niet: {exc}", "error")
        return redirect(url_for("auth.login"))
    except Exception as exc:  # noqa: BLE001 - an identity provider failure must not crash
        db_session().rollback()
        _audit("inloggen via OIDC", None, "fout", reden=type(exc).__name__)
        flash("Inloggen via de identiteitsprovider is mislukt. Probeer het opnieuw.", "error")
        return redirect(url_for("auth.login"))
    db_session().commit()
    next_page = session.get(NEXT)
    log_in(user, "klaar")
    session[NEXT] = next_page
    return _finish(user)


def register_auth(app: Flask) -> None:
    from flask_wtf.csrf import CSRFProtect

    from app.auth.oidc import register_oidc
    from app.auth.web import configure_sessions

    settings = _settings_of(app)
    configure_sessions(app, settings.cookie_secure, settings.session_hours)
    csrf = CSRFProtect(app)
    app.extensions["stroom_csrf"] = csrf
    app.register_blueprint(bp)
    from app.auth.admin import bp as admin_bp

    app.register_blueprint(admin_bp)
    register_oidc(app, settings)
    passwords.prepare()


def _settings_of(app: Any) -> Any:
    return app.extensions["stroom"].settings
