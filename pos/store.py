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
class Denomination:
    """A bill or coin the till holds, e.g. ``Denomination("bill", 2000)`` for a $20 bill."""

    form: str  # "bill" | "coin"
    value_minor: int


#: US bills and coins ($1 exists as both, so a count line is keyed by form and value).
USD_DENOMINATIONS = (*(Denomination("bill", v) for v in (10000, 5000, 2000, 1000, 500, 200, 100)),
                     *(Denomination("coin", v) for v in (100, 50, 25, 10, 5, 1)))


@dataclass(frozen=True)
class TillRules:
    """How the store counts its drawer: the denominations of its currency, and the over/short (absolute,
    in minor units) above which a close needs a second manager's approval."""

    denominations: tuple[Denomination, ...] = USD_DENOMINATIONS
    approval_threshold_minor: int = 500


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
    till: TillRules = TillRules()
