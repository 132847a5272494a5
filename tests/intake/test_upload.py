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


def test_the_upload_result_adds_up_to_the_rows_and_links_the_cases(db, client, corporation):  # type: ignore[no-untyped-def]
    """Issue 21: every row of the file counts once (a row received before is not also
    'rejected'), and the cases made are named and linked."""
    import re

    from app.engine.models import ProcessInstance

    user(db, "marieke", "wonen-limburg")
    log_in(client, "marieke")
    token = csrf_token(client, "/meldingen/bestand")
    rows = [*rows_with_one_bad(), good_row(1)]  # rows 2-5: good, good, bad postcode, row 2 again

    def upload() -> str:
        response = client.post(
            "/meldingen/bestand",
            data={"csrf_token": token, "bestand": (io.BytesIO(build(rows, "csv")), "m.csv")},
            content_type="multipart/form-data",
        )
        assert response.status_code == 200
        return response.get_data(as_text=True)

    def counts(page: str) -> dict[str, int]:
        found = re.findall(
            r'item-key">([^<]+)</dt>\s*<dd class="[^"]+">(\d+)</dd>', page.split("Resultaat")[1]
        )
        return {label: int(n) for label, n in found}

    def table(page: str, caption: str) -> list[list[str]]:
        body = page.split(f'<caption class="utrecht-table__caption">{caption}</caption>')[1]
        body = body.split("</table>")[0].split("<tbody")[1]
        return [
            [
                re.sub(r"<[^>]+>", "", cell).strip()
                for cell in re.findall(r"<td[^>]*>(.*?)</td>", tr, re.S)
            ]
            for tr in re.findall(r"<tr[^>]*>(.*?)</tr>", body, re.S)
        ]

    first = upload()
    numbers = counts(first)
    assert numbers == {
        "Rijen in het bestand": 4,
        "Bewaard": 2,
        "Al ontvangen (niet opnieuw bewaard)": 1,
        "Afgewezen": 1,
        "Bezwaar (niet bewaard)": 0,
    }
    assert sum(numbers.values()) - numbers["Rijen in het bestand"] == len(rows)
    with db.session() as session:
        keys = dict(session.execute(select(ProcessInstance.id, ProcessInstance.business_key)).all())
    assert [row[:2] for row in table(first, "Bewaarde meldingen")] == [
        ["2", "Nieuwe zaak"],
        ["3", "Nieuwe zaak"],
    ]
    assert sorted(row[2] for row in table(first, "Bewaarde meldingen")) == sorted(keys.values())
    for instance_id in keys:
        assert f'href="/zaken/{instance_id}"' in first
    not_stored = table(first, "Niet bewaarde rijen")
    assert [row[:2] for row in not_stored] == [
        ["4", "Afgewezen"],
        ["5", "Al ontvangen, niet opnieuw bewaard"],
    ]
    assert "postcode" in not_stored[0][2] and "rij 2" in not_stored[1][2]

    # The same file again: nothing new, each row once.
    again = counts(upload())
    assert again["Rijen in het bestand"] == 4 and again["Al ontvangen (niet opnieuw bewaard)"] == 3
    assert sum(again.values()) - again["Rijen in het bestand"] == len(rows)


def test_the_menu_offers_the_upload_to_those_who_may_report(db, client, corporation) -> None:
    user(db, "marieke", "wonen-limburg")
    user(db, "bob", "weert-sdv")
    log_in(client, "marieke")
    assert 'href="/meldingen/bestand"' in client.get("/taken").get_data(as_text=True)
    client.post("/uitloggen", data={"csrf_token": csrf_token(client, "/taken")})
    log_in(client, "bob")
    assert 'href="/meldingen/bestand"' not in client.get("/taken").get_data(as_text=True)
