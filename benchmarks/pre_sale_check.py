"""What the pre-payment renewal check costs the clerk: the line screen (line lookup plus one check per
plan, in parallel) and the checkout (one check), against a local sandbox carrier with a given latency.

    python benchmarks/pre_sale_check.py            # latencies 0, 50 and 200 ms
"""

from __future__ import annotations

import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from carrier.sandbox import start_sandbox
from kiosk import create_app
from kiosk.cli import _sync_terminals, upgrade_database
from tests.helpers import login, seed_basic
from tests.sync_helpers import sandbox_post

ROUNDS = 15


def timed(client, path: str) -> float:
    """Milliseconds for one GET."""
    started = time.perf_counter()
    assert client.get(path).status_code == 200
    return (time.perf_counter() - started) * 1000


def main() -> None:
    """Print the median and worst time of each screen per carrier latency."""
    with start_sandbox(processing_delay_s=0) as sandbox, tempfile.TemporaryDirectory() as instance:
        app = create_app({"security": {"pin_scrypt_n": 16}, "carrier": {"url": sandbox.url, "api_key": "sandbox-key"}},
                         instance=Path(instance))
        upgrade_database(app)
        _sync_terminals(app)
        seed_basic(app)
        client = app.test_client()
        login(client)
        print(f"{'latency ms':>10}  {'screen':<9} {'median ms':>9} {'max ms':>7}")
        for latency in (0, 50, 200):
            sandbox_post(sandbox, "/_sandbox/faults", {"latency_ms": latency})
            for name, path in (("line", "/counter/line?line=%2B14155550123"),
                               ("checkout", "/counter/checkout?line=%2B14155550123&plan=US-7D-5GB")):
                times = [timed(client, path) for _ in range(ROUNDS)]
                print(f"{latency:>10}  {name:<9} {statistics.median(times):>9.1f} {max(times):>7.1f}")


if __name__ == "__main__":
    main()
