"""All models, imported here so Alembic and the app see one metadata."""

from .audit import AuditEntry
from .catalog import Plan
from .lines import LineSnapshot
from .outbox import OutboxEntry
from .printing import PrintJob
from .sales import Payment, Sale, SaleCharge
from .staff import ApiToken, Staff
from .terminal import Terminal

__all__ = ["ApiToken", "AuditEntry", "LineSnapshot", "OutboxEntry", "Payment", "Plan", "PrintJob", "Sale",
           "SaleCharge", "Staff", "Terminal"]
