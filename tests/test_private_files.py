"""The instance folder and its secrets are private from the start; `kiosk run` says when they are not."""

import os
import signal
import socket
import stat
import subprocess
import sys
import time

from kiosk import create_app
from kiosk.cli import upgrade_database
from kiosk.private_files import warnings


def _mode(path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


def test_fresh_instance_is_private_even_with_an_open_umask(tmp_path):
    """With umask 000 a new instance folder is 0700, and its database (with -wal, -shm) and secret key 0600."""
    instance = tmp_path / "instance"
    previous = os.umask(0)
    try:
        app = create_app({"security": {"pin_scrypt_n": 16}}, instance=instance)
        upgrade_database(app)
    finally:
        os.umask(previous)
    assert _mode(instance) == 0o700
    assert _mode(instance / "secret_key") == 0o600
    assert _mode(instance / "kiosk.db") == 0o600
    for extra in ("kiosk.db-wal", "kiosk.db-shm"):
        if (instance / extra).exists():
            assert _mode(instance / extra) == 0o600
    assert warnings(instance, app.config["SQLALCHEMY_DATABASE_URI"]) == []
    assert os.umask(previous) == previous  # the process umask is given back


def test_wide_files_are_reported_not_changed(tmp_path):
    """Existing files that others can read are named with the fix, and left as they are."""
    instance = tmp_path / "instance"
    app = create_app({"security": {"pin_scrypt_n": 16}}, instance=instance)
    (instance / "kiosk.toml").write_text("")
    for name, mode in (("kiosk.db", 0o644), ("secret_key", 0o640), ("kiosk.toml", 0o604)):
        os.chmod(instance / name, mode)
    os.chmod(instance, 0o755)  # noqa: S103 - too open on purpose, to be reported
    create_app({"security": {"pin_scrypt_n": 16}}, instance=instance)
    found = warnings(instance, app.config["SQLALCHEMY_DATABASE_URI"])
    assert len(found) == 4
    assert any(f"chmod 600 {instance / 'kiosk.db'}" in line and "0644" in line for line in found)
    assert any(f"chmod 700 {instance}" in line for line in found)
    assert _mode(instance / "kiosk.db") == 0o644 and _mode(instance) == 0o755


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_kiosk_run_warns_on_stderr(tmp_path):
    """`kiosk run` on a world-readable database prints a warning naming the file and the fix, then serves."""
    instance = tmp_path / "instance"
    env = dict(os.environ, KIOSK_SECURITY__PIN_SCRYPT_N="16", KIOSK_INSTANCE=str(instance))
    kiosk = [sys.executable, "-m", "kiosk.cli"]
    subprocess.run([*kiosk, "db", "upgrade"], env=env, check=True, capture_output=True)
    os.chmod(instance / "kiosk.db", 0o644)
    proc = subprocess.Popen([*kiosk, "run", "--port", str(_free_port())], env=env, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 30
        line = ""
        while time.monotonic() < deadline and "Serving on" not in line:
            line = proc.stdout.readline()
        proc.send_signal(signal.SIGINT)
        _out, err = proc.communicate(timeout=20)
    finally:
        proc.kill()
    assert "Serving on" in line
    assert f"warning: {instance / 'kiosk.db'}" in err and f"chmod 600 {instance / 'kiosk.db'}" in err
    assert "secret_key" not in err  # only the file that is too open
