"""A version published in the browser or through the API is not undone by a later `stroom
deploy` of the server's older files (issue 20): the deploy refuses and says which version it
would undo; `stroom export` writes that version back into the files; `--overwrite` publishes
over it on purpose."""

from __future__ import annotations

import io
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import select

from app.auth.tokens import create_token
from app.cli import main
from app.engine.models import ProcessDefinition, ProcessVersion
from tests.conftest import ROOT

NAME = b'name="Voorkom Huisuitzetting Utrecht"'
RENAMED = b'name="Voorkom Huisuitzetting Utrecht (browser)"'


@pytest.fixture
def files(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "bpmn"
    folder.mkdir()
    for name in ("utrecht_vh.bpmn", "utrecht_vh.catalogus.yaml"):
        shutil.copyfile(ROOT / "bpmn" / name, folder / name)
    shutil.copytree(ROOT / "forms", tmp_path / "forms")
    monkeypatch.setenv("STROOM_BPMN_DIR", str(folder))
    monkeypatch.setenv("STROOM_FORMS_DIR", str(tmp_path / "forms"))
    return folder


def _stroom(db, *args: str):  # type: ignore[no-untyped-def]
    return CliRunner().invoke(main, ["--database", db.url, *args], catch_exceptions=False)


def _versions(db) -> list[tuple[int, str | None]]:
    with db.session() as session:
        rows = session.execute(
            select(ProcessVersion.version, ProcessVersion.deployed_by)
            .join(ProcessDefinition)
            .where(ProcessDefinition.key == "utrecht_vh")
            .order_by(ProcessVersion.version)
        )
        return [(number, by) for number, by in rows]


def test_a_deploy_of_older_files_does_not_undo_a_published_version(db, client, files) -> None:
    first = _stroom(db, "deploy", str(files))
    assert first.exit_code == 0, first.output
    with db.transaction() as session:
        _row, secret = create_token(session, "procesbeheer", scopes=["processes:deploy"])
    diagram = (files / "utrecht_vh.bpmn").read_bytes()
    answer = client.post(
        "/api/v1/deployments",
        headers={"Authorization": f"Bearer {secret}"},
        data={"bestanden": [(io.BytesIO(diagram.replace(NAME, RENAMED, 1)), "utrecht_vh.bpmn")]},
        content_type="multipart/form-data",
    )
    assert answer.status_code == 201, answer.get_json()
    assert _versions(db) == [(1, "cli"), (2, "token:procesbeheer")]

    # Someone edits another part of the server's file, which still has the old name.
    (files / "utrecht_vh.bpmn").write_bytes(
        diagram.replace(b"melding_vonnis = vonnis\n", b"melding_vonnis = vonnis  # vonnis\n", 1)
    )
    refused = _stroom(db, "deploy", str(files))
    assert refused.exit_code == 1
    assert "niets gepubliceerd" in refused.output
    assert "utrecht_vh versie 2, gepubliceerd door token:procesbeheer" in refused.output
    assert "stroom export" in refused.output and "--overwrite" in refused.output
    assert _versions(db) == [(1, "cli"), (2, "token:procesbeheer")]

    exported = _stroom(db, "export", "utrecht_vh")
    assert exported.exit_code == 0, exported.output
    assert f"bijgewerkt: {files / 'utrecht_vh.bpmn'}" in exported.output
    assert f"ongewijzigd: {files / 'utrecht_vh.catalogus.yaml'}" in exported.output
    assert RENAMED in (files / "utrecht_vh.bpmn").read_bytes()
    again = _stroom(db, "deploy", str(files))
    assert again.exit_code == 0, again.output
    assert "ongewijzigd: utrecht_vh versie 2" in again.output

    (files / "utrecht_vh.bpmn").write_bytes(diagram)  # the old file, on purpose
    forced = _stroom(db, "deploy", str(files), "--overwrite")
    assert forced.exit_code == 0, forced.output
    assert _versions(db) == [(1, "cli"), (2, "token:procesbeheer"), (3, "cli")]


def test_export_of_an_unknown_process_or_version_says_so(db, files) -> None:
    assert _stroom(db, "deploy", str(files)).exit_code == 0
    unknown = _stroom(db, "export", "bestaat_niet")
    assert unknown.exit_code == 1 and "proces 'bestaat_niet' bestaat niet" in unknown.output
    missing = _stroom(db, "export", "utrecht_vh", "--version", "7")
    assert missing.exit_code == 1 and "versie 7 bestaat niet" in missing.output


def test_export_into_an_empty_folder_gives_files_that_deploy_unchanged(db, files, tmp_path) -> None:
    assert _stroom(db, "deploy", str(files)).exit_code == 0
    target = tmp_path / "uit"
    exported = _stroom(db, "export", "utrecht_vh", "--to", str(target))
    assert exported.exit_code == 0, exported.output
    assert (target / "utrecht_vh.bpmn").is_file()
    assert (target / "utrecht_vh.catalogus.yaml").is_file()
    assert len(list((target / "forms").glob("*.form"))) >= 3
    redeployed = _stroom(db, "deploy", str(target), "--forms", str(target / "forms"))
    assert redeployed.exit_code == 0, redeployed.output
    assert "ongewijzigd: utrecht_vh versie 1" in redeployed.output


def test_the_demo_keeps_a_version_published_in_the_browser(db, client, files, monkeypatch) -> None:
    """`scripts/run` loads the demo at every start: its deploy of bpmn/ must not undo a
    process owner's publication either."""
    from app import plugins
    from app.demo_data import common

    monkeypatch.setattr(common, "load", lambda _db, _settings: iter(()))
    monkeypatch.setattr(plugins, "offered", lambda _what: [])
    assert _stroom(db, "demo").exit_code == 0
    with db.transaction() as session:
        _row, secret = create_token(session, "procesbeheer", scopes=["processes:deploy"])
    diagram = (files / "utrecht_vh.bpmn").read_bytes()
    answer = client.post(
        "/api/v1/deployments",
        headers={"Authorization": f"Bearer {secret}"},
        data={"bestanden": [(io.BytesIO(diagram.replace(NAME, RENAMED, 1)), "utrecht_vh.bpmn")]},
        content_type="multipart/form-data",
    )
    assert answer.status_code == 201, answer.get_json()
    again = _stroom(db, "demo")
    assert again.exit_code == 0, again.output
    assert "utrecht_vh versie 2, gepubliceerd door token:procesbeheer" in again.output
    assert [number for number, _by in _versions(db)] == [1, 2]
