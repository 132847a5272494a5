"""Batch intake: 1,000 rows with 30 bad ones, as CSV and as XLSX."""

from __future__ import annotations

import io
from collections import Counter

import pytest
from click.testing import CliRunner
from sqlalchemy import func, select

from app.cli import main
from app.engine.models import InstanceEvent, ProcessInstance
from app.intake.batches import import_file
from app.intake.models import Signal, SignalCase
from tests.support.engine import FIXTURES, deploy_paths
from tests.support.orgs import bind, organisation, partner

COLUMNS = [
    "referentie",
    "naam",
    "geboortedatum",
    "straat",
    "huisnummer",
    "toevoeging",
    "postcode",
    "woonplaats",
    "telefoon",
    "maanden_achterstand",
]
SECRET = "test-secret"


def good_row(n: int) -> list[str]:
    return [
        f"WL-{n:06d}",
        f"J. Jansen-{n}",
        "1980-05-01",
        "Dorpsstraat",
        str(n % 900 + 1),
        "",
        f"{6000 + n // 900} AB",
        "Weert",
        "0612345678",
        "2",
    ]


def bad_rows(start: int) -> list[tuple[list[str], str, str]]:
    """(row, field, expected reason fragment) for 30 kinds of trouble."""
    rows = []

    def variant(n: int, column: str, value: str, field: str, reason: str) -> None:
        row = good_row(n)
        row[COLUMNS.index(column)] = value
        rows.append((row, field, reason))

    n = start
    for column in ("naam", "postcode", "geboortedatum", "maanden_achterstand", "referentie"):
        variant(n, column, "", column, "ontbreekt")
        n += 1
    for value in ("12345", "AB 1234", "0123 AB", "1234 A1", "1234-AB"):
        variant(n, "postcode", value, "postcode", "postcode")
        n += 1
    for value in ("2031-01-01", "2999-12-31", "01-01-2040", "2026-12-01"):
        variant(n, "geboortedatum", value, "geboortedatum", "toekomst")
        n += 1
    for value in ("X123", "WL-12", "wl-000001", "WL_000001"):
        variant(n, "referentie", value, "referentie", "formaat")
        n += 1
    for value in (
        '=HYPERLINK("http://evil","klik")',
        "+SUM(A1:A2)",
        "@cmd",
        "-2+3+cmd|' /C calc'!A0",
    ):
        variant(n, "naam", value, "naam", "formuleteken")
        n += 1
    for _ in range(4):
        variant(n, "naam", "Jans\udcffen", "naam", "UTF-8")
        n += 1
    return rows


def build(rows: list[list[str]], kind: str) -> bytes:
    if kind == "csv":
        text = "\n".join([";".join(COLUMNS)] + [";".join(r) for r in rows]) + "\n"
        return text.encode("utf-8", errors="surrogateescape")
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.append(COLUMNS)
    for row in rows:
        # A spreadsheet holds text, not bytes: broken encoding arrives as U+FFFD.
        sheet.append([c.encode("utf-8", "surrogateescape").decode("utf-8", "replace") for c in row])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


@pytest.fixture
def weert(db, clock):
    deploy_paths(db, FIXTURES / "melding.bpmn")
    principal = partner(db, "wonen-limburg", "test_melding", pattern=r"WL-\d{6}")
    organisation(db, "weert-sdv", "gemeente", "weert")
    bind(db, "test_melding", "weert", "wijkteam", "weert-sdv")
    return principal


def dataset() -> tuple[list[list[str]], dict[int, tuple[str, str]]]:
    good = [good_row(n) for n in range(970)]
    bad = bad_rows(2000)
    duplicates = [list(good[n]) for n in (7, 100, 300, 450)]  # copies of earlier rows
    rows = (
        good[:500]
        + [r for r, _f, _r in bad[:14]]
        + duplicates
        + good[500:]
        + [r for r, _f, _r in bad[14:]]
    )
    # Expected problems by file row number (the header is row 1).
    expected: dict[int, tuple[str, str]] = {}
    reasons = {id(r): (f, why) for r, f, why in bad}
    seen: set[str] = set()
    for number, row in enumerate(rows, start=2):
        if id(row) in reasons:
            expected[number] = reasons[id(row)]
        elif row[0] in seen:
            expected[number] = ("referentie", "")
        else:
            seen.add(row[0])
    return rows, expected


@pytest.mark.parametrize("kind", ["csv", "xlsx"])
def test_thousand_rows_thirty_bad(db, weert, kind) -> None:
    rows, expected = dataset()
    assert len(rows) == 1000 and len(expected) == 30
    content = build(rows, kind)
    batch = import_file(db, weert, f"meldingen.{kind}", content, SECRET)

    assert (batch.rows_total, batch.rows_stored, batch.rows_rejected, batch.rows_duplicate) == (
        1000,
        970,
        26,
        4,
    )
    reported = {e["rij"]: (e["veld"], e["probleem"]) for e in batch.errors}
    assert set(reported) == set(expected)
    for number, (field, reason) in expected.items():
        assert reported[number][0] == field, (number, reported[number])
        assert reason.lower() in reported[number][1].lower(), (number, reported[number])
    assert all("Jans" not in e["probleem"] and "evil" not in e["probleem"] for e in batch.errors), (
        "rejected values must not be echoed"
    )
    with db.session() as session:
        assert session.scalar(select(func.count()).select_from(Signal)) == 970
        references = Counter(session.scalars(select(Signal.reference)).all())
        assert set(references.values()) == {1}
        cases = session.scalar(select(func.count()).select_from(SignalCase))
        instances = session.scalar(select(func.count()).select_from(ProcessInstance))
    assert cases == instances == 970  # every address differs in this file

    again = import_file(db, weert, f"meldingen.{kind}", content, SECRET)
    assert again.rows_stored == 0 and again.rows_duplicate == 974
    with db.session() as session:
        assert session.scalar(select(func.count()).select_from(Signal)) == 970
        assert session.scalar(select(func.count()).select_from(ProcessInstance)) == 970


def test_cli_import_with_progress_and_errors(db, weert, tmp_path) -> None:
    path = tmp_path / "meldingen.csv"
    path.write_bytes(build([good_row(1), good_row(2), bad_rows(10)[5][0]], "csv"))
    result = CliRunner().invoke(
        main, ["--database", db.url, "signals", "import", str(path), "--partner", "wonen-limburg"]
    )
    assert result.exit_code == 0, result.output
    assert "3 rijen, 2 opgeslagen" in result.output
    assert "rij 4: postcode:" in result.output


def test_unknown_columns_refuse_the_file(db, weert, tmp_path) -> None:
    path = tmp_path / "fout.csv"
    path.write_text("referentie;naam;bsn\nWL-000001;A;123\n")
    result = CliRunner().invoke(
        main, ["--database", db.url, "signals", "import", str(path), "--partner", "wonen-limburg"]
    )
    assert result.exit_code == 1 and "onbekende kolommen: bsn" in result.output
    with db.session() as session:
        assert session.scalar(select(func.count()).select_from(Signal)) == 0


def test_a_signal_stored_meanwhile_by_another_import_is_a_duplicate_not_an_error(
    db, weert, monkeypatch
) -> None:
    """The chunk's lookup misses a signal that another import stores before this one writes:
    the unique key refuses the chunk's fast write, and row by row the other rows are stored
    and that one is reported as a duplicate."""
    import app.intake.service as service

    import_file(db, weert, "eerste.csv", build([good_row(5)], "csv"), SECRET)
    real_lookup = service._lookup
    calls = []

    def blind_first_lookup(session, intake, values, period):  # type: ignore[no-untyped-def]
        known = real_lookup(session, intake, values, period)
        calls.append(len(values))
        if len(calls) == 1:  # as if WL-000005 had not been there yet
            known.references.clear()
            known.cases.clear()
        return known

    monkeypatch.setattr(service, "_lookup", blind_first_lookup)
    rows = [good_row(4), good_row(5), good_row(6)]
    batch = import_file(db, weert, "tweede.csv", build(rows, "csv"), SECRET)
    assert calls[0] == 3 and len(calls) == 4  # the fast try, then one lookup per row
    assert (batch.rows_stored, batch.rows_duplicate) == (2, 1)
    assert [(e["rij"], e["veld"]) for e in batch.errors] == [(3, "referentie")]
    with db.session() as session:
        references = sorted(session.scalars(select(Signal.reference)))
        instances = session.scalar(select(func.count()).select_from(ProcessInstance))
    assert references == ["WL-000004", "WL-000005", "WL-000006"] and instances == 3


def test_two_signals_for_one_address_in_one_file_make_one_case(db, weert) -> None:
    first, second = good_row(1), good_row(2)
    second[3:8] = first[3:8]  # same street, number, addition, postcode, town
    batch = import_file(db, weert, "meldingen.csv", build([first, second], "csv"), SECRET)
    assert batch.rows_stored == 2
    with db.session() as session:
        signals = session.scalars(select(Signal).order_by(Signal.reference)).all()
        instances = session.scalars(select(ProcessInstance.id)).all()
        added = session.scalars(
            select(InstanceEvent.details).where(InstanceEvent.kind == "signaal_toegevoegd")
        ).all()
    assert len({s.case_id for s in signals}) == 1 and len(instances) == 1
    assert [d["referentie"] for d in added] == ["WL-000002"]


@pytest.mark.slow
def test_a_terminal_sees_the_progress_of_ten_thousand_rows_and_a_summary(
    db, weert, tmp_path
) -> None:
    """`stroom signals import` in a terminal (a pseudo-terminal here): a progress bar while
    10,000 rows go in, then the summary with the counts and the time it took (issue 24)."""
    import os
    import pty
    import subprocess
    import sys

    from tests.conftest import ROOT

    if not db.is_sqlite:
        pytest.skip("what the terminal shows does not depend on the database: SQLite only")
    path = tmp_path / "meldingen.csv"
    path.write_bytes(build([good_row(n) for n in range(10_000)], "csv"))
    leader, follower = pty.openpty()
    env = dict(os.environ, STROOM_DATABASE_URL=db.url, PYTHONPATH=str(ROOT), COLUMNS="100")
    proc = subprocess.Popen(
        [sys.executable, "-m", "app", "signals", "import", str(path), "--partner", "wonen-limburg"],
        env=env,
        cwd=ROOT,
        stdin=follower,
        stdout=follower,
        stderr=follower,
    )
    os.close(follower)
    seen = b""
    while True:
        try:
            chunk = os.read(leader, 4096)
        except OSError:  # the other end closed: the command is done
            break
        if not chunk:
            break
        seen += chunk
    assert proc.wait(timeout=600) == 0, seen.decode(errors="replace")[-2000:]
    os.close(leader)
    text = seen.decode(errors="replace")
    assert "inlezen" in text and "/10001" in text, text[-1500:]
    assert text.count("\r") > 3  # the bar was redrawn as the rows went in
    summary = next(line for line in text.splitlines() if line.startswith("batch "))
    assert "10000 rijen, 10000 opgeslagen, 0 dubbel, 0 afgewezen" in summary
    assert " s" in summary.rsplit(",", 1)[1]  # ", in 23,4 s"
