"""The portal's working parts for one process: configuration, database, dataset definitions.

The CLI, the scheduler and the web app each build one and call the same services with it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from portal.config import Config
from portal.datasets.definitions import DatasetDefinition, load_definitions
from portal.db import Database
from portal.errors import UnknownDataset


@dataclass
class Portal:
    config: Config
    db: Database = field(init=False)
    _definitions: dict[str, DatasetDefinition] | None = field(default=None, init=False)

    def __post_init__(self) -> None:
        self.db = Database(self.config)

    @property
    def definitions(self) -> dict[str, DatasetDefinition]:
        if self._definitions is None:
            self._definitions = load_definitions(
                self.config.publishers_dir, self.config.schemas_dir
            )
        return self._definitions

    def definition(self, slug: str) -> DatasetDefinition:
        try:
            return self.definitions[slug]
        except KeyError:
            known = ", ".join(sorted(self.definitions)) or "none"
            raise UnknownDataset(f"no publisher entry for {slug!r} (known: {known})") from None
