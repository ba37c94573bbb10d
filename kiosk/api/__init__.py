"""JSON API under /api/v1, bearer-token auth, problem+json errors, an OpenAPI 3 document."""

from flask import Blueprint

bp = Blueprint("api", __name__, url_prefix="/api/v1")

from . import routes  # noqa: E402,F401 - routes register themselves on bp
