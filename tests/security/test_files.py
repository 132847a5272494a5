"""Hostile signal files: an XLSX zip bomb, sheets that declare more rows or columns than the
limits, cells no parser should meet, a CSV cell of 200 KB, and files that are no text at all.
Each is refused as a whole with a 422 that says which limit and what the file has; nothing is
stored (the file is read whole before anything is)."""

from __future__ import annotations

import functools
import io
import zipfile
from collections.abc import Iterable
from xml.sax.saxutils import escape

import pytest

from app.intake import files
from tests.intake.test_batches import COLUMNS, build, good_row
from tests.security.input_support import reporting_partner, stored, upload_api, upload_page

SHEET = "xl/worksheets/sheet1.xml"
LETTERS = "ABCDEFGHIJ"


@pytest.fixture
def auth(db, clock):  # type: ignore[no-untyped-def]
    return reporting_partner(db)


def row(number: int, cells: list[str]) -> bytes:
    xml = "".join(
        f'<c r="{column}{number}" t="inlineStr"><is><t>{escape(value)}</t></is></c>'
        for column, value in zip(LETTERS, cells, strict=False)
    )
    return f'<row r="{number}">{xml}</row>'.encode()


def xlsx(rows: Iterable[bytes], dimension: str | None = None) -> bytes:
    """A workbook made by openpyxl whose sheet is written here, streamed into the zip so that
    a bomb never sits in memory unpacked: the header row, then `rows`."""
    base = zipfile.ZipFile(io.BytesIO(build([], "xlsx")))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for item in base.infolist():
            if item.filename != SHEET:
                archive.writestr(item, base.read(item))
        with archive.open(SHEET, "w", force_zip64=True) as sheet:
            sheet.write(
                b'<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns='
                b'"http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
            )
            if dimension:
                sheet.write(f'<dimension ref="{dimension}"/>'.encode())
            sheet.write(b"<sheetData>" + row(1, COLUMNS))
            for chunk in rows:
                sheet.write(chunk)
            sheet.write(b"</sheetData></worksheet>")
    return out.getvalue()


def one_huge_cell(megabytes: int) -> Iterable[bytes]:
    """A good row, then a row whose name is `megabytes` MB of one letter (packs ~1000x)."""
    yield row(2, good_row(1))
    yield b'<row r="3"><c r="B3" t="inlineStr"><is><t>'
    block = b"A" * (1024 * 1024)
    for _ in range(megabytes):
        yield block
    yield b"</t></is></c></row>"


@functools.cache
def bomb() -> bytes:
    """The attack as reported: 0.3 MB that unpacks to 300 MB."""
    return xlsx(one_huge_cell(300))


def refusal(answer) -> str:  # type: ignore[no-untyped-def]
    body = answer.get_json()
    assert answer.status_code == 422, (answer.status_code, body)
    return body["errors"]["bestand"][0]


def test_an_xlsx_zip_bomb_is_refused_before_it_is_unpacked(client, auth, db) -> None:
    content = bomb()
    assert len(content) < 400_000
    message = refusal(upload_api(client, auth, "meldingen.xlsx", content))
    assert message == (
        "het xlsx-bestand is uitgepakt 300 MB; maximaal 100 MB: splits het bestand"
    ), message
    assert stored(db) == 0


def test_an_xlsx_that_unpacks_far_beyond_its_size_is_refused(client, auth, db) -> None:
    content = xlsx(one_huge_cell(20))  # under the size limit, but packed a thousandfold
    message = refusal(upload_api(client, auth, "meldingen.xlsx", content))
    assert "keer zo groot als ingepakt; maximaal 100 keer (dit lijkt een zip-bom)" in message
    assert stored(db) == 0


@pytest.mark.parametrize(
    ("dimension", "expected"),
    [
        ("A1:J1048576", "het werkblad heeft volgens het bestand 1.048.575 rijen; maximaal 100.000"),
        ("A1:ZZ3", "het werkblad heeft volgens het bestand 702 kolommen; maximaal 100"),
    ],
)
def test_a_sheet_declaring_more_rows_or_columns_than_the_limits_is_refused_unread(
    client, auth, db, dimension, expected
) -> None:
    content = xlsx([row(2, good_row(1)), row(3, good_row(2))], dimension=dimension)
    assert expected in refusal(upload_api(client, auth, "meldingen.xlsx", content))
    assert stored(db) == 0


def test_a_sheet_with_more_rows_than_the_limit_stops_being_read_there(
    client, auth, db, monkeypatch
) -> None:
    # 20 rows against a limit of 10 (the real limit, 100,000 rows, takes a minute to read):
    # no dimension declared, so only reading can tell.
    monkeypatch.setattr(files, "MAX_ROWS", 10)
    content = xlsx(row(n, good_row(n)) for n in range(2, 22))
    assert refusal(upload_api(client, auth, "m.xlsx", content)) == (
        "meer dan 10 rijen; splits het bestand"
    )
    assert stored(db) == 0


def test_xlsx_numbers_that_are_no_numbers(client, auth, db) -> None:
    """A number cell the XML spells "inf" stops openpyxl; "1E999" reads as infinity."""
    cells = good_row(1)
    number = '<c r="J{n}"><v>{v}</v></c>'
    broken = row(2, cells[:9]).replace(b"</row>", number.format(n=2, v="inf").encode() + b"</row>")
    refused = refusal(upload_api(client, auth, "m.xlsx", xlsx([broken])))
    assert refused == "geen leesbaar xlsx-bestand (rij 2): ValueError"

    infinite = row(2, cells[:9]).replace(
        b"</row>", number.format(n=2, v="1E999").encode() + b"</row>"
    )
    answer = upload_api(client, auth, "m.xlsx", xlsx([infinite, row(3, good_row(3))]))
    body = answer.get_json()
    assert answer.status_code == 201, body
    problem = {"rij": 2, "veld": "maanden_achterstand", "probleem": "is geen getal"}
    assert body["fouten"] == [problem]
    assert stored(db) == 1


def csv_file(rows: list[list[str]], header: list[str] = COLUMNS) -> bytes:
    return "\n".join(";".join(r) for r in [header, *rows]).encode()


def test_a_csv_cell_of_200_kb_names_its_row_and_column(client, auth, db) -> None:
    huge = good_row(2)
    huge[COLUMNS.index("naam")] = "A" * 200_000
    message = refusal(upload_api(client, auth, "m.csv", csv_file([good_row(1), huge])))
    assert message == "rij 3, kolom naam: de cel heeft 200.000 tekens; maximaal 10.000"
    assert stored(db) == 0


def test_a_csv_wider_than_the_column_limit_is_refused(client, auth, db) -> None:
    wide = COLUMNS + [""] * 91  # 101 columns, the empty names beyond the fields
    message = refusal(upload_api(client, auth, "m.csv", csv_file([good_row(1)], wide)))
    assert message == "de kopregel heeft 101 kolommen; maximaal 100"
    assert stored(db) == 0


PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00"


@pytest.mark.parametrize(
    "content",
    [PNG, "referentie\tnaam\n".encode("utf-16-le")],
    ids=["png", "utf16-without-bom"],
)
def test_a_binary_file_named_csv_is_no_text_file(client, db, auth, content) -> None:
    page = upload_page(client, "meldingen.csv", content)
    assert page.status_code == 422
    assert "geen CSV/tekstbestand" in page.get_data(as_text=True)
    assert files.NOT_TEXT in refusal(upload_api(client, auth, "meldingen.csv", content))
    assert stored(db) == 0


def test_bytes_that_are_no_utf8_in_the_header_are_named_not_echoed(client, db, auth) -> None:
    page = upload_page(client, "meldingen.csv", bytes(range(0x80, 0x100)) + b"\n1;2\n")
    text = page.get_data(as_text=True)
    assert page.status_code == 422, text[:500]
    assert "kolom 1 van de kopregel bevat ongeldige tekens (geen UTF-8)" in text
    assert stored(db) == 0


def test_excel_unicode_text_utf16_with_bom_is_read(client, db, auth) -> None:
    """Excel's "Unicode-tekst (*.txt)": UTF-16 with a BOM, tab-separated."""
    lines = ["\t".join(COLUMNS)] + ["\t".join(good_row(n)) for n in (1, 2)]
    lines[1] = lines[1].replace("J. Jansen-1", "J. Jänsen-1")
    content = "\r\n".join(lines).encode("utf-16")
    assert content.startswith(b"\xff\xfe")
    page = upload_page(client, "meldingen.txt", content)
    assert page.status_code == 200, page.get_data(as_text=True)[:1000]
    assert stored(db) == 2


def test_a_file_name_longer_than_the_batch_keeps_is_refused(client, auth, db) -> None:
    content = csv_file([good_row(1)])
    message = refusal(upload_api(client, auth, "m" * 400 + ".csv", content))
    assert message == "de bestandsnaam heeft 404 tekens; maximaal 300"
    assert stored(db) == 0
