"""The OpenAPI 3.1 document of /api/v1, kept beside the routes it describes (a test checks both agree)."""

from __future__ import annotations

_ERROR = {"description": "A problem", "content": {"application/problem+json": {
    "schema": {"$ref": "#/components/schemas/Problem"}}}}
_AUTH_ERRORS = {"401": _ERROR, "403": _ERROR}

SCHEMAS = {
    "Problem": {"type": "object", "required": ["status", "code", "detail"], "properties": {
        "type": {"type": "string"}, "title": {"type": "string"}, "status": {"type": "integer"},
        "code": {"type": "string", "description": "Stable machine code, e.g. invalid_line, plan_unavailable, "
                 "insufficient_tender, id_check_required, idempotency_key_required, idempotency_key_reused, "
                 "card_number_refused, unauthorized, forbidden"},
        "detail": {"type": "string"}, "field": {"type": "string"}}},
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
    "CashPayment": {"type": "object", "required": ["method", "tendered_minor"], "properties": {
        "method": {"const": "cash"}, "tendered_minor": {"type": "integer", "minimum": 0}}},
    "CardPayment": {"type": "object", "required": ["method", "approval_code", "last4"], "properties": {
        "method": {"const": "card"}, "approval_code": {
            "type": "string", "pattern": "^[A-Za-z0-9]{6}$",
            "description": "as the terminal prints it; the default format, payment.approval_code_pattern "
                           "(per terminal), may set another"},
        "last4": {"type": "string", "pattern": "^[0-9]{4}$"}}},
    "IdCheck": {"type": "object", "required": ["document_type", "country", "last4", "seen"], "properties": {
        "document_type": {"type": "string",
                          "enum": ["passport", "national_id", "drivers_license", "residence_permit"]},
        "country": {"type": "string", "pattern": "^[A-Z]{2}$"}, "last4": {"type": "string"},
        "seen": {"const": True}}},
    "RenewalRequest": {"type": "object", "required": ["line", "plan_id", "payment"], "properties": {
        "line": {"type": "string", "description": "Phone number (any common format) or ICCID"},
        "plan_id": {"type": "string"}, "terminal": {"type": "string"},
        "payment": {"oneOf": [{"$ref": "#/components/schemas/CashPayment"},
                              {"$ref": "#/components/schemas/CardPayment"}]},
        "id_check": {"$ref": "#/components/schemas/IdCheck"}}},
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

PATHS = {
    "/api/v1/plans": {"get": {"summary": "Plans on sale", "responses": {
        "200": {"description": "The catalog", "content": {"application/json": {"schema": {
            "type": "object", "required": ["plans"],
            "properties": {"plans": {"type": "array", "items": {"$ref": "#/components/schemas/Plan"}}}}}}},
        **_AUTH_ERRORS}}},
    "/api/v1/lines/{line}": {"get": {"summary": "A line and its last known status",
                                     "parameters": [{"name": "line", "in": "path", "required": True,
                                                     "schema": {"type": "string"}}],
                                     "responses": {"200": {"description": "The line", "content": {
                                         "application/json": {"schema": {"$ref": "#/components/schemas/Line"}}}},
                                         "400": _ERROR, **_AUTH_ERRORS}}},
    "/api/v1/renewals": {"post": {
        "summary": "Sell a renewal",
        "parameters": [{"name": "Idempotency-Key", "in": "header", "required": True,
                        "schema": {"type": "string", "maxLength": 80}}],
        "requestBody": {"required": True, "content": {"application/json": {
            "schema": {"$ref": "#/components/schemas/RenewalRequest"}}}},
        "responses": {
            "201": {"description": "Sold", "content": {"application/json": {
                "schema": {"$ref": "#/components/schemas/Renewal"}}}},
            "200": {"description": "Replay of the same request: the original sale", "content": {
                "application/json": {"schema": {"$ref": "#/components/schemas/Renewal"}}}},
            "400": _ERROR, "422": _ERROR, **_AUTH_ERRORS}}},
    "/api/v1/renewals/{id}": {"get": {"summary": "A sale and its status",
                                      "parameters": [{"name": "id", "in": "path", "required": True,
                                                      "schema": {"type": "string"}}],
                                      "responses": {"200": {"description": "The sale", "content": {
                                          "application/json": {"schema": {"$ref": "#/components/schemas/Renewal"}}}},
                                          "404": _ERROR, **_AUTH_ERRORS}}},
    "/api/v1/audit": {"get": {"summary": "Latest audit entries (managers only)",
                              "parameters": [{"name": "limit", "in": "query", "required": False,
                                              "schema": {"type": "integer", "minimum": 1, "maximum": 500}}],
                              "responses": {"200": {"description": "Entries, newest first", "content": {
                                  "application/json": {"schema": {
                                      "type": "object", "required": ["entries"],
                                      "properties": {"entries": {"type": "array", "items": {"type": "object"}}}}}}},
                                  "400": _ERROR, **_AUTH_ERRORS}}},
}


def openapi_document() -> dict:
    """The whole document."""
    return {"openapi": "3.1.0",
            "info": {"title": "SIM renewal kiosk API", "version": "1.0.0",
                     "description": "Sell and look up prepaid SIM renewals. Amounts are integer minor units."},
            "servers": [{"url": "/"}],
            "security": [{"bearer": []}],
            "paths": PATHS,
            "components": {"schemas": SCHEMAS,
                           "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer",
                                                          "description": "kiosk token create --staff NAME"}}}}
