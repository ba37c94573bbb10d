"""All models, imported here so Alembic and the app see one metadata."""

from .audit import AuditEntry
from .catalog import Plan
from .lines import LineSnapshot
from .login_throttle import LoginThrottle
from .outbox import OutboxEntry
from .printing import PrintJob
from .sales import Payment, Sale, SaleCharge
from .service_state import Alert, ServiceState
from .staff import ApiToken, Staff, StaffSession
from .terminal import Terminal

__all__ = ["Alert", "ApiToken", "AuditEntry", "LineSnapshot", "LoginThrottle", "OutboxEntry", "Payment", "Plan",
           "PrintJob", "Sale", "SaleCharge", "ServiceState", "Staff", "StaffSession", "Terminal"]
