"""The OpenAPI 3.1 document of /api/v1, and the schemas the routes check requests against.

The routes validate with these same schemas (kiosk/api/validation.py), so every length, pattern and
enum here is enforced exactly, and the responses list every status each operation can answer.
tests/test_api_schemathesis.py runs schemathesis with all its checks against a live server.
"""

from __future__ import annotations

import phonenumbers

_PROBLEM = {"content": {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}}}
_STATUSES = {
    "400": "The request does not match this document: a wrong type, pattern, length or enum, a missing or "
           "unknown field, "
           "a control character, a string or JSON nesting too long or deep, or a value shaped like a card number",
    "401": "No valid API token (Authorization: Bearer ...)",
    "403": "The token's staff member may not do this (managers only)",
    "404": "Not found",
    "413": "The body is larger than 256 KiB",
    "415": "The body is not application/json",
    "422": "The request matches this document but a business rule refuses it; `code` says which",
    "500": "The server failed; nothing was sold",
}


def _errors(*codes: str) -> dict:
    return {code: {"description": _STATUSES[code], **_PROBLEM} for code in ("400", "401", *codes, "500")}


def _json(description: str, schema: dict, headers: dict | None = None) -> dict:
    answer = {"description": description, "content": {"application/json": {"schema": schema}}}
    return answer | ({"headers": headers} if headers else {})


#: What the server enforces on the fields it reads; the same regexes and bounds as pos/ applies.
LINE = {"type": "string", "minLength": 1, "maxLength": 64, "pattern": r"^[0-9+() ./-]*[0-9][Ff]?$",
        "description": "Phone number (any common format: +1 415 555 0123, (415) 555-0123) or ICCID (19-20 digits "
                       "from 89). A number that matches but does not exist is refused with 422 invalid_line."}
IDEMPOTENCY_KEY = {"type": "string", "minLength": 1, "maxLength": 80, "pattern": "^[!-~]{1,80}$",
                   "description": "1-80 visible ASCII characters, e.g. a UUID. Unique per staff member: the same "
                                  "key and body returns the first sale (200, Idempotent-Replayed: true), the same "
                                  "key with another body is 422 idempotency_key_reused. Another staff member's "
                                  "key is just a new key for you: keys are never shared or revealed across "
                                  "principals."}

SALE_REF = {"type": "string", "minLength": 1, "maxLength": 64, "pattern": "^[A-Za-z0-9-]{1,64}$",
            "description": "The sale's id (a UUID) or its receipt number, e.g. R-T01-000123"}

SCHEMAS = {
    "Problem": {"type": "object", "required": ["status", "code", "detail"], "properties": {
        "type": {"type": "string"}, "title": {"type": "string"}, "status": {"type": "integer"},
        "code": {"type": "string", "description": "Stable machine code, e.g. validation_failed, invalid_line, "
                 "plan_unavailable, insufficient_tender, id_check_required, idempotency_key_required, "
                 "idempotency_key_reused, renewal_refused, repeat_sale_unconfirmed, card_number_refused, "
                 "unknown_terminal, sale_not_found, unauthorized, "
                 "forbidden, not_found, too_large, unsupported_media_type, server_error"},
        "detail": {"type": "string"}, "field": {"type": "string"},
        "carrier_code": {"type": "string", "description": "renewal_refused: why the carrier would refuse it, "
                         "e.g. RECENTLY_RENEWED, PRICE_CHANGED, LINE_NOT_ELIGIBLE"},
        "earlier_sale": {"type": "object", "description": "repeat_sale_unconfirmed (and RECENTLY_RENEWED when "
                         "the earlier renewal is ours): the sale to name as sell_again",
                         "properties": {"id": {"type": "string"}, "receipt_number": {"type": "string"}}}}},
    "Plan": {"type": "object", "required": ["id", "name", "price_minor", "currency", "validity_days", "data_mb",
                                             "voice_min", "sms", "requires_id"], "properties": {
        "id": {"type": "string"}, "name": {"type": "string"},
        "names": {"type": "object", "additionalProperties": {"type": "string"}},
        "price_minor": {"type": "integer"}, "total_minor": {"type": "integer",
                                                            "description": "Price with fees and taxes"},
        "currency": {"type": "string"}, "price_version": {"type": "string"},
        "validity_days": {"type": "integer"}, "data_mb": {"type": "integer", "description": "-1 is unlimited"},
        "voice_min": {"type": "integer"}, "sms": {"type": "integer"}, "requires_id": {"type": "boolean"}}},
    "Line": {"type": "object", "required": ["line", "kind", "status"], "properties": {
        "line": {"type": "string"}, "kind": {"type": "string", "enum": ["msisdn", "iccid"]},
        "display": {"type": "string"},
        "status": {"type": "string", "enum": ["ACTIVE", "GRACE", "EXPIRED", "SUSPENDED", "TERMINATED", "UNKNOWN"]},
        "expires_at": {"type": ["string", "null"], "format": "date-time"},
        "checked_at": {"type": ["string", "null"], "format": "date-time"},
        "restores_service": {"type": "boolean"},
        "live": {"type": "boolean", "description": "true when the carrier answered now, else the last snapshot"},
        "eligible_plan_ids": {"type": ["array", "null"], "items": {"type": "string"}}}},
    "CashPayment": {"type": "object", "additionalProperties": False,
                  "required": ["method", "tendered_minor"], "properties": {
        "method": {"const": "cash"},
        "tendered_minor": {"type": "integer", "minimum": 0, "maximum": 100_000_000,
                           "description": "Cash handed over, in minor units (less than the total: 422)"}}},
    "CardPayment": {"type": "object", "additionalProperties": False,
                  "required": ["method", "approval_code", "last4"], "properties": {
        "method": {"const": "card"}, "approval_code": {
            "type": "string", "minLength": 1, "maxLength": 12, "pattern": "^[A-Za-z0-9]{1,12}$",
            "description": "As the card terminal prints it on the slip. Each terminal's own format "
                           "(payment.approval_code_pattern; by default 6 letters or digits) narrows this "
                           "shape: a code of this shape in another format is 422 invalid_approval_code. "
                           "At most 12 characters, so a card number never fits."},
        "last4": {"type": "string", "minLength": 4, "maxLength": 4, "pattern": "^[0-9]{4}$"}}},
    "IdCheck": {"type": "object", "additionalProperties": False,
              "required": ["document_type", "country", "last4", "seen"], "properties": {
        "document_type": {"type": "string",
                          "enum": ["passport", "national_id", "drivers_license", "residence_permit"]},
        "country": {"type": "string", "enum": sorted(phonenumbers.SUPPORTED_REGIONS),
                    "description": "Issuing country, ISO 3166 alpha-2"},
        "last4": {"type": "string", "minLength": 4, "maxLength": 4, "pattern": "^[A-Za-z0-9]{4}$"},
        "seen": {"const": True}}},
    "RenewalRequest": {"type": "object", "additionalProperties": False,
                     "required": ["line", "plan_id", "payment"], "properties": {
        "line": LINE,
        "plan_id": {"type": "string", "minLength": 1, "maxLength": 64, "pattern": "^[A-Za-z0-9][A-Za-z0-9._-]*$",
                    "description": "A plan id from GET /plans (another: 422 plan_unavailable)"},
        "terminal": {"type": "string", "minLength": 1, "maxLength": 8, "pattern": "^[A-Z0-9]{1,8}$",
                     "description": "Terminal code; default: the server's own (unknown: 404 unknown_terminal)"},
        "payment": {"oneOf": [{"$ref": "#/components/schemas/CashPayment"},
                              {"$ref": "#/components/schemas/CardPayment"}]},
        "id_check": {"$ref": "#/components/schemas/IdCheck"},
        "sell_again": {"type": "string", "format": "uuid", "minLength": 36, "maxLength": 36,
                       "pattern": "^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$",
                       "description": "The id of the earlier sale of this line and plan that a 422 "
                                      "repeat_sale_unconfirmed named (earlier_sale.id): the customer really "
                                      "wants a second renewal. Only that very sale confirms it."}}},
    "Renewal": {"type": "object", "required": ["id", "status", "receipt_number", "total_minor", "change_minor"],
                "properties": {
        "id": {"type": "string", "format": "uuid"},
        "status": {"type": "string", "enum": ["pending", "confirmed", "needs_refund", "needs_attention",
                                              "refunded"]},
        "status_reason": {"type": ["string", "null"]}, "receipt_number": {"type": "string"},
        "line": {"type": "string"}, "line_kind": {"type": "string"}, "plan_id": {"type": "string"},
        "price_version": {"type": "string"}, "currency": {"type": "string"},
        "subtotal_minor": {"type": "integer"}, "fees_minor": {"type": "integer"},
        "charges": {"type": "array", "items": {"type": "object"}}, "total_minor": {"type": "integer"},
        "change_minor": {"type": ["integer", "null"]}, "payment": {"type": ["object", "null"]},
        "restores_service": {"type": "boolean"},
        "new_expires_at": {"type": ["string", "null"], "format": "date-time"},
        "created_at": {"type": "string", "format": "date-time"}}},
}

_SALE_HEADERS = {"Location": {"required": True, "description": "The sale's URL",
                              "schema": {"type": "string", "pattern": "^/api/v1/renewals/"}}}
_REPLAY_HEADERS = _SALE_HEADERS | {"Idempotent-Replayed": {"required": True, "schema": {"const": "true"}}}
_RENEWAL = {"$ref": "#/components/schemas/Renewal"}

PATHS = {
    "/api/v1/plans": {"get": {"summary": "Plans on sale", "responses": {
        "200": _json("The catalog", {"type": "object", "required": ["plans"], "properties": {
            "plans": {"type": "array", "items": {"$ref": "#/components/schemas/Plan"}}}}),
        **_errors()}}},
    "/api/v1/lines/{line}": {"get": {
        "summary": "A line and its last known status",
        "parameters": [{"name": "line", "in": "path", "required": True, "schema": LINE}],
        "responses": {"200": _json("The line", {"$ref": "#/components/schemas/Line"}), **_errors("422")}}},
    "/api/v1/renewals": {"post": {
        "summary": "Sell a renewal",
        "parameters": [{"name": "Idempotency-Key", "in": "header", "required": True, "schema": IDEMPOTENCY_KEY}],
        "requestBody": {"required": True, "content": {"application/json": {
            "schema": {"$ref": "#/components/schemas/RenewalRequest"}}}},
        "responses": {
            "201": _json("Sold", _RENEWAL, _SALE_HEADERS),
            "200": _json("Replay of the same request by the same staff member: the original sale", _RENEWAL,
                         _REPLAY_HEADERS),
            **_errors("404", "413", "415", "422")}}},
    "/api/v1/renewals/{id}": {"get": {
        "summary": "A sale and its status, by id or receipt number",
        "parameters": [{"name": "id", "in": "path", "required": True, "schema": SALE_REF}],
        "responses": {"200": _json("The sale", _RENEWAL), **_errors("404")}}},
    "/api/v1/audit": {"get": {
        "summary": "Latest audit entries (managers only)",
        "parameters": [{"name": "limit", "in": "query", "required": False,
                        "schema": {"type": "integer", "minimum": 1, "maximum": 500, "default": 100}}],
        "responses": {"200": _json("Entries, newest first", {"type": "object", "required": ["entries"], "properties": {
            "entries": {"type": "array", "items": {"type": "object"}}}}), **_errors("403")}}},
}


def openapi_document(max_tendered_minor: int = 100_000_000) -> dict:
    """The whole document; ``max_tendered_minor`` is the store currency's largest amount."""
    schemas = dict(SCHEMAS)
    cash = schemas["CashPayment"]
    schemas["CashPayment"] = cash | {"properties": cash["properties"] | {
        "tendered_minor": cash["properties"]["tendered_minor"] | {"maximum": max_tendered_minor}}}
    return {"openapi": "3.1.0",
            "info": {"title": "SIM renewal kiosk API", "version": "1.0.0",
                     "description": "Sell and look up prepaid SIM renewals. Amounts are integer minor units. "
                                    "Errors are application/problem+json with a stable `code`. 400 means the "
                                    "request does not match this document; 422 that it does, but a business "
                                    "rule refuses it. A method a path does not list is 405 with an Allow "
                                    "header."},
            "servers": [{"url": "/"}],
            "security": [{"bearer": []}],
            "paths": PATHS,
            "components": {"schemas": schemas,
                           "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer",
                                                          "description": "kiosk token create --staff NAME"}}}}
