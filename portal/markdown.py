"""Markdown from definitions and users, rendered then sanitised: no raw HTML survives."""

from __future__ import annotations

import nh3
from markdown_it import MarkdownIt
from markupsafe import Markup

_markdown = MarkdownIt("commonmark", {"html": False, "linkify": False}).enable("table")
ALLOWED_TAGS = {
    "p",
    "br",
    "strong",
    "em",
    "code",
    "pre",
    "ul",
    "ol",
    "li",
    "blockquote",
    "a",
    "h2",
    "h3",
    "h4",
    "table",
    "thead",
    "tbody",
    "tr",
    "th",
    "td",
    "hr",
}


def render_markdown(source: str) -> Markup:
    return _sanitised(_markdown.render(source or ""))


def render_markdown_inline(source: str) -> Markup:
    """One line of Markdown (`code`, *emphasis*, links) without a paragraph around it."""
    return _sanitised(_markdown.renderInline(source or ""))


def _sanitised(html: str) -> Markup:
    clean = nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes={"a": {"href", "title"}},
        url_schemes={"http", "https", "mailto"},
        link_rel="nofollow noopener",
    )
    return Markup(clean)  # noqa: S704 — sanitised by nh3 just above
