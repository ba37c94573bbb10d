"""Value objects exchanged with the carrier (protocol v1).

They are frozen so a result read from the carrier cannot be edited on its way into the database; the
carrier package keeps its own tiny Money type because it imports nothing else of ours.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from types import MappingProxyType

PROCESSING = "PROCESSING"
COMPLETED = "COMPLETED"
DECLINED = "DECLINED"
FAILED = "FAILED"
REVERSED = "REVERSED"
RENEWAL_STATUSES = frozenset({PROCESSING, COMPLETED, DECLINED, FAILED, REVERSED})

LINE_STATUSES = frozenset({"ACTIVE", "GRACE", "EXPIRED", "SUSPENDED", "TERMINATED"})

# The sandbox and the client agree on this shape so an id survives headers, URLs and logs untouched.
EXTERNAL_ID_PATTERN = re.compile(r"^[A-Za-z0-9._:-]{1,40}$")

UNLIMITED = -1  # data_mb, voice_min and sms use -1 for "unlimited"


@dataclass(frozen=True)
class Money:
    """An amount in integer minor units (cents) with its ISO 4217 currency."""

    amount_minor: int
    currency: str

    def to_json(self) -> dict:
        """The protocol's {amount_minor, currency} object."""
        return {"amount_minor": self.amount_minor, "currency": self.currency}


@dataclass(frozen=True)
class Plan:
    """A plan as the carrier sells it; prices are versioned by price_version."""

    plan_id: str
    price_version: str
    wholesale: Money
    suggested_retail: Money | None
    validity_days: int
    data_mb: int
    voice_min: int
    sms: int
    requires_id: bool
    # A read-only view: the dataclass is frozen and its names should be too.
    names: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}), hash=False)

    def name(self, language: str, fallback: str = "en") -> str:
        """The plan's name in `language`, else in `fallback`, else its id."""
        return self.names.get(language) or self.names.get(fallback) or self.plan_id


@dataclass(frozen=True)
class Balances:
    """What is left on a line; -1 means unlimited, None means the carrier did not say."""

    data_mb: int | None
    voice_min: int | None
    sms: int | None


@dataclass(frozen=True)
class LineStatus:
    """A line's state at the carrier: ACTIVE, GRACE, EXPIRED, SUSPENDED or TERMINATED."""

    line: str
    msisdn: str | None
    iccid: str | None
    status: str
    expires_at: datetime | None
    balances: Balances
    eligible_plan_ids: tuple[str, ...]


@dataclass(frozen=True)
class RenewalRequest:
    """What the store asks the carrier to do; external_id is the sale's permanent idempotency key."""

    external_id: str
    line: str
    plan_id: str
    price_version: str
    max_wholesale: Money
    store_id: str
    terminal_id: str
    sold_at: datetime

    def __post_init__(self) -> None:
        # These are programming errors, not carrier answers: fail before anything leaves the store.
        if not EXTERNAL_ID_PATTERN.match(self.external_id):
            raise ValueError("external_id must be 1-40 characters of A-Z a-z 0-9 . _ : -")
        if self.sold_at.tzinfo is None or self.sold_at.utcoffset() is None:
            raise ValueError("sold_at must be timezone-aware")

    def to_json(self) -> dict:
        """The POST /v1/renewals body; the same request always gives the same body (replays match)."""
        return {
            "external_id": self.external_id,
            "line": self.line,
            "plan_id": self.plan_id,
            "price_version": self.price_version,
            "max_wholesale": self.max_wholesale.to_json(),
            "store_id": self.store_id,
            "terminal_id": self.terminal_id,
            "sold_at": format_timestamp(self.sold_at),
        }


@dataclass(frozen=True)
class RenewalResult:
    """The carrier's record of one renewal; replayed is True when it answered an idempotent replay."""

    renewal_id: str
    external_id: str
    status: str
    line: str | None
    plan_id: str | None
    wholesale: Money | None
    expires_at_after: datetime | None
    reason: str | None
    created_at: datetime | None
    replayed: bool = False

    @property
    def is_final(self) -> bool:
        """True unless the carrier is still PROCESSING (REVERSED can still follow COMPLETED)."""
        return self.status != PROCESSING


@dataclass(frozen=True)
class RenewalCheck:
    """The carrier's answer to "would this renewal go through now?" (POST /v1/renewals/check).

    ``code`` is None when eligible, else RECENTLY_RENEWED, LINE_NOT_ELIGIBLE, PRICE_CHANGED,
    LINE_NOT_FOUND or PLAN_UNAVAILABLE. For RECENTLY_RENEWED, ``renewed_at`` and the earlier renewal's
    ids say which renewal stands in the way (its external id is the store's own sale id); for
    PRICE_CHANGED, ``price_version`` and ``wholesale`` are the new price.
    """

    eligible: bool
    code: str | None = None
    detail: str = ""
    price_version: str | None = None
    wholesale: Money | None = None
    renewed_at: datetime | None = None
    earlier_renewal_id: str | None = None
    earlier_external_id: str | None = None


def format_timestamp(moment: datetime) -> str:
    """An aware datetime as RFC 3339 in UTC with a Z suffix, the protocol's one timestamp form."""
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def parse_timestamp(text: str) -> datetime:
    """An RFC 3339 timestamp as an aware datetime; raises ValueError for naive or malformed text."""
    if not isinstance(text, str):
        raise ValueError("timestamp must be a string")
    moment = datetime.fromisoformat(text.replace("Z", "+00:00").replace("z", "+00:00"))
    if moment.tzinfo is None:
        raise ValueError("timestamp has no timezone")
    return moment
