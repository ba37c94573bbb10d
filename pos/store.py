"""Store settings as the core sees them: a plain value object built by the app from its config."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from zoneinfo import ZoneInfo


@dataclass(frozen=True)
class ChargeRule:
    """A fee or tax added to every sale: ``percent`` of the plan price or a ``fixed`` amount."""

    code: str
    name: str
    kind: str  # "percent" | "fixed"
    rate_percent: Decimal = Decimal(0)
    amount_minor: int = 0
    names: dict[str, str] = field(default_factory=dict)  # translations by language, e.g. {"zh": "..."}

    def name_for(self, locale: str) -> str:
        """The charge's name in ``locale``, falling back to the configured name."""
        return self.names.get((locale or "en")[:2]) or self.name


@dataclass(frozen=True)
class StoreSettings:
    """Who the store is and the rules its sales follow."""

    id: str
    name: str
    timezone: ZoneInfo
    currency: str
    default_region: str
    charges: tuple[ChargeRule, ...] = ()
    address: tuple[str, ...] = ()
    receipt_header: tuple[str, ...] = ()
    receipt_footer: tuple[str, ...] = ()
