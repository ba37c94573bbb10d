"""The receipt printer: its configuration, `DLE EOT` status and a job-at-a-time `ReceiptPrinter`.

Every transport failure, whatever library raised it, reaches the caller as one `PrinterError`
with a reason a clerk can act on. The kiosk keeps a failed receipt queued for reprint.
"""

from __future__ import annotations

import contextlib
import errno
import logging
import termios
import threading
from dataclasses import dataclass, fields

import serial

from drivers import commands
from drivers.cjk import CJK_MODES
from drivers.drawer import drawer_kick
from drivers.transports import open_transport

log = logging.getLogger(__name__)

KINDS = ("serial", "usb", "network", "file", "none")
FLOW_CONTROLS = ("none", "xonxoff", "rtscts")
DEFAULT_COLUMNS = {58: 32, 80: 48}
STATES = ("ok", "paper_near_end", "paper_out", "cover_open", "offline", "error", "unknown")


class PrinterError(Exception):
    """A print job or drawer kick that did not reach the printer; `reason` says why, for people."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True, kw_only=True)
class PrinterConfig:
    """How to reach one printer and what it can print. `columns` defaults from the paper width."""

    kind: str = "none"
    path: str | None = None
    baudrate: int = 9600
    flow_control: str = "none"
    host: str | None = None
    port: int = 9100
    timeout: float = 5.0
    status_timeout: float = 0.3
    usb_vendor: int | None = None
    usb_product: int | None = None
    paper_width_mm: int = 80
    columns: int | None = None
    cjk: str = "gbk"
    profile: str | None = None

    def __post_init__(self) -> None:
        problems = []
        if self.kind not in KINDS:
            problems.append(f"kind must be one of {', '.join(KINDS)}")
        if self.flow_control not in FLOW_CONTROLS:
            problems.append(f"flow_control must be one of {', '.join(FLOW_CONTROLS)}")
        if self.paper_width_mm not in DEFAULT_COLUMNS:
            problems.append("paper_width_mm must be 58 or 80")
        if self.columns is None:
            object.__setattr__(self, "columns", DEFAULT_COLUMNS.get(self.paper_width_mm, 32))
        elif self.columns not in (32, 42, 48):
            problems.append("columns must be 32, 42 or 48")
        if self.cjk not in CJK_MODES:
            problems.append(f"cjk must be one of {', '.join(CJK_MODES)}")
        if self.kind in ("serial", "file") and not self.path:
            problems.append(f"a {self.kind} printer needs a path")
        if self.kind == "network" and not self.host:
            problems.append("a network printer needs a host")
        if self.kind == "usb" and not self.path and not (self.usb_vendor and self.usb_product):
            problems.append("a usb printer needs a path (/dev/usb/lp0) or usb_vendor and usb_product")
        if self.timeout <= 0 or self.status_timeout <= 0:
            problems.append("timeouts must be positive")
        if problems:
            raise ValueError("printer config: " + "; ".join(problems))

    @classmethod
    def from_dict(cls, values: dict) -> PrinterConfig:
        """Build from a config-file table; refuses unknown keys, accepts '0x04b8'-style USB ids."""
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(values) - known)
        if unknown:
            raise ValueError(f"printer config: unknown keys {', '.join(unknown)}")
        values = dict(values)
        for key in ("usb_vendor", "usb_product"):
            if isinstance(values.get(key), str):
                values[key] = int(values[key], 0)
        return cls(**values)

    @property
    def where(self) -> str:
        """Where the printer is, for messages."""
        if self.kind == "network":
            return f"{self.host}:{self.port}"
        if self.kind == "usb" and not self.path:
            return f"USB {self.usb_vendor:04x}:{self.usb_product:04x}"
        return self.path or "nowhere"


@dataclass(frozen=True)
class PrinterStatus:
    """One of STATES, a human-readable reason, and the raw reply bytes to DLE EOT 1, 2, 4."""

    state: str
    reason: str = ""
    replies: tuple[int | None, ...] = ()


def _valid(reply: int | None) -> bool:
    # Bits 1 and 4 are always 1 and bits 0 and 7 always 0 in a real status byte; this also
    # tells a status byte from XON (0x11) and XOFF (0x13).
    return reply is not None and (reply & 0x93) == 0x12


def decode_status(printer: int | None, offline_cause: int | None, paper: int | None) -> PrinterStatus:
    """Interpret replies to `DLE EOT 1`, `DLE EOT 2` and `DLE EOT 4` (None = no reply)."""
    replies = (printer, offline_cause, paper)
    if printer is None:
        return PrinterStatus("unknown", "the printer did not answer the status query", replies)
    for reply in replies:
        if not _valid(reply):
            shown = "nothing" if reply is None else f"0x{reply:02X}"
            return PrinterStatus("unknown", f"the printer answered {shown}, not a status byte", replies)
    if offline_cause & 0x04:
        return PrinterStatus("cover_open", "the printer cover is open", replies)
    if paper & 0x60 or offline_cause & 0x20:
        return PrinterStatus("paper_out", "the printer is out of paper", replies)
    if offline_cause & 0x40:
        return PrinterStatus("error", "the printer reports an error (cutter jam or overheating?)", replies)
    if printer & 0x08:
        return PrinterStatus("offline", "the printer is offline", replies)
    if paper & 0x0C:
        return PrinterStatus("paper_near_end", "the paper roll is nearly used up", replies)
    return PrinterStatus("ok", "ready", replies)


def _reason(exc: BaseException, config: PrinterConfig) -> str:
    where = config.where
    if isinstance(exc, LookupError):
        return "no printer is configured"
    if isinstance(exc, serial.SerialTimeoutException | TimeoutError):
        return f"the printer at {where} stopped taking data (paper out, cover open or cable loose?)"
    code = getattr(exc, "errno", None)
    text = str(exc)
    if code == errno.ENOENT or "No such file" in text:
        return f"no printer at {where}: is it plugged in and switched on?"
    if code in (errno.EAGAIN, errno.EBUSY) or "exclusively lock" in text:
        return f"the printer port {where} is in use by another program"
    if code == errno.ECONNREFUSED:
        return f"the printer at {where} refused the connection: is it switched on?"
    if code in (errno.EHOSTUNREACH, errno.ENETUNREACH):
        return f"cannot reach the printer at {where}: is it on the network and switched on?"
    if code == errno.EACCES:
        return f"no permission to use {where} (add the kiosk user to the dialout/lp group)"
    if isinstance(exc, serial.SerialException | termios.error) or code == errno.EIO:
        return f"the printer at {where} was disconnected ({text})"
    if isinstance(exc, ImportError):
        return "printing over USB by vendor/product id needs the pyusb package; or set path = /dev/usb/lp0"
    return f"the printer at {where} failed: {text or type(exc).__name__}"


class ReceiptPrinter:
    """One configured printer. Thread-safe; opens a fresh connection for each job or query."""

    def __init__(self, config: PrinterConfig):
        self.config = config
        self._lock = threading.Lock()
        self.last_status = PrinterStatus("unknown", "not checked yet")

    @contextlib.contextmanager
    def _connection(self):
        transport = None
        try:
            transport = open_transport(self.config)
            yield transport
        except PrinterError:
            raise
        except Exception as exc:  # the hardware boundary: nothing raw escapes to the kiosk
            if not isinstance(exc, OSError | LookupError | termios.error | TimeoutError | ImportError):
                log.exception("unexpected error from printer at %s", self.config.where)
            raise PrinterError(_reason(exc, self.config)) from exc
        finally:
            if transport is not None:
                with contextlib.suppress(Exception):  # unplugged ports raise termios.error on close
                    transport.close()

    def send(self, data: bytes) -> None:
        """Send one complete job (ESC/POS bytes); raises PrinterError if it did not go through."""
        if not isinstance(data, bytes | bytearray | memoryview):
            raise TypeError("send() takes bytes")
        with self._lock, self._connection() as transport:
            transport.write(bytes(data))

    def kick_drawer(self, pin: int = 2) -> None:
        """Open the cash drawer wired to the printer's drawer port (pin 2 or 5)."""
        self.send(drawer_kick(pin))

    def print_receipt(self, receipt, *, native_qr: bool = True) -> None:
        """Render a `drivers.receipt.Receipt` for this printer's paper and CJK mode, and send it."""
        from drivers.receipt import render_receipt

        self.send(render_receipt(receipt, columns=self.config.columns, cjk=self.config.cjk, native_qr=native_qr))

    def status(self) -> PrinterStatus:
        """Ask the printer (`DLE EOT` 1, 2, 4). Never raises: an unreachable printer is 'offline'.

        A file printer is always 'ok'; a transport that cannot read replies is 'unknown'.
        """
        if self.config.kind == "file":
            result = PrinterStatus("ok", f"writing to {self.config.path}")
        elif self.config.kind == "none":
            result = PrinterStatus("unknown", "no printer is configured")
        else:
            try:
                result = self._query_status()
            except PrinterError as exc:
                result = PrinterStatus("offline", exc.reason)
        self.last_status = result
        return result

    def _query_status(self) -> PrinterStatus:
        with self._lock, self._connection() as transport:
            if not transport.supports_status:
                return PrinterStatus("unknown", f"status cannot be read back from {self.config.where}")
            replies: list[int | None] = []
            for n in (1, 2, 4):
                reply = transport.query(commands.status_query(n))
                replies.append(reply[0] if reply else None)
                if not _valid(replies[-1]):  # no point waiting out two more timeouts
                    break
            replies += [None] * (3 - len(replies))
            return decode_status(*replies)
