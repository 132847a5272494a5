"""The `stroom` command line, end to end on a real database."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from app.cli import main
from tests.support.engine import FIXTURES, SIMPLE
from tests.support.orgs import team_member


@pytest.fixture
def run(db, clock):
    runner = CliRunner()

    def invoke(*args: str, ok: bool = True):
        result = runner.invoke(main, ["--database", db.url, *args], catch_exceptions=False)
        if ok:
            assert result.exit_code == 0, result.output + (result.stderr or "")
        return result

    return invoke


def test_deploy_start_complete_message(run, db) -> None:
    team_member(db, "anna")  # a task goes only to an active member of its group
    first = run("deploy", str(SIMPLE), "--forms", str(FIXTURES))
    assert "nieuw: test_simple versie 1" in first.output
    second = run("deploy", str(SIMPLE), "--forms", str(FIXTURES))
    assert "ongewijzigd: test_simple versie 1" in second.output

    started = run("start", "test_simple", "--key", "C-1", "--data", '{"bedrag": 3}')
    instance_id = started.output.split()[0]
    assert "verwerkt: 1" in run("worker", "--once").output

    tasks = json.loads(run("tasks", "list", "--group", "team", "--json").output)
    assert [t["name"] for t in tasks] == ["Beoordelen"]
    run("tasks", "claim", tasks[0]["id"], "--user", "anna")
    run("tasks", "complete", tasks[0]["id"], "--data", '{"akkoord": true}')

    listed = json.loads(run("instances", "list", "--json").output)
    assert listed[0]["id"] == instance_id and listed[0]["status"] == "waiting"
    shown = json.loads(run("instances", "show", instance_id, "--json").output)
    assert shown["subscriptions"][0]["message_name"] == "betalingsregeling"

    assert "completed" in run("message", "betalingsregeling", "--key", "C-1").output
    missing = run("message", "betalingsregeling", "--key", "C-1", ok=False)
    assert missing.exit_code == 1 and "geen instantie wacht" in missing.output


def test_deploy_errors_are_listed_and_exit_nonzero(run, tmp_path) -> None:
    bad = tmp_path / "fout.bpmn"
    bad.write_text(
        SIMPLE.read_text().replace('camunda:topic="test.echo"', 'camunda:topic="onbekend"')
    )
    result = run("deploy", str(bad), "--forms", str(FIXTURES), ok=False)
    assert result.exit_code == 1
    assert "fout.bpmn:" in result.output and "[verrijken]" in result.output


def test_bad_json_is_a_usage_error(run) -> None:
    result = run("start", "test_simple", "--data", "{kapot", ok=False)
    assert result.exit_code == 2 and "geen geldige JSON" in result.output


def test_token_create_list_revoke(run) -> None:
    created = run("token", "create", "corporatie", "--scope", "tasks:read")
    secret = created.output.strip().splitlines()[-1]
    assert secret.startswith("stroom_")
    listing = json.loads(run("token", "list", "--json").output)
    assert listing[0]["scopes"] == ["tasks:read"] and secret not in json.dumps(listing)
    run("token", "revoke", str(listing[0]["id"]))
    assert json.loads(run("token", "list", "--json").output)[0]["revoked_at"]


def test_a_fresh_clone_has_no_instance_folder_yet(tmp_path) -> None:
    url = f"sqlite:///{tmp_path / 'nog' / 'niet' / 'stroom.db'}"
    result = CliRunner().invoke(main, ["--database", url, "db", "upgrade"])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "nog" / "niet" / "stroom.db").exists()


def test_party_bindings_from_the_command_line(run, db) -> None:
    from sqlalchemy import select

    from app.cases.models import PartyBinding
    from tests.support.orgs import organisation

    organisation(db, "team-a", "wijkteam", municipality="ergens")
    organisation(db, "team-b", "wijkteam", municipality="ergens")
    first = run("bind", "proces_x", "wijkteam", "team-a", "--municipality", "ergens")
    assert "proces_x in ergens: wijkteam = team-a" in first.output
    # The binding is replaced, not doubled; last version's positional form still works.
    old = run("bind", "proces_x", "ergens", "wijkteam", "team-b")
    assert "de gemeente is nu een optie" in old.stderr
    with db.session() as session:
        rows = session.execute(select(PartyBinding.party, PartyBinding.group_key)).all()
    assert rows == [("wijkteam", "team-b")]
    unknown = run("bind", "proces_x", "wijkteam", "bestaat-niet", "--municipality", "e", ok=False)
    assert unknown.exit_code == 1 and "bestaat niet" in unknown.stderr
    empty = run("bind", "proces_x", " ", "team-a", "--municipality", "ergens", ok=False)
    assert empty.exit_code == 1 and "partij ontbreekt" in empty.stderr


def test_one_vocabulary_and_last_versions_names_for_one_version(run) -> None:
    """Commands and options are English; the Dutch names of last version still work once
    more, with a line on stderr naming the new one."""
    listed = {line.split()[0] for line in run("--help").output.splitlines() if line[:2] == "  "}
    assert not listed & {"signalen", "werkdagen", "bewaartermijnen", "haarlem-statistieken"}
    assert {"signals", "workdays", "retention", "haarlem"} <= listed
    new = run("workdays", "2026-04-02", "5")
    old = run("werkdagen", "2026-04-02", "5")
    assert old.stdout == new.stdout
    assert "`werkdagen` heet nu `workdays`" in old.stderr
    year = run("workdays", "--jaar", "2026")
    assert "`--jaar` heet nu `--year`" in year.stderr and "2026-12-25" in year.stdout
    dry = run("bewaartermijnen", "--droog")
    assert "`bewaartermijnen` heet nu `retention`" in dry.stderr
    assert "`--droog` heet nu `--dry-run`" in dry.stderr
    figures = run("haarlem-statistieken", "--van", "2026-01-01", "--json")
    assert "`haarlem-statistieken` heet nu `haarlem statistics`" in figures.stderr
    assert json.loads(figures.stdout)["meldingen"] == 0


def test_start_with_data_is_logged_like_the_apis_start(run, db) -> None:
    """`stroom start --data` starts a case the way the API does and writes the same
    processing-log and audit line (zaak.starten); a refused start writes neither."""
    from sqlalchemy import func, select

    from app.privacy.models import AuditLog, ProcessingLog

    def counts() -> tuple[int, int]:
        with db.session() as session:
            return tuple(  # type: ignore[return-value]
                session.scalar(select(func.count()).select_from(model))
                for model in (ProcessingLog, AuditLog)
            )

    run("deploy", str(SIMPLE), "--forms", str(FIXTURES))
    before = counts()
    started = run("start", "test_simple", "--key", "C-9", "--data", '{"bedrag": 7}')
    instance_id = started.output.split()[0]
    with db.session() as session:
        line = session.scalars(select(ProcessingLog).order_by(ProcessingLog.id.desc())).first()
        audit = session.scalars(select(AuditLog).order_by(AuditLog.id.desc())).first()
        assert line.attributes["doel"] == "start test_simple"
        assert (audit.action, audit.object_id, audit.details["velden"]) == (
            "zaak.starten",
            instance_id,
            ["bedrag"],
        )
        assert audit.actor == "system:cli"
    assert counts() == (before[0] + 1, before[1] + 1)
    missing = run("start", "test_simple", "--key", "C-10", ok=False)
    assert "bedrag: ontbreekt" in missing.output  # a required start field, as the API says
    assert counts() == (before[0] + 1, before[1] + 1)
    refused = run("start", "test_simple", "--data", '{"_geheim": 1}', ok=False)
    assert refused.exit_code != 0 and counts() == (before[0] + 1, before[1] + 1)
    # The API's rules for the same fields, in Dutch, before anything is stored.
    long = run("start", "test_simple", "--municipality", "x" * 101, ok=False)
    assert "municipality: Lengte moet tussen 1 en 100 liggen" in long.output
    empty = run("start", "test_simple", "--key", "", "--data", '{"bedrag": 1}', ok=False)
    assert "business_key: Lengte moet tussen 1 en 200 liggen" in empty.output
    assert counts() == (before[0] + 1, before[1] + 1)


def test_a_catalogue_that_widens_reading_waits_for_the_privacy_officer(run, db, tmp_path) -> None:
    """The four eyes hold for `stroom deploy` as for the browser and the API: an operator's
    files cannot widen who may read personal data past the privacy officer."""
    from pathlib import Path

    from sqlalchemy import select

    from app.modelling.models import ApprovalStatus, CatalogueApproval
    from app.privacy.models import AuditLog

    root = Path(__file__).resolve().parents[1]
    for name in ("haarlem_preventie.bpmn", "haarlem_preventie.catalogus.yaml"):
        (tmp_path / name).write_text((root / "bpmn" / name).read_text("utf-8"), "utf-8")
    forms = str(root / "forms")
    diagram = str(tmp_path / "haarlem_preventie.bpmn")
    assert "nieuw: haarlem_preventie versie 1" in run("deploy", diagram, "--forms", forms).output
    catalogue = tmp_path / "haarlem_preventie.catalogus.yaml"
    text = catalogue.read_text("utf-8")
    # The troubleshooter reads the tenant's name in `bewaking` too (it did in two phases).
    wider = text.replace(
        "  naam:\n    omschrijving: Naam van de huurder",
        "  naam:\n    omschrijving: Naam van de huurder (ook bij bewaking)",
    ).replace(
        "    voorbeeld: P.J. Jansen\n    lezen: *par1\n",
        '    voorbeeld: P.J. Jansen\n    lezen: {corporatie: "*", wijkteam: "*", sdv: "*", '
        "troubleshooter: [bewaking, stagnatie, ontruiming]}\n",
    )
    assert wider != text
    catalogue.write_text(wider, "utf-8")

    held = run("deploy", diagram, "--forms", forms, ok=False)
    assert held.exit_code == 1
    assert "niets gepubliceerd" in held.output and "privacyfunctionaris" in held.output
    assert "Troubleshooter mag veld naam voortaan ook lezen in fase bewaking" in held.output
    run("deploy", diagram, "--forms", forms, ok=False)  # asking again makes no second request
    with db.transaction() as session:
        [request] = session.scalars(select(CatalogueApproval)).all()
        assert request.status == ApprovalStatus.PENDING and request.requested_by == "system:cli"
        [audit] = session.scalars(
            select(AuditLog).where(AuditLog.action == "catalogus.goedkeuring_vragen")
        ).all()
        assert audit.details["kanaal"] == "cli"
        request.status = ApprovalStatus.APPROVED  # the officer approves this very text
    assert "nieuw: haarlem_preventie versie 2" in run("deploy", diagram, "--forms", forms).output
