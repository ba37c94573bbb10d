"""Schemathesis against a live server: every API answer matches the OpenAPI document, with all checks."""

from __future__ import annotations

import json
import os

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import CHECKS, load_all_checks
from schemathesis.config import SchemathesisConfig

from kiosk import create_app
from kiosk.api.openapi import openapi_document
from kiosk.cli import _sync_terminals, upgrade_database
from pos.db import db
from pos.services import staff as staff_service

from .helpers import seed_basic, waitress_serving

#: Examples per operation and generation mode: enough to find a missing status or constraint,
#: small enough to keep the whole run well under a minute on two cores.
EXAMPLES = 25

#: Positive data (a request matching the document) may still be refused by a business rule with 422
#: (the number does not exist, the cash is short): never with 400, which means "off the document".
#: Our own token goes with every request, so schemathesis does not make up Authorization headers.
CONFIG = {"generation": {"max-examples": EXAMPLES, "with-security-parameters": False},
          "checks": {"positive_data_acceptance": {"expected-statuses": ["2xx", "401", "403", "404", "409", "422"]}}}

load_all_checks()
ALL_CHECKS = CHECKS.get_all()


@pytest.fixture(scope="module")
def live_api(tmp_path_factory):
    """The app served by waitress on 127.0.0.1 (free port), with the demo plans and a manager's token."""
    os.environ.pop("KIOSK_INSTANCE", None)
    app = create_app({"security": {"pin_scrypt_n": 16}}, instance=tmp_path_factory.mktemp("schemathesis"))
    upgrade_database(app)
    _sync_terminals(app)
    seed_basic(app)
    with app.app_context():
        token = staff_service.create_token(staff_service.find_staff("manager"), label="schemathesis")
        db.session.commit()
    with waitress_serving(app) as base:
        yield base, token
    with app.app_context():
        db.engine.dispose()


#: The document the server serves (checked below to be the same), loaded at import so pytest can
#: make one test per operation (schemathesis's lazy fixture loader does not run on pytest 9).
schema = schemathesis.openapi.from_dict(openapi_document(),
                                        config=SchemathesisConfig.from_dict(CONFIG))


def test_served_document_is_the_one_tested(live_api):
    """GET /api/v1/openapi.json serves exactly the document the schemathesis run below is built from."""
    base, _token = live_api
    assert httpx.get(f"{base}/api/v1/openapi.json").json() == json.loads(json.dumps(openapi_document()))


@schema.parametrize()
@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)
def test_api_answers_match_the_document(case, live_api):
    """Valid and invalid requests (NUL bytes, long strings, wrong types, unknown methods, no token) get only
    documented statuses, media types, headers and bodies; valid data is accepted, invalid data refused."""
    base, token = live_api
    case.call_and_validate(base_url=base, headers={"Authorization": f"Bearer {token}"}, checks=ALL_CHECKS)
