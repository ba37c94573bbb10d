"""Byte pipes to a printer: serial, network (raw port 9100), file, USB. One is opened per job.

A fresh connection per job is deliberate: printers forget their mode after `ESC @` or a power
cycle, and a port that was unplugged is only usable again after reopening it by path.
Exceptions are left raw here; `drivers.printer` turns every one into a `PrinterError`.
"""

from __future__ import annotations

import errno
import os
import socket
import time

import serial

CHUNK = 1024  # the write timeout applies per chunk: "the printer stopped taking data for N s"


class SerialTransport:
    """A printer on a serial port (or USB-serial adapter, or a pty in tests)."""

    supports_status = True

    def __init__(self, config):
        self.config = config
        self.port = serial.Serial(
            config.path,
            config.baudrate,
            timeout=config.status_timeout,
            write_timeout=config.timeout,
            xonxoff=config.flow_control == "xonxoff",
            rtscts=config.flow_control == "rtscts",
            exclusive=True,  # two processes printing on one port interleave their bytes
        )

    def write(self, data: bytes) -> None:
        """Write everything, then wait (bounded) until the UART has sent it."""
        for start in range(0, len(data), CHUNK):
            self.port.write(data[start : start + CHUNK])
        # flush() would be tcdrain(), which can block forever while a printer holds XOFF/CTS.
        deadline = time.monotonic() + self.config.timeout + len(data) * 10 / self.config.baudrate
        while self.port.out_waiting:
            if time.monotonic() > deadline:
                raise TimeoutError("the printer stopped taking data")
            time.sleep(0.02)

    def query(self, request: bytes) -> bytes:
        """Send a real-time request and return the reply byte, or b'' if none came in time."""
        self.port.reset_input_buffer()  # drop stale or automatic status bytes
        self.port.write(request)
        return self.port.read(1)

    def close(self) -> None:
        """Close the port."""
        self.port.close()


class NetworkTransport:
    """A printer on the network, raw TCP (JetDirect port 9100)."""

    supports_status = True

    def __init__(self, config):
        self.config = config
        try:
            self.sock = socket.create_connection((config.host, config.port), timeout=config.timeout)
        except TimeoutError as exc:  # a connect timeout is "unreachable", not "stopped taking data"
            raise OSError(errno.EHOSTUNREACH, f"no answer from {config.host}:{config.port}") from exc

    def write(self, data: bytes) -> None:
        """Send everything."""
        self.sock.settimeout(self.config.timeout)
        self.sock.sendall(data)

    def query(self, request: bytes) -> bytes:
        """Send a real-time request and return the reply byte, or b'' if none came in time."""
        self.sock.settimeout(self.config.status_timeout)
        self.sock.sendall(request)
        try:
            return self.sock.recv(1)
        except TimeoutError:
            return b""

    def close(self) -> None:
        """Close the connection."""
        self.sock.close()


class FileTransport:
    """Appends jobs to a file: the demo printer, and a way to capture jobs for inspection."""

    supports_status = False

    def __init__(self, config):
        self.file = open(config.path, "ab")  # closed in close(): one file object per job

    def write(self, data: bytes) -> None:
        """Append the bytes."""
        self.file.write(data)
        self.file.flush()

    def query(self, request: bytes) -> bytes:
        """Files never answer."""
        return b""

    def close(self) -> None:
        """Close the file."""
        self.file.close()


class UsbDeviceTransport:
    """A USB printer through the kernel's usblp driver (/dev/usb/lp0): write-only here."""

    supports_status = False

    def __init__(self, config):
        self.fd = os.open(config.path, os.O_WRONLY | os.O_NOCTTY)

    def write(self, data: bytes) -> None:
        """Write everything."""
        view = memoryview(data)
        while view:
            view = view[os.write(self.fd, view) :]

    def query(self, request: bytes) -> bytes:
        """Status over usblp is not read back."""
        return b""

    def close(self) -> None:
        """Close the device."""
        os.close(self.fd)


class UsbVendorTransport:
    """A USB printer by vendor/product id through python-escpos (needs the pyusb package)."""

    supports_status = False

    def __init__(self, config):
        from escpos.printer import Usb  # imported here: pyusb is optional

        kwargs = {"profile": config.profile} if config.profile else {}
        self.printer = Usb(config.usb_vendor, config.usb_product, timeout=int(config.timeout * 1000), **kwargs)
        self.printer.open()

    def write(self, data: bytes) -> None:
        """Write everything."""
        self.printer._raw(data)

    def query(self, request: bytes) -> bytes:
        """Not read back over pyusb."""
        return b""

    def close(self) -> None:
        """Release the device."""
        self.printer.close()


def open_transport(config):
    """Open the transport `config.kind` names; raises whatever the underlying library raises."""
    if config.kind == "serial":
        return SerialTransport(config)
    if config.kind == "network":
        return NetworkTransport(config)
    if config.kind == "file":
        return FileTransport(config)
    if config.kind == "usb":
        return UsbDeviceTransport(config) if config.path else UsbVendorTransport(config)
    raise LookupError("no printer configured")
