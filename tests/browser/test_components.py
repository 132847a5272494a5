"""The macros of _macros.html on one page, in a real browser: accessible, and working under
the Content-Security-Policy (htmx swaps, error summary, flash messages)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from flask import flash, render_template_string

from tests.browser.support import check_accessibility, leave_focus, screenshot

PAGE = """
{% extends "base.html" %}
{% import "_macros.html" as ui %}
{% block title %}{% if errors %}Fout: {% endif %}Huurachterstand beoordelen{% endblock %}
{% block user_area %}
<span>A. de Vries, Sociaal wijkteam</span>
<form method="post" action="/uitloggen">{{ ui.button("Uitloggen", variant="secondary") }}</form>
{% endblock %}
{% block content %}
<h1 class="utrecht-heading-1">Huurachterstand beoordelen</h1>
<form method="post" novalidate>
  {{ ui.error_summary(errors, labels=labels) }}
  {{ ui.text_field("bedrag", "Bedrag achterstand", value="-12", inputmode="decimal", width="sm",
                   description="In euro's, bijvoorbeeld 850,00.", error=errors.get("bedrag")) }}
  {{ ui.text_field("postcode", "Postcode", value="1234AB", width="xs",
                   autocomplete="postal-code") }}
  {{ ui.textarea_field("toelichting", "Toelichting", required=false,
                       description="Alleen wat nodig is voor de beoordeling.") }}
  {{ ui.select_field("team", "Team", [("", "Kies een team"), ("swt", "Sociaal wijkteam"),
                     ("sv", "Schuldhulpverlening")], error=errors.get("team")) }}
  {{ ui.radio_field("contact", "Contact met de bewoner", [("ja", "Ja, er is contact"),
                    ("nee", "Nee, geen contact")], error=errors.get("contact")) }}
  {{ ui.checkbox_field("toestemming", "De bewoner geeft toestemming voor doorverwijzing",
                       description="Vraag dit altijd expliciet.") }}
  {% call ui.button_group() %}
    {{ ui.button("Opslaan") }}
    {{ ui.button_link("/", "Annuleren", "secondary") }}
  {% endcall %}
</form>

<h2 class="utrecht-heading-2">Taken</h2>
{% call ui.data_table("Open taken van het team", ["Taak", "Zaak", "Termijn"]) %}
  {% for task in tasks %}
  <tr class="utrecht-table__row">
    <td class="utrecht-table__cell">
      <a class="utrecht-link utrecht-link--html-a" href="/taken/{{ loop.index }}">
        {{- task.name }}</a>
    </td>
    <td class="utrecht-table__cell">{{ task.case }}</td>
    <td class="utrecht-table__cell">{{ ui.deadline(task.due) }}</td>
  </tr>
  {% endfor %}
{% endcall %}
{{ ui.pagination(previous_url="?cursor=a", next_url="?cursor=b",
                 pages=[{"number": 1, "url": "?p=1"},
                        {"number": 2, "url": "?p=2", "current": true},
                        {"number": 3, "url": "?p=3"}]) }}
{{ ui.data_table("Bedragen", ["Maand", "Bedrag"],
                 rows=[["januari", "€ 425,00"], ["februari", "€ 425,00"]], numeric=[1]) }}

<h2 class="utrecht-heading-2">Gegevens</h2>
{{ ui.data_list([("Zaak", "Z-2026-0042"), ("Gemeld op", ui.time_tag(reported, true)),
                 ("Corporatie", none)]) }}

<h2 class="utrecht-heading-2">Meer laden</h2>
<div id="htmx-doel"></div>
<button class="utrecht-button utrecht-button--secondary-action" type="button"
        hx-get="/_test/fragment" hx-target="#htmx-doel">Laad de geschiedenis</button>
<button class="utrecht-button utrecht-button--subtle" type="button"
        hx-get="/_test/bestaat-niet" hx-target="#htmx-doel">Laad iets dat niet bestaat</button>
{% endblock %}
"""

ERRORS = {
    "bedrag": ["Het bedrag moet groter zijn dan nul."],
    "team": "Kies een team.",
    "contact": ["Geef aan of er contact is geweest."],
}
LABELS = {"bedrag": "Bedrag achterstand", "team": "Team", "contact": "Contact met de bewoner"}


@pytest.fixture
def app(app: Any, clock: Any) -> Any:
    """The application with a test page that uses every macro (clock: 2 March 2026 09:00)."""

    def components() -> str:
        flash("De wijzigingen zijn opgeslagen.", "ok")
        flash("De termijn van deze taak verloopt vandaag.", "warning")
        flash("De gegevens uit de BRP konden niet worden opgehaald.", "error")
        tasks = [
            {
                "name": "Contact opnemen",
                "case": "Z-2026-0042",
                "due": datetime(2026, 2, 27, 16, 0, tzinfo=UTC),
            },
            {
                "name": "Beoordelen",
                "case": "Z-2026-0043",
                "due": datetime(2026, 3, 2, 16, 0, tzinfo=UTC),
            },
            {
                "name": "Huisbezoek plannen",
                "case": "Z-2026-0044",
                "due": datetime(2026, 3, 9, 8, 0, tzinfo=UTC),
            },
        ]
        return render_template_string(
            PAGE,
            errors=ERRORS,
            labels=LABELS,
            tasks=tasks,
            reported=datetime(2026, 2, 26, 13, 5, tzinfo=UTC),
        )

    def fragment() -> str:
        return render_template_string(
            '{% import "_macros.html" as ui %}'
            '<p class="utrecht-paragraph" id="geladen">Geladen: {{ ui.time_tag(moment) }}</p>',
            moment=datetime(2026, 3, 2, 8, 0, tzinfo=UTC),
        )

    app.add_url_rule("/_test/componenten", "test_components", components)
    app.add_url_rule("/_test/fragment", "test_fragment", fragment)
    return app


def test_components_are_accessible(live_server: str, page: Any) -> None:
    page.goto(f"{live_server}/_test/componenten")
    assert page.title() == "Fout: Huurachterstand beoordelen – Stroom"

    # The error summary has focus, so a screen reader reads it first; its links lead to the
    # fields, which are described by their error messages.
    assert page.evaluate("() => document.activeElement.id") == "foutoverzicht"
    summary_link = "Bedrag achterstand: Het bedrag moet groter zijn dan nul."
    page.get_by_role("link", name=summary_link).click()
    assert page.evaluate("() => document.activeElement.id") == "veld-bedrag"
    field = page.locator("#veld-bedrag")
    assert field.get_attribute("aria-invalid") == "true"
    assert field.get_attribute("aria-describedby") == "veld-bedrag-fout veld-bedrag-beschrijving"
    assert page.locator("#veld-toelichting").get_attribute("aria-required") is None
    assert "(niet verplicht)" in page.locator("label[for=veld-toelichting]").inner_text()

    # Flash messages: errors as an alert, notices in the polite live region.
    assert "BRP" in page.locator("[role=alert].stroom-messages").inner_text()
    assert "opgeslagen" in page.locator("#meldingen").inner_text()

    # Deadlines in words (not colour alone), dates in Dutch.
    badges = page.locator(".stroom-termijn").all_inner_texts()
    assert [b.strip() for b in badges] == ["te laat", "vandaag", "op tijd"]
    assert page.locator("time").first.inner_text() == "vr 27 feb 2026"

    leave_focus(page)
    check_accessibility(page, "components")
    screenshot(page, "components")


def test_htmx_works_under_the_content_security_policy(
    live_server: str, page: Any, console: Any
) -> None:
    page.goto(f"{live_server}/_test/componenten")
    page.get_by_role("button", name="Laad de geschiedenis").click()
    assert page.locator("#geladen").inner_text() == "Geladen: ma 2 mrt 2026"
    # htmx injected no <style> (includeIndicatorStyles false) and kept no history snapshot.
    assert page.evaluate("() => document.querySelectorAll('style').length") == 0
    assert page.evaluate("() => localStorage.getItem('htmx-history-cache')") is None

    # A failing request is reported in Dutch in the live region.
    console.allow(r"status of 404|Response Status Error Code 404")
    page.get_by_role("button", name="Laad iets dat niet bestaat").click()
    message = page.locator("#meldingen .utrecht-alert--error")
    message.wait_for()
    assert message.inner_text() == "De gevraagde gegevens zijn niet (meer) gevonden."
    check_accessibility(page, "components-after-htmx")
