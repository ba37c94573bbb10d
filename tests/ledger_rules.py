# ruff: noqa: S608 - raw SQL on purpose, built from this module's constants only: each statement breaks one rule
"""The cash ledger's database rules as raw statements that break them (read by tests/test_database_rules.py).

The rows they aim at are made by ``fill_ledger``: T01 with a closed till (its Z report and a correction) and
an open one (a cash sale, a cash refund), T02 with a till counted and waiting for approval, T03 with none.
"""

from __future__ import annotations

from pos.db import db, utcnow
from pos.models import Refund
from pos.services import staff, till, till_close
from pos.services.terminals import ensure_terminals, terminal_by_code
from pos.store import TillRules

from .helpers import gen_sale

TS = "'2026-01-01 00:00:00'"
OPEN = "(SELECT id FROM till_session WHERE state = 'open')"
CLOSED = "(SELECT MIN(id) FROM till_session WHERE state = 'closed')"
COUNTED = "(SELECT id FROM till_session WHERE state = 'counted')"
TERMINAL = "(SELECT id FROM terminal WHERE code = '{}')"
MANAGER = "(SELECT id FROM staff WHERE name = 'manager')"
CLERK = "(SELECT id FROM staff WHERE name = 'clerk')"
REFUNDED_SALE = "(SELECT sale_id FROM refund WHERE state = 'completed')"
CARD_SALE = "(SELECT MIN(sale_id) FROM payment WHERE method = 'card')"
REFUND = "(SELECT id FROM refund WHERE state = 'completed')"
OPEN_COUNT = f"(SELECT id FROM cash_count WHERE purpose = 'open' AND till_session_id = {OPEN})"


def session_row(terminal: str = "T03", state: str = "closed", counted: str = "100", expected: str = "100",
                over_short: str = "0", closed_by: str = "NULL", approved_by: str = "NULL", note: str = "NULL",
                closed_at: str = TS) -> str:
    """A till_session INSERT, consistent unless an argument says otherwise."""
    return ("INSERT INTO till_session (terminal_id, state, currency, float_minor, opened_at, closed_at, "
            "counted_minor, expected_minor, over_short_minor, closed_by, approved_by, close_note) VALUES ("
            f"{TERMINAL.format(terminal)}, '{state}', 'USD', 0, {TS}, {closed_at}, {counted}, {expected}, "
            f"{over_short}, {closed_by}, {approved_by}, {note})")


def movement(kind: str, amount: int, *, sale: str = "NULL", refund: str = "NULL", reason: str = "'why'",
             session: str = OPEN) -> str:
    """A cash_movement INSERT into the open till unless ``session`` names another."""
    return ("INSERT INTO cash_movement (till_session_id, kind, amount_minor, sale_id, refund_id, reason, created_at) "
            f"VALUES ({session}, '{kind}', {amount}, {sale}, {refund}, {reason}, {TS})")


def count_line(form: str, value: int, quantity: int, amount: int) -> str:
    """A line of the open till's float count."""
    return ("INSERT INTO cash_count_line (count_id, form, denomination_minor, quantity, amount_minor) "
            f"VALUES ({OPEN_COUNT}, '{form}', {value}, {quantity}, {amount})")


def refund_row(**changes: str) -> str:
    """A refund INSERT: a rejected card refund of the card sale unless ``changes`` say otherwise."""
    row = {"sale_id": CARD_SALE, "state": "'rejected'", "method": "'card'", "amount_minor": "1523",
           "currency": "'USD'", "reason": "'x'", "sale_status_at_request": "'needs_refund'",
           "requested_by": CLERK, "requested_at": TS, "approved_by": "NULL", "completed_at": "NULL",
           "till_session_id": "NULL", "approval_code": "NULL", "card_last4": "NULL"} | changes
    return f"INSERT INTO refund ({', '.join(row)}) VALUES ({', '.join(row.values())})"


COMPLETED = {"state": "'completed'", "approved_by": MANAGER, "completed_at": TS}

#: (constraint or index the statement must trip, statement). SQLite names a broken unique index's columns,
#: PostgreSQL the index.
BREAKS = [
    ("ck_till_session_state", "UPDATE till_session SET state = 'lost' WHERE state = 'open'"),
    ("ck_till_session_float_not_negative", "UPDATE till_session SET float_minor = -1 WHERE state = 'open'"),
    ("ck_till_session_closed_has_count", "UPDATE till_session SET state = 'closed' WHERE state = 'open'"),
    ("ck_till_session_closed_has_count", session_row(over_short="5")),
    ("ck_till_session_open_has_no_close", "UPDATE till_session SET counted_minor = 100 WHERE state = 'open'"),
    ("ck_till_session_counted_not_negative", session_row(counted="-1", expected="0", over_short="-1")),
    ("ck_till_session_counted_waits_for_approval", session_row(state="counted", closed_at="NULL")),
    ("ck_till_session_counted_waits_for_approval", session_row(state="counted", closed_by=MANAGER)),
    ("ck_till_session_approval_has_note", session_row(closed_by=CLERK, approved_by=MANAGER)),
    ("ck_till_session_approver_is_not_counter", session_row(closed_by=MANAGER, approved_by=MANAGER, note="'ok'")),
    ("uq_till_session_open_terminal|till_session.terminal_id", session_row("T01", "open", "NULL", "NULL", "NULL",
                                                                           closed_at="NULL")),
    ("uq_till_session_open_terminal|till_session.terminal_id", session_row("T02", "open", "NULL", "NULL", "NULL",
                                                                           closed_at="NULL")),
    ("ck_cash_movement_kind", movement("bonus", 1)),
    ("ck_cash_movement_float_sign", movement("float", -1)),
    ("ck_cash_movement_sale_sign", movement("sale", 100)),
    ("ck_cash_movement_refund_sign", movement("refund", -100)),
    ("ck_cash_movement_paid_in_sign", movement("paid_in", -1)),
    ("ck_cash_movement_paid_out_sign", movement("paid_out", 1)),
    ("ck_cash_movement_drop_sign", movement("drop", 1)),
    ("ck_cash_movement_no_sale_moves_nothing", movement("no_sale", 1)),
    ("ck_cash_movement_reason_given", movement("paid_in", 100, reason="NULL")),
    ("ck_cash_movement_reason_given", movement("drop", -100, reason="''")),
    ("ck_cash_movement_sale_only_on_sale", movement("paid_in", 100, sale=CARD_SALE)),
    ("ck_cash_movement_refund_only_on_refund", movement("paid_in", 100, refund=REFUND)),
    ("uq_cash_movement_sale_id|cash_movement.sale_id",
     movement("sale", 1523, sale="(SELECT MAX(sale_id) FROM cash_movement WHERE kind = 'sale')")),
    ("uq_cash_movement_refund_id|cash_movement.refund_id", movement("refund", -1523, refund=REFUND)),
    ("ck_cash_count_purpose", "INSERT INTO cash_count (till_session_id, purpose, counted_at, total_minor) "
                              f"VALUES ({OPEN}, 'recount', {TS}, 0)"),
    ("ck_cash_count_total_not_negative", "INSERT INTO cash_count (till_session_id, purpose, counted_at, total_minor) "
                                         f"VALUES ({OPEN}, 'close', {TS}, -1)"),
    ("ck_cash_count_line_form", count_line("note", 7, 1, 7)),
    ("ck_cash_count_line_denomination_positive", count_line("coin", 0, 1, 0)),
    ("ck_cash_count_line_quantity_in_range", count_line("coin", 7, -1, -7)),
    ("ck_cash_count_line_quantity_in_range", count_line("coin", 7, 100_001, 700_007)),
    ("ck_cash_count_line_amount_is_quantity_times_denomination", count_line("coin", 7, 2, 15)),
    ("ck_till_correction_amount_not_zero", "INSERT INTO till_correction (till_session_id, amount_minor, reason, "
                                           f"created_at) VALUES ({CLOSED}, 0, 'x', {TS})"),
    ("ck_till_correction_reason_given", "INSERT INTO till_correction (till_session_id, amount_minor, reason, "
                                        f"created_at) VALUES ({CLOSED}, 5, '', {TS})"),
    ("ck_refund_state", refund_row(state="'lost'")),
    ("ck_refund_method", refund_row(method="'wire'")),
    ("ck_refund_amount_positive", refund_row(amount_minor="0")),
    ("ck_refund_approver_is_not_requester", refund_row(approved_by=CLERK)),
    ("ck_refund_completed_is_approved", refund_row(**COMPLETED | {"approved_by": "NULL", "approval_code": "'A1B2C3'"})),
    ("ck_refund_cash_from_a_till", refund_row(**COMPLETED, method="'cash'")),
    ("ck_refund_card_has_approval", refund_row(**COMPLETED)),
    ("ck_refund_till_only_for_cash", refund_row(till_session_id=OPEN)),
    ("ck_refund_card_fields_only_for_card", refund_row(method="'cash'", approval_code="'A1B2C3'")),
    ("ck_refund_card_last4_digits", refund_row(card_last4="'12a4'")),
    ("uq_refund_sale_id|refund.sale_id", refund_row(sale_id=REFUNDED_SALE, state="'requested'", method="'cash'")),
    ("ck_z_report_number_positive", "INSERT INTO z_report (terminal_id, number, till_session_id, issued_at, content, "
                                    f"content_hash, audit_head_hash) VALUES ({TERMINAL.format('T01')}, 0, {OPEN}, "
                                    f"{TS}, '{{}}', 'h', 'h')"),
    ("ck_payment_cash_in_a_till", "UPDATE payment SET till_session_id = NULL WHERE method = 'cash'"),
    ("ck_payment_till_only_for_cash", f"UPDATE payment SET till_session_id = {OPEN} WHERE method = 'card'"),
    ("ck_terminal_last_z_number_not_negative", "UPDATE terminal SET last_z_number = -1"),
]

#: (the trigger that must refuse it, as named on SQLite; what the refusal says; statement).
TRIGGER_BREAKS = [
    *((f"{table}_no_{verb.lower()}", f"{table} is append-only: {verb} refused", statement)
      for table, change in (("cash_movement", "reason = 'x'"), ("cash_count", "total_minor = total_minor"),
                            ("cash_count_line", "quantity = quantity"), ("z_report", "content_hash = 'x'"))
      for verb, statement in (("UPDATE", f"UPDATE {table} SET {change}"), ("DELETE", f"DELETE FROM {table}"))),
    ("cash_movement_needs_open_till", "not open", movement("no_sale", 0, session=CLOSED)),
    ("cash_movement_needs_open_till", "not open", movement("no_sale", 0, session=COUNTED)),
    ("cash_count_needs_open_till", "not open", "INSERT INTO cash_count (till_session_id, purpose, counted_at, "
                                               f"total_minor) VALUES ({COUNTED}, 'close', {TS}, 0)"),
    ("till_session_closed_no_update", "closed", "UPDATE till_session SET close_note = 'edited' WHERE state = 'closed'"),
    ("till_session_no_delete", "DELETE refused", "DELETE FROM till_session WHERE state = 'closed'"),
    ("till_session_no_delete", "DELETE refused", "DELETE FROM till_session WHERE state = 'open'"),
    ("till_session_counted_no_change", "counted", "UPDATE till_session SET counted_minor = counted_minor + 100, "
                                                  "over_short_minor = over_short_minor + 100 WHERE state = 'counted'"),
    ("till_correction_no_update", "till_correction is append-only", "UPDATE till_correction SET amount_minor = 1"),
    ("till_correction_no_update", "till_correction is append-only",
     "UPDATE till_correction SET z_report_id = (SELECT MIN(id) FROM z_report), reason = 'edited'"),
    ("till_correction_no_delete", "till_correction is append-only", "DELETE FROM till_correction"),
    ("till_session_counted_no_change", "counted", "UPDATE till_session SET state = 'open', closed_by = NULL, "
                                                  "counted_minor = NULL, expected_minor = NULL, "
                                                  "over_short_minor = NULL WHERE state = 'counted'"),
]


def fill_ledger(app) -> None:
    """Through the services: T01's till closed exactly (the close issues its Z report; then a correction) and
    opened again with a cash sale and its cash refund; T02's till counted $10 short, waiting for approval; T03
    never opened."""
    with app.app_context():
        ensure_terminals([("T01", "Counter 1", "counter"), ("T02", "Counter 2", "counter"),
                          ("T03", "Counter 3", "counter")])
        manager, t01 = staff.find_staff("manager"), terminal_by_code("T01")
        first = till.current_till(t01)
        closed = till_close.close_till(t01, first.id, staff=manager, rules=TillRules(),
                                       count=[till.CountLine("coin", 1, till.expected_minor(first))])
        till_close.correct_till(closed.id, "found", 100, reason="under the tray", staff=manager)
        sale = gen_sale(app, line="+14155550125")
        refund = Refund(sale_id=sale.id, state="completed", method="cash", amount_minor=sale.total_minor,
                        currency="USD", reason="declined", sale_status_at_request="needs_refund",
                        requested_by=staff.find_staff("clerk").id, approved_by=manager.id, decided_at=utcnow(),
                        completed_at=utcnow(), terminal_id=t01.id, till_session_id=till.current_till(t01).id)
        db.session.add(refund)
        db.session.flush()
        till.record_movement(till.current_till(t01), "refund", -sale.total_minor, staff=manager, refund=refund)
        t02 = terminal_by_code("T02")
        counted = till.open_till(t02, staff=manager, currency="USD", float_count=[till.CountLine("bill", 2000, 1)])
        till_close.close_till(t02, counted.id, staff=manager, rules=TillRules(),
                              count=[till.CountLine("bill", 1000, 1)])
        db.session.commit()
