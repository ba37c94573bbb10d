"""The sync service: pushes queued renewals to the carrier, exactly once, whatever the network does."""

from .settings import SyncSettings
from .worker import SyncWorker

__all__ = ["SyncSettings", "SyncWorker"]
