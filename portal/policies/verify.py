"""`portal verify` for policies: every published policy file matches its signed ledger entry.

The ledger's own check (portal.releases.ledger.verify) proves the chain and its signatures;
this one ties the policy entries in it to the database and to the files in storage.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from portal.config import Config
from portal.policies.library import ledger_name
from portal.policies.models import PolicyVersion
from portal.policies.review import POLICY_PUBLISH, POLICY_RETRACT, storage
from portal.releases import ledger
from portal.releases.ledger import LedgerMismatch
from portal.storage import sha256_of


@dataclass(frozen=True)
class PoliciesVerified:
    versions: int
    files: int


def verify(session: Session, config: Config, policy: str | None = None) -> PoliciesVerified:
    """Raise LedgerMismatch naming the first disagreement; `policy` limits it to one slug."""
    publishes, retractions = {}, set()
    for entry in ledger.entries(session):
        if entry.kind == POLICY_PUBLISH:
            publishes[(entry.dataset_slug, entry.version_number)] = (
                entry.seq,
                json.loads(entry.body)["files"],
            )
        elif entry.kind == POLICY_RETRACT:
            retractions.add((entry.dataset_slug, entry.version_number))
    store = storage(config)
    versions = files = 0
    query = select(PolicyVersion).where(PolicyVersion.number.is_not(None))
    for version in session.scalars(query.order_by(PolicyVersion.policy_id, PolicyVersion.number)):
        slug = version.policy.slug
        if policy and slug != policy:
            continue
        key = (ledger_name(version.policy), version.number)
        name = f"policy {slug} version {version.number}"
        if key not in publishes:
            raise LedgerMismatch(f"{name}: published but not in the ledger")
        seq, recorded = publishes.pop(key)
        if version.files() != recorded:
            raise LedgerMismatch(f"{name}: the database's files differ from ledger entry {seq}")
        if version.retracted_at is not None and key not in retractions:
            raise LedgerMismatch(f"{name}: retracted but the retraction is not in the ledger")
        for file in recorded:
            path = store.path(f"{slug}/v{version.number}/{file['name']}")
            if not path.is_file():
                raise LedgerMismatch(f"{name}: {file['name']} is missing from storage")
            if path.stat().st_size != file["size"] or sha256_of(path) != file["sha256"]:
                raise LedgerMismatch(
                    f"{name}: {file['name']} does not match its SHA-256 in ledger entry {seq}"
                )
            files += 1
        versions += 1
    for (name, number), (seq, _files) in publishes.items():
        if not policy or name == f"policy:{policy}":
            raise LedgerMismatch(
                f"ledger entry {seq}: {name} version {number} is not in the database"
            )
    return PoliciesVerified(versions, files)
