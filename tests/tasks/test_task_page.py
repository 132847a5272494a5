"""The task page on the server: validation against the form, refusals, drafts."""

from __future__ import annotations

import json
import re

import pytest
from sqlalchemy import select

from app.engine import service
from app.engine.models import HumanTask
from app.intake.service import prepare, receive
from app.tasks import forms
from app.tasks.models import TaskDraft
from tests.auth.test_login import csrf, login
from tests.support.engine import FIXTURES, deploy_paths
from tests.support.orgs import bind, organisation, partner, user

SCHEMA = json.loads((FIXTURES / "test-beoordelen.form").read_text())


def test_form_validation_rules() -> None:
    clean, errors = forms.validate(
        SCHEMA, {"toelichting": "  lang genoeg  ", "aantal_bewoners": "3"}
    )
    assert errors == {} and clean == {"toelichting": "lang genoeg", "aantal_bewoners": 3}
    _, errors = forms.validate(SCHEMA, {"toelichting": "kort", "aantal_bewoners": 40, "bsn": "123"})
    assert errors == {
        "toelichting": ["Gebruik minstens 5 tekens."],
        "aantal_bewoners": ["Het getal mag hoogstens 20 zijn."],
        "bsn": ["dit veld bestaat niet in het formulier"],
    }
    _, errors = forms.validate(SCHEMA, {"aantal_bewoners": "veel"})
    assert errors == {"toelichting": ["Vul dit veld in."], "aantal_bewoners": ["Vul een getal in."]}
    radio = json.loads((FIXTURES / "test-terugkoppelen.form").read_text())
    assert forms.validate(radio, {"opgepakt": "misschien"})[1] == {
        "opgepakt": ["Kies een van de mogelijkheden."]
    }


@pytest.fixture
def task_id(db, clock, app) -> str:
    deploy_paths(db, FIXTURES / "inbox.bpmn")
    corporation = partner(db, "wonen-limburg", "test_inbox")
    organisation(db, "weert-swt", "wijkteam")
    organisation(db, "haarlem-swt", "wijkteam", "haarlem")
    bind(db, "test_inbox", "weert", "wijkteam", "weert-swt")
    user(db, "sanne", "weert-swt")
    user(db, "henk", "haarlem-swt")
    with db.transaction() as session:
        receive(
            session,
            prepare(session, corporation, "s"),
            [
                (
                    1,
                    {
                        "referentie": "WL-000001",
                        "naam": "A",
                        "geboortedatum": "1980-01-01",
                        "huisnummer": "1",
                        "postcode": "6001 AB",
                        "maanden_achterstand": "2",
                    },
                )
            ],
            "api",
        )
    with db.session() as session:
        return session.scalars(select(HumanTask.id)).one()


def _post(client, task_id: str, data: dict, action: str = "afronden"):  # type: ignore[no-untyped-def]
    token = csrf(client, f"/taken/{task_id}")
    return client.post(
        f"/taken/{task_id}", data={"csrf_token": token, "actie": action, "data": json.dumps(data)}
    )


def test_server_refuses_what_the_form_does_not_allow(client, task_id, db) -> None:
    login(client, "sanne")
    bad = _post(client, task_id, {"toelichting": "kort", "aantal_bewoners": 2, "strafblad": "ja"})
    assert bad.status_code == 422
    page = bad.get_data(as_text=True)
    assert "Gebruik minstens 5 tekens." in page and "bestaat niet in het formulier" in page
    errors = json.loads(re.search(r'id="fouten-taak">(.*?)</script>', page, re.S).group(1))
    assert set(errors) == {"toelichting", "strafblad"}
    with db.session() as session:
        assert session.get(HumanTask, task_id).status == "open"
    good = _post(client, task_id, {"toelichting": "Gebeld en afgesproken.", "aantal_bewoners": 2})
    assert good.status_code == 302 and "/taken/" in good.headers["Location"]


def test_drafts_are_kept_for_their_author(client, task_id, db) -> None:
    login(client, "sanne")
    saved = _post(client, task_id, {"toelichting": "half"}, action="concept")
    assert saved.status_code == 302
    with db.session() as session:
        assert session.scalars(select(TaskDraft.data)).one() == {"toelichting": "half"}
    page = client.get(f"/taken/{task_id}").get_data(as_text=True)
    assert '"toelichting": "half"' in page


def test_a_draft_of_a_task_closed_meanwhile_is_not_kept(client, task_id, db) -> None:
    login(client, "sanne")
    token = csrf(client, f"/taken/{task_id}")  # the page stands open ...
    with db.transaction() as session:  # ... while a colleague completes the task
        service.complete_task(
            session, task_id, {"toelichting": "Gebeld en afgesproken.", "aantal_bewoners": 2}, "x"
        )
    saved = client.post(
        f"/taken/{task_id}",
        data={"csrf_token": token, "actie": "concept", "data": json.dumps({"toelichting": "h"})},
    )
    assert saved.status_code == 302 and "/zaken/" in saved.headers["Location"]
    page = client.get(saved.headers["Location"]).get_data(as_text=True)
    assert "Deze taak is intussen afgesloten; het concept is niet bewaard." in page
    with db.session() as session:
        assert session.scalars(select(TaskDraft)).all() == []


def test_the_worker_removes_drafts_of_tasks_closed_otherwise(client, task_id, db) -> None:
    """A boundary event, a message or a bulk action closes a task without a completion: the
    worker's sweep removes its drafts; an open task's drafts stay."""
    from app.engine import hooks
    from app.tasks.service import remove_drafts_of_closed_tasks

    login(client, "sanne")
    assert _post(client, task_id, {"toelichting": "half"}, action="concept").status_code == 302
    assert remove_drafts_of_closed_tasks(db) == 0
    with db.transaction() as session:
        session.get(HumanTask, task_id).status = "cancelled"
    assert remove_drafts_of_closed_tasks(db) == 1
    with db.session() as session:
        assert session.scalars(select(TaskDraft)).all() == []
    assert [t.run for t in hooks.worker_ticks if t.name == "drafts"] == [
        remove_drafts_of_closed_tasks
    ]


def test_another_organisation_gets_404(client, task_id) -> None:
    login(client, "henk")
    assert client.get(f"/taken/{task_id}").status_code == 404
    assert _post(client, task_id, {}).status_code in (400, 404)


def test_a_conversation_report_cannot_be_completed_empty() -> None:
    """Issue 21: Utrecht's aannamegesprek has only optional fields (what is discussed
    differs), but a report without any content is refused; one field is enough."""
    import json
    from pathlib import Path

    path = Path(__file__).resolve().parents[2] / "forms" / "utrecht_vh-aannamegesprek.form"
    schema = json.loads(path.read_text("utf-8"))
    empty = "Het formulier is leeg: vul minstens één onderdeel in."
    assert forms.validate(schema, {})[1] == {"_schema": [empty]}
    assert forms.validate(schema, {"schulden": "  ", "gezin_kinderen": ""})[1] == {
        "_schema": [empty]
    }
    assert forms.validate(schema, {"schulden": "Huurachterstand 1.800 euro"})[1] == {}
    assert forms.validate(schema, {"inkomen_huidig": 0})[1] == {}  # a number is content
