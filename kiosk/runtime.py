"""Background services that run beside the web server in `kiosk run` and `kiosk demo`.

Each entry starts something (the print spooler, scanner readers, the sync worker) and returns an
object with ``stop()``. They are started explicitly by the CLI, never at import or app creation,
so tests and one-off commands get none of them.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol

from flask import Flask

from .carrier_link import start_embedded_sync
from .devices.runtime import start_devices


class Stoppable(Protocol):
    """Something running in the background that can be asked to stop."""

    def stop(self) -> None:  # pragma: no cover - protocol
        """Stop and wait for it to finish."""


#: Starters in start order; each takes the app and whether this is the demo.
STARTERS: tuple[Callable[[Flask, bool], Stoppable | None], ...] = (start_devices, start_embedded_sync)


def start_background(app: Flask, *, demo: bool) -> list[Stoppable]:
    """Start every background service; returns them in the order to stop them."""
    started = []
    for starter in STARTERS:
        service = starter(app, demo)
        if service is not None:
            started.append(service)
    return list(reversed(started))


def stop_background(services: list[Stoppable]) -> None:
    """Stop what :func:`start_background` started."""
    for service in services:
        service.stop()
