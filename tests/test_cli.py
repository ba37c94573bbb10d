"""The kiosk command as a store owner uses it."""

import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.request

import pytest
from click.testing import CliRunner

from kiosk.cli import main


def _kiosk(instance, *args, input=None):
    env = {"KIOSK_SECURITY__PIN_SCRYPT_N": "16"}
    return CliRunner().invoke(main, ["--instance", str(instance), *args], input=input, env=env,
                              catch_exceptions=False)


def test_commands_refuse_an_unmigrated_database(tmp_path):
    """run, seed, staff and token refuse a database that is not migrated and say what to run."""
    for args in (["run"], ["seed", "--demo"], ["staff", "list"], ["token", "create", "--staff", "x"]):
        result = _kiosk(tmp_path, *args)
        assert result.exit_code == 1
        assert "Run: kiosk db upgrade" in result.output


def test_upgrade_seed_staff_and_token(tmp_path):
    """db upgrade, seed --demo, staff add/list/reset-pin and token create work in one instance folder."""
    assert "up to date" in _kiosk(tmp_path, "db", "upgrade").output
    seeded = _kiosk(tmp_path, "seed", "--demo").output
    assert "clerk" in seeded and "PIN 1357" in seeded
    assert "already there" in _kiosk(tmp_path, "seed", "--demo").output
    added = _kiosk(tmp_path, "staff", "add", "Li Wei", "--role", "clerk", "--pin", "4321", "--locale", "zh")
    assert added.exit_code == 0
    duplicate = _kiosk(tmp_path, "staff", "add", "Li Wei", "--pin", "4321")
    assert duplicate.exit_code == 1 and "already a staff member" in duplicate.output
    bad_pin = _kiosk(tmp_path, "staff", "add", "Ana", "--pin", "12")
    assert bad_pin.exit_code == 1 and "4 to 8 digits" in bad_pin.output
    listing = _kiosk(tmp_path, "staff", "list").output
    assert re.search(r"Li Wei\s+clerk\s+zh", listing) and "manager" in listing
    assert "New PIN set" in _kiosk(tmp_path, "staff", "reset-pin", "Li Wei", input="5555\n5555\n").output
    token = _kiosk(tmp_path, "token", "create", "--staff", "clerk").output.strip()
    assert token.startswith("kt_") and len(token) > 30
    assert _kiosk(tmp_path, "token", "create", "--staff", "nobody").exit_code == 1


def test_bad_config_named_at_start(tmp_path):
    """A typo in kiosk.toml stops the command with the key's name."""
    (tmp_path / "kiosk.toml").write_text("[store]\ncurrancy = 'USD'\n")
    result = _kiosk(tmp_path, "db", "upgrade")
    assert result.exit_code == 1 and "store.currancy" in result.output


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.slow
def test_demo_starts_serves_and_stops_on_ctrl_c(tmp_path):
    """`kiosk demo` creates the instance, prints PINs and the URL, serves, and stops cleanly on Ctrl-C."""
    port, carrier_port = _free_port(), _free_port()
    env = dict(os.environ, KIOSK_SECURITY__PIN_SCRYPT_N="16")
    env.pop("KIOSK_INSTANCE", None)
    command = [sys.executable, "-m", "kiosk.cli", "demo", "--port", str(port), "--carrier-port", str(carrier_port)]
    proc = subprocess.Popen(command, cwd=tmp_path, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        deadline = time.monotonic() + 30
        body = None
        while time.monotonic() < deadline and body is None:
            try:
                body = urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1).read()
            except OSError:
                time.sleep(0.2)
        assert body is not None and b'"status":"ok"' in body.replace(b" ", b"")
        proc.send_signal(signal.SIGINT)
        output, _ = proc.communicate(timeout=20)
    finally:
        proc.kill()
    assert proc.returncode == 0, output
    assert "PIN 2468" in output and "PIN 1357" in output
    assert f"http://127.0.0.1:{port}/" in output and "Stopped." in output
    assert (tmp_path / "instance" / "kiosk.db").exists()
    assert (tmp_path / "instance" / "secret_key").exists()
