"""The store the benchmarks measure: the demo's plans, staff and open till in a fresh instance folder."""

from __future__ import annotations

import tempfile
from pathlib import Path

from flask import Flask

from kiosk import create_app
from kiosk.cli import _sync_terminals, seed_demo, upgrade_database


def demo_app() -> Flask:
    """An app on a new SQLite database in a temporary instance folder (``app.instance_path``), migrated and
    seeded as `kiosk demo` seeds it."""
    app = create_app(instance=Path(tempfile.mkdtemp(prefix="kiosk-bench-")))
    upgrade_database(app)
    _sync_terminals(app)
    seed_demo(app)
    return app
