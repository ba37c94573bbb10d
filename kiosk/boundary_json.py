"""The input boundary's JSON loader: size and depth limits, then every string and key checked.

Installed through the request class (``kiosk.boundary.init_app``), so it applies to request bodies
only; Flask's own JSON (sessions, responses) is untouched.
"""

from __future__ import annotations

import json

from flask import Request, current_app

from .boundary import JSON_MAX_BYTES, JSON_MAX_DEPTH, KEY_MAX, InputRefused, check_value


class _BoundaryJSON:
    """The JSON module of our requests: size and depth limits, then every string and key checked."""

    @staticmethod
    def loads(data: bytes | str, **kwargs):
        """Parse a request body within the limits, or raise InputRefused."""
        raw = data.encode("utf-8") if isinstance(data, str) else data
        if len(raw) > JSON_MAX_BYTES:
            raise InputRefused("body", "too_large", limit=JSON_MAX_BYTES)
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError:
            raise InputRefused("body", "not_utf8") from None
        if _depth(text) > JSON_MAX_DEPTH:
            raise InputRefused("body", "too_deep", limit=JSON_MAX_DEPTH)
        try:
            value = json.loads(text, parse_constant=_refuse_constant)
        except (ValueError, RecursionError):
            raise InputRefused("body", "invalid_json") from None
        _walk("body", value)
        return value

    @staticmethod
    def dumps(obj, **kwargs) -> str:
        """Serialise as the app does."""
        return current_app.json.dumps(obj, **kwargs)


def _refuse_constant(name: str):
    raise ValueError(f"{name} is not JSON")


def _depth(text: str) -> int:
    """Deepest nesting of ``text``, counted before parsing so a deep body never reaches the parser."""
    depth = deepest = 0
    in_string = escaped = False
    for ch in text:
        if in_string:
            if escaped:
                escaped = False
            elif ch == "\\":
                escaped = True
            elif ch == '"':
                in_string = False
        elif ch == '"':
            in_string = True
        elif ch in "[{":
            depth += 1
            deepest = max(deepest, depth)
        elif ch in "]}":
            depth -= 1
    return deepest


def _walk(path: str, value) -> None:
    if isinstance(value, str):
        check_value(path, value)
    elif isinstance(value, dict):
        for key, item in value.items():
            check_value(f"{path}.(key)", key, limit=KEY_MAX)
            _walk(f"{path}.{key}", item)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            _walk(f"{path}[{index}]", item)


class BoundaryRequest(Request):
    """Flask's request with the boundary's JSON loader (request bodies only; sessions keep Flask's)."""

    @property
    def json_module(self):
        """The loader ``get_json()`` uses: the boundary's, always."""
        return _BoundaryJSON

    @json_module.setter
    def json_module(self, _provider) -> None:
        # Flask's request context assigns the app's JSON provider to every request; the boundary's
        # loader stays (it serialises through that provider anyway).
        pass

    def _load_form_data(self) -> None:
        # Keep the raw body of a form so check_request() can read it strictly as UTF-8, whoever
        # parses the form first (the CSRF check does).
        if self.mimetype == "application/x-www-form-urlencoded":
            self.get_data(cache=True, parse_form_data=False)
        super()._load_form_data()
