"""Errors mapped to HTTP in one place: problem+json for the API, a page for the screens."""

from __future__ import annotations

from flask import jsonify, render_template, request, url_for
from flask_babel import gettext
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from pos.errors import DomainError

from .boundary import InputRefused, back_link
from .i18n import error_message


def wants_json() -> bool:
    """API paths and health checks answer in JSON."""
    return request.path.startswith("/api/") or request.path == "/healthz"


def problem(status: int, code: str, detail: str, **extra) -> tuple:
    """An RFC 9457 problem document with our stable ``code``."""
    body = {"type": f"about:blank#{code}", "title": code.replace("_", " "), "status": status, "code": code,
            "detail": detail, **extra}
    response = jsonify(body)
    response.status_code = status
    response.mimetype = "application/problem+json"
    return response


def init_app(app) -> None:
    """Register the handlers."""

    @app.errorhandler(DomainError)
    def _domain(exc: DomainError):
        if wants_json():
            extra = {"field": exc.field} if exc.field else {}
            if isinstance(exc, InputRefused):
                extra["reason"] = exc.reason
            extra.update(exc.details)
            return problem(exc.status, exc.code, error_message(exc), **extra)
        if isinstance(exc, InputRefused):  # the page must not reflect the refused URL (language switch's next=)
            back = back_link()
            return render_template("error.html", message=error_message(exc), status=exc.status, back=back,
                                   safe_next=back or url_for("counter.start")), exc.status
        return render_template("error.html", message=error_message(exc), status=exc.status), exc.status

    @app.errorhandler(CSRFError)
    def _csrf(exc: CSRFError):
        message = gettext("This form has expired. Go back, reload the page and try again.")
        if wants_json():
            return problem(400, "csrf_failed", message)
        return render_template("error.html", message=message, status=400), 400

    @app.errorhandler(HTTPException)
    def _http(exc: HTTPException):
        codes = {400: "bad_request", 403: "forbidden", 404: "not_found", 405: "method_not_allowed", 413: "too_large",
                 415: "unsupported_media_type", 500: "server_error"}
        messages = {403: gettext("You may not do this. Ask a manager."),
                    404: gettext("Nothing here. Check the address."),
                    405: gettext("This action is not allowed here.")}
        message = messages.get(exc.code, exc.description or "")
        if wants_json():
            response = problem(exc.code or 500, codes.get(exc.code, "http_error"), message)
        else:
            response = app.make_response((render_template("error.html", message=message, status=exc.code),
                                          exc.code))
        # The exception's own headers (Allow on a 405, as HTTP requires; WWW-Authenticate, Retry-After).
        for name, value in exc.get_headers():
            if name.lower() != "content-type":
                response.headers[name] = value
        return response
