"""A sandbox carrier: a real threaded HTTP server speaking protocol v1, for the demo and the tests.

    handle = start_sandbox(error_rate=0.1, seed=7)
    ...  # CarrierClient(handle.url, "sandbox-key")
    handle.stop()

or from a shell: `python -m carrier.sandbox --port 8765`.
"""

from __future__ import annotations

import argparse
import logging
import socket
import threading
from dataclasses import dataclass

from werkzeug.serving import ThreadedWSGIServer, WSGIRequestHandler

from carrier.sandbox_app import SandboxApp
from carrier.sandbox_faults import Faults
from carrier.sandbox_problems import SandboxProblem
from carrier.sandbox_state import SandboxState

log = logging.getLogger("carrier.sandbox")


class _QuietRequestHandler(WSGIRequestHandler):
    # Set on the subclass so werkzeug does not switch the shared WSGIRequestHandler to HTTP/1.1.
    protocol_version = "HTTP/1.1"

    def log_request(self, code="-", size="-") -> None:
        log.debug("%s %s -> %s", self.command, self.path, code)

    def log_error(self, format: str, *args) -> None:
        log.info("connection %s: " + format, self.address_string(), *args)


class _SandboxServer(ThreadedWSGIServer):
    """Remembers its open connections so stop() can cut keep-alive and held requests short."""

    def __init__(self, host: str, port: int, app: SandboxApp) -> None:
        self._open: dict[socket.socket, threading.Thread] = {}
        self._open_lock = threading.Lock()
        try:
            super().__init__(host, port, app, handler=_QuietRequestHandler)
        except SystemExit as exc:
            # werkzeug exits the process when the port is taken; a library must not.
            raise OSError(f"cannot listen on {host}:{port}") from exc

    def process_request_thread(self, request, client_address) -> None:
        with self._open_lock:
            self._open[request] = threading.current_thread()
        try:
            super().process_request_thread(request, client_address)
        finally:
            with self._open_lock:
                self._open.pop(request, None)

    def close_connections(self, timeout: float) -> None:
        """Shut every open connection and wait for its thread to finish."""
        with self._open_lock:
            open_now = list(self._open.items())
        for sock, _thread in open_now:
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass  # already closed by the client
        for _sock, thread in open_now:
            thread.join(timeout)


@dataclass
class SandboxHandle:
    """A running sandbox: its base URL, port and state; stop() it when done (or use `with`)."""

    url: str
    port: int
    state: SandboxState
    _server: _SandboxServer
    _thread: threading.Thread
    _stopping: threading.Event

    def stop(self) -> None:
        """Stop serving, cut open and held connections, and join every thread; safe to call twice."""
        if self._stopping.is_set():
            return
        self._stopping.set()
        self._server.shutdown()
        self._server.server_close()
        self._server.close_connections(timeout=2.0)
        self._thread.join(timeout=2.0)

    def __enter__(self) -> SandboxHandle:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()


def start_sandbox(
    host: str = "127.0.0.1",
    port: int = 0,
    *,
    api_key: str = "sandbox-key",
    latency_ms: float = 0,
    error_rate: float = 0.0,
    timeout_rate: float = 0.0,
    rate_limit: float | None = None,
    processing_delay_s: float = 0.5,
    seed: int | None = None,
) -> SandboxHandle:
    """Start a sandbox carrier in a background thread; port 0 picks a free port."""
    faults = Faults()
    knobs = {
        "latency_ms": latency_ms,
        "error_rate": error_rate,
        "timeout_rate": timeout_rate,
        "rate_limit": rate_limit,
        "processing_delay_s": processing_delay_s,
    }
    try:
        faults.update(knobs)
    except SandboxProblem as problem:
        raise ValueError(problem.detail) from None
    state = SandboxState(faults, seed)
    stopping = threading.Event()
    server = _SandboxServer(host, port, SandboxApp(state, api_key, stopping))
    thread = threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.05}, name="carrier-sandbox", daemon=True
    )
    thread.start()
    bound_port = server.socket.getsockname()[1]
    url_host = f"[{host}]" if ":" in host else host
    log.info("sandbox carrier listening on http://%s:%s", url_host, bound_port)
    return SandboxHandle(f"http://{url_host}:{bound_port}", bound_port, state, server, thread, stopping)


def serve_forever(host: str = "127.0.0.1", port: int = 8765, **options) -> None:
    """Run a sandbox in the foreground until Ctrl-C; options are start_sandbox's keywords."""
    handle = start_sandbox(host, port, **options)
    api_key = options.get("api_key", "sandbox-key")
    print(f"Sandbox carrier on {handle.url} (API key {api_key!r}); Ctrl-C stops")
    try:
        while handle._thread.is_alive():
            handle._thread.join(0.5)
    except KeyboardInterrupt:
        pass
    finally:
        handle.stop()


def main(argv: list[str] | None = None) -> None:
    """Command line: python -m carrier.sandbox [--port N] [--error-rate F] ..."""
    parser = argparse.ArgumentParser(description="Sandbox carrier speaking protocol v1")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--api-key", default="sandbox-key")
    parser.add_argument("--latency-ms", type=float, default=0)
    parser.add_argument("--error-rate", type=float, default=0.0)
    parser.add_argument("--timeout-rate", type=float, default=0.0)
    parser.add_argument("--rate-limit", type=float, default=None, help="requests per second")
    parser.add_argument("--processing-delay-s", type=float, default=0.5)
    parser.add_argument("--seed", type=int, default=None)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    options = vars(args)
    serve_forever(options.pop("host"), options.pop("port"), **options)


if __name__ == "__main__":
    main()
