"""One rule per value at every door (issue 19): negative, absurd and malformed values are
refused by the API, a CSV or XLSX file and the command line with the same field and the same
Dutch problem (the form and the message door: tests/processes/test_haarlem_preventie.py)."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from app.auth.tokens import create_token
from app.cli import main
from app.intake.batches import import_file
from tests.intake.test_batches import COLUMNS, SECRET, build, good_row
from tests.intake.test_batches import weert as weert  # noqa: F401 - the fixture

CASES = [
    ("-3", "mag niet negatief zijn"),
    ("99999", "is te groot (hoogstens 10.000)"),  # the type's range: a count below 10,000
    ("twee", "is geen getal"),
    ("1e999", "is te groot"),  # no number of a thousand digits is built
]


def _row(n: int, months: str) -> list[str]:
    row = good_row(n)
    row[COLUMNS.index("maanden_achterstand")] = months
    return row


@pytest.mark.parametrize(("value", "problem"), CASES)
def test_the_api_refuses(client, db, weert, value: str, problem: str) -> None:  # noqa: F811
    with db.transaction() as session:
        _row_, secret = create_token(
            session, "wl", ["signals:write"], organisation_id=weert.organisation_id
        )
    signal = dict(zip(COLUMNS, _row(1, value), strict=True))
    signal = {k: v for k, v in signal.items() if v}
    answer = client.post(
        "/api/v1/signals",
        json={"signalen": [signal]},
        headers={"Authorization": f"Bearer {secret}"},
    ).get_json()
    assert answer["resultaten"][0]["status"] == "afgewezen"
    assert answer["resultaten"][0]["fouten"] == [
        {"veld": "maanden_achterstand", "probleem": problem}
    ]


@pytest.mark.parametrize("kind", ["csv", "xlsx"])
def test_a_file_refuses_each_row(db, weert, kind: str) -> None:  # noqa: F811
    rows = [_row(n, value) for n, (value, _p) in enumerate(CASES, start=1)] + [good_row(9)]
    batch = import_file(db, weert, f"meldingen.{kind}", build(rows, kind), SECRET)
    assert batch.rows_stored == 1 and batch.rows_rejected == len(CASES)
    assert batch.errors == [
        {"rij": n + 1, "veld": "maanden_achterstand", "probleem": problem}
        for n, (_value, problem) in enumerate(CASES, start=1)
    ]


def test_the_command_line_refuses(db, weert, tmp_path) -> None:  # noqa: F811
    path = tmp_path / "meldingen.csv"
    rows = [_row(n, value) for n, (value, _p) in enumerate(CASES, start=1)]
    path.write_bytes(build(rows, "csv"))
    result = CliRunner().invoke(
        main, ["--database", db.url, "signals", "import", str(path), "--partner", "wonen-limburg"]
    )
    assert result.exit_code == 0, result.output
    for n, (_value, problem) in enumerate(CASES, start=2):
        assert f"rij {n}: maanden_achterstand: {problem}" in result.output


@pytest.mark.parametrize(
    ("value", "problem"),
    [
        ("1880-01-01", "ligt meer dan 130 jaar terug"),
        ("2027-01-01", "ligt in de toekomst"),
        ("31-02-1980", "is geen datum (verwacht JJJJ-MM-DD of DD-MM-JJJJ)"),
    ],
)
def test_impossible_dates_are_refused(db, weert, value: str, problem: str) -> None:  # noqa: F811
    row = good_row(1)
    row[COLUMNS.index("geboortedatum")] = value
    batch = import_file(db, weert, "meldingen.csv", build([row], "csv"), SECRET)
    assert batch.errors == [{"rij": 2, "veld": "geboortedatum", "probleem": problem}]
