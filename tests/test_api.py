"""The JSON API: tokens, roles, idempotency, problem+json errors, and an OpenAPI document that matches it."""

import uuid

import pytest
from sqlalchemy import func, select

from pos.db import db
from pos.models import Sale
from pos.services import staff as staff_service

from .helpers import seed_basic

CASH = {"line": "(415) 555-0123", "plan_id": "US-7D-5GB", "payment": {"method": "cash", "tendered_minor": 2000}}


@pytest.fixture
def api(clean_app):
    """A test client and a clerk's bearer token."""
    seed_basic(clean_app)
    with clean_app.app_context():
        token = staff_service.create_token(staff_service.find_staff("clerk"))
        db.session.commit()
    client = clean_app.test_client()
    client.environ_base["HTTP_AUTHORIZATION"] = f"Bearer {token}"
    return client


def _post(api, body, key="k-1"):
    headers = {"Idempotency-Key": key} if key else {}
    return api.post("/api/v1/renewals", json=body, headers=headers)


def _problem(response, status, code):
    assert response.status_code == status, response.get_json()
    assert response.mimetype == "application/problem+json"
    assert response.get_json()["code"] == code


def test_plans(api):
    """GET /plans lists the catalog with prices in minor units."""
    plans = api.get("/api/v1/plans").get_json()["plans"]
    first = plans[0]
    assert first["id"] == "US-7D-5GB" and first["price_minor"] == 1500 and first["currency"] == "USD"
    assert {"validity_days", "data_mb", "voice_min", "sms", "requires_id", "name"} <= set(first)


def test_line_lookup(api):
    """GET /lines/{line} parses the line and gives its last known status."""
    body = api.get("/api/v1/lines/4155550123").get_json()
    assert body == body | {"line": "+14155550123", "kind": "msisdn", "status": "UNKNOWN"}
    _problem(api.get("/api/v1/lines/123"), 422, "invalid_line")  # as documented, but no such number
    _problem(api.get("/api/v1/lines/12a"), 400, "invalid_line")  # not even the documented pattern


def test_renewal_created_then_replayed(api):
    """POST /renewals makes a sale (201); the same key and body returns it again (200)."""
    first = _post(api, CASH)
    assert first.status_code == 201
    body = first.get_json()
    assert body["status"] == "pending" and body["total_minor"] == 1523 and body["change_minor"] == 477
    assert body["receipt_number"] == "R-T01-000001"
    again = _post(api, CASH)
    assert again.status_code == 200 and again.get_json()["id"] == body["id"]
    assert again.headers["Idempotent-Replayed"] == "true"
    assert api.get(f"/api/v1/renewals/{body['id']}").get_json()["receipt_number"] == "R-T01-000001"


def test_same_key_other_body_422(api):
    """The same Idempotency-Key with another body is refused with 422."""
    _post(api, CASH)
    _problem(_post(api, CASH | {"plan_id": "US-15D-10GB", "payment": {"method": "cash", "tendered_minor": 5000}}),
             422, "idempotency_key_reused")


@pytest.mark.parametrize(("body", "key", "status", "code"), [
    (CASH, None, 400, "idempotency_key_required"),
    (CASH | {"line": "12"}, "a", 422, "invalid_line"),
    (CASH | {"line": "12a"}, "a2", 400, "invalid_line"),
    (CASH | {"terminal": None}, "a3", 400, "validation_failed"),
    (CASH | {"id_check": {"document_type": "passport", "country": "XX", "last4": "1234", "seen": True}}, "a4", 400,
     "id_check_invalid"),
    (CASH | {"plan_id": "GONE"}, "b", 422, "plan_unavailable"),
    (CASH | {"payment": {"method": "cash", "tendered_minor": 100}}, "c", 422, "insufficient_tender"),
    (CASH | {"payment": {"method": "cash", "tendered_minor": -1}}, "d", 400, "invalid_amount"),
    (CASH | {"payment": {"method": "cash", "tendered_minor": "20.00"}}, "e", 400, "invalid_amount"),
    (CASH | {"payment": {"method": "cash", "tendered_minor": 10**15}}, "f", 400, "invalid_amount"),
    (CASH | {"plan_id": "US-30D-20GB", "payment": {"method": "cash", "tendered_minor": 9000}}, "g", 422,
     "id_check_required"),
    (CASH | {"payment": {"method": "card", "approval_code": "OK1234", "last4": "4242424242424242"}}, "h", 400,
     "card_number_refused"),
    (CASH | {"payment": {"method": "card", "approval_code": "ABC", "last4": "4242"}}, "h2", 422,
     "invalid_approval_code"),  # the document's shape, but not the terminal's 6-character format
    (CASH | {"payment": {"method": "card", "approval_code": "AB-123", "last4": "4242"}}, "h3", 400,
     "invalid_approval_code"),  # off the document's shape
    (CASH | {"payment": "cash"}, "i", 400, "validation_failed"),
    ([1, 2], "j", 400, "validation_failed"),
])
def test_bad_requests_are_problems(api, body, key, status, code):
    """Every refusal is problem+json with a stable code, and nothing is sold."""
    _problem(_post(api, body, key), status, code)
    with api.application.app_context():
        assert db.session.scalar(select(func.count()).select_from(Sale)) == 0


def test_card_with_id_check(api):
    """A plan requiring ID sells by card with an ID check; the answer shows only the last four digits."""
    body = {"line": "89014103211118510720", "plan_id": "US-30D-20GB",
            "payment": {"method": "card", "approval_code": "A1B2C3", "last4": "4242"},
            "id_check": {"document_type": "passport", "country": "CN", "last4": "1234", "seen": True}}
    response = _post(api, body)
    assert response.status_code == 201
    assert response.get_json()["payment"] == {"method": "card", "amount_minor": 3553, "last4": "4242",
                                              "approval_code": "A1B2C3"}


def test_auth_required_and_roles(api, clean_app):
    """No token or a bad token is 401; cookies never authenticate the API."""
    anonymous = clean_app.test_client()
    _problem(anonymous.get("/api/v1/plans"), 401, "unauthorized")
    _problem(anonymous.get("/api/v1/plans", headers={"Authorization": "Bearer nope"}), 401, "unauthorized")
    _problem(anonymous.post("/api/v1/renewals", json=CASH, headers={"Idempotency-Key": "x"}), 401, "unauthorized")


def test_clerk_token_on_manager_route_forbidden(api):
    """A clerk's token on a manager-only route is refused with 403 forbidden."""
    _problem(api.get("/api/v1/audit"), 403, "forbidden")


def test_manager_reads_audit(api, clean_app):
    """A manager's token reads the audit log, which records the API sale."""
    _post(api, CASH)
    with clean_app.app_context():
        token = staff_service.create_token(staff_service.find_staff("manager"))
        db.session.commit()
    response = clean_app.test_client().get("/api/v1/audit?limit=5", headers={"Authorization": f"Bearer {token}"})
    assert "sale.create" in [e["action"] for e in response.get_json()["entries"]]


def test_unknown_sale_404(api):
    """An unknown renewal id is a 404 problem."""
    _problem(api.get("/api/v1/renewals/nope"), 404, "sale_not_found")


def _resolve(doc, schema):
    while "$ref" in schema:
        schema = doc["components"]["schemas"][schema["$ref"].rsplit("/", 1)[1]]
    return schema


def _check(doc, schema, value, where="$"):
    """A small JSON-schema check: types, required keys, enums, nested objects and arrays."""
    schema = _resolve(doc, schema)
    if "oneOf" in schema:
        errors = []
        for option in schema["oneOf"]:
            try:
                _check(doc, option, value, where)
                return
            except AssertionError as exc:
                errors.append(str(exc))
        raise AssertionError(f"{where}: no oneOf matched: {errors}")
    types = schema.get("type")
    if types:
        py = {"object": dict, "array": list, "string": str, "integer": int, "boolean": bool, "null": type(None)}
        allowed = tuple(py[t] for t in ([types] if isinstance(types, str) else types))
        assert isinstance(value, allowed), f"{where}: {value!r} is not {types}"
    if "enum" in schema:
        assert value in schema["enum"], f"{where}: {value!r} not in {schema['enum']}"
    if isinstance(value, dict):
        for key in schema.get("required", []):
            assert key in value, f"{where}: missing {key}"
        for key, sub in schema.get("properties", {}).items():
            if key in value:
                _check(doc, sub, value[key], f"{where}.{key}")
    if isinstance(value, list) and "items" in schema:
        for i, item in enumerate(value):
            _check(doc, schema["items"], item, f"{where}[{i}]")


def test_openapi_matches_the_api(api):
    """Every documented path exists, every API route is documented, and real answers fit their schemas."""
    doc = api.get("/api/v1/openapi.json").get_json()
    rules = {r.rule.replace("<path:", "{").replace("<", "{").replace(">", "}").replace("{line_text}", "{line}")
             .replace("{sale_id}", "{id}"): r.methods
             for r in api.application.url_map.iter_rules() if r.rule.startswith("/api/v1/")}
    documented = {path for path in doc["paths"]}
    assert documented == set(rules) - {"/api/v1/openapi.json"}
    for path, ops in doc["paths"].items():
        for method in ops:
            assert method.upper() in rules[path], f"{method} {path} documented but not served"
    created = _post(api, CASH)
    samples = [("/api/v1/renewals", "post", "201", created), ("/api/v1/renewals", "post", "200", _post(api, CASH)),
               ("/api/v1/plans", "get", "200", api.get("/api/v1/plans")),
               ("/api/v1/lines/{line}", "get", "200", api.get("/api/v1/lines/4155550123")),
               ("/api/v1/renewals/{id}", "get", "200", api.get(f"/api/v1/renewals/{created.get_json()['id']}")),
               ("/api/v1/renewals", "post", "422", _post(api, CASH | {"plan_id": "X"}, "other")),
               ("/api/v1/renewals/{id}", "get", "404", api.get("/api/v1/renewals/none"))]
    for path, method, status, response in samples:
        assert str(response.status_code) == status
        spec = doc["paths"][path][method]["responses"][status]
        media, content = next(iter(spec["content"].items()))
        assert response.mimetype == media
        _check(doc, content["schema"], response.get_json())


def test_unknown_terminal_is_a_404_problem(api):
    """Naming a terminal that does not exist is a clear 404, not a server error."""
    _problem(_post(api, CASH | {"terminal": "T99"}), 404, "unknown_terminal")


def _client_for(app, name):
    with app.app_context():
        token = staff_service.create_token(staff_service.find_staff(name))
        db.session.commit()
    client = app.test_client()
    client.environ_base["HTTP_AUTHORIZATION"] = f"Bearer {token}"
    return client


def test_idempotency_keys_belong_to_their_principal(api, clean_app):
    """Another staff member's token reusing a key sells its own sale: it neither replays nor detects the first."""
    first = _post(api, CASH, key="shared-key")
    other = _client_for(clean_app, "manager")
    # Another line: the same line and plan again would be a repeat sale (see the next test).
    other_body = CASH | {"line": "(415) 555-0124"}
    own = _post(other, other_body, key="shared-key")
    assert own.status_code == 201 and "Idempotent-Replayed" not in own.headers
    assert own.get_json()["id"] != first.get_json()["id"]
    # The owner still gets its own sale back, and the other principal's replay is its own.
    assert _post(api, CASH, key="shared-key").get_json()["id"] == first.get_json()["id"]
    replay = _post(other, other_body, key="shared-key")
    assert replay.headers["Idempotent-Replayed"] == "true" and replay.get_json()["id"] == own.get_json()["id"]
    with clean_app.app_context():
        scopes = set(db.session.scalars(select(Sale.idempotency_scope)))
    assert len(scopes) == 2 and all(s.startswith("staff:") for s in scopes)


def test_repeat_sale_through_the_api_needs_sell_again(api, clean_app):
    """As at the counter, the same line and plan again within the window is 422 naming the earlier sale, and
    sells only with ``sell_again`` set to that sale's id; a retry of the first request is still its replay."""
    first = _post(api, CASH, key="first").get_json()
    again = _post(_client_for(clean_app, "manager"), CASH, key="second")
    _problem(again, 422, "repeat_sale_unconfirmed")
    assert again.get_json()["earlier_sale"] == {"id": first["id"], "receipt_number": first["receipt_number"]}
    _problem(_post(api, CASH | {"sell_again": str(uuid.uuid4())}, key="third"), 422, "repeat_sale_unconfirmed")
    assert _post(api, CASH, key="first").headers["Idempotent-Replayed"] == "true"
    confirmed = _post(api, CASH | {"sell_again": first["id"]}, key="fourth")
    assert confirmed.status_code == 201 and confirmed.get_json()["id"] != first["id"]
    with clean_app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Sale)) == 2


def test_idempotency_key_cannot_be_probed(api, clean_app):
    """A key used by one token, sent by another with a different body, is a new sale and never a 422."""
    _post(api, CASH, key="secret-key")
    probe = _post(_client_for(clean_app, "manager"), CASH | {"line": "4155550124"}, key="secret-key")
    assert probe.status_code == 201 and probe.get_json()["line"] == "+14155550124"


def test_statuses_beyond_the_body(api):
    """A bad Idempotency-Key is 400, a body that is not JSON 415, a method a path does not list 405 with Allow."""
    for key in (" padded ", "k" * 81):
        _problem(api.post("/api/v1/renewals", json=CASH, headers={"Idempotency-Key": key}), 400,
                 "idempotency_key_required")
    # A header byte that is not UTF-8 is refused by the input boundary before the route reads it.
    _problem(api.post("/api/v1/renewals", json=CASH, headers={"Idempotency-Key": "é"}), 400, "input_refused")
    _problem(api.post("/api/v1/renewals", data="line=1", headers={"Idempotency-Key": "x",
                                                                  "Content-Type": "text/plain"}), 415,
             "unsupported_media_type")
    response = api.delete("/api/v1/renewals")
    _problem(response, 405, "method_not_allowed")
    assert "POST" in response.headers["Allow"]
