"""Issue 16, item 3: who plays which party in a case started over the API.

A partner's token once named itself as the social team (`parties`), completed the team's
task and read what only the team may read; it could also start another municipality's
process, or a process it has no intake route to. The parties of a case now come from the
municipality's party bindings and the reporting partner from the token; only an
installation-wide token (without organisation) may name them."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import func, select

from app.auth.tokens import create_token
from app.engine.models import HumanTask, InstanceParty, ProcessInstance
from tests.cases.support import secret_of, seed, signal, token
from tests.support.engine import FIXTURES, SIMPLE, deploy_paths
from tests.support.orgs import bind, partner

SCOPES = ["instances:write", "instances:read", "cases:read", "tasks:read", "tasks:write"]


DIRECT = "test_direct"
CORPORATION = "corporatie-direct"  # its intake route in Weert is to DIRECT


def _deploy_direct(db, folder: Path) -> None:  # type: ignore[no-untyped-def]
    """The inbox process as one a partner starts over the API: without a `melding` section
    (a process that takes signals is started through the signal door)."""
    diagram = (FIXTURES / "inbox.bpmn").read_text().replace("test_inbox", DIRECT)
    catalogue = (FIXTURES / "inbox.catalogus.yaml").read_text().replace("test_inbox", DIRECT)
    start, end = catalogue.index("\nmelding:\n"), catalogue.index("\nvelden:\n")
    (folder / "direct.bpmn").write_text(diagram)
    # Without a signal, what every start brings (deploy's data-flow analysis counts on it).
    catalogue = catalogue[:start] + "\nstart: {verplicht: [maanden_achterstand]}" + catalogue[end:]
    (folder / "direct.catalogus.yaml").write_text(catalogue)
    deploy_paths(db, folder / "direct.bpmn")
    partner(db, CORPORATION, DIRECT)


@pytest.fixture
def world(db, clock, app, tmp_path):  # type: ignore[no-untyped-def]
    world = seed(db, secret_of(app), [signal(1)])
    _deploy_direct(db, tmp_path)
    # Haarlem runs the same process with its own team; Wonen Limburg reports only in Weert.
    bind(db, "test_inbox", "haarlem", "wijkteam", "haarlem-swt")
    bind(db, DIRECT, "weert", "wijkteam", "weert-swt")
    bind(db, DIRECT, "haarlem", "wijkteam", "haarlem-swt")
    deploy_paths(db, SIMPLE)
    return world


@pytest.fixture
def corporation(db, world) -> dict[str, str]:  # type: ignore[no-untyped-def]
    return {"Authorization": f"Bearer {token(db, CORPORATION, SCOPES)}"}


def _counts(db) -> tuple[int, int]:  # type: ignore[no-untyped-def]
    with db.session() as session:
        return (
            session.scalar(select(func.count()).select_from(ProcessInstance)) or 0,
            session.scalar(select(func.count()).select_from(HumanTask)) or 0,
        )


def _parties(db, instance_id: str) -> dict[str, str]:  # type: ignore[no-untyped-def]
    with db.session() as session:
        return dict(
            session.execute(
                select(InstanceParty.party, InstanceParty.group_key).where(
                    InstanceParty.instance_id == instance_id
                )
            ).all()
        )


def _start(client, headers, process: str = DIRECT, **body):  # type: ignore[no-untyped-def]
    return client.post(
        f"/api/v1/processes/{process}/instances",
        headers=headers,
        json={"data": {"naam": "Familie Bakker", "maanden_achterstand": 2}, **body},
    )


def test_a_partner_cannot_bind_itself_as_the_social_team(client, db, corporation) -> None:
    before = _counts(db)
    answer = _start(client, corporation, parties={"wijkteam": CORPORATION})
    assert answer.status_code == 403, answer.get_json()
    assert "parties" in answer.get_json()["errors"]
    assert _counts(db) == before
    # Not even naming the team the binding would choose: parties are not the caller's word.
    answer = _start(client, corporation, parties={"corporatie": CORPORATION})
    assert answer.status_code == 403 and _counts(db) == before
    # So the corporation sees no task of the team's: only the seeded case's, none at all.
    tasks = client.get("/api/v1/tasks", headers=corporation).get_json()["items"]
    assert tasks == []


def test_a_partner_starts_with_the_municipalitys_parties(client, db, corporation) -> None:
    answer = _start(client, corporation)
    assert answer.status_code == 201, answer.get_json()
    instance_id = answer.get_json()["id"]
    assert _parties(db, instance_id) == {"corporatie": CORPORATION, "wijkteam": "weert-swt"}
    # The personal data it started with is logged as a processing, as any data entering.
    from app.privacy.models import AuditLog, ProcessingLog

    with db.session() as session:
        started = session.scalars(select(AuditLog).where(AuditLog.action == "zaak.starten")).one()
        assert started.object_id == instance_id
        assert started.details["velden"] == ["maanden_achterstand", "naam"]
        purposes = [p.attributes.get("doel") for p in session.scalars(select(ProcessingLog))]
        assert f"start {DIRECT}" in purposes
    # The team's task is the team's, not the corporation's.
    assert client.get("/api/v1/tasks", headers=corporation).get_json()["items"] == []
    data = client.get(f"/api/v1/instances/{instance_id}/data", headers=corporation).get_json()
    assert data["parties"] == ["corporatie"]


def test_a_partner_starts_only_its_own_route(client, db, corporation) -> None:
    before = _counts(db)
    # Another municipality's process run: it would create work for Haarlem's team.
    other_town = _start(client, corporation, municipality="haarlem")
    assert other_town.status_code == 403, other_town.get_json()
    assert "municipality" in other_town.get_json()["errors"]
    # A process the partner has no intake route to.
    other_process = _start(client, corporation, process="test_simple")
    assert other_process.status_code == 403, other_process.get_json()
    assert _counts(db) == before
    # Its own municipality, named or not, is fine.
    assert _start(client, corporation, municipality="weert").status_code == 201


def test_a_process_that_takes_signals_is_started_through_the_signal_door(
    client, db, corporation
) -> None:
    """The signal door matches a signal into an existing case and respects a resident's
    objection; starting the process directly would skip both."""
    before = _counts(db)
    headers = {"Authorization": f"Bearer {token(db, 'wonen-limburg', SCOPES)}"}
    answer = _start(client, headers, process="test_inbox")
    assert answer.status_code == 403, answer.get_json()
    assert "/api/v1/signals" in answer.get_json()["message"]
    assert _counts(db) == before


def test_a_partner_cannot_take_a_business_key_another_case_has(client, db, corporation) -> None:
    assert _start(client, corporation, business_key="Z-1").status_code == 201
    before = _counts(db)
    again = _start(client, corporation, business_key="Z-1")
    assert again.status_code == 409 and "business_key" in again.get_json()["errors"]
    assert _counts(db) == before


def test_a_team_token_without_an_intake_route_starts_nothing(client, db, world) -> None:
    team = {"Authorization": f"Bearer {token(db, 'weert-swt', SCOPES)}"}
    before = _counts(db)
    answer = _start(client, team)
    assert answer.status_code == 403 and _counts(db) == before


def test_an_installation_token_may_name_the_parties(client, db, world) -> None:
    with db.transaction() as session:
        _row, secret = create_token(session, "beheer", ["instances:write"])
    answer = _start(
        client,
        {"Authorization": f"Bearer {secret}"},
        municipality="haarlem",
        parties={"corporatie": "wonen-limburg"},
    )
    assert answer.status_code == 201, answer.get_json()
    assert _parties(db, answer.get_json()["id"]) == {
        "corporatie": "wonen-limburg",
        "wijkteam": "haarlem-swt",
    }


def test_an_installation_token_names_only_a_municipality_the_installation_knows(
    client, db, world
) -> None:
    """A typo ('harlem') once started a case that no municipality's people saw."""
    with db.transaction() as session:
        _row, secret = create_token(session, "beheer", ["instances:write"])
    headers = {"Authorization": f"Bearer {secret}"}
    before = _counts(db)
    typo = _start(client, headers, municipality="harlem", parties={"corporatie": "wonen-limburg"})
    assert typo.status_code == 422, typo.get_json()
    [message] = typo.get_json()["errors"]["municipality"]
    assert "'harlem'" in message and "haarlem" in message.split("bekend zijn:")[1]
    assert _counts(db) == before
    # Known from an organisation, without a binding for this process: the case starts, with
    # the parties the installation named.
    answer = _start(
        client,
        headers,
        process="test_inbox",
        municipality="weert",
        parties={"wijkteam": "weert-swt"},
    )
    assert answer.status_code == 201, answer.get_json()
    assert _parties(db, answer.get_json()["id"]) == {"wijkteam": "weert-swt"}


def test_the_signal_door_follows_the_route_too(client, db, world) -> None:
    """The other door that starts cases for a partner: the route decides the process and the
    municipality; a row cannot name parties either."""
    headers = {"Authorization": f"Bearer {token(db, 'wonen-limburg', ['signals:write'])}"}
    before = _counts(db)
    elsewhere = client.post(
        "/api/v1/signals", headers=headers, json={"gemeente": "haarlem", "signalen": [signal(5)]}
    )
    assert elsewhere.status_code == 404
    named = client.post(
        "/api/v1/signals",
        headers=headers,
        json={"signalen": [{**signal(6), "wijkteam": "wonen-limburg"}]},
    )
    assert named.status_code == 200 and named.get_json()["afgewezen"] == 1
    assert named.get_json()["resultaten"][0]["fouten"][0]["veld"] == "wijkteam"
    assert _counts(db) == before
