"""Flask extensions and request-scoped accessors that the web pages and the API share."""

from __future__ import annotations

import time
from collections.abc import Callable
from functools import wraps
from typing import Any

from flask import abort, current_app, g
from flask_babel import Babel
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager, current_user, login_required
from flask_wtf.csrf import CSRFProtect
from limits.storage import Storage
from sqlalchemy import Engine, delete, func, insert, select, update
from sqlalchemy.exc import IntegrityError, SQLAlchemyError
from sqlalchemy.orm import Session

from portal.datasets.context import Portal
from portal.models import RateLimitCounter, Role, User
from portal.storage import LocalStorage

RATELIMIT_TABLE = "portal-db://"


class DatabaseLimitStorage(Storage):
    """Flask-Limiter's counters in the portal's own database (`rate_limits`), so every web
    worker and node counts against one budget; the `limits` library has no SQL storage.
    Fixed windows: one row per limit and client, replaced once its window ends."""

    STORAGE_SCHEME = ["portal-db"]

    def __init__(self, uri: str | None = None, *, engine: Engine, **options: Any) -> None:
        self.engine = engine
        super().__init__(uri, **options)

    @property
    def base_exceptions(self) -> type[Exception]:
        return SQLAlchemyError

    def incr(self, key: str, expiry: int, amount: int = 1) -> int:
        for _attempt in range(3):
            now = time.time()
            try:
                with self.engine.begin() as connection:
                    counting = RateLimitCounter.key == key, RateLimitCounter.expires_at > now
                    if connection.execute(
                        update(RateLimitCounter)
                        .where(*counting)
                        .values(count=RateLimitCounter.count + amount)
                    ).rowcount:
                        return connection.scalar(select(RateLimitCounter.count).where(*counting))
                    # A new window: drop this key's old one and any other ended window.
                    connection.execute(
                        delete(RateLimitCounter).where(
                            (RateLimitCounter.key == key) | (RateLimitCounter.expires_at < now)
                        )
                    )
                    connection.execute(
                        insert(RateLimitCounter).values(
                            key=key, count=amount, expires_at=now + expiry
                        )
                    )
                    return amount
            except IntegrityError:
                continue  # another worker opened the window first: count in it
        raise IntegrityError("rate limit counter", {}, Exception("no window after 3 tries"))

    def _row(self, key: str) -> Any:
        with self.engine.connect() as connection:
            return connection.execute(
                select(RateLimitCounter.count, RateLimitCounter.expires_at).where(
                    RateLimitCounter.key == key, RateLimitCounter.expires_at > time.time()
                )
            ).first()

    def get(self, key: str) -> int:
        row = self._row(key)
        return row.count if row else 0

    def get_expiry(self, key: str) -> float:
        row = self._row(key)
        return row.expires_at if row else time.time()

    def check(self) -> bool:
        with self.engine.connect() as connection:
            connection.scalar(select(func.count()).select_from(RateLimitCounter))
        return True

    def reset(self) -> int | None:
        with self.engine.begin() as connection:
            return connection.execute(delete(RateLimitCounter)).rowcount

    def clear(self, key: str) -> None:
        with self.engine.begin() as connection:
            connection.execute(delete(RateLimitCounter).where(RateLimitCounter.key == key))


babel = Babel()
csrf = CSRFProtect()
limiter = Limiter(key_func=get_remote_address, default_limits=[])
login_manager = LoginManager()
login_manager.login_view = "auth.login"
login_manager.login_message = "Sign in to use the records office."  # office: English
login_manager.session_protection = "strong"


def portal() -> Portal:
    return current_app.extensions["portal"]


def db_session() -> Session:
    """One session per request, closed when the request ends."""
    if "db_session" not in g:
        g.db_session = portal().db.sessions()
    return g.db_session


def storage() -> LocalStorage:
    return LocalStorage(portal().config.data_dir)


def role_required(*roles: Role) -> Callable[[Any], Any]:
    """A view decorator: signed in (else sent to /login) with one of these roles (else 403)."""

    def decorate(view: Any) -> Any:
        @wraps(view)
        @login_required
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            if current_user.role not in roles:
                abort(403)
            return view(*args, **kwargs)

        return wrapped

    return decorate


reviewer_required = role_required(Role.OFFICER, Role.ADMIN)
admin_required = role_required(Role.ADMIN)


@login_manager.user_loader
def load_user(user_id: str) -> User | None:
    """The signed-in user, if the session is still valid: its id carries the account's
    session epoch at sign-in (User.get_id), and logout, a new password, a new role or
    disabling the account raise the epoch, ending every session signed in before."""
    number, _, epoch = user_id.partition(":")
    if not (number.isdigit() and epoch.isdigit()) or len(number) > 18:
        return None
    user = db_session().get(User, int(number))
    if user is None or not user.active or user.session_epoch != int(epoch):
        return None
    return user
