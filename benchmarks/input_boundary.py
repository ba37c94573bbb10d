"""Cost of the input boundary per request: a checkout post, a renewal JSON body, the largest JSON allowed.

Times check_request() alone inside a request context (no view, no database), so the figure is
what every request pays for being checked once.

    python benchmarks/input_boundary.py
"""

from __future__ import annotations

import json
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from kiosk import create_app
from kiosk.boundary import JSON_MAX_BYTES, check_request

CHECKOUT = {"csrf_token": "I" * 91, "sale_key": "2f1d6c0a-4b7e-4c1d-9a55-123456789012", "line": "+14155550123",
            "plan": "US-30D-20GB", "method": "card", "approval_code": "A1B2C3", "last4": "4242",
            "document_type": "passport", "country": "CN", "id_last4": "7A3K", "seen": "yes", "tendered": "20.00"}
RENEWAL = {"line": "8901260123456789012", "plan_id": "US-7D-5GB",
           "payment": {"method": "card", "approval_code": "A1B2C3", "last4": "4242"},
           "id_check": {"document_type": "passport", "country": "CN", "last4": "7A3K", "seen": True}}
# The largest body allowed, made of 13-digit runs that start like a card and fail Luhn (every run is
# scanned in full: the card-number check's heavy case).
DIGITS = {"notes": ["4111111111112x" * 14] * (JSON_MAX_BYTES // 210 - 2)}


def _time(app, n: int, **request) -> float:
    """Microseconds check_request() adds to building and entering the same request context."""
    def run(check: bool) -> float:
        start = time.perf_counter()
        for _ in range(n):
            with app.test_request_context("/counter/checkout", **request):
                if check:
                    check_request()
        return time.perf_counter() - start

    run(True)  # warm up
    return (run(True) - run(False)) / n * 1e6


def main() -> None:
    """Print the boundary's microseconds per request for each shape."""
    app = create_app({"security": {"pin_scrypt_n": 16}}, instance=tempfile.mkdtemp(prefix="kiosk-bench-"))
    rows = [("GET, nothing to check", _time(app, 2000, method="GET")),
            ("checkout form, 12 fields", _time(app, 2000, method="POST", data=CHECKOUT)),
            ("renewal JSON, 11 strings", _time(app, 2000, method="POST", json=RENEWAL)),
            (f"JSON {len(json.dumps(DIGITS)):,} bytes of digits", _time(app, 50, method="POST", json=DIGITS))]
    print(f"{'request':<32} {'µs':>9}")
    for name, micros in rows:
        print(f"{name:<32} {micros:>9.0f}")


if __name__ == "__main__":
    main()
