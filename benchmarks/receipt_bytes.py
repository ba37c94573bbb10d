"""Bytes and print time at 9600 baud of the reference bilingual receipt, per CJK mode and QR kind.

At 9600 baud 8N1 a printer takes ~960 bytes a second, so receipt size is print time. The goal is
at most 1,536 bytes (1.6 s) in text mode with a native QR.

    python benchmarks/receipt_bytes.py
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from drivers.cjk import find_cjk_font
from drivers.receipt import render_receipt
from drivers.samples import reference_receipt

BYTES_PER_SECOND = 9600 / 10  # 8 data bits + start + stop
BUDGET = 1536


def main() -> None:
    """Print one row per (columns, mode, QR) combination."""
    receipt = reference_receipt()
    print(f"CJK font: {find_cjk_font()}")
    print(f"{'columns':>7}  {'mode':<8} {'qr':<7} {'bytes':>7} {'print s':>8} {'render ms':>10}  budget")
    for columns in (32, 48):
        for cjk, native in (("gbk", True), ("gbk", False), ("image", True), ("image", False)):
            started = time.perf_counter()
            data = render_receipt(receipt, columns=columns, cjk=cjk, native_qr=native)
            render_ms = (time.perf_counter() - started) * 1000
            verdict = "ok" if len(data) <= BUDGET else "over"
            print(
                f"{columns:>7}  {cjk:<8} {'native' if native else 'raster':<7} {len(data):>7} "
                f"{len(data) / BYTES_PER_SECOND:>8.2f} {render_ms:>10.1f}  {verdict}"
            )


if __name__ == "__main__":
    main()
