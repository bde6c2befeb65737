"""Public pages of the policy library: the list, a policy, a citable version, its files, the
comparison of any two versions, and the Atom feeds."""

from __future__ import annotations

from flask import (
    Blueprint,
    Response,
    abort,
    flash,
    redirect,
    render_template,
    request,
    send_file,
    url_for,
)

from portal.catalogs import policy_feed
from portal.community import comments
from portal.community.errors import FeedbackRejected
from portal.extensions import db_session, limiter, portal
from portal.models import utcnow
from portal.policies import library
from portal.policies.diff import compare
from portal.policies.library import UnknownPolicy
from portal.policies.links import governed_datasets
from portal.policies.models import Policy, PolicyStatus, PolicyVersion
from portal.policies.review import storage
from portal.web.community import COMMENT_RATE_LIMIT, COMMENT_SENT, HONEYPOT

policies = Blueprint("policies", __name__, url_prefix="/policies")
ATOM = "application/atom+xml"


def _policy(slug: str) -> Policy:
    try:
        policy = library.get_policy(db_session(), slug)
    except UnknownPolicy:
        abort(404)
    if not library.public_versions(db_session(), policy):
        abort(404)  # a policy with only candidates is not public yet
    return policy


def _version(policy: Policy, number: int) -> PolicyVersion:
    return library.version(db_session(), policy, number) or abort(404)


@policies.get("/")
def index() -> str:
    session = db_session()
    today = utcnow().date()
    rows = [(p, library.in_effect(p.versions, today), library.current(session, p))
            for p in library.policies(session)]  # fmt: skip
    return render_template("policies/index.html", rows=rows, today=today)


@policies.get("/<slug>/")
def policy(slug: str, comment_form: dict | None = None) -> str:
    found = _policy(slug)
    versions = library.public_versions(db_session(), found)
    today = utcnow().date()
    return render_template(
        "policies/policy.html",
        policy=found,
        versions=versions,
        in_effect=library.in_effect(versions, today),
        upcoming=library.upcoming(versions, today),
        datasets=governed_datasets(portal().definitions, slug),
        comments=comments.published_for_policy(db_session(), found.id),
        comment_form=comment_form,
    )


@policies.post("/<slug>/comments")
@limiter.limit(COMMENT_RATE_LIMIT)
def comment_post(slug: str) -> Response | tuple[str, int]:
    """A resident's comment or question on a policy, held for moderation like any comment."""
    found = _policy(slug)
    form, session = request.form, db_session()
    if form.get(HONEYPOT):
        return render_template(
            "error.html", status=400, title="Comment not accepted",
            message="The comment could not be accepted.",
        ), 400  # fmt: skip
    try:
        comment = comments.submit_comment(
            session, None, form.get("kind", ""), form.get("body"), form.get("name"),
            policy_id=found.id, policy_slug=found.slug,
        )  # fmt: skip
        session.commit()
    except FeedbackRejected as error:
        session.rollback()
        return policy(slug, {**form.to_dict(), "problems": error.problems}), 400
    flash(
        f"Thank you. Your comment is number {comment.id}; it will appear on this page once a "
        "moderator has read it.",
        COMMENT_SENT,
    )
    return redirect(url_for("policies.policy", slug=slug, _anchor="write-comment"), 303)


@policies.get("/<slug>/v<int:number>/")
def version(slug: str, number: int) -> tuple[str, int]:
    found = _policy(slug)
    shown = _version(found, number)
    versions = library.public_versions(db_session(), found)
    status = 410 if shown.status == PolicyStatus.RETRACTED else 200
    return render_template(
        "policies/version.html", policy=found, version=shown, versions=versions
    ), status


@policies.get("/<slug>/v<int:number>/<filename>")
def version_file(slug: str, number: int, filename: str) -> Response:
    found = _policy(slug)
    shown = _version(found, number)
    if filename not in (shown.text_file, shown.original_file):
        abort(404)
    if shown.status == PolicyStatus.RETRACTED:
        body = render_template("policies/version.html", policy=found, version=shown, versions=[])
        return Response(body, status=410, mimetype="text/html")
    text = filename == shown.text_file
    media = "text/markdown" if text else shown.original_media_type
    response = send_file(
        storage(portal().config).path(f"{slug}/v{number}/{filename}"),
        mimetype=media,
        as_attachment=True,
        download_name=f"{slug}-v{number}{'.md' if text else shown.original_extension}",
        conditional=True,
        etag=shown.text_sha256 if text else shown.original_sha256,
        last_modified=shown.published_at,
        max_age=None,
    )
    response.headers["Cache-Control"] = "public, max-age=31536000, immutable"
    response.headers["X-Content-SHA256"] = shown.text_sha256 if text else shown.original_sha256
    return response


@policies.get("/<slug>/compare")
def compare_versions(slug: str) -> tuple[str, int] | str:
    found = _policy(slug)
    # A withdrawn version's text is not served any more, so it is not compared either.
    versions = [
        v for v in library.public_versions(db_session(), found) if v.status.value == "published"
    ]
    numbers = [v.number for v in versions]
    defaults = {
        "to": numbers[0] if numbers else None,
        "from": numbers[1 if len(numbers) > 1 else 0] if numbers else None,
    }
    chosen = {}
    for name in ("from", "to"):
        value = request.args.get(name, "")
        number = _version_number(value) if value else defaults[name]
        if number not in numbers:
            return render_template(
                "policies/compare.html", policy=found, versions=versions, diff=None,
                error=f"{found.title} has no version {value} to compare; choose one of "
                + (", ".join(f"v{n}" for n in sorted(numbers)) or "none (all withdrawn)"),
                view="side", old=None, new=None,
            ), 404  # fmt: skip
        chosen[name] = next(v for v in versions if v.number == number)
    old, new = chosen["from"], chosen["to"]
    view = "inline" if request.args.get("view") == "inline" else "side"
    return render_template(
        "policies/compare.html", policy=found, versions=versions, old=old, new=new,
        diff=compare(old.text, new.text), view=view, error=None,
    )  # fmt: skip


def _version_number(value: str) -> int | None:
    """`3` or `v3`; anything else (or a number no version could have) is None."""
    digits = value.removeprefix("v")
    return int(digits) if digits.isdigit() and len(digits) < 10 else None


@policies.get("/feed.atom")
def feed() -> Response:
    body = policy_feed.atom_feed(db_session(), portal().config.base_url)
    return Response(body, mimetype=ATOM)


@policies.get("/<slug>/feed.atom")
def policy_feed_page(slug: str) -> Response:
    body = policy_feed.atom_feed(db_session(), portal().config.base_url, _policy(slug))
    return Response(body, mimetype=ATOM)
