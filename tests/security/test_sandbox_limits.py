"""Hostile expressions and scripts end with a clear SandboxError within the budget (issue 16,
item 8): nothing a diagram computes may run for minutes or take gigabytes. Each runs in a child
process with a memory cap and a timeout (tests/security/sandbox_support.py): without the
guards these hang or explode, and the test fails instead of the test run."""

from __future__ import annotations

import re

import pytest

from tests.security.sandbox_support import run_sandboxed

# CPU seconds an evaluation may take before it is stopped: its budget (1 s), and for code the
# compiler cannot see the watchdog's grace (0.5 s) and polling interval, with room to spare.
CPU_CEILING = 2.5
MEMORY_CEILING = 400  # MB: the budget stops at 128 MB of growth, plus what one step may add

LONG_LIST = "l = [0] * 10**6\nm = [l] * 10**6\n"  # small in memory, 3 * 10**12 as text

HOSTILE = {
    # As reported in issue 16.
    "pow of a huge power": ("x = pow(7, 3 * 10**7)", "te groot"),
    "text doubled by +=": ("a = 'ab'\nfor i in range(64):\n    a += a", "te groot"),
    "list doubled by +=": ("a = [1]\nfor i in range(64):\n    a += a", "te groot"),
    "bytes doubled by +": ("a = 'x'.encode()\nfor i in range(64):\n    a = a + a", "te groot"),
    "exponential recursion": (
        "def f(n):\n    return 1 if n == 0 else f(n - 1) + f(n - 1)\nx = f(40)",
        "te lang",
    ),
    "str() of a huge value": (LONG_LIST + "x = str(m)", "te groot"),
    "f-string of a huge value": (LONG_LIST + "x = f'{m}'", "te groot"),
    "repr() of a huge value": (LONG_LIST + "x = repr(m)", "te groot"),
    "%-format of a huge value": (LONG_LIST + "x = '%s' % (m,)", "te groot"),
    "f-string !r of a huge value": (LONG_LIST + "x = f'{m!r:>10}'", "te groot"),
    "print of a huge value": (LONG_LIST + "print(m)", "te groot"),
    # In the same spirit.
    "deep recursion": ("def f(n):\n    return f(n + 1)\nx = f(0)", "recursie te diep"),
    "exponential recursion in a lambda": (
        "f = lambda n: 1 if n == 0 else f(n - 1) + f(n - 1)\nx = f(40)",
        "te lang",
    ),
    "nested comprehensions": (
        "x = [[[i * j * k for i in range(1000)] for j in range(1000)] for k in range(1000)]",
        "te lang|geheugen",
    ),
    "long text repeated by join": ("x = ''.join(['x' * 10**6] * 1000)", "te groot"),
    "str.join unbound": ("x = str.join('-' * 10**6, ['a'] * 10**4)", "te groot"),
    "str.ljust unbound": ("x = str.ljust('a', 10**10)", "te groot"),
    "translate to long texts": (
        "x = ('a' * 10**6).translate({97: 'b' * 10**6})",
        "te groot",
    ),
    "huge dict": ("d = {}\nfor i in range(10**6):\n    d[i] = 'x' * 10**4 + str(i)", "geheugen"),
    "many new texts": (
        "l = []\nfor i in range(10**4):\n    l.append('x' * 500_000 + str(i))",
        "geheugen",
    ),
    "many list copies": (
        "l = []\nfor i in range(10**4):\n    l.append(list(range(10**5)))",
        "geheugen",
    ),
    "big int by repeated multiplication": (
        "x = 3\nfor i in range(10**6):\n    x = x * x",
        "te groot",
    ),
    "big int by repeated addition": ("x = 1\nfor i in range(10**6):\n    x += x", "te groot"),
    "big int by shifting": ("x = 1\nfor i in range(10**6):\n    x = x << 10**4", "te groot"),
    "round to a huge power of ten": ("x = round(5, -10**8)", "cijfers"),
    "to_bytes of a huge length": ("x = (1).to_bytes(10**10, 'big')", "te groot"),
    "sum of sums": ("x = sum(sum(range(10**6)) for i in range(10**5))", "te lang"),
    "sum of lists": ("x = sum([[0] * 1000] * 10**5, [])", "te lang"),
    "integers sharing a hash, into a set": (
        "x = set([i * (2**61 - 1) for i in range(10**5)])",
        "te lang",
    ),
    "integers sharing a hash, into dict.fromkeys": (
        "x = dict.fromkeys([i * (2**61 - 1) for i in range(10**5)])",
        "te lang",
    ),
    "integers sharing a hash, unpacked into a set": (
        "x = {*[i * (2**61 - 1) for i in range(10**5)]}",
        "te lang",
    ),
    "list doubled by unpacking": ("l = [1]\nfor i in range(64):\n    l = [*l, *l]", "te lang"),
    "list doubled by extend": ("l = [1]\nfor i in range(64):\n    l.extend(l)", "te groot"),
    "list doubled by slice assignment": (
        "l = [1]\nfor i in range(64):\n    l[len(l):] = l",
        "te lang|te groot",
    ),
    "budget error swallowed by except": (
        "try:\n    while True:\n        sum(range(10**4))\nexcept:\n    pass\nx = 1",
        "te lang",
    ),
    "budget error caught in a loop": (
        "while True:\n    try:\n        x = sum(range(10**4))\n    except Exception:\n        pass",
        "te lang",
    ),
    "budget error swallowed by return in finally": (
        "def f():\n    try:\n        while True:\n            pass\n    finally:\n"
        "        return 1\nx = f()",
        "finally",
    ),
    "error whose message is huge": (LONG_LIST + "raise ValueError(m)", "foutmelding"),
    "deeply nested data": ("x = [1]\nfor i in range(10**5):\n    x = [x]", "te diep genest"),
}


@pytest.mark.parametrize("name", HOSTILE)
def test_a_hostile_script_ends_in_a_clear_error_within_the_budget(name) -> None:
    source, expected = HOSTILE[name]
    outcome = run_sandboxed(source)
    assert outcome.error == "SandboxError", outcome
    assert re.search(expected, outcome.message), outcome.message
    assert outcome.cpu < CPU_CEILING, f"took {outcome.cpu:.1f} s of CPU time"
    assert outcome.grown < MEMORY_CEILING, f"grew {outcome.grown} MB"


def test_an_expression_gets_the_same_guards() -> None:
    outcome = run_sandboxed("len(str([[0] * 10**6] * 10**6))", mode="eval")
    assert outcome.error == "SandboxError" and "te groot" in outcome.message


def test_a_registered_function_looping_in_python_is_stopped_by_the_watchdog() -> None:
    """The compiler puts no checks in registered functions (werkdagen(3_000_000) walks day by
    day for 20 s): the watchdog interrupts the evaluation once its CPU budget is spent."""
    outcome = run_sandboxed("x = rekenen()", registered=True)
    assert outcome.error == "SandboxError", outcome
    assert "te lang" in outcome.message and outcome.cpu < CPU_CEILING


def test_ordinary_scripts_cost_next_to_nothing() -> None:
    outcome = run_sandboxed(
        "kinderen = [3, 12, 17, 19]\n"
        "minderjarig = len([k for k in kinderen if k < 18])\n"
        "prioriteit = 'hoog' if minderjarig and 850 > 50 else 'normaal'\n"
        "tekst = f'{minderjarig} kinderen, prioriteit {prioriteit!r}'"
    )
    assert outcome.error is None and outcome.cpu < 0.1
