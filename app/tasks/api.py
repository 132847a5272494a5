"""REST endpoints for human tasks: list, show, claim, unclaim, complete.

A token sees only the tasks of its organisation's groups; other tasks answer 404."""

from __future__ import annotations

from typing import Any

from flask.views import MethodView
from flask_smorest import Blueprint

from app.auth.bearer import current_principal, require
from app.engine.schemas import InstanceSchema, TaskSchema
from app.problems import error_responses
from app.services import db_session, stroom
from app.tasks import service as tasks
from app.tasks.schemas import (
    ClaimSchema,
    CompleteSchema,
    TaskPageSchema,
    TaskQuerySchema,
    UnclaimSchema,
)

blp = Blueprint("tasks", __name__, description="Taken voor mensen")
_errors = error_responses(blp)


@blp.route("/tasks")
class Tasks(MethodView):
    @require("tasks:read")
    @blp.arguments(TaskQuerySchema, location="query")
    @blp.response(200, TaskPageSchema)
    @_errors(422)
    def get(self, args: dict[str, Any]) -> Any:
        return tasks.list_tasks(db_session(), current_principal(), **args)


@blp.route("/tasks/<string:task_id>")
class Task(MethodView):
    @require("tasks:read")
    @blp.response(200, TaskSchema)
    @_errors(404)
    def get(self, task_id: str) -> Any:
        return tasks.visible_task(db_session(), current_principal(), task_id)


@blp.route("/tasks/<string:task_id>/claim")
class TaskClaim(MethodView):
    @require("tasks:write")
    @blp.arguments(ClaimSchema)
    @blp.response(200, TaskSchema)
    @_errors(404, 409, 422)
    def post(self, body: dict[str, Any], task_id: str) -> Any:
        session, app = db_session(), stroom()
        task = tasks.claim(
            app.db,
            session,
            current_principal(),
            task_id,
            body.get("user"),
            body.get("reason"),
            app.settings.secret_key,
        )
        session.commit()
        return task


@blp.route("/tasks/<string:task_id>/unclaim")
class TaskUnclaim(MethodView):
    @require("tasks:write")
    @blp.arguments(UnclaimSchema)
    @blp.response(200, TaskSchema)
    @_errors(404, 409, 422)
    def post(self, body: dict[str, Any], task_id: str) -> Any:
        session, app = db_session(), stroom()
        task = tasks.release(
            app.db,
            session,
            current_principal(),
            task_id,
            body.get("reason"),
            app.settings.secret_key,
        )
        session.commit()
        return task


@blp.route("/tasks/<string:task_id>/complete")
class TaskComplete(MethodView):
    @require("tasks:write")
    @blp.arguments(CompleteSchema)
    @blp.response(200, InstanceSchema)
    @_errors(404, 409, 422)
    def post(self, body: dict[str, Any], task_id: str) -> Any:
        session, app = db_session(), stroom()
        row = tasks.complete(
            app.db, session, current_principal(), task_id, body.get("data"), app.settings.secret_key
        )
        session.commit()
        return row
