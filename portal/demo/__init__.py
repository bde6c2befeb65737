"""`portal demo`: deterministic demo sources, first versions of each dataset, one to review."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import date
from pathlib import Path

from sqlalchemy import select

from portal.datasets.context import Portal
from portal.datasets.definitions import sync_dataset
from portal.db import upgrade
from portal.demo import body_worn_cameras, resource_allocation, use_of_force
from portal.demo import community as community_demo
from portal.demo import policies as policies_demo
from portal.models import CandidateStatus, Role, RunStatus, User
from portal.pipeline.run import run_dataset
from portal.releases import review
from portal.users import create_user, find_user

Generator = Callable[..., dict[str, Path]]
GENERATORS: dict[str, Generator] = {
    "use-of-force": use_of_force.generate,
    "body-worn-cameras": body_worn_cameras.generate,
    "resource-allocation": resource_allocation.generate,
}
# Demo accounts, for a throwaway local portal only: the README prints them.
DEMO_USERS = {
    "admin@example.org": ("demo-admin-password", Role.ADMIN),
    "officer@example.org": ("demo-officer-password", Role.OFFICER),
}
# This dataset gets a newer source after its first version, so the office has work to show.
PENDING_DATASET = "use-of-force"


def _previous_month(day: date) -> date:
    return date(day.year - (day.month == 1), (day.month - 2) % 12 + 1, 1)


def _ensure_users(portal: Portal) -> User:
    with portal.db.session() as session:
        for email, (password, role) in DEMO_USERS.items():
            if find_user(session, email) is None:
                create_user(session, email, password, role, actor="demo")
    with portal.db.session() as session:
        return session.scalar(select(User).where(User.email == "officer@example.org"))


def load_demo(portal: Portal, today: date | None = None) -> Iterator[str]:
    """Bring the demo portal to its showcase state, saying what it does, line by line."""
    today = today or date.today()
    upgrade(portal.config.database_url)
    officer = _ensure_users(portal)
    sources = portal.config.data_dir / "demo-sources"
    this_month = today.replace(day=1)
    for slug, generate in GENERATORS.items():
        definition = portal.definition(slug)
        with portal.db.session() as session:
            dataset = sync_dataset(session, definition)
            published = dataset.current_version_id is not None
        if published:
            yield f"{slug}: already published"
        else:
            # First versions are cut a month back; the pending dataset then catches up.
            until = _previous_month(this_month) if slug == PENDING_DATASET else this_month
            generate(sources / slug, until=until)
            yield from _run_and_approve(portal, slug, officer)
    yield from community_demo.load(portal, officer, today)
    yield from policies_demo.load(portal, officer)
    generate = GENERATORS[PENDING_DATASET]
    generate(sources / PENDING_DATASET, until=this_month)
    run = run_dataset(portal.db, portal.definition(PENDING_DATASET), trigger="demo")
    yield f"{PENDING_DATASET}: run {run.id} {run.status.value} (candidate left for review)"
    with portal.db.session() as session:
        rows = session.execute(select(User.email)).all()
    yield f"demo users: {', '.join(sorted(email for (email,) in rows))} (see README for passwords)"


def _run_and_approve(portal: Portal, slug: str, officer: User) -> Iterator[str]:
    run = run_dataset(portal.db, portal.definition(slug), trigger="demo")
    yield f"{slug}: run {run.id} {run.status.value}" + (f": {run.error}" if run.error else "")
    if run.status != RunStatus.SUCCEEDED:
        return
    with portal.db.session() as session:
        candidate = review.pending_candidate(session, slug)
        if candidate.status == CandidateStatus.PENDING:
            version = review.approve(
                session, portal.config, slug, session.merge(officer), note="First release (demo)."
            )
            yield f"{slug}: published version {version.number}"
