"""The `/api/v1/` blueprint every API module adds its routes to, with the API's error shape."""

from __future__ import annotations

from flask import Blueprint

from portal.api.http import install

api = Blueprint("api", __name__, url_prefix="/api/v1")
install(api)
