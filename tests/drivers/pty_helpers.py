"""Real serial ports for driver tests: pty pairs behind a stable symlink, and a fake printer."""

from __future__ import annotations

import os
import select
import threading
import time
import tty


class PtyPort:
    """A pseudo-terminal standing in for a USB-serial device at a stable path (a symlink).

    `unplug()` closes the device side, as pulling the cable does; `replug()` creates a new pty
    and re-points the symlink, as udev does with /dev/serial/by-id/... links.
    """

    def __init__(self, link: str):
        self.link = link
        self.master = -1
        self._slave = -1
        self.replug()

    def replug(self) -> None:
        """Create a fresh pty and point the stable path at it."""
        self.master, self._slave = os.openpty()
        tty.setraw(self._slave)  # no echo or line editing before the driver configures the port
        tmp = self.link + ".new"
        os.symlink(os.ttyname(self._slave), tmp)
        os.replace(tmp, self.link)

    def unplug(self) -> None:
        """Close both ends we hold and remove the stable path."""
        for fd in (self.master, self._slave):
            try:
                os.close(fd)
            except OSError:
                pass
        self.master = self._slave = -1
        if os.path.lexists(self.link):
            os.unlink(self.link)

    def write(self, data: bytes) -> None:
        """Bytes from the device to the driver."""
        os.write(self.master, data)


class FakePrinter(threading.Thread):
    """Plays an ESC/POS printer on a pty master: records every byte, answers DLE EOT n with
    `replies[n]` (missing key = silence), and pulls its own cable after `unplug_after` bytes."""

    def __init__(self, port: PtyPort, replies: dict[int, bytes] | None = None, unplug_after: int | None = None):
        super().__init__(daemon=True)
        self.port, self.replies, self.unplug_after = port, replies or {}, unplug_after
        self.received = bytearray()
        self._scanned = 0
        self._halt = threading.Event()

    def run(self) -> None:
        master = self.port.master
        while not self._halt.is_set():
            ready, _, _ = select.select([master], [], [], 0.02)
            if not ready:
                continue
            try:
                data = os.read(master, 4096)
            except OSError:
                time.sleep(0.01)  # no slave open between jobs
                continue
            self.received += data
            self._answer(master)
            if self.unplug_after is not None and len(self.received) >= self.unplug_after:
                self.port.unplug()
                return

    def _answer(self, master: int) -> None:
        while True:
            i = self.received.find(b"\x10\x04", self._scanned)
            if i < 0 or i + 2 >= len(self.received):
                self._scanned = max(self._scanned, len(self.received) - 2)
                return
            n = self.received[i + 2]
            self._scanned = i + 3
            if n in self.replies:
                os.write(master, self.replies[n])

    def wait_for(self, count: int, timeout: float = 5.0) -> bytes:
        """Wait until `count` bytes have arrived; return everything received."""
        deadline = time.monotonic() + timeout
        while len(self.received) < count and time.monotonic() < deadline:
            time.sleep(0.01)
        return bytes(self.received)

    def stop(self) -> None:
        """End the thread."""
        self._halt.set()
        self.join(2)


def wait_until(predicate, timeout: float = 5.0) -> bool:
    """Poll `predicate` until true or `timeout` seconds pass; return its last value."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.01)
    return bool(predicate())
