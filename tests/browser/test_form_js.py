"""Task forms drawn by form-js (Stroom.renderForm in stroom.js): rendered under the
Content-Security-Policy, validated in Dutch, posted as JSON in a hidden field, accessible."""

from __future__ import annotations

import json
from typing import Any

import pytest
from flask import render_template_string, request

from tests.browser.support import check_accessibility, screenshot

SCHEMA = {
    "id": "beoordelen",
    "type": "default",
    "schemaVersion": 16,
    "components": [
        {
            "key": "naam",
            "label": "Naam bewoner",
            "type": "textfield",
            "id": "Field_naam",
            "validate": {"required": True},
        },
        {
            "key": "bedrag",
            "label": "Bedrag achterstand (euro)",
            "type": "number",
            "id": "Field_bedrag",
            "validate": {"required": True, "min": 1},
        },
        {
            "key": "contact",
            "label": "Contact met de bewoner",
            "type": "radio",
            "id": "Field_contact",
            "validate": {"required": True},
            "values": [{"label": "Ja", "value": "ja"}, {"label": "Nee", "value": "nee"}],
        },
        {
            "key": "toelichting",
            "label": "Toelichting",
            "type": "textarea",
            "id": "Field_toelichting",
        },
        {
            "key": "akkoord",
            "label": "Beoordeling afgerond",
            "type": "checkbox",
            "id": "Field_akkoord",
        },
    ],
}

PAGE = """
{% extends "base.html" %}
{% block title %}Beoordelen{% endblock %}
{% block styles %}
<link rel="stylesheet" href="{{ asset('vendor/bpmn-io/form-js/assets/form-js.css') }}">
<link rel="stylesheet" href="{{ asset('vendor/bpmn-io/form-js/assets/flatpickr/light.css') }}">
{% endblock %}
{% block scripts %}
<script src="{{ asset('vendor/bpmn-io/form-js/form-viewer.umd.js') }}"></script>
{% endblock %}
{% block content %}
<h1 class="utrecht-heading-1">Beoordelen</h1>
{% if received %}<p class="utrecht-paragraph" id="ontvangen">{{ received }}</p>{% endif %}
<form method="post" data-stroom-form="schema-taak" data-stroom-form-data="data-taak"
      data-stroom-form-label="Beoordelen huurachterstand">
  {% if csrf_token is defined %}
  <input type="hidden" name="csrf_token" value="{{ csrf_token() }}">
  {% endif %}
  <div data-stroom-form-container></div>
  <button class="utrecht-button utrecht-button--primary-action" type="submit">Afronden</button>
</form>
<script type="application/json" id="schema-taak">{{ schema | tojson }}</script>
<script type="application/json" id="data-taak">{{ data | tojson }}</script>
{% endblock %}
"""


@pytest.fixture
def app(app: Any) -> Any:
    def task_form() -> str:
        received = None
        if request.method == "POST":
            received = json.dumps(json.loads(request.form["data"]), sort_keys=True)
        return render_template_string(
            PAGE, schema=SCHEMA, data={"naam": "J. Jansen"}, received=received
        )

    app.add_url_rule("/_test/taak", "test_task_form", task_form, methods=["GET", "POST"])
    return app


def test_form_js_renders_validates_and_posts(live_server: str, page: Any) -> None:
    page.goto(f"{live_server}/_test/taak")
    page.locator(".fjs-form").wait_for()
    assert page.get_by_label("Naam bewoner").input_value() == "J. Jansen"

    # Browser-side validation, in Dutch, focus on the first wrong field; nothing is posted.
    page.get_by_role("button", name="Afronden").click()
    assert page.locator("[role=alert]", has_text="velden zijn niet goed ingevuld").is_visible()
    assert page.locator(".fjs-form-field-error").first.inner_text() == "Dit veld is verplicht."
    assert page.evaluate("() => document.activeElement.getAttribute('aria-invalid')") == "true"
    assert page.locator("#ontvangen").count() == 0
    check_accessibility(page, "form-js-errors")
    screenshot(page, "form-js-errors")

    page.get_by_label("Bedrag achterstand (euro)").fill("850")
    page.get_by_label("Ja").click()
    page.get_by_label("Beoordeling afgerond").click()
    page.get_by_role("button", name="Afronden").click()
    received = page.locator("#ontvangen")
    received.wait_for()
    assert json.loads(received.inner_text()) == {
        "akkoord": True,
        "bedrag": 850,
        "contact": "ja",
        "naam": "J. Jansen",
        "toelichting": "",
    }


def test_enter_in_a_field_submits_the_page_form(live_server: str, page: Any) -> None:
    page.goto(f"{live_server}/_test/taak")
    page.locator(".fjs-form").wait_for()
    page.get_by_label("Bedrag achterstand (euro)").fill("0")
    page.get_by_label("Bedrag achterstand (euro)").press("Enter")
    error = page.locator(".fjs-form-field-error", has_text="minimaal 1")
    error.wait_for()
    assert error.inner_text() == "De waarde moet minimaal 1 zijn."
