"""A policy version's life through the real services, database and storage."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from portal.errors import AlreadyDecided
from portal.models import User, utcnow
from portal.policies import library, review
from portal.policies.extract import DocumentRefused
from portal.policies.models import PolicyStatus
from portal.policies.verify import verify
from portal.releases import ledger
from portal.releases.ledger import LedgerMismatch
from tests.policies.documents import pdf

V1 = b"# Use of force\n\n## Purpose\n\nOfficers use only the force that is necessary.\n"
V2 = (
    b"# Use of force\n\n## Purpose\n\nOfficers use only the force that is necessary.\n\n"
    b"## De-escalation\n\nOfficers shall attempt to de-escalate before using force.\n"
)


def _user(session, email: str = "officer@example.org") -> User:
    from sqlalchemy import select

    return session.scalar(select(User).where(User.email == email))


def _publish(session, config, content: bytes, effective: date, summary: str = "First text"):
    policy = review.ensure_policy(session, "use-of-force", "300", "Use of force")
    candidate = review.submit(
        session, config, policy, "uof.md", content, effective, source="upload", actor="t"
    )
    return review.approve(session, config, candidate.id, _user(session), summary)


def test_a_candidate_is_approved_signed_and_verified(portal, officer):
    config = portal.config
    with portal.db.session() as session:
        version = _publish(session, config, V1, date(2023, 1, 1))
        assert (version.number, version.status) == (1, PolicyStatus.PUBLISHED)
    with portal.db.session() as session:
        entry = ledger.entries(session)[-1]
        assert (entry.kind, entry.dataset_slug, entry.version_number) == (
            "policy-publish",
            "policy:use-of-force",
            1,
        )
        assert ledger.verify(session, config).entries == 1
        assert verify(session, config).files == 2
    stored = config.data_dir / "policies" / "use-of-force" / "v1"
    assert (stored / "text.md").read_bytes() == V1
    assert (stored / "original.md").read_bytes() == V1


def test_an_identical_text_is_nothing_new_and_nothing_is_kept(portal, officer):
    with portal.db.session() as session:
        _publish(session, portal.config, V1, date(2023, 1, 1))
    with portal.db.session() as session:
        policy = library.get_policy(session, "use-of-force")
        with pytest.raises(review.NothingNew, match="identical to version 1"):
            review.submit(
                session, portal.config, policy, "again.md", V1.replace(b"\n", b"\r\n") + b"\n\n",
                date(2024, 1, 1), source="upload", actor="t",
            )  # fmt: skip
        assert library.candidates(session) == []


def test_approval_needs_a_summary_and_a_decision_lands_once(portal, officer):
    with portal.db.session() as session:
        policy = review.ensure_policy(session, "use-of-force", "300", "Use of force")
        candidate = review.submit(
            session, portal.config, policy, "uof.md", V1, date(2023, 1, 1),
            source="upload", actor="t",
        )  # fmt: skip
        with pytest.raises(review.PolicyRefused, match="summary of changes"):
            review.approve(session, portal.config, candidate.id, _user(session), "  ")
        review.reject(session, candidate.id, _user(session), "Wrong draft")
        with pytest.raises(AlreadyDecided, match="already rejected"):
            review.approve(session, portal.config, candidate.id, _user(session), "x")
        assert library.public_versions(session, policy) == []


def test_bad_documents_are_refused_with_a_reason(portal):
    from portal.policies.extract import extract

    with pytest.raises(DocumentRefused, match="encrypted PDF"):
        extract("p.pdf", pdf(["Officers shall report."], password="secret"))
    with pytest.raises(DocumentRefused, match="not a readable PDF"):
        extract("p.pdf", b"%PDF-1.7\n" + b"\x00" * 200)
    with pytest.raises(DocumentRefused, match="has no text"):
        extract("p.pdf", pdf([" "]))
    with pytest.raises(DocumentRefused, match="is empty"):
        extract("p.md", b"  \n")
    with pytest.raises(DocumentRefused, match="not a readable Word document"):
        extract("p.docx", b"PK\x03\x04 not really a zip")
    with pytest.raises(DocumentRefused, match="Markdown .* Word .* PDF"):
        extract("p.exe", b"MZ...")
    with pytest.raises(DocumentRefused, match="limit is"):
        extract("p.md", b"a" * (20 * 1024 * 1024 + 1))


def test_a_scheduled_approval_publishes_when_due_and_the_policy_in_effect_follows_dates(
    portal, officer
):
    config = portal.config
    with portal.db.session() as session:
        _publish(session, config, V1, date(2023, 1, 1))
        policy = library.get_policy(session, "use-of-force")
        candidate = review.submit(
            session, config, policy, "v2.md", V2, date(2024, 6, 1), source="upload", actor="t"
        )
        later = utcnow() + timedelta(hours=1)
        review.approve(session, config, candidate.id, _user(session), "Adds de-escalation", later)
        assert candidate.status == PolicyStatus.SCHEDULED
    assert review.publish_due(portal.db, config, utcnow()) == []
    assert review.publish_due(portal.db, config, later + timedelta(seconds=1)) == [candidate.id]
    with portal.db.session() as session:
        versions = library.public_versions(session, library.get_policy(session, "use-of-force"))
        assert [v.number for v in versions] == [2, 1]
        assert library.in_effect(versions, date(2024, 5, 31)).number == 1
        assert library.in_effect(versions, date(2024, 6, 1)).number == 2
        assert library.in_effect(versions, date(2022, 12, 31)) is None
        assert verify(session, config).versions == 2


def test_retraction_is_signed_and_a_changed_file_fails_verification(portal, officer):
    config = portal.config
    with portal.db.session() as session:
        _publish(session, config, V1, date(2023, 1, 1))
    with portal.db.session() as session:
        version = review.retract(
            session, config, "use-of-force", 1, _user(session), "Published in error"
        )
        assert version.status == PolicyStatus.RETRACTED
    with portal.db.session() as session:
        assert ledger.entries(session)[-1].kind == "policy-retract"
        verify(session, config)
    (config.data_dir / "policies" / "use-of-force" / "v1" / "text.md").write_bytes(b"changed\n")
    with portal.db.session() as session, pytest.raises(LedgerMismatch, match="text.md does not"):
        verify(session, config)
