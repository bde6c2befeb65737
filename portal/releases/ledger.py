"""The release ledger: an append-only, Ed25519-signed SHA-256 hash chain of every publication.

Each publish, retraction and correction appends one entry: its canonical JSON (keys sorted,
no spaces, UTF-8) names the dataset, version, each file's name, size and SHA-256, who
approved it, when, and the previous entry's hash. The entry's hash is the SHA-256 of those
bytes; the signature is over the same bytes. Anyone holding `/ledger.json` and the public
key can check the chain and every downloaded file without trusting the portal.
"""

from __future__ import annotations

import base64
import hashlib
import json
import logging
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import load_pem_public_key
from sqlalchemy import select, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from portal.config import Config, is_throwaway_folder
from portal.db import Database
from portal.errors import ConfigurationError, PortalError
from portal.models import Version, utcnow
from portal.releases.models import Correction, LedgerEntry

GENESIS = "0" * 64
KEY_FILE = "signing-key.pem"
PUBLISH, RETRACT, CORRECTION = "publish", "retract", "correction"
LOCK_KEY = 0x6C656467  # "ledg": the advisory lock that orders appends on PostgreSQL

log = logging.getLogger(__name__)
# The configuration of each database this process has signed for: retract() is called by
# views that hold a session but no configuration, and must still sign with the right key.
_KNOWN: dict[str, Config] = {}


class LedgerMismatch(PortalError):
    """The chain, its signatures, the database and the stored files do not agree."""


def canonical(document: dict[str, Any]) -> bytes:
    """The exact bytes that are hashed and signed."""
    return json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


# -- keys ------------------------------------------------------------------------------------


def ensure_key_file(data_dir: Path) -> Path:
    """Generate `signing-key.pem` (mode 0600) in the data folder unless it is there already."""
    path = data_dir / KEY_FILE
    if path.is_file():
        return path
    data_dir.mkdir(parents=True, exist_ok=True)
    pem = Ed25519PrivateKey.generate().private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    try:
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return path  # another process made it first; use theirs
    with os.fdopen(descriptor, "wb") as handle:
        handle.write(pem)
    return path


def parse_private_key(text: str) -> Ed25519PrivateKey:
    """A PEM private key, or base64 of a PEM, of DER or of the 32 raw bytes."""
    raw = text.strip().encode()
    try:
        if not raw.startswith(b"-----BEGIN"):
            raw = base64.b64decode(raw, validate=True)
        if len(raw) == 32:
            return Ed25519PrivateKey.from_private_bytes(raw)
        if raw.startswith(b"-----BEGIN"):
            key = serialization.load_pem_private_key(raw, password=None)
        else:
            key = serialization.load_der_private_key(raw, password=None)
    except ValueError as error:
        raise ConfigurationError(f"PORTAL_SIGNING_KEY is not a readable key: {error}") from None
    if not isinstance(key, Ed25519PrivateKey):
        raise ConfigurationError("PORTAL_SIGNING_KEY must be an Ed25519 private key")
    return key


def signing_key(config: Config) -> Ed25519PrivateKey:
    """The ledger's private key: PORTAL_SIGNING_KEY, else `signing-key.pem` in the data folder
    (generated there for a demo, debug or test portal). Anything else is a startup error."""
    _KNOWN[_url_key(config.database_url)] = config
    if config.signing_key:
        return parse_private_key(config.signing_key)
    path = config.data_dir / KEY_FILE
    throwaway = config.demo or config.debug or config.testing
    if not path.is_file() and (throwaway or is_throwaway_folder(config.data_dir)):
        ensure_key_file(config.data_dir)
    if not path.is_file():
        raise ConfigurationError(
            "PORTAL_SIGNING_KEY is not set. Set it to an Ed25519 private key in PEM "
            "(openssl genpkey -algorithm ed25519), or set PORTAL_DEMO=1 for a throwaway portal."
        )
    return parse_private_key(path.read_text(encoding="ascii"))


def check_key_at_startup(config: Config, db: Database) -> None:
    """Refuse to start without the key once anything was signed with one.

    A fresh portal (empty ledger) starts without a key, with a warning, and refuses to publish
    until PORTAL_SIGNING_KEY is set: that keeps one-off processes on a new data folder working.
    """
    try:
        signing_key(config)
    except ConfigurationError:
        try:
            with db.session() as session:
                signed = head(session) is not None
        except SQLAlchemyError:  # not migrated yet: nothing was signed
            signed = False
        if signed:
            raise
        log.warning("PORTAL_SIGNING_KEY is not set: publishing is refused until it is")


def public_key_pem(config: Config) -> str:
    public = signing_key(config).public_key()
    return public.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    ).decode("ascii")


def key_id(public: Ed25519PublicKey) -> str:
    raw = public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return hashlib.sha256(raw).hexdigest()[:16]


def _url_key(database_url: str) -> str:
    return make_url(database_url).render_as_string(hide_password=False)


def config_for(session: Session) -> Config:
    """The configuration of the portal whose database this session talks to."""
    found = _KNOWN.get(session.get_bind().url.render_as_string(hide_password=False))
    if found is None:
        raise ConfigurationError("the ledger key of this database is unknown; pass the config")
    return found


# -- appending -------------------------------------------------------------------------------


def head(session: Session) -> LedgerEntry | None:
    return session.scalar(select(LedgerEntry).order_by(LedgerEntry.seq.desc()).limit(1))


def files_of(version: Version) -> list[dict[str, Any]]:
    return [{"name": f.filename, "size": f.size, "sha256": f.sha256} for f in version.files]


def append(
    session: Session,
    config: Config,
    kind: str,
    dataset: str,
    version: int | None,
    **details: Any,
) -> LedgerEntry:
    """Sign and append one entry after the current head (in the caller's transaction)."""
    key = signing_key(config)
    if session.get_bind().dialect.name == "postgresql":
        # Concurrent publishes wait here, then read the head the other one wrote (instead of
        # failing on the unique seq). SQLite serialises writers by itself.
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": LOCK_KEY})
    previous = head(session)
    at = utcnow()
    body = {
        "seq": previous.seq + 1 if previous else 1,
        "kind": kind,
        "at": at.isoformat(timespec="seconds"),
        "dataset": dataset,
        "version": version,
        "prev": previous.hash if previous else GENESIS,
        **details,
    }
    data = canonical(body)
    entry = LedgerEntry(
        seq=body["seq"],
        at=at,
        kind=kind,
        dataset_slug=dataset,
        version_number=version,
        body=data.decode(),
        prev_hash=body["prev"],
        hash=hashlib.sha256(data).hexdigest(),
        signature=key.sign(data).hex(),
        key_id=key_id(key.public_key()),
    )
    session.add(entry)
    session.flush()  # the unique seq and prev_hash refuse a second entry on the same head
    return entry


def record_publish(session: Session, config: Config, version: Version) -> LedgerEntry:
    # The public record names people as an admin decided, never by e-mail address.
    approver = version.approved_by.public_label if version.approved_by else None
    return append(
        session,
        config,
        PUBLISH,
        version.dataset.slug,
        version.number,
        files=files_of(version),
        approved_by=approver or "auto-publish policy",
        published_at=version.published_at.isoformat(timespec="seconds"),
    )


def record_retraction(
    session: Session, config: Config, version: Version, by: str, reason: str
) -> LedgerEntry:
    return append(
        session,
        config,
        RETRACT,
        version.dataset.slug,
        version.number,
        files=files_of(version),
        approved_by=by,
        reason=reason,
    )


# -- reading ---------------------------------------------------------------------------------


def entries(session: Session, dataset: str | None = None) -> list[LedgerEntry]:
    query = select(LedgerEntry).order_by(LedgerEntry.seq)
    if dataset:
        query = query.where(LedgerEntry.dataset_slug == dataset)
    return list(session.scalars(query))


def public_document(session: Session, config: Config) -> dict[str, Any]:
    """What `/ledger.json` serves: the public key, the head and every entry."""
    chain = entries(session)
    last = chain[-1] if chain else None
    try:
        pem = public_key_pem(config)
    except ConfigurationError:  # a fresh portal without a key yet has nothing signed
        pem = None
    return {
        "algorithm": "Ed25519 signature over the entry's canonical JSON; hash is its SHA-256",
        "canonical": "JSON with keys sorted, separators ',' and ':', no spaces, UTF-8",
        "publicKey": pem,
        "keyId": key_id(load_pem_public_key(pem.encode())) if pem else None,
        "head": {"seq": last.seq, "hash": last.hash, "at": last.at.isoformat()} if last else None,
        "entries": [
            {
                "seq": e.seq,
                "hash": e.hash,
                "signature": e.signature,
                "keyId": e.key_id,
                "entry": json.loads(e.body),
            }
            for e in reversed(chain)
        ],
    }


# -- verifying -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Verified:
    entries: int
    files: int
    head: str | None


def verify(session: Session, config: Config, dataset: str | None = None) -> Verified:
    """Check the chain, its signatures, the database and the stored files agree.

    Raises LedgerMismatch naming the first disagreement. Offline: nothing but the database,
    the data folder and the key.
    """
    from portal.storage import LocalStorage, sha256_of

    public = signing_key(config).public_key()
    chain = entries(session)
    previous_hash, publishes, retractions, fixes = GENESIS, {}, set(), {}
    for number, entry in enumerate(chain, start=1):
        where = f"ledger entry {entry.seq}"
        data = entry.body.encode()
        if entry.seq != number:
            raise LedgerMismatch(
                f"{where}: expected sequence number {number} (an entry is missing)"
            )
        if hashlib.sha256(data).hexdigest() != entry.hash:
            raise LedgerMismatch(f"{where}: its content does not match its hash {entry.hash}")
        try:
            body = json.loads(data)
        except ValueError:
            raise LedgerMismatch(f"{where}: its content is not JSON") from None
        if body.get("prev") != previous_hash or entry.prev_hash != previous_hash:
            raise LedgerMismatch(f"{where}: does not follow the entry before it")
        try:
            public.verify(bytes.fromhex(entry.signature), data)
        except (InvalidSignature, ValueError):
            raise LedgerMismatch(f"{where}: the signature does not hold") from None
        fields = (body.get("seq"), body.get("kind"), body.get("dataset"), body.get("version"))
        if fields != (entry.seq, entry.kind, entry.dataset_slug, entry.version_number):
            raise LedgerMismatch(f"{where}: its columns disagree with its signed content")
        previous_hash = entry.hash
        if entry.kind == PUBLISH:
            publishes[(entry.dataset_slug, entry.version_number)] = (entry.seq, body["files"])
        elif entry.kind == RETRACT:
            retractions.add((entry.dataset_slug, entry.version_number))
        elif entry.kind == CORRECTION:
            fixes[body["correction"]["id"]] = (entry.seq, body["correction"])

    storage = LocalStorage(config.data_dir)
    query = select(Version).order_by(Version.dataset_id, Version.number)
    checked = 0
    for version in session.scalars(query):
        slug = version.dataset.slug
        if dataset and slug != dataset:
            continue
        name = f"{slug} version {version.number}"
        if (slug, version.number) not in publishes:
            raise LedgerMismatch(f"{name}: published but not in the ledger")
        seq, recorded = publishes.pop((slug, version.number))
        if files_of(version) != recorded:
            raise LedgerMismatch(f"{name}: the database's files differ from ledger entry {seq}")
        if version.retracted_at is not None and (slug, version.number) not in retractions:
            raise LedgerMismatch(f"{name}: retracted but the retraction is not in the ledger")
        for file in version.files:
            path = storage.path(file.path)
            if not path.is_file():
                raise LedgerMismatch(f"{name}: {file.filename} is missing from storage")
            if path.stat().st_size != file.size or sha256_of(path) != file.sha256:
                raise LedgerMismatch(
                    f"{name}: {file.filename} does not match its SHA-256 in ledger entry {seq}"
                )
            checked += 1
    published = (
        select(Correction)
        .where(Correction.published_at.is_not(None))
        .order_by(Correction.published_at.desc())
    )
    for correction in session.scalars(published):
        if dataset and correction.dataset.slug != dataset:
            continue
        seq, recorded = fixes.get(correction.id, (None, None))
        if recorded != correction.as_dict():
            where = f"ledger entry {seq}" if seq else "the ledger"
            raise LedgerMismatch(f"correction {correction.id}: the database differs from {where}")
    for (slug, number), (seq, _files) in publishes.items():
        if not dataset or slug == dataset:
            raise LedgerMismatch(
                f"ledger entry {seq}: {slug} version {number} is not in the database"
            )
    return Verified(len(chain), checked, chain[-1].hash if chain else None)
