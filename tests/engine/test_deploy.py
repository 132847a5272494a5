"""Deployment: versions only on change, old instances stay on their version, and every kind
of bad diagram is refused with file, element and line while storing nothing."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import func, select

from app.db import Database
from app.engine import service
from app.engine.errors import DeploymentError
from app.engine.models import ProcessDefinition, ProcessVersion
from app.engine.runtime import load_workflow
from tests.support.engine import (
    SIMPLE,
    deploy_paths,
    instance,
    open_tasks,
    simple_xml,
    start,
    write_variant,
)


def version_count(db: Database) -> int:
    with db.session() as session:
        return session.scalar(select(func.count()).select_from(ProcessVersion)) or 0


def test_second_deploy_creates_no_version(db: Database, clock) -> None:
    first = deploy_paths(db, SIMPLE)
    second = deploy_paths(db, SIMPLE)
    assert first.created == [("test_simple", 1)]
    assert second.created == [] and second.unchanged == [("test_simple", 1)]
    assert version_count(db) == 1


def test_changed_diagram_gets_one_new_version_and_old_instance_stays(
    db: Database, clock, tmp_path: Path, settings
) -> None:
    from app.engine.jobs import run_due_jobs

    path = write_variant(tmp_path, "simple.bpmn", simple_xml())
    deploy_paths(db, path)
    old = start(db, business_key="OUD")
    run_due_jobs(db, settings, "w")

    path.write_text(simple_xml().replace('name="Beoordelen"', 'name="Beoordelen (nieuw)"'))
    result = deploy_paths(db, path)
    assert result.created == [("test_simple", 2)]
    assert version_count(db) == 2
    new = start(db, business_key="NIEUW")
    run_due_jobs(db, settings, "w")

    assert instance(db, old).version.version == 1
    assert instance(db, new).version.version == 2
    assert open_tasks(db, old)[0].name == "Beoordelen"
    assert open_tasks(db, new)[0].name == "Beoordelen (nieuw)"
    # The old instance runs on to its end on version 1.
    with db.transaction() as session:
        service.complete_task(session, open_tasks(db, old)[0].id, {"akkoord": False}, "t")
    row = instance(db, old)
    assert row.status == "completed"
    with db.session() as session:
        row = session.get(type(row), old)
        assert row.version.version == 1
        assert load_workflow(session, row.version_id, row.state).completed


def _refused(db: Database, *paths: Path) -> DeploymentError:
    with pytest.raises(DeploymentError) as info:
        deploy_paths(db, *paths)
    assert version_count(db) == 0
    with db.session() as session:
        assert session.scalar(select(func.count()).select_from(ProcessDefinition)) == 0
    return info.value


def test_malformed_xml_is_refused_with_file_and_line(db: Database, tmp_path: Path) -> None:
    xml = simple_xml().replace("</bpmn:userTask>", "</bpmn:usrTask>")
    path = write_variant(tmp_path, "kapot.bpmn", xml)
    error = _refused(db, path)
    problem = error.problems[0]
    assert problem.file.endswith("kapot.bpmn")
    expected_line = (
        xml.splitlines().index(next(line for line in xml.splitlines() if "</bpmn:usrTask>" in line))
        + 1
    )
    assert problem.line == expected_line
    assert "XML" in problem.message


def test_unknown_topic_names_element_and_line(db: Database, tmp_path: Path) -> None:
    xml = simple_xml().replace('camunda:topic="test.echo"', 'camunda:topic="bestaat.niet"')
    error = _refused(db, write_variant(tmp_path, "topic.bpmn", xml))
    problem = error.problems[0]
    assert problem.element == "verrijken"
    assert problem.line == _line_of(xml, 'id="verrijken"')
    assert "bestaat.niet" in problem.message


def test_invalid_expression_names_element_and_line(db: Database, tmp_path: Path) -> None:
    xml = simple_xml().replace("${bedrag}", "${bedrag +* 2}")
    error = _refused(db, write_variant(tmp_path, "expr.bpmn", xml))
    problem = error.problems[0]
    assert problem.element == "verrijken"
    assert problem.line == _line_of(xml, 'id="verrijken"')
    assert "invoerparameter waarde" in problem.message


def test_invalid_condition_on_a_flow_is_refused(db: Database, tmp_path: Path) -> None:
    xml = simple_xml().replace("${akkoord == True}", "${akkoord ==}")
    error = _refused(db, write_variant(tmp_path, "cond.bpmn", xml))
    assert error.problems[0].element == "keuze"
    assert "voorwaarde" in error.problems[0].message


def test_entity_bomb_is_refused_before_parsing(db: Database, tmp_path: Path) -> None:
    bomb = (
        '<?xml version="1.0"?>\n'
        '<!DOCTYPE lolz [\n <!ENTITY lol "lol">\n'
        ' <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">\n'
        ' <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">\n]>\n'
    ) + simple_xml().split("\n", 1)[1].replace('name="Testproces"', 'name="&lol3;"')
    error = _refused(db, write_variant(tmp_path, "bom.bpmn", bomb))
    assert error.problems[0].line == 2
    assert "DTD" in error.problems[0].message


def test_external_entity_is_refused(db: Database, tmp_path: Path) -> None:
    xxe = (
        '<?xml version="1.0"?>\n<!DOCTYPE x [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>\n'
        + simple_xml().split("\n", 1)[1].replace('name="Testproces"', 'name="&xxe;"')
    )
    _refused(db, write_variant(tmp_path, "xxe.bpmn", xxe))


@pytest.mark.parametrize("encoding", ["utf-16", "latin-1"])
def test_a_file_that_is_not_utf8_is_refused_with_its_line(
    db: Database, tmp_path: Path, encoding: str
) -> None:
    xml = simple_xml().replace('name="Testproces"', 'name="Testproces één"')
    if encoding == "utf-16":
        # A UTF-16 DTD would not match a byte scan for "<!DOCTYPE": refused before that.
        xml = xml.replace("?>\n", '?>\n<!DOCTYPE x [<!ENTITY e "e">]>\n', 1)
    path = tmp_path / "codering.bpmn"
    path.write_bytes(xml.encode(encoding))
    error = _refused(db, path)
    assert "UTF-8" in error.problems[0].message
    if encoding == "latin-1":
        assert error.problems[0].line == _line_of(xml, "één")


def test_reserved_ids_are_refused(db: Database, tmp_path: Path) -> None:
    xml = simple_xml().replace('"gestart"', '"Start"')
    error = _refused(db, write_variant(tmp_path, "start.bpmn", xml))
    assert error.problems[0].element == "Start"
    assert "gereserveerd" in error.problems[0].message


@pytest.mark.parametrize("kind", ["message", "signal"])
def test_an_event_subprocess_start_without_its_message_or_signal_is_refused(
    db: Database, tmp_path: Path, kind: str
) -> None:
    """Nothing could ever start it (tests/engine/test_event_subprocess.py: with one, it runs)."""
    sub = f"""
    <bpmn:subProcess id="intrekking" triggeredByEvent="true">
      <bpmn:startEvent id="ingetrokken"><bpmn:outgoing>i1</bpmn:outgoing>
        <bpmn:{kind}EventDefinition /></bpmn:startEvent>
      <bpmn:endEvent id="gestopt"><bpmn:incoming>i1</bpmn:incoming></bpmn:endEvent>
      <bpmn:sequenceFlow id="i1" sourceRef="ingetrokken" targetRef="gestopt" />
    </bpmn:subProcess>
  </bpmn:process>"""
    xml = simple_xml().replace("</bpmn:process>", sub, 1)
    error = _refused(db, write_variant(tmp_path, "event_sub.bpmn", xml))
    problem = next(p for p in error.problems if p.element == "ingetrokken")
    assert problem.line == _line_of(xml, 'id="ingetrokken"')
    assert "event-subproces" in problem.message


def test_missing_form_is_refused(db: Database, tmp_path: Path) -> None:
    xml = simple_xml().replace("beoordelen.form", "bestaat-niet.form")
    error = _refused(db, write_variant(tmp_path, "form.bpmn", xml))
    assert error.problems[0].element == "beoordelen"
    assert "bestaat-niet.form" in error.problems[0].message


def test_forms_are_found_by_name_or_id_in_the_first_folder_that_has_them(tmp_path: Path) -> None:
    """An upload's own forms come before the server's (the form editor's check stages only the
    uploaded form): by file name, and by the id inside a file (formRef)."""
    from app.engine.deploy import _load_form

    upload, server = tmp_path / "upload", tmp_path / "server"
    upload.mkdir()
    server.mkdir()

    def write(folder: Path, name: str, form: object) -> None:
        (folder / name).write_text(json.dumps(form), encoding="utf-8")

    write(server, "a.form", {"id": "form_a", "components": [{"key": "oud"}]})
    write(server, "b.form", {"id": "form_b", "components": []})
    write(upload, "a.form", {"id": "form_a", "components": [{"key": "nieuw"}]})
    write(upload, "kapot.form", "geen schema")
    both = [upload, server]
    assert _load_form(both, "a.form") == ({"id": "form_a", "components": [{"key": "nieuw"}]}, None)
    assert _load_form(both, "form_a")[0] == {"id": "form_a", "components": [{"key": "nieuw"}]}
    assert _load_form(both, "b.form")[0] == {"id": "form_b", "components": []}
    assert _load_form(both, "form_b")[0] == {"id": "form_b", "components": []}
    assert _load_form(server, "a.form")[0] == {"id": "form_a", "components": [{"key": "oud"}]}
    assert "geen components" in str(_load_form(both, "kapot.form")[1])
    missing = _load_form(both, "c.form")
    assert missing[0] is None and "niet meegestuurd en niet op de server" in str(missing[1])
    assert str(server) in str(_load_form(server, "c.form")[1])


def test_one_bad_file_stores_nothing_of_the_good_one(db: Database, tmp_path: Path) -> None:
    good = write_variant(tmp_path, "a_goed.bpmn", simple_xml())
    bad = write_variant(
        tmp_path,
        "b_fout.bpmn",
        simple_xml()
        .replace('id="test_simple"', 'id="test_ander"')
        .replace('camunda:topic="test.echo"', 'camunda:topic="nee"'),
    )
    error = _refused(db, good, bad)
    assert [p.file.endswith("b_fout.bpmn") for p in error.problems] == [True]


def test_undeclared_handler_input_is_refused(db: Database, tmp_path: Path) -> None:
    xml = simple_xml().replace(
        '<camunda:inputParameter name="waarde">${bedrag}</camunda:inputParameter>',
        '<camunda:inputParameter name="waarde">${bedrag}</camunda:inputParameter>'
        '<camunda:inputParameter name="bsn">${bsn}</camunda:inputParameter>',
    )
    error = _refused(db, write_variant(tmp_path, "input.bpmn", xml))
    assert "bsn" in error.problems[0].message


def _line_of(xml: str, needle: str) -> int:
    for number, line in enumerate(xml.splitlines(), start=1):
        if needle in line:
            return number
    raise AssertionError(needle)
