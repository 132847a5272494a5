"""Each activity's norm comes from its own process (issue 24): a setting for the activity, its
due date, or a timer on its boundary; none is invented."""

from __future__ import annotations

from pathlib import Path

import pytest
from lxml import etree

from app import yaml_safe
from app.manage.norms import Norm, norm
from tests.conftest import ROOT

BPMN = "{http://www.omg.org/spec/BPMN/20100524/MODEL}"


def _process(key: str) -> tuple[str, dict]:
    xml = (ROOT / "bpmn" / f"{key}.bpmn").read_text("utf-8")
    catalogue = yaml_safe.load((ROOT / "bpmn" / f"{key}.catalogus.yaml").read_text("utf-8"))
    return xml, {k: v["waarde"] for k, v in (catalogue.get("instellingen") or {}).items()}


@pytest.mark.parametrize(
    ("process", "element", "expected"),
    [
        # Haarlem art. 3.4: the wijkteam contacts the tenant within 5 working days.
        ("haarlem_preventie", "contact_opnemen", Norm(5, "werkdagen", "termijn")),
        ("haarlem_preventie", "contact_opnemen_vroeg", Norm(5, "werkdagen", "termijn")),
        # The proposal within two weeks: 7 * voorstel_weken calendar days.
        ("haarlem_preventie", "voorstel_opstellen", Norm(14, "dagen", "termijn")),
        # Counted back from the bailiff's or eviction date: a deadline, not a norm.
        ("haarlem_preventie", "melden_bij_wijkteam", None),
        ("haarlem_preventie", "troubleshooter_actie", None),
        ("diemen_werkproces", "schuldregeling_onderzoeken", Norm(10, "werkdagen", "termijn")),
        ("hollands_kroon_vroegsignalering", "contactpoging", Norm(5, "werkdagen", "termijn")),
        ("utrecht_vh", "dossier_aanvullen", Norm(3, "dagen", "termijn")),
        ("utrecht_vh", "beoordelen", None),  # the diagram sets no term: "–", not 10
    ],
)
def test_norms_of_the_five_processes(process: str, element: str, expected: Norm | None) -> None:
    xml, settings = _process(process)
    assert norm(xml, element, settings.get) == expected


def test_every_activity_of_every_process_has_a_norm_or_none() -> None:
    for path in sorted((ROOT / "bpmn").glob("*.bpmn")):
        xml, settings = _process(path.stem)
        for task in etree.fromstring(xml.encode()).iter(f"{BPMN}userTask", f"{BPMN}receiveTask"):
            found = norm(xml, task.get("id"), settings.get)
            assert found is None or (found.amount > 0 and found.unit in ("werkdagen", "dagen"))


def test_a_municipalitys_own_value_and_an_activity_setting_win() -> None:
    xml, settings = _process("haarlem_preventie")
    own = {**settings, "contact_werkdagen": 3}
    assert norm(xml, "contact_opnemen", own.get) == Norm(3, "werkdagen", "termijn")
    assert norm(xml, "contact_opnemen", settings.get, own=8) == Norm(8, "werkdagen", "instelling")


def test_a_boundary_timer_gives_the_norm(tmp_path: Path) -> None:
    xml = f"""<?xml version="1.0"?>
<bpmn:definitions xmlns:bpmn="{BPMN[1:-1]}" id="d">
  <bpmn:process id="p" isExecutable="true">
    <bpmn:userTask id="bellen" />
    <bpmn:boundaryEvent id="te_laat" attachedToRef="bellen" cancelActivity="false">
      <bpmn:timerEventDefinition><bpmn:timeDuration>P1W3D</bpmn:timeDuration>
      </bpmn:timerEventDefinition>
    </bpmn:boundaryEvent>
    <bpmn:userTask id="schrijven" />
    <bpmn:boundaryEvent id="herinneren" attachedToRef="schrijven">
      <bpmn:timerEventDefinition><bpmn:timeDuration>${{werkdagen(instelling('x'))}}</bpmn:timeDuration>
      </bpmn:timerEventDefinition>
    </bpmn:boundaryEvent>
  </bpmn:process>
</bpmn:definitions>"""
    assert norm(xml, "bellen", {}.get) == Norm(10, "dagen", "timer")
    assert norm(xml, "schrijven", {"x": 4}.get) == Norm(4, "werkdagen", "timer")
    assert str(Norm(1, "werkdagen", "timer")) == "1 werkdag"
