"""Writing the audit trail as a hash chain, and checking that chain."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import Select, select, text

from ..db import db, utcnow
from ..errors import DomainError
from ..models import AuditEntry, Staff
from ..models.audit import GENESIS_HASH
from .reports import DayRange, day_bounds

_ACTION = re.compile(r"^[a-z_]{1,20}\.[a-z_]{1,20}$")
_DAY = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$")

#: Any fixed number: the PostgreSQL advisory lock that lets one transaction at a time append to the chain.
CHAIN_LOCK_KEY = 0x4155_4449_54  # "AUDIT"


def _chain_head() -> tuple[int, str]:
    """The last entry's seq and hash, seen by this transaction alone until it ends.

    On PostgreSQL a transaction-scoped advisory lock makes a second appender wait until the first
    commits or rolls back, so two never read the same head (no repeated seq, no fork). On SQLite the
    write transaction (BEGIN IMMEDIATE) already lets one writer at a time in. The unique seq is the
    last line of defence either way.
    """
    if db.session.get_bind().dialect.name == "postgresql":
        db.session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": CHAIN_LOCK_KEY})
    # Entries added in this transaction but not flushed yet (inside no_autoflush) come first.
    pending = [e for e in db.session.new if isinstance(e, AuditEntry)]
    if pending:
        last = max(pending, key=lambda e: e.seq)
        return last.seq, last.hash
    with db.session.no_autoflush:
        row = db.session.execute(select(AuditEntry.seq, AuditEntry.hash).order_by(AuditEntry.seq.desc())
                                 .limit(1)).first()
    return (row.seq, row.hash) if row else (0, GENESIS_HASH)


def head_hash() -> str:
    """The hash of the chain's last entry (64 zeros when empty), held until the transaction ends: a Z
    report prints it, so entries deleted from the end of the log afterwards still show."""
    return _chain_head()[1]


def record(action: str, *, staff: Staff | None = None, subject: str = "", terminal: str | None = None,
           **detail: object) -> AuditEntry:
    """Append one audit entry, chained to the last, in the current transaction (it commits or rolls back with
    the work); ``terminal`` is the code of the terminal it happened at, when known."""
    seq, prev_hash = _chain_head()
    entry = AuditEntry(seq=seq + 1, prev_hash=prev_hash, at=utcnow(), action=action,
                       staff_id=staff.id if staff else None, actor_name=staff.name if staff else "",
                       terminal=terminal, subject=subject[:80],
                       detail={k: v for k, v in detail.items() if v is not None})
    entry.hash = entry.computed_hash()
    db.session.add(entry)
    return entry


def latest(limit: int = 100) -> list[AuditEntry]:
    """The newest audit entries first."""
    return list(db.session.scalars(select(AuditEntry).order_by(AuditEntry.seq.desc()).limit(limit)))


@dataclass(frozen=True)
class AuditFilter:
    """What a manager looks for in the log; every part optional. ``start`` (inclusive) and ``end`` (exclusive)
    are UTC instants; ``actor`` is a staff id, or ``"system"`` for entries no one signed in made."""

    start: datetime | None = None
    end: datetime | None = None
    actor: int | str | None = None
    action: str | None = None
    subject: str | None = None


def _local_day(text: str, field: str) -> date | None:
    text = (text or "").strip()
    if not text:
        return None
    try:
        if not _DAY.fullmatch(text):  # fromisoformat alone would also take 20261130 and 2026-W48-1
            raise ValueError(text)
        return date.fromisoformat(text)
    except ValueError:
        raise DomainError("invalid_date", "Enter a date as YYYY-MM-DD, for example 2026-11-30.", field=field) from None


def _midnight_utc(day: date, zone: ZoneInfo) -> datetime:
    return day_bounds(DayRange(day, day), zone)[0]


def read_filter(*, first_day: str = "", last_day: str = "", actor: str = "", action: str = "", subject: str = "",
                zone: ZoneInfo) -> AuditFilter:
    """The audit page's fields as an :class:`AuditFilter`: days are the store's local days (``zone``), from
    midnight of the first to midnight after the last, so an entry at 23:30 local belongs to its own day
    whatever the UTC offset (DST days included)."""
    first, last = _local_day(first_day, "first_day"), _local_day(last_day, "last_day")
    if first and last and first > last:
        raise DomainError("date_range_backwards", "The first day is after the last day.", field="first_day")
    actor = (actor or "").strip()
    if actor and actor != "system" and not (actor.isascii() and actor.isdigit() and len(actor) < 10):
        raise DomainError("invalid_actor", "Choose a staff member from the list.", field="actor")
    action = (action or "").strip()
    if action and not _ACTION.fullmatch(action):
        raise DomainError("invalid_action", "Choose an action from the list.", field="action")
    subject = (subject or "").strip()
    if len(subject) > 80:
        raise DomainError("invalid_subject", "A receipt number or subject is at most 80 characters.",
                          field="subject")
    return AuditFilter(start=_midnight_utc(first, zone) if first else None,
                       end=_midnight_utc(last + timedelta(days=1), zone) if last else None,
                       actor=int(actor) if actor.isdigit() else actor or None, action=action or None,
                       subject=subject or None)


@dataclass(frozen=True)
class AuditPage:
    """One page of the log, newest first, and where the neighbouring pages start (keyset on ``seq``)."""

    entries: list[AuditEntry]
    #: Pass as ``before`` for the next, older page (None: this is the oldest).
    older_before: int | None
    #: Pass as ``after`` for the previous, newer page (None: this is the newest).
    newer_after: int | None


def _matching(filters: AuditFilter) -> Select:
    query = select(AuditEntry)
    if filters.start is not None:
        query = query.where(AuditEntry.at >= filters.start)
    if filters.end is not None:
        query = query.where(AuditEntry.at < filters.end)
    if filters.actor == "system":
        query = query.where(AuditEntry.staff_id.is_(None))
    elif filters.actor is not None:
        query = query.where(AuditEntry.staff_id == filters.actor)
    if filters.action:
        query = query.where(AuditEntry.action == filters.action)
    if filters.subject:
        pattern = filters.subject.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        query = query.where(AuditEntry.subject.ilike(f"%{pattern}%", escape="\\"))
    return query


def browse(filters: AuditFilter, *, before: int | None = None, after: int | None = None,
           limit: int = 50) -> AuditPage:
    """The entries matching ``filters``, newest first: the newest page, or the page of entries older than
    seq ``before``, or newer than seq ``after``. Keyset pagination: a page costs the same at any depth, and
    entries appended meanwhile never shift a page."""
    query = _matching(filters)
    if after is not None:
        rows = list(db.session.scalars(query.where(AuditEntry.seq > after).order_by(AuditEntry.seq)
                                       .limit(limit + 1)))
        more_newer, entries = len(rows) > limit, rows[:limit][::-1]
        more_older = bool(entries) and _exists(query.where(AuditEntry.seq < entries[-1].seq))
    else:
        if before is not None:
            query = query.where(AuditEntry.seq < before)
        rows = list(db.session.scalars(query.order_by(AuditEntry.seq.desc()).limit(limit + 1)))
        more_older, entries = len(rows) > limit, rows[:limit]
        more_newer = before is not None and bool(entries) and _exists(
            _matching(filters).where(AuditEntry.seq > entries[0].seq))
    return AuditPage(entries=entries, older_before=entries[-1].seq if more_older else None,
                     newer_after=entries[0].seq if more_newer else None)


def _exists(query: Select) -> bool:
    return db.session.scalar(query.with_only_columns(AuditEntry.seq).limit(1)) is not None


@dataclass(frozen=True)
class ChainCheck:
    """What ``verify_chain`` found: ``problem`` is None on an intact log, else 'edited', 'deleted' or
    'inserted' with the ``seq`` of the first such entry."""

    entries: int
    head_hash: str
    problem: str | None = None
    seq: int | None = None
    explanation: str = ""

    @property
    def intact(self) -> bool:
        """True when every entry hashes to its stored hash and follows the one before it."""
        return self.problem is None


def verify_chain(batch: int = 2000) -> ChainCheck:
    """Walk the log in seq order and report the first entry that was edited, deleted or inserted.

    Per entry, against the seq expected next and the hash of the entry before it:
    a seq below the expected one is an inserted entry; a seq above it means the entries between
    were deleted; a stored hash that the entry's columns do not give means an edit, unless they give it
    at seq - 1 (the entry was renumbered to make room for one inserted before it); a prev_hash that is
    not the previous entry's hash means an entry was inserted here (or the previous one was edited and
    its hash recomputed to hide it). Deleting the newest entries, or appending forged ones with
    correctly computed hashes, cannot be seen from the log alone: that needs the head hash kept elsewhere.
    """
    expected, prev_hash, count = 1, GENESIS_HASH, 0
    query = select(AuditEntry).order_by(AuditEntry.seq).execution_options(yield_per=batch)
    for entry in db.session.scalars(query):
        problem = _check_one(entry, expected, prev_hash)
        if problem:
            return ChainCheck(entries=count, head_hash=prev_hash, problem=problem[0], seq=problem[1],
                              explanation=problem[2])
        expected, prev_hash, count = entry.seq + 1, entry.hash, count + 1
        db.session.expunge(entry)  # a long log must not pile up in the identity map
    return ChainCheck(entries=count, head_hash=prev_hash)


def _check_one(entry: AuditEntry, expected: int, prev_hash: str) -> tuple[str, int, str] | None:
    if entry.seq < expected:
        return "inserted", entry.seq, f"entry {entry.seq} (id {entry.id}) is out of sequence: {expected} expected"
    if entry.seq > expected:
        missing = f"{expected}" if entry.seq == expected + 1 else f"{expected}-{entry.seq - 1}"
        return "deleted", expected, f"entries {missing} are missing before entry {entry.seq}"
    if entry.computed_hash() != entry.hash:
        if entry.computed_hash(entry.seq - 1) == entry.hash:
            return ("inserted", entry.seq - 1,
                    f"entry {entry.seq - 1} was inserted: entry {entry.seq} was written as {entry.seq - 1}")
        return "edited", entry.seq, f"entry {entry.seq} (id {entry.id}) does not match its hash"
    if entry.prev_hash != prev_hash:
        return ("inserted", entry.seq, f"entry {entry.seq} (id {entry.id}) does not follow entry {entry.seq - 1}: "
                f"it was inserted, or entry {entry.seq - 1} was edited and its hash recomputed")
    return None
