"""The process owner's pages (issue 20): the web modeller's dry run and publishing, the
version list and migrating running instances, for the process's owner only."""

from __future__ import annotations

import json
import re

import pytest
from sqlalchemy import select

from app.cases.models import PartyBinding
from app.engine.jobs import run_due_jobs
from app.engine.models import ProcessVersion
from app.privacy.models import AuditLog
from tests.conftest import ROOT
from tests.support.engine import (
    deploy_paths,
    deploy_process,
    instance,
    simple_xml,
    start,
    write_variant,
)
from tests.support.orgs import organisation, user
from tests.support.web import csrf_token, log_in

UTRECHT = (ROOT / "bpmn" / "utrecht_vh.bpmn").read_text()
SCRIPT = "melding_vonnis = vonnis\n"
BROKEN = UTRECHT.replace(SCRIPT, "melding_vonnis = vonnis_datum_onbekend\n", 1)
ELEMENTS = ("gestart", "verrijken", "keuze", "wachten", "termijn", "einde", "einde_termijn")
RENAMED = UTRECHT.replace(
    'name="Voorkom Huisuitzetting Utrecht"', 'name="Voorkom Huisuitzetting Utrecht (nieuw)"', 1
)


@pytest.fixture
def people(db):
    organisation(db, "utrecht-beheer", "gemeente", "utrecht")
    organisation(db, "weert-beheer", "gemeente", "weert")
    organisation(db, "stroom", "beheer", None)
    user(db, "eva", "utrecht-beheer", roles=("procesbeheerder",), groups=())
    user(db, "wim", "weert-beheer", roles=("procesbeheerder",), groups=())
    user(db, "bob", "utrecht-beheer", roles=("behandelaar",), groups=())
    user(db, "ida", "stroom", roles=("procesbeheerder",), groups=())
    with db.transaction() as session:
        session.add(
            PartyBinding(process_key="utrecht_vh", municipality="utrecht", party="x", group_key="x")
        )
    deploy_process(db, "utrecht_vh")
    return db


def _check(client, xml: str):  # type: ignore[no-untyped-def]
    token = csrf_token(client, "/processen/utrecht_vh/bewerken")
    return client.post(
        "/processen/utrecht_vh/bewerken/controleren",
        data=json.dumps({"xml": xml}),
        content_type="application/json",
        headers={"X-CSRFToken": token},
    )


def _versions(db) -> list[int]:
    with db.session() as session:
        return list(session.scalars(select(ProcessVersion.version).order_by(ProcessVersion.id)))


def test_only_the_owner_opens_the_modeller(client, people) -> None:
    assert client.get("/processen/utrecht_vh/bewerken").status_code == 302  # log in first
    log_in(client, "bob")
    assert client.get("/processen/utrecht_vh/bewerken").status_code == 403
    client.post("/uitloggen", data={"csrf_token": csrf_token(client, "/")})
    log_in(client, "wim")  # Weert's process owner: not Utrecht's process
    assert client.get("/processen/utrecht_vh/bewerken").status_code == 404
    client.post("/uitloggen", data={"csrf_token": csrf_token(client, "/")})
    log_in(client, "eva")
    page = client.get("/processen/utrecht_vh/bewerken")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    data = json.loads(
        re.search(
            r'<script type="application/json" id="modeller-gegevens">(.*?)</script>', html, re.S
        )
        .group(1)  # type: ignore[union-attr]
        .replace("&#34;", '"')
    )
    assert "utrecht_vh" in data["xml"]
    assert "stroom.brp.huishouden" in {t["id"] for t in data["templates"]}
    assert "<script>" not in html and "modeller.js" in html


def test_the_dry_run_names_the_elements_with_problems(client, people) -> None:
    log_in(client, "eva")
    ok = _check(client, UTRECHT)
    assert ok.status_code == 200 and ok.get_json()["problemen"] == []
    assert ok.get_json()["gewijzigd"] is False
    broken = _check(client, BROKEN).get_json()
    [problem] = broken["problemen"]
    assert problem["element"] == "buurtteam_informeren" and problem["regel"] > 90
    assert "vonnis_datum_onbekend" in problem["melding"]
    other = _check(client, UTRECHT.replace('id="utrecht_vh"', 'id="ander_proces"', 1)).get_json()
    assert other["problemen"] and "ander_proces" in other["problemen"][0]["melding"]
    token = csrf_token(client, "/processen/utrecht_vh/bewerken")
    bad = client.post(
        "/processen/utrecht_vh/bewerken/controleren",
        data="{}",
        content_type="application/json",
        headers={"X-CSRFToken": token},
    )
    assert bad.status_code == 400 and "xml" in bad.get_json()["errors"]
    without_csrf = client.post(
        "/processen/utrecht_vh/bewerken/controleren",
        data=json.dumps({"xml": UTRECHT}),
        content_type="application/json",
    )
    assert without_csrf.status_code == 400
    assert _versions(people) == [1]


def test_publishing_needs_a_note_and_no_problems_and_is_audited(client, people) -> None:
    log_in(client, "eva")
    token = csrf_token(client, "/processen/utrecht_vh/bewerken")
    url = "/processen/utrecht_vh/publiceren"
    no_note = client.post(url, data={"csrf_token": token, "xml": RENAMED, "notitie": ""})
    assert no_note.status_code == 422 and "notitie" in no_note.get_data(as_text=True).lower()
    broken = client.post(url, data={"csrf_token": token, "xml": BROKEN, "notitie": "Nieuwe stap"})
    assert broken.status_code == 422
    assert "vonnis_datum_onbekend" in broken.get_data(as_text=True)
    same = client.post(url, data={"csrf_token": token, "xml": UTRECHT, "notitie": "Niets nieuws"})
    assert same.status_code == 422 and "niets veranderd" in same.get_data(as_text=True)
    assert _versions(people) == [1]
    done = client.post(url, data={"csrf_token": token, "xml": RENAMED, "notitie": "Nieuwe naam"})
    assert done.status_code == 302 and done.location.endswith("/processen/utrecht_vh/versies")
    assert _versions(people) == [1, 2]
    with people.session() as session:
        version = session.scalar(select(ProcessVersion).where(ProcessVersion.version == 2))
        assert version is not None and version.deployed_by == "user:eva"
        rows = session.scalars(select(AuditLog).where(AuditLog.action == "proces.publiceren"))
        audit = [(r.actor, r.result, r.details.get("notitie")) for r in rows]
    assert audit == [("user:eva", "geweigerd", None), ("user:eva", "gelukt", "Nieuwe naam")]
    page = client.get("/processen/utrecht_vh/versies").get_data(as_text=True)
    assert "Gepubliceerd: versie 2" in page and "Versie 2 (nieuwste" in page
    assert ">Nieuwe naam</dd>" in page  # the note
    download = client.get("/processen/utrecht_vh/versies/2.bpmn")
    assert download.get_data(as_text=True) == RENAMED
    assert 'filename="utrecht_vh-v2.bpmn"' in download.headers["Content-Disposition"]
    assert client.get("/processen/utrecht_vh/versies/3.bpmn").status_code == 404


def test_running_instances_move_after_a_dry_run(client, people, settings, clock, tmp_path):
    db = people
    write_variant(tmp_path, "v1.bpmn", simple_xml())
    deploy_paths(db, tmp_path / "v1.bpmn")
    waiting = start(db, business_key="ZAAK-1")
    run_due_jobs(db, settings, "w")
    catalogue = (tmp_path / "v1.catalogus.yaml").read_text().replace("[beoordelen,", "[nieuw,")
    renamed = (
        simple_xml()
        .replace('id="beoordelen"', 'id="nieuw"')
        .replace('Ref="beoordelen"', 'Ref="nieuw"')
    )
    deploy_paths(db, write_variant(tmp_path, "v2.bpmn", renamed, catalogue))
    log_in(client, "ida")  # the installation's process owner owns every process
    versions = client.get("/processen/test_simple/versies").get_data(as_text=True)
    assert "/processen/test_simple/migreren?van=1" in versions
    page = client.get("/processen/test_simple/migreren?van=1")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert '<option value="verrijken" selected>' in html  # same id: generated
    assert "geen element met dit id in versie 2" in html  # beoordelen was renamed
    token = csrf_token(client, "/processen/test_simple/migreren?van=1")
    form = {
        "csrf_token": token,
        "van": "1",
        "naar": "2",
        "stap": "proef",
        "zaken": waiting,
        "reden": "Stap hernoemd in versie 2",
        # What the page's selects send: the generated mapping (every element that kept its id).
        **{f"koppeling-{e}": e for e in ELEMENTS},
    }
    refused = client.post("/processen/test_simple/migreren", data=form).get_data(as_text=True)
    assert "Kan niet:" in refused and "‘Beoordelen’" in refused
    assert "Bevestigen en" not in refused
    form["koppeling-beoordelen"] = "nieuw"
    dry = client.post("/processen/test_simple/migreren", data=form).get_data(as_text=True)
    assert "Kan verhuizen" in dry and "Bevestigen en 1 zaak/zaken migreren" in dry
    assert instance(db, waiting).version.version == 1
    form["stap"] = "uitvoeren"
    done = client.post("/processen/test_simple/migreren", data=form)
    assert done.status_code == 302
    assert instance(db, waiting).version.version == 2
    with db.session() as session:
        [row] = session.scalars(select(AuditLog).where(AuditLog.action == "proces.migreren"))
    assert (row.actor, row.object_id, row.result) == ("user:ida", waiting, "gelukt")
    assert row.details["koppeling"] == {"beoordelen": "nieuw"}


def test_forms_are_written_as_the_files_are() -> None:
    """The form editor's page writes a form as the files in forms/ are written (two spaces, a
    newline at the end): same schema, and the same text for every file in that layout (the
    few that keep an exporter on one line differ in whitespace only). The browser half, the
    editor's own round trip of every form, is in tests/browser/test_modeller.py."""
    from app.modelling.views import form_text

    files = sorted((ROOT / "forms").glob("*.form"))
    assert len(files) > 50
    same_text = 0
    for path in files:
        text = path.read_text(encoding="utf-8")
        written = form_text(json.loads(text))
        assert json.loads(written) == json.loads(text), path.name
        same_text += written == text
    assert same_text >= len(files) - 5, same_text


def test_a_form_is_checked_against_the_catalogue_and_published(client, people) -> None:
    name = "utrecht_vh-bewoner-informeren.form"
    text = (ROOT / "forms" / name).read_text(encoding="utf-8")
    log_in(client, "eva")
    page = client.get(f"/processen/utrecht_vh/formulieren/{name}")
    assert page.status_code == 200
    assert client.get("/processen/utrecht_vh/formulieren/onbekend.form").status_code == 404
    token = csrf_token(client, f"/processen/utrecht_vh/formulieren/{name}")

    def check(form: str):  # type: ignore[no-untyped-def]
        return client.post(
            f"/processen/utrecht_vh/formulieren/{name}/controleren",
            data=json.dumps({"formulier": form}),
            content_type="application/json",
            headers={"X-CSRFToken": token},
        ).get_json()

    assert check(text) == {"problemen": [], "gewijzigd": False}
    schema = json.loads(text)
    schema["components"].append({"type": "textfield", "key": "geheim_veld", "label": "Geheim"})
    [problem] = check(json.dumps(schema))["problemen"]
    assert "'geheim_veld' staat niet in de gegevenscatalogus" in problem["melding"]
    assert check("{niet: json")["problemen"][0]["melding"] == "het formulier is geen geldige JSON"

    relabelled = text.replace('"label": "', '"label": "Nieuw: ', 1)
    assert check(relabelled) == {"problemen": [], "gewijzigd": True}
    url = f"/processen/utrecht_vh/formulieren/{name}/publiceren"
    refused = client.post(
        url, data={"csrf_token": token, "formulier": json.dumps(schema), "notitie": "Extra veld"}
    )
    assert refused.status_code == 422 and _versions(people) == [1]
    done = client.post(
        url, data={"csrf_token": token, "formulier": relabelled, "notitie": "Duidelijker label"}
    )
    assert done.status_code == 302 and _versions(people) == [1, 2]
    with people.session() as session:
        version = session.scalar(select(ProcessVersion).where(ProcessVersion.version == 2))
        assert version is not None
        assert form_text_of(version.forms[name]) == relabelled
        [row] = session.scalars(
            select(AuditLog).where(
                AuditLog.action == "proces.publiceren", AuditLog.result == "gelukt"
            )
        )
        assert row.details["kanaal"] == "formulierbewerker"


def form_text_of(schema: object) -> str:
    from app.modelling.views import form_text

    return form_text(schema)


def _page_xml(client) -> str:  # type: ignore[no-untyped-def]
    html = client.get("/processen/utrecht_vh/bewerken").get_data(as_text=True)
    block = re.search(
        r'<script type="application/json" id="modeller-gegevens">(.*?)</script>', html, re.S
    )
    assert block
    return str(json.loads(block.group(1))["xml"])


def test_a_draft_is_kept_until_published_or_thrown_away(client, people) -> None:
    log_in(client, "eva")
    token = csrf_token(client, "/processen/utrecht_vh/bewerken")
    # A draft may have problems: it is neither checked nor published.
    saved = client.post(
        "/processen/utrecht_vh/concept",
        data={"csrf_token": token, "xml": BROKEN, "stap": "opslaan"},
    )
    assert saved.status_code == 302 and _versions(people) == [1]
    assert _page_xml(client) == BROKEN
    page = client.get("/processen/utrecht_vh/bewerken").get_data(as_text=True)
    assert "U bewerkt het concept van eva" in page and "Concept weggooien" in page
    client.post("/uitloggen", data={"csrf_token": token})
    log_in(client, "ida")  # another owner of the process opens the same draft
    assert _page_xml(client) == BROKEN
    token = csrf_token(client, "/processen/utrecht_vh/bewerken")
    client.post("/processen/utrecht_vh/concept", data={"csrf_token": token, "stap": "weggooien"})
    assert _page_xml(client) == UTRECHT
    # Publishing ends the draft.
    client.post(
        "/processen/utrecht_vh/concept",
        data={"csrf_token": token, "xml": RENAMED, "stap": "opslaan"},
    )
    done = client.post(
        "/processen/utrecht_vh/publiceren",
        data={"csrf_token": token, "xml": RENAMED, "notitie": "Nieuwe naam"},
    )
    assert done.status_code == 302 and _versions(people) == [1, 2]
    page = client.get("/processen/utrecht_vh/bewerken").get_data(as_text=True)
    assert "U bewerkt het concept" not in page and _page_xml(client) == RENAMED
    assert (
        client.post(
            "/processen/utrecht_vh/concept", data={"csrf_token": token, "stap": "iets"}
        ).status_code
        == 400
    )


def test_the_live_dry_run_has_a_budget_per_person(db, people) -> None:
    """Each dry run runs every deploy check on a posted diagram: one person cannot make the
    server do that without bound (STROOM_MODELLER_CHECK_LIMIT); another person still can."""
    from app.config import Settings
    from app.web import create_app

    settings = Settings(
        database_url=db.url,
        bpmn_dir=ROOT / "bpmn",
        forms_dir=ROOT / "forms",
        modeller_check_limit="2 per minute",
    )
    app = create_app(settings, db, testing=True)
    eva, ida = app.test_client(), app.test_client()
    log_in(eva, "eva")
    log_in(ida, "ida")
    assert [_check(eva, UTRECHT).status_code for _ in range(3)] == [200, 200, 429]
    assert _check(ida, UTRECHT).status_code == 200
    # The catalogue editor's saves run the same checks: the same budget, for posts only.
    page = "/processen/utrecht_vh/catalogus/instellingen"
    token = csrf_token(eva, page)
    posted = [eva.post(page, data={"csrf_token": token}).status_code for _ in range(3)]
    assert posted[2] == 429 and 429 not in posted[:2], posted
    assert eva.get(page).status_code == 200


def test_the_migration_page_says_when_it_shows_only_the_oldest_cases(
    client, people, tmp_path, monkeypatch
) -> None:
    """A page plans and moves a batch of cases at a time (each is loaded and run): when more
    are running, it says how many, instead of quietly leaving the rest out."""
    from app.engine import migration

    db = people
    write_variant(tmp_path, "v1.bpmn", simple_xml())
    deploy_paths(db, tmp_path / "v1.bpmn")
    for number in range(3):
        start(db, business_key=f"ZAAK-{number}")
    renamed = simple_xml().replace('name="Beoordelen"', 'name="Beoordelen (nieuw)"')
    deploy_paths(db, write_variant(tmp_path, "v2.bpmn", renamed))
    monkeypatch.setattr(migration.running_instances, "__defaults__", (2,))
    log_in(client, "ida")
    html = client.get("/processen/test_simple/migreren?van=1").get_data(as_text=True)
    assert "De oudste 2 van 3 lopende zaken staan hieronder" in html
    assert "Zaak ZAAK-0" in html and "Zaak ZAAK-1" in html and "Zaak ZAAK-2" not in html
