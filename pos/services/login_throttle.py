"""PIN sign-in that guessing cannot turn against staff.

Failures are counted in four kinds of bucket (:class:`pos.models.LoginThrottle`): per client
address, per account *at* an address ("pair"), per account everywhere ("acct"), and per terminal for
names that are no staff member's ("term"). A pair that fails ``pair_attempts`` times is locked — but
only at that address, so an attacker elsewhere cannot lock a manager out at the counter. An address
that fails too often is blocked for every name (no PIN is even checked, so a storm costs no scrypt
work); an account that fails ``terminal_attempts`` times across addresses is blocked for that account
alone; guesses at names nobody has, from many addresses, block only such names. None of these blocks
an account at an address it signed in from lately: its own terminal keeps working. A storm from
many addresses thus slows a guesser of one PIN without locking anyone else out, and never locks the
manager out of the manager's own terminal. Every block lasts twice as long
as the one before. Unknown names, wrong PINs and locked pairs do the same scrypt work and get the
same answer. Failures reach the audit log as one row per block and one summary of the attempts
refused during it, never one row per attempt.

The work is split so that the slow PIN check runs outside any write transaction: :func:`assess`
reads, the caller checks the PIN with :func:`verify`, and :func:`record` writes the outcome.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, select

from ..db import db, utcnow
from ..models import LoginThrottle, Staff
from . import audit
from .pins import check_pin, hash_pin


@dataclass(frozen=True)
class ThrottlePolicy:
    """Limits from ``[security]``; see config/defaults.toml."""

    pair_attempts: int = 5
    pair_lockout: timedelta = timedelta(minutes=15)
    source_attempts: int = 20
    terminal_attempts: int = 100
    source_block: timedelta = timedelta(minutes=1)
    max_block: timedelta = timedelta(hours=24)
    #: An account that signed in from an address within this time passes that address's blocks.
    trust_for: timedelta = timedelta(days=30)
    scrypt_n: int = 2**14


@dataclass(frozen=True)
class Source:
    """Where a sign-in comes from."""

    address: str
    terminal: str


@dataclass(frozen=True)
class Assessment:
    """What :func:`assess` found: whom the name means, and whether the source is blocked."""

    name: str
    staff_id: int | None
    pin_hash: str
    #: Seconds until the address or terminal may try again; None when not blocked.
    throttled_for: int | None


@functools.cache
def _dummy_hash(n: int) -> str:
    # Checked for unknown names so they cost the same scrypt work as a real account.
    return hash_pin("00000000", n=n)


def _keys(source: Source, staff_id: int | None) -> dict[str, str]:
    keys = {"addr": f"addr:{source.address}"[:120]}
    if staff_id is not None:
        keys["pair"] = f"pair:{staff_id}@{source.address}"[:120]
        keys["acct"] = f"acct:{staff_id}"
    else:  # the terminal-wide bucket holds only names nobody has: a storm of them locks no staff out
        keys["term"] = f"term:{source.terminal}"
    return keys


def _remaining(bucket: LoginThrottle | None, now: datetime) -> int | None:
    if bucket is None or bucket.blocked_until is None or bucket.blocked_until <= now:
        return None
    return max(1, int((bucket.blocked_until - now).total_seconds() + 0.999))


def assess(name: str, source: Source, policy: ThrottlePolicy, *, now: datetime | None = None) -> Assessment:
    """Read-only: whom ``name`` means and whether ``source`` may try at all right now."""
    now = now or utcnow()
    name = (name or "").strip()
    staff = db.session.scalar(select(Staff).where(Staff.name == name, Staff.active)) if name else None
    keys = _keys(source, staff.id if staff else None)
    buckets = {kind: db.session.get(LoginThrottle, key) for kind, key in keys.items()}
    pair = buckets.get("pair")
    trusted = bool(pair and pair.last_success_at and now - pair.last_success_at < policy.trust_for)
    waits = [] if trusted else [w for w in (_remaining(buckets.get(kind), now) for kind in ("addr", "term", "acct"))
                                if w]
    return Assessment(name=name, staff_id=staff.id if staff else None,
                      pin_hash=staff.pin_hash if staff else _dummy_hash(policy.scrypt_n),
                      throttled_for=max(waits) if waits else None)


def verify(assessment: Assessment, pin: str) -> bool:
    """The slow part: check the PIN (against a dummy hash for an unknown name). Touches no table."""
    if assessment.throttled_for:
        return False
    return check_pin(pin or "", assessment.pin_hash) and assessment.staff_id is not None


def record(assessment: Assessment, pin_ok: bool, source: Source, policy: ThrottlePolicy, *,
           now: datetime | None = None) -> Staff | None:
    """Write the outcome (counters, blocks, audit); returns the staff member if sign-in succeeds."""
    now = now or utcnow()
    keys = _keys(source, assessment.staff_id)
    if assessment.throttled_for:
        for kind in ("addr", "term", "acct"):
            bucket = _locked(keys[kind]) if kind in keys else None
            if _remaining(bucket, now):
                bucket.blocked_attempts += 1
        return None
    buckets = {kind: _bucket(key, now) for kind, key in keys.items()}
    staff = db.session.get(Staff, assessment.staff_id) if assessment.staff_id else None
    pair = buckets.get("pair")
    for bucket in buckets.values():
        _summarise_if_block_over(bucket, now)
    if pin_ok and staff is not None and staff.active and not _remaining(pair, now):
        audit.record("auth.sign_in", staff=staff, subject=staff.name, address=source.address,
                     failed_before=pair.failures or None)
        pair.failures, pair.strikes, pair.last_success_at = 0, 0, now
        buckets["addr"].failures = 0
        _prune(policy, now)
        return staff
    if _remaining(pair, now):
        pair.blocked_attempts += 1  # counted, summarised when the lock ends; the source counts it as a failure
    elif pair is not None:
        _fail(pair, policy.pair_attempts, policy.pair_lockout, policy, now, staff=staff, subject=staff.name)
    _fail(buckets["addr"], policy.source_attempts, policy.source_block, policy, now, subject=source.address)
    if "term" in buckets:
        _fail(buckets["term"], policy.terminal_attempts, policy.source_block, policy, now, subject=source.terminal)
    if "acct" in buckets:
        _fail(buckets["acct"], policy.terminal_attempts, policy.source_block, policy, now, staff=staff,
              subject=staff.name)
    return None


def _prune(policy: ThrottlePolicy, now: datetime) -> None:
    # Counters quiet for longer than any block or trust lasts mean nothing any more; a storm from
    # many addresses must not leave the table growing for ever. Runs on sign-ins, which are rare.
    stale = now - max(policy.max_block, policy.trust_for)
    db.session.execute(delete(LoginThrottle).where(LoginThrottle.updated_at < stale,
                                                   (LoginThrottle.blocked_until.is_(None))
                                                   | (LoginThrottle.blocked_until < now)))


def _locked(key: str) -> LoginThrottle | None:
    # FOR UPDATE: on PostgreSQL parallel sign-ins would otherwise each add one to the same old count
    # and lose failures (SQLite's BEGIN IMMEDIATE already serialises them).
    return db.session.get(LoginThrottle, key, with_for_update=True, populate_existing=True)


def _bucket(key: str, now: datetime) -> LoginThrottle:
    bucket = _locked(key)
    if bucket is None:
        bucket = LoginThrottle(key=key, failures=0, strikes=0, blocked_attempts=0, updated_at=now)
        db.session.add(bucket)
    bucket.updated_at = now
    return bucket


def _summarise_if_block_over(bucket: LoginThrottle, now: datetime) -> None:
    if bucket.blocked_until is not None and bucket.blocked_until <= now:
        _summarise(bucket)
        bucket.blocked_until = None


def _summarise(bucket: LoginThrottle, *, by: Staff | None = None) -> None:
    if bucket.blocked_attempts:
        audit.record("auth.blocked_attempts", staff=by, subject=bucket.key, attempts=bucket.blocked_attempts)
        bucket.blocked_attempts = 0


def _fail(bucket: LoginThrottle, limit: int, base: timedelta, policy: ThrottlePolicy, now: datetime, *,
          subject: str, staff: Staff | None = None) -> None:
    if _remaining(bucket, now):
        bucket.blocked_attempts += 1
        return
    last = bucket.last_failure_at
    if last is not None and now - last > policy.max_block:
        bucket.strikes = 0  # a quiet day forgives earlier blocks
    if last is not None and now - last > policy.pair_lockout:
        bucket.failures = 0  # old mistakes do not add up with new ones
    bucket.failures += 1
    bucket.last_failure_at = now
    if bucket.failures >= limit:
        length = min(base * 2**min(bucket.strikes, 20), policy.max_block)
        bucket.blocked_until = now + length
        audit.record("auth.lockout", staff=staff, subject=subject, key=bucket.key, failures=bucket.failures,
                     minutes=round(length.total_seconds() / 60, 1), until=bucket.blocked_until.isoformat())
        bucket.strikes += 1
        bucket.failures = 0


def unlock(staff: Staff, *, by: Staff | None = None) -> int:
    """Lift every lock on ``staff`` at every address (a manager's decision); returns how many there were."""
    now = utcnow()
    buckets = list(db.session.scalars(select(LoginThrottle).where(LoginThrottle.key.like(f"pair:{staff.id}@%")
                                                                  | (LoginThrottle.key == f"acct:{staff.id}"))))
    locked = 0
    for bucket in buckets:
        _summarise(bucket, by=by)
        locked += bool(_remaining(bucket, now))
        bucket.blocked_until, bucket.failures, bucket.strikes = None, 0, 0
    audit.record("staff.unlock", staff=by, subject=staff.name, locks=locked)
    return locked


def unblock_source(key: str, *, by: Staff | None = None) -> bool:
    """Lift the block of one address or terminal bucket (``addr:...`` / ``term:...``)."""
    bucket = db.session.get(LoginThrottle, key)
    if bucket is None:
        return False
    _summarise(bucket, by=by)
    audit.record("auth.unblock", staff=by, subject=key)
    db.session.execute(delete(LoginThrottle).where(LoginThrottle.key == key))
    return True


def locks_for(staff: Staff, *, now: datetime | None = None) -> list[LoginThrottle]:
    """The addresses at which ``staff`` is locked right now."""
    now = now or utcnow()
    return list(db.session.scalars(select(LoginThrottle).where(LoginThrottle.key.like(f"pair:{staff.id}@%"),
                                                               LoginThrottle.blocked_until > now)))
