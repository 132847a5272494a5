"""The fast YAML loader reads every catalogue, scenario and partner file as the reference
(pure-Python safe) loader does, and refuses what it refuses."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from app import yaml_safe
from tests.conftest import ROOT

FILES = sorted(
    p
    for pattern in ("bpmn/*.yaml", "scenarios/**/*.yaml", "app/processes/*/*.yaml")
    for p in ROOT.glob(pattern)
)


def test_there_are_files_to_compare() -> None:
    assert len(FILES) >= 5


@pytest.mark.parametrize("path", FILES, ids=lambda p: str(p.relative_to(ROOT)))
def test_same_result_as_the_reference_loader(path: Path) -> None:
    text = path.read_text("utf-8")
    assert yaml_safe.load(text) == yaml.load(text, Loader=yaml.SafeLoader)


@pytest.mark.parametrize("text", ["!!python/object:os.system ls", "a: [1, 2", "a: *missing"])
def test_refuses_what_the_reference_refuses(text: str) -> None:
    with pytest.raises(yaml_safe.YAMLError):
        yaml_safe.load(text)
    with pytest.raises(yaml.YAMLError):
        yaml.load(text, Loader=yaml.SafeLoader)


def test_a_long_text_read_again_gives_a_tree_of_its_own() -> None:
    """Long texts keep their tree (a catalogue is read several times per request); each
    caller gets a copy it may edit, as with a fresh load."""
    text = (ROOT / "bpmn" / "utrecht_vh.catalogus.yaml").read_text("utf-8")
    assert len(text) > yaml_safe.SHORT
    first = yaml_safe.load(text)
    first["velden"].clear()
    first["proces"] = "ander"
    second = yaml_safe.load(text)
    assert second == yaml.load(text, Loader=yaml.SafeLoader) and second["velden"]
    assert second is not first and second["velden"] is not first["velden"]


def test_the_copy_keeps_what_is_shared_so_an_alias_bomb_stays_small() -> None:
    """An alias is its anchor's object in the copy too (also in a cycle): nine levels of ten
    aliases stay nine lists, not a billion strings."""
    padding = "# " + "x" * yaml_safe.SHORT + "\n"  # long enough to be kept
    bomb = padding + 'a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol","lol"]\n'
    for level in "bcdefghi":
        previous = chr(ord(level) - 1)
        bomb += f"{level}: &{level} [" + ",".join([f"*{previous}"] * 10) + "]\n"
    for _ in range(2):  # loaded, then from what was kept
        tree = yaml_safe.load(bomb)
        assert tree["i"][0] is tree["h"] and tree["i"][9] is tree["h"]
        assert tree["b"][3] is tree["a"] and tree["a"][0] == "lol"
    cycle = padding + "lus: &lus\n  zelf: *lus\n  lijst: &l [*l, 1]\n"
    for _ in range(2):
        loop = yaml_safe.load(cycle)["lus"]
        assert loop["zelf"] is loop and loop["lijst"][0] is loop["lijst"]
