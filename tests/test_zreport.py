"""X and Z reports (SQLite and PostgreSQL): totals to the cent, Z numbers gapless per terminal, a Z frozen
with its hash and the audit head, refused for an open till or a second time, and two issues racing."""

from __future__ import annotations

import csv
import io
import threading
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from pos.db import begin_write, db
from pos.errors import Conflict
from pos.models import AuditEntry, Terminal, TillCorrection, ZReport
from pos.services import audit, till, zreport
from pos.services.staff import find_staff
from pos.services.terminals import terminal_by_code
from pos.services.zreport_csv import to_csv

from .helpers import MANAGER_PIN, empty_tables, ensure_open_till, gen_staff, seed_basic, seeded_app
from .postgres import temporary_database
from .zreport_helpers import close_session, refund, sell

TWO_TERMINALS = {"terminals": [{"code": "T01", "name": "Counter 1"}, {"code": "T02", "name": "Counter 2"}]}
#: The demo float ($154.00) counted again at close, plus what a day leaves: (form, cents, how many).
FLOAT_AGAIN = [("bill", 2000, 5), ("bill", 1000, 3), ("bill", 500, 2), ("bill", 100, 10), ("coin", 25, 8),
               ("coin", 10, 10), ("coin", 5, 10), ("coin", 1, 50)]


@pytest.fixture(scope="module", params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def two_tills(request, tmp_path_factory):
    """A store with terminals T01 and T02 on each database (one app per module and database)."""
    folder = tmp_path_factory.mktemp(request.param)
    if request.param == "sqlite":
        with seeded_app(folder, TWO_TERMINALS) as app:
            yield app
    else:
        with temporary_database() as url, seeded_app(folder, TWO_TERMINALS | {"database": {"url": url}}) as app:
            yield app


@pytest.fixture
def store(two_tills):
    """An app context on an emptied store: plans, a clerk and a manager, T01's till open with the demo float."""
    empty_tables(two_tills)
    seed_basic(two_tills)
    with two_tills.app_context():
        begin_write()
        yield two_tills
        db.session.rollback()


def _day_on_t01(app) -> dict:
    """A day on T01 with everything a Z reports, and sales elsewhere that it must leave out. Returns the session."""
    clerk, manager = find_staff("clerk"), find_staff("manager")
    boss = gen_staff("boss", "manager", MANAGER_PIN)
    session = till.current_till(terminal_by_code("T01"))
    sell(app, card=True, plan="US-15D-10GB", now=session.opened_at - timedelta(minutes=5))  # before the till opened
    cash = [sell(app, who=clerk), sell(app, who=clerk), sell(app, who=clerk, plan="US-15D-10GB"),
            sell(app, who=manager)]
    cards = [sell(app, who=manager, card=True, plan="US-15D-10GB"), sell(app, card=True)]  # the second: kiosk-like
    cash[1].status, cash[1].status_reason = "needs_refund", "declined by the carrier: RECENTLY_RENEWED"
    cash[2].status = "confirmed"
    cards[0].status = "needs_attention"
    cards[1].status, cards[1].status_reason = "needs_refund", "reversed by the carrier"
    refund(cash[1], method="cash", requested_by=clerk, approved_by=manager, session=session)
    refund(cash[3], method="card", requested_by=clerk, approved_by=manager)  # a cash sale refunded on card
    till.record_movement(session, "paid_in", 5000, staff=manager, reason="change from the bank")
    till.record_movement(session, "paid_out", -1250, staff=manager, reason="milk")
    till.record_movement(session, "drop", -3000, staff=manager, reason="safe")
    till.record_movement(session, "no_sale", 0, staff=manager)
    till.record_movement(session, "no_sale", 0, staff=manager)
    ensure_open_till(app, "T02")
    sell(app, "T02", who=clerk)  # another terminal's till
    sell(app, "T02", card=True)
    # The drawer: float 154.00 + sales 15.23 + 15.23 + 25.38 + 15.23 - refund 15.23 + 50.00 - 12.50 - 30.00 = 217.34;
    # counted one dollar short.
    close_session(session, counted=[*FLOAT_AGAIN, ("bill", 2000, 3), ("bill", 100, 2), ("coin", 25, 1),
                                    ("coin", 5, 1), ("coin", 1, 4)], by=manager, approver=boss, note="one dollar short")
    return session


def test_typed_text_in_the_csv_never_runs_as_a_formula(store):
    """A close note or a correction reason typed as a formula is written as text in the Z's CSV; negative amounts
    stay numbers."""
    manager = find_staff("manager")
    session = till.current_till(terminal_by_code("T01"))
    close_session(session, counted=[("bill", 2000, 5)], by=manager, approver=gen_staff("boss", "manager", MANAGER_PIN),
                  note='=HYPERLINK("http://127.0.0.1/x","click")')
    rows = list(csv.reader(io.StringIO(to_csv(zreport.issue_z(session, staff=manager).content).lstrip("\ufeff"))))
    cells = [cell for row in rows for cell in row]
    assert "'=HYPERLINK(\"http://127.0.0.1/x\",\"click\")" in cells
    assert not any(cell.startswith("=") for cell in cells)
    assert "-54.00" in cells  # the shortage: float 154.00 counted as 100.00


def test_card_sales_while_no_till_is_open_are_on_the_next_z(store):
    """Card sales go on after a close; they belong to the terminal's next Z (from the previous close on), so a
    sale between two tills is on exactly one Z, never on none."""
    manager = find_staff("manager")
    first = till.current_till(terminal_by_code("T01"))
    sell(store, card=True)
    close_session(first, counted=FLOAT_AGAIN, by=manager)
    z1 = zreport.issue_z(first, staff=manager)
    between = sell(store, card=True, plan="US-15D-10GB", now=first.closed_at + timedelta(minutes=1))
    second = ensure_open_till(store)
    second.opened_at = first.closed_at + timedelta(hours=12)
    close_session(second, counted=FLOAT_AGAIN, by=manager, now=second.opened_at + timedelta(hours=1))
    z2 = zreport.issue_z(second, staff=manager)
    assert z1.content["sales"]["count"] == 1 and z2.content["sales"]["count"] == 1
    assert z2.content["by_method"][1] == {"method": "card", "count": 1, "amount": between.total_minor}
    assert z2.content["session"]["card_period_start"] == z1.content["session"]["closed_at"]


def test_z_totals_to_the_cent(store):
    """A Z adds up the session's sales by method, plan and clerk, its fees, refunds and cash to the cent."""
    session = _day_on_t01(store)
    z = zreport.issue_z(session, staff=find_staff("manager"))
    c = z.content
    assert (c["report"], c["number"], c["terminal"]["code"], c["currency"]) == ("Z", 1, "T01", "USD")
    assert c["session"] | {"opened_at": None, "closed_at": None} == {
        "id": session.id, "state": "closed", "opened_at": None, "closed_at": None, "opened_by": "manager",
        "closed_by": "manager", "approved_by": "boss", "close_note": "one dollar short",
        "card_period_start": c["session"]["opened_at"]}
    # 4 cash sales (3 x 15.23 with a 0.23 fee, 1 x 25.38 with 0.38) and 2 card sales (25.38, 15.23).
    assert c["sales"] == {"count": 6, "subtotal": 11000, "fees": 23 * 4 + 38 * 2, "total": 11168}
    assert c["by_method"] == [{"method": "cash", "count": 4, "amount": 7107},
                              {"method": "card", "count": 2, "amount": 4061}]
    assert sum(r["amount"] for r in c["by_method"]) == c["sales"]["total"]
    assert [(r["plan"], r["count"], r["subtotal"], r["fees"], r["total"]) for r in c["by_plan"]] == [
        ("US-15D-10GB", 2, 5000, 76, 5076), ("US-7D-5GB", 4, 6000, 92, 6092)]
    assert c["by_plan"][0]["name_zh"] == "美国 15天 10GB"
    assert sorted(((r["clerk"] or ""), r["count"], r["amount"]) for r in c["by_clerk"]) == [
        ("", 1, 1523), ("clerk", 3, 5584), ("manager", 2, 4061)]
    assert c["charges"] == [{"code": "911", "name": "Prepaid wireless 911 fee", "count": 6, "amount": 168}]
    assert c["refunds"] == {"count": 2, "amount": 3046, "by_method": [
        {"method": "cash", "count": 1, "amount": 1523}, {"method": "card", "count": 1, "amount": 1523}]}
    assert c["voids"] is None
    cash = c["cash"]
    assert cash | {"count": None} == {
        "float": 15400, "sales": {"count": 4, "amount": 7107}, "refunds": {"count": 1, "amount": 1523},
        "paid_in": {"count": 1, "amount": 5000}, "paid_out": {"count": 1, "amount": 1250},
        "drops": {"count": 1, "amount": 3000}, "no_sale_openings": 2, "expected": 21734,
        "counted": 21634, "over_short": -100, "count": None}
    assert cash["expected"] == (cash["float"] + cash["sales"]["amount"] - cash["refunds"]["amount"]
                                + cash["paid_in"]["amount"] - cash["paid_out"]["amount"] - cash["drops"]["amount"])
    assert sum(line["amount"] for line in cash["count"]) == cash["counted"]
    assert {"form": "bill", "denomination": 2000, "quantity": 8, "amount": 16000} in cash["count"]
    assert [(r["status"], r["total"]) for r in c["renewals"]] == [("pending", 1523), ("needs_attention", 2538),
                                                                 ("needs_refund", 1523)]
    assert c["renewals"][2]["reason"] == "reversed by the carrier" and c["renewals"][0]["sold_at"].endswith("Z")
    assert c["corrections"] == []


def test_x_report_of_an_open_till_and_z_refused(store):
    """An X of an open till shows the drawer so far; a Z for it is refused and writes nothing, not even a number."""
    session = till.current_till(terminal_by_code("T01"))
    sell(store, who=find_staff("clerk"))
    x = zreport.build_report(session)
    assert (x["report"], x["session"]["state"], x["session"]["closed_at"]) == ("X", "open", None)
    assert (x["cash"]["expected"], x["cash"]["counted"], x["cash"]["over_short"], x["cash"]["count"]) == (
        15400 + 1523, None, None, None)
    assert x["generated_at"].endswith("Z") and x["sales"]["count"] == 1
    entries = db.session.scalar(select(func.count()).select_from(AuditEntry))
    with pytest.raises(Conflict) as refused:
        zreport.issue_z(session, staff=find_staff("manager"))
    assert refused.value.code == "till_still_open" and refused.value.message.startswith("Close the till first")
    assert db.session.scalar(select(Terminal.last_z_number).where(Terminal.code == "T01")) == 0
    assert db.session.scalar(select(func.count()).select_from(ZReport)) == 0
    assert db.session.scalar(select(func.count()).select_from(AuditEntry)) == entries


def _closed_session(app, code: str):
    """Open ``code``'s till (unless open), sell one $15.23 plan for cash, close it counted exactly."""
    manager = find_staff("manager")
    session = ensure_open_till(app, code)
    sell(app, code, who=manager)
    close_session(session, counted=[*FLOAT_AGAIN, ("bill", 1000, 1), ("bill", 500, 1), ("coin", 10, 2),
                                    ("coin", 1, 3)], by=manager)
    return session


def test_z_numbers_are_gapless_per_terminal(store):
    """Each terminal numbers its Z reports 1, 2, 3...; a refused request uses no number."""
    manager = find_staff("manager")
    first, second = _closed_session(store, "T01"), _closed_session(store, "T01")
    other = _closed_session(store, "T02")
    assert [zreport.issue_z(s, staff=manager).number for s in (first, other, second)] == [1, 1, 2]
    with pytest.raises(Conflict) as again:
        zreport.issue_z(first, staff=manager)
    assert again.value.code == "z_already_issued" and again.value.params == {"number": 1}
    with pytest.raises(Conflict):
        zreport.issue_z(ensure_open_till(store, "T01"), staff=manager)
    third = _closed_session(store, "T01")
    assert zreport.issue_z(third, staff=manager).number == 3
    numbers = db.session.execute(select(Terminal.code, ZReport.number).join(Terminal).order_by(ZReport.id)).all()
    assert [tuple(n) for n in numbers] == [("T01", 1), ("T02", 1), ("T01", 2), ("T01", 3)]
    assert third.over_short_minor == 0


def test_a_z_is_frozen_with_its_hash_and_the_audit_head(store):
    """The stored content hashes to the stored hash, names the audit head before it, and never moves again."""
    session = _closed_session(store, "T01")
    head = audit.head_hash()
    z = zreport.issue_z(session, staff=find_staff("manager"))
    db.session.commit()
    begin_write()
    stored = db.session.get(ZReport, z.id)
    db.session.expire(stored)
    assert stored.content_hash == zreport.content_hash(stored.content) and len(stored.content_hash) == 64
    assert stored.audit_head_hash == stored.content["audit_head_hash"] == head
    entry = db.session.scalars(select(AuditEntry).order_by(AuditEntry.seq.desc())).first()
    assert (entry.action, entry.subject, entry.prev_hash) == ("z.issue", "Z-T01-0001", head)
    assert entry.detail["content_hash"] == stored.content_hash and entry.detail["number"] == 1
    assert audit.verify_chain().intact
    before = dict(stored.content)
    sale = sell(store, card=True)  # a sale after the close, its renewal settled later: the Z stays as issued
    sale.status = "confirmed"
    db.session.flush()
    db.session.expire(stored)
    assert stored.content == before and zreport.content_hash(stored.content) == stored.content_hash


def test_the_next_z_shows_and_marks_pending_corrections(store):
    """A correction to a closed till appears on the terminal's next Z (X reports show it as pending) and only there."""
    manager = find_staff("manager")
    earlier = _closed_session(store, "T01")
    zreport.issue_z(earlier, staff=manager)
    correction = TillCorrection(till_session_id=earlier.id, amount_minor=-500, reason="counted a $5 bill twice",
                                staff_id=manager.id)
    db.session.add(correction)
    db.session.flush()
    later = ensure_open_till(store, "T01")
    assert [c["amount"] for c in zreport.build_report(later)["corrections"]] == [-500]
    sell(store, who=manager)
    close_session(later, counted=FLOAT_AGAIN, by=manager)
    z = zreport.issue_z(later, staff=manager)
    assert [(c["till_session_id"], c["amount"], c["reason"], c["by"]) for c in z.content["corrections"]] == [
        (earlier.id, -500, "counted a $5 bill twice", "manager")]
    db.session.refresh(correction)
    assert correction.z_report_id == z.id
    assert zreport.build_report(ensure_open_till(store, "T01"))["corrections"] == []


def test_csv_has_one_block_per_section(store):
    """The CSV starts with a BOM, reads back with the same figures as decimals, and carries the hashes."""
    session = _day_on_t01(store)
    z = zreport.issue_z(session, staff=find_staff("manager"))
    text = to_csv(z.content)
    assert text.startswith("\ufeff")
    rows = list(csv.reader(io.StringIO(text[1:])))
    blocks, block = {}, []
    for row in rows:
        if row:
            block.append(row)
        elif block:
            blocks[block[0][0]] = block[1:]
            block = []
    assert list(blocks) == ["Z REPORT Z报表", "Sales 销售", "By payment 按付款方式", "By plan 按套餐",
                            "By clerk 按店员", "Fees and taxes 税费", "Refunds 退款", "Voids 作废",
                            "Cash drawer 钱箱现金", "Close count 结班点钞", "Renewals to follow up 待跟进续费",
                            "Corrections 更正", "Content SHA-256 内容哈希"]
    about = dict(blocks["Z REPORT Z报表"][1:])
    assert about["Z number Z编号"] == "1" and about["Terminal 终端"] == "T01 Counter 1"
    assert about["Approved by 批准人"] == "boss" and about["Currency 货币"] == "USD"
    assert blocks["Sales 销售"][1] == ["6", "110.00", "1.68", "111.68"]
    assert blocks["By payment 按付款方式"][1:] == [["Cash 现金", "4", "71.07"], ["Card 银行卡", "2", "40.61"]]
    assert blocks["By plan 按套餐"][1] == ["US-15D-10GB", "USA 15 days · 10 GB 美国 15天 10GB", "2", "50.00", "0.76",
                                        "50.76"]
    cash = {row[0]: row[1:] for row in blocks["Cash drawer 钱箱现金"][1:]}
    assert cash["Opening float 备用金"] == ["", "154.00"] and cash["Over/short 长短款"] == ["", "-1.00"]
    assert cash["No-sale openings 无销售开箱"] == ["2", ""] and cash["Expected 应有"] == ["", "217.34"]
    assert ["$20.00 bill 纸币", "8", "160.00"] in blocks["Close count 结班点钞"]
    assert blocks["Content SHA-256 内容哈希"][1] == [z.content_hash, z.audit_head_hash]
    assert blocks["Voids 作废"][1] == ["not used: sales are refunded 不适用：只退款"]


def _race(app, session_ids: list[int]) -> list:
    """Issue a Z for each session id from its own thread at once; returns numbers or refusal codes."""
    results, barrier = [], threading.Barrier(len(session_ids))

    def issue(session_id: int) -> None:
        with app.app_context():
            try:
                begin_write()
                session = zreport.till_session(session_id)
                barrier.wait(5)
                z = zreport.issue_z(session, staff=find_staff("manager"))
                db.session.commit()
                results.append(z.number)
            except Conflict as exc:
                db.session.rollback()
                results.append(exc.code)

    threads = [threading.Thread(target=issue, args=(sid,)) for sid in session_ids]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    return results


@pytest.mark.postgres
def test_two_issues_racing_on_postgres(tmp_path):
    """Two PostgreSQL transactions issuing at once: one session gets one Z and one refusal; two sessions of one
    terminal get numbers 1 and 2, never a duplicate."""
    with temporary_database() as url, seeded_app(tmp_path, {"database": {"url": url}}) as app:
        with app.app_context():
            first, second = _closed_session(app, "T01"), _closed_session(app, "T01")
            third = _closed_session(app, "T01")
            ids = first.id, second.id, third.id
            db.session.commit()
        assert sorted(_race(app, [ids[0], ids[0]]), key=str) == [1, "z_already_issued"]
        assert sorted(_race(app, [ids[1], ids[2]])) == [2, 3]
        with app.app_context():
            assert sorted(db.session.scalars(select(ZReport.number))) == [1, 2, 3]
            assert audit.verify_chain().intact
