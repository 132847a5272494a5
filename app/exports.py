"""CSV and XLSX downloads, with cells escaped against spreadsheet formula injection."""

from __future__ import annotations

import csv
import io
from typing import Any

from app.text_rules import shown

DANGEROUS = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: Any) -> Any:
    """A text that a spreadsheet would run as a formula is prefixed with a quote (OWASP).
    Characters the doors refuse (app/text_rules.py) but older data may hold become U+FFFD:
    UTF-8 cannot encode a lone surrogate, XLSX cannot hold control characters."""
    if isinstance(value, bool):
        return "ja" if value else "nee"
    if isinstance(value, str):
        value = shown(value)
        return "'" + value if value.startswith(DANGEROUS) else value
    if isinstance(value, (list, tuple)):
        return safe_cell(", ".join(str(v) for v in value))
    if isinstance(value, dict):
        return safe_cell(", ".join(f"{k}: {v}" for k, v in value.items()))
    return value


def to_csv(columns: list[str], rows: list[list[Any]]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    writer.writerow([safe_cell(c) for c in columns])
    for row in rows:
        writer.writerow(["" if v is None else safe_cell(v) for v in row])
    # A BOM so that Excel opens the UTF-8 correctly.
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def to_xlsx(columns: list[str], rows: list[list[Any]], title: str = "Export") -> bytes:
    from openpyxl import Workbook

    book = Workbook(write_only=True)
    sheet = book.create_sheet(title[:31])
    sheet.append([safe_cell(c) for c in columns])
    for row in rows:
        sheet.append([safe_cell(v) for v in row])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


MEDIA_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
