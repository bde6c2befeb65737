"""The Flask application factory: configuration, extensions, blueprints, security headers."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from datetime import timedelta

from flask import Flask, Response, abort, g, render_template, request
from flask.sessions import SecureCookieSessionInterface
from flask_wtf.csrf import CSRFError
from itsdangerous import URLSafeTimedSerializer
from sqlalchemy.exc import OperationalError
from werkzeug.middleware.proxy_fix import ProxyFix
from werkzeug.routing import IntegerConverter

from portal import languages
from portal.config import REPO_ROOT, Config
from portal.datasets.context import Portal
from portal.errors import AlreadyDecided
from portal.extensions import RATELIMIT_TABLE, babel, csrf, limiter, login_manager
from portal.languages import gettext as _
from portal.policies.extract import MAX_DOCUMENT_BYTES
from portal.web.edge import SharedPages
from portal.web.language import COOKIE as LANGUAGE_COOKIE

MAX_UPLOAD = 200 * 1024 * 1024
# The largest body each kind of request needs; bigger ones answer 413 before being read.
SMALL_FORM = 16 * 1024  # every public form (comments, survey answers), the API
OFFICE_FORM = 1024 * 1024  # records-office forms (methodology, corrections, notes)
# Run now: with files. A policy document: portal.policies.extract's limit, plus the form.
POLICY_UPLOAD = MAX_DOCUMENT_BYTES + 64 * 1024
BODY_LIMITS = {
    "auth.login": 4 * 1024,
    "office.run_now": MAX_UPLOAD,
    "policy_office.upload": POLICY_UPLOAD,
}
# Larger path integers match no route (404): SQLite stops at 2^63, PostgreSQL's INTEGER at 2^31.
MAX_PATH_INTEGER = 2**31 - 1


class PathInteger(IntegerConverter):
    """`<int:…>` in every route, bounded to what the database can hold."""

    def __init__(self, map, *args: object, **kwargs: object) -> None:  # noqa: A002, ANN001
        kwargs.setdefault("max", MAX_PATH_INTEGER)
        super().__init__(map, *args, **kwargs)


CONTENT_SECURITY_POLICY = (
    "default-src 'self'; img-src 'self' data:; style-src 'self'; "
    "script-src 'self'; object-src 'none'; frame-ancestors 'none'; "
    "base-uri 'self'; form-action 'self'"
)


def create_app(config: Config | None = None) -> Flask:
    config = config or Config.from_env()
    app = Flask(__name__, template_folder=str(REPO_ROOT / "templates"))
    app.config.update(
        SECRET_KEY=config.secret_key,
        TESTING=config.testing,
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=config.base_url.startswith("https://"),
        PERMANENT_SESSION_LIFETIME=timedelta(hours=config.session_hours),
        WTF_CSRF_TIME_LIMIT=None,  # the token lives as long as the session
        # Counters every worker and node shares: the portal's database, or Redis.
        RATELIMIT_STORAGE_URI=config.ratelimit_url or RATELIMIT_TABLE,
        RATELIMIT_HEADERS_ENABLED=True,
        MAX_CONTENT_LENGTH=MAX_UPLOAD,
    )
    app.url_map.converters["int"] = PathInteger
    app.session_interface = SignedCookieSessions()
    # Inside ProxyFix: HTTPS as the trusted proxy saw it; outside the shared pages, so a
    # page kept there gets the headers of the request it answers.
    app.wsgi_app = SecurityHeaders(SharedPages(app.wsgi_app, language_cookie=LANGUAGE_COOKIE))
    if config.trusted_proxies:
        # The client address and scheme as the configured proxies saw them, and nothing a
        # client wrote in the headers itself.
        app.wsgi_app = ProxyFix(
            app.wsgi_app, x_for=config.trusted_proxies, x_proto=config.trusted_proxies
        )
    app.extensions["portal"] = Portal(config)
    if not config.ratelimit_url:
        app.config["RATELIMIT_STORAGE_OPTIONS"] = {"engine": app.extensions["portal"].db.engine}
    app.url_value_preprocessor(_limit_body)
    csrf.init_app(app)
    limiter.init_app(app)
    # Every limit is on a view (sign-in, comments, surveys) and its decorator enforces it; the
    # app-wide hook only looks for default limits, of which there are none, and would cost
    # every request, a third of a cached summary page's time.
    app.before_request_funcs[None].remove(limiter._check_request_limit)
    login_manager.init_app(app)
    from portal.web import fragments, language

    babel.init_app(
        app,
        default_locale=languages.DEFAULT,
        default_translation_directories=str(languages.TRANSLATIONS),
        locale_selector=languages.current,
    )
    language.init_app(app)
    fragments.init_app(app)

    from portal.api import blueprints as api_blueprints
    from portal.releases import ledger
    from portal.web.accountability import accountability, accountability_office
    from portal.web.admin import admin
    from portal.web.auth import auth
    from portal.web.catalogs import catalogs
    from portal.web.community import community
    from portal.web.compare import compare
    from portal.web.downloads import downloads
    from portal.web.moderation import moderation
    from portal.web.office import office
    from portal.web.policies import policies
    from portal.web.policy_office import policy_office
    from portal.web.public import public
    from portal.web.retraction import retraction
    from portal.web.watches import watches

    api, api_docs = api_blueprints()
    for blueprint in (public, downloads, catalogs, auth, office, admin, retraction, api, api_docs):
        app.register_blueprint(blueprint)
    csrf.exempt(api)
    for blueprint in (
        accountability,
        accountability_office,
        watches,
        community,
        moderation,
        compare,
        policies,
        policy_office,
    ):
        app.register_blueprint(blueprint)
    ledger.check_key_at_startup(config, app.extensions["portal"].db)  # see its docstring

    app.context_processor(lambda: {"base_url": config.base_url})
    app.teardown_appcontext(_close_session)
    app.after_request(_cors)
    _register_errors(app)
    if not app.debug:
        logging.basicConfig(level=logging.INFO)
    return app


def _limit_body(endpoint: str | None, _values: dict | None) -> None:
    """Refuse a body larger than its route needs before anything reads it (CSRF included)."""
    limit = BODY_LIMITS.get(endpoint or "") or (
        OFFICE_FORM if request.path.startswith("/office/") else SMALL_FORM
    )
    request.max_content_length = limit  # also caps chunked bodies that announce no length
    if request.content_length is not None and request.content_length > limit:
        abort(413)


def _close_session(_error: BaseException | None) -> None:
    session = g.pop("db_session", None)
    if session is not None:
        session.close()


SECURITY_HEADERS = [
    ("Content-Security-Policy", CONTENT_SECURITY_POLICY),
    ("X-Content-Type-Options", "nosniff"),
    ("X-Frame-Options", "DENY"),
    ("Referrer-Policy", "same-origin"),
    ("Permissions-Policy", "camera=(), microphone=(), geolocation=()"),
    ("Cross-Origin-Opener-Policy", "same-origin"),
]
HSTS = ("Strict-Transport-Security", "max-age=31536000; includeSubDomains")


class SecurityHeaders:
    """Every response's security headers, added where the response starts (WSGI): one pass
    over a plain list, where an after_request hook cost a sixth of a cached page's time in
    werkzeug's Headers. A header a view set itself is kept; HTTPS answers add HSTS."""

    def __init__(self, app: Callable) -> None:
        self.app = app

    def __call__(self, environ: dict, start_response: Callable) -> Iterable[bytes]:
        secure = environ.get("wsgi.url_scheme") == "https"

        def start(status: str, headers: list[tuple[str, str]], exc_info: object = None) -> object:
            present = {name.lower() for name, _ in headers}
            headers += [h for h in SECURITY_HEADERS if h[0].lower() not in present]
            if secure and HSTS[0].lower() not in present:
                headers.append(HSTS)
            return start_response(status, headers, exc_info)

        return self.app(environ, start)


class SignedCookieSessions(SecureCookieSessionInterface):
    """Flask's signed-cookie sessions, their signer made once per key instead of on every
    request (even one without a cookie paid for it)."""

    def __init__(self) -> None:
        self._signers: dict[tuple, URLSafeTimedSerializer | None] = {}

    def get_signing_serializer(self, app: Flask) -> URLSafeTimedSerializer | None:
        keys = (app.secret_key, *(app.config.get("SECRET_KEY_FALLBACKS") or ()))
        if keys not in self._signers:
            self._signers[keys] = super().get_signing_serializer(app)
        return self._signers[keys]


def _cors(response: Response) -> Response:
    """Any web page may read the API and the published files (read-only, no cookies needed)."""
    public = request.blueprint in ("api", "downloads") or request.path.startswith("/api/v1/")
    if not public or request.method not in ("GET", "HEAD", "OPTIONS"):
        return response
    response.headers["Access-Control-Allow-Origin"] = "*"
    response.headers["Access-Control-Expose-Headers"] = (
        "ETag, Link, Content-Disposition, Content-Range, Accept-Ranges, X-Content-SHA256"
    )
    if request.method == "OPTIONS":
        response.headers["Access-Control-Allow-Methods"] = "GET, HEAD"
        response.headers["Access-Control-Allow-Headers"] = "If-None-Match, If-Modified-Since, Range"
        response.headers["Access-Control-Max-Age"] = "86400"
    return response


def _register_errors(app: Flask) -> None:
    def page(status: int, title: str, message: str) -> tuple[str, int]:
        if request.path.startswith("/api/"):
            return {"error": {"status": status, "title": title, "message": message}}, status
        return render_template("error.html", status=status, title=title, message=message), status

    app.register_error_handler(
        CSRFError,
        lambda e: page(
            400,
            _("Form expired"),
            _(
                "The form was missing its security token or it expired. "
                "Go back, reload the page and try again."
            ),
        ),
    )
    app.register_error_handler(
        404, lambda e: page(404, _("Not found"), _("There is nothing at this address."))
    )
    app.register_error_handler(
        AlreadyDecided,
        lambda e: page(409, _("Already decided"), _("Nothing was changed: %(reason)s.", reason=e)),
    )
    app.register_error_handler(
        403, lambda e: page(403, _("Not allowed"), _("Your account's role does not allow this."))
    )
    app.register_error_handler(
        405,
        lambda e: page(
            405, _("Method not allowed"), _("This address does not accept that kind of request.")
        ),
    )
    app.register_error_handler(
        429,
        lambda e: page(
            429, _("Too many attempts"), _("Too many attempts. Wait a while and try again.")
        ),
    )
    app.register_error_handler(
        500,
        lambda e: page(
            500,
            _("Something went wrong"),
            _("The portal could not answer this request; nothing was changed. Try again later."),
        ),
    )

    def database_busy(error: OperationalError) -> tuple[object, int, dict[str, str]]:
        # Locked past the busy timeout (SQLite behind a long publish) or unreachable: nothing
        # was changed, so "try again" is true; a 500 would not be.
        logging.getLogger(__name__).warning("database unavailable: %s", error.orig)
        body, status = page(
            503,
            _("Busy"),
            _(
                "The portal's database is busy or unavailable; nothing was changed. "
                "Try again in a minute."
            ),
        )
        return body, status, {"Retry-After": "60"}

    app.register_error_handler(OperationalError, database_busy)
    app.register_error_handler(
        413,
        lambda e: page(
            413,
            _("Too large"),
            _("The request is larger than this address accepts; nothing was kept."),
        ),
    )
