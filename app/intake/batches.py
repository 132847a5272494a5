"""Importing a whole file: one batch record, rows in chunks of one transaction each."""

from __future__ import annotations

import hashlib
from collections.abc import Callable

from app import clock
from app.auth.principal import Principal
from app.db import Database
from app.intake import files
from app.intake.models import SignalBatch
from app.intake.service import CHUNK, RowResult, prepare, receive, summarise


def import_file(
    db: Database,
    principal: Principal,
    filename: str,
    content: bytes,
    secret_key: str,
    municipality: str | None = None,
    progress: Callable[[int], None] | None = None,
    results: list[RowResult] | None = None,
) -> SignalBatch:
    """Store every valid row, report every other; returns the batch with its counts. Each
    row's result (its status, problems and case) is added to `results` when given: one per
    row of the file, so the batch's counts add up to them."""
    with db.session() as session:
        intake = prepare(session, principal, secret_key, municipality)
    parsed = files.read(filename, content, intake.catalogue)
    with db.transaction() as session:
        batch = SignalBatch(
            organisation_id=intake.organisation.id,
            filename=filename,
            sha256=hashlib.sha256(content).hexdigest(),
            received_at=clock.now(),
            received_by=principal.actor,
            rows_total=0,
            rows_stored=0,
            rows_duplicate=0,
            rows_rejected=0,
            rows_objected=0,
            errors=[],
        )
        session.add(batch)
        session.flush()
        broken = _merge([RowResult(n, "afgewezen", [(f, p)]) for n, f, p in parsed.broken])
        summarise(batch, broken)
        if results is not None:
            results.extend(broken)
        batch_id = batch.id
    if progress:
        progress(len(parsed.broken))
    for start in range(0, len(parsed.rows), CHUNK):
        chunk = parsed.rows[start : start + CHUNK]
        with db.transaction() as session:
            batch = session.get(SignalBatch, batch_id)
            assert batch is not None
            intake = prepare(session, principal, secret_key, municipality)
            received = receive(session, intake, chunk, "bestand", batch)
            summarise(batch, received)
            if results is not None:
                results.extend(received)
        if progress:
            progress(len(chunk))
    with db.session() as session:
        batch = session.get(SignalBatch, batch_id)
        assert batch is not None
        session.expunge(batch)
        return batch


def _merge(results: list[RowResult]) -> list[RowResult]:
    """One result per row, with all its problems."""
    merged: dict[int, RowResult] = {}
    for result in results:
        if result.row in merged:
            merged[result.row].errors.extend(result.errors)
        else:
            merged[result.row] = result
    return list(merged.values())
