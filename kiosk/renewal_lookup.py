"""Asking the carrier about a sale's renewal before a refund: the sync worker's own lookup
(sync.lookup), read the way the worker reads it (sync.outcomes), turned into the answer the refund
service takes (pos.services.refunds.RenewalLookup)."""

from __future__ import annotations

import logging

from flask import Flask

from carrier import COMPLETED, DECLINED, FAILED, PROCESSING, REVERSED, CarrierError
from pos.models import Sale
from pos.services import outbox
from pos.services.refunds import RenewalLookup
from sync.lookup import look_up
from sync.outcomes import for_result

from .carrier_link import lookup_client

log = logging.getLogger("kiosk.carrier")

#: The carrier's renewal statuses as a refund reads them; FAILED was never charged, so it did not renew.
_STATES = {COMPLETED: "renewed", PROCESSING: "processing", DECLINED: "not_renewed", REVERSED: "not_renewed",
           FAILED: "not_renewed"}


def look_up_renewal(app: Flask, sale: Sale) -> RenewalLookup | None:
    """What the carrier holds for ``sale`` now, within the line-lookup deadline; None when no carrier is
    configured or it gave no usable answer (the refund is then refused, never made blind).

    Call it outside any write transaction: it waits on the network.
    """
    entry = outbox.entry_for_sale(sale)
    attempts = entry.attempts if entry is not None else 0
    renewal_id = entry.carrier_renewal_id if entry is not None else None
    client = lookup_client(app)
    if client is None:
        return None
    try:
        result = look_up(client, sale.id, renewal_id)
    except CarrierError as exc:
        log.info("renewal of %s could not be looked up before a refund: %s", sale.receipt_number, exc.code)
        return None
    if result is None:
        return RenewalLookup("none", attempts)
    # The client refuses a status outside protocol v1 (BAD_RESPONSE), so every status is one of these.
    return RenewalLookup(_STATES[result.status], attempts, for_result(result).reason)
