"""Publishing without a shell (issue 20): Stroom's own deployment endpoint and the one the
desktop Camunda Modeler's deploy dialog calls, both through the engine's own deploy."""

from __future__ import annotations

import io

import pytest
from sqlalchemy import select

from app.auth.tokens import create_token
from app.engine.models import ProcessDefinition, ProcessVersion
from app.privacy.models import AuditLog
from tests.conftest import ROOT
from tests.support.orgs import organisation

UTRECHT = (ROOT / "bpmn" / "utrecht_vh.bpmn").read_bytes()
SCRIPT = b"melding_vonnis = vonnis\n"
# A read of a variable no path writes: the data-flow analysis refuses it at deploy.
BROKEN = UTRECHT.replace(SCRIPT, b"melding_vonnis = vonnis_datum_onbekend\n", 1)
RENAMED = UTRECHT.replace(
    b'name="Voorkom Huisuitzetting Utrecht"', b'name="Voorkom Huisuitzetting Utrecht (nieuw)"', 1
)


def _token(db, scopes: list[str], organisation_id: int | None = None) -> dict[str, str]:
    with db.transaction() as session:
        _row, secret = create_token(
            session, "procesbeheer", scopes=scopes, organisation_id=organisation_id
        )
    return {"Authorization": f"Bearer {secret}"}


@pytest.fixture
def deployer(db) -> dict[str, str]:
    return _token(db, ["processes:deploy", "processes:read"])


def _versions(db) -> list[tuple[str, int, str | None]]:
    with db.session() as session:
        return [
            (key, version, by)
            for key, version, by in session.execute(
                select(ProcessDefinition.key, ProcessVersion.version, ProcessVersion.deployed_by)
                .join(ProcessVersion.definition)
                .order_by(ProcessVersion.id)
            )
        ]


def _post(client, headers, files: dict[str, bytes], **form: str):  # type: ignore[no-untyped-def]
    data: dict[str, object] = dict(form)
    data["bestanden"] = [(io.BytesIO(content), name) for name, content in files.items()]
    return client.post(
        "/api/v1/deployments", headers=headers, data=data, content_type="multipart/form-data"
    )


def test_a_dry_run_checks_everything_and_stores_nothing(client, db, deployer) -> None:
    answer = _post(client, deployer, {"utrecht_vh.bpmn": UTRECHT}, proefdraai="true")
    assert answer.status_code == 201, answer.get_json()
    assert answer.get_json()["nieuw"] == [{"proces": "utrecht_vh", "versie": 1}]
    assert answer.get_json()["proefdraai"] is True
    assert _versions(db) == []


def test_publish_makes_a_version_as_stroom_deploy_does_and_is_audited(client, db, deployer):
    answer = _post(client, deployer, {"utrecht_vh.bpmn": UTRECHT})
    assert answer.status_code == 201, answer.get_json()
    assert answer.get_json()["nieuw"] == [{"proces": "utrecht_vh", "versie": 1}]
    again = _post(client, deployer, {"utrecht_vh.bpmn": UTRECHT})
    assert again.get_json()["ongewijzigd"] == [{"proces": "utrecht_vh", "versie": 1}]
    changed = _post(client, deployer, {"utrecht_vh.bpmn": RENAMED}, proefdraai="ja")
    assert changed.get_json()["nieuw"] == [{"proces": "utrecht_vh", "versie": 2}]
    assert _versions(db) == [("utrecht_vh", 1, "token:procesbeheer")]
    with db.session() as session:
        rows = session.scalars(select(AuditLog).where(AuditLog.action == "proces.publiceren")).all()
    assert [(r.result, r.details["nieuw"]) for r in rows] == [
        ("gelukt", [{"proces": "utrecht_vh", "versie": 1}]),
        ("gelukt", []),
    ]


def test_a_broken_diagram_answers_its_problems_and_publishes_nothing(client, db, deployer):
    answer = _post(client, deployer, {"utrecht_vh.bpmn": BROKEN})
    assert answer.status_code == 422
    [problem] = answer.get_json()["errors"]["utrecht_vh.bpmn"]
    assert "element buurtteam_informeren" in problem and "regel " in problem
    assert "vonnis_datum_onbekend" in problem
    assert "/tmp" not in str(answer.get_json())  # the uploaded name, not the staging folder
    assert _versions(db) == []


@pytest.mark.parametrize(
    ("files", "field", "words"),
    [
        ({"../utrecht_vh.bpmn": UTRECHT}, "../utrecht_vh.bpmn", "ongeldige bestandsnaam"),
        ({"script.js": b"x"}, "script.js", "alleen .bpmn"),
        ({"besluit.dmn": b"<x/>"}, "besluit.dmn", "alleen .bpmn"),
        ({"a.form": b"{}"}, "bestanden", "geen .bpmn-diagram"),
        ({"groot.bpmn": b"x" * (2 * 1024 * 1024 + 1)}, "groot.bpmn", "groter dan 2 MB"),
    ],
)
def test_what_cannot_be_published_is_named(client, db, deployer, files, field, words) -> None:
    answer = _post(client, deployer, files)
    assert answer.status_code == 422, answer.get_json()
    assert any(words in text for text in answer.get_json()["errors"][field]), answer.get_json()
    assert _versions(db) == []


def test_only_an_operators_token_with_the_scope_publishes(client, db) -> None:
    partner = organisation(db, "woonstede", "woningcorporatie", "utrecht")
    for headers in (
        _token(db, ["processes:read"]),
        _token(db, ["processes:deploy"], organisation_id=partner),
    ):
        answer = _post(client, headers, {"utrecht_vh.bpmn": UTRECHT})
        assert answer.status_code == 403, answer.get_json()
    assert _post(client, {}, {"utrecht_vh.bpmn": UTRECHT}).status_code == 401
    assert _versions(db) == []


def _camunda(client, headers, name: str, content: bytes):  # type: ignore[no-untyped-def]
    """The multipart request the Camunda Modeler's deploy dialog sends (Camunda 7 REST
    `POST /deployment/create`): text parts, then each file as a part named after the file."""
    return client.post(
        "/api/v1/engine-rest/deployment/create",
        headers={**headers, "Accept": "application/json"},
        data={
            "deployment-name": "Voorkom Huisuitzetting",
            "deployment-source": "Camunda Modeler",
            "deploy-changed-only": "true",
            name: (io.BytesIO(content), name),
        },
        content_type="multipart/form-data",
    )


def test_the_camunda_modeler_deploys_and_sees_its_problems(client, db, deployer) -> None:
    answer = _camunda(client, deployer, "utrecht_vh.bpmn", UTRECHT)
    assert answer.status_code == 200, answer.get_json()
    body = answer.get_json()
    assert body["name"] == "Voorkom Huisuitzetting" and body["source"] == "Camunda Modeler"
    [definition] = body["deployedProcessDefinitions"].values()
    assert (definition["key"], definition["version"]) == ("utrecht_vh", 1)
    assert definition["deploymentId"] == body["id"]
    assert _versions(db) == [("utrecht_vh", 1, "token:procesbeheer")]

    broken = _camunda(client, deployer, "utrecht_vh.bpmn", BROKEN)
    assert broken.status_code == 400
    problem = broken.get_json()
    assert problem["type"] == "ParseException"
    [error] = problem["details"]["utrecht_vh.bpmn"]["errors"]
    assert error["mainElementId"] == "buurtteam_informeren"
    assert error["elementIds"] == ["buurtteam_informeren"] and error["line"] > 90
    assert "vonnis_datum_onbekend" in error["message"]
    assert _versions(db) == [("utrecht_vh", 1, "token:procesbeheer")]

    # Camunda's other name for a diagram; unchanged content makes no new version.
    same = _camunda(client, deployer, "utrecht_vh.bpmn20.xml", UTRECHT)
    assert same.status_code == 200 and same.get_json()["deployedProcessDefinitions"] is None
    assert _camunda(client, deployer, "besluit.dmn", b"<x/>").status_code == 400


CATALOGUE = (ROOT / "bpmn" / "utrecht_vh.catalogus.yaml").read_bytes()
# The buurtteam would read the corporation's own reference in every phase: a wider read right.
WIDER = CATALOGUE.replace(
    b'    lezen: {corporatie: "*"}\n    schrijven: {corporatie: [aanmelding]}\n',
    b'    lezen: {corporatie: "*", buurtteam: "*"}\n    schrijven: {corporatie: [aanmelding]}\n',
    1,
)


def test_a_catalogue_that_widens_reading_waits_for_the_privacy_officer_on_every_way_in(
    client, db, deployer
) -> None:
    """Four eyes (issue 20): a catalogue sent with the API or from the Camunda Modeler that
    lets more parties read personal data is not published until the privacy officer approved
    that very text; the request waits on their list, audited. Approved, it publishes."""
    from app.modelling.models import ApprovalStatus, CatalogueApproval

    assert WIDER != CATALOGUE
    assert _post(client, deployer, {"utrecht_vh.bpmn": UTRECHT}).status_code == 201
    files = {"utrecht_vh.bpmn": RENAMED, "utrecht_vh.catalogus.yaml": WIDER}

    dry = _post(client, deployer, files, proefdraai="ja")
    assert dry.status_code == 422, dry.get_json()
    [message] = dry.get_json()["errors"]["utrecht_vh.catalogus.yaml"]
    assert "referentie" in message and "privacyfunctionaris" in message
    with db.session() as session:
        assert session.scalars(select(CatalogueApproval)).all() == []  # a dry run asks nothing

    held = _post(client, deployer, files)
    assert held.status_code == 422, held.get_json()
    assert "Verzoek " in held.get_json()["errors"]["utrecht_vh.catalogus.yaml"][0]
    modeller = client.post(
        "/api/v1/engine-rest/deployment/create",
        headers={**deployer, "Accept": "application/json"},
        data={
            "deployment-name": "Voorkom Huisuitzetting",
            "deployment-source": "Camunda Modeler",
            "utrecht_vh.bpmn": (io.BytesIO(RENAMED), "utrecht_vh.bpmn"),
            "utrecht_vh.catalogus.yaml": (io.BytesIO(WIDER), "utrecht_vh.catalogus.yaml"),
        },
        content_type="multipart/form-data",
    )
    assert modeller.status_code == 400
    [error] = modeller.get_json()["details"]["utrecht_vh.catalogus.yaml"]["errors"]
    assert "privacyfunctionaris" in error["message"]
    assert _versions(db) == [("utrecht_vh", 1, "token:procesbeheer")]
    with db.transaction() as session:
        [row] = session.scalars(select(CatalogueApproval)).all()  # one request, asked twice
        assert row.status == ApprovalStatus.PENDING and row.requested_by == "token:procesbeheer"
        assert row.widenings[0]["veld"] == "referentie"
        audited = session.scalars(
            select(AuditLog).where(AuditLog.action == "catalogus.goedkeuring_vragen")
        ).all()
        assert [(a.details["kanaal"], a.details["proces"]) for a in audited] == [
            ("api", "utrecht_vh")
        ]
        row.status = ApprovalStatus.APPROVED  # as the officer's page does (tested there)

    published = _post(client, deployer, files)
    assert published.status_code == 201, published.get_json()
    assert published.get_json()["nieuw"] == [{"proces": "utrecht_vh", "versie": 2}]
    with db.session() as session:
        version = session.scalars(select(ProcessVersion).where(ProcessVersion.version == 2)).one()
        assert version.catalogue["velden"]["referentie"]["lezen"]["buurtteam"] == "*"


def test_a_catalogue_that_narrows_or_keeps_reading_publishes_through_the_api(
    client, db, deployer
) -> None:
    assert _post(client, deployer, {"utrecht_vh.bpmn": UTRECHT}).status_code == 201
    narrower = CATALOGUE.replace(
        b"      buurtteam: [bij_aanname, budgetbeheer, afsluiting]\n",
        b"      buurtteam: [bij_aanname, budgetbeheer]\n",
        1,
    )
    assert narrower != CATALOGUE
    answer = _post(
        client, deployer, {"utrecht_vh.bpmn": UTRECHT, "utrecht_vh.catalogus.yaml": narrower}
    )
    assert answer.status_code == 201, answer.get_json()
    assert answer.get_json()["nieuw"] == [{"proces": "utrecht_vh", "versie": 2}]
