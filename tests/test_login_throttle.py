"""PIN sign-in throttling: guessing is stopped, yet nobody can lock a manager out everywhere."""

import re
from datetime import timedelta

from sqlalchemy import func, select, update

from pos.db import db, utcnow
from pos.models import AuditEntry, LoginThrottle
from pos.services import login_throttle

from .helpers import CLERK_PIN, MANAGER_PIN, csrf_from, kiosk


class Browser:
    """A test client at a given client address, with the CSRF token of the PIN screen."""

    def __init__(self, app, address: str):
        self.client = app.test_client()
        self.client.environ_base["REMOTE_ADDR"] = address
        self.csrf = csrf_from(self.client.get("/login").get_data(as_text=True))

    def login(self, name: str, pin: str):
        """Post the PIN form; returns the response."""
        return self.client.post("/login", data={"name": name, "pin": pin, "csrf_token": self.csrf})


def _audit(app, action=None) -> int:
    with app.app_context():
        query = select(func.count()).select_from(AuditEntry)
        return db.session.scalar(query.where(AuditEntry.action == action) if action else query)


def _expire_blocks(app) -> None:
    with app.app_context():
        db.session.execute(update(LoginThrottle).where(LoginThrottle.blocked_until.is_not(None))
                           .values(blocked_until=utcnow() - timedelta(seconds=1)))
        db.session.commit()


def test_lockout_is_per_address(shop):
    """Five wrong PINs lock the manager at the attacker's address only; the manager signs in elsewhere."""
    attacker, counter = Browser(shop, "10.0.0.66"), Browser(shop, "10.0.0.2")
    for _ in range(5):
        assert attacker.login("manager", "0000").status_code == 401
    assert attacker.login("manager", MANAGER_PIN).status_code == 401  # locked here, same answer
    assert counter.login("manager", MANAGER_PIN).status_code == 302


def test_same_answer_for_unknown_wrong_and_locked(shop):
    """An unknown name, a wrong PIN and a locked account get the same status and the same page text."""
    browser = Browser(shop, "10.0.0.7")
    wrong = browser.login("clerk", "0000")
    for _ in range(4):
        browser.login("clerk", "0000")
    locked = browser.login("clerk", CLERK_PIN)
    unknown = browser.login("nobody", "1234")
    # The CSRF token is a signed timestamp, so it may differ between two pages; the rest may not.
    bodies = {re.sub(r'name="csrf_token" value="[^"]+"', "", r.get_data(as_text=True)) for r in (wrong, locked)}
    assert wrong.status_code == locked.status_code == unknown.status_code == 401
    assert len(bodies) == 1
    assert "Wrong name or PIN" in unknown.get_data(as_text=True)


def test_unknown_names_cost_the_same_scrypt_work(shop):
    """An unknown name is checked against a dummy hash of the configured cost, like a real account."""
    policy = login_throttle.ThrottlePolicy(scrypt_n=shop.config["KIOSK"]["security"]["pin_scrypt_n"])
    source = login_throttle.Source("10.0.0.8", "T01")
    with shop.app_context():
        real = login_throttle.assess("clerk", source, policy)
        unknown = login_throttle.assess("nobody", source, policy)
    assert unknown.staff_id is None and unknown.throttled_for is None
    assert unknown.pin_hash.split("$")[:4] == real.pin_hash.split("$")[:4]
    assert not login_throttle.verify(unknown, "00000000")  # the dummy PIN itself never signs anyone in


def test_thousand_wrong_pins_from_one_address_are_throttled(shop):
    """Of 1,000 wrong PINs from one address at most the first 20 are checked; the rest get 429."""
    browser = Browser(shop, "10.0.0.99")
    statuses = [browser.login("clerk" if i % 2 else "nobody", f"{i:04d}"[-4:] if i != 1357 else "0000").status_code
                for i in range(1000)]
    assert statuses.count(401) == 20 and statuses.count(429) == 980
    assert statuses.index(429) == 20
    throttled = browser.login("clerk", CLERK_PIN)
    assert throttled.status_code == 429 and int(throttled.headers["Retry-After"]) <= 60
    assert "Too many wrong PINs from this device" in throttled.get_data(as_text=True)


def test_blocks_grow(shop):
    """Each new block of an address lasts twice as long as the one before."""
    browser = Browser(shop, "10.0.0.50")
    lengths = []
    for _ in range(3):
        for _ in range(20):
            browser.login("nobody", "0000")
        with shop.app_context():
            row = db.session.get(LoginThrottle, "addr:10.0.0.50")
            lengths.append(round((row.blocked_until - row.last_failure_at).total_seconds()))
        _expire_blocks(shop)
    assert lengths == [60, 120, 240]


def test_known_staff_pass_a_blocked_address(shop):
    """A clerk who signed in from an address before still can while strangers' guesses block it."""
    counter = Browser(shop, "10.0.0.3")
    assert counter.login("clerk", CLERK_PIN).status_code == 302
    counter = Browser(shop, "10.0.0.3")
    for _ in range(25):
        counter.login("nobody", "0000")
    assert counter.login("manager", MANAGER_PIN).status_code == 429  # never signed in here
    assert counter.login("clerk", CLERK_PIN).status_code == 302


def test_storm_from_many_addresses_spares_the_managers_terminal(shop):
    """Guesses at the manager's PIN from many addresses pause that account on new addresses only: the manager
    still signs in at their usual address, and nobody else is locked out anywhere."""
    office = Browser(shop, "10.0.1.1")
    assert office.login("manager", MANAGER_PIN).status_code == 302
    for n in range(6):
        attacker = Browser(shop, f"10.9.9.{n}")
        for _ in range(20):
            attacker.login("manager", "0000")
    assert Browser(shop, "10.0.1.2").login("manager", MANAGER_PIN).status_code == 429
    assert Browser(shop, "10.0.1.3").login("clerk", CLERK_PIN).status_code == 302
    assert Browser(shop, "10.0.1.1").login("manager", MANAGER_PIN).status_code == 302


def test_storm_of_unknown_names_locks_no_staff_out(shop):
    """Wrong PINs for names nobody has, spread over many addresses, pause only such names: staff sign in from
    an address they never used, the manager included."""
    for n in range(6):
        attacker = Browser(shop, f"10.9.8.{n}")
        for _ in range(19):
            attacker.login("nobody", "0000")
    assert Browser(shop, "10.9.8.200").login("nobody", "0000").status_code == 429
    assert Browser(shop, "10.0.2.1").login("manager", MANAGER_PIN).status_code == 302
    assert Browser(shop, "10.0.2.2").login("clerk", CLERK_PIN).status_code == 302


def test_hammering_a_locked_account_writes_a_bounded_audit(shop):
    """Hundreds of attempts on a locked account write one lockout row each, and one summary, not a row each."""
    attacker = Browser(shop, "10.0.0.77")
    before = _audit(shop)
    for _ in range(300):
        attacker.login("clerk", "0000")
    assert _audit(shop) - before <= 3  # the account lock and the address block
    _expire_blocks(shop)
    attacker.login("clerk", "0000")
    with shop.app_context():
        summary = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "auth.blocked_attempts",
                                                             AuditEntry.subject == "addr:10.0.0.77"))
        assert summary.detail["attempts"] == 280
    assert _audit(shop) - before <= 6


def test_manager_unlocks_from_the_cli(shop):
    """`kiosk staff unlock NAME` lifts the lock at every address and is audited."""
    attacker = Browser(shop, "10.0.0.88")
    for _ in range(5):
        attacker.login("clerk", "0000")
    assert "locked at 10.0.0.88" in kiosk(shop, "staff", "list").output
    assert attacker.login("clerk", CLERK_PIN).status_code == 401
    result = kiosk(shop, "staff", "unlock", "clerk")
    assert result.exit_code == 0 and "may sign in again" in result.output
    assert attacker.login("clerk", CLERK_PIN).status_code == 302
    assert _audit(shop, "staff.unlock") == 1
    assert kiosk(shop, "staff", "unlock", "nobody").exit_code == 1


def test_pin_reset_lifts_the_lock(shop):
    """A new PIN lifts the staff member's locks."""
    browser = Browser(shop, "10.0.0.89")
    for _ in range(5):
        browser.login("clerk", "0000")
    assert kiosk(shop, "staff", "reset-pin", "clerk", input="4444\n4444\n").exit_code == 0
    assert browser.login("clerk", "4444").status_code == 302


def test_success_is_audited_with_the_failures_before_it(shop):
    """A sign-in after mistakes says how many there were, in its one audit row."""
    browser = Browser(shop, "10.0.0.90")
    browser.login("clerk", "0000")
    browser.login("clerk", "1111")
    assert browser.login("clerk", CLERK_PIN).status_code == 302
    with shop.app_context():
        entries = list(db.session.scalars(select(AuditEntry)))
    assert [(e.action, e.detail.get("failed_before")) for e in entries][-1] == ("auth.sign_in", 2)
    assert not any(e.action == "auth.failed" for e in entries)
