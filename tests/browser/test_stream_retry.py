"""A counter page whose event stream is refused over the server's cap opens it again by itself later."""

from __future__ import annotations

import time

import pytest

from tests.browser.test_counter_flow import sign_in
from tests.drivers.pty_helpers import wait_until

pytestmark = pytest.mark.browser


def test_refused_stream_is_retried_by_the_page(page, live_app):
    """With the staff cap at 0 the page's stream gets 429; once there is room again the page reconnects."""
    slots = live_app.extensions["devices"].stream_slots
    cap = slots.per_owner
    refused_before = slots.refused
    slots.per_owner = 0  # every stream refused, as when this clerk already has too many open
    try:
        sign_in(page)
        # Counted by the server: Playwright does not always report an EventSource's refused response.
        assert wait_until(lambda: slots.refused > refused_before, 10)
        time.sleep(0.5)
        assert slots.open() == 0
    finally:
        slots.per_owner = cap
    # EventSource gives up on a 429; counter.js tries again 5-10 s later.
    assert wait_until(lambda: slots.open() >= 1, 20), slots.refused - refused_before
