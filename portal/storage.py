"""Where candidate and version files live: a local folder, swappable for an object store.

Requests never name a path: views look a file up in the database and ask the
storage for it by the relative path recorded at publish time.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import uuid
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from pathlib import Path

from portal.errors import PortalError

CHUNK = 1 << 20
VERSION_FOLDER = re.compile(r"v(\d+)")


class VersionFolderTaken(PortalError):
    """A `v<N>` folder already exists where a publish was about to put its version."""


@dataclass(frozen=True)
class StoredFolder:
    """What a publish wrote: its files, and the folder's identity (for a safe clean-up)."""

    files: list[StoredFile]
    slug: str
    number: int
    inode: int


@dataclass(frozen=True)
class StoredFile:
    filename: str
    path: str  # relative to the storage's versions folder
    size: int
    sha256: str


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def _place(source: Path, target: Path, digest: str | None) -> str:
    """Link (or copy) source to target, flushed to disk; the SHA-256 of its bytes."""
    try:
        os.link(source, target)
    except OSError:  # another file system, or one without hard links: copy, hashing as we go
        hashed = hashlib.sha256()
        with source.open("rb") as reading, target.open("wb") as writing:
            while chunk := reading.read(CHUNK):
                hashed.update(chunk)
                writing.write(chunk)
            writing.flush()
            os.fsync(writing.fileno())
        return hashed.hexdigest()
    with target.open("rb") as handle:
        os.fsync(handle.fileno())
    return digest or sha256_of(target)


def _fsync_dir(path: Path) -> None:
    descriptor = os.open(path, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


class LocalStorage:
    """Staging and version folders under the portal's data folder."""

    def __init__(self, data_dir: Path, versions: str = "versions") -> None:
        # `versions`: the folder published things live in (datasets' "versions", "policies").
        self.staging = data_dir / "staging"
        self.versions = data_dir / versions

    def new_staging_dir(self, name: str) -> Path:
        path = self.staging / name
        if path.exists():
            shutil.rmtree(path)
        path.mkdir(parents=True)
        return path

    def staged(self, name: str) -> Path:
        return self._inside(self.staging, name)

    def publish(
        self,
        staged_dir: Path,
        slug: str,
        number: int,
        digests: Mapping[str, str] | None = None,
    ) -> StoredFolder:
        """Put a staged folder's files into place as version `number`, durably, in one rename.

        Readers see either no `v<N>` folder or a complete one. A `v<N>` folder is written
        once: the rename never replaces an existing one (the caller holds the number in the
        database and removed the orphans first, `remove_orphans`), it fails instead.

        Each file is hard-linked into the version folder (copied where the file system cannot
        link), never rewritten: staged files are written once and never changed in place.
        `digests` are SHA-256s the caller has just checked against the staged bytes; other
        files are hashed here, once, as they are copied or linked.
        """
        dataset_dir = self.versions / slug
        dataset_dir.mkdir(parents=True, exist_ok=True)
        final = dataset_dir / f"v{number}"
        temporary = dataset_dir / f".incoming-{uuid.uuid4().hex}"
        temporary.mkdir()
        known = digests or {}
        try:
            stored = []
            for source in sorted(p for p in staged_dir.iterdir() if p.is_file()):
                target = temporary / source.name
                digest = _place(source, target, known.get(source.name))
                stored.append(
                    StoredFile(
                        source.name,
                        f"{slug}/v{number}/{source.name}",
                        target.stat().st_size,
                        digest,
                    )
                )
            _fsync_dir(temporary)
            if final.exists():
                raise VersionFolderTaken(f"{final} already exists; version {number} not written")
            # rename(2) refuses to replace a non-empty folder (ENOTEMPTY): never another's.
            os.rename(temporary, final)
        except BaseException:
            shutil.rmtree(temporary, ignore_errors=True)
            raise
        _fsync_dir(dataset_dir)
        return StoredFolder(stored, slug, number, final.stat().st_ino)

    def discard_version(self, written: StoredFolder) -> None:
        """Remove the version folder this process wrote, after its database commit failed.

        Only that very folder (same inode): if the number passed to another publisher
        meanwhile, its folder stays.
        """
        final = self.versions / written.slug / f"v{written.number}"
        try:
            if final.stat().st_ino != written.inode:
                return
        except FileNotFoundError:
            return
        shutil.rmtree(final, ignore_errors=True)

    def remove_orphans(self, slug: str, committed: Collection[int]) -> list[str]:
        """Remove what interrupted publishes left in a dataset's folder: `.incoming-*` folders
        and `v<N>` folders of numbers no committed version holds. The caller holds the
        dataset's publish lock, so no publish of it is in flight. Returns the names removed."""
        dataset_dir = self.versions / slug
        if not dataset_dir.is_dir():
            return []
        removed = []
        for entry in sorted(dataset_dir.iterdir()):
            match = VERSION_FOLDER.fullmatch(entry.name)
            orphan = entry.name.startswith(".incoming-") or (
                match is not None and int(match.group(1)) not in committed
            )
            if orphan and entry.is_dir() and not entry.is_symlink():
                shutil.rmtree(entry, ignore_errors=True)
                removed.append(entry.name)
        if removed:
            _fsync_dir(dataset_dir)
        return removed

    def path(self, relative: str) -> Path:
        """The file behind a recorded relative path, refusing anything outside the store."""
        return self._inside(self.versions, relative)

    @staticmethod
    def _inside(root: Path, relative: str) -> Path:
        resolved = (root / relative).resolve()
        if not resolved.is_relative_to(root.resolve()):
            raise ValueError(f"{relative!r} is outside the storage folder")
        return resolved
