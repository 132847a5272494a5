"""Issue 18, conditional events: what a condition sees of a parallel branch that ended in an
earlier transition (Camunda 7 keeps its writes in the process scope; here they wait at the
join or the scope's end join, and the condition reads them there: these tests failed before
`spiff_fixes.waiting_branches`), and migration and modification of an instance waiting at
one."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from app.engine import service
from app.engine.deploy import parse_files
from app.engine.errors import DeploymentError, Problem
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


def _parse(tmp_path: Path, key: str, body: str) -> list[Problem]:
    """The problems deploy finds in the diagram (none: it deploys); forms in tmp_path."""
    folder = tmp_path / key
    folder.mkdir(exist_ok=True)
    xml = HEAD.format(key=key) + body + TAIL
    path = write_diagram(
        folder, key, xml, FIELDS, ["bedrag", "schuld", "deler"], defaults={"verdubbeld": 0}
    )
    try:
        parse_files([path], [tmp_path, FIXTURES])
    except DeploymentError as error:
        return list(error.problems)
    return []


WRITES = """<bpmn:scriptTask id="schrijven" scriptFormat="python">
      <bpmn:script>bedrag = 2000</bpmn:script></bpmn:scriptTask>"""


def test_a_gateway_reading_what_another_branch_writes_is_refused(tmp_path: Path) -> None:
    """Camunda 7 keeps one variable per scope: the gateway in the second branch would see
    the amount the first branch wrote. Here a branch reads its own copy until a join, so
    deploy refuses it (this was a known difference, pinned as an expected failure)."""
    body = GATEWAY_AFTER.replace('<bpmn:userTask id="schrijven" />', WRITES)
    [problem] = _parse(tmp_path, "kiezen", body)
    assert problem.element == "keuze"
    assert (
        problem.line
        and 'id="keuze"'
        in (tmp_path / "kiezen" / "kiezen.bpmn").read_text().splitlines()[problem.line - 1]
    )
    assert "voorwaarde leest 'bedrag'" in problem.message
    assert "'schrijven' schrijft in een andere tak van de splitsing 'split'" in problem.message
    assert "pas na de samenvoegende gateway" in problem.message


JOINED = """
    <bpmn:startEvent id="s" />
    <bpmn:parallelGateway id="split" />
    <bpmn:scriptTask id="schrijven" scriptFormat="python"><bpmn:script>bedrag = 2000</bpmn:script>
    </bpmn:scriptTask>
    <bpmn:userTask id="wachten" />
    <bpmn:parallelGateway id="join" />
    <bpmn:exclusiveGateway id="keuze" default="fnee" />
    <bpmn:userTask id="hoog" />
    <bpmn:userTask id="laag" />
    <bpmn:sequenceFlow id="f1" sourceRef="s" targetRef="split" />
    <bpmn:sequenceFlow id="f2" sourceRef="split" targetRef="schrijven" />
    <bpmn:sequenceFlow id="f3" sourceRef="schrijven" targetRef="join" />
    <bpmn:sequenceFlow id="f4" sourceRef="split" targetRef="wachten" />
    <bpmn:sequenceFlow id="f5" sourceRef="wachten" targetRef="join" />
    <bpmn:sequenceFlow id="f6" sourceRef="join" targetRef="keuze" />
    <bpmn:sequenceFlow id="fja" sourceRef="keuze" targetRef="hoog">
      <bpmn:conditionExpression xsi:type="bpmn:tFormalExpression">${bedrag &gt; 1000}
      </bpmn:conditionExpression>
    </bpmn:sequenceFlow>
    <bpmn:sequenceFlow id="fnee" sourceRef="keuze" targetRef="laag" />"""


def test_a_gateway_after_the_join_may_read_what_a_branch_wrote(tmp_path: Path) -> None:
    assert _parse(tmp_path, "samen", JOINED) == []


def test_a_branch_reading_what_it_wrote_itself_just_before_deploys(tmp_path: Path) -> None:
    """Both branches write the amount; the gateway reads the value its own branch's script
    set just before it (no wait in between): the same in Camunda 7."""
    body = GATEWAY_AFTER.replace('<bpmn:userTask id="schrijven" />', WRITES).replace(
        '<bpmn:userTask id="wachten" />',
        '<bpmn:scriptTask id="wachten" scriptFormat="python">'
        "<bpmn:script>bedrag = 10</bpmn:script></bpmn:scriptTask>",
    )
    assert _parse(tmp_path, "eigen", body) == []


def test_a_script_in_a_branch_reading_a_sibling_s_write_is_refused(tmp_path: Path) -> None:
    body = GATEWAY_AFTER.replace('<bpmn:userTask id="schrijven" />', WRITES).replace(
        '<bpmn:userTask id="wachten" />',
        '<bpmn:scriptTask id="wachten" scriptFormat="python">'
        "<bpmn:script>verdubbeld = bedrag * 2</bpmn:script></bpmn:scriptTask>",
    )
    problems = _parse(tmp_path, "script", body)
    assert {(p.element, p.message.split(",")[0]) for p in problems} >= {
        ("wachten", "script leest 'bedrag'")
    }


# The amount is written after the join and read in a branch; the loop goes back before
# the split, so the branch reads the previous round's amount, as Camunda 7 would.
LOOP = """
    <bpmn:startEvent id="s" />
    <bpmn:exclusiveGateway id="lus" />
    <bpmn:parallelGateway id="split" />
    <bpmn:userTask id="wachten" />
    <bpmn:exclusiveGateway id="keuze" default="fnee" />
    <bpmn:userTask id="hoog" />
    <bpmn:userTask id="laag" />
    <bpmn:exclusiveGateway id="samen" />
    <bpmn:userTask id="anders" />
    <bpmn:parallelGateway id="join" />
    <bpmn:scriptTask id="schrijven" scriptFormat="python"><bpmn:script>bedrag = 2000</bpmn:script>
    </bpmn:scriptTask>
    <bpmn:exclusiveGateway id="nog" default="fklaar" />
    <bpmn:endEvent id="e" />
    <bpmn:sequenceFlow id="f1" sourceRef="s" targetRef="lus" />
    <bpmn:sequenceFlow id="f2" sourceRef="lus" targetRef="split" />
    <bpmn:sequenceFlow id="f3" sourceRef="split" targetRef="wachten" />
    <bpmn:sequenceFlow id="f4" sourceRef="wachten" targetRef="keuze" />
    <bpmn:sequenceFlow id="fja" sourceRef="keuze" targetRef="hoog">
      <bpmn:conditionExpression xsi:type="bpmn:tFormalExpression">${bedrag &gt; 1000}
      </bpmn:conditionExpression>
    </bpmn:sequenceFlow>
    <bpmn:sequenceFlow id="fnee" sourceRef="keuze" targetRef="laag" />
    <bpmn:sequenceFlow id="f5" sourceRef="hoog" targetRef="samen" />
    <bpmn:sequenceFlow id="f6" sourceRef="laag" targetRef="samen" />
    <bpmn:sequenceFlow id="f7" sourceRef="samen" targetRef="join" />
    <bpmn:sequenceFlow id="f8" sourceRef="split" targetRef="anders" />
    <bpmn:sequenceFlow id="f9" sourceRef="anders" targetRef="join" />
    <bpmn:sequenceFlow id="f10" sourceRef="join" targetRef="schrijven" />
    <bpmn:sequenceFlow id="f11" sourceRef="schrijven" targetRef="nog" />
    <bpmn:sequenceFlow id="fweer" sourceRef="nog" targetRef="lus">
      <bpmn:conditionExpression xsi:type="bpmn:tFormalExpression">${schuld &gt; 5}
      </bpmn:conditionExpression>
    </bpmn:sequenceFlow>
    <bpmn:sequenceFlow id="fklaar" sourceRef="nog" targetRef="e" />"""


def test_a_write_after_the_join_read_in_a_branch_of_the_next_round_deploys(
    tmp_path: Path,
) -> None:
    assert _parse(tmp_path, "ronde", LOOP) == []


def test_a_write_in_a_sibling_branch_read_in_the_next_round_is_refused(tmp_path: Path) -> None:
    """Moved into the other branch, the write may come before the read in the same round."""
    body = (
        LOOP.replace('targetRef="schrijven" />', 'targetRef="nog" />', 1)
        .replace('sourceRef="anders" targetRef="join"', 'sourceRef="anders" targetRef="schrijven"')
        .replace('sourceRef="schrijven" targetRef="nog"', 'sourceRef="schrijven" targetRef="join"')
    )
    [problem] = _parse(tmp_path, "luszij", body)
    assert problem.element == "keuze" and "'schrijven'" in problem.message


BOUNDARY = """
    <bpmn:startEvent id="s" />
    <bpmn:userTask id="behandelen" />
    <bpmn:boundaryEvent id="tussendoor" attachedToRef="behandelen" cancelActivity="false">
      <bpmn:messageEventDefinition messageRef="msg" />
    </bpmn:boundaryEvent>
    <bpmn:scriptTask id="schrijven" scriptFormat="python"><bpmn:script>bedrag = 2000</bpmn:script>
    </bpmn:scriptTask>
    <bpmn:endEvent id="e1" />
    <bpmn:exclusiveGateway id="keuze" default="fnee" />
    <bpmn:userTask id="hoog" />
    <bpmn:userTask id="laag" />
    <bpmn:sequenceFlow id="f1" sourceRef="s" targetRef="behandelen" />
    <bpmn:sequenceFlow id="f2" sourceRef="tussendoor" targetRef="schrijven" />
    <bpmn:sequenceFlow id="f3" sourceRef="schrijven" targetRef="e1" />
    <bpmn:sequenceFlow id="f4" sourceRef="behandelen" targetRef="keuze" />
    <bpmn:sequenceFlow id="fja" sourceRef="keuze" targetRef="hoog">
      <bpmn:conditionExpression xsi:type="bpmn:tFormalExpression">${bedrag &gt; 1000}
      </bpmn:conditionExpression>
    </bpmn:sequenceFlow>
    <bpmn:sequenceFlow id="fnee" sourceRef="keuze" targetRef="laag" />"""


def test_a_read_after_the_host_of_what_a_non_interrupting_boundary_path_writes_is_refused(
    tmp_path: Path,
) -> None:
    [problem] = _parse(tmp_path, "grenspad", BOUNDARY)
    assert problem.element == "keuze"
    assert "niet-onderbrekende grensgebeurtenis 'tussendoor'" in problem.message


def test_an_interrupting_boundary_path_is_no_branch(tmp_path: Path) -> None:
    assert _parse(tmp_path, "onderbreekt", BOUNDARY.replace(' cancelActivity="false"', "")) == []


EVENT_SUB = """
    <bpmn:startEvent id="s" />
    <bpmn:userTask id="behandelen" />
    <bpmn:exclusiveGateway id="keuze" default="fnee" />
    <bpmn:userTask id="hoog" />
    <bpmn:userTask id="laag" />
    <bpmn:sequenceFlow id="f1" sourceRef="s" targetRef="behandelen" />
    <bpmn:sequenceFlow id="f4" sourceRef="behandelen" targetRef="keuze" />
    <bpmn:sequenceFlow id="fja" sourceRef="keuze" targetRef="hoog">
      <bpmn:conditionExpression xsi:type="bpmn:tFormalExpression">${bedrag &gt; 1000}
      </bpmn:conditionExpression>
    </bpmn:sequenceFlow>
    <bpmn:sequenceFlow id="fnee" sourceRef="keuze" targetRef="laag" />
    <bpmn:subProcess id="bijwerken" triggeredByEvent="true">
      <bpmn:startEvent id="es" isInterrupting="false">
        <bpmn:messageEventDefinition messageRef="msg" />
      </bpmn:startEvent>
      <bpmn:scriptTask id="schrijven" scriptFormat="python">
        <bpmn:script>bedrag = 2000</bpmn:script></bpmn:scriptTask>
      <bpmn:endEvent id="ee" />
      <bpmn:sequenceFlow id="g1" sourceRef="es" targetRef="schrijven" />
      <bpmn:sequenceFlow id="g2" sourceRef="schrijven" targetRef="ee" />
    </bpmn:subProcess>"""


def test_a_read_of_what_a_non_interrupting_event_sub_process_writes_is_refused(
    tmp_path: Path,
) -> None:
    [problem] = _parse(tmp_path, "eventsub", EVENT_SUB)
    assert problem.element == "keuze"
    assert "event-subproces 'bijwerken'" in problem.message


def test_an_optional_form_field_in_another_branch_counts_as_a_write(tmp_path: Path) -> None:
    """A form field that may stay empty is no sure write (the data-flow check does not count
    it), but when it is filled in the other branch reads a stale copy: refused too."""
    form = {
        "id": "bedrag_invullen",
        "type": "default",
        "components": [{"key": "bedrag", "label": "Bedrag", "type": "number", "id": "f_b"}],
    }
    (tmp_path / "bedrag_invullen.form").write_text(json.dumps(form))
    body = GATEWAY_AFTER.replace(
        '<bpmn:userTask id="schrijven" />',
        '<bpmn:userTask id="schrijven" camunda:formKey="bedrag_invullen.form" '
        'camunda:candidateGroups="uitvoerder" />',
    )
    problems = [p for p in _parse(tmp_path, "formulier", body) if "parallelle tak" in p.message]
    assert [(p.element, "'bedrag'" in p.message) for p in problems] == [("keuze", True)]


INSIDE = """
    <bpmn:startEvent id="s" />
    <bpmn:subProcess id="binnen">
      <bpmn:startEvent id="bs" />
      <bpmn:parallelGateway id="split" />
      <bpmn:scriptTask id="schrijven" scriptFormat="python">
        <bpmn:script>bedrag = 2000</bpmn:script></bpmn:scriptTask>
      <bpmn:userTask id="wachten" />
      <bpmn:sequenceFlow id="g1" sourceRef="bs" targetRef="split" />
      <bpmn:sequenceFlow id="g2" sourceRef="split" targetRef="schrijven" />
      <bpmn:sequenceFlow id="g3" sourceRef="split" targetRef="wachten" />
    </bpmn:subProcess>
    <bpmn:exclusiveGateway id="keuze" default="fnee" />
    <bpmn:userTask id="hoog" />
    <bpmn:userTask id="laag" />
    <bpmn:sequenceFlow id="f1" sourceRef="s" targetRef="binnen" />
    <bpmn:sequenceFlow id="f2" sourceRef="binnen" targetRef="keuze" />
    <bpmn:sequenceFlow id="fja" sourceRef="keuze" targetRef="hoog">
      <bpmn:conditionExpression xsi:type="bpmn:tFormalExpression">${bedrag &gt; 1000}
      </bpmn:conditionExpression>
    </bpmn:sequenceFlow>
    <bpmn:sequenceFlow id="fnee" sourceRef="keuze" targetRef="laag" />"""


def test_the_end_of_an_embedded_sub_process_joins_its_branches(tmp_path: Path) -> None:
    """The branches inside end without a join; the sub-process ends when both did, so the
    gateway after it sees the amount (as in Camunda 7)."""
    assert _parse(tmp_path, "deelproces", INSIDE) == []
