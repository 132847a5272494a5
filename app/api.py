"""The versioned REST API (/api/v1), assembled: flask-smorest, marshmallow schemas, OpenAPI 3.

Every endpoint requires a bearer token (app/auth/bearer.py `require`). Domains define their
blueprints in their own `api.py`, process packages theirs (app/plugins.py); this module only
mounts them.
"""

from __future__ import annotations

from typing import Any

from flask import Flask
from flask_smorest import Api

from app import plugins
from app.auth.bearer import API_PREFIX
from app.problems import ProblemSchema


class StroomApi(Api):
    """flask-smorest's Api, with the OpenAPI document (its plugins, shared components and the
    blueprints' operations) made when it is first read instead of when the app is assembled:
    building it is most of the time an app takes to create (0.25 s), and most apps (a
    worker's, each test's) never serve /api/v1/openapi.json."""

    # The body every error handler (app/error_pages.py) answers with, as the documented default.
    ERROR_SCHEMA = ProblemSchema

    def _init_spec(self, **options: Any) -> None:
        self.__dict__["_spec_options"] = options

    @property  # type: ignore[override]
    def spec(self) -> Any:
        options = self.__dict__.pop("_spec_options", None)
        if options is not None:
            self.__dict__["_initialising"] = True
            try:  # sets `spec` through the setter below, then its shared components
                Api._init_spec(self, **options)
            finally:
                del self.__dict__["_initialising"]
        spec = self.__dict__.get("_spec")
        pending = self.__dict__.get("_undocumented")
        # The operations go in after the shared components they refer to (DEFAULT_ERROR).
        if spec is not None and pending and not self.__dict__.get("_initialising"):
            self.__dict__["_undocumented"] = []
            for blp, name, parameters in pending:
                blp.register_views_in_doc(self, self._app, spec, name=name, parameters=parameters)
                spec.tag({"name": name, "description": blp.description})
        return spec

    @spec.setter
    def spec(self, value: Any) -> None:
        self.__dict__["_spec"] = value

    def register_blueprint(self, blp: Any, *, parameters: Any = None, **options: Any) -> None:
        name = options.get("name", blp.name)
        self._app.extensions["flask-smorest"]["blp_name_to_api"][name] = self
        self._app.register_blueprint(blp, **options)
        self.__dict__.setdefault("_undocumented", []).append((blp, name, parameters))


def register_api(app: Flask) -> Api:
    app.config.update(
        API_TITLE="Stroom API",
        API_VERSION="v1",
        OPENAPI_VERSION="3.0.3",
        OPENAPI_URL_PREFIX=API_PREFIX,
        OPENAPI_JSON_PATH="openapi.json",
        API_SPEC_OPTIONS={
            "info": {"description": "Processen, instanties, taken en berichten van Stroom."},
            "components": {"securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}}},
            "security": [{"bearer": []}],
        },
    )
    api = StroomApi(app)
    from app.cases.api import blp as processes_blp
    from app.intake.api import blp as signals_blp
    from app.modelling.api import blp as deployments_blp
    from app.tasks.api import blp as tasks_blp

    blueprints = [processes_blp, tasks_blp, signals_blp, deployments_blp]
    blueprints += [blueprint for _package, blueprint in plugins.offered("api")]
    for blueprint in blueprints:
        api.register_blueprint(blueprint, url_prefix=API_PREFIX)
    return api
