"""Flask extensions and request-scoped accessors that the web pages and the API share."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from flask import abort, current_app, g
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager, current_user, login_required
from flask_wtf.csrf import CSRFProtect
from sqlalchemy.orm import Session

from portal.datasets.context import Portal
from portal.models import Role, User
from portal.storage import LocalStorage

csrf = CSRFProtect()
limiter = Limiter(key_func=get_remote_address, default_limits=[])
login_manager = LoginManager()
login_manager.login_view = "auth.login"
login_manager.login_message = "Sign in to use the records office."
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
