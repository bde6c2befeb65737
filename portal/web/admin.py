"""Administration in the records office: user accounts (admins only) and the audit log."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from werkzeug.wrappers import Response

from portal import audit, users
from portal.errors import PortalError
from portal.extensions import admin_required, db_session, reviewer_required
from portal.models import Role

admin = Blueprint("admin", __name__, url_prefix="/office")


@admin.after_request
def _never_cache(response: Response) -> Response:
    response.headers["Cache-Control"] = "no-store"
    return response


@admin.get("/users/")
@admin_required
def user_list() -> str:
    return render_template(
        "office/users.html", users=users.all_users(db_session()), roles=[r.value for r in Role]
    )


@admin.post("/users/")
@admin_required
def user_create() -> Response:
    form = request.form
    return _change(
        lambda s: users.create_user(
            s,
            form.get("email", ""),
            form.get("password", ""),
            form.get("role", "officer"),
            actor=current_user.email,
        ),
        "Account created.",
    )


@admin.post("/users/<int:user_id>")
@admin_required
def user_update(user_id: int) -> Response:
    from portal.models import User

    session = db_session()
    user = session.get(User, user_id) or abort(404)
    action, form, actor = request.form.get("action"), request.form, current_user.email
    if action == "password":
        return _change(
            lambda s: users.set_password(s, user.email, form.get("password", ""), actor),
            f"Password of {user.email} reset.",
        )
    if action == "role":
        return _change(
            lambda s: users.set_role(s, user.email, form.get("role", ""), actor),
            f"Role of {user.email} changed.",
        )
    if action == "public_name":
        return _change(
            lambda s: users.set_public_name(s, user.email, form.get("public_name", ""), actor),
            f"Public name of {user.email} set.",
        )
    if action in ("disable", "enable"):
        if user.id == current_user.id:
            flash("You cannot disable your own account.", "error")
            return redirect(url_for("admin.user_list"))
        return _change(
            lambda s: users.set_active(s, user.email, action == "enable", actor),
            f"{user.email} {action}d.",
        )
    abort(400)


def _change(action: Any, message: str) -> Response:
    session = db_session()
    try:
        action(session)
        session.commit()
        flash(message, "success")
    except (PortalError, ValueError) as error:
        session.rollback()
        flash(str(error), "error")
    return redirect(url_for("admin.user_list"))


@admin.get("/audit/")
@reviewer_required
def audit_log() -> str:
    return render_template("office/audit.html", events=audit.recent(db_session(), limit=500))
