"""Who is acting: a person, a partner system's API token, or the system itself."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Principal:
    kind: str  # "user", "token" or "system"
    id: int | None
    name: str
    organisation_id: int | None = None
    organisation_key: str | None = None
    municipality: str | None = None
    roles: frozenset[str] = field(default_factory=frozenset)
    groups: frozenset[str] = field(default_factory=frozenset)
    scopes: frozenset[str] = field(default_factory=frozenset)

    @property
    def actor(self) -> str:
        """How the principal appears in history and audit lines."""
        return f"{self.kind}:{self.name}"

    @property
    def is_system(self) -> bool:
        """The installation itself (CLI, worker, an operator token without organisation)."""
        return self.organisation_id is None

    def has_scope(self, scope: str) -> bool:
        return scope in self.scopes

    def has_role(self, *roles: str) -> bool:
        return self.is_system or bool(self.roles & set(roles))


SYSTEM = Principal("system", None, "systeem")

# How the installation's own actors read on a page; the engine also writes a few bare names.
_SYSTEM_LABELS = {
    "cli": "Stroom (opdrachtregel)",
    "demo": "Stroom (demo)",
    "simulatie": "Stroom (simulatie)",
    "systeem": "Stroom (automatisch)",
    "timer": "Stroom (automatisch)",
    "worker": "Stroom (automatisch)",
}


def actor_label(actor: str | None) -> str:
    """An actor of history and audit lines (`user:anna`, `token:sdv`, `system:cli`,
    `worker:<id>`, or a bare name the engine wrote) as a person reads it: the user name, the
    partner system's token name marked as such, or Stroom itself, never the stored form."""
    if not actor:
        return "onbekend"
    kind, _, name = actor.partition(":")
    if not name:
        kind, name = "system" if actor in _SYSTEM_LABELS else "", actor
    if kind == "user":
        return name
    if kind == "token":
        return f"{name} (koppeling)"
    if kind == "system":
        return _SYSTEM_LABELS.get(name, f"Stroom ({name})")
    if kind == "worker":  # an external-task worker, by the id it fetched the job with
        return f"Stroom (taakverwerker {name})"
    return actor


def cli_principal() -> Principal:
    return Principal("system", None, "cli")


def partner_system(organisation_id: int, key: str, municipality: str | None) -> Principal:
    """An organisation's partner system as the intake sees it: its token, with the
    partner-system role, in its own group (demo loaders and simulations report through it)."""
    return Principal(
        "token",
        None,
        key,
        organisation_id=organisation_id,
        organisation_key=key,
        municipality=municipality,
        roles=frozenset({"partnersysteem"}),
        groups=frozenset({key}),
    )
