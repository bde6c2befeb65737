"""Public pages: the index summary, the catalogue, dataset pages, version history, health."""

from __future__ import annotations

import time
from dataclasses import dataclass
from functools import lru_cache

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    render_template,
    request,
)
from flask import session as flask_session
from flask_login import current_user
from flask_login.config import COOKIE_NAME as REMEMBER_COOKIE
from markupsafe import Markup
from sqlalchemy import text

from portal import languages
from portal.catalogs.about import About, about
from portal.datasets import browse, catalogue_search, generation, labels, texts
from portal.datasets.freshness import Freshness, dataset_freshness
from portal.errors import UnknownDataset
from portal.extensions import db_session, portal, storage
from portal.figures import charts as figure_charts
from portal.figures import numbers
from portal.figures import service as figure_service
from portal.markdown import render_markdown, render_markdown_inline
from portal.models import Dataset, Version, utcnow
from portal.policies import links as policy_links
from portal.query.preview import table_views
from portal.releases import ledger
from portal.releases.diff import resource_changes
from portal.web import fragments
from portal.web.edge import SHARED_SECONDS
from portal.web.language import as_written

public = Blueprint("public", __name__)
public.add_app_template_filter(labels.value_label, "label")
public.add_app_template_filter(labels.long_date, "long_date")
public.add_app_template_filter(labels.long_time, "long_time")
public.add_app_template_filter(labels.frequency, "frequency")
public.add_app_template_filter(numbers.money, "money")
public.add_app_template_filter(numbers.count, "count")
public.add_app_template_filter(numbers.number_text, "number")
public.add_app_template_global(fragments.rendered_once, "rendered_once")
public.add_app_template_global(fragments.partial, "partial")


@public.app_template_global("figures_of")
def figures_of(version: Version, resource: str | None = None) -> list[dict]:
    """A version's declared figures, as every page and the API show them (portal.figures)."""
    return figure_service.shown(version, storage(), resource)


@public.app_template_global("charts_of")
def charts_of(figures: list[dict]) -> list[dict]:
    """The drawings of these figures' charts (portal.figures.charts)."""
    return figure_charts.charts_of(figures)


@public.app_template_global("freshness_of")
def freshness_of(dataset: Dataset) -> Freshness:
    """Last published, next expected, overdue, as of now (portal.datasets.freshness)."""
    return dataset_freshness(dataset, utcnow())


# The summary is the same for every reader who is not signed in, and costly to compute
# (figures, charts, rates): it is rendered once per publication state. A worker asks the
# database whether anything was published at most every RECHECK_SECONDS, so a release shows
# on the summary within that; anything not tied to a release is never staler than
# SUMMARY_SECONDS.
RECHECK_SECONDS = 1.0
SUMMARY_SECONDS = 60.0


@dataclass
class _Summary:
    state: tuple
    checked: float
    expires: float
    page: bytes  # encoded once: encoding the page took half of each cached answer's time


_summaries: dict[tuple[str, str], _Summary] = {}


def _personal() -> bool:
    """Whether `/` must be rendered for this visitor (signed in, or a message waiting).

    A request with neither a session nor a remember-me cookie can be neither, so most
    visitors get the shared summary without Flask-Login looking anyone up.
    """
    cookies = request.cookies
    if current_app.config["SESSION_COOKIE_NAME"] not in cookies and (
        current_app.config.get("REMEMBER_COOKIE_NAME", REMEMBER_COOKIE) not in cookies
    ):
        return False
    return current_user.is_authenticated or "_flashes" in flask_session


@public.get("/")
def index() -> str | bytes:
    if current_app.testing or _personal():
        return render_template("index.html", datasets=browse.published_datasets(db_session()))
    # one shared summary per language
    key, now = (portal().config.database_url, languages.current()), time.monotonic()
    cached = _summaries.get(key)
    if cached is None or now >= cached.expires or now - cached.checked >= RECHECK_SECONDS:
        state = generation.publication_state(db_session())
        if cached is not None and now < cached.expires and state == cached.state:
            cached.checked = now
        else:
            datasets = browse.published_datasets(db_session())
            page = render_template("index.html", datasets=datasets).encode()
            lasts = generation.unchanged_for(datasets, utcnow(), SUMMARY_SECONDS)
            cached = _summaries[key] = _Summary(state, now, now + lasts, page)
    # The edge (portal.web.edge) may answer the same request with it until the next check.
    request.environ[SHARED_SECONDS] = min(cached.checked + RECHECK_SECONDS, cached.expires) - now
    return cached.page


@public.get("/datasets/")
def datasets() -> tuple[str, int]:
    session = db_session()
    found = catalogue_search.search_catalogue(session, request.args)
    sort = request.args.get("sort", "title")
    # An order the catalogue cannot give is said, never silently replaced (as in the API).
    bad_sort = sort not in catalogue_search.CATALOGUE_SORTS
    page = render_template(
        "datasets.html",
        catalogue=found,
        sorts=catalogue_search.CATALOGUE_SORTS,
        withdrawn=browse.withdrawals(session, found.datasets),
        bad_sort=sort if bad_sort else None,
    )
    return page, 400 if bad_sort else 200


@public.get("/datasets/<slug>/")
def dataset(slug: str) -> tuple[str | bytes, int]:
    if _personal():
        return _dataset(slug)
    # The same for every reader who is not signed in: kept per site generation and address.
    return fragments.shared_page(lambda: (*_dataset(slug), _unchanged_for(slug)))


def _dataset(slug: str) -> tuple[str, int]:
    found = _public(slug)
    if found.current_version is None:
        return _tombstone("withdrawn.html", found)
    return dataset_page(found)


def _unchanged_for(slug: str) -> float:
    """Seconds until the dataset's page changes by itself (it becomes overdue)."""
    return generation.unchanged_for([_public(slug)], utcnow(), SUMMARY_SECONDS)


def dataset_page(found: Dataset, **extra: object) -> tuple[str, int]:
    """The dataset page; `extra` reaches the template (the comment form's problems)."""
    version = found.current_version
    names = labels.dataset_labels(found.meta)
    views = table_views(
        portal().config.data_dir, storage(), version, request.args.to_dict(flat=False), names
    )
    governing, charts = _governing_policies(found, views)
    page = render_template(
        "dataset.html",
        dataset=found,
        version=version,
        views=views,
        labels=names,
        governing=governing,
        charts=charts,
        **extra,
    )
    # A filter the table cannot take is explained on the page, answered as a bad request.
    return page, 400 if any(v.preview.errors for v in views.values()) else 200


def _mark_label(policy: Markup, number: int, day: str) -> Markup:
    """A policy mark's words; the catalogue's sentence is ours, every value is escaped."""
    sentence = languages.gettext("%(policy)s policy version %(number)s in effect from %(day)s")
    return Markup(sentence) % {"policy": policy, "number": number, "day": day}  # noqa: S704


def _governing_policies(found: Dataset, views: dict) -> tuple[list, dict[str, list]]:
    """The policies dataset.yaml names, for the period the charts show, and each table's
    charts with those policies' effective dates marked on their time axes."""
    charts = {name: view.charts for name, view in views.items()}
    definition = portal().definitions.get(found.slug)
    if definition is None or not definition.meta.get("policies"):
        return [], charts
    drawn = [c for view in views.values() for c in view.charts]
    period = figure_charts.chart_period(drawn)
    start, end = period if period else (None, utcnow().date())
    found_policies = policy_links.governing(db_session(), definition, start, end)
    marks = [
        # the policy's title is the department's English: marked so (as_written)
        (v.effective_on, f"v{v.number}", _mark_label(
            as_written(g.policy.title), v.number, labels.long_date(v.effective_on)))
        for g in found_policies for v in g.changes
    ]  # fmt: skip
    marked = {name: [figure_charts.with_marks(c, marks) for c in drawn_charts]
              for name, drawn_charts in charts.items()}  # fmt: skip
    return [(g, start, end) for g in found_policies], marked


@public.get("/datasets/<slug>/versions/")
def versions(slug: str) -> tuple[str, int]:
    found = _public(slug)
    if found.current_version is None:
        return _tombstone("versions.html", found)
    return render_template(
        "versions.html", dataset=found, versions=browse.versions(db_session(), found)
    ), 200


def _tombstone(template: str, dataset: Dataset) -> tuple[str, int]:
    """A withdrawn dataset keeps its page and history: 410 Gone, with the notices and the
    checksums and ledger entries of what was withdrawn."""
    session = db_session()
    page = render_template(
        template,
        dataset=dataset,
        versions=browse.versions(session, dataset),
        withdrawal=browse.withdrawal(session, dataset),
        ledger_entries=ledger.entries(session, dataset.slug),
    )
    return page, 410


@public.app_template_global("withdrawn_datasets")
def withdrawn_datasets() -> list[tuple[Dataset, browse.Withdrawal]]:
    """Datasets whose every version was retracted, with their notices (for the summary)."""
    session = db_session()
    gone = [d for d in browse.public_datasets(session) if d.current_version_id is None]
    notices = browse.withdrawals(session, gone)
    return [(d, notices[d.id]) for d in gone if d.id in notices]


@public.app_template_global("about_of")
def about_of(dataset: Dataset, version: Version) -> About:
    """Licence, time covered, schedule, publisher, contact and citation (portal.catalogs.about)."""
    return about(dataset, version, storage(), portal().config.base_url, utcnow())


@public.app_template_global("resource_changes")
def version_changes(dataset: Dataset, version: Version) -> list[tuple[str, str, str, bool]]:
    """Per table: (name, title, "12 rows added, 1 changed", rows changed) against the version
    before, titles in the reader's language."""
    meta = dataset.meta or {}
    titles = {
        r.name: texts.text(meta, f"resources.{r.name}.title", r.title) for r in dataset.resources
    }
    return resource_changes(version.changelog or {}, titles)


@public.app_template_global("recent_versions")
def recent_versions(dataset: Dataset, limit: int) -> list:
    return browse.versions(db_session(), dataset, limit=limit, with_files=False)


@public.app_template_filter("markdown")
@lru_cache(maxsize=256)
def markdown(source: str) -> Markup:
    """Definitions change rarely and every dataset page shows theirs: render each text once."""
    return render_markdown(source)


@public.app_template_filter("markdown_inline")
@lru_cache(maxsize=256)
def markdown_inline(source: str) -> Markup:
    return render_markdown_inline(source)


def _public(slug: str) -> Dataset:
    try:
        return browse.public_dataset(db_session(), slug)
    except UnknownDataset:
        abort(404)


# Browsers ask for /favicon.ico on every site; answering keeps their consoles free of 404s.
FAVICON = (
    '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 16 16">'
    '<rect width="16" height="16" rx="3" fill="#0b4f8a"/>'
    '<path d="M4 12V7h2v5zm3 0V4h2v8zm3 0V9h2v3z" fill="#fff"/></svg>'
)


@public.get("/favicon.ico")
def favicon() -> Response:
    response = Response(FAVICON, mimetype="image/svg+xml")
    response.headers["Cache-Control"] = "public, max-age=86400"
    return response


@public.get("/healthz")
def healthz() -> tuple[dict, int]:
    try:
        db_session().execute(text("SELECT 1"))
    except Exception as error:  # noqa: BLE001 — any database failure means "unhealthy"
        return {"status": "error", "database": str(error.__class__.__name__)}, 503
    return {"status": "ok"}, 200
