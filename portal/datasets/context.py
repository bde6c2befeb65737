"""The portal's working parts for one process: configuration, database, dataset definitions.

The CLI, the scheduler and the web app each build one and call the same services with it.
Definitions are read again when any definition file is added, changed or removed (checked at
most once a second, by the files' names, sizes and modification times), so a long-running web
server or scheduler sees them without a restart.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

from portal.config import Config
from portal.datasets.definitions import Catalogue, DatasetDefinition, load_catalogue
from portal.db import Database
from portal.errors import DefinitionError, UnknownDataset

RECHECK_SECONDS = 1.0


def definition_files(config: Config) -> tuple[tuple[str, int, int], ...]:
    """What identifies the current definition files: (path, size, mtime) of each."""
    paths = list(config.publishers_dir.glob("*.yaml"))
    paths += [p for p in config.schemas_dir.glob("*/*") if p.suffix in (".yaml", ".json")]
    stamps = []
    for path in sorted(paths):
        try:
            stat = path.stat()
        except OSError:  # removed between the listing and the stat: the next check sees it
            continue
        stamps.append((str(path), stat.st_size, stat.st_mtime_ns))
    return tuple(stamps)


@dataclass
class Portal:
    config: Config
    db: Database = field(init=False)
    _catalogue: Catalogue | None = field(default=None, init=False)
    _files: tuple = field(default=(), init=False)
    _checked_at: float = field(default=0.0, init=False)

    def __post_init__(self) -> None:
        self.db = Database(self.config)

    @property
    def catalogue(self) -> Catalogue:
        now = time.monotonic()
        if self._catalogue is None or now - self._checked_at >= RECHECK_SECONDS:
            files = definition_files(self.config)
            if self._catalogue is None or files != self._files:
                self._catalogue = load_catalogue(
                    self.config.publishers_dir, self.config.schemas_dir
                )
                self._files = files
            self._checked_at = now
        return self._catalogue

    @property
    def definitions(self) -> dict[str, DatasetDefinition]:
        return self.catalogue.definitions

    @property
    def broken(self) -> dict[str, str]:
        """Datasets whose definition does not load, with the error: they cannot run."""
        return self.catalogue.broken

    def definition(self, slug: str) -> DatasetDefinition:
        catalogue = self.catalogue
        if slug in catalogue.broken:
            raise DefinitionError(catalogue.broken[slug])
        try:
            return catalogue.definitions[slug]
        except KeyError:
            known = ", ".join(sorted(catalogue.definitions)) or "none"
            raise UnknownDataset(f"no publisher entry for {slug!r} (known: {known})") from None
