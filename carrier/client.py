"""CarrierClient: one call, one HTTP request, carrier protocol v1 over urllib3.

The client never retries by itself. It says what happened (CarrierError.outcome, .retryable,
.retry_after) and leaves the decision to the sync service, which owns the outbox and the backoff.
"""

from __future__ import annotations

import json as _json
import ssl
from typing import Any
from urllib.parse import quote, urlencode

import urllib3
from urllib3.exceptions import (
    ConnectTimeoutError,
    DecodeError,
    EmptyPoolError,
    HTTPError,
    LocationValueError,
    NewConnectionError,
    ProtocolError,
    ReadTimeoutError,
    SSLError,
)

from carrier.errors import (
    CARRIER_TIMEOUT,
    CARRIER_UNREACHABLE,
    CONNECTION_LOST,
    NOT_EXECUTED,
    TLS_ERROR,
    UNKNOWN,
    CarrierError,
)
from carrier.models import LineStatus, Money, Plan, RenewalCheck, RenewalRequest, RenewalResult
from carrier.responses import (
    bad_response,
    error_from_response,
    json_object,
    parse_check,
    parse_line,
    parse_list,
    parse_one,
    parse_plan,
    parse_renewal,
)

USER_AGENT = "simkiosk-carrier/1"


class CarrierClient:
    """A connection-pooling client for one carrier account; close() it (or use `with`) when done."""

    def __init__(
        self,
        base_url: str,
        api_key: str,
        *,
        connect_timeout: float = 2.0,
        read_timeout: float = 5.0,
        verify: bool | str | ssl.SSLContext = True,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self._headers = {
            "Authorization": f"Bearer {api_key}",
            "Accept": "application/json, application/problem+json",
            "User-Agent": USER_AGENT,
        }
        tls: dict[str, Any] = {}
        if isinstance(verify, ssl.SSLContext):
            tls["ssl_context"] = verify
        elif isinstance(verify, str):
            tls["ca_certs"] = verify
        elif verify is False:
            tls["cert_reqs"] = "CERT_NONE"
        # urllib3 rather than httpx: a third of the CPU per request, which bounds a wide sync worker.
        # retries=False: one call is one request, the caller decides what a failure means.
        self._http = urllib3.PoolManager(
            num_pools=4,
            maxsize=64,  # every thread of a wide sync worker keeps its connection alive
            retries=False,
            timeout=urllib3.Timeout(connect=connect_timeout, read=read_timeout),
            **tls,
        )

    def close(self) -> None:
        """Close pooled connections."""
        self._http.clear()

    def __enter__(self) -> CarrierClient:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def list_plans(self) -> tuple[Plan, ...]:
        """The carrier's current plans with their price versions (GET /v1/plans)."""
        response = self._send("GET", "/v1/plans")
        return tuple(parse_list(json_object(response), "plans", parse_plan, response.status_code))

    def get_line(self, line: str) -> LineStatus:
        """A line's status by E.164 number or ICCID (GET /v1/lines/{line}); 404 is LINE_NOT_FOUND."""
        response = self._send("GET", f"/v1/lines/{quote(line, safe='+')}")
        return parse_one(json_object(response), parse_line, response.status_code)

    def check_renewal(self, line: str, plan_id: str, price_version: str, max_wholesale: Money) -> RenewalCheck:
        """Would this renewal go through now? (POST /v1/renewals/check; the carrier records nothing).

        A refusal is an answer (``eligible`` False with its ``code``), not an error; CarrierError
        means the carrier gave no usable answer, and the caller decides without it.
        """
        body = {"line": line, "plan_id": plan_id, "price_version": price_version,
                "max_wholesale": max_wholesale.to_json()}
        response = self._send("POST", "/v1/renewals/check", json=body)
        return parse_one(json_object(response), parse_check, response.status_code)

    def create_renewal(self, request: RenewalRequest) -> RenewalResult:
        """Ask for a renewal, keyed by request.external_id; a replay returns the original renewal.

        A CarrierError with outcome 'unknown' means the renewal may exist: call find_renewal()
        before sending it again.
        """
        response = self._send(
            "POST",
            "/v1/renewals",
            json=request.to_json(),
            headers={"Idempotency-Key": request.external_id},
        )
        replayed = response.headers.get("Idempotent-Replayed", "").strip().lower() == "true"
        result = parse_one(json_object(response), lambda item: parse_renewal(item, replayed), response.status_code)
        if result.external_id != request.external_id:
            raise bad_response(
                f"asked for {request.external_id!r}, carrier answered for {result.external_id!r}",
                response.status_code,
            )
        return result

    def find_renewal(self, external_id: str) -> RenewalResult | None:
        """The renewal sent under external_id, or None only when the carrier says it has none.

        None is a positive answer (a 200 with an empty list): every doubt raises CarrierError, so
        None is safe grounds for sending the renewal (again).
        """
        response = self._send("GET", "/v1/renewals", params={"external_id": external_id})
        results = parse_list(json_object(response), "renewals", parse_renewal, response.status_code)
        if not results:
            return None
        if len(results) > 1:
            raise bad_response(f"carrier holds {len(results)} renewals for {external_id!r}", 200)
        if results[0].external_id != external_id:
            raise bad_response(f"lookup of {external_id!r} returned {results[0].external_id!r}", 200)
        return results[0]

    def get_renewal(self, renewal_id: str) -> RenewalResult:
        """One renewal by the carrier's id (GET /v1/renewals/{id}); 404 is RENEWAL_NOT_FOUND."""
        response = self._send("GET", f"/v1/renewals/{quote(renewal_id, safe='')}")
        return parse_one(json_object(response), parse_renewal, response.status_code)

    def _send(self, method: str, path: str, *, json: dict | None = None, params: dict | None = None,
              headers: dict | None = None) -> Response:
        """One request; transport failures and non-2xx answers become CarrierError."""
        url = self.base_url + path + (f"?{urlencode(params)}" if params else "")
        all_headers = dict(self._headers, **(headers or {}))
        body = None
        if json is not None:
            body = _json.dumps(json).encode()
            all_headers["Content-Type"] = "application/json"
        try:
            raw = self._http.request(method, url, body=body, headers=all_headers, redirect=False,
                                     preload_content=True)
        except (NewConnectionError, ConnectTimeoutError) as exc:
            if _caused_by_tls(exc):
                raise CarrierError(TLS_ERROR, str(exc), NOT_EXECUTED, False) from exc
            raise CarrierError(CARRIER_UNREACHABLE, str(exc) or "connect failed", NOT_EXECUTED, True) from exc
        except SSLError as exc:
            # A certificate problem will not fix itself by retrying; someone must look.
            raise CarrierError(TLS_ERROR, str(exc), NOT_EXECUTED, False) from exc
        except EmptyPoolError as exc:
            # Never left the pool, so never reached the carrier.
            raise CarrierError(CARRIER_UNREACHABLE, "no free connection", NOT_EXECUTED, True) from exc
        except ReadTimeoutError as exc:
            raise CarrierError(CARRIER_TIMEOUT, f"{type(exc).__name__}: {exc}", UNKNOWN, True) from exc
        except LocationValueError as exc:
            raise CarrierError("BAD_CONFIGURATION", str(exc), NOT_EXECUTED, False) from exc
        except DecodeError as exc:
            raise bad_response(f"undecodable body: {exc}") from exc
        except (ProtocolError, HTTPError) as exc:
            # Reset, early close, protocol error: the request may have been read and acted on.
            raise CarrierError(CONNECTION_LOST, f"{type(exc).__name__}: {exc}", UNKNOWN, True) from exc
        response = Response(raw.status, raw.headers, raw.data)
        if not response.is_success:
            raise error_from_response(response)
        return response


class Response:
    """What the parsers need of an HTTP answer: status, headers, a JSON body."""

    def __init__(self, status_code: int, headers, content: bytes) -> None:
        self.status_code, self.headers, self.content = status_code, headers, content

    @property
    def is_success(self) -> bool:
        """A 2xx answer."""
        return 200 <= self.status_code < 300

    def json(self) -> Any:
        """The body parsed as JSON; ValueError when it is not."""
        return _json.loads(self.content.decode("utf-8"))


def _caused_by_tls(exc: BaseException) -> bool:
    seen: BaseException | None = exc
    for _ in range(10):  # exception chains can loop; ten links is far deeper than urllib3 goes
        if seen is None:
            return False
        if isinstance(seen, ssl.SSLError):
            return True
        seen = seen.__cause__ or seen.__context__
    return False
