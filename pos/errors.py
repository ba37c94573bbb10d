"""Domain errors: one class, a stable machine code, a translatable message.

The web layers map a DomainError to HTTP in one place (``kiosk.errors``); services never
know about status codes beyond the hint carried here.
"""

from __future__ import annotations


class DomainError(Exception):
    """A business rule refused the request.

    ``code`` is stable (API clients branch on it); ``message`` is an English source string
    that the web layer passes through the translation layer, formatted with ``params``.
    """

    status = 400

    def __init__(self, code: str, message: str, /, *, status: int | None = None, field: str | None = None,
                 **params: object) -> None:
        super().__init__(message % params if params else message)
        self.code = code
        self.message = message
        self.params = params
        self.field = field
        #: Machine-readable facts for API clients, added to the problem document (never translated).
        self.details: dict = {}
        if status is not None:
            self.status = status


class NotFound(DomainError):
    """The thing asked for does not exist."""

    status = 404


class Forbidden(DomainError):
    """The person acting may not do this."""

    status = 403


class Conflict(DomainError):
    """The request collides with what is already recorded."""

    status = 409
