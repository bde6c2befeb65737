"""The catalogue page's search: words, facets and sort order over the public datasets."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from sqlalchemy.orm import Session

from portal.datasets.browse import public_datasets
from portal.languages import N_, gettext
from portal.models import Dataset


def search(datasets: list[Dataset], query: str) -> list[Dataset]:
    """Datasets whose title, description, keywords or resources mention every word of the query."""
    words = query.lower().split()
    if not words:
        return datasets

    def haystack(dataset: Dataset) -> str:
        meta = dataset.meta
        parts = [
            dataset.title,
            dataset.slug,
            meta.get("description", ""),
            " ".join(meta.get("keywords", [])),
        ]
        parts += [f"{r.name} {r.title}" for r in dataset.resources]
        return " ".join(parts).lower()

    return [d for d in datasets if all(word in haystack(d) for word in words)]


CATALOGUE_FACETS = {"family": N_("Topic"), "keyword": N_("Keyword"), "frequency": N_("Updated")}
CATALOGUE_SORTS = {"title": N_("Title (A to Z)"), "recent": N_("Most recently published")}


class QueryArgs(Protocol):
    """A parsed query string (werkzeug's MultiDict, without importing the web layer)."""

    def get(self, key: str, default: str = "") -> str: ...
    def getlist(self, key: str) -> list[str]: ...


@dataclass(frozen=True)
class FacetValue:
    value: str
    count: int
    selected: bool


@dataclass(frozen=True)
class Facet:
    name: str
    title: str
    values: list[FacetValue]


@dataclass(frozen=True)
class Catalogue:
    """The catalogue page's answer: matching datasets, facet counts, what was asked."""

    datasets: list[Dataset]
    facets: list[Facet]
    q: str
    sort: str
    selected: dict[str, list[str]]


def facet_values(dataset: Dataset) -> dict[str, list[str]]:
    """The values a dataset has for each catalogue facet."""
    meta = dataset.meta or {}
    return {
        "family": [dataset.family],
        "keyword": [str(k) for k in meta.get("keywords") or []],
        "frequency": [str(meta.get("update_frequency") or "irregular")],
    }


def catalogue(
    datasets: list[Dataset],
    q: str = "",
    selected: dict[str, list[str]] | None = None,
    sort: str = "title",
) -> Catalogue:
    """Search, then facets: values of one facet widen (any of), facets narrow (all of).

    Each facet's counts are over the datasets that match the search and every *other*
    facet, so a reader sees how many each extra tick would add.
    """
    chosen = {k: list(dict.fromkeys(v)) for k, v in (selected or {}).items() if v}
    chosen = {k: v for k, v in chosen.items() if k in CATALOGUE_FACETS}
    found = search(datasets, q)
    values = {d.id: facet_values(d) for d in found}

    def matches(dataset: Dataset, skip: str | None = None) -> bool:
        return all(
            set(wanted) & set(values[dataset.id][name])
            for name, wanted in chosen.items()
            if name != skip
        )

    facets = []
    for name, title in CATALOGUE_FACETS.items():
        counts: dict[str, int] = {}
        for dataset in found:
            if matches(dataset, skip=name):
                for value in dict.fromkeys(values[dataset.id][name]):
                    counts[value] = counts.get(value, 0) + 1
        for value in chosen.get(name, []):
            counts.setdefault(value, 0)
        ordered = sorted(counts.items(), key=lambda item: (-item[1], item[0].lower()))
        facets.append(
            Facet(
                name,
                gettext(title),
                [FacetValue(v, n, v in chosen.get(name, [])) for v, n in ordered],
            )
        )
    results = [d for d in found if matches(d)]
    sort = sort if sort in CATALOGUE_SORTS else "title"
    if sort == "recent":
        results.sort(key=lambda d: d.title.lower())
        # Withdrawn datasets (no current version) come after every live one.
        results.sort(key=lambda d: (d.current_version is not None, _published_at(d)), reverse=True)
    else:
        results.sort(key=lambda d: d.title.lower())
    return Catalogue(results, facets, q, sort, chosen)


def _published_at(dataset: Dataset) -> datetime:
    return dataset.current_version.published_at if dataset.current_version else datetime.min


def search_catalogue(session: Session, args: QueryArgs) -> Catalogue:
    """The catalogue as `/datasets/` and `/api/v1/datasets` both read it from a query string
    (`q`, a facet repeated for "any of", `sort`), over published and withdrawn datasets."""
    return catalogue(
        public_datasets(session),
        q=str(args.get("q", "")).strip(),
        selected={name: args.getlist(name) for name in CATALOGUE_FACETS},
        sort=str(args.get("sort", "title")),
    )
