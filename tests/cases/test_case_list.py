"""The case list (issue 21): every case the viewer's organisation plays a part in, searchable
by case number and by name where the catalogue lets the viewer's party read the name; names
shown are logged as read; another organisation's cases never appear, not even by search."""

from __future__ import annotations

from sqlalchemy import select

from app.privacy.models import ProcessingLog
from tests.auth.test_login import login
from tests.cases.support import secret_of, seed, signal


def _list(client, q: str | None = None) -> str:  # type: ignore[no-untyped-def]
    answer = client.get("/zaken", query_string={"q": q} if q is not None else None)
    assert answer.status_code == 200, answer.status_code
    return answer.get_data(as_text=True)


def test_the_case_list_and_its_search(db, clock, app, client) -> None:  # type: ignore[no-untyped-def]
    rows = [signal(1), signal(2, name="Familie De Vries"), signal(3)]
    world = seed(db, secret_of(app), rows)
    keys = sorted(world.keys.values())
    login(client, "sanne")
    page = _list(client)
    assert 'href="/zaken"' in page  # in the menu
    assert all(key in page for key in keys)
    assert "Familie De Vries" in page and "Familie Jansen-1" in page
    with db.session() as session:
        reads = [
            row
            for row in session.scalars(select(ProcessingLog)).all()
            if (row.attributes or {}).get("doel") == "zakenlijst"
        ]
    assert len(reads) == 3  # every name shown is a read of personal data

    found = _list(client, "de vries")
    assert "Familie De Vries" in found and "Familie Jansen" not in found
    assert sum(key in found for key in keys) == 1
    by_key = _list(client, keys[0].lower())
    assert keys[0] in by_key and keys[1] not in by_key
    assert "Geen zaken gevonden" in _list(client, "bestaat niet")
    assert client.get("/zaken", query_string={"q": "x" * 101}).status_code == 400

    # Another organisation sees none of them, also not by name or number.
    henk = app.test_client()
    login(henk, "henk")
    other = _list(henk, "de vries")
    assert "Familie De Vries" not in other and not any(key in other for key in keys)
    assert not any(key in _list(henk) for key in keys)


def test_a_name_the_party_may_not_read_is_neither_shown_nor_searchable(
    db, clock, app, client, monkeypatch
) -> None:  # type: ignore[no-untyped-def]
    from app.catalogue.model import Catalogue

    world = seed(db, secret_of(app), [signal(1, name="Familie De Vries")])
    (key,) = world.keys.values()
    real = Catalogue.readable

    def without_name(self, party, phase, consents=frozenset()):  # type: ignore[no-untyped-def]
        return [n for n in real(self, party, phase, consents) if n != "naam"]

    from sqlalchemy import false

    import app.cases.listing as listing

    # As a catalogue in which the team may not read the name: not shown, not searchable.
    monkeypatch.setattr(Catalogue, "readable", without_name)
    monkeypatch.setattr(listing, "name_readable", lambda *args: false())
    login(client, "sanne")
    page = _list(client)
    assert key in page and "Familie De Vries" not in page
    assert key not in _list(client, "de vries")
