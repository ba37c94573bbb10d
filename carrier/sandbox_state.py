"""Everything the sandbox carrier remembers, behind one lock.

Renewals move PROCESSING -> COMPLETED lazily: every read first settles the renewals whose
processing time has passed, so no background thread is needed.
"""

from __future__ import annotations

import random
import threading
import time
from collections import Counter
from datetime import UTC, datetime, timedelta

from carrier.models import COMPLETED, DECLINED, PROCESSING, REVERSED, format_timestamp, parse_timestamp
from carrier.sandbox_catalog import CURRENCY, SandboxLine, demo_lines, demo_plans
from carrier.sandbox_faults import Faults, TokenBucket
from carrier.sandbox_problems import UNKNOWN, SandboxProblem, validation_failed
from carrier.sandbox_renewals import SandboxRenewal
from carrier.sandbox_rules import LINE_NOT_ELIGIBLE, RECENTLY_RENEWED, judge_renewal

LINE_STATUSES = ("ACTIVE", "GRACE", "EXPIRED", "SUSPENDED", "TERMINATED")
#: Problems of a renewal that a check answers as a refusal (200, eligible false) rather than as an error.
CHECK_REFUSALS = frozenset({"LINE_NOT_FOUND", "PLAN_UNAVAILABLE", "PRICE_CHANGED"})
_REFUSAL_DETAIL = {LINE_NOT_ELIGIBLE: "the line is terminated",
                   RECENTLY_RENEWED: "the line was renewed with this plan moments ago"}


class SandboxState:
    """Lines, plans, renewals, the idempotency store, the ledger and the fault knobs."""

    def __init__(self, faults: Faults, seed: int | None = None) -> None:
        self.lock = threading.RLock()
        self.faults = faults
        self.random = random.Random(seed)
        self.plans = demo_plans()
        self.lines = demo_lines(self.now())
        self.renewals: dict[str, SandboxRenewal] = {}
        self.by_key: dict[str, str] = {}  # Idempotency-Key -> renewal_id
        self.in_flight: set[str] = set()
        self.ledger: list[dict] = []
        self.posts_per_key: Counter[str] = Counter()
        self._bucket = TokenBucket(faults.rate_limit, time.monotonic())
        self._next_id = 1

    @staticmethod
    def now() -> datetime:
        """The sandbox's clock (aware UTC)."""
        return datetime.now(UTC)

    # -- faults ---------------------------------------------------------------------------------
    def update_faults(self, changes: dict) -> dict:
        """Apply a partial fault update and return all knobs."""
        with self.lock:
            self.faults.update(changes)
            if "rate_limit" in changes:
                self._bucket = TokenBucket(self.faults.rate_limit, time.monotonic())
            return self.faults.to_json()

    def take_token(self) -> float | None:
        """None when the rate limit allows this request, else the seconds to wait."""
        with self.lock:
            return self._bucket.take(time.monotonic())

    def roll(self, rate: float) -> bool:
        """True with probability `rate`, from the seeded generator."""
        with self.lock:
            return rate > 0 and self.random.random() < rate

    def pick(self, choices: list):
        """One of `choices`, from the seeded generator."""
        with self.lock:
            return self.random.choice(choices)

    # -- lines and plans ------------------------------------------------------------------------
    def find_line(self, ident: str) -> SandboxLine:
        """The line with this MSISDN or ICCID, or 404 LINE_NOT_FOUND."""
        with self.lock:
            line = self.lines.get(ident)
            if line is None:
                line = next((ln for ln in self.lines.values() if ln.iccid and ln.iccid == ident), None)
            if line is None:
                raise SandboxProblem(404, "LINE_NOT_FOUND", f"no line {ident}")
            return line

    def line_json(self, ident: str) -> dict:
        """GET /v1/lines/{line}."""
        with self.lock:
            self.settle()
            line = self.find_line(ident)
            eligible = [] if line.status == "TERMINATED" else sorted(self.plans)
            return {
                "line": ident,
                "msisdn": line.msisdn,
                "iccid": line.iccid,
                "status": line.status,
                "expires_at": _stamp(line.expires_at),
                "balances": {"data_mb": line.data_mb, "voice_min": line.voice_min, "sms": line.sms},
                "eligible_plan_ids": eligible,
            }

    def plans_json(self) -> dict:
        """GET /v1/plans."""
        with self.lock:
            return {"plans": [plan.to_json() for plan in self.plans.values()]}

    def add_line(self, body: dict) -> dict:
        """POST /_sandbox/lines {line, status, expires_at[, iccid]}: add or replace a line."""
        if not isinstance(body, dict):
            raise validation_failed({"body": "must be a JSON object"})
        errors = {}
        msisdn, status, iccid = body.get("line"), body.get("status"), body.get("iccid")
        if not isinstance(msisdn, str) or not msisdn.startswith("+") or not msisdn[1:].isdigit():
            errors["line"] = "E.164 number such as +14155550199"
        if status not in LINE_STATUSES:
            errors["status"] = f"one of {', '.join(LINE_STATUSES)}"
        if iccid is not None and not (isinstance(iccid, str) and iccid.isdigit()):
            errors["iccid"] = "digits"
        try:
            expires_at = None if body.get("expires_at") is None else parse_timestamp(body["expires_at"])
        except (TypeError, ValueError):
            errors["expires_at"] = "RFC 3339 timestamp with a timezone, or null"
        if errors:
            raise validation_failed(errors)
        with self.lock:
            self.lines[msisdn] = SandboxLine(msisdn, iccid, status, expires_at, 1024, 10, 10)
        return self.line_json(msisdn)

    def set_price(self, plan_id: str, body: dict) -> dict:
        """POST /_sandbox/plans/{id}/price {price_version, wholesale_minor}: a new current price."""
        version = body.get("price_version") if isinstance(body, dict) else None
        amount = body.get("wholesale_minor") if isinstance(body, dict) else None
        if not isinstance(version, str) or not isinstance(amount, int) or isinstance(amount, bool):
            raise validation_failed({"body": "{price_version: text, wholesale_minor: integer}"})
        with self.lock:
            plan = self.plans.get(plan_id)
            if plan is None:
                raise SandboxProblem(404, "PLAN_UNAVAILABLE", f"no plan {plan_id}")
            plan.prices.append((version, amount))
            return plan.to_json()

    # -- renewals -------------------------------------------------------------------------------
    def settle(self) -> None:
        """Complete every PROCESSING renewal whose processing time has passed, oldest first."""
        with self.lock:
            now = self.now()
            due = [r for r in self.renewals.values() if r.status == PROCESSING and r.complete_at <= now]
            for renewal in sorted(due, key=lambda r: r.complete_at):
                line, plan = self.lines[renewal.msisdn], self.plans[renewal.plan_id]
                start = max(renewal.complete_at, line.expires_at or renewal.complete_at)
                renewal.expires_at_before = line.expires_at
                renewal.expires_at_after = start + timedelta(days=plan.validity_days)
                renewal.status, renewal.updated_at = COMPLETED, renewal.complete_at
                # A renewal restores service: an expired, grace or suspended line becomes active.
                line.status, line.expires_at = "ACTIVE", renewal.expires_at_after
                line.data_mb, line.voice_min, line.sms = plan.data_mb, plan.voice_min, plan.sms

    def count_post(self, key: str | None) -> None:
        """Record that a POST /v1/renewals arrived with this key (before any fault is applied)."""
        with self.lock:
            self.posts_per_key[key or "(none)"] += 1

    def claim(self, key: str, fingerprint: str) -> SandboxRenewal | None:
        """Mark key in flight and return None, or return the renewal a replay should answer with."""
        with self.lock:
            self.settle()
            if key in self.in_flight:
                raise SandboxProblem(
                    409, "REQUEST_IN_PROGRESS", f"a request with key {key} is being processed",
                    outcome=UNKNOWN, retryable=True, headers={"Retry-After": "1"},
                )  # fmt: skip
            renewal_id = self.by_key.get(key)
            if renewal_id is None:
                self.in_flight.add(key)
                return None
            renewal = self.renewals[renewal_id]
            if renewal.fingerprint != fingerprint:
                raise SandboxProblem(
                    422, "IDEMPOTENCY_KEY_REUSED",
                    f"key {key} was used for a different request (renewal {renewal_id})",
                )  # fmt: skip
            return renewal

    def release(self, key: str) -> None:
        """The request holding key in flight has finished, applied or not."""
        with self.lock:
            self.in_flight.discard(key)

    def apply(self, checked: dict, fingerprint: str) -> SandboxRenewal:
        """Decide and record a new renewal; problems raised here leave the key unused."""
        with self.lock:
            now = self.now()
            verdict = judge_renewal(self, checked["line"], checked["plan_id"], checked["max_wholesale"],
                                    checked["external_id"], now)
            line, plan, reason = verdict.line, verdict.plan, verdict.reason
            balance = self.faults.balance_minor
            if reason is None and balance is not None and balance < plan.wholesale_minor:
                raise SandboxProblem(
                    402, "INSUFFICIENT_FUNDS", f"balance {balance} < {plan.wholesale_minor}",
                    retryable=True,
                )  # fmt: skip
            renewal = SandboxRenewal(
                renewal_id=f"rn_{self._next_id:06d}", external_id=checked["external_id"],
                line=checked["line"], msisdn=line.msisdn, plan_id=plan.plan_id,
                price_version=plan.price_version, wholesale_minor=plan.wholesale_minor,
                currency=CURRENCY, status=DECLINED if reason else PROCESSING, reason=reason,
                created_at=now, fingerprint=fingerprint,
            )  # fmt: skip
            self._next_id += 1
            self.renewals[renewal.renewal_id] = renewal
            self.by_key[renewal.external_id] = renewal.renewal_id
            if reason is None:
                if balance is not None:
                    self.faults.balance_minor = balance - plan.wholesale_minor
                renewal.complete_at = now + timedelta(seconds=self.faults.processing_delay_s)
                self.ledger.append(
                    {"renewal_id": renewal.renewal_id, "external_id": renewal.external_id,
                     "line": line.msisdn, "plan_id": plan.plan_id,
                     "wholesale_minor": plan.wholesale_minor, "applied_at": _stamp(now)}
                )  # fmt: skip
                self.settle()
            return renewal

    def check(self, checked: dict) -> dict:
        """POST /v1/renewals/check: what apply() would decide now, recording nothing.

        The account balance is not part of the answer: a renewal refused for funds waits in the
        store's queue and goes through after a top-up, so it is no reason to turn the customer away.
        """
        with self.lock:
            self.settle()
            try:
                verdict = judge_renewal(self, checked["line"], checked["plan_id"], checked["max_wholesale"],
                                        None, self.now())
            except SandboxProblem as problem:
                if problem.code not in CHECK_REFUSALS:
                    raise
                return {"eligible": False, "code": problem.code, "detail": problem.detail, **problem.extra}
            plan = verdict.plan
            answer = {"eligible": verdict.reason is None, "plan_id": plan.plan_id,
                      "price_version": plan.price_version,
                      "wholesale": {"amount_minor": plan.wholesale_minor, "currency": CURRENCY}}
            if verdict.reason is not None:
                answer.update(code=verdict.reason, detail=_REFUSAL_DETAIL[verdict.reason])
            if verdict.earlier is not None:
                answer["renewed_at"] = _stamp(verdict.earlier.created_at)
                answer["renewal"] = {"renewal_id": verdict.earlier.renewal_id,
                                     "external_id": verdict.earlier.external_id}
            return answer

    def renewal(self, renewal_id: str) -> SandboxRenewal:
        """The renewal with this id, or 404 RENEWAL_NOT_FOUND."""
        with self.lock:
            self.settle()
            renewal = self.renewals.get(renewal_id)
            if renewal is None:
                raise SandboxProblem(404, "RENEWAL_NOT_FOUND", f"no renewal {renewal_id}")
            return renewal

    def renewals_for(self, external_id: str) -> list[dict]:
        """GET /v1/renewals?external_id=...: zero or one renewal, as JSON."""
        with self.lock:
            self.settle()
            renewal_id = self.by_key.get(external_id)
            return [] if renewal_id is None else [self.renewals[renewal_id].to_json()]

    def reverse(self, renewal_id: str) -> dict:
        """Undo a COMPLETED renewal: REVERSED, the balance refunded, the line's expiry put back."""
        with self.lock:
            renewal = self.renewal(renewal_id)
            if renewal.status != COMPLETED:
                raise SandboxProblem(409, "NOT_REVERSIBLE", f"renewal is {renewal.status}")
            renewal.status, renewal.updated_at = REVERSED, self.now()
            if self.faults.balance_minor is not None:
                self.faults.balance_minor += renewal.wholesale_minor
            line = self.lines[renewal.msisdn]
            if line.expires_at == renewal.expires_at_after:
                line.expires_at = renewal.expires_at_before
            return renewal.to_json()

    # -- inspection -----------------------------------------------------------------------------
    def ledger_json(self) -> dict:
        """GET /_sandbox/ledger: applied renewals, POST arrivals per key, external ids applied twice."""
        with self.lock:
            applied = Counter(entry["external_id"] for entry in self.ledger)
            return {
                "applied": list(self.ledger),
                "posts_per_key": dict(self.posts_per_key),
                "duplicates": sorted(key for key, count in applied.items() if count > 1),
            }

    def state_json(self) -> dict:
        """GET /_sandbox/state: everything, for debugging."""
        with self.lock:
            self.settle()
            return {
                "faults": self.faults.to_json(),
                "lines": [self.line_json(msisdn) for msisdn in self.lines],
                "plans": self.plans_json()["plans"],
                "renewals": [r.to_json() for r in self.renewals.values()],
                "in_flight": sorted(self.in_flight),
                "ledger": self.ledger_json(),
            }


def _stamp(moment: datetime | None) -> str | None:
    return None if moment is None else format_timestamp(moment)
