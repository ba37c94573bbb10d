"""All models, imported here so Alembic and the app see one metadata."""

from .audit import AuditEntry
from .catalog import Plan, PriceChange, StorePricing
from .lines import LineSnapshot
from .login_throttle import LoginThrottle
from .outbox import OutboxEntry
from .printing import PrintJob
from .refunds import Refund
from .sales import Payment, Sale, SaleCharge
from .service_state import Alert, ServiceState
from .staff import ApiToken, Staff, StaffSession
from .terminal import Terminal
from .till import CashCount, CashCountLine, CashMovement, TillCorrection, TillSession, ZReport

__all__ = ["Alert", "ApiToken", "AuditEntry", "CashCount", "CashCountLine", "CashMovement", "LineSnapshot",
           "LoginThrottle", "OutboxEntry", "Payment", "Plan", "PriceChange", "PrintJob", "Refund", "Sale", "SaleCharge",
           "ServiceState", "Staff", "StaffSession", "StorePricing", "Terminal", "TillCorrection", "TillSession",
           "ZReport"]
