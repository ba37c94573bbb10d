"""Shared fixtures: one app per session on a real SQLite file, emptied between tests."""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

import pytest

from pos.db import db

from .helpers import empty_tables, seeded_app
from .postgres import temporary_database

#: Cheap PIN hashing in tests; one test checks the production cost separately.
TEST_OVERRIDES = {"security": {"pin_scrypt_n": 16}}


@pytest.fixture(scope="session")
def instance_dir():
    """A throwaway instance folder for the session."""
    path = Path(tempfile.mkdtemp(prefix="kiosk-test-"))
    yield path
    shutil.rmtree(path, ignore_errors=True)


@pytest.fixture(scope="session")
def app(instance_dir):
    """The app on a migrated SQLite database in the instance folder."""
    os.environ.pop("KIOSK_INSTANCE", None)
    from kiosk import create_app
    from kiosk.cli import _sync_terminals, upgrade_database

    application = create_app(TEST_OVERRIDES, instance=instance_dir)
    upgrade_database(application)
    _sync_terminals(application)
    return application


@pytest.fixture
def clean_app(app):
    """The session app with every table emptied before the test (terminals kept)."""
    empty_tables(app)
    yield app
    empty_tables(app)


@pytest.fixture
def ctx(clean_app):
    """An application context on an empty database."""
    with clean_app.app_context():
        yield clean_app
        db.session.rollback()


@pytest.fixture
def client(clean_app):
    """A test client on an empty database."""
    return clean_app.test_client()


@pytest.fixture
def runner(clean_app):
    """A CLI runner for the app's commands."""
    return clean_app.test_cli_runner()


@pytest.fixture
def shop(clean_app):
    """The session app, emptied, with the demo catalog, a clerk and a manager; no carrier (offline)."""
    from .helpers import seed_basic

    seed_basic(clean_app)
    return clean_app


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def store(request):
    """An app context on an emptied store (demo plans, a clerk and a manager, T01's till open), once on SQLite
    and once on PostgreSQL; a module that needs more defines its own ``store``."""
    from .helpers import seed_basic

    app = request.getfixturevalue("clean_app" if request.param == "sqlite" else "postgres_app")
    empty_tables(app)
    seed_basic(app)
    with app.app_context():
        yield app
        db.session.rollback()


@pytest.fixture(scope="module")
def postgres_app(tmp_path_factory):
    """One seeded app on a throwaway PostgreSQL database, for the module asking for it."""
    with temporary_database() as url, seeded_app(tmp_path_factory.mktemp("pg"), {"database": {"url": url}}) as app:
        yield app


@pytest.fixture(scope="module")
def sandbox():
    """A sandbox carrier on 127.0.0.1 for the module's tests; renewals complete at once."""
    from carrier.sandbox import start_sandbox

    handle = start_sandbox(processing_delay_s=0, seed=2)
    yield handle
    handle.stop()


@pytest.fixture
def online(tmp_path, sandbox):
    """An app of its own whose carrier is the module's sandbox (faults off), with catalog and staff."""
    from .helpers import seeded_app
    from .sync_helpers import sandbox_post

    sandbox_post(sandbox, "/_sandbox/faults", {"latency_ms": 0, "outage": False})
    with seeded_app(tmp_path, {"carrier": {"url": sandbox.url, "api_key": "sandbox-key"}}) as app:
        yield app
