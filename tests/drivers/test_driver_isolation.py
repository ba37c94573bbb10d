"""drivers/ stands alone: it imports nothing of ours and nothing from the web stack."""

from __future__ import annotations

import pkgutil
import subprocess
import sys
from pathlib import Path

import drivers

FORBIDDEN = ("flask", "sqlalchemy", "flask_sqlalchemy", "pos", "kiosk", "carrier", "sync", "store_admin")


def test_drivers_import_no_flask_sqlalchemy_or_our_packages():
    """Importing every drivers module pulls in no Flask, SQLAlchemy, pos, kiosk, carrier or sync."""
    names = [f"drivers.{m.name}" for m in pkgutil.iter_modules(drivers.__path__)]
    assert "drivers.printer" in names and "drivers.scanner" in names
    code = (
        "import importlib, sys\n"
        f"for name in {names!r}: importlib.import_module(name)\n"
        f"bad = sorted(m for m in sys.modules if m.split('.')[0] in {FORBIDDEN!r})\n"
        "print(','.join(bad))\n"
    )
    root = Path(drivers.__file__).parent.parent
    result = subprocess.run([sys.executable, "-c", code], cwd=root, capture_output=True, text=True, check=True)
    assert result.stdout.strip() == ""
