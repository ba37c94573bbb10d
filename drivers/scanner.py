"""Serial barcode scanners: a pure frame parser and a reader thread that survives unplugging.

Framing rules: a frame ends in CR, LF or CRLF; an AIM symbology prefix (']' letter digit, e.g.
']Q1') is stripped and kept; empty frames, frames with non-printable bytes and frames longer
than `max_length` are dropped; a partial frame is dropped after `silence` seconds without bytes
(a scanner never pauses inside a frame, so it is line noise or a half-unplugged cable); the same
code again within `debounce` seconds of its last read is dropped (scanners in continuous mode
repeat while the code stays in view).
"""

from __future__ import annotations

import errno
import logging
import os
import re
import termios
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

import serial

from drivers.barcodes import classify

log = logging.getLogger(__name__)

SCANNER_STATES = ("connected", "disconnected", "missing")
_AIM_PREFIX = re.compile(r"^\][A-Za-z][0-9]")


@dataclass(frozen=True)
class Scan:
    """One accepted scan: the code, its AIM symbology id (']E0', or '' if none), kind and time."""

    code: str
    symbology: str
    kind: str
    at: float


class ScanFrameParser:
    """Turns a scanner's byte stream into scans. Pure: time comes in as an argument."""

    def __init__(self, *, max_length: int = 256, silence: float = 0.1, debounce: float = 1.0):
        self.max_length, self.silence, self.debounce = max_length, silence, debounce
        self._buffer = bytearray()
        self._overflow = False
        self._last_byte = 0.0
        self._last_seen: dict[str, float] = {}
        self.dropped: dict[str, int] = {}

    def _drop(self, why: str) -> None:
        self.dropped[why] = self.dropped.get(why, 0) + 1

    def expire(self, now: float) -> None:
        """Drop a partial frame once the line has been silent for `silence` seconds."""
        if (self._buffer or self._overflow) and now - self._last_byte > self.silence:
            if self._buffer:
                self._drop("partial")
            self._buffer.clear()
            self._overflow = False

    def feed(self, data: bytes, now: float) -> list[Scan]:
        """Take the bytes read at time `now` (seconds, monotonic); return the scans they complete."""
        self.expire(now)
        scans = []
        for byte in data:
            if byte in (0x0D, 0x0A):
                scan = self._finish(now)
                if scan is not None:
                    scans.append(scan)
            elif not self._overflow:
                self._buffer.append(byte)
                if len(self._buffer) > self.max_length:
                    self._overflow = True  # skip to the next terminator
                    self._buffer.clear()
        if data:
            self._last_byte = now
        return scans

    def _finish(self, now: float) -> Scan | None:
        frame, overflow = bytes(self._buffer), self._overflow
        self._buffer.clear()
        self._overflow = False
        if overflow:
            self._drop("too_long")
            return None
        if not frame:
            return None  # the LF of a CRLF, or a stray terminator
        if any(b < 0x20 or b > 0x7E for b in frame):
            self._drop("non_printable")
            return None
        text = frame.decode("ascii").strip()
        match = _AIM_PREFIX.match(text)
        symbology = match.group(0) if match else ""
        code = text[len(symbology) :].strip()
        if not code:
            self._drop("empty")
            return None
        previous = self._last_seen.get(code)
        self._last_seen = {c: t for c, t in self._last_seen.items() if now - t < self.debounce}
        self._last_seen[code] = now
        if previous is not None and now - previous < self.debounce:
            self._drop("repeat")
            return None
        return Scan(code, symbology, classify(code), now)


def _quietly(callback, *args) -> None:
    # A bug in the kiosk's callback must not kill the reader thread.
    if callback is None:
        return
    try:
        callback(*args)
    except Exception:
        log.exception("scanner callback %r failed", callback)


class ScannerReader:
    """Reads a serial scanner on a thread; reopens it by its stable path after an unplug.

    `on_scan(scan)` is called for each accepted `Scan`, `on_state(state)` on every change among
    SCANNER_STATES ('missing' = the path does not exist). Both run on the reader thread.
    """

    def __init__(
        self,
        path: str,
        baudrate: int = 9600,
        on_scan: Callable[[Scan], None] | None = None,
        on_state: Callable[[str], None] | None = None,
        *,
        parser: ScanFrameParser | None = None,
        read_timeout: float = 0.05,
        max_backoff: float = 2.0,
    ):
        self.path, self.baudrate = path, baudrate
        self.on_scan, self.on_state = on_scan, on_state
        self.parser = parser or ScanFrameParser()
        self.read_timeout, self.max_backoff = read_timeout, max_backoff
        self.state = "disconnected"
        self.last_error = ""
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> ScannerReader:
        """Start reading on a daemon thread."""
        if self._thread is None or not self._thread.is_alive():
            self._stop.clear()
            self._thread = threading.Thread(target=self._run, name=f"scanner {self.path}", daemon=True)
            self._thread.start()
        return self

    def stop(self, timeout: float = 2.0) -> None:
        """Stop the thread and close the port; returns once the thread has ended."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)

    def _set_state(self, state: str) -> None:
        if state != self.state:
            self.state = state
            _quietly(self.on_state, state)

    def _open(self) -> serial.Serial | None:
        try:
            # exclusive: a second kiosk process on the same port would steal half the scans
            return serial.Serial(self.path, self.baudrate, timeout=self.read_timeout, exclusive=True)
        except (serial.SerialException, OSError, termios.error) as exc:
            self.last_error = str(exc)
            gone = getattr(exc, "errno", None) == errno.ENOENT or not os.path.exists(self.path)
            self._set_state("missing" if gone else "disconnected")
            return None

    def _run(self) -> None:
        backoff = 0.05
        while not self._stop.is_set():
            port = self._open()
            if port is None:
                self._stop.wait(backoff)
                backoff = min(backoff * 2, self.max_backoff)
                continue
            backoff = 0.05
            self._set_state("connected")
            self._read_until_unplugged(port)
            try:
                port.close()
            except (serial.SerialException, OSError, termios.error):
                pass  # closing an unplugged port raises termios.error; it is closed all the same
            if not self._stop.is_set():
                self._set_state("disconnected")

    def _read_until_unplugged(self, port: serial.Serial) -> None:
        while not self._stop.is_set():
            try:
                data = port.read(max(1, port.in_waiting))
            except (serial.SerialException, OSError, termios.error) as exc:
                self.last_error = str(exc)
                return
            now = time.monotonic()
            if not data:
                self.parser.expire(now)
                continue
            for scan in self.parser.feed(data, now):
                _quietly(self.on_scan, scan)
