"""The Flask application, assembled: settings and database, the domains' pages and API, each
process package's pages (app/plugins.py), request guards (app/guards.py), sessions, CSRF,
rate limits and error answers (app/error_pages.py).

The request's database session lives in app/services.py, the API's doors in app/auth/bearer.py."""

from __future__ import annotations

from typing import Any

from flask import Flask, g, request
from jinja2.bccache import Bucket, BytecodeCache

from app import assembly, guards, plugins
from app.config import Settings
from app.db import Database
from app.error_pages import register_errors
from app.services import Stroom


class _TemplateCodeCache(BytecodeCache):
    """Compiled templates shared by every app this process creates (a worker that restarts its
    app, the test suite's app per test): Jinja compares each template's source checksum, so an
    edited template is compiled again."""

    def __init__(self) -> None:
        self._code: dict[str, bytes] = {}

    def load_bytecode(self, bucket: Bucket) -> None:
        code = self._code.get(bucket.key)
        if code is not None:
            bucket.bytecode_from_string(code)

    def dump_bytecode(self, bucket: Bucket) -> None:
        self._code[bucket.key] = bucket.bytecode_to_string()


TEMPLATE_CODE = _TemplateCodeCache()


def create_app(
    settings: Settings | None = None, db: Database | None = None, testing: bool = False
) -> Flask:
    settings = settings or Settings()
    assembly.install()
    plugins.use_paths(settings.process_paths)
    db = db or Database(settings.database_url)
    app = Flask(__name__, static_folder="static", template_folder="templates")
    app.jinja_options = {**app.jinja_options, "bytecode_cache": TEMPLATE_CODE}
    app.request_class = guards.StroomRequest
    app.response_class = guards.StroomResponse
    app.json = guards.StroomJSONProvider(app)
    app.config.update(
        SECRET_KEY=settings.secret_key,
        TESTING=testing,
        JSON_SORT_KEYS=False,
        MAX_CONTENT_LENGTH=20 * 1024 * 1024,
    )
    app.extensions["stroom"] = Stroom(settings, db)
    from app.privacy import logs

    logs.install()

    @app.before_request
    def _refuse_hostile_input() -> Any:
        # Before anything else reads the request: text no page, export or database can
        # hold, and JSON that would overflow a parser, never get in (see app/text_rules.py).
        return guards.hostile_input()

    @app.before_request
    def _begin_operation() -> None:

        from app.privacy import context

        channel = "api" if request.path.startswith("/api/") else "web"
        context.begin(
            channel, request.remote_addr, request.headers.get("traceparent"), deferred=True
        )

    @app.teardown_appcontext
    def _close_session(exc: BaseException | None) -> None:
        from app.privacy import context, logs

        session = g.pop("db_session", None)
        if session is not None:
            if exc is not None or session.in_transaction():
                session.rollback()
            session.close()
        # Log rows go in after the request's own transaction has ended, even when it failed.
        try:
            logs.flush(db)
        finally:
            context.end()

    @app.get("/healthz")
    def _healthz() -> Any:
        from sqlalchemy import text

        with db.session() as session:
            session.execute(text("SELECT 1"))
        return {"status": "ok"}

    from app.api import register_api
    from app.auth.views import register_auth
    from app.ui import register_ui

    register_ui(app)
    register_auth(app)
    _register_pages(app)

    register_api(app)
    _exempt_api_from_csrf(app)
    from app.ratelimit import register_rate_limits

    register_rate_limits(app, settings)

    register_errors(app)
    guards.register_request_log(app, settings.slow_request_ms)
    guards.configure_argument_parser()
    return app


def _exempt_api_from_csrf(app: Flask) -> None:
    """The API authenticates with bearer tokens, not cookies: CSRF does not apply."""
    from app.ratelimit import api_blueprints

    csrf = app.extensions["stroom_csrf"]
    for name in api_blueprints(app):
        csrf.exempt(app.blueprints[name])


def _register_pages(app: Flask) -> None:
    from app import navigation
    from app.auth.web import web_principal
    from app.cases.views import bp as cases_bp
    from app.intake.views import bp as intake_bp
    from app.manage import register_manage
    from app.privacy.views import register_privacy
    from app.tasks.views import bp as inbox_bp

    for blueprint in (inbox_bp, cases_bp, intake_bp):
        app.register_blueprint(blueprint)
    for _package, blueprint in plugins.offered("pages"):
        app.register_blueprint(blueprint)
    register_manage(app)
    from app.modelling import catalogue_views  # noqa: F401 - its routes join the blueprint
    from app.modelling.views import bp as modelling_bp

    app.register_blueprint(modelling_bp)
    register_privacy(app)
    from app.engine.events import label as event_label

    app.add_template_filter(event_label, "gebeurtenis")
    from app.auth.principal import actor_label

    app.add_template_filter(actor_label, "wie")
    app.add_template_global(web_principal, "current_principal")

    app.add_template_filter(lambda first, *others: list(zip(first, *others, strict=False)), "zip")

    app.add_template_global(lambda: navigation.items(web_principal()), "navigation")
