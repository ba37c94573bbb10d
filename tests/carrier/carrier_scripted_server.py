"""A raw TCP server on 127.0.0.1 that answers with scripted bytes: garbage, contradictions, resets.

The sandbox is well behaved by design; this is for answers only a broken carrier or proxy gives.
"""

from __future__ import annotations

import socket
import struct
import threading

RESET = object()  # a scripted reply: abort the connection with a TCP RST after reading the request


def http_reply(status: int, body: bytes | str = b"", content_type: str = "application/json", **headers) -> bytes:
    """Raw bytes of an HTTP/1.1 response that closes its connection."""
    if isinstance(body, str):
        body = body.encode()
    lines = [f"HTTP/1.1 {status} X", f"Content-Type: {content_type}", f"Content-Length: {len(body)}"]
    lines += [f"{name.replace('_', '-')}: {value}" for name, value in headers.items()]
    lines.append("Connection: close")
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


class ScriptedServer:
    """A raw TCP server on 127.0.0.1 answering each connection with the next scripted reply."""

    def __init__(self, replies: list) -> None:
        self.replies = list(replies)
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.sock.settimeout(0.05)
        self.url = f"http://127.0.0.1:{self.sock.getsockname()[1]}"
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._serve, name="scripted-server", daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        while not self._stopping.is_set():
            try:
                conn, _ = self.sock.accept()
            except TimeoutError:
                continue
            with conn:
                conn.settimeout(2.0)
                _read_request(conn)
                reply = self.replies.pop(0) if self.replies else RESET
                if reply is RESET:
                    conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                else:
                    conn.sendall(reply)

    def stop(self) -> None:
        """Stop accepting and join the thread."""
        self._stopping.set()
        self._thread.join(5.0)
        self.sock.close()


def _read_request(conn: socket.socket) -> None:
    data = b""
    try:
        while b"\r\n\r\n" not in data:
            chunk = conn.recv(65536)
            if not chunk or chunk[:1] == b"\x16":  # closed, or a TLS ClientHello: answer at once
                return
            data += chunk
        head, _, body = data.partition(b"\r\n\r\n")
        length = next(
            (int(line.split(b":")[1]) for line in head.split(b"\r\n") if line.lower().startswith(b"content-length")),
            0,
        )
        while len(body) < length:
            chunk = conn.recv(65536)
            if not chunk:
                return
            body += chunk
    except TimeoutError:
        return
