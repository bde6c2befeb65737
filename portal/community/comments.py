"""Comments on datasets and policies: submitted by anyone, held for moderation, published with
answers.

A comment keeps the dataset (or policy), its kind, the scrubbed text and the name its author
chose to show, never an address or any other way to reach the author.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from portal import audit
from portal.community.errors import FeedbackRejected, UnknownComment
from portal.community.models import Comment, CommentKind, CommentStatus
from portal.community.text import resident_text
from portal.languages import N_, gettext
from portal.models import Dataset, Version, utcnow

MAX_BODY = 2000
MAX_NAME = 80
MAX_ANSWER = 4000
MAX_REASON = 500
KIND_LABELS = {
    CommentKind.COMMENT: N_("Comment"),
    CommentKind.QUESTION: N_("Question"),
    CommentKind.PROBLEM: N_("Problem in the data"),
}


def submit_comment(
    session: Session,
    dataset: Dataset | None,
    kind: str,
    body: str | None,
    name: str | None = None,
    *,
    policy_id: int | None = None,
    policy_slug: str | None = None,
) -> Comment:
    """Hold a resident's comment for moderation; nothing is public until a moderator says so.

    A comment is on a dataset, or (`policy_id`) on a policy of the library, where there is no
    data to report a problem in. Every field is checked before anything is refused, so the
    form can show all problems.
    """
    problems: dict[str, str] = {}
    try:
        chosen = CommentKind(kind)
        if dataset is None and chosen == CommentKind.PROBLEM:
            raise ValueError(kind)
    except ValueError:
        problems["kind"] = (
            gettext("Choose a comment or a question.")
            if dataset is None
            else gettext("Choose a comment, a question or a problem in the data.")
        )
    try:
        text = resident_text(
            body, field=gettext("Your comment"), max_length=MAX_BODY, required=True, session=session
        )
    except FeedbackRejected as error:
        problems["body"] = str(error)
    try:
        shown_name = resident_text(
            name, field=gettext("Name to show"), max_length=MAX_NAME, session=session
        )
    except FeedbackRejected as error:
        problems["name"] = str(error)
    if problems:
        raise FeedbackRejected.collect(problems)
    comment = Comment(
        dataset=dataset,
        policy_id=policy_id if dataset is None else None,
        kind=chosen,
        status=CommentStatus.PENDING,
        body=text,
        author_name=shown_name,
    )
    session.add(comment)
    session.flush()
    audit.record(
        session, "public", "comment.submit", "comment", comment.id, **_about(comment, policy_slug)
    )
    return comment


def _about(comment: Comment, policy_slug: str | None = None) -> dict[str, object]:
    """What the audit log names the comment's subject by."""
    if comment.dataset is not None:
        return {"dataset": comment.dataset.slug}
    return {"policy": policy_slug or comment.policy_id}


def published_for_policy(session: Session, policy_id: int) -> list[Comment]:
    """What the public sees under a policy, newest first."""
    return list(
        session.scalars(
            select(Comment)
            .where(Comment.policy_id == policy_id, Comment.status == CommentStatus.PUBLISHED)
            .order_by(Comment.id.desc())
        )
    )


def get_comment(session: Session, comment_id: int) -> Comment:
    comment = session.get(Comment, comment_id)
    if comment is None:
        raise UnknownComment(f"no comment {comment_id}")
    return comment


def pending_comments(session: Session) -> list[Comment]:
    """The moderation queue, oldest first."""
    return list(
        session.scalars(
            select(Comment).where(Comment.status == CommentStatus.PENDING).order_by(Comment.id)
        )
    )


def recent_published(session: Session, limit: int = 50) -> list[Comment]:
    return list(
        session.scalars(
            select(Comment)
            .where(Comment.status == CommentStatus.PUBLISHED)
            .order_by(Comment.id.desc())
            .limit(limit)
        )
    )


def published_comments(session: Session, dataset: Dataset) -> list[Comment]:
    """What the public sees under a dataset, newest first."""
    return list(
        session.scalars(
            select(Comment)
            .where(Comment.dataset_id == dataset.id, Comment.status == CommentStatus.PUBLISHED)
            .order_by(Comment.id.desc())
        )
    )


def publish_comment(session: Session, comment: Comment, moderator: str) -> Comment:
    _moderate(comment, CommentStatus.PUBLISHED, moderator)
    audit.record(session, moderator, "comment.publish", "comment", comment.id, **_about(comment))
    return comment


def reject_comment(session: Session, comment: Comment, moderator: str, reason: str) -> Comment:
    """Keep the comment out of public view; the reason goes to the audit log."""
    reason = resident_text(
        reason, field="Reason", max_length=MAX_REASON, required=True, scrubbed=False
    )
    _moderate(comment, CommentStatus.REJECTED, moderator)
    audit.record(
        session,
        moderator,
        "comment.reject",
        "comment",
        comment.id,
        **_about(comment),
        reason=reason,
    )
    return comment


def unpublish_comment(
    session: Session, comment: Comment, moderator: str, reason: str | None
) -> Comment:
    """Take a published comment (and its answer) off the public pages; the reason is audited."""
    if comment.status != CommentStatus.PUBLISHED:
        raise FeedbackRejected(
            f"Comment {comment.id} is not published, so it cannot be unpublished."
        )
    reason = resident_text(
        reason,
        field="Reason for unpublishing",
        max_length=MAX_REASON,
        required=True,
        scrubbed=False,
    )
    _moderate(comment, CommentStatus.UNPUBLISHED, moderator)
    audit.record(
        session,
        moderator,
        "comment.unpublish",
        "comment",
        comment.id,
        **_about(comment),
        reason=reason,
    )
    return comment


def answer_comment(session: Session, comment: Comment, moderator: str, answer: str) -> Comment:
    """Answer publicly; a pending comment is published with its answer.

    The answer is public, so it goes through the same scrub as residents' text: a moderator
    naming an officer or a subject in it must not publish the name.
    """
    text = resident_text(
        answer, field="Answer", max_length=MAX_ANSWER, required=True, session=session
    )
    if comment.status not in (CommentStatus.PENDING, CommentStatus.PUBLISHED):
        raise FeedbackRejected(
            f"Comment {comment.id} was {comment.status.value}: publish it first."
        )
    if comment.status != CommentStatus.PUBLISHED:
        _moderate(comment, CommentStatus.PUBLISHED, moderator)
    comment.answer, comment.answered_at, comment.answered_by = text, utcnow(), moderator
    audit.record(session, moderator, "comment.answer", "comment", comment.id, **_about(comment))
    return comment


def mark_fixed(session: Session, comment: Comment, moderator: str, number: int | None) -> Comment:
    """Link a data-problem report to the version of its dataset that fixes it (None unlinks)."""
    if comment.kind != CommentKind.PROBLEM:
        raise FeedbackRejected("Only a report of a problem in the data can be marked as fixed.")
    version = None
    if number is not None:
        version = session.scalar(
            select(Version).where(
                Version.dataset_id == comment.dataset_id, Version.number == number
            )
        )
        if version is None:
            raise FeedbackRejected(f"{comment.dataset.slug} has no version {number}.")
    comment.fixed_in_version = version
    audit.record(
        session,
        moderator,
        "comment.fixed",
        "comment",
        comment.id,
        **_about(comment),
        version=number,
    )
    return comment


def _moderate(comment: Comment, status: CommentStatus, moderator: str) -> None:
    comment.status, comment.moderated_at, comment.moderated_by = status, utcnow(), moderator
