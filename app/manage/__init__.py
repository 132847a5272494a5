"""Process monitoring for managers and operators: what is stuck, why, and repairing it.

Pages under /processen (blueprint `manage`): the list of stuck cases and deadlines at risk,
an instance page with its diagram, incidents grouped for bulk retry, a heatmap per process
version and deadline performance per month. Who sees what is decided in scope.py; every
action goes through actions.py, which asks for a reason and writes it to the audit log.
"""

from __future__ import annotations

from flask import Flask


def register_manage(app: Flask) -> None:
    """Mount the monitoring pages. Idempotent."""
    if "manage" in app.blueprints:
        return
    from app.manage.views import bp

    app.register_blueprint(bp)
