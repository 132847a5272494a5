"""Text that is not valid Unicode, or is but hides what it is: refused at every door with the
field named (JSON bodies, form fields, query strings, a form's JSON, CSV/XLSX cells, the
command line); and what was stored before the doors refused it renders with U+FFFD instead
of failing the inbox, the case page, the task page or the feedback export.

What is refused (app/text_rules.py): lone surrogates; NUL and the other control characters
except tab, line feed and carriage return (C0, DEL, C1); the bidi embedding, override and
isolate controls; the noncharacters U+FFFE/U+FFFF."""

from __future__ import annotations

import io
import json
from typing import Any

import pytest
from click.testing import CliRunner
from openpyxl import load_workbook
from sqlalchemy import func, select

from app.cli import main
from app.engine.models import ProcessInstance
from app.tasks.models import TaskDraft
from tests.auth.test_login import login
from tests.cases.support import secret_of, seed, token
from tests.intake.test_api import signal
from tests.intake.test_batches import COLUMNS, build, good_row
from tests.security.input_support import reporting_partner, stored, upload_api
from tests.support.web import csrf_token, log_in

LONE = "Jan \ud83d"
HOSTILE = {
    "lone-surrogate": (LONE, "is geen geldige Unicode-tekst (een losse surrogaat, U+D83D)"),
    "escape": ("Jan \x1b[31m", "bevat een stuurteken (U+001B); alleen tab en regeleinde zijn"),
    "c1": ("Ja\x85n", "bevat een stuurteken (U+0085)"),
    "bidi-override": (
        "Jan \u202enesnaJ",
        "bevat een teken dat de schrijfrichting omkeert (U+202E); dat is niet toegestaan",
    ),
    "nul": ("Jan\x00", "bevat een NUL-teken; dat is niet toegestaan"),
}


def post_json(client, path: str, body: Any, headers: dict[str, str]):  # type: ignore[no-untyped-def]
    """As an attacker sends it: stdlib JSON, which writes a lone surrogate as "\\ud83d"."""
    return client.post(
        path, data=json.dumps(body), content_type="application/json", headers=headers
    )


@pytest.fixture
def auth(db, clock):  # type: ignore[no-untyped-def]
    return reporting_partner(db)


@pytest.mark.parametrize("kind", sorted(HOSTILE))
def test_json_text_is_refused_with_its_field(client, auth, db, kind) -> None:
    value, reason = HOSTILE[kind]
    answer = post_json(
        client, "/api/v1/signals", {"signalen": [signal(1), signal(2, naam=value)]}, auth
    )
    body = answer.get_json()
    assert answer.status_code == 422, body
    assert body["errors"] == {"signalen.1.naam": [body["errors"]["signalen.1.naam"][0]]}
    assert body["errors"]["signalen.1.naam"][0].startswith(reason)
    assert body["message"].startswith("signalen.1.naam: ")
    assert stored(db) == 0


def test_a_field_name_that_is_no_text_is_refused_without_echoing_it(client, auth, db) -> None:
    answer = post_json(client, "/api/v1/signals", {"signalen": [{"na\ud83dam": "Jan"}]}, auth)
    assert answer.status_code == 422
    assert answer.get_json()["errors"] == {
        "signalen.0.na\ufffdam": [
            "de veldnaam is geen geldige Unicode-tekst (een losse surrogaat, U+D83D)"
        ]
    }


def test_a_multipart_part_without_a_name_is_no_server_error(client, auth, db) -> None:
    """Found by schemathesis: a form part (or a file) whose Content-Disposition has no name
    arrives with the name None; the guard read None as text and answered 500."""
    body = (
        b"--grens\r\nContent-Disposition: form-data\r\n\r\nwaarde\r\n"
        b'--grens\r\nContent-Disposition: form-data; filename="x.csv"\r\n\r\nnaam\r\n'
        b"--grens--\r\n"
    )
    for path, headers in (("/api/v1/signals/batches", auth), ("/inloggen", {})):
        answer = client.post(
            path,
            data=body,
            headers={**headers, "Content-Type": "multipart/form-data; boundary=grens"},
        )
        assert 400 <= answer.status_code < 500, (path, answer.get_data(as_text=True)[:300])


@pytest.mark.parametrize(
    ("path", "field"),
    [
        ("/api/v1/processes/test_melding/instances", "data.naam"),
        ("/api/v1/messages", "data.naam"),
        ("/api/v1/tasks/1/complete", "data.naam"),
    ],
)
def test_every_json_route_refuses_it(client, auth, path, field) -> None:
    body = {"name": "m", "correlation_key": "k", "data": {"naam": LONE}}
    answer = post_json(client, path, body, auth)
    assert answer.status_code == 422 and field in answer.get_json()["errors"]


def test_a_form_field_and_a_query_string_are_refused_with_their_field(client, auth, db) -> None:
    log_in(client, "marieke")
    values = {n: v for n, v in signal(1).items()}
    values["naam"] = HOSTILE["bidi-override"][0]
    page = client.post(
        "/meldingen/nieuw", data={**values, "csrf_token": csrf_token(client, "/meldingen/nieuw")}
    )
    text = page.get_data(as_text=True)
    assert page.status_code == 422
    assert "Het veld ‘naam’ bevat een teken dat de schrijfrichting omkeert (U+202E)" in text
    assert stored(db) == 0

    query = client.get("/taken?q=Jan%1b")
    assert query.status_code == 422 and "Het veld ‘q’ bevat een stuurteken (U+001B)" in (
        query.get_data(as_text=True)
    )
    api = client.get("/api/v1/feedback?periode=2026-03&formaat=js%E2%80%AEon", headers=auth)
    assert api.status_code == 422 and "formaat" in api.get_json()["errors"]


def test_json_inside_a_form_field_is_a_door_too(app, db, clock) -> None:
    """The task form posts its answers as JSON in a form field: the field's text is plain
    ASCII ("\\ud83d"), the JSON in it is not text. Neither the answer nor a draft is kept."""
    world = seed(db, secret_of(app))
    client = app.test_client()
    login(client, "sanne")
    answer = client.post(
        f"/taken/{world.task.id}",
        data={
            "data": '{"toelichting": "Jan \\ud83d"}',
            "actie": "concept",
            "csrf_token": csrf_token(client, f"/taken/{world.task.id}"),
        },
    )
    assert answer.status_code == 422
    assert "is geen geldige Unicode-tekst" in answer.get_data(as_text=True)
    with db.session() as session:
        assert session.scalar(select(func.count()).select_from(TaskDraft)) == 0


@pytest.mark.parametrize("kind", ["csv", "xlsx"])
def test_file_cells_are_refused_per_row_with_their_field(client, auth, db, kind) -> None:
    rows = [good_row(1), good_row(2), good_row(3)]
    rows[1][COLUMNS.index("naam")] = HOSTILE["bidi-override"][0]
    rows[2][COLUMNS.index("woonplaats")] = "We\x85ert"
    answer = upload_api(client, auth, f"meldingen.{kind}", build(rows, kind))
    body = answer.get_json()
    assert answer.status_code == 201, body
    assert [(e["rij"], e["veld"]) for e in body["fouten"]] == [(3, "naam"), (4, "woonplaats")]
    assert "schrijfrichting" in body["fouten"][0]["probleem"]
    assert stored(db) == 1


def test_the_command_line_refuses_it(db, clock, tmp_path) -> None:
    runner = CliRunner()
    data = runner.invoke(
        main,
        ["--database", db.url, "start", "x", "--key", "K", "--data", '{"naam": "Jan \\ud83d"}'],
    )
    assert data.exit_code == 2
    assert "naam: is geen geldige Unicode-tekst (een losse surrogaat, U+D83D)" in data.output
    # A file name with a byte that is no UTF-8 arrives as a lone surrogate (surrogateescape).
    argument = runner.invoke(main, ["--database", db.url, "signalen", "import", "m\udcff.csv"])
    assert argument.exit_code == 2
    assert "argument 5 is geen geldige Unicode-tekst" in argument.output


def write_stored_name(db, instance_id: str, name: str) -> None:  # type: ignore[no-untyped-def]
    """What an earlier version let in: written straight into the case's data (SQLite and
    PostgreSQL's json type both take the text with its \\ud83d escape)."""
    with db.transaction() as session:
        row = session.get(ProcessInstance, instance_id)
        row.data = {**row.data, "naam": name}


def test_text_stored_before_the_doors_renders_with_a_replacement_character(app, db, clock):  # type: ignore[no-untyped-def]
    world = seed(db, secret_of(app))
    write_stored_name(db, world.case, LONE)
    write_stored_name(db, world.tasks[1].instance_id, "Piet \x1b de Vries\u202e")
    client = app.test_client()
    login(client, "sanne")
    for path in ("/taken", f"/zaken/{world.case}", f"/taken/{world.task.id}"):
        answer = client.get(path)
        assert answer.status_code == 200, path
        assert "Jan \ufffd" in answer.get_data(as_text=True), path
    # Searching reads the name in SQL; on PostgreSQL that row's name reads as nothing.
    search = client.get("/taken?q=vries")
    assert search.status_code == 200 and "Piet" in search.get_data(as_text=True)
    assert client.get("/taken?q=jan").status_code == 200

    auth = {"Authorization": f"Bearer {token(db, 'wonen-limburg', ['feedback:read'])}"}
    feedback = client.get("/api/v1/feedback?periode=2026-03", headers=auth)
    assert feedback.status_code == 200
    assert ["Jan \ufffd", "Piet \x1b de Vries\u202e"] == [
        r[feedback.get_json()["kolommen"].index("naam")] for r in feedback.get_json()["rijen"][:2]
    ]
    csv = client.get("/api/v1/feedback?periode=2026-03&formaat=csv", headers=auth)
    assert csv.status_code == 200 and "Jan \ufffd;" in csv.get_data(as_text=True)
    xlsx = client.get("/api/v1/feedback?periode=2026-03&formaat=xlsx", headers=auth)
    assert xlsx.status_code == 200
    sheet = load_workbook(io.BytesIO(xlsx.data), read_only=True).worksheets[0]
    names = {c for row in sheet.iter_rows(values_only=True) for c in row}
    assert {"Jan \ufffd", "Piet \ufffd de Vries\ufffd"} <= names
