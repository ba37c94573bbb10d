"""The print spooler: one thread per terminal printer, printing queued jobs after their commit.

Each pass is a few short transactions (SQLite has one write lock for the whole database):
expire stale drawer kicks; pick the oldest queued job and build its bytes; claim it with one
conditional UPDATE (queued -> sending) and commit; talk to the printer with no transaction
open; record printed or failed and commit. A job left in 'sending' by a crash or power cut
between the bytes going out and that last commit may be on paper already, so it is never sent
again by itself: the sale screen offers a reprint (marked COPY) instead. Printing is at most
once automatically; a person decides about the rest.

Every ``poll_interval`` seconds the printer's status is read (`DLE EOT`) and kept in the hub.
While it reports paper out, cover open, offline or an error, queued jobs are failed with that
reason instead of being sent; when it is ready again, recent failed jobs are queued again.
"""

from __future__ import annotations

import logging
import threading
import time

from flask import Flask

from drivers.printer import PrinterConfig, PrinterError, PrinterStatus, ReceiptPrinter
from pos.db import db, utcnow, write_transaction
from pos.models import PrintJob
from pos.services import printing
from pos.services.terminals import terminal_by_code

from .documents import UnsupportedDocument, job_bytes
from .hub import PRINTABLE, DeviceHub, missing_path, missing_status

log = logging.getLogger(__name__)
#: With a printer that cannot report its status, failed jobs are tried again this often (seconds).
BLIND_RETRY_SECONDS = 30.0


class PrintSpooler:
    """Prints the jobs of one terminal on its printer; ``wake()`` after a commit, ``stop()`` at the end."""

    def __init__(self, app: Flask, hub: DeviceHub, terminal: str, printer: PrinterConfig, *,
                 poll_interval: float = 2.0):
        self.app, self.hub, self.terminal, self.printer = app, hub, terminal, printer
        self.poll_interval = poll_interval
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._terminal_id: int | None = None
        self._last_state: str | None = None
        self._last_blind_retry = 0.0

    def start(self) -> PrintSpooler:
        """Start the thread."""
        self._thread = threading.Thread(target=self._run, name=f"print spooler {self.terminal}", daemon=True)
        self._thread.start()
        return self

    def wake(self) -> None:
        """Look for new jobs now (called after every commit)."""
        self._wake.set()

    def stop(self, timeout: float = 10.0) -> None:
        """Finish the job in hand and end the thread."""
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout)

    def _run(self) -> None:
        next_poll = 0.0
        while not self._stop.is_set():
            try:
                if time.monotonic() >= next_poll:
                    self.poll_status()
                    next_poll = time.monotonic() + self.poll_interval
                if not self.drain():  # a send failed: read the status now to learn why
                    next_poll = 0.0
                    continue
            except Exception:  # a bug or a database hiccup must not end printing for the day
                log.exception("print spooler %s failed; trying again", self.terminal)
                self._stop.wait(1.0)
            self._wake.wait(max(0.0, next_poll - time.monotonic()))
            self._wake.clear()

    # -- status ---------------------------------------------------------------------------------
    def poll_status(self) -> PrinterStatus:
        """Ask the printer, keep the answer in the hub, and requeue failed jobs when it is ready again."""
        path = missing_path(self.printer)
        status = missing_status(path) if path else ReceiptPrinter(self.printer).status()
        self.hub.set_printer_status(self.terminal, status)
        became_ready = status.state in PRINTABLE and self._last_state not in PRINTABLE
        blind_retry = status.state == "unknown" and time.monotonic() - self._last_blind_retry > BLIND_RETRY_SECONDS
        self._last_state = status.state
        if became_ready or blind_retry:
            self._last_blind_retry = time.monotonic()
            with self.app.app_context():
                terminal_id = self._terminal()
                if terminal_id is not None:
                    with write_transaction():
                        if printing.requeue_failed(terminal_id):
                            log.info("printer %s is ready again: failed jobs queued", self.terminal)
        return status

    def _terminal(self) -> int | None:
        if self._terminal_id is None:
            try:
                self._terminal_id = terminal_by_code(self.terminal).id
            except Exception:  # not in the database yet (kiosk db upgrade syncs terminals)
                log.warning("terminal %s is not in the database; nothing to print", self.terminal)
            finally:
                db.session.rollback()  # end the read: the caller's next statement writes
        return self._terminal_id

    # -- jobs -------------------------------------------------------------------------------------
    def drain(self) -> bool:
        """Print every queued job; False if a send failed (the rest wait for the next status)."""
        while not self._stop.is_set():
            claimed = self._next_job()
            if claimed is None:
                return True
            job_id, kind, created_at, data = claimed
            if data is None:
                continue
            if kind == "drawer_kick" and utcnow() - created_at > printing.DRAWER_KICK_TTL:
                self._record(job_id, cancel="expired")  # fired late is worse than not at all
                continue
            error = self._send(data)
            self._record(job_id, error=error)
            if error:
                self._last_state = None  # if the status still says ready, the next poll retries it
                return False
        return True

    def _next_job(self) -> tuple[int, str, object, bytes | None] | None:
        """Claim the next job and build its bytes; None when there is nothing to send now.

        Reads come first in their own transaction; each write opens a write transaction of its
        own (IMMEDIATE on SQLite) and commits at once. So an idle spooler never writes, and the
        write lock is held for microseconds, never while rendering or printing.
        """
        with self.app.app_context():
            terminal_id = self._terminal()
            if terminal_id is None:
                return None
            if printing.has_stale_drawer_kicks(terminal_id):
                with write_transaction():
                    printing.expire_drawer_kicks(terminal_id)
            job = printing.next_queued(terminal_id)
            if job is None:
                db.session.rollback()
                return None
            job_id, kind, created_at = job.id, job.kind, job.created_at
            status = self.hub.printer_status(self.terminal)
            if status.state not in PRINTABLE and status.state != "unknown":
                with write_transaction():
                    printing.fail_queued(terminal_id, status.reason)
                self._announce()
                return None
            try:
                data = job_bytes(job, self.app.config["STORE"], self.printer)
            except UnsupportedDocument as exc:
                with write_transaction():
                    printing.cancel(job_id, str(exc))
                return job_id, kind, created_at, None
            with write_transaction():  # committed at once: no transaction stays open while the printer works
                claimed = printing.claim(job_id)
        return job_id, kind, created_at, data if claimed else None

    def _send(self, data: bytes) -> str | None:
        try:
            ReceiptPrinter(self.printer).send(data)  # a fresh printer per job: modes reset after ESC @
        except PrinterError as exc:
            log.warning("printer %s: %s", self.terminal, exc.reason)
            return exc.reason
        return None

    def _record(self, job_id: int, *, error: str | None = None, cancel: str | None = None) -> None:
        with self.app.app_context(), write_transaction():
            if cancel:
                printing.cancel(job_id, cancel)
            else:
                printing.finish(job_id, error=error)
            sale_id = db.session.get(PrintJob, job_id).sale_id
        if sale_id:
            self._announce(sale_id)

    def _announce(self, sale_id: str | None = None) -> None:
        # Screens showing a sale reload its print state when told.
        self.hub.events.publish(self.terminal, "print", {"sale_id": sale_id})
