"""Reading signal batches from CSV and XLSX files into numbered rows.

Column names are matched to the catalogue's signal fields case-insensitively (spaces and
dashes count as underscores). Problems with the file as a whole (no header, unknown or missing
columns) refuse the file; problems in a row (invalid UTF-8, ...) reject that row only.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field
from typing import Any

from app.privacy.catalogue import Catalogue

MAX_ROWS = 100_000


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
    names = [_column(h) for h in header]
    allowed = catalogue.signal.get("velden", [])
    unknown = [n for n in names if n and n not in allowed]
    missing = [n for n in catalogue.signal.get("verplicht", []) if n not in names]
    problems = []
    if unknown:
        problems.append(
            f"onbekende kolommen: {', '.join(unknown)} (toegestaan: {', '.join(allowed)})"
        )
    if missing:
        problems.append(f"verplichte kolommen ontbreken: {', '.join(missing)}")
    if len(set(n for n in names if n)) != len([n for n in names if n]):
        problems.append("een kolom komt twee keer voor")
    if problems:
        raise FileProblem("; ".join(problems))
    return names


def read(filename: str, content: bytes, catalogue: Catalogue) -> ParsedFile:
    lower = filename.lower()
    if lower.endswith(".xlsx"):
        return read_xlsx(content, catalogue)
    if lower.endswith((".csv", ".txt")):
        return read_csv(content, catalogue)
    raise FileProblem("alleen .csv en .xlsx worden ingelezen")


def read_csv(content: bytes, catalogue: Catalogue) -> ParsedFile:
    # surrogateescape keeps invalid bytes visible per cell instead of failing the file.
    text = content.decode("utf-8", errors="surrogateescape")
    if text.startswith("\ufeff"):
        text = text[1:]
    first = text.split("\n", 1)[0]
    delimiter = max((";", ",", "\t"), key=first.count)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        header = next(reader)
    except StopIteration as exc:
        raise FileProblem("het bestand is leeg") from exc
    names = _columns(header, catalogue)
    parsed = ParsedFile()
    for number, cells in enumerate(reader, start=2):
        if number > MAX_ROWS + 1:
            raise FileProblem(f"meer dan {MAX_ROWS} rijen; splits het bestand")
        if not any(c.strip() for c in cells):
            continue
        if len(cells) != len(names):
            parsed.broken.append((number, "-", f"{len(cells)} kolommen, verwacht {len(names)}"))
            continue
        bad = [n for n, c in zip(names, cells, strict=True) if _has_invalid_utf8(c)]
        if bad:
            parsed.broken.extend((number, n, "bevat ongeldige tekens (geen UTF-8)") for n in bad)
            continue
        parsed.rows.append((number, {n: c for n, c in zip(names, cells, strict=True) if n}))
    return parsed


def _has_invalid_utf8(cell: str) -> bool:
    return any("\udc80" <= ch <= "\udcff" for ch in cell)


def read_xlsx(content: bytes, catalogue: Catalogue) -> ParsedFile:
    from openpyxl import load_workbook

    try:
        # data_only=False: a formula stays visible as "=...", so it is refused, not run.
        book = load_workbook(io.BytesIO(content), read_only=True, data_only=False)
    except Exception as exc:  # noqa: BLE001 - any unreadable file gets one clear message
        raise FileProblem(f"geen leesbaar xlsx-bestand: {type(exc).__name__}") from exc
    sheet = book.worksheets[0]
    rows = sheet.iter_rows(values_only=True)
    try:
        header = list(next(rows))
    except StopIteration as exc:
        raise FileProblem("het werkblad is leeg") from exc
    while header and header[-1] in (None, ""):
        header.pop()
    names = _columns(header, catalogue)
    parsed = ParsedFile()
    for number, cells in enumerate(rows, start=2):
        if number > MAX_ROWS + 1:
            raise FileProblem(f"meer dan {MAX_ROWS} rijen; splits het bestand")
        cells = list(cells)[: len(names)]
        if not any(c not in (None, "") for c in cells):
            continue
        cells += [None] * (len(names) - len(cells))
        parsed.rows.append((number, {n: c for n, c in zip(names, cells, strict=True) if n}))
    book.close()
    return parsed
