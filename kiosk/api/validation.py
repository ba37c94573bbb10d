"""Requests checked against the very schemas the OpenAPI document publishes (kiosk/api/openapi.py).

One rule for every status: **400** when a request does not match the document (a wrong type, a
pattern, a length, an enum, a missing field), **422** when it matches but a business rule refuses
it (the number does not exist, the plan is not on sale, the cash is short). The document is thus
the whole truth about what 400 means; a client that follows it only ever meets 422s it can show.

Only the JSON-Schema keywords the document uses are understood: ``$ref``, ``type``, ``required``,
``properties``, ``additionalProperties: false``, ``oneOf``, ``const``, ``enum``, ``pattern``,
``minLength``, ``maxLength``, ``minimum``, ``maximum``.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Iterator

from pos.errors import DomainError

_TYPES = {"object": dict, "array": list, "string": str, "boolean": bool, "null": type(None)}


def schema_problem(schemas: dict, schema: dict, value: object, where: str = "") -> str | None:
    """The path of the first part of ``value`` that does not match ``schema`` (``""`` for the whole
    value), or None when it all matches. ``$ref``s resolve in ``schemas``."""
    while "$ref" in schema:
        schema = schemas[schema["$ref"].rsplit("/", 1)[1]]
    if "oneOf" in schema:
        fits = [o for o in schema["oneOf"] if schema_problem(schemas, o, value, where) is None]
        return None if len(fits) == 1 else where
    if "type" in schema and not _has_type(value, schema["type"]):
        return where
    if "const" in schema and (value != schema["const"] or type(value) is not type(schema["const"])):
        return where
    if "enum" in schema and value not in schema["enum"]:
        return where
    if isinstance(value, str):
        if not schema.get("minLength", 0) <= len(value) <= schema.get("maxLength", len(value)):
            return where
        if "pattern" in schema and not re.search(schema["pattern"], value):
            return where
    if isinstance(value, int | float) and not isinstance(value, bool):
        if value < schema.get("minimum", value) or value > schema.get("maximum", value):
            return where
    if isinstance(value, dict):
        for key in schema.get("required", ()):
            if key not in value:
                return f"{where}.{key}".lstrip(".")
        if schema.get("additionalProperties") is False:
            extra = sorted(set(value) - set(schema.get("properties", {})))
            if extra:
                return f"{where}.{extra[0]}".lstrip(".")
        for key, sub in schema.get("properties", {}).items():
            if key in value:
                found = schema_problem(schemas, sub, value[key], f"{where}.{key}".lstrip("."))
                if found is not None:
                    return found
    return None


def _has_type(value: object, types: str | list[str]) -> bool:
    for name in [types] if isinstance(types, str) else types:
        if name == "integer" and isinstance(value, int) and not isinstance(value, bool):
            return True
        if name == "integer" and isinstance(value, float) and value.is_integer():
            return True  # JSON Schema counts 2000.0 as an integer
        if name in _TYPES and isinstance(value, _TYPES[name]):
            return True
    return False


@contextlib.contextmanager
def refused_as_422(conforms: bool) -> Iterator[None]:
    """Inside: a 400 refusal of a request that matches the document becomes a 422 (see above)."""
    try:
        yield
    except DomainError as exc:
        if conforms and exc.status == 400:
            exc.status = 422
        raise


def not_as_documented(where: str) -> DomainError:
    """The refusal of a request that does not match the document, naming the part that does not."""
    name = where or "body"
    return DomainError("validation_failed", "“%(key)s” does not match the API document (/api/v1/openapi.json).",
                       field=name.rsplit(".", 1)[-1], key=name)
