"""Deploy what a process owner uploads: `.bpmn` diagrams, `.form` forms and `.catalogus.yaml`
catalogues, checked and published by the engine's own deploy (the code `stroom deploy` runs).

The upload is staged in a temporary folder the way the bpmn/ and forms/ folders are laid out:
forms uploaded with the diagram take the place of the server's forms of the same name, and a
diagram uploaded without its catalogue uses the server's catalogue of the same file name (the
desktop Camunda Modeler sends only the diagram and its forms). Problems name the uploaded file,
never the temporary folder."""

from __future__ import annotations

import hashlib
import re
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.catalogue import catalogue_path
from app.config import Settings
from app.engine.deploy import DeployResult, bpmn_files, deploy, parse_files
from app.engine.errors import DeploymentError, Problem
from app.engine.models import ProcessDefinition, ProcessVersion

MAX_FILES = 50
MAX_FILE_BYTES = 2 * 1024 * 1024
CATALOGUE_SUFFIX = ".catalogus.yaml"
# A plain file name: no folders, no hidden files, nothing a shell or a path would read twice.
SAFE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._ -]{0,120}$")


class UploadProblem(Exception):
    """The upload itself is wrong (names, sizes, kinds): nothing was checked or published."""

    def __init__(self, problems: dict[str, list[str]]) -> None:
        super().__init__("; ".join(f"{k}: {', '.join(v)}" for k, v in problems.items()))
        self.problems = problems


@dataclass(frozen=True)
class Upload:
    name: str
    content: bytes


@dataclass
class Preview:
    """What publishing would do: per process its key and the version it would get (new) or
    keeps (unchanged)."""

    new: list[tuple[str, int]] = field(default_factory=list)
    unchanged: list[tuple[str, int]] = field(default_factory=list)


def kind(name: str) -> str | None:
    if name.endswith(CATALOGUE_SUFFIX):
        return "catalogue"
    if name.endswith((".bpmn", ".bpmn20.xml")):  # Camunda reads both as BPMN
        return "diagram"
    if name.endswith(".form"):
        return "form"
    return None


def staged_name(name: str) -> str:
    """The name deploy reads: Camunda's `.bpmn20.xml` becomes `.bpmn`."""
    if name.endswith(".bpmn20.xml"):
        return name.removesuffix(".bpmn20.xml") + ".bpmn"
    return name


def check_upload(files: list[Upload]) -> None:
    problems: dict[str, list[str]] = {}
    if not files:
        raise UploadProblem({"bestanden": ["geen bestanden meegestuurd"]})
    if len(files) > MAX_FILES:
        raise UploadProblem({"bestanden": [f"hoogstens {MAX_FILES} bestanden per keer"]})
    seen: set[str] = set()
    for upload in files:
        found: list[str] = []
        if not SAFE_NAME.match(upload.name) or ".." in upload.name:
            found.append("ongeldige bestandsnaam: gebruik letters, cijfers, punt, streepje")
        elif kind(upload.name) is None:
            found.append("alleen .bpmn, .form en .catalogus.yaml worden gepubliceerd")
        if staged_name(upload.name) in seen:
            found.append("dit bestand is twee keer meegestuurd")
        seen.add(staged_name(upload.name))
        if len(upload.content) > MAX_FILE_BYTES:
            found.append(f"groter dan {MAX_FILE_BYTES // (1024 * 1024)} MB")
        if found:
            problems.setdefault(upload.name or "(zonder naam)", []).extend(found)
    if not any(kind(u.name) == "diagram" for u in files) and not problems:
        problems["bestanden"] = ["er zit geen .bpmn-diagram bij"]
    if problems:
        raise UploadProblem(problems)


@contextmanager
def staged(
    files: list[Upload], settings: Settings
) -> Iterator[tuple[list[Path], list[Path], Path]]:
    """(diagram paths, forms folders, staging folder) as deploy reads them: the uploaded forms
    in a folder of their own searched before the server's (copying the server's 85 forms for
    every check of the form editor was most of its time)."""
    check_upload(files)
    with tempfile.TemporaryDirectory(prefix="stroom-publish-") as folder:
        root = Path(folder)
        diagrams, forms = root / "bpmn", root / "forms"
        diagrams.mkdir()
        forms.mkdir()
        for upload in files:
            target = forms if kind(upload.name) == "form" else diagrams
            (target / staged_name(upload.name)).write_bytes(upload.content)
        for diagram in bpmn_files([diagrams]):
            own = catalogue_path(diagram)
            server = catalogue_path(settings.bpmn_dir / diagram.name)
            if not own.exists() and server.exists():
                shutil.copyfile(server, own)
        folders = [forms, settings.forms_dir] if settings.forms_dir.is_dir() else [forms]
        yield bpmn_files([diagrams]), folders, root


def _named(exc: DeploymentError, root: Path) -> DeploymentError:
    """The same problems, naming the uploaded file instead of the staging folder."""
    prefixes = (str(root / "bpmn") + "/", str(root / "forms") + "/", str(root) + "/")

    def name(file: str) -> str:
        for prefix in prefixes:
            if file.startswith(prefix):
                return file[len(prefix) :]
        return file

    problems = [Problem(name(p.file), p.element, p.line, p.message) for p in exc.problems]
    return DeploymentError(problems)


def preview(session: Session, files: list[Upload], settings: Settings) -> Preview:
    """Every check deploy makes, without storing anything (DeploymentError with the problems)."""
    with staged(files, settings) as (diagrams, forms, root):
        try:
            parsed = parse_files(diagrams, forms, session)
        except DeploymentError as exc:
            raise _named(exc, root) from None
    result = Preview()
    for process in parsed:
        latest = session.scalar(
            select(ProcessVersion)
            .join(ProcessDefinition)
            .where(ProcessDefinition.key == process.key)
            .order_by(ProcessVersion.version.desc())
            .limit(1)
        )
        if latest is not None and latest.content_hash == process.content_hash:
            result.unchanged.append((process.key, latest.version))
        else:
            result.new.append((process.key, (latest.version if latest else 0) + 1))
    return result


def publish(session: Session, files: list[Upload], settings: Settings, actor: str) -> DeployResult:
    """New versions of the changed processes, exactly as `stroom deploy` makes them."""
    with staged(files, settings) as (diagrams, forms, root):
        try:
            return deploy(session, diagrams, forms, actor=actor)
        except DeploymentError as exc:
            raise _named(exc, root) from None


def deployment_id(files: list[Upload]) -> str:
    """The same upload has the same id (the Camunda Modeler shows it after a deploy)."""
    digest = hashlib.sha256()
    for upload in sorted(files, key=lambda u: u.name):
        digest.update(upload.name.encode() + b"\0" + hashlib.sha256(upload.content).digest())
    return digest.hexdigest()[:16]
