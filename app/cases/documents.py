"""The document store: files of a case (signed consent forms, scanned agreements).

Bytes live on disk under instance/documents/, named by their sha256, so the same file is
stored once; the table holds what they are and to which case they belong. Files are only
read through the case's access check.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from app import clock
from app.cases.models import Document
from app.config import INSTANCE_DIR
from app.engine.errors import InvalidInput

MAX_BYTES = 10 * 1024 * 1024
ALLOWED = {
    "application/pdf": b"%PDF",
    "image/png": b"\x89PNG",
    "image/jpeg": b"\xff\xd8\xff",
}
STORE = INSTANCE_DIR / "documents"


def store(
    session: Session,
    instance_id: str,
    name: str,
    content_type: str,
    content: bytes,
    category: str,
    uploaded_by: str,
    folder: Path | None = None,
) -> Document:
    if not content:
        raise InvalidInput("leeg bestand", {"bestand": ["het bestand is leeg"]})
    if len(content) > MAX_BYTES:
        raise InvalidInput("bestand te groot", {"bestand": ["hoogstens 10 MB"]})
    magic = ALLOWED.get(content_type)
    if magic is None or not content.startswith(magic):
        raise InvalidInput(
            "soort bestand niet toegestaan", {"bestand": ["alleen PDF, PNG of JPEG"]}
        )
    digest = hashlib.sha256(content).hexdigest()
    folder = folder or STORE
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / digest
    if not path.exists():
        path.write_bytes(content)
    row = Document(
        instance_id=instance_id,
        name=Path(name).name[:300] or "document",
        content_type=content_type,
        size=len(content),
        sha256=digest,
        category=category[:100],
        uploaded_by=uploaded_by,
        uploaded_at=clock.now(),
    )
    session.add(row)
    session.flush()
    return row


def read(row: Document, folder: Path | None = None) -> bytes:
    return ((folder or STORE) / row.sha256).read_bytes()


def check_document_fields(session: Session, execution: Any, values: dict[str, Any]) -> None:
    """A field with `formaat: document` names a document of this very case by its number;
    anything else would let one case point at (and open) another case's file. The engine
    calls this for data entering an instance (app.engine.hooks.incoming_data)."""
    catalogue = execution.catalogue
    if catalogue is None:
        return
    errors: dict[str, list[str]] = {}
    for name, value in values.items():
        field = catalogue.fields.get(name)
        if field is None or field.format != "document" or value in (None, ""):
            continue
        number = document_number(value)
        document = session.get(Document, number) if number is not None else None
        if document is None or document.instance_id != execution.row.id:
            errors[name] = ["deze zaak heeft geen document met dit nummer"]
    if errors:
        raise InvalidInput("onbekend document", errors)


def document_number(value: Any) -> int | None:
    """The document id a field value names (an int or a string of digits), else None."""
    if isinstance(value, bool):
        return None
    text = str(value).strip()
    if not text.isdigit() or len(text) > 9:
        return None
    return int(text)
