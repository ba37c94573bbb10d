"""The sandbox's renewal rules, in one function that both POST /v1/renewals and the side-effect-free
POST /v1/renewals/check call, so a check can never say yes to a renewal the sandbox would refuse."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from carrier.models import COMPLETED, PROCESSING
from carrier.sandbox_catalog import CURRENCY, SandboxLine, SandboxPlan
from carrier.sandbox_problems import SandboxProblem, validation_failed
from carrier.sandbox_renewals import SandboxRenewal

#: Reasons a renewal is recorded as DECLINED (a check reports them as refusals too).
LINE_NOT_ELIGIBLE = "LINE_NOT_ELIGIBLE"
RECENTLY_RENEWED = "RECENTLY_RENEWED"


@dataclass(frozen=True)
class Verdict:
    """What the rules say about one renewal: the line and plan, and why it would be declined (or None)."""

    line: SandboxLine
    plan: SandboxPlan
    reason: str | None
    earlier: SandboxRenewal | None = None  # the renewal that makes this one RECENTLY_RENEWED


def judge_renewal(state, line_ident: str, plan_id: str, max_wholesale: dict, external_id: str | None,
                  now: datetime) -> Verdict:
    """Apply the renewal rules under the state's lock (the caller holds it).

    Raises SandboxProblem for LINE_NOT_FOUND, PLAN_UNAVAILABLE, a cap in another currency and
    PRICE_CHANGED; returns a Verdict whose reason is LINE_NOT_ELIGIBLE or RECENTLY_RENEWED when the
    renewal would be recorded as DECLINED. ``external_id`` is None for a check (no renewal of its own).
    """
    line = state.find_line(line_ident)
    plan = state.plans.get(plan_id)
    if plan is None:
        raise SandboxProblem(422, "PLAN_UNAVAILABLE", f"no plan {plan_id}")
    if max_wholesale["currency"] != CURRENCY:
        raise validation_failed({"max_wholesale": f"currency must be {CURRENCY}"})
    if max_wholesale["amount_minor"] < plan.wholesale_minor:
        raise SandboxProblem(
            409, "PRICE_CHANGED", f"{plan.plan_id} costs {plan.wholesale_minor} since {plan.price_version}",
            extra={"price_version": plan.price_version,
                   "wholesale": {"amount_minor": plan.wholesale_minor, "currency": CURRENCY}},
        )  # fmt: skip
    if line.status == "TERMINATED":
        return Verdict(line, plan, LINE_NOT_ELIGIBLE)
    earlier = _recent_renewal(state, line.msisdn, plan.plan_id, external_id, now)
    if earlier is not None:
        return Verdict(line, plan, RECENTLY_RENEWED, earlier)
    return Verdict(line, plan, None)


def _recent_renewal(state, msisdn: str, plan_id: str, external_id: str | None,
                    now: datetime) -> SandboxRenewal | None:
    window = timedelta(seconds=state.faults.recent_renewal_window_s)
    recent = [
        r for r in state.renewals.values()
        if r.msisdn == msisdn and r.plan_id == plan_id and r.external_id != external_id
        and r.status in (PROCESSING, COMPLETED) and now - r.created_at < window
    ]  # fmt: skip
    return max(recent, key=lambda r: r.created_at) if recent else None
