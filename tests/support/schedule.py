"""Which test file an xdist worker runs next (scripts/test: `-n N --dist loadfile`).

xdist's loadfile hands out whole files, those with the most tests first. The number of tests
says little about a file's cost: the walk over every role's pages (23 tests) costs more than
the 383 conformance tests together, and handed out late it was the run's long tail, one
worker busy for minutes after the others had stopped. Here files go out most expensive first
(COSTS: seconds measured in one run; a file not listed counts SECONDS_PER_TEST a test), and
the files that alone would take longer than a worker's share of the run go out in PARTS
(tests dealt round-robin; their module fixtures then run once per part and worker). Within a
file the order stays as collected, and each test still runs once.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from xdist.scheduler import LoadFileScheduling

# Seconds of each file's tests (setup, call and teardown, both databases) in a run with two
# workers on the 2-core machine; only the files that cost more than a few tests' worth.
COSTS: dict[str, float] = {}
SECONDS_PER_TEST = 0.3
PARTS = {"tests/browser/test_every_role.py": 3}


def _file(nodeid: str) -> str:
    return nodeid.split("::", 1)[0]


def plan(collection: list[str]) -> dict[str, list[str]]:
    """Work units, most expensive first: scope -> its tests in the order collected."""
    counts = Counter(_file(nodeid) for nodeid in collection)
    dealt: Counter[str] = Counter()
    units: dict[str, list[str]] = {}
    for nodeid in collection:
        file = _file(nodeid)
        parts = PARTS.get(file, 1)
        scope = file if parts == 1 else f"{file}#{dealt[file] % parts}"
        dealt[file] += 1
        units.setdefault(scope, []).append(nodeid)

    def cost(scope: str) -> float:
        file = _file(scope.split("#", 1)[0])
        whole = COSTS.get(file, counts[file] * SECONDS_PER_TEST)
        return whole * len(units[scope]) / counts[file]

    return {scope: units[scope] for scope in sorted(units, key=cost, reverse=True)}


class CostFirstScheduling(LoadFileScheduling):
    """loadfile, with the work units of `plan`."""

    def __init__(self, config: Any, log: Any = None) -> None:
        super().__init__(config, log)
        self._scopes: dict[str, str] = {}

    def _split_scope(self, nodeid: str) -> str:
        return self._scopes.get(nodeid) or _file(nodeid)

    def schedule(self) -> None:
        assert self.collection_is_completed
        if self.collection is not None:  # the first distribution is done: top up the nodes
            for node in self.nodes:
                self._reschedule(node)
            return
        if not self._check_nodes_have_same_collection():
            self.log("**Different tests collected, aborting run**")
            return
        self.collection = list(next(iter(self.registered_collections.values())))
        if not self.collection:
            return
        for scope, nodeids in plan(self.collection).items():
            self.workqueue[scope] = dict.fromkeys(nodeids, False)
            self._scopes.update(dict.fromkeys(nodeids, scope))
        for _ in range(len(self.nodes) - len(self.workqueue)):  # more workers than work
            unused, _work = self.assigned_work.popitem()
            unused.shutdown()
        for node in self.nodes:
            self._assign_work_unit(node)
        for node in self.nodes:
            self._reschedule(node)
        if not self.workqueue:
            for node in self.nodes:
                node.shutdown()
