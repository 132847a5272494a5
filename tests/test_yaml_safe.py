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
