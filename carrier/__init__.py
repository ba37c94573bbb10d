"""The carrier API: a client for protocol v1 and a sandbox carrier server. Imports nothing of ours.

See docs/carrier.md for the protocol, the sandbox and the error classification.
"""

from carrier.client import CarrierClient
from carrier.errors import EXECUTED, NOT_EXECUTED, UNKNOWN, CarrierError
from carrier.models import (
    COMPLETED,
    DECLINED,
    FAILED,
    PROCESSING,
    REVERSED,
    Balances,
    LineStatus,
    Money,
    Plan,
    RenewalCheck,
    RenewalRequest,
    RenewalResult,
)

__all__ = [
    "COMPLETED",
    "DECLINED",
    "EXECUTED",
    "FAILED",
    "NOT_EXECUTED",
    "PROCESSING",
    "REVERSED",
    "UNKNOWN",
    "Balances",
    "CarrierClient",
    "CarrierError",
    "LineStatus",
    "Money",
    "Plan",
    "RenewalCheck",
    "RenewalRequest",
    "RenewalResult",
]
