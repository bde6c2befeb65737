"""Sign-in and sign-out for the records office: hashed passwords, rate-limited attempts."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Blueprint, flash, redirect, render_template, request, session, url_for
from flask_login import current_user, login_user, logout_user
from flask_wtf import FlaskForm
from werkzeug.wrappers import Response
from wtforms import EmailField, PasswordField
from wtforms.validators import DataRequired, Length

from portal import audit
from portal.extensions import db_session, limiter
from portal.languages import gettext as _
from portal.models import User
from portal.users import authenticate, end_sessions, normalise_email

auth = Blueprint("auth", __name__)


class LoginForm(FlaskForm):
    email = EmailField("E-mail", validators=[DataRequired(), Length(max=320)])
    password = PasswordField("Password", validators=[DataRequired(), Length(max=1000)])


# Failed sign-ins only (a success costs nothing), counted per client address and per account:
# one address cannot guess at every account, nor many addresses at one, and an officer is
# never locked out by someone else's address.
LOGIN_LIMIT = "10 per minute"


def _failed(response: Response) -> bool:
    # A 503 (database busy) is no guess, and counting it would need the busy database.
    return response.status_code not in (302, 503)


def _account() -> str:
    return "login:" + normalise_email(request.form.get("email", ""))[:320]


def _safe_next(target: str | None) -> str:
    """Only redirect within the site after sign-in (no open redirects, no header splitting)."""
    if (
        target
        and target.startswith("/")
        and not target.startswith("//")
        and target.isprintable()
        and "\\" not in target
        and not urlsplit(target).netloc
    ):
        return target
    return url_for("office.index")


@auth.route("/login", methods=["GET", "POST"])
@limiter.limit(LOGIN_LIMIT, methods=["POST"], deduct_when=_failed)
@limiter.limit(LOGIN_LIMIT, methods=["POST"], key_func=_account, deduct_when=_failed)
def login() -> str | Response:
    form = LoginForm()
    if form.validate_on_submit():
        database = db_session()
        user = authenticate(database, form.email.data, form.password.data)
        database.commit()
        if user is not None:
            session.clear()
            session.permanent = True  # expires after PERMANENT_SESSION_LIFETIME
            login_user(user)
            return redirect(_safe_next(request.args.get("next")))
        flash(_("That e-mail and password do not match an active account."), "error")
    return render_template("login.html", form=form), 200 if request.method == "GET" else 401


@auth.post("/logout")
def logout() -> Response:
    if current_user.is_authenticated:
        # Every copy of this session cookie (and the account's other sessions) ends now.
        database = db_session()
        end_sessions(database.get(User, current_user.id))
        audit.record(database, current_user.email, "logout", "user", current_user.id)
        database.commit()
    logout_user()
    session.clear()
    return redirect(url_for("public.index"))
