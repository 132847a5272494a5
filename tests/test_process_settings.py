"""A municipality's own value for a term of the covenant: checked against the catalogue,
stored with who changed it, audited, and a bad value changes nothing."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner
from sqlalchemy import select

from app.cases.models import ProcessSetting
from app.cases.settings import check_value, set_value, value
from app.catalogue import load
from app.cli import main
from app.engine.errors import InvalidInput
from app.privacy.models import AuditLog
from tests.conftest import ROOT

UTRECHT = ROOT / "bpmn" / "utrecht_vh.catalogus.yaml"
WEERT = ROOT / "bpmn" / "weert_vroegsignalering.catalogus.yaml"


@pytest.mark.parametrize(
    ("default", "new", "problem"),
    [
        (5, 7, None),
        (5, 7.0, None),
        (5, 7.5, "heel getal"),
        (5, -1, "kleiner zijn dan 0"),
        (5, "5", "getal"),
        (5, True, "verwacht"),
        (True, 1, "ja/nee"),
        (0.5, 0.25, None),
        ("R/P3M", "R/P2M", None),
        ("R/P3M", "R4/P1M", None),
        ("R/P3M", "P3M", "herhaling"),
        ("R/P3M", "R/elke maand", "herhaling"),
        ("R/P3M", "R/P0D", "nul"),
        ("P14D", "P10D", None),
        ("P14D", "R/P10D", "duur"),
        (["Pw"], ["Pw", "Bbz"], None),
        (["Pw"], ["Pw", 3], "onverwachte elementen"),
        (["Pw"], "Pw", "lijst"),
        ("tekst", "andere tekst", None),
    ],
)
def test_a_value_must_fit_the_setting(default, new, problem) -> None:
    found = check_value({"waarde": default}, new)
    if problem is None:
        assert found is None
    else:
        assert found is not None and problem in found


def test_bounds_from_the_catalogue() -> None:
    spec = {"waarde": 50, "min": 1, "max": 100}
    assert check_value(spec, 100) is None
    assert "groter zijn dan 100" in check_value(spec, 101)
    assert "kleiner zijn dan 1" in check_value(spec, 0)


def test_stored_audited_and_a_bad_value_changes_nothing(db, clock) -> None:
    catalogue = load(UTRECHT)
    key = "utrecht_vh"
    with db.transaction() as session:
        set_value(session, catalogue, key, "utrecht", "aanvullen_dagen", 2, "anna")
    with db.transaction() as session:
        set_value(session, catalogue, key, "utrecht", "aanvullen_dagen", 4, "bram")
    with pytest.raises(InvalidInput) as refused, db.transaction() as session:
        set_value(session, catalogue, key, "utrecht", "aanvullen_dagen", -3, "carla")
    assert refused.value.fields == {"waarde": ["mag niet kleiner zijn dan 0"]}
    with pytest.raises(InvalidInput) as unknown, db.transaction() as session:
        set_value(session, catalogue, key, "utrecht", "bestaat_niet", 3, "carla")
    assert "naam" in unknown.value.fields

    with db.session() as session:
        row = session.scalars(select(ProcessSetting)).one()
        assert (row.value, row.changed_by) == (4, "bram")
        assert value(session, catalogue, key, "utrecht", "aanvullen_dagen") == 4
        assert value(session, catalogue, key, "amersfoort", "aanvullen_dagen") == 3
        trail = session.scalars(select(AuditLog).order_by(AuditLog.id)).all()
    assert [(a.actor, a.action, a.details) for a in trail] == [
        ("anna", "instelling_gewijzigd", {"oud": None, "nieuw": 2}),
        ("bram", "instelling_gewijzigd", {"oud": 2, "nieuw": 4}),
    ]
    assert trail[0].object_id == "utrecht_vh/utrecht/aanvullen_dagen"


def test_the_command_line_names_what_is_wrong(db, clock) -> None:
    runner = CliRunner()

    def run(*args: str):
        return runner.invoke(main, ["--database", db.url, *args], catch_exceptions=False)

    assert run("deploy", str(ROOT / "bpmn" / "weert_vroegsignalering.bpmn")).exit_code == 0
    bad = run(
        "settings",
        "set",
        "weert_vroegsignalering",
        "gesprek_werkdagen",
        "tien",
        "--municipality",
        "weert",
    )
    assert bad.exit_code != 0
    assert "waarde" in bad.output + (bad.stderr or "") and "getal" in bad.output + (
        bad.stderr or ""
    )
    good = run(
        "settings",
        "set",
        "weert_vroegsignalering",
        "gesprek_werkdagen",
        "12",
        "--municipality",
        "weert",
    )
    assert good.exit_code == 0, good.output
    listed = json.loads(
        run(
            "settings", "list", "weert_vroegsignalering", "--municipality", "weert", "--json"
        ).output
    )
    assert {r["naam"]: r["waarde"] for r in listed}["gesprek_werkdagen"] == 12
    assert load(WEERT).settings["gesprek_werkdagen"]["waarde"] == 10
