"""Where policy versions come from without Python: the definitions folder, and a policy's
file or HTTP source (the department's own site) checked on a schedule.

    policies/<slug>/policy.yaml    number, title, description; optional source: {url | path,
                                   schedule (cron), effective (date, else the fetch day)}
    policies/<slug>/<name>.md      one version each: front matter `effective:` (date) and
                                   `summary:` (the summary of changes offered to the reviewer)

A text already held by the policy (any version, any status) is "unchanged": a definition or
a source never proposes the same words twice, and a rejected one stays rejected.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path

import httpx
import yaml
from sqlalchemy import select
from sqlalchemy.orm import Session

from portal.config import Config
from portal.errors import DefinitionError, PortalError, SourceUnavailable
from portal.models import utcnow
from portal.policies import review
from portal.policies.extract import MAX_DOCUMENT_BYTES, extract
from portal.policies.library import SLUG
from portal.policies.models import Policy, PolicyVersion

log = logging.getLogger(__name__)
TIMEOUT_SECONDS = 20.0
USER_AGENT = "police-transparency-portal-policies/1"


@dataclass(frozen=True)
class VersionFile:
    path: Path
    effective_on: date
    summary: str


@dataclass(frozen=True)
class PolicySource:
    url: str = ""
    path: str = ""
    schedule: str = ""
    effective: date | None = None


@dataclass(frozen=True)
class PolicyDefinition:
    slug: str
    number: str
    title: str
    description: str
    versions: list[VersionFile] = field(default_factory=list)
    source: PolicySource | None = None


@dataclass(frozen=True)
class Outcome:
    """What one definition file or source check did, in a sentence."""

    policy: str
    message: str
    version: PolicyVersion | None = None


def load_definitions(folder: Path) -> tuple[list[PolicyDefinition], dict[str, str]]:
    """Every policy folder's definition, and the broken ones with their error."""
    found, broken = [], {}
    if not folder.is_dir():
        return [], {}
    for directory in sorted(p for p in folder.iterdir() if p.is_dir()):
        try:
            found.append(load_definition(directory))
        except DefinitionError as error:
            broken[directory.name] = str(error)
    return found, broken


def load_definition(directory: Path) -> PolicyDefinition:
    slug = directory.name
    where = f"policies/{slug}/policy.yaml"
    if not SLUG.fullmatch(slug):
        raise DefinitionError(f"policies/{slug}: a folder name must be lower-case-with-hyphens")
    try:
        meta = yaml.safe_load((directory / "policy.yaml").read_text(encoding="utf-8")) or {}
    except FileNotFoundError:
        raise DefinitionError(f"{where} is missing (number and title)") from None
    except (yaml.YAMLError, UnicodeDecodeError) as error:
        raise DefinitionError(f"{where}: not YAML ({error})") from None
    if not isinstance(meta, dict) or not meta.get("title"):
        raise DefinitionError(f"{where}: `title:` is required")
    unknown = set(meta) - {"number", "title", "description", "source"}
    if unknown:
        raise DefinitionError(f"{where}: unknown keys {', '.join(sorted(unknown))}")
    versions = []
    for path in sorted(directory.glob("*.md")):
        front = _front_matter(path)
        effective = front.get("effective")
        if not isinstance(effective, date):
            raise DefinitionError(
                f"policies/{slug}/{path.name}: front matter needs `effective: YYYY-MM-DD`"
            )
        versions.append(VersionFile(path, effective, str(front.get("summary") or "").strip()))
    versions.sort(key=lambda v: v.effective_on)
    return PolicyDefinition(
        slug,
        str(meta.get("number") or ""),
        str(meta["title"]),
        str(meta.get("description") or ""),
        versions,
        _source(where, meta.get("source")),
    )


def _front_matter(path: Path) -> dict:
    from portal.policies.extract import DocumentRefused, split_front_matter

    try:
        front, _ = split_front_matter(path.name, path.read_text(encoding="utf-8"))
    except (DocumentRefused, UnicodeDecodeError) as error:
        raise DefinitionError(f"policies/{path.parent.name}/{path.name}: {error}") from None
    return front


def _source(where: str, value: object) -> PolicySource | None:
    if value is None:
        return None
    if not isinstance(value, dict) or bool(value.get("url")) == bool(value.get("path")):
        raise DefinitionError(f"{where}: `source:` needs exactly one of `url:` or `path:`")
    unknown = set(value) - {"url", "path", "schedule", "effective"}
    if unknown:
        raise DefinitionError(f"{where}: source: unknown keys {', '.join(sorted(unknown))}")
    url = str(value.get("url") or "")
    if url and not url.startswith(("http://", "https://")):
        raise DefinitionError(f"{where}: source url must start with http:// or https://")
    effective = value.get("effective")
    if effective is not None and not isinstance(effective, date):
        raise DefinitionError(f"{where}: source effective must be a date YYYY-MM-DD")
    return PolicySource(
        url, str(value.get("path") or ""), str(value.get("schedule") or ""), effective
    )


def sync_definition(
    session: Session, config: Config, definition: PolicyDefinition, actor: str = "definitions"
) -> list[Outcome]:
    """Make each new Markdown file of a definition a candidate, oldest effective date first."""
    policy = review.ensure_policy(
        session, definition.slug, definition.number, definition.title, definition.description
    )
    outcomes = []
    for item in definition.versions:
        content = item.path.read_bytes()
        outcomes.append(
            _propose(
                session, config, policy, item.path.name, content, item.effective_on,
                "definitions", f"policies/{definition.slug}/{item.path.name}", actor,
                supersede=False,
            )
        )  # fmt: skip
    return outcomes


def check_source(
    session: Session, config: Config, definition: PolicyDefinition, today: date | None = None
) -> Outcome:
    """Fetch the policy's file or page; a changed text becomes a candidate."""
    source = definition.source
    if source is None:
        return Outcome(definition.slug, "has no source to check")
    policy = review.ensure_policy(
        session, definition.slug, definition.number, definition.title, definition.description
    )
    name, content = fetch(config, source)
    effective = source.effective or today or utcnow().date()
    kind, ref = ("http", source.url) if source.url else ("file", source.path)
    return _propose(session, config, policy, name, content, effective, kind, ref, "scheduler")


def _propose(
    session: Session, config: Config, policy: Policy, name: str, content: bytes,
    effective_on: date, source: str, ref: str, actor: str, supersede: bool = True,
) -> Outcome:  # fmt: skip
    extracted = extract(name, content)
    import hashlib

    text_sha = hashlib.sha256(extracted.text.encode()).hexdigest()
    held = session.scalar(
        select(PolicyVersion).where(
            PolicyVersion.policy_id == policy.id, PolicyVersion.text_sha256 == text_sha
        )
    )
    if held is not None:
        return Outcome(policy.slug, f"{name}: unchanged (already {held.status.value})", held)
    version = review.submit(
        session, config, policy, name, content, effective_on,
        source=source, source_ref=ref, actor=actor, extracted=extracted, supersede=supersede,
    )  # fmt: skip
    return Outcome(policy.slug, f"{name}: new candidate, effective {effective_on}", version)


def fetch(config: Config, source: PolicySource) -> tuple[str, bytes]:
    """The source's bytes, at most MAX_DOCUMENT_BYTES (a bigger one is refused, not cut)."""
    if source.path:
        path = Path(source.path)
        if not path.is_absolute():
            path = config.policies_dir / path
        try:
            if path.stat().st_size > MAX_DOCUMENT_BYTES:
                raise SourceUnavailable(f"{path} is larger than {MAX_DOCUMENT_BYTES:,} bytes")
            return path.name, path.read_bytes()
        except OSError as error:
            raise SourceUnavailable(f"{path}: {error.strerror or error}") from None
    chunks, size = [], 0
    try:
        with httpx.stream(
            "GET", source.url, timeout=TIMEOUT_SECONDS, follow_redirects=True,
            headers={"User-Agent": USER_AGENT},
        ) as response:  # fmt: skip
            if response.status_code != 200:
                raise SourceUnavailable(f"{source.url} answered HTTP {response.status_code}")
            for chunk in response.iter_bytes():
                size += len(chunk)
                if size > MAX_DOCUMENT_BYTES:
                    raise SourceUnavailable(
                        f"{source.url} is larger than {MAX_DOCUMENT_BYTES:,} bytes"
                    )
                chunks.append(chunk)
            media = response.headers.get("content-type", "").split(";")[0].strip()
    except httpx.HTTPError as error:
        raise SourceUnavailable(f"{source.url}: {error.__class__.__name__}: {error}") from None
    name = source.url.rstrip("/").rsplit("/", 1)[-1].split("?")[0] or "index"
    if media == "text/html" and not name.endswith((".html", ".htm")):
        name += ".html"
    return name, b"".join(chunks)


def check_sources(
    session_factory,
    config: Config,
    due: list[str],
    now: datetime,  # noqa: ANN001
) -> list[Outcome]:
    """Check the named policies' sources, each in its own transaction; a failing one is
    logged and harms nothing else."""
    definitions, _broken = load_definitions(config.policies_dir)
    outcomes = []
    for definition in definitions:
        if definition.slug not in due:
            continue
        try:
            with session_factory() as session:
                outcome = check_source(session, config, definition, now.date())
        except PortalError as error:
            log.error("policy source %s not checked: %s", definition.slug, error)
            outcome = Outcome(definition.slug, f"not checked: {error}")
        outcomes.append(outcome)
    return outcomes
