"""Scans from a pty scanner reach the terminal's screens as server-sent events."""

from __future__ import annotations

import json
import re
import threading

import httpx
import pytest

from tests.drivers.pty_helpers import wait_until

from ..helpers import CLERK_PIN, login

ICCID = "89014103211118510720"


@pytest.fixture
def scanner_app(make_app, run_devices, pty_scanner, tmp_path):
    """An app reading the pty scanner, streams ending after 5 s with a heartbeat every 0.2 s."""
    app = make_app(scanner={"kind": "serial", "path": str(tmp_path / "scanner")})
    app.config.update(DEVICE_EVENTS_HEARTBEAT=0.2, DEVICE_EVENTS_SECONDS=5.0)
    run_devices(app)
    hub = app.extensions["devices"]
    assert wait_until(lambda: hub.scanner_state("T01")[0] == "connected")
    return app


def _events(chunks):
    """Parse (event, data) pairs out of an iterator of SSE text chunks."""
    buffer = ""
    for chunk in chunks:
        buffer += chunk.decode() if isinstance(chunk, bytes) else chunk
        while "\n\n" in buffer:
            frame, buffer = buffer.split("\n\n", 1)
            match = re.match(r"event: (\w+)\ndata: (.*)", frame)
            if match:
                yield match.group(1), json.loads(match.group(2))


def test_scan_arrives_as_an_event_for_the_signed_in_clerk(scanner_app, pty_scanner):
    """A scanned ICCID is published to /counter/events as a 'scan' event with its kind."""
    client = scanner_app.test_client()
    login(client)
    response = client.get("/counter/events", buffered=False)
    assert response.status_code == 200 and response.mimetype == "text/event-stream"
    events = _events(response.response)
    event, first = next(events)
    assert event == "device" and first["scanner"]["state"] == "connected"
    assert first["printer"]["state"] == "disabled"
    pty_scanner.write(f"]E0{ICCID}\r\n".encode())
    assert next(e for e in events if e[0] == "scan") == ("scan", {"code": ICCID, "kind": "iccid"})
    pty_scanner.write(b"R-T01-000042\r")
    assert next(e for e in events if e[0] == "scan") == ("scan", {"code": "R-T01-000042", "kind": "receipt"})
    response.close()
    assert wait_until(lambda: scanner_app.extensions["devices"].events.subscribers("T01") == 0)


def test_event_stream_needs_a_clerk_and_ends_by_itself(scanner_app):
    """Without a sign-in the stream redirects to the PIN screen; a stream ends after its lifetime."""
    client = scanner_app.test_client()
    assert client.get("/counter/events").status_code == 302
    login(client)
    scanner_app.config["DEVICE_EVENTS_SECONDS"] = 0.5
    body = client.get("/counter/events").get_data(as_text=True)  # returns: the stream ended
    assert body.startswith("retry: ") and ": keep-alive" in body


def test_scan_event_over_http_from_waitress(scanner_app, pty_scanner):
    """Over real HTTP from waitress a scan arrives unbuffered, and a closed page frees its stream at once."""
    from waitress import create_server

    scanner_app.config["DEVICE_EVENTS_HEARTBEAT"] = 60.0  # only disconnect detection can end it quickly
    server = create_server(scanner_app, host="127.0.0.1", port=0, threads=4, ident="kiosk-test",
                           channel_request_lookahead=1)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    base = f"http://127.0.0.1:{server.effective_port}"
    try:
        with httpx.Client(base_url=base, timeout=5) as http:
            page = http.get("/login").text
            token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
            assert http.post("/login", data={"name": "clerk", "pin": CLERK_PIN, "csrf_token": token}).status_code == 302
            with http.stream("GET", "/counter/events") as response:
                events = _events(response.iter_bytes())
                assert next(events)[0] == "device"
                pty_scanner.write(b"+1 415 555 0123\r")
                assert next(e for e in events if e[0] == "scan") == ("scan", {"code": "+1 415 555 0123",
                                                                              "kind": "phone"})
            hub = scanner_app.extensions["devices"]
            assert wait_until(lambda: hub.events.subscribers("T01") == 0, 1.5)
    finally:
        server.close()
        thread.join(5)
