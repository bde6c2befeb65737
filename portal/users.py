"""Records-office accounts: creation, password checks (Argon2id), roles."""

from __future__ import annotations

from functools import cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from portal import audit
from portal.errors import PortalError, UnknownUser
from portal.models import Role, User, utcnow

hasher = PasswordHasher()
MIN_PASSWORD_LENGTH = 12


@cache
def _dummy_hash() -> str:
    """Verified against when the e-mail is unknown, so a login takes as long either way;
    made at the first login, not at import (every CLI command imports this module)."""
    return hasher.hash("not a real password, only for timing")


class WeakPassword(PortalError):
    """The password is too short."""


class UserExists(PortalError):
    """A user with that e-mail address already exists."""


def normalise_email(email: str) -> str:
    return email.strip().lower()


def find_user(session: Session, email: str) -> User | None:
    return session.scalar(select(User).where(User.email == normalise_email(email)))


def get_user(session: Session, email: str) -> User:
    user = find_user(session, email)
    if user is None:
        raise UnknownUser(f"no user with e-mail {email!r}")
    return user


def create_user(
    session: Session, email: str, password: str, role: Role | str, actor: str = "cli"
) -> User:
    email = normalise_email(email)
    if "@" not in email:
        raise PortalError(f"{email!r} is not an e-mail address")
    if len(password) < MIN_PASSWORD_LENGTH:
        raise WeakPassword(f"passwords need at least {MIN_PASSWORD_LENGTH} characters")
    if find_user(session, email) is not None:
        raise UserExists(f"a user with e-mail {email!r} already exists")
    user = User(email=email, password_hash=hasher.hash(password), role=Role(role))
    session.add(user)
    session.flush()
    audit.record(session, actor, "user.create", "user", user.id, email=email, role=user.role.value)
    return user


def authenticate(session: Session, email: str, password: str) -> User | None:
    """The active user with these credentials, or None; records the attempt."""
    user = find_user(session, email)
    try:
        hasher.verify(user.password_hash if user else _dummy_hash(), password)
        ok = user is not None and user.active
    except (VerificationError, InvalidHashError):
        ok = False
    if not ok:
        audit.record(
            session, normalise_email(email), "login.failed", "user", user.id if user else None
        )
        return None
    if hasher.check_needs_rehash(user.password_hash):
        user.password_hash = hasher.hash(password)
    user.last_login_at = utcnow()
    audit.record(session, user.email, "login", "user", user.id)
    return user


def end_sessions(user: User) -> None:
    """End every session of this account, on every device (see User.session_epoch)."""
    user.session_epoch = (user.session_epoch or 0) + 1


def count_users(session: Session) -> int:
    return session.scalar(select(func.count(User.id))) or 0


def set_password(session: Session, email: str, password: str, actor: str) -> User:
    """An admin's password reset (or the user's own change)."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise WeakPassword(f"passwords need at least {MIN_PASSWORD_LENGTH} characters")
    user = get_user(session, email)
    user.password_hash = hasher.hash(password)
    end_sessions(user)
    audit.record(session, actor, "user.password_reset", "user", user.id, email=user.email)
    return user


def set_role(session: Session, email: str, role: Role | str, actor: str) -> User:
    user = get_user(session, email)
    old, user.role = user.role, Role(role)
    if old != user.role:
        end_sessions(user)
    audit.record(
        session,
        actor,
        "user.role",
        "user",
        user.id,
        email=user.email,
        old=old.value,
        new=user.role.value,
    )
    return user


def set_active(session: Session, email: str, active: bool, actor: str) -> User:
    user = get_user(session, email)
    if user.active and not active:
        end_sessions(user)
    user.active = active
    audit.record(
        session,
        actor,
        "user.enable" if active else "user.disable",
        "user",
        user.id,
        email=user.email,
    )
    return user


def all_users(session: Session) -> list[User]:
    return list(session.scalars(select(User).order_by(User.email)))


MAX_PUBLIC_NAME = 120


def set_public_name(session: Session, email: str, name: str, actor: str) -> User:
    """An admin decides how the public record names a user: a display name, or (empty) the
    role. E-mail addresses are refused: the public never sees one."""
    user = get_user(session, email)
    name = " ".join(name.split())
    if "@" in name:
        raise PortalError("a public name cannot be an e-mail address")
    if len(name) > MAX_PUBLIC_NAME:
        raise PortalError(f"a public name has at most {MAX_PUBLIC_NAME} characters")
    old, user.public_name = user.public_name, name or None
    audit.record(
        session,
        actor,
        "user.public_name",
        "user",
        user.id,
        email=user.email,
        old=old,
        new=user.public_name,
        shown_as=user.public_label,
    )
    return user


def public_labels(session: Session) -> dict[str, str]:
    """Each user's e-mail mapped to how the public record names them (for entries signed
    before names were chosen, which recorded the address)."""
    return {user.email: user.public_label for user in session.scalars(select(User))}
