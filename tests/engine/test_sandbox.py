"""Sandbox escapes never run: refused at deployment, or an incident at run time."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from sqlalchemy import select

from app.engine.errors import DeploymentError
from app.engine.jobs import run_due_jobs
from app.engine.models import Incident
from app.engine.sandbox import SandboxEnvironment, SandboxError
from tests.support.engine import FIXTURES, deploy_paths, instance, start, write_variant

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


HOGS = {
    "huge string": "'a' * 10**10",
    "huge list": "[0] * (10**8)",
    "huge power": "2 ** (10**8)",
    "huge shift": "1 << 10**9",
    "endless while": "n = 0\nwhile True:\n    n += 1",
    "long comprehension": "x = len([i for i in 'ab' * 999_999 for j in 'ab'])",
    "huge range": "x = sum(range(10**12))",
    "growing in place": "s = 'ab'\ns *= 10**9",
    "padding": "x = 'a'.ljust(10**9)",
    "zero filling": "x = '1'.zfill(10**8)",
    "replacing": "x = ('a' * 10_000).replace('a', 'bb' * 1000)",
    "replacing the empty string": "x = ('a' * 1000).replace('', 'b' * 2000)",
    "joining": "x = ('-' * 900_000).join(['a', 'b', 'c'])",
    "tabs": "x = ('\\t' * 1000).expandtabs(10**4)",
    "f-string width": "x = f'{1:>999999999}'",
    "f-string nested width": "x = f'{1:>{10**9}}'",
    "percent width": "x = '%999999999d' % 1",
    "percent star width": "x = '%*d' % (10**9, 1)",
}


def test_ordinary_formatting_still_works() -> None:
    env = SandboxEnvironment({})
    context: dict = {"bedrag": 1234.5, "naam": "Jansen"}
    env.execute(
        "a = f'{bedrag:,.2f} voor {naam!r:>10}'\n"
        "b = '%s: %5.1f' % (naam, bedrag)\n"
        "c = ', '.join([naam, 'Pietersen'])\n"
        "d = naam.ljust(8, '.') + '7'.zfill(3)\n"
        "e = 17 % 5\n"
        "f = 'Dossier 20261203001 * %s: %d' % (naam, 999990007)",
        context,
    )
    assert context["a"] == "1,234.50 voor   'Jansen'"
    assert context["b"] == "Jansen: 1234.5"
    assert context["c"] == "Jansen, Pietersen"
    assert context["d"] == "Jansen..007"
    assert context["e"] == 2
    assert context["f"] == "Dossier 20261203001 * Jansen: 999990007"  # long text, no width


@pytest.mark.parametrize("name", HOGS)
def test_a_resource_hog_stops_with_an_error_instead_of_the_worker(name) -> None:
    env = SandboxEnvironment({})
    with pytest.raises(SandboxError, match="te groot|te lang"):
        env.execute(HOGS[name], {})


def test_the_budget_is_per_evaluation() -> None:
    env = SandboxEnvironment({})
    for _ in range(3):  # 3 x 600,000 iterations: each run stays under its own budget
        context: dict = {}
        env.execute("n = 0\nfor i in range(600_000):\n    n += 1", context)
        assert context["n"] == 600_000


def test_an_endless_script_in_a_diagram_becomes_an_incident(db, clock, settings, tmp_path) -> None:
    script = _script_diagram("teller = 0\nwhile deler:\n    teller += 1")
    deploy_paths(db, write_variant(tmp_path, "jobs.bpmn", script))
    instance_id = start(db, "test_jobs", "LUS", {"deler": 4})
    run_due_jobs(db, settings, "w")
    with db.session() as session:
        incident = session.scalars(select(Incident)).one()
    assert incident.kind == "script" and "te lang" in incident.message
    assert instance(db, instance_id).status == "error"


def test_guarded_builtins_and_methods_behave_as_python_does() -> None:
    """The guards wrap str, set, dict, pow, sum, round, print, slices and more: ordinary use
    must give what plain Python gives."""
    env = SandboxEnvironment({})
    context: dict = {"naam": "Jansen", "bedragen": [120, 80.5, 3]}
    env.execute(
        "a = [isinstance(naam, str), isinstance(3, (str, int)), isinstance(1, str)]\n"
        "b = str.upper(naam) + str(12) + repr('x') + ', '.join(str(x) for x in bedragen)\n"
        "c = sorted(set([3, 1, 3])) + sorted(frozenset('ab')) + sorted({*[2, 2]})\n"
        "d = dict(a=1) | dict([('b', 2)]) | dict.fromkeys(['c'], 3) | {**{'e': 5}}\n"
        "e = [pow(2, 10), pow(3, 4, 5), sum(bedragen), sum([[1], [2]], []), round(2.567, 2)]\n"
        "print('regel', 1)\n"
        "f = printed\n"
        "g = [1, 2, 3]\n"
        "g[1:] = [5]\n"
        "g.extend([6])\n"
        "g += [7]\n"
        "h = 'abc'.translate({97: 'x'}) + f'{naam!r:>10}' + '%5.1f' % 3.14159\n"
        "def fib(n):\n"
        "    return n if n < 2 else fib(n - 1) + fib(n - 2)\n"
        "i = [fib(15), sorted(bedragen, key=lambda x: -x)[0], (5).to_bytes(2, 'big').hex()]\n"
        "del fib\n"
        "try:\n"
        "    int('x')\n"
        "except:\n"
        "    j = 'gevangen'\n",
        context,
    )
    assert context["a"] == [True, True, False]
    assert context["b"] == "JANSEN12'x'120, 80.5, 3"
    assert context["c"] == [1, 3, "a", "b", 2]
    assert context["d"] == {"a": 1, "b": 2, "c": 3, "e": 5}
    assert context["e"] == [1024, 1, 203.5, [1, 2], 2.57]
    assert context["f"] == "regel 1\n"
    assert context["g"] == [1, 5, 6, 7]
    assert context["h"] == "xbc  'Jansen'  3.1"
    assert context["i"] == [610, 120, "0005"]
    assert context["j"] == "gevangen"


def test_waiting_for_a_core_is_not_counted_as_computing(monkeypatch):
    """On a busy machine a thread can wait seconds for a core or the GIL before its first look
    at the clock; that wait is not the script's work and must not fail a sound expression.
    Work that really runs long is still caught (tests/security/test_deploy_limits.py)."""
    from app.engine import budget

    now = [1000.0]
    monkeypatch.setattr(budget, "_monotonic", lambda: now[0])
    # The watchdog thread reads the same (faked) clock: on a loaded machine its poll landed
    # inside an evaluation and took the jumps for computing. This test is about the
    # evaluation's own checks; the watchdog has tests of its own.
    monkeypatch.setattr(budget.WATCHDOG, "_overran", lambda entry, now: False)

    def descheduled() -> int:  # not registered: runs as if the thread merely waited
        now[0] += 2.5
        return 1

    env = SandboxEnvironment({})
    assert env.evaluate("wacht() + 1", {"wacht": descheduled}) == 2
    assert env.evaluate("sum(i for i in range(3)) + wacht()", {"wacht": descheduled}) == 4
    now[0] += 1.0
    with pytest.raises(SandboxError, match="nog niet klaar"):
        env.evaluate("[wacht() for i in range(5)]", {"wacht": descheduled})


def test_the_watchdog_counts_the_threads_cpu_not_the_time_before_it_looked() -> None:
    """On a loaded machine the watchdog's first look at an evaluation can come seconds after
    it started; that wall time was once counted as CPU, and a sound deploy or a sound script
    step was refused with "meer dan 1 s rekentijd". It now reads the evaluation's own clock."""
    import threading

    from app.engine import budget

    limits = budget.Budget()
    limits.reset()
    entry = limits.watch
    entry.thread, entry.read = threading.get_ident(), None
    limits.started = budget._monotonic() - 3.0  # began 3 s ago, spent them waiting
    assert not budget.WATCHDOG._overran(entry, budget._monotonic())  # not on its clock yet
    limits.cpu.start(budget._monotonic())  # e.g. it called a registered function
    assert not budget.WATCHDOG._overran(entry, budget._monotonic())
    limits.cpu._base -= limits.seconds + budget.Watchdog.GRACE + 0.1  # as if it computed that
    assert budget.WATCHDOG._overran(entry, budget._monotonic())
    limits.started = budget._monotonic() - limits.WALL_SECONDS - 1.0
    limits.cpu.reset(limits.started)
    assert budget.WATCHDOG._overran(entry, budget._monotonic())  # the wall-clock ceiling
