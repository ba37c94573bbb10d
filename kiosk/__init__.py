"""The Flask application that runs on the store PC."""

from __future__ import annotations

from pathlib import Path

from flask import Flask
from flask_migrate import Migrate
from flask_wtf.csrf import CSRFProtect

from pos.db import db

from . import config as kiosk_config
from . import private_files

MIGRATIONS_DIR = str(Path(__file__).resolve().parent.parent / "migrations")
migrate = Migrate()
csrf = CSRFProtect()


def create_app(overrides: dict | None = None, *, instance: str | Path | None = None) -> Flask:
    """Build the app from defaults, the instance's kiosk.toml, KIOSK_* variables and ``overrides``.

    Raises ``kiosk.config.ConfigError`` naming the key when the configuration is wrong.
    """
    instance_path = Path(instance).resolve() if instance else kiosk_config.instance_path()
    config = kiosk_config.load_config(instance_path, overrides)
    private_files.make_instance_folder(instance_path)
    database_url = kiosk_config.database_url(config, instance_path)
    private_files.create_database_file(database_url)
    app = Flask(__name__, instance_path=str(instance_path), instance_relative_config=True)
    app.config.update(
        KIOSK=config,
        STORE=kiosk_config.store_settings(config),
        SECRET_KEY=kiosk_config.secret_key(instance_path),
        SQLALCHEMY_DATABASE_URI=database_url,
        SQLALCHEMY_ENGINE_OPTIONS={"pool_pre_ping": True},
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=config["security"]["secure_cookies"],
        WTF_CSRF_TIME_LIMIT=8 * 3600,
        MAX_CONTENT_LENGTH=256 * 1024,
        TRUSTED_HOSTS=config["server"]["trusted_hosts"] or None,  # None: any Host (redirects are relative)
        JSON_SORT_KEYS=False,
    )
    db.init_app(app)
    migrate.init_app(app, db, directory=MIGRATIONS_DIR, render_as_batch=True, compare_type=True)
    csrf.init_app(app)
    with app.app_context():
        from .database import configure_sqlite

        configure_sqlite(db.engine)

    from . import carrier_status, errors, i18n

    i18n.init_app(app)
    errors.init_app(app)
    carrier_status.init_app(app)
    app.extensions.setdefault("after_commit", [])
    from . import devices

    devices.init_app(app)  # device states, spooler wake-up, /counter/events; no thread starts here
    _register_blueprints(app)
    from . import boundary

    boundary.init_app(app)  # after the session's staff is loaded: refusals speak the clerk's language
    _security_headers(app)
    from .server import relative_redirects

    relative_redirects(app)
    return app


def _register_blueprints(app: Flask) -> None:
    from store_admin import bp as admin_bp

    from .api import bp as api_bp
    from .auth import load_session_staff
    from .counter import bp as counter_bp
    from .health import bp as health_bp
    from .signin import bp as signin_bp

    app.before_request(load_session_staff)
    app.register_blueprint(signin_bp)
    app.register_blueprint(counter_bp)
    app.register_blueprint(api_bp)
    csrf.exempt(api_bp)  # bearer tokens, never cookies: no cross-site request can carry them
    app.register_blueprint(health_bp)
    app.register_blueprint(admin_bp)


def _security_headers(app: Flask) -> None:
    @app.after_request
    def _headers(response):
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        response.headers.setdefault(
            "Content-Security-Policy",
            "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
            "frame-ancestors 'none'; form-action 'self'")
        if response.mimetype == "text/html":
            response.headers.setdefault("Cache-Control", "no-store")
        return response
