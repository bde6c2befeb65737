"""Configuration: built once from environment variables; nothing else reads os.environ."""

from __future__ import annotations

import contextlib
import os
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path

from portal.errors import ConfigurationError

REPO_ROOT = Path(__file__).resolve().parent.parent
TRUE_WORDS = {"1", "true", "yes", "on"}


# Data folders of test configurations in this process, where the ledger may generate a key
# as it does for a demo (portal.releases.ledger.signing_key).
_THROWAWAY_FOLDERS: set[Path] = set()


def is_throwaway_folder(data_dir: Path) -> bool:
    """Whether a test configuration in this process claimed this data folder."""
    return data_dir.resolve() in _THROWAWAY_FOLDERS


SECRET_KEY_FILE = "secret-key"  # noqa: S105 — a file name, not a secret


def shared_secret_key(data_dir: Path) -> str:
    """The demo's SECRET_KEY, kept in `secret-key` (mode 0600) in the data folder.

    Every gunicorn worker builds its own Config: a key made up per process would make one
    worker's CSRF tokens and sessions invalid in the next ("Form expired"). The first process
    writes the key to a private temporary file and links it into place, so the file appears
    whole or not at all; the others read that one.
    """
    path = data_dir / SECRET_KEY_FILE
    if not path.is_file():
        data_dir.mkdir(parents=True, exist_ok=True)
        temporary = data_dir / f".{SECRET_KEY_FILE}.{os.getpid()}.{secrets.token_hex(4)}"
        descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            with os.fdopen(descriptor, "w", encoding="ascii") as handle:
                handle.write(secrets.token_hex(32) + "\n")
                handle.flush()
                os.fsync(handle.fileno())
            # Fails if another process linked its key first: then everyone uses that one.
            with contextlib.suppress(FileExistsError):
                os.link(temporary, path)
        finally:
            temporary.unlink(missing_ok=True)
    key = path.read_text(encoding="ascii").strip()
    if len(key) < 32:
        raise ConfigurationError(f"{path} holds no usable secret key; delete it to make a new one")
    return key


@dataclass(frozen=True)
class Config:
    """Everything the portal needs to know about its surroundings.

    Environment variables (all optional):
    DATABASE_URL     SQLAlchemy URL; default: SQLite `portal.db` in the data folder (WAL mode)
    PORTAL_DATA_DIR  database, staged candidates and published versions; default ./instance
    SECRET_KEY       signs sessions and CSRF tokens; required unless PORTAL_DEMO/PORTAL_DEBUG
    PORTAL_BASE_URL  absolute URL the public reaches the portal at; default http://127.0.0.1:8000
    PORTAL_DEMO      "1" for the demo portal: without SECRET_KEY, one random key is made up once
                     and kept in `secret-key` in the data folder, so all workers share it
    PORTAL_DEBUG     "1" for development: same leniency as the demo
    PORTAL_SCHEMAS_DIR, PORTAL_PUBLISHERS_DIR  dataset definitions; default: the repo's folders
    PORTAL_POLICIES_DIR  policy definitions (policies/<slug>/policy.yaml and *.md); default:
                     the repo's `policies/` folder
    PORTAL_SOURCE_<NAME>  the value of ${NAME} in publisher entries (source secrets)
    PORTAL_SIGNING_KEY  Ed25519 private key (PEM, or base64 of PEM or of the 32 raw bytes) that
                     signs the release ledger; fallback: portal.releases.ledger.signing_key
    PORTAL_SMTP_URL  smtp://[user:password@]host:port (or smtps://) for e-mail notifications
    PORTAL_MAIL_FROM  the From address of notification e-mails
    PORTAL_TRUSTED_PROXIES  how many proxies in front of gunicorn set X-Forwarded-For and
                     X-Forwarded-Proto (0, the default: none; the headers are ignored)
    PORTAL_RATELIMIT_URL  where rate-limit counters live: a redis://… URL (needs the `redis`
                     package); default: a table in the portal's database
    """

    data_dir: Path
    database_url: str
    secret_key: str
    base_url: str = "http://127.0.0.1:8000"
    demo: bool = False
    debug: bool = False
    schemas_dir: Path = REPO_ROOT / "schemas"
    publishers_dir: Path = REPO_ROOT / "publishers"
    policies_dir: Path = REPO_ROOT / "policies"
    # Values that publisher entries may reference as ${NAME} (secrets for sources).
    source_variables: Mapping[str, str] = field(default_factory=dict)
    session_hours: int = 8
    login_rate_limit: str = "10 per minute"
    testing: bool = False
    signing_key: str = ""
    smtp_url: str = ""
    mail_from: str = ""
    trusted_proxies: int = 0
    ratelimit_url: str = ""

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None, **overrides: object) -> Config:
        env = os.environ if environ is None else environ
        data_dir = Path(env.get("PORTAL_DATA_DIR", "instance")).resolve()
        demo = env.get("PORTAL_DEMO", "").lower() in TRUE_WORDS
        debug = env.get("PORTAL_DEBUG", "").lower() in TRUE_WORDS
        secret_key = env.get("SECRET_KEY", "")
        if not secret_key:
            if not (demo or debug or overrides.get("testing")):
                raise ConfigurationError(
                    "SECRET_KEY is not set. Set it to a long random string "
                    '(python -c "import secrets; print(secrets.token_hex(32))"), '
                    "or set PORTAL_DEMO=1 for a throwaway demo portal."
                )
            secret_key = shared_secret_key(data_dir) if demo or debug else secrets.token_hex(32)
        config = cls(
            data_dir=data_dir,
            database_url=env.get("DATABASE_URL") or f"sqlite:///{data_dir / 'portal.db'}",
            secret_key=secret_key,
            base_url=env.get("PORTAL_BASE_URL", "http://127.0.0.1:8000").rstrip("/"),
            demo=demo,
            debug=debug,
            schemas_dir=Path(env.get("PORTAL_SCHEMAS_DIR", REPO_ROOT / "schemas")),
            publishers_dir=Path(env.get("PORTAL_PUBLISHERS_DIR", REPO_ROOT / "publishers")),
            policies_dir=Path(env.get("PORTAL_POLICIES_DIR", REPO_ROOT / "policies")),
            source_variables={
                k[len("PORTAL_SOURCE_") :]: v
                for k, v in env.items()
                if k.startswith("PORTAL_SOURCE_")
            },
            signing_key=env.get("PORTAL_SIGNING_KEY", ""),
            smtp_url=env.get("PORTAL_SMTP_URL", ""),
            mail_from=env.get("PORTAL_MAIL_FROM", ""),
            trusted_proxies=_hop_count(env.get("PORTAL_TRUSTED_PROXIES", "")),
            ratelimit_url=env.get("PORTAL_RATELIMIT_URL", "").strip(),
        )
        config = replace(config, **overrides) if overrides else config
        if config.testing and not config.signing_key:
            # Tests run CLI commands in-process on a test's data folder without PORTAL_DEMO:
            # they may generate the ledger key there too (portal.releases.ledger.signing_key).
            _THROWAWAY_FOLDERS.add(config.data_dir.resolve())
        # The portal's own database, for sources that read it (the community-trust survey
        # aggregates); PORTAL_SOURCE_PORTAL_DATABASE_URL may point at a read-only role instead.
        return replace(
            config,
            source_variables={
                "PORTAL_DATABASE_URL": config.database_url,
                **config.source_variables,
            },
        )

    @property
    def staging_dir(self) -> Path:
        return self.data_dir / "staging"

    @property
    def versions_dir(self) -> Path:
        return self.data_dir / "versions"

    @property
    def runs_dir(self) -> Path:
        return self.data_dir / "runs"

    @property
    def reports_dir(self) -> Path:
        """Every finding of each run (source value, file, line), for its paged report."""
        return self.data_dir / "reports"


def _hop_count(value: str) -> int:
    value = value.strip() or "0"
    if not value.isdigit() or int(value) > 10:
        raise ConfigurationError(
            f"PORTAL_TRUSTED_PROXIES must be the number of proxies in front of the portal "
            f"(0 to 10), not {value!r}"
        )
    return int(value)
