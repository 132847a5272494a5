"""Reading a file of signals: through the upload page and through POST /api/v1/signals/batches.
Valid rows are stored, every rejected row is named with its row number and field."""

from __future__ import annotations

import io

import pytest
from sqlalchemy import func, select

from app.auth.tokens import create_token
from app.intake.models import Signal
from tests.intake.test_batches import build, good_row
from tests.support.engine import FIXTURES, deploy_paths
from tests.support.orgs import bind, organisation, partner, user
from tests.support.web import csrf_token, log_in


@pytest.fixture
def corporation(db, clock):
    deploy_paths(db, FIXTURES / "melding.bpmn")
    principal = partner(db, "wonen-limburg", "test_melding", pattern=r"WL-\d{6}")
    organisation(db, "weert-sdv", "gemeente", "weert")
    bind(db, "test_melding", "weert", "wijkteam", "weert-sdv")
    return principal


def rows_with_one_bad() -> list[list[str]]:
    bad = good_row(3)
    bad[6] = "12345"  # postcode
    return [good_row(1), good_row(2), bad]


def stored(db) -> int:
    with db.session() as session:
        return session.scalar(select(func.count()).select_from(Signal))


@pytest.mark.parametrize("kind", ["csv", "xlsx"])
def test_upload_page(db, client, corporation, kind) -> None:
    user(db, "marieke", "wonen-limburg")
    log_in(client, "marieke")
    token = csrf_token(client, "/meldingen/bestand")
    response = client.post(
        "/meldingen/bestand",
        data={
            "csrf_token": token,
            "bestand": (io.BytesIO(build(rows_with_one_bad(), kind)), f"meldingen.{kind}"),
        },
        content_type="multipart/form-data",
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 200, page[:2000]
    assert stored(db) == 2
    # Row 4 of the file (the header is row 1) is named with its field and problem.
    assert "<td" in page and ">4<" in page and "postcode" in page

    again = client.post(
        "/meldingen/bestand",
        data={
            "csrf_token": token,
            "bestand": (io.BytesIO(build(rows_with_one_bad(), kind)), f"meldingen.{kind}"),
        },
        content_type="multipart/form-data",
    )
    assert again.status_code == 200 and stored(db) == 2  # the same file adds nothing


def test_upload_page_without_a_file_or_with_nonsense(db, client, corporation) -> None:
    user(db, "marieke", "wonen-limburg")
    log_in(client, "marieke")
    token = csrf_token(client, "/meldingen/bestand")
    empty = client.post("/meldingen/bestand", data={"csrf_token": token})
    assert empty.status_code == 422 and "Kies een CSV" in empty.get_data(as_text=True)
    nonsense = client.post(
        "/meldingen/bestand",
        data={"csrf_token": token, "bestand": (io.BytesIO(b"\x00\x01\x02"), "plaatje.png")},
        content_type="multipart/form-data",
    )
    assert nonsense.status_code == 422 and stored(db) == 0


def test_batch_api(db, client, corporation) -> None:
    with db.transaction() as session:
        _row, secret = create_token(
            session, "wl-systeem", ["signals:write"], organisation_id=corporation.organisation_id
        )
    auth = {"Authorization": f"Bearer {secret}"}
    response = client.post(
        "/api/v1/signals/batches",
        data={"bestand": (io.BytesIO(build(rows_with_one_bad(), "csv")), "meldingen.csv")},
        content_type="multipart/form-data",
        headers=auth,
    )
    body = response.get_json()
    assert response.status_code == 201, body
    assert (body["rijen"], body["opgeslagen"], body["afgewezen"]) == (3, 2, 1)
    assert body["fouten"][0]["rij"] == 4 and body["fouten"][0]["veld"] == "postcode"

    broken = client.post(
        "/api/v1/signals/batches",
        data={"bestand": (io.BytesIO(b"alleen;een;kop\n"), "leeg.csv")},
        content_type="multipart/form-data",
        headers=auth,
    )
    assert broken.status_code == 422 and "bestand" in broken.get_json()["errors"]
    missing = client.post(
        "/api/v1/signals/batches", data={}, content_type="multipart/form-data", headers=auth
    )
    assert missing.status_code == 422
    assert stored(db) == 2
