"""The production web server (waitress) and the settings that keep it answering.

Waitress serves every request, event streams included, from one pool of ``server.threads``
threads. A live-update stream holds its thread for up to ``server.event_stream_seconds``, so the
streams are capped (``server.event_streams_max``, checked here to leave ``RESERVED_THREADS`` free)
and everything else (sales, sign-in, /healthz) always finds a thread.
"""

from __future__ import annotations

from flask import Flask

from .config import ConfigError

#: Threads never given to event streams: what sales, sign-in and /healthz can always count on.
RESERVED_THREADS = 4


def validate_server(config: dict) -> None:
    """Check the thread and stream settings of [server]; raises ConfigError naming the key."""
    server = config["server"]
    if server["threads"] < RESERVED_THREADS + 1:
        raise ConfigError(f"'server.threads' must be at least {RESERVED_THREADS + 1}")
    if not 1 <= server["event_streams_max"] <= server["threads"] - RESERVED_THREADS:
        raise ConfigError(f"'server.event_streams_max' must be from 1 to server.threads - {RESERVED_THREADS} "
                          f"({server['threads'] - RESERVED_THREADS}): each open stream holds a thread")
    if not 1 <= server["event_streams_per_staff"] <= server["event_streams_max"]:
        raise ConfigError("'server.event_streams_per_staff' must be from 1 to server.event_streams_max")
    if not 1 <= server["event_stream_seconds"] <= 3600:
        raise ConfigError("'server.event_stream_seconds' must be from 1 to 3600")
    for host in server["trusted_hosts"]:
        if not host or any(c.isspace() or c in "/\\@" for c in host):
            raise ConfigError(f"'server.trusted_hosts' has {host!r}, which is not a host name")


def make_server(app: Flask, host: str, port: int):
    """A waitress server for ``app`` with the configured threads (``port`` 0: any free port)."""
    from waitress import create_server

    # channel_request_lookahead: waitress keeps reading sockets while a request runs, so an event
    # stream (GET /counter/events) sees its browser leave and frees the thread at once.
    return create_server(app, host=host, port=port, threads=app.config["KIOSK"]["server"]["threads"],
                         ident="kiosk", channel_request_lookahead=1)


def relative_redirects(app: Flask) -> None:
    """Keep every redirect's Location a path on this server, never a URL built from the Host header.

    Werkzeug builds the trailing-slash redirect (``/counter`` -> ``/counter/``) as an absolute URL
    from the request's Host, which a client chooses; relative, it cannot point anywhere else.
    """
    from urllib.parse import urlsplit, urlunsplit

    from flask import Response, request
    from werkzeug.exceptions import SecurityError
    from werkzeug.utils import redirect

    @app.errorhandler(SecurityError)
    def _untrusted_host(_exc):
        # The Host is not in server.trusted_hosts: no page can be built (URLs need a host), so a
        # plain answer; the client named a host this server does not serve.
        return Response("Unknown host.\n", status=400, mimetype="text/plain")

    @app.after_request
    def _relative_location(response):
        location = response.headers.get("Location")
        if location:
            parts = urlsplit(location)
            if parts.netloc and parts.netloc == request.environ.get("HTTP_HOST", parts.netloc):
                relative = urlunsplit(("", "", parts.path or "/", parts.query, parts.fragment))
                response.headers["Location"] = relative
                if response.mimetype == "text/html":  # Werkzeug's "Redirecting..." page links the URL too
                    response.set_data(redirect(relative, response.status_code).get_data())
        return response
