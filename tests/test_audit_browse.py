"""Browsing the audit log (SQLite and PostgreSQL): the store's local days (an entry at 23:30 belongs to that
day, DST days included), who, what, receipt or subject, and keyset pages on seq that neither skip nor repeat."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from pos.db import db
from pos.errors import DomainError
from pos.services import audit
from pos.services.staff import find_staff

from .helpers import empty_audit_log, empty_tables, seed_basic


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def store(request):
    """An app context on a store (America/Los_Angeles) with a clerk, a manager and an empty audit log."""
    app = request.getfixturevalue("clean_app" if request.param == "sqlite" else "postgres_app")
    empty_tables(app)
    seed_basic(app)
    with app.app_context():
        empty_audit_log()
        db.session.commit()
        yield app
        db.session.rollback()


def _entry(at: datetime, action: str = "test.event", staff=None, subject: str = ""):
    """Append an entry dated ``at`` to the chain (its hash computed over that time)."""
    entry = audit.record(action, staff=staff, subject=subject)
    entry.at = at
    entry.hash = entry.computed_hash()
    return entry


def _seqs(filters: audit.AuditFilter, **page) -> list[int]:
    return [e.seq for e in audit.browse(filters, **page).entries]


def _days(app, first: str, last: str) -> audit.AuditFilter:
    return audit.read_filter(first_day=first, last_day=last, zone=app.config["STORE"].timezone)


def test_local_days_hold_their_late_evening_entries_across_dst(store):
    """Days are Los Angeles days: 23:30 on the 7th (07:30 UTC on the 8th) is the 7th; the 8th, when clocks go
    forward, runs from 08:00 UTC to 07:00 UTC the next morning."""
    late_7th = _entry(datetime(2026, 3, 8, 7, 30, tzinfo=UTC))     # 23:30 PST, Mar 7
    early_8th = _entry(datetime(2026, 3, 8, 8, 10, tzinfo=UTC))    # 00:10 PST, Mar 8
    late_8th = _entry(datetime(2026, 3, 9, 6, 30, tzinfo=UTC))     # 23:30 PDT, Mar 8
    early_9th = _entry(datetime(2026, 3, 9, 7, 30, tzinfo=UTC))    # 00:30 PDT, Mar 9
    db.session.commit()
    assert _seqs(_days(store, "2026-03-07", "2026-03-07")) == [late_7th.seq]
    assert _seqs(_days(store, "2026-03-08", "2026-03-08")) == [late_8th.seq, early_8th.seq]
    assert _seqs(_days(store, "2026-03-09", "")) == [early_9th.seq]
    assert len(_seqs(_days(store, "", "2026-03-09"))) == 4


def test_filters_by_who_what_and_subject(store):
    """Who (a staff member, or the system), what (an action) and a receipt number or subject (any part of it,
    any case; % and _ are plain characters) narrow the log."""
    now = datetime.now(UTC)
    manager, clerk = find_staff("manager"), find_staff("clerk")
    sold = _entry(now, "sale.create", clerk, "R-T01-000001")
    other = _entry(now, "sale.create", clerk, "R-T01-000012")
    signed_in = _entry(now, "auth.sign_in", manager, "manager")
    system = _entry(now, "catalog.refresh", None, "100%_off")
    _entry(now, "catalog.refresh", None, "1000off")
    db.session.commit()
    zone = store.config["STORE"].timezone
    assert _seqs(audit.read_filter(actor=str(manager.id), zone=zone)) == [signed_in.seq]
    assert _seqs(audit.read_filter(actor="system", subject="%_", zone=zone)) == [system.seq]
    assert _seqs(audit.read_filter(action="sale.create", zone=zone)) == [other.seq, sold.seq]
    assert _seqs(audit.read_filter(subject="r-t01-000001", zone=zone)) == [sold.seq]
    assert _seqs(audit.read_filter(actor=str(manager.id), action="sale.create", zone=zone)) == []


def test_keyset_pages_neither_skip_nor_repeat(store):
    """120 entries in pages of 50: newest first, each page pointing at its neighbours; going back newer gives
    the same page again; a filtered log pages the same way."""
    start = datetime.now(UTC) - timedelta(hours=1)
    for n in range(120):
        _entry(start + timedelta(seconds=n), "sale.create" if n % 2 else "auth.sign_in")
    db.session.commit()
    everything = audit.AuditFilter()
    first = audit.browse(everything)
    second = audit.browse(everything, before=first.older_before)
    third = audit.browse(everything, before=second.older_before)
    pages = [[e.seq for e in p.entries] for p in (first, second, third)]
    assert pages == [list(range(120, 70, -1)), list(range(70, 20, -1)), list(range(20, 0, -1))]
    assert (first.newer_after, second.newer_after, third.older_before) == (None, 70, None)
    assert [e.seq for e in audit.browse(everything, after=second.newer_after).entries] == pages[0]
    sales_only = audit.AuditFilter(action="sale.create")
    assert _seqs(sales_only, limit=25) == list(range(120, 70, -2))
    assert _seqs(sales_only, before=72, limit=25) == list(range(70, 20, -2))


@pytest.mark.parametrize(("fields", "field"), [
    ({"first_day": "2026-13-01"}, "first_day"), ({"first_day": "30/11/2026"}, "first_day"),
    ({"last_day": "20261130"}, "last_day"), ({"first_day": "2026-11-30", "last_day": "2026-11-01"}, "first_day"),
    ({"actor": "bob"}, "actor"), ({"actor": "-1"}, "actor"), ({"action": "x; DROP TABLE"}, "action"),
    ({"subject": "R" * 81}, "subject"),
])
def test_bad_filters_are_refused_naming_the_field(fields, field):
    """Impossible or malformed days, a range that ends before it starts, an unknown actor or action form, and an
    over-long subject are refused, naming the field."""
    with pytest.raises(DomainError) as refused:
        audit.read_filter(**fields, zone=ZoneInfo("UTC"))
    assert refused.value.field == field
