"""The pages of the `ui` blueprint that belong to no domain: the landing page."""

from __future__ import annotations

from flask import Blueprint, render_template

bp = Blueprint("ui", __name__)


@bp.get("/")
def home() -> str:
    return render_template("ui/home.html")
