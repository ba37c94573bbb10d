"""The clerk's screens: line entry, status and plans, checkout, receipt, lookup and reprint."""

from flask import Blueprint

bp = Blueprint("counter", __name__, url_prefix="/counter")

from . import refunds, routes  # noqa: E402,F401 - routes register themselves on bp
