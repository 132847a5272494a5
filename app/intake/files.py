"""Reading signal batches from CSV and XLSX files into numbered rows.

Column names are matched to the catalogue's signal fields case-insensitively (spaces and
dashes count as underscores). Problems with the file as a whole (not a text file, no header,
unknown or missing columns, a limit below exceeded) refuse the file; problems in a row
(invalid UTF-8, a wrong number of cells, ...) reject that row only.

Limits, checked before the work they protect:
- MAX_ROWS data rows (the header is row 1): the service reads a file whole in one request.
- MAX_COLUMNS columns: a signal has at most 13 fields in the catalogues; a wider header is
  no signal file.
- MAX_CELL characters per cell: five times the longest text field in any catalogue (2,000);
  a longer cell is never a valid value. A file with one refuses with its row and column.
- XLSX is a zip: its members may declare at most MAX_XLSX_UNPACKED bytes unpacked in all
  (a sheet of 100,000 rows of the ten columns of a signal unpacks to 55 MB) and unpack at
  most MAX_XLSX_RATIO times the file's size (spreadsheets pack 5-20x; a zip bomb 1,000x).
  Python's zipfile never unpacks more than a member declares (it stops and fails the CRC),
  so the declared sizes bound the work. Then the sheet's declared dimension is checked
  against the row and column limits before any row is read, and reading stops at the first
  row beyond MAX_ROWS.
"""

from __future__ import annotations

import codecs
import csv
import io
import re
import zipfile
from dataclasses import dataclass, field
from typing import Any

from app.catalogue import Catalogue
from app.intake.models import SignalBatch
from app.text_rules import dutch_number, problem

MAX_ROWS = 100_000
MAX_COLUMNS = 100
MAX_CELL = 10_000
MAX_XLSX_UNPACKED = 100 * 1024 * 1024
MAX_XLSX_RATIO = 100
MAX_XLSX_MEMBERS = 1_000
NOT_TEXT = (
    "geen CSV/tekstbestand: de inhoud is binair (bijvoorbeeld een afbeelding, of UTF-16 "
    "zonder BOM); sla het bestand op als CSV (UTF-8) of XLSX"
)

# The csv module's own limit (128 KiB per field) would end the reading with an exception
# that names neither row nor column; MAX_CELL below does, for any cell the file can hold.
csv.field_size_limit(2**31 - 1)


class FileProblem(ValueError):
    pass


@dataclass
class ParsedFile:
    rows: list[tuple[int, dict[str, Any]]] = field(default_factory=list)
    # Rows that could not even be read: (row number, field, problem).
    broken: list[tuple[int, str, str]] = field(default_factory=list)


def _column(name: Any) -> str:
    return re.sub(r"[\s\-]+", "_", str(name or "").strip().lower())


def _columns(header: list[Any], catalogue: Catalogue) -> list[str]:
    if len(header) > MAX_COLUMNS:
        raise FileProblem(f"de kopregel heeft {len(header)} kolommen; maximaal {MAX_COLUMNS}")
    for number, cell in enumerate(header, start=1):
        text = str(cell or "")
        reason = problem(text)
        if _has_invalid_utf8(text) or "\ufffd" in text:
            reason = "bevat ongeldige tekens (geen UTF-8)"
        if reason:
            raise FileProblem(f"kolom {number} van de kopregel {reason}")
    names = [_column(h) for h in header]
    allowed = catalogue.signal.get("velden", [])
    unknown = [n for n in names if n and n not in allowed]
    missing = [n for n in catalogue.signal.get("verplicht", []) if n not in names]
    problems = []
    if unknown:
        listed = ", ".join(n if len(n) <= 40 else n[:40] + "…" for n in unknown[:10])
        more = f" en {len(unknown) - 10} andere" if len(unknown) > 10 else ""
        problems.append(f"onbekende kolommen: {listed}{more} (toegestaan: {', '.join(allowed)})")
    if missing:
        problems.append(f"verplichte kolommen ontbreken: {', '.join(missing)}")
    if len(set(n for n in names if n)) != len([n for n in names if n]):
        problems.append("een kolom komt twee keer voor")
    if problems:
        raise FileProblem("; ".join(problems))
    return names


def _check_cells(number: int, names: list[str], cells: list[Any]) -> None:
    for index, cell in enumerate(cells):
        if isinstance(cell, str) and len(cell) > MAX_CELL:
            column = names[index] if index < len(names) and names[index] else str(index + 1)
            raise FileProblem(
                f"rij {number}, kolom {column}: de cel heeft {dutch_number(len(cell))} tekens; "
                f"maximaal {dutch_number(MAX_CELL)}"
            )


def _too_many_rows() -> FileProblem:
    return FileProblem(f"meer dan {dutch_number(MAX_ROWS)} rijen; splits het bestand")


def read(filename: str, content: bytes, catalogue: Catalogue) -> ParsedFile:
    limit = SignalBatch.__table__.c.filename.type.length  # the batch keeps the name
    if len(filename) > limit:
        raise FileProblem(f"de bestandsnaam heeft {len(filename)} tekens; maximaal {limit}")
    lower = filename.lower()
    if lower.endswith(".xlsx"):
        return read_xlsx(content, catalogue)
    if lower.endswith((".csv", ".txt")):
        return read_csv(content, catalogue)
    raise FileProblem("alleen .csv en .xlsx worden ingelezen")


def _decode(content: bytes) -> str:
    # Excel's "Unicode text" is UTF-16 with a BOM (and tabs): read it. Without a BOM UTF-16
    # cannot be told from binary; NUL never occurs in a text file.
    if content.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:
            return content.decode("utf-16")
        except UnicodeDecodeError as exc:
            raise FileProblem("geen leesbaar UTF-16-bestand") from exc
    if b"\x00" in content:
        raise FileProblem(NOT_TEXT)
    # surrogateescape keeps invalid bytes visible per cell instead of failing the file.
    text = content.decode("utf-8", errors="surrogateescape")
    return text[1:] if text.startswith("\ufeff") else text


def read_csv(content: bytes, catalogue: Catalogue) -> ParsedFile:
    text = _decode(content)
    first = text.split("\n", 1)[0]
    delimiter = max((";", ",", "\t"), key=first.count)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    number = 0  # the last row read
    try:
        try:
            header = next(reader)
        except StopIteration as exc:
            raise FileProblem("het bestand is leeg") from exc
        number = 1
        _check_cells(1, [], header)
        names = _columns(header, catalogue)
        parsed = ParsedFile()
        for number, cells in enumerate(reader, start=2):
            if number > MAX_ROWS + 1:
                raise _too_many_rows()
            _check_cells(number, names, cells)
            if not any(c.strip() for c in cells):
                continue
            if len(cells) != len(names):
                parsed.broken.append((number, "-", f"{len(cells)} kolommen, verwacht {len(names)}"))
                continue
            bad = [n for n, c in zip(names, cells, strict=True) if _has_invalid_utf8(c)]
            if bad:
                parsed.broken.extend(
                    (number, n, "bevat ongeldige tekens (geen UTF-8)") for n in bad
                )
                continue
            parsed.rows.append((number, {n: c for n, c in zip(names, cells, strict=True) if n}))
    except csv.Error as exc:
        raise FileProblem(f"rij {number + 1} is geen geldige CSV") from exc
    return parsed


def _has_invalid_utf8(cell: str) -> bool:
    return any("\udc80" <= ch <= "\udcff" for ch in cell)


def _megabytes(size: int) -> str:
    return f"{size / 1024 / 1024:.0f} MB"


def _check_zip(content: bytes) -> None:
    """Refuse an XLSX whose unpacked size or packing ratio is beyond the limits, before
    openpyxl unpacks anything."""
    try:
        members = zipfile.ZipFile(io.BytesIO(content)).infolist()
    except (zipfile.BadZipFile, ValueError, EOFError) as exc:
        raise FileProblem("geen leesbaar xlsx-bestand (geen geldig zip-archief)") from exc
    if len(members) > MAX_XLSX_MEMBERS:
        raise FileProblem(
            f"het xlsx-bestand bevat {len(members)} onderdelen; maximaal {MAX_XLSX_MEMBERS}"
        )
    unpacked = sum(m.file_size for m in members)
    if unpacked > MAX_XLSX_UNPACKED:
        raise FileProblem(
            f"het xlsx-bestand is uitgepakt {_megabytes(unpacked)}; maximaal "
            f"{_megabytes(MAX_XLSX_UNPACKED)}: splits het bestand"
        )
    ratio = unpacked / max(len(content), 1)
    if ratio > MAX_XLSX_RATIO:
        raise FileProblem(
            f"het xlsx-bestand is uitgepakt {ratio:.0f} keer zo groot als ingepakt; maximaal "
            f"{MAX_XLSX_RATIO} keer (dit lijkt een zip-bom)"
        )


def read_xlsx(content: bytes, catalogue: Catalogue) -> ParsedFile:
    from openpyxl import load_workbook

    _check_zip(content)
    number = 0  # the last row read
    try:
        # data_only=False: a formula stays visible as "=...", so it is refused, not run.
        book = load_workbook(io.BytesIO(content), read_only=True, data_only=False)
        sheet = book.worksheets[0]
        # The declared dimension (openpyxl reads it without reading rows).
        if (sheet.max_row or 0) > MAX_ROWS + 1:
            raise FileProblem(
                f"het werkblad heeft volgens het bestand {dutch_number(sheet.max_row - 1)} "
                f"rijen; maximaal {dutch_number(MAX_ROWS)} (verwijder lege, opgemaakte rijen "
                "of splits het bestand)"
            )
        if (sheet.max_column or 0) > MAX_COLUMNS:
            raise FileProblem(
                f"het werkblad heeft volgens het bestand {sheet.max_column} kolommen; maximaal "
                f"{MAX_COLUMNS} (verwijder lege, opgemaakte kolommen)"
            )
        # Read the cells there are: openpyxl would cut every row at a declared width that may
        # be smaller (dropping values silently) and pad to one that may be larger.
        sheet.reset_dimensions()
        rows = sheet.iter_rows(values_only=True, max_row=MAX_ROWS + 2)
        try:
            header = list(next(rows))
        except StopIteration as exc:
            raise FileProblem("het werkblad is leeg") from exc
        while header and header[-1] in (None, ""):
            header.pop()
        number = 1
        _check_cells(1, [], header)
        names = _columns(header, catalogue)
        parsed = ParsedFile()
        for number, row in enumerate(rows, start=2):
            if number > MAX_ROWS + 1:
                raise _too_many_rows()
            cells = list(row)
            _check_cells(number, names, cells)
            if any(c not in (None, "") for c in cells[len(names) :]):
                parsed.broken.append((number, "-", "heeft waarden rechts van de laatste kolom"))
                continue
            cells = cells[: len(names)]
            if not any(c not in (None, "") for c in cells):
                continue
            cells += [None] * (len(names) - len(cells))
            parsed.rows.append((number, {n: c for n, c in zip(names, cells, strict=True) if n}))
        book.close()
    except FileProblem:
        raise
    except Exception as exc:  # noqa: BLE001 - any unreadable file gets one clear message
        where = f" (rij {number + 1})" if number else ""
        raise FileProblem(f"geen leesbaar xlsx-bestand{where}: {type(exc).__name__}") from exc
    return parsed
