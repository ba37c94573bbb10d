"""Writing the audit trail as a hash chain, and checking that chain."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select, text

from ..db import db, utcnow
from ..models import AuditEntry, Staff
from ..models.audit import GENESIS_HASH

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
