"""Issue 18, conditional events: what a condition sees of a parallel branch that ended in an
earlier transition, and migration and modification of an instance waiting at one."""

from __future__ import annotations

from pathlib import Path

from tests.engine.test_conditional_events import complete, condition, deploy, opened
from tests.support.engine import instance, start

# Branch A writes the amount and ends (at an end event, or at a join it waits at); branch B
# reaches the condition only after that, in a later transition.
ENDED = f"""
    <bpmn:startEvent id="s" />
    <bpmn:parallelGateway id="split" />
    <bpmn:userTask id="schrijven" />
    <bpmn:endEvent id="e1" />
    <bpmn:userTask id="wachten" />
    <bpmn:intermediateCatchEvent id="hoog">{condition("${{bedrag &gt; 1000}}")}
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
    <bpmn:intermediateCatchEvent id="hoog">{condition("${{bedrag &gt; 1000}}")}
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


def test_a_value_from_a_branch_that_ended_is_seen(db, clock, tmp_path: Path) -> None:
    deploy(db, tmp_path, "beeindigd", ENDED)
    instance_id = start(db, "beeindigd", "B-1", {"bedrag": 1, "schuld": 1, "deler": 1})
    complete(db, instance_id, "schrijven", {"bedrag": 2000})
    assert opened(db, instance_id) == ["wachten"]
    complete(db, instance_id, "wachten")
    assert opened(db, instance_id) == ["na"]
    complete(db, instance_id, "na")
    row = instance(db, instance_id)
    assert row.status == "completed" and row.data["bedrag"] == 2000


def test_a_value_from_a_branch_waiting_at_a_join_is_seen(db, clock, tmp_path: Path) -> None:
    deploy(db, tmp_path, "bijjoin", AT_JOIN)
    instance_id = start(db, "bijjoin", "B-1", {"bedrag": 1, "schuld": 1, "deler": 1})
    complete(db, instance_id, "schrijven", {"bedrag": 2000})
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
    <bpmn:intermediateCatchEvent id="hoog">{condition("${{bedrag &gt; 1000}}")}
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
    complete(db, instance_id, "ander")
    complete(db, instance_id, "wachten")
    assert opened(db, instance_id) == ["na"]


def test_values_from_two_branches_that_ended_are_both_seen(db, clock, tmp_path: Path) -> None:
    body = THREE.replace(
        "${{bedrag &gt; 1000}}", "${{bedrag &gt; 1000 &amp;&amp; schuld &gt; 5000}}"
    )
    body = THREE.replace("${bedrag &gt; 1000}", "${bedrag &gt; 1000 &amp;&amp; schuld &gt; 5000}")
    deploy(db, tmp_path, "twee", body)
    instance_id = start(db, "twee", "B-1", {"bedrag": 1, "schuld": 1, "deler": 1})
    complete(db, instance_id, "ander", {"schuld": 6000})
    complete(db, instance_id, "wachten")
    assert opened(db, instance_id) == ["na"]
