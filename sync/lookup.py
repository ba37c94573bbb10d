"""Asking the carrier what became of a renewal: the one lookup the sync worker does before any resend,
shared with the refund screens, which ask before money goes back."""

from __future__ import annotations

from carrier import CarrierClient, RenewalResult


def look_up(client: CarrierClient, external_id: str, renewal_id: str | None = None) -> RenewalResult | None:
    """The carrier's renewal of a sale: by the carrier's own id once it has told us one, else by our external id.

    None only when the carrier positively says it holds no renewal under ``external_id``; every doubt
    (a timeout, an unknown renewal id, an answer that contradicts itself) raises CarrierError.
    """
    if renewal_id:
        return client.get_renewal(renewal_id)
    return client.find_renewal(external_id)
