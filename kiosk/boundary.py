"""One input boundary: every value a request brings is checked once, before any view runs.

Checked: the path and its segments, every query parameter and form field (names too), the headers
we read, and every string of a JSON body (keys too, at any depth). Each value must be valid UTF-8,
free of control characters, within its length limit and not shaped like a payment card number
(on the full value, before anything could truncate it). A JSON body also has a size and a nesting
limit. A refusal is a 400 naming the field and the reason; the log says the same and never holds
the value itself. See docs/design.md, "The input boundary".
"""

from __future__ import annotations

import logging
from urllib.parse import parse_qsl, unquote_to_bytes, urlsplit

from flask import current_app, g, request
from flask_babel import gettext
from werkzeug.datastructures import ImmutableMultiDict

from pos.errors import DomainError
from pos.identifiers import parse_line
from pos.sensitive import has_control_characters, looks_like_card_number

log = logging.getLogger(__name__)

#: Longest value of any field unless FIELD_LIMITS says otherwise; nothing we take is longer.
DEFAULT_MAX = 200
#: Longest field name (query, form or JSON key): ours are short words.
KEY_MAX = 64
#: Longest path; its segments follow DEFAULT_MAX.
PATH_MAX = 1024
#: Per-field exceptions to DEFAULT_MAX (none needed today; a notes field would go here).
FIELD_LIMITS: dict[str, int] = {}
#: Fields where a tab or line break is text, not a control character (no multi-line field today).
MULTILINE_FIELDS: frozenset[str] = frozenset()
#: Framework values that are random tokens, never typed by a person: no card-number check.
NOT_TYPED = frozenset({"csrf_token"})
#: Fields holding a line: a valid phone number there is a phone number even when its digits pass Luhn.
LINE_FIELDS = frozenset({"line", "line_text"})
#: The request headers the application reads, with their length limits.
READ_HEADERS = {"Authorization": 512, "Idempotency-Key": 200, "Accept-Language": 500, "Host": 255,
                "Content-Type": 200, "Last-Event-ID": 200}
#: A JSON body larger or deeper than this is refused: our requests are small and flat.
JSON_MAX_BYTES = 16 * 1024
JSON_MAX_DEPTH = 8


def _(message: str) -> str:
    """Mark ``message`` for extraction only: it is an error's English source, translated where shown."""
    return message


#: What each reason says to the person.
MESSAGES = {
    "not_utf8": _("“%(label)s” holds characters that cannot be read. Type it again."),
    "control_character": _("“%(label)s” holds invisible control characters. Type it again."),
    "too_long": _("“%(label)s” is too long: at most %(limit)d characters."),
    "too_large": _("The request is too large: at most %(limit)d bytes of JSON."),
    "too_deep": _("The request is nested too deeply: at most %(limit)d levels of JSON."),
    "invalid_json": _("The request body is not valid JSON."),
    "file_not_accepted": _("This form takes no files."),
}


class InputRefused(DomainError):
    """A request value failed the boundary; ``field`` names it, ``reason`` says why. Never holds the value."""

    status = 400

    def __init__(self, field: str, reason: str, *, limit: int | None = None) -> None:
        if reason == "card_number" and field.rsplit(".", 1)[-1] in LINE_FIELDS:
            super().__init__("card_number_refused",
                             "That looks like a payment card number, not a phone or SIM number.", field=field)
        elif reason == "card_number":
            super().__init__("card_number_refused",
                             "That looks like a card number. Never type card numbers: "
                             "enter only the last four digits and the approval code.", field=field)
        else:
            params = {"limit": limit} if limit is not None else {}
            if "%(label)s" in MESSAGES[reason]:
                params["label"] = field_label(field)
            super().__init__("input_refused", MESSAGES[reason], field=field, **params)
        self.reason = reason


def field_label(field: str) -> str:
    """The name a person knows a field by, in their language; our own field name otherwise."""
    labels = {"line": gettext("Phone or SIM number"), "approval_code": gettext("Approval code"),
              "last4": gettext("Card last 4 digits"), "tendered": gettext("Cash received"),
              "id_last4": gettext("Last 4 characters of the number"), "country": gettext("Issuing country"),
              "name": gettext("Name"), "pin": gettext("PIN"), "q": gettext("Receipt number")}
    return labels.get(field.rsplit(".", 1)[-1], field)


def check_value(field: str, value: str, *, limit: int | None = None, card_check: bool = True) -> None:
    """Refuse ``value`` of ``field`` unless it is readable, has no control characters, fits and is no card."""
    if "\ufffd" in value or _has_surrogate(value):
        raise InputRefused(field, "not_utf8")
    if has_control_characters(value, multiline=field in MULTILINE_FIELDS):
        raise InputRefused(field, "control_character")
    limit = limit or FIELD_LIMITS.get(field, DEFAULT_MAX)
    # The card check runs on the whole value, before the length check could send a shorter message;
    # only absurd lengths skip it (they are refused anyway and never stored).
    if card_check and len(value) <= 4 * limit and field not in NOT_TYPED and _card_shaped(field, value):
        raise InputRefused(field, "card_number")
    if len(value) > limit:
        raise InputRefused(field, "too_long", limit=limit)


def _has_surrogate(value: str) -> bool:
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


def _card_shaped(field: str, value: str) -> bool:
    if not looks_like_card_number(value):
        return False
    if field.rsplit(".", 1)[-1] in LINE_FIELDS:
        try:  # a real phone number (or SIM) typed into a line field is what it says
            parse_line(value, current_app.config["STORE"].default_region)
            return False
        except DomainError:
            return True
    return True


def _check_key(field: str, key: str) -> None:
    check_value(field, key, limit=KEY_MAX)


def _check_raw_utf8(field: str, raw: bytes) -> None:
    """Werkzeug keeps undecodable bytes as %XX or drops them; read the raw pairs strictly instead."""
    for pair in raw.split(b"&"):
        try:
            unquote_to_bytes(pair.replace(b"+", b" ")).decode("utf-8")
        except UnicodeDecodeError:
            raise InputRefused(field, "not_utf8") from None


def _check_multidict(source: str, values) -> None:
    for key, value in values.items(multi=True):
        _check_key(source, key)
        if key == "next":
            _check_next(value)
        else:
            check_value(key, value)


def _check_next(value: str) -> None:
    """A ``next`` URL of ours is checked as the request it names: its path, then each of its parameters
    under its own name (so a phone number in its ``line`` is read as one)."""
    check_value("next", value, card_check=False)
    parts = urlsplit(value)
    if looks_like_card_number(parts.path):
        raise InputRefused("next", "card_number")
    for key, item in parse_qsl(parts.query, keep_blank_values=True):
        check_value(key if key in LINE_FIELDS else "next", item)


def check_request() -> None:
    """The before_request hook: the whole request, or InputRefused for the first bad value.

    On the screens that show refusals inline (``INLINE_ENDPOINTS``) a refused field of theirs is
    blanked and the first such refusal kept in ``g.input_refused`` for the view to show with the
    form; the rest of the request is still checked (and blanked or refused) all the same.
    """
    inline = INLINE_ENDPOINTS.get(request.endpoint or "", frozenset())
    blanked: set[str] = set()
    while True:
        try:
            _check_everything()
            return
        except InputRefused as refused:
            _log(refused)
            if refused.field not in inline or refused.field in blanked:
                raise
            blanked.add(refused.field)
            g.setdefault("input_refused", refused)
            _blank(refused.field)  # now empty, it passes: each round blanks one more field


def _check_everything() -> None:
    _check_path()
    for name, limit in READ_HEADERS.items():
        value = request.headers.get(name)
        if value is not None:
            if not value.isascii():
                raise InputRefused(f"header:{name}", "not_utf8")
            check_value(f"header:{name}", value, limit=limit)
    _check_raw_utf8("query", request.query_string)
    _check_multidict("query", request.args)
    if request.mimetype == "application/x-www-form-urlencoded":
        _check_raw_utf8("form", request.get_data(cache=True))
    if request.mimetype in ("application/x-www-form-urlencoded", "multipart/form-data"):
        _check_multidict("form", request.form)
        for name in request.files:  # no form of ours takes a file
            raise InputRefused(name if len(name) <= KEY_MAX else "form", "file_not_accepted")
    if request.is_json and request.get_data(cache=True):
        request.get_json()  # boundary_json.BoundaryRequest checks it; cached for the view


#: Screens that show a refused field next to the form rather than on an error page: endpoint -> fields.
INLINE_ENDPOINTS = {
    "counter.line": frozenset({"line"}),
    "counter.checkout_post": frozenset({"tendered", "approval_code", "last4", "id_last4", "country"}),
    "counter.request_refund": frozenset({"reason"}),
    "counter.complete_refund": frozenset({"approval_code", "last4"}),
}


def raise_if_refused() -> None:
    """For an inline screen's view: raise the refusal the boundary kept for it, if any."""
    refused = g.pop("input_refused", None)
    if refused is not None:
        raise refused


def _blank(field: str) -> None:
    """Empty every value of ``field`` so nothing later (a re-rendered form) can show it."""
    for attr in ("args", "form"):
        values = getattr(request, attr)
        if field in values:
            setattr(request, attr, ImmutableMultiDict([(k, "" if k == field else v)
                                                       for k, v in values.items(multi=True)]))


def _check_path() -> None:
    raw = request.environ.get("PATH_INFO", "")
    try:
        raw.encode("latin-1").decode("utf-8")
    except (UnicodeEncodeError, UnicodeDecodeError):
        raise InputRefused("path", "not_utf8") from None
    check_value("path", request.path, limit=PATH_MAX, card_check=False)
    if request.view_args:
        for name, value in request.view_args.items():
            if isinstance(value, str):
                check_value(name, value)
    elif looks_like_card_number(request.path):  # no route matched: the whole path is someone's text
        raise InputRefused("path", "card_number")


def _log(refused: InputRefused) -> None:
    # The field and the reason only: the value may be a card number or a control-character probe.
    log.warning("input refused: field=%s reason=%s endpoint=%s", refused.field, refused.reason,
                request.endpoint or "-")


def back_link() -> str | None:
    """The page the person came from on this site, as a path without its query (which may hold the bad value)."""
    referrer = request.referrer
    if not referrer:
        return None
    parts = urlsplit(referrer)
    if parts.netloc and parts.netloc != request.host:
        return None
    path = parts.path or "/"
    return path if path.startswith("/") and not path.startswith("//") and not has_control_characters(path) else None


def init_app(app) -> None:
    """Install the request class and the hook (after the session is loaded, so refusals speak the clerk's language)."""
    from .boundary_json import BoundaryRequest  # that module builds on this one's checks

    app.request_class = BoundaryRequest
    app.before_request(check_request)
