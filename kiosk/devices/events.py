"""Device events for browsers: a per-terminal publish/subscribe broker and server-sent event framing.

Scans and device state changes are published from the reader and spooler threads; each open
``GET /counter/events`` stream holds one bounded queue. A slow or gone browser loses events
(its queue is full), it never slows a scanner down.

Each open stream holds a server thread for its whole life, so streams are rationed
(``StreamSlots``): a global cap well below the server's thread count and a cap per staff member,
and every stream ends after a bounded time (the browser's EventSource reconnects).
"""

from __future__ import annotations

import json
import queue
import threading
import time
from collections.abc import Callable, Iterator

QUEUE_SIZE = 64
DISCONNECT_CHECK_SECONDS = 0.25


class EventBroker:
    """Fan-out of small JSON events to the streams open for a terminal."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._subscribers: dict[str, set[queue.Queue]] = {}

    def subscribe(self, terminal: str) -> queue.Queue:
        """A new queue receiving ``terminal``'s events from now on."""
        q: queue.Queue = queue.Queue(QUEUE_SIZE)
        with self._lock:
            self._subscribers.setdefault(terminal, set()).add(q)
        return q

    def unsubscribe(self, terminal: str, q: queue.Queue) -> None:
        """Stop delivering to ``q``."""
        with self._lock:
            self._subscribers.get(terminal, set()).discard(q)

    def subscribers(self, terminal: str) -> int:
        """How many streams are open for ``terminal``."""
        with self._lock:
            return len(self._subscribers.get(terminal, ()))

    def publish(self, terminal: str, event: str, data: dict) -> None:
        """Send ``event`` with ``data`` to every stream of ``terminal``; full queues drop it."""
        with self._lock:
            targets = list(self._subscribers.get(terminal, ()))
        for q in targets:
            try:
                q.put_nowait((event, data))
            except queue.Full:
                pass


class StreamSlots:
    """Counts open streams: at most ``total`` at once, at most ``per_owner`` for one owner.

    ``acquire`` never waits: a request over a cap is refused at once (429/503 with Retry-After), so
    a refused stream costs a thread for microseconds, never for the life of a stream.
    """

    def __init__(self, total: int, per_owner: int) -> None:
        self.total, self.per_owner = total, per_owner
        self._lock = threading.Lock()
        self._open: dict[str, int] = {}
        #: Streams refused over a cap since start (for the manager's health details and the tests).
        self.refused = 0

    def acquire(self, owner: str) -> str | None:
        """Take a slot for ``owner``; returns None, or which cap is full: ``"owner"`` or ``"total"``."""
        with self._lock:
            if sum(self._open.values()) >= self.total:
                self.refused += 1
                return "total"
            if self._open.get(owner, 0) >= self.per_owner:
                self.refused += 1
                return "owner"
            self._open[owner] = self._open.get(owner, 0) + 1
            return None

    def release(self, owner: str) -> None:
        """Give back one of ``owner``'s slots."""
        with self._lock:
            left = self._open.get(owner, 0) - 1
            if left > 0:
                self._open[owner] = left
            else:
                self._open.pop(owner, None)

    def open(self, owner: str | None = None) -> int:
        """Streams open now, in all or for ``owner``."""
        with self._lock:
            return self._open.get(owner, 0) if owner is not None else sum(self._open.values())


def sse(event: str, data: dict) -> str:
    """One server-sent event frame."""
    return f"event: {event}\ndata: {json.dumps(data, ensure_ascii=False, separators=(',', ':'))}\n\n"


def stream(broker: EventBroker, terminal: str, q: queue.Queue, first: list[tuple[str, dict]], *,
           heartbeat: float, lifetime: float, disconnected: Callable[[], bool] | None = None,
           still_signed_in: Callable[[], bool] | None = None) -> Iterator[str]:
    """Frames for one browser: ``first`` events, then published ones, a comment every ``heartbeat``
    seconds (proxies keep the connection; a gone browser makes the write fail), and the end after
    ``lifetime`` seconds so a server thread is never held for ever (EventSource reconnects).

    Each open stream holds a server thread. A browser leaves a page by closing the connection,
    which the server only notices when writing, so with ``disconnected`` (waitress's
    ``waitress.client_disconnected``, live when the server runs with channel_request_lookahead)
    the stream checks four times a second and ends at once: a clerk clicking through screens
    cannot tie up the server's threads with streams nobody reads.

    With ``still_signed_in``, asked at each heartbeat, a stream whose session ended (sign-out, Switch
    clerk, PIN reset, deactivation) ends within one heartbeat instead of at its lifetime.

    Runs after the request has ended: it touches no request context, and the database only through
    ``still_signed_in``.
    """
    tick = DISCONNECT_CHECK_SECONDS if disconnected is not None else heartbeat
    try:
        yield "retry: 1000\n\n"
        for event, data in first:
            yield sse(event, data)
        now = time.monotonic()
        deadline, next_beat = now + lifetime, now + heartbeat
        while (now := time.monotonic()) < deadline:
            if disconnected is not None and disconnected():
                return
            if now >= next_beat:
                if still_signed_in is not None and not still_signed_in():
                    return
                yield ": keep-alive\n\n"
                next_beat = now + heartbeat
            try:
                event, data = q.get(timeout=max(0.0, min(tick, next_beat - now, deadline - now)))
            except queue.Empty:
                continue
            yield sse(event, data)
    finally:
        broker.unsubscribe(terminal, q)
