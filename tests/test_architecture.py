"""The house's rules, checked: generic modules name no municipality, and a process package is
picked up without edits to generic code (docs/architecture.md)."""

from __future__ import annotations

import re
import textwrap
from pathlib import Path

import pytest
from click.testing import CliRunner

import app.processes
from app import plugins
from tests.conftest import ROOT
from tests.support.orgs import organisation, user
from tests.support.web import log_in

VENDOR = ROOT / "app" / "static" / "vendor"


def _municipality_words() -> list[str]:
    """Every installed package's key and title, and its demo's organisation keys and names."""
    import importlib

    words: set[str] = set()
    for package in plugins.installed():
        words |= {package.key, package.key.replace("_", "-"), package.key.replace("_", " ")}
        words.add(package.package.title)
        demo = importlib.import_module(f"{package.module}.demo")
        for key, name, *_rest in getattr(demo, "ORGANISATIONS", []):
            words |= {key, name}
    return sorted(words, key=len, reverse=True)


def _generic_files() -> list[Path]:
    packages = {p.key for p in plugins.installed()}
    files = []
    for path in sorted((ROOT / "app").rglob("*")):
        if path.suffix not in (".py", ".html", ".js", ".css", ".yaml") or VENDOR in path.parents:
            continue
        parts = path.relative_to(ROOT / "app").parts
        if parts[0] == "processes" and len(parts) > 2 and parts[1] in packages:
            continue
        files.append(path)
    for path in sorted((ROOT / "handlers").glob("*.py")):
        # handlers/<municipality>_<system>.py belong to that municipality (docs/processes.md)
        if not any(path.stem.startswith(f"{key}_") for key in packages):
            files.append(path)
    return files


def _pattern(word: str) -> re.Pattern[str]:
    # The NL Design System's components are called "utrecht-…" (CSS classes, npm scope and
    # vendor folder): that is a library's name, not the municipality.
    return re.compile(rf"(?<![\w/@]){re.escape(word)}(?![\w]|-[a-z*])", re.IGNORECASE)


def _any_word(words: list[str]) -> re.Pattern[str]:
    """One pattern that matches where any word's `_pattern` matches (the alternatives are
    tried at each position, the guards around each): 68 patterns over 44,000 lines took
    8 s, one pass over each file takes milliseconds. The words contain no line break, so a
    file it does not match has no line that one of them matches."""
    alternatives = "|".join(re.escape(word) for word in words)
    return re.compile(rf"(?<![\w/@])(?:{alternatives})(?![\w]|-[a-z*])", re.IGNORECASE)


def test_no_generic_module_names_a_municipality() -> None:
    words = _municipality_words()
    assert {"weert", "Hollands Kroon", "ymere"} <= {w for w in words}
    patterns = [(w, _pattern(w)) for w in words]
    any_word = _any_word(words)
    found = []
    for path in _generic_files():
        text = path.read_text(encoding="utf-8")
        if not any_word.search(text):
            continue
        for number, line in enumerate(text.splitlines(), 1):
            for word, pattern in patterns:
                if pattern.search(line):
                    found.append(f"{path.relative_to(ROOT)}:{number}: {word!r}: {line.strip()}")
                    break
    assert not found, "generieke modules noemen een gemeente:\n" + "\n".join(found)


def test_the_check_finds_a_planted_name(tmp_path: Path) -> None:
    words = _municipality_words()
    line = 'TEAMS = {"wijkteam": "haarlem-swt"}  # as in Hollands Kroon, vroegsignalering-weert'
    hits = [w for w in words if _pattern(w).search(line)]
    assert {"haarlem-swt", "Hollands Kroon", "weert"} <= set(hits)
    assert not any(_pattern(w).search('<div class="utrecht-alert">') for w in words)
    # The one pattern the module check passes files through sees what the words' own do.
    any_word = _any_word(words)
    assert any_word.search(line) and not any_word.search('<div class="utrecht-alert">')
    for other in ("zie Hollands Kroon.", "weert-x", "haarlem_swt", "@weert/x", "/weert"):
        assert bool(any_word.search(other)) == any(_pattern(w).search(other) for w in words)


# -- a process package from elsewhere --------------------------------------------------------

PACKAGE = {
    "__init__.py": """
        from app.plugins import ProcessPackage

        PACKAGE = ProcessPackage(
            title="Zandvoort",
            pages=".views:bp",
            api=".api:blp",
            cli=".cli:group",
            menu=".views:menu",
            demo=".demo:load",
        )
    """,
    "views.py": """
        from flask import Blueprint, render_template_string

        from app.auth.web import login_required

        bp = Blueprint("zandvoort_ui", __name__)


        @bp.get("/zandvoort/overzicht")
        @login_required
        def overview():
            return render_template_string(
                '{% extends "base.html" %}{% block content %}'
                "<h1>Overzicht Zandvoort</h1>{% endblock %}"
            )


        def menu(principal):
            return [("/zandvoort/overzicht", "Zandvoort")]
    """,
    "api.py": """
        from flask.views import MethodView
        from flask_smorest import Blueprint

        from app.auth.bearer import current_principal, require

        blp = Blueprint("zandvoort", __name__, description="Zandvoort")


        @blp.route("/zandvoort/status")
        class Status(MethodView):
            @require("cases:read")
            def get(self):
                return {"status": "ok", "namens": current_principal().name}
    """,
    "cli.py": """
        import click


        @click.group()
        def group():
            "Zandvoort."


        @group.command("hello")
        def hello():
            click.echo("hallo uit Zandvoort")
    """,
    "demo.py": """
        def load(db, settings):
            return ["zandvoort: demo geladen"]
    """,
}


@pytest.fixture
def zandvoort(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "pakketten"
    for name, text in PACKAGE.items():
        (folder / "zandvoort").mkdir(parents=True, exist_ok=True)
        (folder / "zandvoort" / name).write_text(textwrap.dedent(text))
    monkeypatch.setenv("STROOM_PROCESS_PATHS", str(folder))
    monkeypatch.setattr(app.processes, "__path__", list(app.processes.__path__))
    yield folder
    from app.cli import main

    main.commands.pop("zandvoort", None)
    plugins.installed.cache_clear()
    import sys

    for name in [m for m in sys.modules if m.startswith("app.processes.zandvoort")]:
        del sys.modules[name]


def test_a_process_package_from_a_folder_plugs_in(
    db, settings, zandvoort, tmp_path, monkeypatch
) -> None:  # type: ignore[no-untyped-def]
    import dataclasses

    from app.auth.tokens import create_token
    from app.cli import main
    from app.web import create_app

    settings = dataclasses.replace(settings, process_paths=(zandvoort,))
    flask_app = create_app(settings, db, testing=True)
    assert "zandvoort" in {p.key for p in plugins.installed()}

    # its page, in the menu of someone logged in
    organisation(db, "gemeente-z", "gemeente", municipality="zandvoort")
    user(db, "medewerker", "gemeente-z", roles=("behandelaar",))
    client = log_in(flask_app.test_client(), "medewerker")
    page = client.get("/zandvoort/overzicht")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "<h1>Overzicht Zandvoort</h1>" in html and 'href="/zandvoort/overzicht"' in html

    # its API route, behind a token, in the OpenAPI document and under the API's rate limit
    with db.transaction() as session:
        _row, secret = create_token(session, "zandvoort", ["cases:read"])
    api = flask_app.test_client()
    answer = api.get("/api/v1/zandvoort/status", headers={"Authorization": f"Bearer {secret}"})
    assert answer.status_code == 200 and answer.get_json()["status"] == "ok"
    assert "X-RateLimit-Limit" in answer.headers
    assert api.get("/api/v1/zandvoort/status").status_code == 401
    assert "/api/v1/zandvoort/status" in api.get("/api/v1/openapi.json").get_json()["paths"]

    # its command, and its demo loader in `stroom demo`
    runner = CliRunner()
    hello = runner.invoke(main, ["--database", db.url, "zandvoort", "hello"])
    assert hello.exit_code == 0 and "hallo uit Zandvoort" in hello.output
    assert "zandvoort" in runner.invoke(main, ["--help"]).output
    monkeypatch.setenv("STROOM_BPMN_DIR", str(tmp_path))  # nothing to deploy: loaders only
    demo = runner.invoke(main, ["--database", db.url, "demo"])
    assert demo.exit_code == 0, demo.output
    assert "zandvoort: demo geladen" in demo.output.splitlines()


# -- imports ---------------------------------------------------------------------------------

ASSEMBLY = {"app.web", "app.api", "app.cli", "app.assembly", "app.demo"}
# What the engine may use: the app's foundations, the catalogue (the process contract) and
# the handler registry. Domains plug in through app/engine/hooks.py.
ENGINE_MAY_IMPORT = {
    "app",
    "app.catalogue",
    "app.catalogue.names",
    "app.clikit",
    "app.clock",
    "app.config",
    "app.db",
    "app.log_config",
    "app.pagination",
    "app.text_rules",  # which text and JSON are acceptable (docs/architecture.md: foundations)
    "handlers",
}


def test_the_engine_imports_no_domain() -> None:
    from tests.support.imports import graph

    edges = graph()
    found = {
        f"{module} -> {target}"
        for module, targets in edges.items()
        if module.startswith("app.engine")
        for target in targets
        if not target.startswith("app.engine") and target not in ENGINE_MAY_IMPORT
    }
    assert not found, "de engine importeert een domein:\n" + "\n".join(sorted(found))


def test_no_import_loop_runs_through_the_assembly_or_spans_more_than_a_handful() -> None:
    from tests.support.imports import cycles, graph

    loops = cycles(graph())
    assert not [c for c in loops if ASSEMBLY & set(c)], loops
    assert all(len(c) <= 5 for c in loops), loops


def test_the_import_reader_sees_a_planted_loop() -> None:
    from tests.support.imports import cycles

    planted = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    assert cycles(planted) == [["a", "b", "c"]]
