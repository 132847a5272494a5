"""`berichten: {naam: {afzenders: [partijen]}}` in a catalogue: who may send a message from
outside. The door (app.cases.service.send_message) is exercised with a real process in
tests/processes/test_haarlem_preventie.py (art. 3.9: the corporation and the team each send
their own message); here the catalogue's rule and its problems."""

from __future__ import annotations

from typing import Any

import pytest
import yaml

from app.catalogue.parser import CatalogueError, parse
from tests.support.engine import FIXTURES


def _catalogue(berichten: Any) -> dict[str, Any]:
    raw = yaml.safe_load((FIXTURES / "toestemming.catalogus.yaml").read_text())
    raw["partijen"]["andere"] = {"naam": "Andere partij"}
    raw["berichten"] = berichten
    return raw


def test_senders_per_message() -> None:
    catalogue = parse(
        _catalogue(
            {
                "klaar_gemeld": {"afzenders": ["team"]},  # brings nothing, but not from anyone
                "gegevens": {"verplicht": ["ingetrokken_toestemming"], "afzenders": ["andere"]},
                "open": {"verplicht": []},
                "gezegd": {"omschrijving": " Klaar met het gesprek "},
            }
        ),
        "test",
    )
    assert catalogue.message_senders == {"klaar_gemeld": ["team"], "gegevens": ["andere"]}
    assert catalogue.message_labels == {"gezegd": "Klaar met het gesprek"}
    assert catalogue.messages == {
        "klaar_gemeld": [],
        "gegevens": ["ingetrokken_toestemming"],
        "open": [],
        "gezegd": [],
    }


@pytest.mark.parametrize(
    ("senders", "problem"),
    [
        (["onbekend"], "bericht 'x': onbekende afzenders ['onbekend']"),
        ([], "bericht 'x': 'afzenders' moet een lijst van partijen zijn"),
        ("team", "bericht 'x': 'afzenders' moet een lijst van partijen zijn"),
    ],
)
def test_wrong_senders_are_named(senders: Any, problem: str) -> None:
    with pytest.raises(CatalogueError) as refused:
        parse(_catalogue({"x": {"afzenders": senders}}), "test")
    assert refused.value.problems == [problem]


@pytest.mark.parametrize("label", ["", "  ", 5, "x" * 101])
def test_a_label_is_short_text(label: Any) -> None:
    with pytest.raises(CatalogueError) as refused:
        parse(_catalogue({"x": {"afzenders": ["team"], "omschrijving": label}}), "test")
    assert refused.value.problems == ["bericht 'x': 'omschrijving' is tekst van 1 tot 100 tekens"]
