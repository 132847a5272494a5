"""Editing a catalogue file rewrites only what changed: saving without edits gives the same
bytes for every process in bpmn/, comments and shared rules (anchors) stay."""

from __future__ import annotations

from pathlib import Path

import pytest

from app import yaml_safe
from app.catalogue.source import rewrite, tree

CATALOGUES = sorted(Path("bpmn").glob("*.catalogus.yaml"))


@pytest.mark.parametrize("path", CATALOGUES, ids=lambda p: p.name)
def test_saving_without_edits_gives_the_same_bytes(path: Path) -> None:
    text = path.read_text("utf-8")
    result = rewrite(text, tree(text))
    assert result.text.encode() == path.read_bytes()
    assert not result.reformatted


def test_five_catalogues_are_checked() -> None:
    assert len(CATALOGUES) == 5


def _diff(old: str, new: str) -> list[tuple[str, str]]:
    a, b = old.splitlines(), new.splitlines()
    return [(x, y) for x, y in zip(a, b, strict=False) if x != y]


def test_a_changed_value_changes_its_own_line_only() -> None:
    text = Path("bpmn/haarlem_preventie.catalogus.yaml").read_text("utf-8")
    edited = tree(text)
    edited["velden"]["naam"]["bewaartermijn"] = "P3Y"
    result = rewrite(text, edited)
    assert not result.reformatted
    assert _diff(text, result.text) == [("    bewaartermijn: P2Y", "    bewaartermijn: P3Y")]
    assert result.text.startswith("# Gegevenscatalogus van het Haarlemse Convenant")


def test_a_shared_rule_changed_for_one_field_keeps_the_others() -> None:
    """referentie holds the anchor &par1 the next fields use: changing its readers gives it
    its own rules and hands the anchor, unchanged, to the next field."""
    text = Path("bpmn/haarlem_preventie.catalogus.yaml").read_text("utf-8")
    edited = tree(text)
    edited["velden"]["referentie"]["lezen"]["wijkteam_leiding"] = ["melding", "traject"]
    result = rewrite(text, edited)
    assert not result.reformatted
    assert yaml_safe.load(result.text) == edited
    changed = _diff(text, result.text)
    assert len(changed) == 2
    assert changed[1][0] == "    lezen: *par1" and changed[1][1].startswith("    lezen: &par1 {")


def test_an_aliased_rule_changed_for_one_field_only() -> None:
    text = Path("bpmn/haarlem_preventie.catalogus.yaml").read_text("utf-8")
    edited = tree(text)
    edited["velden"]["naam"]["lezen"].pop("troubleshooter")
    result = rewrite(text, edited)
    assert yaml_safe.load(result.text) == edited
    assert len(_diff(text, result.text)) == 1


def test_fields_added_and_removed() -> None:
    text = Path("bpmn/haarlem_preventie.catalogus.yaml").read_text("utf-8")
    edited = tree(text)
    del edited["velden"]["referentie"]  # holds anchors other fields use
    edited["velden"]["notitie_extra"] = {"omschrijving": "Extra", "lezen": {"wijkteam": "*"}}
    result = rewrite(text, edited)
    assert not result.reformatted
    assert yaml_safe.load(result.text) == edited
    assert "  notitie_extra:\n    omschrijving: Extra\n    lezen: {wijkteam: '*'}\n" in result.text
    assert result.text.count("#") == text.count("#")  # no comment lost


def test_block_lists_and_settings() -> None:
    text = Path("bpmn/hollands_kroon_vroegsignalering.catalogus.yaml").read_text("utf-8")
    edited = tree(text)
    first = next(iter(edited["instellingen"]))
    edited["instellingen"][first]["waarde"] = 99
    edited["fasen"]["contact"] = edited["fasen"]["contact"][:-1]
    result = rewrite(text, edited)
    assert not result.reformatted
    assert yaml_safe.load(result.text) == edited


@pytest.mark.parametrize("bom", ["", "\ufeff"])
def test_the_node_tree_points_at_characters_whichever_parser_reads_it(bom) -> None:
    """libyaml reads the catalogue (each save of the editor parses the whole file) except
    after a byte-order mark, which it leaves out of its count; the positions are characters
    of the text either way, also after letters outside ASCII."""
    from app.catalogue import source

    text = bom + "naam: 'Zoë 😀'\nlijst: [1, 2]\nanker: &a {x: 1}\nnog: *a\n"
    root = source._compose(text)
    spans = [(text[k.start : k.end], text[v.start : v.end]) for k, v in root.items]
    assert spans[0] == ("naam", "'Zoë 😀'")
    assert spans[1][0] == "lijst" and spans[1][1].startswith("[1, 2]")
    assert spans[3] == ("nog", "*a")
