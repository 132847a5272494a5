"""Which catalogue changes widen who may read personal data (and so wait for the privacy
officer), one test per kind, and that narrowing lists nothing."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

from app.catalogue import load, parse
from app.catalogue.widening import widenings

BASE: dict[str, Any] = {
    "proces": "voorbeeld",
    "verwerkingsactiviteit": "voorbeeld",
    "partijen": {
        "corporatie": {"naam": "Woningcorporatie", "melder": True},
        "wijkteam": {"naam": "Sociaal Wijkteam"},
    },
    "fasen": {"melding": ["a"], "traject": ["b"], "nazorg": ["c"]},
    "toestemmingen": {"inhoud_delen": "Inhoud delen", "overdracht": "Warme overdracht"},
    "velden": {
        "naam": {
            "omschrijving": "Naam",
            "categorie": "identificerend",
            "type": "tekst",
            "doel": "Contact",
            "grondslag": "publieke_taak",
            "bewaartermijn": "P6M",
            "voorbeeld": "J. Jansen",
            "lezen": {"wijkteam": ["melding"]},
            "schrijven": {"corporatie": ["melding"]},
        },
        "situatie": {
            "omschrijving": "Gezondheid",
            "categorie": "gezondheid",
            "type": "tekst",
            "doel": "Hulp",
            "grondslag": "toestemming",
            "bewaartermijn": "P1Y",
            "voorbeeld": "x",
            "lezen": {
                "wijkteam": "*",
                "corporatie": {"fasen": "*", "toestemming": "inhoud_delen", "schriftelijk": True},
            },
        },
    },
}


def _changed(change: Any) -> list[Any]:
    new = copy.deepcopy(BASE)
    change(new)
    return widenings(parse(BASE, "oud"), parse(new, "nieuw"))


def test_a_party_that_gains_read_on_a_field_is_a_widening() -> None:
    found = _changed(lambda c: c["velden"]["naam"]["lezen"].update(corporatie=["traject"]))
    assert [(w.kind, w.field, w.party) for w in found] == [("lezen", "naam", "corporatie")]
    assert "Woningcorporatie mag veld naam lezen in fase traject" in found[0].description


def test_reading_in_more_phases_names_the_new_phases() -> None:
    found = _changed(
        lambda c: c["velden"]["naam"]["lezen"].update(wijkteam=["melding", "traject", "nazorg"])
    )
    assert [(w.kind, w.party) for w in found] == [("fasen", "wijkteam")]
    assert "ook lezen in de fasen traject, nazorg" in found[0].description


def test_every_phase_instead_of_some_is_a_widening() -> None:
    found = _changed(lambda c: c["velden"]["naam"]["lezen"].update(wijkteam="*"))
    assert [(w.kind, w.party) for w in found] == [("fasen", "wijkteam")]
    assert "in alle fasen (was: melding)" in found[0].description


def test_dropping_the_consent_or_its_written_form_is_a_widening() -> None:
    without = _changed(lambda c: c["velden"]["situatie"]["lezen"].update(corporatie="*"))
    assert [(w.kind, w.party) for w in without] == [("toestemming", "corporatie")]
    assert "zonder toestemming" in without[0].description
    unwritten = _changed(
        lambda c: c["velden"]["situatie"]["lezen"]["corporatie"].update(schriftelijk=False)
    )
    assert [(w.kind, w.party) for w in unwritten] == [("toestemming", "corporatie")]
    assert "zonder schriftelijke toestemming" in unwritten[0].description


def test_a_less_protected_category_is_a_widening() -> None:
    found = _changed(lambda c: c["velden"]["situatie"].update(categorie="huishouden"))
    assert [(w.kind, w.field) for w in found] == [("categorie", "situatie")]
    assert "minder beschermd" in found[0].description


def test_a_longer_retention_is_a_widening_and_a_shorter_one_is_not() -> None:
    found = _changed(lambda c: c["velden"]["naam"].update(bewaartermijn="P1Y"))
    assert [(w.kind, w.field) for w in found] == [("bewaartermijn", "naam")]
    assert "P1Y (was: P6M)" in found[0].description
    assert _changed(lambda c: c["velden"]["naam"].update(bewaartermijn="P30D")) == []
    # Compared by length, not by text: 18 months is longer than a year.
    assert _changed(lambda c: c["velden"]["situatie"].update(bewaartermijn="P18M"))


def test_a_new_field_with_readers_is_a_widening() -> None:
    def add(c: dict[str, Any]) -> None:
        c["velden"]["telefoon"] = {**c["velden"]["naam"], "omschrijving": "Telefoon"}

    found = _changed(add)
    assert [(w.kind, w.field, w.party) for w in found] == [("lezen", "telefoon", "wijkteam")]
    assert "(nieuw)" in found[0].description


def test_notes_and_history_count_too() -> None:
    notes = _changed(lambda c: c.update(notities={"lezen": {"corporatie": ["nazorg"]}}))
    assert [(w.kind, w.field) for w in notes] == [("lezen", "notities")]
    history = _changed(lambda c: c.update(geschiedenis={"bewaartermijn": "P7Y"}))
    assert [(w.kind, w.field) for w in history] == [("bewaartermijn", "geschiedenis")]


def test_narrowing_needs_no_approval() -> None:
    def narrow(c: dict[str, Any]) -> None:
        c["velden"]["situatie"]["lezen"].pop("corporatie")
        c["velden"]["naam"]["lezen"] = {}
        c["velden"]["naam"]["categorie"] = "gezondheid"
        del c["velden"]["situatie"]["lezen"]["wijkteam"]

    assert _changed(narrow) == []
    assert _changed(lambda c: c["velden"].pop("naam")) == []


def test_a_catalogue_compared_with_itself_widens_nothing() -> None:
    for path in sorted(Path("bpmn").glob("*.catalogus.yaml")):
        assert widenings(load(path), load(path)) == [], path.name
