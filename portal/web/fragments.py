"""Parts of public pages rendered once and kept in each worker's memory.

A dataset page is mostly the same for every reader until something is published, corrected
or moderated; only its previews, its freshness and the comment form's token differ per
request. Those parts are rendered per request; the rest comes from here:

- `rendered_once`: a `_macros.html` macro whose output depends only on its key (a version's
  chart, its data dictionary);
- `per_generation` (and `partial`, a partial template of a dataset page): made once per site
  generation (`browse.generation`), which moves in the same transaction as any change it
  could show.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable

from flask import g, get_template_attribute, render_template
from markupsafe import Markup

from portal import languages
from portal.datasets import browse
from portal.extensions import db_session, portal
from portal.models import Dataset, Version

FRAGMENTS = 256  # per worker; a dataset page keeps about five

_fragments: OrderedDict[tuple, Markup] = OrderedDict()
_lock = threading.Lock()


def remembered(key: tuple, render: Callable[[], Markup]) -> Markup:
    """What `render` makes, made once for `key` (which must name everything it depends on)."""
    full = (portal().config.database_url, languages.current(), *key)  # per language
    with _lock:
        found = _fragments.get(full)
        if found is not None:
            _fragments.move_to_end(full)
            return found
    found = render()
    with _lock:
        _fragments[full] = found
        if len(_fragments) > FRAGMENTS:
            _fragments.popitem(last=False)
    return found


def generation() -> int:
    """The site generation, read once per request."""
    if "generation" not in g:
        g.generation = browse.generation(db_session())
    return g.generation


def rendered_once(key: tuple, macro: str, *args: object) -> Markup:
    """The output of a `_macros.html` macro, rendered once for `key` (which names its inputs)."""
    return remembered(
        ("macro", macro, *key), lambda: get_template_attribute("_macros.html", macro)(*args)
    )


def per_generation(
    kind: str, dataset: Dataset, version: Version, render: Callable[[], Markup]
) -> Markup:
    """Something about a dataset's current version, made once per site generation."""
    return remembered((kind, generation(), dataset.id, version.id), render)


def partial(template: str, dataset: Dataset, version: Version) -> Markup:
    """A partial template about a dataset's current version, rendered once per generation."""
    return per_generation(
        template,
        dataset,
        version,
        # render_template escapes what the partial shows; the result is HTML to insert as is.
        lambda: Markup(render_template(template, dataset=dataset, version=version)),  # noqa: S704
    )
