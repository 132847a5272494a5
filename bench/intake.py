"""Intake benchmark: 10,000 signals in one CSV file, imported, each starting its case's
instance up to its first wait state (a task for the social team).

    .venv/bin/python bench/intake.py [--n 10000] [--backends sqlite,postgresql]

Prints signals per second per backend. Target: at least 200 per second on PostgreSQL.
"""

from __future__ import annotations

import argparse
import time

from common import ROOT, scratch_database
from sqlalchemy import func, select

from app.auth import service as auth
from app.auth.principal import Principal
from app.cases.models import PartyBinding
from app.engine.deploy import deploy
from app.engine.models import HumanTask
from app.intake.batches import import_file
from app.intake.models import IntakeRoute

DIAGRAM = ROOT / "bench" / "intake_process.bpmn"
COLUMNS = (
    "referentie;naam;geboortedatum;straat;huisnummer;toevoeging;postcode;woonplaats;"
    "telefoon;maanden_achterstand"
)


def csv_file(n: int) -> bytes:
    lines = [COLUMNS]
    for i in range(n):
        lines.append(
            f"WL-{i:06d};J. Jansen;1980-05-01;Dorpsstraat;{i % 9000 + 1};;"
            f"{6000 + i // 9000} AB;Weert;0612345678;2"
        )
    return ("\n".join(lines) + "\n").encode()


def run(backend: str, n: int) -> float:
    with scratch_database(backend) as db:
        with db.transaction() as session:
            deploy(session, [DIAGRAM], ROOT / "forms", actor="bench")
            org = auth.create_organisation(
                session, "wonen-limburg", "Wonen Limburg", "woningcorporatie", "weert"
            )
            auth.create_group(session, "wonen-limburg", "Wonen Limburg", "wonen-limburg")
            auth.create_organisation(session, "weert-sdv", "SDV Weert", "gemeente", "weert")
            auth.create_group(session, "weert-sdv", "SDV Weert", "weert-sdv")
            session.add(
                IntakeRoute(
                    organisation_id=org.id,
                    municipality="weert",
                    process_key="bench_melding",
                    settings={},
                )
            )
            session.add(
                PartyBinding(
                    process_key="bench_melding",
                    municipality="weert",
                    party="wijkteam",
                    group_key="weert-sdv",
                )
            )
            org_id = org.id
        principal = Principal(
            "token",
            None,
            "wonen-limburg",
            organisation_id=org_id,
            organisation_key="wonen-limburg",
            municipality="weert",
        )
        content = csv_file(n)
        start = time.perf_counter()
        batch = import_file(db, principal, "meldingen.csv", content, "bench-secret")
        elapsed = time.perf_counter() - start
        with db.session() as session:
            tasks = session.scalar(select(func.count()).select_from(HumanTask))
        assert batch.rows_stored == n and tasks == n, (batch.rows_stored, tasks)
        return n / elapsed


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=10_000)
    parser.add_argument("--backends", default="sqlite,postgresql")
    args = parser.parse_args()
    print(f"intake benchmark: {args.n} signals in one CSV, each starting its instance")
    for backend in args.backends.split(","):
        rate = run(backend, args.n)
        target = (
            " (target >= 200/s: " + ("met" if rate >= 200 else "NOT met") + ")"
            if backend == "postgresql"
            else ""
        )
        print(f"{backend:12} {rate:8.0f} signals/s{target}")


if __name__ == "__main__":
    main()
