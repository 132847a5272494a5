"""The time, memory, iteration and depth budget of one sandboxed evaluation.

Sandboxed code is compiled with a call to `Budget.tick()` at the top of every loop body,
comprehension step and function body (see sandbox.py). `tick()` counts iterations and, every
few milliseconds, compares the CPU time the thread spent on the evaluation with its budget
and the process's resident memory with what it was at the evaluation's first check (and
before every large result a guard lets through); every guard in the sandbox calls `check()`
as well, so a statement of many large operations is caught like a loop. Time is the thread's
CPU time (`time.thread_time()`), so a busy machine does not fail an evaluation its own work
would finish; a ceiling on wall-clock time covers waiting. Once exceeded, a budget stays
exceeded: code that catches the error meets it again at its next step, and the evaluation
fails at its end even if the code swallowed it. An evaluation that ends within its first check
interval, as ordinary expressions do, never reads a clock but the cheap monotonic one; a
call of a registered function starts the thread's clock (sandbox.py), so its work is measured.

Code the compiler cannot instrument, such as a registered function (app.engine.functions)
looping in Python, is covered by a watchdog thread: when the evaluating thread has spent its
budget plus a grace period, the watchdog raises `Interrupted` in it
(`PyThreadState_SetAsyncExc`). That works in any thread, where `signal.setitimer` only reaches
the main thread, and costs nothing while evaluations stay within budget. Nothing interrupts one
long C operation; the sandbox's guards keep every operation that can grow (sizes of sequences,
bits of integers, widths of formats, hashing many items at once) small enough to end quickly.

`evaluation_budget(seconds)` caps the total time of all evaluations inside it: one engine run
of an instance, the deployment checks of one process.
"""

from __future__ import annotations

import ctypes
import logging
import os
import resource
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from app.engine.errors import SandboxError

log = logging.getLogger(__name__)

_monotonic = time.monotonic
_CHECK_EVERY = 0.005  # seconds between looks at the CPU time and the memory
_MB = 1024 * 1024
_PAGE = os.sysconf("SC_PAGE_SIZE") if hasattr(os, "sysconf") else 4096


def dutch(n: float) -> str:
    """1234567 -> '1.234.567', 0.5 -> '0,5'."""
    if isinstance(n, float) and n.is_integer():
        n = int(n)
    return f"{n:,}".replace(",", " ").replace(".", ",").replace(" ", ".")


class Interrupted(BaseException):
    """Raised by the watchdog inside an evaluation that overran its budget. A BaseException,
    so that neither sandboxed code nor a registered function's `except Exception` stops it."""


@dataclass
class _Scope:
    seconds: float
    spent: float = 0.0


_LOCAL = threading.local()


@contextmanager
def evaluation_budget(seconds: float) -> Iterator[None]:
    """All evaluations inside together may take `seconds` (and each its own limit at most)."""
    outer: _Scope | None = getattr(_LOCAL, "scope", None)
    scope = _Scope(seconds if outer is None else min(seconds, outer.seconds - outer.spent))
    _LOCAL.scope = scope
    try:
        yield
    finally:
        _LOCAL.scope = outer
        if outer is not None:
            outer.spent += scope.spent


def resident_memory() -> int:
    """Bytes of memory the process holds now (its peak where /proc is missing)."""
    try:
        with open("/proc/self/statm", "rb") as statm:
            return int(statm.read().split()[1]) * _PAGE
    except OSError:  # pragma: no cover - not Linux
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


class _CpuClock:
    """CPU time a thread has used since a moment, read cheaply: until `start()` the wall-clock
    time counts as CPU time, at most `before_start` of it; after it the thread's own clock adds
    to that.

    The evaluation's own budget caps the time before its first check at the check interval:
    an instrumented evaluation checks once it has run that long, so more wall time before the
    first check means the thread was waiting for a core or the GIL on a busy machine, not
    computing (counting it failed sound scripts under load). Uninstrumented code (a registered
    function) is bounded by the watchdog, whose clock keeps the uncapped upper bound."""

    def __init__(
        self, started: float, read: Callable[[], float], before_start: float = float("inf")
    ) -> None:
        self._read = read
        self._cap = before_start
        self.reset(started)

    def reset(self, started: float) -> None:
        self.started = started
        self._base: float | None = None
        self._before = 0.0

    def start(self, now: float) -> None:
        if self._base is None:
            self._base = self._read()
            self._before = min(now - self.started, self._cap)

    def used(self, now: float) -> float:
        if self._base is None:
            return min(now - self.started, self._cap)
        return self._before + self._read() - self._base

    # For the watchdog, which reads the same thread's clock from another thread.
    @property
    def base(self) -> float | None:
        return self._base

    @property
    def before(self) -> float:
        return self._before


class Budget:
    """What one evaluation may use. Exceeding any limit raises SandboxError."""

    MAX_SECONDS = 1.0  # CPU time of one evaluation
    RUN_SECONDS = 3.0  # of all evaluations in one engine run or one process's deploy checks
    WALL_SECONDS = 10.0  # of one evaluation however it spends it (waiting included)
    MAX_ITERATIONS = 1_000_000  # loop iterations, comprehension steps and calls in all
    MAX_DEPTH = 50  # nested calls of functions a script defines
    MAX_MEMORY = 128 * _MB  # growth of the process's memory during the evaluation

    def __init__(self) -> None:
        self.cpu = _CpuClock(0.0, time.thread_time, before_start=_CHECK_EVERY)
        self.watch = Watch(self)
        self.reset()

    def reset(self) -> None:
        """Start a new evaluation (a budget is reused: making one costs more than most
        evaluations do)."""
        self.started = _monotonic()
        self.scope: _Scope | None = getattr(_LOCAL, "scope", None)
        seconds = self.MAX_SECONDS
        if self.scope is not None:
            seconds = max(0.0, min(seconds, self.scope.seconds - self.scope.spent))
        self.seconds = seconds
        self.next_check = self.started + min(_CHECK_EVERY, seconds)
        self.cpu.reset(self.started)
        self.iterations = 0
        self.depth = 0
        self.memory_base: int | None = None
        self.exceeded: str | None = None

    # -- called from sandboxed code ----------------------------------------------------------

    def tick(self) -> None:
        self.iterations += 1
        if self.iterations > self.MAX_ITERATIONS or _monotonic() >= self.next_check:
            self._step()

    def steps(self, iterable: Iterable[Any]) -> Iterator[Any]:
        """Iterate with a tick per item (inlined: this is the hot path of every loop)."""
        for item in iterable:
            self.iterations += 1
            if self.iterations > self.MAX_ITERATIONS or _monotonic() >= self.next_check:
                self._step()
            yield item

    def check(self) -> None:
        if _monotonic() >= self.next_check:
            self._check()

    def enter(self) -> None:
        self.tick()
        self.depth += 1
        if self.depth > self.MAX_DEPTH:
            self.exceed(f"recursie te diep: meer dan {self.MAX_DEPTH} geneste aanroepen")

    def leave(self) -> None:
        self.depth -= 1

    def grow(self, size: int) -> None:
        """About to make an object of about `size` bytes: refuse it if memory would overrun."""
        self.check()
        if size >= _MB:
            self._check_memory(size)

    # -- limits --------------------------------------------------------------------------------

    def exceed(self, message: str) -> None:
        if self.exceeded is None:
            self.exceeded = message
        self.next_check = float("-inf")  # every later check fails too
        raise SandboxError(self.exceeded)

    def time_message(self) -> str:
        if self.scope is not None and self.seconds < self.MAX_SECONDS:
            return (
                "script loopt te lang: alle berekeningen samen meer dan "
                f"{dutch(self.scope.seconds)} s rekentijd"
            )
        return f"script loopt te lang: meer dan {dutch(self.MAX_SECONDS)} s rekentijd"

    def _step(self) -> None:
        if self.iterations > self.MAX_ITERATIONS:
            self.exceed(f"script loopt te lang: meer dan {dutch(self.MAX_ITERATIONS)} herhalingen")
        self._check()

    def _check(self) -> None:
        if self.exceeded is not None:
            raise SandboxError(self.exceeded)
        now = _monotonic()
        self.cpu.start(now)
        used = self.cpu.used(now)
        if used >= self.seconds:
            self.exceed(self.time_message())
        if now - self.started >= self.WALL_SECONDS:
            self.exceed(f"script loopt te lang: na {dutch(self.WALL_SECONDS)} s nog niet klaar")
        self._check_memory(0)
        self.next_check = now + min(_CHECK_EVERY, self.seconds - used)

    def _check_memory(self, coming: int) -> None:
        now = resident_memory()
        if self.memory_base is None:
            self.memory_base = now
        if now + coming - self.memory_base > self.MAX_MEMORY:
            self.exceed(
                f"script gebruikt te veel geheugen: meer dan {dutch(self.MAX_MEMORY // _MB)} MB"
            )

    def finish(self) -> float:
        """The time the evaluation took, booked on the enclosing evaluation_budget."""
        used = self.cpu.used(_monotonic())
        if self.scope is not None:
            self.scope.spent += used
        return used


# -- the watchdog ----------------------------------------------------------------------------


def _thread_clock(thread: int) -> Callable[[], float]:
    try:
        clock = time.pthread_getcpuclockid(thread)
        return lambda: time.clock_gettime(clock)
    except (AttributeError, OSError):  # pragma: no cover - no per-thread CPU clocks here
        return _monotonic


class Watch:
    def __init__(self, budget: Budget) -> None:
        self.budget = budget
        self.thread = 0
        self.read: Callable[[], float] | None = None  # the thread's CPU clock, read from here
        self.fired = False


def _raise_in(thread: int, exception: type[BaseException] | None) -> None:
    ctypes.pythonapi.PyThreadState_SetAsyncExc(
        ctypes.c_ulong(thread), ctypes.py_object(exception) if exception is not None else None
    )


class Watchdog:
    GRACE = 0.5  # beyond the budget: the evaluation's own checks come first
    POLL = 0.1

    def __init__(self) -> None:
        self._reset()
        os.register_at_fork(after_in_child=self._reset)

    def _reset(self) -> None:
        self._lock = threading.Lock()
        self._watched: set[Watch] = set()
        self._thread: threading.Thread | None = None

    def watch(self, budget: Budget) -> Watch:
        entry = budget.watch
        entry.thread = threading.get_ident()
        entry.read = None
        entry.fired = False
        with self._lock:
            self._watched.add(entry)
            if self._thread is None:
                self._thread = threading.Thread(
                    target=self._run, name="stroom-sandbox-watchdog", daemon=True
                )
                self._thread.start()
        return entry

    def unwatch(self, entry: Watch) -> None:
        """Ends the watch; an interruption fired but not yet raised is withdrawn. The caller
        reads `entry.fired` to learn that the evaluation ran out of time."""
        with self._lock:
            self._watched.discard(entry)
            if entry.fired:
                _raise_in(entry.thread, None)

    def _run(self) -> None:
        while True:
            time.sleep(self.POLL)
            with self._lock:
                for entry in list(self._watched):
                    if self._overran(entry, _monotonic()):
                        # Removed when fired: one interruption per evaluation, never a stray
                        # one in whatever the thread does after the evaluation has ended.
                        self._watched.discard(entry)
                        entry.fired = True
                        _raise_in(entry.thread, Interrupted)
                        log.warning("sandboxed evaluation in thread %s interrupted", entry.thread)

    def _overran(self, entry: Watch, now: float) -> bool:
        """Past the wall-clock ceiling, or past the CPU budget by the thread's own clock. The
        CPU counts from where the evaluation started its clock (at its first check, or when
        it called a registered function), read on the thread's clock from here: the same
        figure the evaluation's own checks use. Before that the evaluation has run less than
        a check interval or only waited, and only the wall-clock ceiling applies (counting
        the wall time up to this thread's first look as CPU fired on a loaded machine,
        where this thread itself may look late)."""
        budget = entry.budget
        if now - budget.started > budget.WALL_SECONDS + self.GRACE:
            return True
        clock = budget.cpu
        if clock.base is None:
            return False
        if entry.read is None:
            entry.read = _thread_clock(entry.thread)
        if entry.read is _monotonic:  # pragma: no cover - no per-thread CPU clocks here
            return False  # another clock than the evaluation's: the wall ceiling decides
        used = clock.before + entry.read() - clock.base
        return used > budget.seconds + self.GRACE


WATCHDOG = Watchdog()
