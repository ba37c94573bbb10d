"""Time from a scanner's last byte to `on_scan` through ScannerReader on a real pty serial port.

python benchmarks/scan_latency_driver.py
"""

from __future__ import annotations

import os
import statistics
import sys
import tempfile
import threading
import time
import tty
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from drivers.scanner import ScanFrameParser, ScannerReader

SCANS = 200


def main() -> None:
    """Write SCANS codes into a pty and print latency percentiles in milliseconds."""
    master, slave = os.openpty()
    tty.setraw(slave)
    link = os.path.join(tempfile.mkdtemp(), "scanner")
    os.symlink(os.ttyname(slave), link)
    arrived = threading.Event()
    latencies: list[float] = []
    sent_at = [0.0]

    def on_scan(scan) -> None:
        latencies.append(time.perf_counter() - sent_at[0])
        arrived.set()

    reader = ScannerReader(link, 9600, on_scan, parser=ScanFrameParser(debounce=0)).start()
    while reader.state != "connected":
        time.sleep(0.01)
    for i in range(SCANS):
        arrived.clear()
        sent_at[0] = time.perf_counter()
        os.write(master, b"]E0%012d\r\n" % i)
        arrived.wait(2)
    reader.stop()
    os.close(master)
    os.close(slave)
    os.unlink(link)
    ms = sorted(x * 1000 for x in latencies)
    print(
        f"{len(ms)} scans: median {statistics.median(ms):.2f} ms, p95 {ms[int(len(ms) * 0.95)]:.2f} ms, "
        f"max {ms[-1]:.2f} ms"
    )


if __name__ == "__main__":
    main()
