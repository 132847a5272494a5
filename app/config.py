"""Settings, read once from the environment (prefix STROOM_).

Password hashing cost is not a setting of the application but of the process:
STROOM_PASSWORD_HASH_COST, for the test suite only (see app/auth/passwords.py).
"""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
INSTANCE_DIR = ROOT / "instance"


def _env(name: str, default: str) -> str:
    return os.environ.get(f"STROOM_{name}", default)


def _secret_key() -> str:
    """An explicit key wins; otherwise one generated once and kept in instance/ (dev only)."""
    explicit = os.environ.get("STROOM_SECRET_KEY")
    if explicit:
        return explicit
    INSTANCE_DIR.mkdir(exist_ok=True)
    path = INSTANCE_DIR / "secret_key"
    if not path.exists():
        path.write_text(secrets.token_urlsafe(48))
        path.chmod(0o600)
    return path.read_text().strip()


@dataclass(frozen=True)
class Settings:
    database_url: str = field(
        default_factory=lambda: _env("DATABASE_URL", f"sqlite:///{INSTANCE_DIR / 'stroom.db'}")
    )
    bpmn_dir: Path = field(default_factory=lambda: Path(_env("BPMN_DIR", str(ROOT / "bpmn"))))
    forms_dir: Path = field(default_factory=lambda: Path(_env("FORMS_DIR", str(ROOT / "forms"))))
    # Service-task jobs: a failing handler is retried this many times, waiting
    # backoff * 2**(attempt-1) seconds, before it becomes an incident.
    job_retries: int = field(default_factory=lambda: int(_env("JOB_RETRIES", "3")))
    job_backoff_seconds: float = field(
        default_factory=lambda: float(_env("JOB_BACKOFF_SECONDS", "10"))
    )
    # A claimed job whose worker died becomes claimable again after this lease.
    job_lease_seconds: float = field(
        default_factory=lambda: float(_env("JOB_LEASE_SECONDS", "300"))
    )
    tick_seconds: float = field(default_factory=lambda: float(_env("TICK_SECONDS", "2")))
    # An instance's stored state (app/engine/state_limit.py): a transition that would make it
    # larger than this many characters of JSON, or its task tree more than this many tasks, is
    # refused (a person gets a 422, the worker opens an incident). Nothing of it is stored.
    state_max_chars: int = field(
        default_factory=lambda: int(_env("STATE_MAX_CHARS", str(8 * 1024 * 1024)))
    )
    state_max_tasks: int = field(default_factory=lambda: int(_env("STATE_MAX_TASKS", "20000")))
    # Roles whose users must log in with a second factor (TOTP).
    totp_roles: frozenset[str] = field(
        default_factory=lambda: frozenset(
            r.strip()
            for r in _env("TOTP_ROLES", "beheerder,privacyfunctionaris").split(",")
            if r.strip()
        )
    )
    # Secure cookies work on http://localhost and 127.0.0.1 too (browsers treat them as
    # secure contexts); switch off only behind a plain-http proxy you trust.
    cookie_secure: bool = field(default_factory=lambda: _env("COOKIE_SECURE", "1") != "0")
    session_hours: float = field(default_factory=lambda: float(_env("SESSION_HOURS", "8")))
    # OpenID Connect: set the issuer's metadata URL and a client to enable it.
    oidc_metadata_url: str | None = field(
        default_factory=lambda: _env("OIDC_METADATA_URL", "") or None
    )
    oidc_client_id: str | None = field(default_factory=lambda: _env("OIDC_CLIENT_ID", "") or None)
    oidc_client_secret: str | None = field(
        default_factory=lambda: _env("OIDC_CLIENT_SECRET", "") or None
    )
    oidc_name: str = field(default_factory=lambda: _env("OIDC_NAME", "uw organisatie"))
    # Claims that carry the organisation key, the group keys and the role names.
    oidc_claim_organisation: str = field(
        default_factory=lambda: _env("OIDC_CLAIM_ORGANISATION", "organisation")
    )
    oidc_claim_groups: str = field(default_factory=lambda: _env("OIDC_CLAIM_GROUPS", "groups"))
    oidc_claim_roles: str = field(default_factory=lambda: _env("OIDC_CLAIM_ROLES", "roles"))
    # API tokens: requests per minute per token (Flask-Limiter syntax), and where the
    # counters live (app/ratelimit.py).
    api_rate_limit: str = field(default_factory=lambda: _env("API_RATE_LIMIT", "600 per minute"))
    # The modeller's live dry runs per person (each runs every deploy check).
    modeller_check_limit: str = field(
        default_factory=lambda: _env("MODELLER_CHECK_LIMIT", "60 per minute")
    )
    # Empty: `database` on PostgreSQL (one budget for all web processes), memory:// on SQLite.
    rate_limit_storage: str = field(default_factory=lambda: _env("RATE_LIMIT_STORAGE", ""))
    # Failed bearer authentications (unknown, revoked or expired token) per address; past it
    # the address gets 429 whatever token it sends, so tokens cannot be guessed.
    api_failed_auth_limit: str = field(
        default_factory=lambda: _env("API_FAILED_AUTH_LIMIT", "20 per minute")
    )

    # Folders with installation-specific process packages, besides app/processes/
    # (os.pathsep-separated; see app/plugins.py).
    process_paths: tuple[Path, ...] = field(
        default_factory=lambda: tuple(
            Path(p) for p in _env("PROCESS_PATHS", "").split(os.pathsep) if p.strip()
        )
    )

    # Logging (app/log_config.py): level, "plain" or "json", and the time after which a
    # request is logged as slow.
    log_level: str = field(default_factory=lambda: _env("LOG_LEVEL", "INFO"))
    log_format: str = field(default_factory=lambda: _env("LOG_FORMAT", "plain"))
    slow_request_ms: float = field(default_factory=lambda: float(_env("SLOW_REQUEST_MS", "1000")))

    batch_size: int = field(default_factory=lambda: int(_env("BATCH_SIZE", "50")))
    timezone: str = "Europe/Amsterdam"

    @property
    def secret_key(self) -> str:
        return _secret_key()

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")


def load_settings(**overrides: object) -> Settings:
    return Settings(**overrides)  # type: ignore[arg-type]
