"""A virtual serial scanner for the demo: type into a terminal device, the kiosk reads a scan.

Two pseudo-terminal pairs joined like a null-modem cable (what `socat` would do): whatever is
written to the front pair's device (``user_path``) comes out of the back pair's device
(``device_path``), where an ordinary `ScannerReader` reads it as from a real scanner.
"""

from __future__ import annotations

import os
import select
import threading
import tty


class VirtualScanner:
    """Copies bytes written to ``user_path`` through to ``device_path`` until stopped."""

    def __init__(self) -> None:
        self._front_master, self._front_slave = os.openpty()
        self._back_master, self._back_slave = os.openpty()
        for fd in (self._front_slave, self._back_slave):
            tty.setraw(fd)  # bytes pass as written: no echo, no CR/LF translation
        # We keep both slave ends open: the front so the master still reads after a writer closes,
        # the back so the reader's reopen after an error finds the same device.
        self.user_path = os.ttyname(self._front_slave)
        self.device_path = os.ttyname(self._back_slave)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._pump, name="virtual scanner", daemon=True)

    def start(self) -> VirtualScanner:
        """Start copying."""
        self._thread.start()
        return self

    def _pump(self) -> None:
        while not self._stop.is_set():
            ready, _, _ = select.select([self._front_master], [], [], 0.05)
            if ready:
                try:
                    data = os.read(self._front_master, 4096)
                except OSError:
                    continue
                os.write(self._back_master, data)

    def stop(self) -> None:
        """Stop copying and close both pairs."""
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(1)
        for fd in (self._front_master, self._front_slave, self._back_master, self._back_slave):
            try:
                os.close(fd)
            except OSError:
                pass
