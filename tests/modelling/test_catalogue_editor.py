"""The catalogue editor (issue 20): the process owner edits fields and settings in a form,
the file keeps every byte that did not change, the deploy's checks judge each save, and a
catalogue that widens who may read personal data waits for the privacy officer."""

from __future__ import annotations

import json
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from werkzeug.datastructures import MultiDict

from app import yaml_safe
from app.catalogue import load
from app.catalogue.source import tree
from app.engine.models import ProcessVersion
from app.modelling import catalogue as edit
from app.modelling.models import CatalogueApproval, CatalogueSource, ProcessDraft
from app.privacy.models import AuditLog
from tests.conftest import ROOT
from tests.privacy.test_views import officer_app
from tests.support.engine import deploy_process
from tests.support.orgs import organisation, user
from tests.support.web import csrf_token, log_in

CATALOGUES = sorted((ROOT / "bpmn").glob("*.catalogus.yaml"))


class _Form(HTMLParser):
    """What a browser posts from the page's first form that posts to the page itself: text
    inputs, checked boxes, selected options, text areas."""

    def __init__(self) -> None:
        super().__init__()
        self.fields: list[tuple[str, str]] = []
        self._select: str | None = None
        self._first: str | None = None
        self._chosen = False
        self._area: str | None = None
        self._text = ""
        self._in_form = False
        self._done = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "form" and not self._done and a.get("method") == "post" and "action" not in a:
            self._in_form = True
        if not self._in_form:
            return
        if tag == "input" and a.get("type") in ("text", "hidden", None, ""):
            self.fields.append((a["name"], a.get("value", "")))
        elif tag == "input" and a.get("type") == "checkbox" and "checked" in a:
            self.fields.append((a["name"], a.get("value", "")))
        elif tag == "select":
            self._select, self._first, self._chosen = a["name"], None, False
        elif tag == "option" and self._select:
            if self._first is None:
                self._first = a.get("value", "")
            if "selected" in a:
                self.fields.append((self._select, a.get("value", "")))
                self._chosen = True
        elif tag == "textarea":
            self._area, self._text = a["name"], ""

    def handle_endtag(self, tag: str) -> None:
        if tag == "form" and self._in_form:
            self._in_form, self._done = False, True
        elif tag == "select" and self._select:
            if not self._chosen:
                self.fields.append((self._select, self._first or ""))
            self._select = None
        elif tag == "textarea" and self._area:
            self.fields.append((self._area, self._text.removeprefix("\n")))
            self._area = None

    def handle_data(self, data: str) -> None:
        if self._area:
            self._text += data


def posted(html: str) -> MultiDict[str, str]:
    form = _Form()
    form.feed(html)
    return MultiDict(form.fields)


# -- round trip without the web ----------------------------------------------------------------


def _as_posted(values: dict[str, Any]) -> MultiDict[str, str]:
    """field_values as the field page posts them."""
    form: MultiDict[str, str] = MultiDict()
    for key, value in values.items():
        if isinstance(value, dict):
            if value["alle"]:
                form.add(f"{key}-alle", "ja")
            for phase in value["fasen"]:
                form.add(f"{key}-fasen", phase)
            form.add(f"{key}-toestemming", value["toestemming"] or "")
            if value["schriftelijk"]:
                form.add(f"{key}-schriftelijk", "ja")
        else:
            form.add(key, value)
    return form


@pytest.mark.parametrize("path", CATALOGUES, ids=lambda p: p.name)
def test_every_field_and_the_settings_saved_unchanged_give_the_same_file(path: Path) -> None:
    text = path.read_text("utf-8")
    catalogue = load(path)
    for name, spec in tree(text)["velden"].items():
        new, errors = edit.apply_field(
            spec, _as_posted(edit.field_values(spec, catalogue, name)), catalogue
        )
        assert errors == {}, name
        assert edit.with_field(text, name, new).text == text, name
    settings = tree(text).get("instellingen") or {}
    form = MultiDict(
        [
            (f"{n}-{k}", edit._shown(s.get(k)))
            for n, s in settings.items()
            for k in ("waarde", "omschrijving", "bron")
        ]
    )
    new_settings, errors = edit.apply_settings(settings, form)
    assert errors == {}
    assert edit.with_settings(text, new_settings).text == text


# -- in the browser's forms --------------------------------------------------------------------


@pytest.fixture
def app(db, settings):  # type: ignore[no-untyped-def]
    return officer_app(db, settings)  # the privacy officer without a second factor


@pytest.fixture
def people(db):
    organisation(db, "stroom", "beheer", None)
    user(db, "ida", "stroom", roles=("procesbeheerder",), groups=())
    user(db, "pia", "stroom", roles=("privacyfunctionaris",), groups=())
    # Both roles: may not approve what she asked for herself.
    user(db, "bea", "stroom", roles=("procesbeheerder", "privacyfunctionaris"), groups=())
    user(db, "bob", "stroom", roles=("behandelaar",), groups=())
    return db


def _draft(db, key: str) -> str | None:
    with db.session() as session:
        row = session.get(ProcessDraft, key)
        return row.catalogue if row else None


@pytest.mark.parametrize("path", CATALOGUES, ids=lambda p: p.name)
def test_saving_a_field_page_without_edits_changes_nothing(client, people, path: Path) -> None:
    key = path.name.removesuffix(".catalogus.yaml")
    deploy_process(people, key)
    log_in(client, "ida")
    assert client.get(f"/processen/{key}/catalogus").status_code == 200
    first = next(iter(tree(path.read_text("utf-8"))["velden"]))
    url = f"/processen/{key}/catalogus/velden/{first}"
    data = posted(client.get(url).get_data(as_text=True))
    data["stap"] = "opslaan"
    answer = client.post(url, data=data)
    assert answer.status_code == 302
    assert "Er is niets veranderd" in client.get(answer.location).get_data(as_text=True)
    settings = f"/processen/{key}/catalogus/instellingen"
    answer = client.post(settings, data=posted(client.get(settings).get_data(as_text=True)))
    assert answer.status_code == 302
    assert _draft(people, key) is None
    assert client.get(f"/processen/{key}/catalogus.yaml").get_data() == path.read_bytes()


def test_only_the_owner_edits(client, people) -> None:
    deploy_process(people, "utrecht_vh")
    log_in(client, "bob")
    assert client.get("/processen/utrecht_vh/catalogus").status_code == 403
    client.post("/uitloggen", data={"csrf_token": csrf_token(client, "/")})
    log_in(client, "pia")
    assert client.get("/processen/utrecht_vh/catalogus").status_code == 403


def test_a_save_the_deploy_would_refuse_is_not_stored(client, people) -> None:
    deploy_process(people, "haarlem_preventie")
    log_in(client, "ida")
    url = "/processen/haarlem_preventie/catalogus/velden/naam"
    data = posted(client.get(url).get_data(as_text=True))
    data["bewaartermijn"] = "twee jaar"
    answer = client.post(url, data=data)
    html = answer.get_data(as_text=True)
    assert answer.status_code == 422
    assert "bewaartermijn &#39;twee jaar&#39; is geen duur" in html
    assert _draft(people, "haarlem_preventie") is None
    data["bewaartermijn"], data["max_lengte"] = "P2Y", "veel"
    answer = client.post(url, data=data)
    assert answer.status_code == 422 and "geheel getal" in answer.get_data(as_text=True)


def test_a_yes_no_setting_is_chosen_not_typed(client, people) -> None:
    """Haarlem's `wachtlijst_boven_capaciteit` (bijlage 2 §4) is ja or nee: a choice on the
    page, stored as true/false; anything else is refused with the field named."""
    deploy_process(people, "haarlem_preventie")
    log_in(client, "ida")
    url = "/processen/haarlem_preventie/catalogus/instellingen"
    page = client.get(url).get_data(as_text=True)
    assert 'name="wachtlijst_boven_capaciteit-waarde"' in page and "<select" in page
    data = posted(page)
    assert data["wachtlijst_boven_capaciteit-waarde"] == "nee"
    data["wachtlijst_boven_capaciteit-waarde"] = "misschien"
    answer = client.post(url, data=data)
    assert answer.status_code == 422 and "Kies ja of nee." in answer.get_data(as_text=True)
    assert _draft(people, "haarlem_preventie") is None
    data["wachtlijst_boven_capaciteit-waarde"] = "ja"
    assert client.post(url, data=data).status_code == 302
    draft = _draft(people, "haarlem_preventie")
    assert draft is not None
    assert tree(draft)["instellingen"]["wachtlijst_boven_capaciteit"]["waarde"] is True


def _audit(db, action: str) -> list[AuditLog]:
    with db.session() as session:
        return list(session.scalars(select(AuditLog).where(AuditLog.action == action)))


def _versions(db) -> list[int]:
    with db.session() as session:
        return list(session.scalars(select(ProcessVersion.version).order_by(ProcessVersion.id)))


def _publish(client, key: str) -> Any:
    page = f"/processen/{key}/catalogus"
    return client.post(
        f"{page}/publiceren",
        data={
            "csrf_token": csrf_token(client, page),
            "notitie": "Troubleshooter leest de naam eerder",
        },
    )


def test_a_widening_waits_for_the_privacy_officer(client, people) -> None:
    key = "haarlem_preventie"
    deploy_process(people, key)
    original = (ROOT / "bpmn" / f"{key}.catalogus.yaml").read_text("utf-8")
    log_in(client, "ida")
    url = f"/processen/{key}/catalogus/velden/naam"
    data = posted(client.get(url).get_data(as_text=True))
    data.add("lezen-troubleshooter-fasen", "bewaking")  # it read in ontruiming only
    assert client.post(url, data=data).status_code == 302
    draft = _draft(people, key)
    assert draft is not None
    assert [
        a for a, b in zip(original.splitlines(), draft.splitlines(), strict=True) if a != b
    ] == ["    lezen: *par1"]
    page = client.get(f"/processen/{key}/catalogus").get_data(as_text=True)
    assert "Troubleshooter mag veld naam voortaan ook lezen in fase bewaking" in page
    assert "\n-    lezen: *par1\n+    lezen: {corporatie:" in page  # the file's lines

    held = _publish(client, key)
    assert held.status_code == 302 and held.location.endswith(f"/processen/{key}/catalogus")
    assert _versions(people) == [1]
    assert "Wacht op goedkeuring" in client.get(held.location).get_data(as_text=True)
    _publish(client, key)  # asking again makes no second request
    with people.session() as session:
        [row] = session.scalars(select(CatalogueApproval)).all()
    assert row.status == "wacht" and row.widenings[0]["partij"] == "troubleshooter"
    assert len(_audit(people, "catalogus.goedkeuring_vragen")) == 1
    assert client.get("/privacy/goedkeuringen").status_code == 403  # not the officer

    client.post("/uitloggen", data={"csrf_token": csrf_token(client, "/")})
    log_in(client, "pia")
    listed = client.get("/privacy/goedkeuringen").get_data(as_text=True)
    name = "Preventie huisuitzettingen Haarlem"  # the process's name, not its key
    assert name in listed and key not in listed
    detail = f"/privacy/goedkeuringen/{row.id}"
    shown = client.get(detail).get_data(as_text=True)
    assert f"<title>Goedkeuring catalogus {name}" in shown
    assert "Troubleshooter mag veld naam voortaan ook lezen in fase bewaking" in shown
    assert "\n-    lezen: *par1\n" in shown
    token = csrf_token(client, detail)
    short = client.post(detail, data={"csrf_token": token, "besluit": "goedkeuren", "reden": "ok"})
    assert short.status_code == 422
    done = client.post(
        detail,
        data={
            "csrf_token": token,
            "besluit": "goedkeuren",
            "reden": "Art. 8.1: nodig bij bewaking",
        },
    )
    assert done.status_code == 302
    [decision] = _audit(people, "catalogus.goedkeuren")
    assert decision.result == "gelukt" and decision.details["reden"].startswith("Art. 8.1")

    client.post("/uitloggen", data={"csrf_token": csrf_token(client, "/")})
    log_in(client, "ida")
    published = _publish(client, key)
    assert published.status_code == 302 and "versies" in published.location
    assert _versions(people) == [1, 2]
    with people.session() as session:
        version = session.scalar(select(ProcessVersion).where(ProcessVersion.version == 2))
        assert "bewaking" in version.catalogue["velden"]["naam"]["lezen"]["troubleshooter"]
        assert version.catalogue["velden"]["geboortedatum"]["lezen"]["troubleshooter"] == [
            "stagnatie",
            "ontruiming",
        ]
        source = session.get(CatalogueSource, key)
        assert source is not None and source.version == 2 and source.text == draft
        assert session.get(ProcessDraft, key) is None
    # The editor goes on from the published file, comments and all.
    assert client.get(f"/processen/{key}/catalogus.yaml").get_data(as_text=True) == draft


def test_the_one_who_asked_cannot_approve(client, people) -> None:
    key = "haarlem_preventie"
    deploy_process(people, key)
    log_in(client, "bea")
    url = f"/processen/{key}/catalogus/velden/naam"
    data = posted(client.get(url).get_data(as_text=True))
    data["bewaartermijn"] = "P5Y"
    client.post(url, data=data)
    _publish(client, key)
    with people.session() as session:
        [row] = session.scalars(select(CatalogueApproval)).all()
    assert row.widenings[0]["soort"] == "bewaartermijn"
    detail = f"/privacy/goedkeuringen/{row.id}"
    answer = client.post(
        detail,
        data={
            "csrf_token": csrf_token(client, detail),
            "besluit": "goedkeuren",
            "reden": "Ik vind het goed zo",
        },
    )
    assert answer.status_code == 422 and "een ander moet" in answer.get_data(as_text=True)
    with people.session() as session:
        assert session.get(CatalogueApproval, row.id).status == "wacht"
    [refused] = _audit(people, "catalogus.goedkeuren")
    assert refused.result == "geweigerd"


def test_a_rejection_keeps_the_change_unpublished(client, people) -> None:
    key = "haarlem_preventie"
    deploy_process(people, key)
    log_in(client, "ida")
    url = f"/processen/{key}/catalogus/velden/naam"
    data = posted(client.get(url).get_data(as_text=True))
    data["lezen-corporatie-toestemming"] = ""
    data["lezen-wijkteam-alle"] = "ja"
    client.post(url, data=data)
    _publish(client, key)
    client.post("/uitloggen", data={"csrf_token": csrf_token(client, "/")})
    log_in(client, "pia")
    with people.session() as session:
        [row] = session.scalars(select(CatalogueApproval)).all()
    detail = f"/privacy/goedkeuringen/{row.id}"
    client.post(
        detail,
        data={
            "csrf_token": csrf_token(client, detail),
            "besluit": "afwijzen",
            "reden": "Niet in het convenant",
        },
    )
    assert len(_audit(people, "catalogus.afwijzen")) == 1
    client.post("/uitloggen", data={"csrf_token": csrf_token(client, "/")})
    log_in(client, "ida")
    page = client.get(f"/processen/{key}/catalogus").get_data(as_text=True)
    assert "Afgewezen" in page and "Niet in het convenant" in page
    _publish(client, key)
    assert _versions(people) == [1]


def test_a_narrowing_publishes_without_approval(client, people) -> None:
    key = "haarlem_preventie"
    deploy_process(people, key)
    log_in(client, "ida")
    url = f"/processen/{key}/catalogus/velden/naam"
    data = posted(client.get(url).get_data(as_text=True))
    data.setlist("lezen-troubleshooter-fasen", [])
    assert client.post(url, data=data).status_code == 302
    assert "Niemand krijgt hierdoor ruimer leesrecht" in client.get(
        f"/processen/{key}/catalogus"
    ).get_data(as_text=True)
    assert _publish(client, key).status_code == 302
    assert _versions(people) == [1, 2]
    with people.session() as session:
        assert session.scalars(select(CatalogueApproval)).all() == []
        version = session.scalar(select(ProcessVersion).where(ProcessVersion.version == 2))
        assert "troubleshooter" not in version.catalogue["velden"]["naam"]["lezen"]
    assert (
        yaml_safe.load(client.get(f"/processen/{key}/catalogus.yaml").get_data(as_text=True))[
            "velden"
        ]["naam"]["lezen"].get("troubleshooter")
        is None
    )


def test_an_approval_holds_for_the_text_it_saw(client, people) -> None:
    """Approved, then changed again: the new text waits for its own approval."""
    key = "haarlem_preventie"
    deploy_process(people, key)
    log_in(client, "ida")
    url = f"/processen/{key}/catalogus/velden/naam"
    data = posted(client.get(url).get_data(as_text=True))
    data["bewaartermijn"] = "P3Y"
    client.post(url, data=data)
    _publish(client, key)
    with people.transaction() as session:
        [row] = session.scalars(select(CatalogueApproval)).all()
        row.status, row.decided_by, row.reason = "goedgekeurd", "user:pia", "Past in art. 9"
    data = posted(client.get(url).get_data(as_text=True))
    data["omschrijving"] = "Naam van de huurder (zoals in het huurcontract)"
    client.post(url, data=data)
    assert _publish(client, key).location.endswith(f"/processen/{key}/catalogus")
    assert _versions(people) == [1]
    with people.session() as session:
        assert [r.status for r in session.scalars(select(CatalogueApproval))] == [
            "goedgekeurd",
            "wacht",
        ]
    # Changed once more: the waiting request lapses, a new one waits.
    data["omschrijving"] = "Naam van de huurder volgens het contract"
    client.post(url, data=data)
    _publish(client, key)
    with people.session() as session:
        assert [r.status for r in session.scalars(select(CatalogueApproval))] == [
            "goedgekeurd",
            "vervallen",
            "wacht",
        ]
    # Thrown away: nothing waits any more.
    page = f"/processen/{key}/catalogus"
    client.post(f"{page}/weggooien", data={"csrf_token": csrf_token(client, page)})
    assert _draft(people, key) is None
    with people.session() as session:
        assert "wacht" not in [r.status for r in session.scalars(select(CatalogueApproval))]
    client.post("/uitloggen", data={"csrf_token": csrf_token(client, "/")})
    log_in(client, "pia")
    listed = client.get("/privacy/goedkeuringen")
    assert listed.status_code == 200
    html = listed.get_data(as_text=True)
    assert "Er wacht niets op goedkeuring." in html and "vervallen" not in html


def test_the_modeller_publishes_the_drafts_catalogue_and_holds_a_widening(client, people) -> None:
    key = "haarlem_preventie"
    deploy_process(people, key)
    log_in(client, "ida")
    xml = (ROOT / "bpmn" / f"{key}.bpmn").read_text()
    token = csrf_token(client, f"/processen/{key}/bewerken")

    def check() -> dict[str, Any]:
        return client.post(
            f"/processen/{key}/bewerken/controleren",
            json={"xml": xml},
            headers={"X-CSRFToken": token},
        ).get_json()

    assert check() == {"problemen": [], "versie": 1, "gewijzigd": False}
    url = f"/processen/{key}/catalogus/velden/naam"
    data = posted(client.get(url).get_data(as_text=True))
    data.add("lezen-sdv-fasen", "melding")
    client.post(url, data=data)
    # The dry run checks with the draft's catalogue: the same diagram is now a change.
    assert check() == {"problemen": [], "versie": 2, "gewijzigd": True}
    assert "gegevenscatalogus" in client.get(f"/processen/{key}/bewerken").get_data(as_text=True)
    held = client.post(
        f"/processen/{key}/publiceren",
        data={"csrf_token": token, "xml": xml, "notitie": "SDV ziet de naam bij de melding"},
    )
    assert held.status_code == 302 and held.location.endswith(f"/processen/{key}/catalogus")
    assert _versions(people) == [1]
    [asked] = _audit(people, "catalogus.goedkeuring_vragen")
    assert asked.details["kanaal"] == "modeller"
    assert "Schulddienstverlening mag veld naam voortaan ook lezen in fase melding." in [
        w["omschrijving"] for w in asked.details["verruimingen"]
    ]


def test_a_new_field_is_added_and_its_readers_are_a_widening(client, people) -> None:
    key = "haarlem_preventie"
    deploy_process(people, key)
    log_in(client, "ida")
    url = f"/processen/{key}/catalogus/nieuw-veld"
    data = posted(client.get(url).get_data(as_text=True))
    for name, value in (
        {
            "naam": "tweede_telefoon",
            "omschrijving": "Tweede telefoonnummer van de huurder",
            "categorie": "contact",
            "type": "tekst",
            "formaat": "telefoon",
            "doel": "Contact leggen als het eerste nummer niet werkt",
            "grondslag": "gerechtvaardigd_belang",
            "bewaartermijn": "P1Y",
            "voorbeeld": "06-12345678",
        }
    ).items():
        data[name] = value  # replaces (MultiDict.update would add a second value)
    data.add("lezen-wijkteam-alle", "ja")
    data.add("schrijven-wijkteam-fasen", "melding")
    answer = client.post(url, data=data)
    assert answer.status_code == 302, answer.get_data(as_text=True)
    text = _draft(people, key)
    assert text is not None and text.endswith(
        "  tweede_telefoon:\n"
        "    omschrijving: Tweede telefoonnummer van de huurder\n"
        "    categorie: contact\n"
        "    type: tekst\n"
        "    formaat: telefoon\n"
        "    doel: Contact leggen als het eerste nummer niet werkt\n"
        "    grondslag: gerechtvaardigd_belang\n"
        "    bewaartermijn: P1Y\n"
        "    voorbeeld: 06-12345678\n"
        "    lezen: {wijkteam: '*'}\n"
        "    schrijven: {wijkteam: [melding]}\n"
    )
    page = client.get(f"/processen/{key}/catalogus").get_data(as_text=True)
    assert "Sociaal Wijkteam mag veld tweede_telefoon lezen in alle fasen (nieuw)." in page
    again = client.post(url, data=data)
    assert again.status_code == 422 and "Er is al een veld tweede_telefoon" in again.get_data(
        as_text=True
    )


def test_removing_a_field_the_diagram_uses_is_refused(client, people) -> None:
    key = "haarlem_preventie"
    deploy_process(people, key)
    log_in(client, "ida")
    url = f"/processen/{key}/catalogus/velden/postcode"
    data = posted(client.get(url).get_data(as_text=True))
    data["stap"] = "verwijderen"
    answer = client.post(url, data=data)
    assert answer.status_code == 422
    assert "postcode" in answer.get_data(as_text=True)
    assert _draft(people, key) is None


def test_publishing_a_form_keeps_the_catalogue_draft(client, people) -> None:
    key = "haarlem_preventie"
    deploy_process(people, key)
    log_in(client, "ida")
    url = f"/processen/{key}/catalogus/velden/naam"
    data = posted(client.get(url).get_data(as_text=True))
    data.setlist("lezen-troubleshooter-fasen", [])  # a narrowing
    client.post(url, data=data)
    draft = _draft(people, key)
    name = f"{key}-contact_opnemen.form"
    form = (ROOT / "forms" / name).read_text("utf-8")
    first = json.loads(form)["components"][0]
    edited = json.loads(form)
    edited["components"][0] = {**first, "label": "Contact opgenomen (bijgewerkt)"}
    page = f"/processen/{key}/formulieren/{name}"
    answer = client.post(
        f"{page}/publiceren",
        data={
            "csrf_token": csrf_token(client, page),
            "formulier": json.dumps(edited, indent=2, ensure_ascii=False) + "\n",
            "notitie": "Duidelijker label in het formulier",
        },
    )
    assert answer.status_code == 302, answer.get_data(as_text=True)[-3000:]
    assert _versions(people) == [1, 2]
    with people.session() as session:
        version = session.scalar(select(ProcessVersion).where(ProcessVersion.version == 2))
        # The form went with the catalogue in use, not with the draft's.
        assert "troubleshooter" in version.catalogue["velden"]["naam"]["lezen"]
    assert _draft(people, key) == draft
