"""Time from a scan's last byte written to a pty serial port to the 'scan' event reaching an HTTP
client of GET /counter/events, through the real app served by waitress on 127.0.0.1.

python benchmarks/scan_to_sse.py [scans]   (needs the test extra: pip install -e ".[test]")

Path measured: pty -> ScannerReader thread -> frame parser -> classify -> DeviceHub event broker ->
the stream's queue -> waitress -> TCP on 127.0.0.1 -> httpx reading the stream.
"""

from __future__ import annotations

import json
import os
import re
import statistics
import sys
import tempfile
import threading
import time
import tty
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import httpx
from waitress import create_server

from kiosk import create_app
from kiosk.cli import _sync_terminals, upgrade_database
from kiosk.devices.runtime import start_devices
from pos.db import db
from pos.services import staff

SCANS = int(sys.argv[1]) if len(sys.argv) > 1 else 200
PIN = "1357"


def _app(instance: Path, scanner: str):
    os.environ.pop("KIOSK_INSTANCE", None)
    app = create_app({"security": {"pin_scrypt_n": 16}, "scanner": {"kind": "serial", "path": scanner}},
                     instance=instance)
    upgrade_database(app)
    _sync_terminals(app)
    with app.app_context():
        staff.add_staff("clerk", "clerk", PIN, scrypt_n=16)
        db.session.commit()
    return app


def main() -> None:
    """Scan SCANS distinct codes, one at a time, and print latency percentiles in milliseconds."""
    workdir = Path(tempfile.mkdtemp(prefix="scan-sse-"))
    master, slave = os.openpty()
    tty.setraw(slave)
    link = workdir / "scanner"
    os.symlink(os.ttyname(slave), link)
    app = _app(workdir / "instance", str(link))
    runtime = start_devices(app, False)
    server = create_server(app, host="127.0.0.1", port=0, threads=4, ident="bench", channel_request_lookahead=1)
    threading.Thread(target=server.run, daemon=True).start()
    hub = app.extensions["devices"]
    while hub.scanner_state("T01")[0] != "connected":
        time.sleep(0.01)

    arrivals: dict[str, float] = {}
    got = threading.Condition()
    http = httpx.Client(base_url=f"http://127.0.0.1:{server.effective_port}", timeout=10)
    token = re.search(r'name="csrf_token" value="([^"]+)"', http.get("/login").text).group(1)
    http.post("/login", data={"name": "clerk", "pin": PIN, "csrf_token": token})

    def listen() -> None:
        with http.stream("GET", "/counter/events") as response:
            buffer = ""
            for chunk in response.iter_text():
                buffer += chunk
                while "\n\n" in buffer:
                    frame, buffer = buffer.split("\n\n", 1)
                    if frame.startswith("event: scan"):
                        code = json.loads(frame.split("data: ", 1)[1])["code"]
                        with got:
                            arrivals[code] = time.perf_counter()
                            got.notify_all()
                if len(arrivals) >= SCANS:
                    return

    listener = threading.Thread(target=listen, daemon=True)
    listener.start()
    while hub.events.subscribers("T01") == 0:
        time.sleep(0.01)

    latencies = []
    for i in range(SCANS):
        code = f"+1415555{i:04d}"  # distinct codes: the same code within 1 s is debounced
        os.write(master, code.encode() + b"\r")
        sent = time.perf_counter()  # the last byte is in the port once write() returns
        with got:
            if not got.wait_for(lambda c=code: c in arrivals, timeout=2):
                print(f"lost: {code}")
                continue
        latencies.append(arrivals[code] - sent)
        time.sleep(0.005)

    listener.join(2)
    server.close()
    runtime.stop()
    with app.app_context():
        db.engine.dispose()
    os.close(master)
    os.close(slave)
    ms = sorted(x * 1000 for x in latencies)
    print(f"scan -> SSE over HTTP, {len(ms)} of {SCANS} scans: p50 {statistics.median(ms):.2f} ms, "
          f"p95 {ms[int(len(ms) * 0.95) - 1]:.2f} ms, max {ms[-1]:.2f} ms")


if __name__ == "__main__":
    main()
