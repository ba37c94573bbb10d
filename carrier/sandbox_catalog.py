"""The sandbox carrier's demo plans and lines: one line in every state, five US plans.

Prices are USD minor units. Each plan keeps its price history so a store holding an old
price_version can be told PRICE_CHANGED.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

CURRENT_PRICE_VERSION = "2026-11-01"
PREVIOUS_PRICE_VERSION = "2026-08-01"
CURRENCY = "USD"


@dataclass
class SandboxPlan:
    """A plan as the sandbox keeps it: the last entry of prices is the current (version, wholesale)."""

    plan_id: str
    validity_days: int
    data_mb: int
    voice_min: int
    sms: int
    retail_minor: int
    requires_id: bool
    names: dict[str, str]
    prices: list[tuple[str, int]] = field(default_factory=list)

    @property
    def price_version(self) -> str:
        """The current price version."""
        return self.prices[-1][0]

    @property
    def wholesale_minor(self) -> int:
        """The current wholesale price."""
        return self.prices[-1][1]

    def to_json(self) -> dict:
        """The GET /v1/plans entry."""
        return {
            "plan_id": self.plan_id,
            "price_version": self.price_version,
            "wholesale": {"amount_minor": self.wholesale_minor, "currency": CURRENCY},
            "suggested_retail": {"amount_minor": self.retail_minor, "currency": CURRENCY},
            "validity_days": self.validity_days,
            "data_mb": self.data_mb,
            "voice_min": self.voice_min,
            "sms": self.sms,
            "requires_id": self.requires_id,
            "names": dict(self.names),
        }


@dataclass
class SandboxLine:
    """A line as the sandbox keeps it; renewals move expires_at and restore ACTIVE."""

    msisdn: str
    iccid: str | None
    status: str
    expires_at: datetime | None
    data_mb: int = 0
    voice_min: int = 0
    sms: int = 0


def demo_plans() -> dict[str, SandboxPlan]:
    """Fresh copies of the five demo plans, keyed by plan_id."""

    def plan(plan_id, days, data_mb, voice, sms, retail, requires_id, names, old, new):
        return SandboxPlan(
            plan_id, days, data_mb, voice, sms, retail, requires_id, names,
            [(PREVIOUS_PRICE_VERSION, old), (CURRENT_PRICE_VERSION, new)],
        )  # fmt: skip

    plans = [
        plan("US-7D-5GB", 7, 5120, 100, 100, 1500, False,
             {"en": "USA 7 days 5 GB", "zh": "美国 7天 5GB", "es": "EE. UU. 7 días 5 GB"}, 950, 1000),
        plan("US-15D-10GB", 15, 10240, 300, 300, 2500, False,
             {"en": "USA 15 days 10 GB", "zh": "美国 15天 10GB", "es": "EE. UU. 15 días 10 GB"},
             1650, 1700),
        plan("US-30D-20GB", 30, 20480, 1000, 1000, 3500, True,
             {"en": "USA 30 days 20 GB", "zh": "美国 30天 20GB", "es": "EE. UU. 30 días 20 GB"},
             2300, 2400),
        plan("US-30D-UNL", 30, -1, -1, -1, 4500, True,
             {"en": "USA 30 days unlimited", "zh": "美国 30天 无限流量", "es": "EE. UU. 30 días ilimitado"},
             3000, 3100),
        plan("US-90D-50GB", 90, 51200, 3000, 3000, 9900, True,
             {"en": "USA 90 days 50 GB", "zh": "美国 90天 50GB", "es": "EE. UU. 90 días 50 GB"},
             6700, 6900),
    ]  # fmt: skip
    return {p.plan_id: p for p in plans}


def demo_lines(now: datetime) -> dict[str, SandboxLine]:
    """Fresh demo lines, one per state, with expiries relative to `now`; keyed by MSISDN."""
    day = timedelta(days=1)
    lines = [
        SandboxLine("+14155550123", "89014103211118510720", "ACTIVE", now + 10 * day, 2048, 40, 25),
        SandboxLine("+14155550124", "89014103211118510738", "GRACE", now - 3 * day, 0, 0, 0),
        SandboxLine("+14155550125", "89014103211118510746", "EXPIRED", now - 40 * day, 0, 0, 0),
        SandboxLine("+14155550126", "89014103211118510753", "SUSPENDED", now + 5 * day, 512, 10, 0),
        SandboxLine("+14155550127", "89014103211118510761", "TERMINATED", now - 200 * day, 0, 0, 0),
        # A Chinese number roaming on the US network: lines are not always US numbers.
        SandboxLine("+8613800138000", "89014103211118510779", "ACTIVE", now + 20 * day, 4096, 80, 50),
    ]
    return {line.msisdn: line for line in lines}
