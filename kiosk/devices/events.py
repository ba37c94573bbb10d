"""Device events for browsers: a per-terminal publish/subscribe broker and server-sent event framing.

Scans and device state changes are published from the reader and spooler threads; each open
``GET /counter/events`` stream holds one bounded queue. A slow or gone browser loses events
(its queue is full), it never slows a scanner down.
"""

from __future__ import annotations

import json
import queue
import threading
import time
from collections.abc import Iterator

QUEUE_SIZE = 64


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


def sse(event: str, data: dict) -> str:
    """One server-sent event frame."""
    return f"event: {event}\ndata: {json.dumps(data, ensure_ascii=False, separators=(',', ':'))}\n\n"


def stream(broker: EventBroker, terminal: str, q: queue.Queue, first: list[tuple[str, dict]], *,
           heartbeat: float, lifetime: float) -> Iterator[str]:
    """Frames for one browser: ``first`` events, then published ones, a comment every ``heartbeat``
    seconds (so a gone browser is noticed and proxies keep the connection), and the end after
    ``lifetime`` seconds so a server thread is never held for ever (EventSource reconnects).

    Runs after the request has ended: it touches no database session and no request context.
    """
    try:
        yield "retry: 1000\n\n"
        for event, data in first:
            yield sse(event, data)
        deadline = time.monotonic() + lifetime
        while (remaining := deadline - time.monotonic()) > 0:
            try:
                event, data = q.get(timeout=min(heartbeat, remaining))
            except queue.Empty:
                yield ": keep-alive\n\n"
                continue
            yield sse(event, data)
    finally:
        broker.unsubscribe(terminal, q)
