"""The primary navigation: what each person gets to see in the menu, by role, and what the
process packages add (app/plugins.py)."""

from __future__ import annotations

from flask import current_app, url_for

from app import plugins
from app.auth.principal import Principal


def items(principal: Principal | None) -> list[tuple[str, str]]:
    if principal is None:
        return [(url_for("ui.home"), "Overzicht")]
    links = [(url_for("inbox.index"), "Taken")]
    if principal.organisation_id is not None:
        links.append((url_for("cases.index"), "Zaken"))
    from app.intake.views import may_report

    if may_report(principal):
        links.append((url_for("intake_ui.new"), "Nieuwe melding"))
        links.append((url_for("intake_ui.batch"), "Meldingen inlezen"))
    for _package, menu in plugins.offered("menu"):
        links.extend(menu(principal))
    blueprints = current_app.blueprints
    if "manage" in blueprints and principal.roles & {
        "manager",
        "teamleider",
        "beheerder",
        "procesbeheerder",
    }:
        links.append(("/processen", "Processen"))
    if "privacy" in blueprints and "privacyfunctionaris" in principal.roles:
        links.append(("/privacy/verwerkingen", "Privacy"))
    if "beheerder" in principal.roles:
        links.append((url_for("admin.users"), "Beheer"))
    return links
