"""Before taking money: the renewal check's rules, the counter's refusal of a refused or unconfirmed
repeat sale (hand-made POSTs included), one sale per checkout key, and failures shown as failures."""

import html
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from kiosk import create_app
from kiosk.config import ConfigError
from pos.db import db, utcnow
from pos.identifiers import parse_line
from pos.models import Plan, Sale
from pos.services import renewal_check
from pos.services.renewal_check import CarrierVerdict

from .helpers import csrf_from, gen_sale, login, sale_key_from, seed_basic
from .sync_helpers import sandbox_post

LINE, PLAN = "+14155550123", "US-7D-5GB"


def _sales(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(Sale))


def _checkout(client, line=LINE, plan=PLAN):
    page = client.get("/counter/checkout", query_string={"line": line, "plan": plan}).get_data(as_text=True)
    return page, {"csrf_token": csrf_from(page), "sale_key": sale_key_from(page), "line": line, "plan": plan,
                  "method": "cash", "tendered": "20"}


def _sold(app, **kwargs) -> Sale:
    with app.app_context():
        sale = gen_sale(app, **kwargs)
        db.session.commit()
        db.session.refresh(sale)
        db.session.expunge(sale)
        return sale


# -- the rules (service) --------------------------------------------------------------------------

def test_recent_sale_counts_only_sales_that_may_have_renewed(ctx):
    """A declined or refunded sale never blocks a new one; a pending, confirmed or unclear one within N minutes does."""
    seed_basic(ctx)
    line, plan = parse_line(LINE, "US"), db.session.scalar(select(Plan).where(Plan.carrier_plan_id == PLAN))
    sale = gen_sale(ctx)
    assert renewal_check.recent_sale(line, plan, minutes=30) == sale
    assert renewal_check.recent_sale(line, plan, minutes=0) is None
    assert renewal_check.recent_sale(line, plan, minutes=30, now=utcnow() + timedelta(minutes=31)) is None
    for status, blocks in (("needs_refund", False), ("refunded", False), ("needs_attention", True),
                           ("confirmed", True)):
        sale.status = status
        assert (renewal_check.recent_sale(line, plan, minutes=30) is not None) is blocks, status


def test_carrier_refusal_names_our_own_sale(ctx):
    """A RECENTLY_RENEWED answer naming our sale's id carries that sale (for its receipt number) and refuses."""
    seed_basic(ctx)
    line, plan = parse_line(LINE, "US"), db.session.scalar(select(Plan).where(Plan.carrier_plan_id == PLAN))
    sale = gen_sale(ctx)
    check = renewal_check.check_renewal(line, plan, CarrierVerdict(False, "RECENTLY_RENEWED",
                                                                   earlier_external_id=sale.id), repeat_minutes=30)
    assert (check.state, check.code, check.earlier, check.sellable) == ("refused", "RECENTLY_RENEWED", sale, False)
    with pytest.raises(renewal_check.RenewalRefused):
        renewal_check.require_sellable(check, sale.id)  # a refusal cannot be confirmed away


def test_repeat_sale_needs_the_earlier_sale_confirmed(ctx):
    """Our own recent sale asks for confirmation of exactly that sale; the carrier's 'eligible' does not lift it."""
    seed_basic(ctx)
    line, plan = parse_line(LINE, "US"), db.session.scalar(select(Plan).where(Plan.carrier_plan_id == PLAN))
    sale = gen_sale(ctx)
    check = renewal_check.check_renewal(line, plan, CarrierVerdict(True), repeat_minutes=30)
    assert (check.state, check.code, check.earlier) == ("confirm", "REPEAT_SALE", sale)
    for wrong in (None, "", "some-other-sale"):
        with pytest.raises(renewal_check.RenewalRefused):
            renewal_check.require_sellable(check, wrong)
    renewal_check.require_sellable(check, sale.id)
    other = renewal_check.check_renewal(line, db.session.scalar(select(Plan).where(Plan.carrier_plan_id ==
                                                                                   "US-15D-10GB")), None,
                                        repeat_minutes=30)
    assert other.state == "ok" and not other.carrier_answered


def test_repeat_window_must_be_sane(instance_dir):
    """counter.repeat_sale_minutes outside 0-1440 stops start-up, naming the key."""
    with pytest.raises(ConfigError, match="repeat_sale_minutes"):
        create_app({"counter": {"repeat_sale_minutes": -1}}, instance=instance_dir)


# -- offline: our own records ---------------------------------------------------------------------

def test_offline_second_checkout_warns_and_post_needs_confirmation(shop):
    """Offline, a second checkout names the earlier sale; Pay without 'Sell again anyway' sells nothing."""
    first = _sold(shop)
    client = shop.test_client()
    login(client)
    page, form = _checkout(client)
    assert f"{first.receipt_number}" in page and 'name="sell_again"' in page and f'value="{first.id}"' in page
    refused = client.post("/counter/checkout", data=form)
    assert refused.status_code == 422 and first.receipt_number in refused.get_data(as_text=True)
    assert client.post("/counter/checkout", data=form | {"sell_again": "not-that-sale"}).status_code == 422
    assert _sales(shop) == 1
    sold = client.post("/counter/checkout", data=form | {"sell_again": first.id})
    assert sold.status_code == 302 and _sales(shop) == 2


def test_line_screen_marks_the_recently_sold_plan(shop):
    """The plan list marks a plan sold on this line moments ago, and only that one, before any payment."""
    first = _sold(shop)
    client = shop.test_client()
    login(client)
    page = client.get("/counter/line", query_string={"line": LINE}).get_data(as_text=True)
    assert 'data-testid="check-US-7D-5GB"' in page and first.receipt_number in page
    assert 'data-testid="check-US-15D-10GB"' not in page


def test_window_zero_turns_the_warning_off(shop):
    """With counter.repeat_sale_minutes = 0 a second sale needs no confirmation."""
    _sold(shop)
    shop.config["KIOSK"]["counter"]["repeat_sale_minutes"] = 0
    try:
        client = shop.test_client()
        login(client)
        page, form = _checkout(client)
        assert 'name="sell_again"' not in page
        assert client.post("/counter/checkout", data=form).status_code == 302
    finally:
        shop.config["KIOSK"]["counter"]["repeat_sale_minutes"] = 30
    assert _sales(shop) == 2


# -- one checkout, one sale -----------------------------------------------------------------------

def test_used_key_answers_with_the_recorded_sale(shop):
    """A used checkout key leads to its sale: the restored page's question and a changed POST land there."""
    client = shop.test_client()
    login(client)
    _page, form = _checkout(client)
    asked = client.get("/counter/checkout/recorded", query_string={"sale_key": form["sale_key"]}).get_json()
    assert asked == {"sale_url": None}
    sale_url = client.post("/counter/checkout", data=form).headers["Location"].split("?")[0]
    asked = client.get("/counter/checkout/recorded", query_string={"sale_key": form["sale_key"]}).get_json()
    assert asked["sale_url"].split("?")[0] == sale_url
    second_tab = client.post("/counter/checkout", data=form | {"tendered": "50"})
    assert second_tab.headers["Location"] == asked["sale_url"]
    page = client.get(second_tab.headers["Location"]).get_data(as_text=True)
    assert "already completed; nothing was charged again" in page
    assert _sales(shop) == 1


# -- failures shown as failures -------------------------------------------------------------------

@pytest.mark.parametrize(("status", "reason", "headline", "why", "step", "printed"), [
    ("needs_refund", "declined by the carrier: RECENTLY_RENEWED", "Declined by the carrier: not renewed",
     "The line had just been renewed with this plan.", "Refund due: ask a manager.", "NOT RENEWED: REFUND DUE"),
    ("needs_refund", "reversed by the carrier: no reason given", "Reversed by the carrier: not renewed",
     "The carrier gave no reason.", "Refund due: ask a manager.", "Reversed by the carrier"),
    ("needs_attention", "PRICE_CHANGED: up 20%", "Not confirmed: needs attention",
     "The carrier's price for this plan changed.", "A manager must check this sale.", "NOT CONFIRMED"),
])
def test_failed_sale_is_never_shown_as_success(shop, status, reason, headline, why, step, printed):
    """A declined, reversed or unclear renewal shows its failure, reason and next step on screen and receipt."""
    sale = _sold(shop)
    with shop.app_context():
        stored = db.session.get(Sale, sale.id)
        stored.status, stored.status_reason = status, reason
        db.session.commit()
    client = shop.test_client()
    login(client)
    page = html.unescape(client.get(f"/counter/sales/{sale.id}?done=1").get_data(as_text=True))
    assert headline in page and why in page and step in page and printed in page
    assert "Sale complete" not in page
    assert 'class="change-due quiet"' in page  # no big green change amount beside a failure
    polled = client.get(f"/counter/sales/{sale.id}/status").get_json()
    assert (polled["headline"], polled["next_step"]) == (headline, step)
    assert polled["tone"] in ("bad", "warn")


def test_failed_sale_speaks_chinese(shop):
    """The failure, its reason and next step are in the clerk's language."""
    sale = _sold(shop)
    with shop.app_context():
        stored = db.session.get(Sale, sale.id)
        stored.status, stored.status_reason = "needs_refund", "declined by the carrier: LINE_NOT_ELIGIBLE"
        db.session.commit()
    client = shop.test_client()
    login(client)
    client.post("/language", data={"lang": "zh", "csrf_token": csrf_from(client.get("/counter/").get_data(
        as_text=True)), "next": "/counter/"})
    page = client.get(f"/counter/sales/{sale.id}").get_data(as_text=True)
    assert "运营商拒绝：未续费" in page and "该号码已停用，无法续费。" in page and "应退款：请找经理。" in page
    assert "Declined by the carrier" not in page.split("receipt-preview")[0]


# -- online: the carrier's check ------------------------------------------------------------------

def test_carrier_refusal_hides_pay_and_refuses_a_hand_made_post(online, sandbox):
    """On RECENTLY_RENEWED the plan is no link, the checkout has no Pay, and a crafted POST sells nothing."""
    line = "+14155550126"
    sandbox_post(sandbox, "/_sandbox/faults", {"recent_renewal_window_s": 600})
    from carrier import CarrierClient, Money, RenewalRequest

    with CarrierClient(sandbox.url, "sandbox-key") as carrier:
        carrier.create_renewal(RenewalRequest("other-store-1", line, PLAN, "2026-11-01", Money(1000, "USD"), "S2", "T9",
                                              utcnow()))
    client = online.test_client()
    login(client)
    page = client.get("/counter/line", query_string={"line": line}).get_data(as_text=True)
    assert 'class="plan refused"' in page and "Renewed with this plan just now" in page
    assert f'href="/counter/checkout?line=%2B14155550126&amp;plan={PLAN}"' not in page
    page, _form = _checkout(client, line=line)
    assert 'data-testid="check-refused"' in page and 'data-testid="pay"' not in page
    crafted = {"csrf_token": csrf_from(page), "sale_key": "crafted-key-1", "line": line, "plan": PLAN,
               "method": "cash", "tendered": "20"}
    refused = client.post("/counter/checkout", data=crafted)
    assert refused.status_code == 422 and "The carrier would refuse it again" in refused.get_data(as_text=True)
    assert _sales(online) == 0


def test_slow_carrier_check_falls_back_within_the_deadline(online, sandbox):
    """A carrier slower than the lookup deadline leaves the checkout sellable (own records only) in under 3 s."""
    import time

    sandbox_post(sandbox, "/_sandbox/faults", {"latency_ms": 4000})
    try:
        client = online.test_client()
        login(client)
        started = time.monotonic()
        page, form = _checkout(client, line="+14155550125", plan="US-15D-10GB")
        elapsed = time.monotonic() - started
    finally:
        sandbox_post(sandbox, "/_sandbox/faults", {"latency_ms": 0})
    assert elapsed < 3.0 and 'data-testid="pay"' in page
    assert client.post("/counter/checkout", data=form | {"tendered": "30"}).status_code == 302


def test_price_change_is_refused_with_the_new_price(online, sandbox):
    """A carrier price rise beyond the tolerance is a refusal before payment that says the new wholesale price."""
    sandbox_post(sandbox, "/_sandbox/plans/US-90D-50GB/price", {"price_version": "2027-02-01", "wholesale_minor": 9000})
    client = online.test_client()
    login(client)
    page, _form = _checkout(client, line="+14155550124", plan="US-90D-50GB")
    assert "now $90.00 wholesale" in html.unescape(page) and 'data-testid="pay"' not in page
