"""Resident memory of `kiosk run` after N sales over HTTP (default 10,000). Goal: at most 150 MB.

Starts the real production server in a fresh instance folder, sells through POST /api/v1/renewals
over a keep-alive connection on 127.0.0.1, and reads VmRSS from /proc.
Run: python benchmarks/run_memory.py [N]
"""

from __future__ import annotations

import http.client
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from pos.identifiers import sample_iccid


def rss_mb(pid: int) -> float:
    """Resident set size of a process in MB."""
    with open(f"/proc/{pid}/status") as fh:
        for line in fh:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    raise RuntimeError("no VmRSS")


def kiosk(instance: str, *args: str) -> str:
    """Run a kiosk command and return its output."""
    env = dict(os.environ, KIOSK_INSTANCE=instance)
    return subprocess.run([sys.executable, "-m", "kiosk.cli", *args], env=env, check=True, capture_output=True,
                          text=True).stdout


def main(n: int) -> None:
    """Measure."""
    instance = tempfile.mkdtemp(prefix="kiosk-mem-")
    kiosk(instance, "db", "upgrade")
    kiosk(instance, "seed", "--demo")
    token = kiosk(instance, "token", "create", "--staff", "clerk").strip()
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = dict(os.environ, KIOSK_INSTANCE=instance)
    server = subprocess.Popen([sys.executable, "-m", "kiosk.cli", "run", "--port", str(port)], env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        for _ in range(100):
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                time.sleep(0.1)
        print(f"kiosk run started: RSS {rss_mb(server.pid):.1f} MB")
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        start = time.perf_counter()
        for i in range(1, n + 1):
            # One SIM per sale: the same line and plan again would (rightly) be refused as a repeat sale.
            body = json.dumps({"line": sample_iccid(i), "plan_id": "US-7D-5GB",
                               "payment": {"method": "cash", "tendered_minor": 2000}})
            conn.request("POST", "/api/v1/renewals", body=body,
                         headers={"Authorization": f"Bearer {token}", "Idempotency-Key": str(uuid.uuid4()),
                                  "Content-Type": "application/json"})
            response = conn.getresponse()
            response.read()
            assert response.status == 201, response.status
            if i % 2500 == 0:
                print(f"  after {i:6d} sales: RSS {rss_mb(server.pid):.1f} MB")
        elapsed = time.perf_counter() - start
        print(f"{n} sales in {elapsed:.1f} s ({n / elapsed:.0f}/s over HTTP); final RSS {rss_mb(server.pid):.1f} MB")
    finally:
        server.terminate()
        server.wait(10)


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 10_000)
