"""Issue 18, conditional events: what a condition sees of a parallel branch that ended in an
earlier transition (Camunda 7 keeps its writes in the process scope; here they wait at the
join or the scope's end join, and the condition reads them there: these tests failed before
`spiff_fixes.waiting_branches`), and migration and modification of an instance waiting at
one."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from app.engine import service
from app.engine.deploy import parse_files
from app.engine.errors import DeploymentError
from app.engine.migration import default_mapping, migrate
from app.engine.models import ProcessVersion, Timer
from app.engine.modification import modify
from app.engine.timers import drain_timers
from tests.engine.test_conditional_events import (
    FIELDS,
    HEAD,
    TAIL,
    WAIT,
    boundary,
    complete,
    condition,
    deploy,
    met,
    opened,
)
from tests.support.camunda import write_diagram
from tests.support.engine import FIXTURES, instance, start

HIGH = condition("${bedrag &gt; 1000}")
# Branch A writes the amount and ends (at an end event, or at a join it waits at); branch B
# reaches the condition only after that, in a later transition.
ENDED = f"""
    <bpmn:startEvent id="s" />
    <bpmn:parallelGateway id="split" />
    <bpmn:userTask id="schrijven" />
    <bpmn:endEvent id="e1" />
    <bpmn:userTask id="wachten" />
    <bpmn:intermediateCatchEvent id="hoog">{HIGH}
    </bpmn:intermediateCatchEvent>
    <bpmn:userTask id="na" />
    <bpmn:endEvent id="e2" />
    <bpmn:sequenceFlow id="f1" sourceRef="s" targetRef="split" />
    <bpmn:sequenceFlow id="f2" sourceRef="split" targetRef="schrijven" />
    <bpmn:sequenceFlow id="f3" sourceRef="schrijven" targetRef="e1" />
    <bpmn:sequenceFlow id="f4" sourceRef="split" targetRef="wachten" />
    <bpmn:sequenceFlow id="f5" sourceRef="wachten" targetRef="hoog" />
    <bpmn:sequenceFlow id="f6" sourceRef="hoog" targetRef="na" />
    <bpmn:sequenceFlow id="f7" sourceRef="na" targetRef="e2" />"""

AT_JOIN = f"""
    <bpmn:startEvent id="s" />
    <bpmn:parallelGateway id="split" />
    <bpmn:userTask id="schrijven" />
    <bpmn:parallelGateway id="join" />
    <bpmn:userTask id="wachten" />
    <bpmn:intermediateCatchEvent id="hoog">{HIGH}
    </bpmn:intermediateCatchEvent>
    <bpmn:userTask id="na" />
    <bpmn:endEvent id="e2" />
    <bpmn:sequenceFlow id="f1" sourceRef="s" targetRef="split" />
    <bpmn:sequenceFlow id="f2" sourceRef="split" targetRef="schrijven" />
    <bpmn:sequenceFlow id="f3" sourceRef="schrijven" targetRef="join" />
    <bpmn:sequenceFlow id="f4" sourceRef="split" targetRef="wachten" />
    <bpmn:sequenceFlow id="f5" sourceRef="wachten" targetRef="hoog" />
    <bpmn:sequenceFlow id="f6" sourceRef="hoog" targetRef="join" />
    <bpmn:sequenceFlow id="f7" sourceRef="join" targetRef="na" />
    <bpmn:sequenceFlow id="f8" sourceRef="na" targetRef="e2" />"""


def _later(clock) -> None:  # type: ignore[no-untyped-def]
    """Transitions apart in time, as in real use: what a transition wrote is told from
    what an earlier one wrote by the time its tasks changed state."""
    clock.advance(timedelta(seconds=1))


def test_a_value_from_a_branch_that_ended_is_seen(db, clock, tmp_path: Path) -> None:
    deploy(db, tmp_path, "beeindigd", ENDED)
    instance_id = start(db, "beeindigd", "B-1", {"bedrag": 1, "schuld": 1, "deler": 1})
    _later(clock)
    complete(db, instance_id, "schrijven", {"bedrag": 2000})
    assert opened(db, instance_id) == ["wachten"]
    _later(clock)
    complete(db, instance_id, "wachten")
    assert opened(db, instance_id) == ["na"]
    _later(clock)
    complete(db, instance_id, "na")
    row = instance(db, instance_id)
    assert row.status == "completed" and row.data["bedrag"] == 2000


def test_a_value_from_a_branch_waiting_at_a_join_is_seen(db, clock, tmp_path: Path) -> None:
    deploy(db, tmp_path, "bijjoin", AT_JOIN)
    instance_id = start(db, "bijjoin", "B-1", {"bedrag": 1, "schuld": 1, "deler": 1})
    _later(clock)
    complete(db, instance_id, "schrijven", {"bedrag": 2000})
    _later(clock)
    complete(db, instance_id, "wachten")
    assert opened(db, instance_id) == ["na"]


THREE = f"""
    <bpmn:startEvent id="s" />
    <bpmn:parallelGateway id="split" />
    <bpmn:scriptTask id="schrijven" scriptFormat="python"><bpmn:script>bedrag = 2000</bpmn:script>
    </bpmn:scriptTask>
    <bpmn:endEvent id="e1" />
    <bpmn:userTask id="ander" />
    <bpmn:endEvent id="e3" />
    <bpmn:userTask id="wachten" />
    <bpmn:intermediateCatchEvent id="hoog">{HIGH}
    </bpmn:intermediateCatchEvent>
    <bpmn:userTask id="na" />
    <bpmn:endEvent id="e2" />
    <bpmn:sequenceFlow id="f1" sourceRef="s" targetRef="split" />
    <bpmn:sequenceFlow id="f2" sourceRef="split" targetRef="schrijven" />
    <bpmn:sequenceFlow id="f3" sourceRef="schrijven" targetRef="e1" />
    <bpmn:sequenceFlow id="f4" sourceRef="split" targetRef="wachten" />
    <bpmn:sequenceFlow id="f5" sourceRef="wachten" targetRef="hoog" />
    <bpmn:sequenceFlow id="f6" sourceRef="hoog" targetRef="na" />
    <bpmn:sequenceFlow id="f7" sourceRef="na" targetRef="e2" />
    <bpmn:sequenceFlow id="f8" sourceRef="split" targetRef="ander" />
    <bpmn:sequenceFlow id="f9" sourceRef="ander" targetRef="e3" />"""


def test_a_value_from_a_script_branch_that_ended_at_the_start_is_seen(
    db, clock, tmp_path: Path
) -> None:
    deploy(db, tmp_path, "drie", THREE)
    instance_id = start(db, "drie", "B-1", {"bedrag": 1, "schuld": 1, "deler": 1})
    # The case data shows it too, as the condition sees it.
    assert instance(db, instance_id).data["bedrag"] == 2000
    _later(clock)
    complete(db, instance_id, "ander")
    _later(clock)
    complete(db, instance_id, "wachten")
    assert opened(db, instance_id) == ["na"]


def test_values_from_two_branches_that_ended_are_both_seen(db, clock, tmp_path: Path) -> None:
    body = THREE.replace(
        "${{bedrag &gt; 1000}}", "${{bedrag &gt; 1000 &amp;&amp; schuld &gt; 5000}}"
    )
    body = THREE.replace("${bedrag &gt; 1000}", "${bedrag &gt; 1000 &amp;&amp; schuld &gt; 5000}")
    deploy(db, tmp_path, "twee", body)
    instance_id = start(db, "twee", "B-1", {"bedrag": 1, "schuld": 1, "deler": 1})
    _later(clock)
    complete(db, instance_id, "ander", {"schuld": 6000})
    _later(clock)
    complete(db, instance_id, "wachten")
    assert opened(db, instance_id) == ["na"]


# -- migration and modification of an instance waiting at a condition ---------------------------


def test_migration_keeps_the_wait_and_the_new_version_s_condition_applies(
    db, clock, tmp_path: Path
) -> None:
    deploy(db, tmp_path, "migreer", WAIT)
    instance_id = start(db, "migreer", "B-1", {"bedrag": 1, "schuld": 1, "deler": 1})
    deploy(db, tmp_path, "migreer", WAIT.replace("bedrag &gt; 1000", "bedrag &gt; 500"))
    with db.session() as session:
        [old, new] = sorted(session.scalars(select(ProcessVersion.id)).all())
        mapping = default_mapping(session, old, new)
    _later(clock)
    with db.transaction() as session:
        plan = migrate(session, instance_id, new, mapping, "beheer", dry_run=False)
    assert plan.done and {m.element for m in plan.moves} == {"hoog", "schatten"}
    assert met(db, instance_id) == []  # nothing changed: not evaluated yet
    _later(clock)
    complete(db, instance_id, "schatten", {"bedrag": 700})  # true only by the new condition
    assert met(db, instance_id) == ["hoog"]
    _later(clock)
    complete(db, instance_id, "vaststellen")
    row = instance(db, instance_id)
    assert row.status == "completed" and row.data["pad"] == "hoog"


def test_modification_withdraws_a_waiting_condition(db, clock, tmp_path: Path) -> None:
    deploy(db, tmp_path, "verplaats", WAIT)
    instance_id = start(db, "verplaats", "B-1", {"bedrag": 1, "schuld": 1, "deler": 1})
    _later(clock)
    with db.transaction() as session:
        modify(session, instance_id, ["hoog"], "noteer", "beheer", dry_run=False)
    _later(clock)
    complete(db, instance_id, "schatten", {"bedrag": 5000})
    assert met(db, instance_id) == []  # withdrawn: it does not fire any more
    _later(clock)
    complete(db, instance_id, "vaststellen")
    row = instance(db, instance_id)
    assert row.status == "completed" and row.data["pad"] == "hoog"


def test_a_token_started_at_a_condition_that_holds_passes_at_once(
    db, clock, tmp_path: Path
) -> None:
    deploy(db, tmp_path, "start_bij", ENDED)
    instance_id = start(db, "start_bij", "B-1", {"bedrag": 2000, "schuld": 1, "deler": 1})
    _later(clock)
    with db.transaction() as session:
        modify(session, instance_id, ["wachten"], "hoog", "beheer", dry_run=False)
    assert met(db, instance_id) == ["hoog"]
    assert opened(db, instance_id) == ["na", "schrijven"]


def test_modification_of_the_host_withdraws_its_conditional_boundary(
    db, clock, tmp_path: Path
) -> None:
    deploy(db, tmp_path, "grens", boundary("true"))
    instance_id = start(db, "grens", "B-1", {"bedrag": 1, "schuld": 1, "deler": 1})
    _later(clock)
    with db.transaction() as session:
        modify(session, instance_id, ["behandelen"], "schuldhulp", "beheer", dry_run=False)
    assert opened(db, instance_id) == ["bijwerken", "schuldhulp"]
    _later(clock)
    complete(db, instance_id, "bijwerken", {"schuld": 6000})
    assert met(db, instance_id) == []  # its activity is gone
    assert opened(db, instance_id) == ["schuldhulp"]
    _later(clock)
    complete(db, instance_id, "schuldhulp")
    _later(clock)
    with db.transaction() as session:
        service.deliver_message(session, "bijgewerkt", "B-1", {})
    assert instance(db, instance_id).status == "completed"


def test_modification_of_the_host_withdraws_its_timer_boundary(db, clock, tmp_path: Path) -> None:
    """The same for a timer: its wait-state row goes with the activity."""
    timer = (
        "<bpmn:timerEventDefinition><bpmn:timeDuration>PT1H</bpmn:timeDuration>"
        "</bpmn:timerEventDefinition>"
    )
    body = boundary("true").replace(condition("${schuld &gt; 5000}"), timer)
    deploy(db, tmp_path, "tijdgrens", body)
    instance_id = start(db, "tijdgrens", "B-1", {"bedrag": 1, "schuld": 1, "deler": 1})
    _later(clock)
    with db.transaction() as session:
        modify(session, instance_id, ["behandelen"], "schuldhulp", "beheer", dry_run=False)
    with db.session() as session:
        statuses = session.scalars(select(Timer.status).where(Timer.instance_id == instance_id))
        assert list(statuses) == ["cancelled"]
    clock.advance(timedelta(hours=2))
    assert drain_timers(db, 10) == 0
    assert opened(db, instance_id) == ["bijwerken", "schuldhulp"]


def test_a_condition_in_double_braces_is_refused(tmp_path: Path) -> None:
    """`${{bedrag > 1000}}` is no JUEL; translated it was a Python set, always true (the
    first version of the tests above passed through one)."""
    xml = (
        HEAD.format(key="accolades")
        + WAIT.replace("${bedrag &gt; 1000}", "${{bedrag &gt; 1000}}")
        + TAIL
    )
    path = write_diagram(tmp_path, "accolades", xml, FIELDS, ["bedrag", "schuld", "deler"])
    with pytest.raises(DeploymentError) as caught:
        parse_files([path], FIXTURES)
    [problem] = caught.value.problems
    assert problem.element == "hoog" and problem.line
    assert "dubbele accolades" in problem.message


def test_migration_keeps_a_conditional_boundary_with_the_new_condition(
    db, clock, tmp_path: Path
) -> None:
    deploy(db, tmp_path, "grensmigratie", boundary("true"))
    instance_id = start(db, "grensmigratie", "B-1", {"bedrag": 1, "schuld": 1, "deler": 1})
    deploy(db, tmp_path, "grensmigratie", boundary("true", "${schuld &gt; 500}"))
    with db.session() as session:
        [old, new] = sorted(session.scalars(select(ProcessVersion.id)).all())
        mapping = default_mapping(session, old, new)
    _later(clock)
    with db.transaction() as session:
        assert migrate(session, instance_id, new, mapping, "beheer", dry_run=False).done
    _later(clock)
    complete(db, instance_id, "bijwerken", {"schuld": 700})  # true only by the new condition
    assert met(db, instance_id) == ["te_hoog"]
    assert opened(db, instance_id) == ["schuldhulp"]  # interrupting: behandelen is gone


GATEWAY_AFTER = """
    <bpmn:startEvent id="s" />
    <bpmn:parallelGateway id="split" />
    <bpmn:userTask id="schrijven" />
    <bpmn:endEvent id="e1" />
    <bpmn:userTask id="wachten" />
    <bpmn:exclusiveGateway id="keuze" default="fnee" />
    <bpmn:userTask id="hoog" />
    <bpmn:userTask id="laag" />
    <bpmn:sequenceFlow id="f1" sourceRef="s" targetRef="split" />
    <bpmn:sequenceFlow id="f2" sourceRef="split" targetRef="schrijven" />
    <bpmn:sequenceFlow id="f3" sourceRef="schrijven" targetRef="e1" />
    <bpmn:sequenceFlow id="f4" sourceRef="split" targetRef="wachten" />
    <bpmn:sequenceFlow id="f5" sourceRef="wachten" targetRef="keuze" />
    <bpmn:sequenceFlow id="fja" sourceRef="keuze" targetRef="hoog">
      <bpmn:conditionExpression xsi:type="bpmn:tFormalExpression">${bedrag &gt; 1000}
      </bpmn:conditionExpression>
    </bpmn:sequenceFlow>
    <bpmn:sequenceFlow id="fnee" sourceRef="keuze" targetRef="laag" />"""


@pytest.mark.xfail(
    strict=True,
    reason="known difference (docs/bpmn-support.md): outside conditional events a branch "
    "reads its own copy of the variables until a join merges the branches",
)
def test_a_gateway_in_another_branch_sees_what_a_branch_wrote(db, clock, tmp_path: Path) -> None:
    """Camunda 7 keeps one variable per scope: the gateway in the second branch sees the
    amount the first branch wrote. Here it does not yet (found while testing the
    conditional case; not refused)."""
    deploy(db, tmp_path, "kiezen", GATEWAY_AFTER)
    instance_id = start(db, "kiezen", "B-1", {"bedrag": 1, "schuld": 1, "deler": 1})
    _later(clock)
    complete(db, instance_id, "schrijven", {"bedrag": 2000})
    _later(clock)
    complete(db, instance_id, "wachten")
    assert opened(db, instance_id) == ["hoog"]
