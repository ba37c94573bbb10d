"""/healthz says little to strangers and more to managers and tokens; redirects never follow the Host header."""

import pytest

from kiosk import create_app
from kiosk.config import ConfigError
from pos.db import db
from pos.services import staff as staff_service

from .helpers import MANAGER_PIN, login, seed_basic


def test_anonymous_healthz_names_no_device_or_detail(clean_app):
    """Anyone gets the overall status and one word per component, nothing else."""
    response = clean_app.test_client().get("/healthz")
    assert response.status_code == 200 and response.headers["Cache-Control"] == "no-store"
    body = response.get_json()
    assert set(body) == {"status", "components"}
    assert set(body["components"]) == {"database", "carrier", "printer", "scanner"}
    assert all(v in ("ok", "degraded", "down", "unknown", "disabled") for v in body["components"].values())


def test_clerk_session_and_bad_token_get_the_anonymous_view(clean_app):
    """A clerk's session and an invalid token see no more than a stranger."""
    seed_basic(clean_app)
    client = clean_app.test_client()
    login(client)
    assert "devices" not in client.get("/healthz").get_json()
    assert "devices" not in clean_app.test_client().get("/healthz", headers={"Authorization": "Bearer kt_nope"}
                                                        ).get_json()


def test_manager_session_and_any_token_get_details(clean_app):
    """A signed-in manager and a valid API token (even a clerk's) see devices, queue depth and carrier detail."""
    seed_basic(clean_app)
    manager = clean_app.test_client()
    login(manager, "manager", MANAGER_PIN)
    body = manager.get("/healthz").get_json()
    assert {"database", "outbox", "carrier", "alerts", "devices", "components"} <= set(body)
    with clean_app.app_context():
        token = staff_service.create_token(staff_service.find_staff("clerk"))
        db.session.commit()
    body = clean_app.test_client().get("/healthz", headers={"Authorization": f"Bearer {token}"}).get_json()
    assert body["outbox"] == {"depth": 0} and body["database"]["state"] == "ok"


@pytest.mark.parametrize("path", ["/counter", "/admin", "/counter?next=x"])
def test_trailing_slash_redirect_ignores_the_host_header(clean_app, path):
    """The trailing-slash redirect is a relative path, in the header and the body, whatever Host says."""
    response = clean_app.test_client().get(path, headers={"Host": "evil.example"})
    assert response.status_code == 308
    assert response.headers["Location"].startswith("/")
    assert "evil.example" not in response.get_data(as_text=True)


def test_login_redirect_is_relative(clean_app):
    """A screen redirecting to the PIN screen names a path, never a host."""
    response = clean_app.test_client().get("/counter/", headers={"Host": "evil.example"})
    assert response.status_code == 302 and response.headers["Location"].startswith("/login")


def test_trusted_hosts_refuse_other_hosts(tmp_path):
    """With server.trusted_hosts set, a request naming another Host gets a plain 400; listed hosts are served."""
    app = create_app({"security": {"pin_scrypt_n": 16}, "server": {"trusted_hosts": ["pos.local", "127.0.0.1"]}},
                     instance=tmp_path)
    client = app.test_client()
    refused = client.get("/login", headers={"Host": "evil.example"})
    assert refused.status_code == 400 and refused.get_data(as_text=True) == "Unknown host.\n"
    assert client.get("/counter", headers={"Host": "pos.local:8080"}).headers["Location"] == "/counter/"


@pytest.mark.parametrize(("server", "named"), [
    ({"threads": 8, "event_streams_max": 6}, "server.event_streams_max"),
    ({"event_streams_per_staff": 0}, "server.event_streams_per_staff"),
    ({"threads": 3}, "server.threads"),
    ({"event_stream_seconds": 0}, "server.event_stream_seconds"),
    ({"trusted_hosts": ["http://x/"]}, "server.trusted_hosts"),
])
def test_server_settings_that_could_starve_requests_are_refused(tmp_path, server, named):
    """Stream caps that would leave fewer than 4 threads for other requests, or bad hosts, stop start-up."""
    with pytest.raises(ConfigError, match=named):
        create_app({"server": server}, instance=tmp_path)


@pytest.mark.postgres
def test_healthz_is_503_only_when_the_database_is_gone(tmp_path):
    """With its PostgreSQL database dropped under it, /healthz answers 503 with status and database 'down'."""
    import psycopg

    from kiosk.cli import upgrade_database

    from .postgres import ADMIN_DSN, temporary_database

    with temporary_database() as url:
        app = create_app({"security": {"pin_scrypt_n": 16}, "database": {"url": url}}, instance=tmp_path)
        upgrade_database(app)
        client = app.test_client()
        assert client.get("/healthz").status_code == 200
        with psycopg.connect(ADMIN_DSN, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE "{url.rsplit("/", 1)[1]}" WITH (FORCE)')
        response = client.get("/healthz")
        assert response.status_code == 503
        assert response.get_json() == response.get_json() | {"status": "down"}
        assert response.get_json()["components"]["database"] == "down"
        with app.app_context():
            db.engine.dispose()


def test_405_on_a_screen_carries_allow(clean_app):
    """A method a screen does not take is 405 with Allow, on pages as on the API."""
    response = clean_app.test_client().put("/login")
    assert response.status_code == 405 and "POST" in response.headers["Allow"]
