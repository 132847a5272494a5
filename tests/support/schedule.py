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

# Seconds of each file's tests (setup, call and teardown, both databases) in one run with two
# workers on the shared 2-core machine, before this file existed: only their order matters.
# The forty most expensive files; the others averaged SECONDS_PER_TEST a test. The catalogue
# editor's and the form editor's were lowered by the ratio measured when their checks got
# cheaper (YAML trees kept per text, no copy of the forms per check; the form editor's again
# when its checks of unchanged forms shared one parse per process: 34 -> 24 s of CPU).
COSTS: dict[str, float] = {
    "tests/browser/test_every_role.py": 289,
    # Added after the list was measured: the stuck facts' comparison with the rule (one test
    # per database, 35-60 s each, measured on two workers at load 5; a quarter less since
    # its counts and page are checked against the rule's rows, and less than half of that
    # since the list keeps its statements: 95 -> 45 s for the file on two workers).
    "tests/manage/test_stuck_facts.py": 40,
    "tests/api/test_schemathesis.py": 195,
    "tests/processes/test_haarlem_preventie.py": 109,
    "tests/browser/test_form_editor.py": 60,
    "tests/conformance/test_conformance.py": 74,
    "tests/modelling/test_catalogue_editor.py": 65,
    "tests/processes/test_weert_generators.py": 65,
    "tests/security/test_sandbox_limits.py": 64,
    "tests/intake/test_batches.py": 61,
    "tests/test_simulate.py": 53,
    "tests/browser/test_every_page.py": 51,
    "tests/modelling/test_modeller_pages.py": 50,
    "tests/browser/test_catalogue_editor.py": 43,
    "tests/processes/test_utrecht_vh.py": 41,
    "tests/ops/test_logs.py": 41,
    "tests/browser/test_inbox.py": 39,
    "tests/privacy/test_views.py": 36,
    "tests/test_authorization.py": 35,
    "tests/processes/test_hollands_kroon_vroegsignalering.py": 35,
    "tests/processes/test_weert_routes.py": 34,
    "tests/test_migrations.py": 29,
    "tests/modelling/test_deployments.py": 28,
    "tests/processes/test_weert_results.py": 28,
    "tests/manage/test_bulk.py": 26,
    "tests/manage/test_repair_page.py": 25,
    "tests/privacy/test_consent.py": 24,
    "tests/manage/test_stuck.py": 24,
    "tests/processes/test_weert_vroegsignalering.py": 23,
    "tests/security/test_auth_second_factor.py": 22,
    "tests/manage/test_instance_page.py": 21,
    "tests/processes/test_diemen_werkproces.py": 20,
    "tests/browser/test_modeller.py": 20,
    "tests/security/test_input_json.py": 19,
    "tests/engine/test_signals.py": 18,
    "tests/engine/test_camunda_rules.py": 18,
    "tests/intake/test_api.py": 17,
    "tests/security/test_api_start.py": 16,
    "tests/modelling/test_export.py": 16,
    "tests/security/test_sandbox_incidents.py": 16,
    "tests/security/test_unicode.py": 15,
}
SECONDS_PER_TEST = 0.4
# Files that alone take longer than a fair share of a worker's run. Their tests are
# independent; the every-role walk loads its demo once per part.
PARTS = {
    "tests/browser/test_every_role.py": 3,
    "tests/api/test_schemathesis.py": 2,
    "tests/manage/test_stuck_facts.py": 2,
}


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
