"""Append-only audit trail of who did what, chained by hashes so an edit, a deletion or an insertion shows."""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime

from sqlalchemy import JSON, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from ..db import UTCDateTime, db, utcnow

#: The ``prev_hash`` of the first entry: there is nothing before it.
GENESIS_HASH = "0" * 64

#: The database refuses UPDATE and DELETE on ``audit_entry`` (migration 0006). The same statements are
#: used by the migration and by the tests that must empty the table or forge an entry on purpose.
APPEND_ONLY_TRIGGERS = {
    "postgresql": (
        "CREATE FUNCTION audit_entry_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
        "RAISE EXCEPTION 'audit_entry is append-only: % refused', TG_OP; END $$",
        "CREATE TRIGGER audit_entry_append_only BEFORE UPDATE OR DELETE ON audit_entry "
        "FOR EACH ROW EXECUTE FUNCTION audit_entry_refuse_change()",
    ),
    "sqlite": (
        "CREATE TRIGGER audit_entry_no_update BEFORE UPDATE ON audit_entry "
        "BEGIN SELECT RAISE(ABORT, 'audit_entry is append-only: UPDATE refused'); END",
        "CREATE TRIGGER audit_entry_no_delete BEFORE DELETE ON audit_entry "
        "BEGIN SELECT RAISE(ABORT, 'audit_entry is append-only: DELETE refused'); END",
    ),
}
DROP_APPEND_ONLY_TRIGGERS = {
    "postgresql": ("DROP TRIGGER IF EXISTS audit_entry_append_only ON audit_entry",
                   "DROP FUNCTION IF EXISTS audit_entry_refuse_change()"),
    "sqlite": ("DROP TRIGGER IF EXISTS audit_entry_no_update", "DROP TRIGGER IF EXISTS audit_entry_no_delete"),
}


def canonical_time(moment: datetime) -> str:
    """A timestamp as the chain hashes it: UTC, microseconds, always ending in 'Z'."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def chain_hash(*, seq: int, prev_hash: str, at: datetime, staff_id: int | None, actor_name: str,
               terminal: str | None, action: str, subject: str, detail: dict) -> str:
    """SHA-256 (hex) of an entry's canonical JSON: sorted keys, no spaces, UTF-8, UTC times with 'Z'.

    A pure function of stored columns, so ``verify_chain`` and the migration's backfill compute exactly
    what ``record`` wrote; a staff member renamed later does not change old hashes (the name is stored).
    """
    canonical = json.dumps(
        {"seq": seq, "prev_hash": prev_hash, "created_at": canonical_time(at),
         "actor": {"id": staff_id, "name": actor_name} if staff_id is not None else None,
         "terminal": terminal, "action": action, "subject": subject, "details": detail or {}},
        sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


class AuditEntry(db.Model):
    """One event: a sale, a sign-in failure, a lockout, a reprint, a staff change."""

    __tablename__ = "audit_entry"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: Position in the chain, 1..n without gaps.
    seq: Mapped[int] = mapped_column(unique=True)
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))
    at = mapped_column(UTCDateTime, default=utcnow, nullable=False, index=True)
    staff_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"), nullable=True)
    #: The actor's name when the entry was written (hashed; a later rename must not break the chain).
    actor_name: Mapped[str] = mapped_column(String(80), default="")
    terminal: Mapped[str | None] = mapped_column(String(20), nullable=True)
    action: Mapped[str] = mapped_column(String(40), index=True)
    subject: Mapped[str] = mapped_column(String(80), default="")
    detail: Mapped[dict] = mapped_column(JSON, default=dict)

    def computed_hash(self, seq: int | None = None) -> str:
        """The hash this entry's columns give (at ``seq`` instead of its own, to recognise a renumbered row)."""
        return chain_hash(seq=self.seq if seq is None else seq, prev_hash=self.prev_hash, at=self.at,
                          staff_id=self.staff_id, actor_name=self.actor_name, terminal=self.terminal,
                          action=self.action, subject=self.subject, detail=self.detail)
