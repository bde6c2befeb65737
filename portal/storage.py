"""Where candidate and version files live: a local folder, swappable for an object store.

Requests never name a path: views look a file up in the database and ask the
storage for it by the relative path recorded at publish time.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import uuid
from dataclasses import dataclass
from pathlib import Path

CHUNK = 1 << 20


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


def _fsync_dir(path: Path) -> None:
    descriptor = os.open(path, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


class LocalStorage:
    """Staging and version folders under the portal's data folder."""

    def __init__(self, data_dir: Path) -> None:
        self.staging = data_dir / "staging"
        self.versions = data_dir / "versions"

    def new_staging_dir(self, name: str) -> Path:
        path = self.staging / name
        if path.exists():
            shutil.rmtree(path)
        path.mkdir(parents=True)
        return path

    def staged(self, name: str) -> Path:
        return self._inside(self.staging, name)

    def publish(self, staged_dir: Path, slug: str, number: int) -> list[StoredFile]:
        """Copy a staged folder into place as version `number`, durably, in one rename.

        Readers see either no `v<N>` folder or a complete one. A folder left by a
        publish that crashed before its database commit is an orphan and is replaced.
        """
        dataset_dir = self.versions / slug
        dataset_dir.mkdir(parents=True, exist_ok=True)
        final = dataset_dir / f"v{number}"
        temporary = dataset_dir / f".incoming-{uuid.uuid4().hex}"
        temporary.mkdir()
        stored = []
        for source in sorted(staged_dir.iterdir()):
            target = temporary / source.name
            shutil.copyfile(source, target)
            with target.open("rb+") as handle:
                os.fsync(handle.fileno())
            stored.append(
                StoredFile(
                    source.name,
                    f"{slug}/v{number}/{source.name}",
                    target.stat().st_size,
                    sha256_of(target),
                )
            )
        _fsync_dir(temporary)
        if final.exists():
            shutil.rmtree(final)
        temporary.rename(final)
        _fsync_dir(dataset_dir)
        return stored

    def discard_version(self, slug: str, number: int) -> None:
        """Remove a version folder whose database commit failed."""
        shutil.rmtree(self.versions / slug / f"v{number}", ignore_errors=True)

    def path(self, relative: str) -> Path:
        """The file behind a recorded relative path, refusing anything outside the store."""
        return self._inside(self.versions, relative)

    @staticmethod
    def _inside(root: Path, relative: str) -> Path:
        resolved = (root / relative).resolve()
        if not resolved.is_relative_to(root.resolve()):
            raise ValueError(f"{relative!r} is outside the storage folder")
        return resolved
