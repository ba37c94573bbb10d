"""Validated inputs for a sale: the payment and the ID check, and the price breakdown."""

from __future__ import annotations

import re
from dataclasses import dataclass

import phonenumbers

from ..errors import DomainError
from ..models import Plan
from ..money import format_money, percent_of
from ..sensitive import refuse_card_numbers
from ..store import StoreSettings

ID_DOCUMENT_TYPES = ("passport", "national_id", "drivers_license", "residence_permit")
# ASCII digits only (\d would take any script's digits), as the database's card_last4 rule does.
_LAST4 = re.compile(r"^[0-9]{4}\Z")
_ID_LAST4 = re.compile(r"^[A-Za-z0-9]{4}$")


@dataclass(frozen=True)
class ApprovalFormat:
    """The approval codes a payment terminal prints: a pattern (matched on the upper-cased code) and an example."""

    pattern: str = r"^[A-Z0-9]{6}$"
    example: str = "A1B2C3"

    def accepts(self, code: str) -> bool:
        """True when ``code`` (already upper-cased) has the terminal's format."""
        return re.fullmatch(self.pattern, code) is not None


#: Most card terminals print six letters or digits.
DEFAULT_APPROVAL_FORMAT = ApprovalFormat()


@dataclass(frozen=True)
class CashPayment:
    """Cash handed over by the customer."""

    tendered_minor: int
    method: str = "cash"


@dataclass(frozen=True)
class CardPayment:
    """A card paid on the store's own terminal: we keep only what the slip shows."""

    approval_code: str
    last4: str
    method: str = "card"


@dataclass(frozen=True)
class IdCheck:
    """What the clerk saw of the customer's ID; nothing more than this is stored."""

    document_type: str
    country: str
    last4: str
    seen: bool


@dataclass(frozen=True)
class Charge:
    """One priced part of a sale beyond the plan price."""

    code: str
    name: str
    amount_minor: int
    names: tuple[tuple[str, str], ...] = ()

    def name_for(self, locale: str) -> str:
        """The charge's name in ``locale``, falling back to the configured name."""
        return dict(self.names).get((locale or "en")[:2]) or self.name


@dataclass(frozen=True)
class Quote:
    """Price breakdown of a plan in a store: subtotal, charges, total."""

    currency: str
    subtotal_minor: int
    charges: tuple[Charge, ...]

    @property
    def fees_minor(self) -> int:
        """All charges added together."""
        return sum(c.amount_minor for c in self.charges)

    @property
    def total_minor(self) -> int:
        """What the customer pays."""
        return self.subtotal_minor + self.fees_minor


def quote(plan: Plan, store: StoreSettings) -> Quote:
    """Price ``plan`` with the store's fee and tax rules (the one place sale arithmetic happens)."""
    charges = []
    for rule in store.charges:
        amount = percent_of(plan.price_minor, rule.rate_percent) if rule.kind == "percent" else rule.amount_minor
        charges.append(Charge(rule.code, rule.name, amount, tuple(sorted(rule.names.items()))))
    return Quote(plan.currency, plan.price_minor, tuple(charges))


def make_payment(method: str | None, *, tendered_minor: int | None = None, approval_code: str | None = None,
                 last4: str | None = None,
                 approval_format: ApprovalFormat = DEFAULT_APPROVAL_FORMAT) -> CashPayment | CardPayment:
    """Build a payment from raw fields, refusing anything that looks like a card number.

    The approval code must have the format of the terminal that charged the card (``approval_format``),
    checked on the full value as typed (in any case).
    """
    if method == "cash":
        if tendered_minor is None:
            raise DomainError("invalid_amount", "Enter the cash the customer handed over.", field="tendered")
        return CashPayment(tendered_minor)
    if method == "card":
        approval_code = (approval_code or "").strip().upper()
        last4 = (last4 or "").strip()
        refuse_card_numbers(approval_code=approval_code, last4=last4)
        if not approval_format.accepts(approval_code):
            raise DomainError("invalid_approval_code",
                              "Copy the approval code exactly as the card slip prints it, like %(example)s.",
                              field="approval_code", example=approval_format.example)
        if not _LAST4.match(last4):
            raise DomainError("invalid_last4", "Enter exactly the last four digits of the card.", field="last4")
        return CardPayment(approval_code, last4)
    raise DomainError("invalid_payment_method", "Choose cash or card.", field="method")


def confirm_tender(payment: CashPayment | CardPayment, quote: Quote, *, multiple: int,
                   confirmed_minor: int | None) -> None:
    """Refuse cash far above the total (``multiple`` times or more) unless that exact amount was confirmed.

    "10000" typed for a $16.23 sale is far more often a slip than a banknote: the clerk is asked
    "Change due $9,983.77: is that right?" and the form posts the confirmed amount back with the sale.
    """
    if not isinstance(payment, CashPayment) or payment.tendered_minor <= multiple * quote.total_minor:
        return
    if confirmed_minor == payment.tendered_minor:
        return
    raise DomainError("confirm_tender", "Change due %(change)s: is that right?", field="tendered",
                      change=format_money(payment.tendered_minor - quote.total_minor, quote.currency),
                      tendered_minor=payment.tendered_minor)


def make_id_check(document_type: str | None, country: str | None, last4: str | None,
                  seen: bool) -> IdCheck:
    """Validate an ID check: a known document type, an issuing country, four characters, seen in person."""
    document_type = (document_type or "").strip()
    country = (country or "").strip().upper()
    last4 = (last4 or "").strip().upper()
    refuse_card_numbers(id_last4=last4, id_country=country)
    if document_type not in ID_DOCUMENT_TYPES:
        raise DomainError("id_check_invalid", "Choose the kind of ID document.", field="document_type")
    if country not in phonenumbers.SUPPORTED_REGIONS:
        raise DomainError("id_check_invalid", "Choose the country that issued the ID.", field="country")
    if not _ID_LAST4.match(last4):
        raise DomainError("id_check_invalid", "Enter the last four characters of the document number.",
                          field="id_last4")
    if not seen:
        raise DomainError("id_check_invalid", "Confirm that you saw the ID in person.", field="seen")
    return IdCheck(document_type, country, last4, True)
