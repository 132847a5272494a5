"""Sandbox escapes never run: refused at deployment, or an incident at run time."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from app.engine.errors import DeploymentError
from app.engine.sandbox import SandboxEnvironment, SandboxError
from tests.support.engine import FIXTURES, deploy_paths, write_variant

SENTINEL = Path("/tmp/stroom-sandbox-escaped")

ESCAPES = {
    "import": f"__import__('os').system('touch {SENTINEL}')",
    "open": f"open('{SENTINEL}', 'w').write('x')",
    "subclasses": "().__class__.__base__.__subclasses__()",
    "format": "'{0.__class__.__base__}'.format(1)",
    "frame": "(x for x in [1]).gi_frame.f_globals",
    "import statement": "import os",
    "eval": f"eval(\"__import__('os').system('touch {SENTINEL}')\")",
    "getattr": "getattr((), '__class__')",
}


@pytest.fixture(autouse=True)
def _no_sentinel():
    SENTINEL.unlink(missing_ok=True)
    yield
    assert not SENTINEL.exists(), "an escape ran"


def _script_diagram(script: str) -> str:
    xml = (FIXTURES / "jobs.bpmn").read_text()
    old = "uitkomst = resultaat + '!'\nteller = deler / 1"
    assert old in xml
    return xml.replace(old, script.replace("&", "&amp;").replace("<", "&lt;"))


@pytest.mark.parametrize("name", sorted(ESCAPES))
def test_escape_in_a_script_is_refused_at_deployment(db, tmp_path, name) -> None:
    path = write_variant(tmp_path, "ontsnapping.bpmn", _script_diagram(ESCAPES[name]))
    with pytest.raises(DeploymentError) as info:
        deploy_paths(db, path)
    assert info.value.problems[0].element == "rekenen"


@pytest.mark.parametrize("name", sorted(ESCAPES))
def test_escape_never_runs_when_evaluated(name) -> None:
    env = SandboxEnvironment({})
    mode_exec = name == "import statement"
    with pytest.raises((SandboxError, NameError, NotImplementedError, AttributeError)):
        if mode_exec:
            env.execute(ESCAPES[name], {})
        else:
            env.evaluate(ESCAPES[name], {})


def test_exposed_object_is_no_path_to_a_module() -> None:
    def helper() -> int:
        return 1

    helper.os = os  # type: ignore[attr-defined]
    env = SandboxEnvironment({"helper": helper})
    assert env.evaluate("helper()", {}) == 1
    with pytest.raises(SandboxError):
        env.evaluate(f"helper.os.system('touch {SENTINEL}')", {})


def test_data_cannot_smuggle_a_module_in() -> None:
    env = SandboxEnvironment({})
    with pytest.raises(SandboxError):
        env.evaluate("m.system('true')", {"m": os})


def test_scripts_can_only_store_plain_data() -> None:
    env = SandboxEnvironment({})
    context: dict = {}
    with pytest.raises(SandboxError, match="generator"):
        env.execute("g = (x for x in range(3))", context)


def test_ordinary_scripts_work() -> None:
    env = SandboxEnvironment({})
    context = {"bedrag": 100, "kinderen": [3, 12, 17, 19]}
    env.execute(
        "minderjarig = len([k for k in kinderen if k < 18])\n"
        "prioriteit = 'hoog' if minderjarig and bedrag > 50 else 'normaal'",
        context,
    )
    assert context["minderjarig"] == 3 and context["prioriteit"] == "hoog"
