"""Figures as the site reads them: computed at publish, and again only if their declaration changed.

Every page, the API and the feeds call `version_figures`, so they print the same numbers;
the records office previews a candidate with `figures_for` on its staged files.
"""

from __future__ import annotations

import logging
import threading
from collections import OrderedDict
from pathlib import Path

from portal import languages
from portal.errors import DefinitionError
from portal.figures.engine import figures_for
from portal.figures.spec import FORMAT, fingerprint
from portal.models import Dataset, Version
from portal.storage import LocalStorage

log = logging.getLogger(__name__)
CACHED = 64
_lock = threading.Lock()
_cache: OrderedDict[tuple, dict] = OrderedDict()

__all__ = ["dataset_figures", "figures_for", "version_figures", "shown"]


def schemas_of(dataset: Dataset) -> dict[str, dict]:
    return {resource.name: resource.table_schema for resource in dataset.resources}


def dataset_figures(dataset: Dataset, files: dict[str, Path]) -> dict:
    """A dataset's declared figures over these CSV files (a version's, or a candidate's)."""
    return figures_for(dataset.meta or {}, schemas_of(dataset), files)


def csv_files(version: Version, storage: LocalStorage) -> dict[str, Path]:
    return {
        f.resource_name: storage.path(f.path)
        for f in version.files
        if f.resource_name and f.media_type == "text/csv"
    }


def version_figures(version: Version, storage: LocalStorage) -> dict:
    """The figures of a published version as its dataset declares them now.

    Stored at publish time (in English); computed again (once per worker, then kept in
    memory) for a reader of another language, or when the declaration or the result format
    changed since, so no page shows a figure that its
    `dataset.yaml` no longer declares.
    """
    dataset = version.dataset
    spec = fingerprint(dataset.meta or {}, schemas_of(dataset))
    stored = version.figures or {}
    language = languages.current()
    # Stored in English: another language is computed once per worker, in its own words.
    if stored.get("format") == FORMAT and stored.get("spec") == spec and language == "en":
        return stored
    key = (str(storage.versions), version.id, spec, language)
    with _lock:
        if key in _cache:
            _cache.move_to_end(key)
            return _cache[key]
    try:
        found = dataset_figures(dataset, csv_files(version, storage))
    except DefinitionError as error:
        # A declaration that no longer fits an old version's tables: say so, show nothing.
        log.warning("figures of %s v%s not computed: %s", dataset.slug, version.number, error)
        found = {"format": FORMAT, "spec": spec, "figures": [], "error": str(error)}
    with _lock:
        _cache[key] = found
        while len(_cache) > CACHED:
            _cache.popitem(last=False)
    return found


def shown(version: Version, storage: LocalStorage, resource: str | None = None) -> list[dict]:
    """The figures of a version (of one of its tables), in declared order."""
    figures = version_figures(version, storage).get("figures", [])
    return [f for f in figures if resource is None or f["resource"] == resource]
