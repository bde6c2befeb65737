"""Office: webhooks and e-mail subscribers (admins only) and the delivery log."""

from __future__ import annotations

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from portal.errors import PortalError
from portal.extensions import admin_required, db_session, portal
from portal.watches import delivery, mail, webhooks

watches = Blueprint("watches", __name__, url_prefix="/office/watches")


@watches.after_request
def _never_cache(response: Response) -> Response:
    response.headers["Cache-Control"] = "no-store"
    return response


@watches.get("/")
@admin_required
def index() -> str:
    session = db_session()
    config = portal().config
    return render_template(
        "office/watches.html",
        webhooks=webhooks.all_webhooks(session),
        subscribers=mail.all_subscribers(session),
        deliveries=delivery.recent(session),
        mail_configured=bool(config.smtp_url and config.mail_from),
    )


@watches.post("/webhooks")
@admin_required
def webhook_create() -> Response:
    form = request.form
    result = _change(
        lambda s: webhooks.register(
            s,
            form.get("url", ""),
            current_user.email,
            form.get("secret", ""),
            form.get("dataset", "").strip() or None,
        )
    )
    if result is not None:
        webhook, secret = result
        given = bool(form.get("secret", "").strip())
        flash(
            f"Webhook {webhook.id} registered."
            + ("" if given else f" Its secret (shown once): {secret}"),
            "success",
        )
    return redirect(url_for("watches.index"))


@watches.post("/webhooks/<int:webhook_id>")
@admin_required
def webhook_update(webhook_id: int) -> Response:
    action = request.form.get("action")
    if action not in ("enable", "disable"):
        abort(400)
    if _change(
        lambda s: webhooks.set_active(s, webhook_id, action == "enable", current_user.email)
    ):
        flash(f"Webhook {webhook_id} {action}d.", "success")
    return redirect(url_for("watches.index"))


@watches.post("/subscribers")
@admin_required
def subscriber_create() -> Response:
    form = request.form
    found = _change(
        lambda s: mail.subscribe(
            s,
            form.get("email", ""),
            current_user.email,
            form.get("dataset", "").strip() or None,
            form.get("language") or "en",
        )
    )
    if found is not None:
        flash(
            f"{found.email} will be told about new versions, retractions and corrections.",
            "success",
        )
    return redirect(url_for("watches.index"))


@watches.post("/subscribers/<int:subscriber_id>/remove")
@admin_required
def subscriber_remove(subscriber_id: int) -> Response:
    if _change(lambda s: mail.unsubscribe(s, subscriber_id, current_user.email) or True):
        flash("Subscriber removed.", "success")
    return redirect(url_for("watches.index"))


def _change(action):  # noqa: ANN001, ANN202
    session = db_session()
    try:
        result = action(session)
        session.commit()
        return result
    except PortalError as error:
        session.rollback()
        flash(str(error), "error")
        return None
