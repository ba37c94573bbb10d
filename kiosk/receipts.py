"""The receipt as people read it: a sale turned into formatted, bilingual text fields.

One builder feeds both the on-screen receipt and the printer (kiosk.devices turns this into the
drivers' value object), so what the clerk sees is what the customer takes home.
"""

from __future__ import annotations

from dataclasses import dataclass

from pos.identifiers import Line
from pos.models import Sale
from pos.money import format_money
from pos.store import StoreSettings

from .sale_outcome import carrier_code


@dataclass(frozen=True)
class ReceiptRow:
    """A label and a right-aligned value."""

    label: str
    value: str


@dataclass(frozen=True)
class ReceiptDocument:
    """Everything printed on a receipt, already formatted."""

    store_name: str
    header_lines: tuple[str, ...]
    footer_lines: tuple[str, ...]
    terminal: str
    clerk: str
    issued_at: str
    receipt_number: str
    line_masked: str
    plan_name: str
    plan_name_zh: str
    terms: tuple[str, ...]
    amounts: tuple[ReceiptRow, ...]
    total: ReceiptRow
    payment: tuple[ReceiptRow, ...]
    status_line: str
    status_notes: tuple[str, ...]
    qr_data: str
    is_copy: bool


def _allowance(value: int, unit: str) -> str:
    return "Unlimited 无限" if value < 0 else f"{value:,} {unit}"


def plan_terms(validity_days: int, data_mb: int, voice_min: int, sms: int) -> tuple[str, ...]:
    """The plan's terms as short bilingual lines."""
    data = "Unlimited 无限" if data_mb < 0 else (
        f"{data_mb // 1024} GB" if data_mb % 1024 == 0 else f"{data_mb:,} MB")
    return (f"{validity_days} days 天", f"Data 流量: {data}", f"Voice 通话: {_allowance(voice_min, 'min')}",
            f"SMS 短信: {_allowance(sms, '')}".rstrip())


#: Carrier reasons as printed (bilingual, like the rest of the receipt; the code is read by sale_outcome).
_REASONS = {
    "RECENTLY_RENEWED": "Line had just been renewed 该号码刚刚续费过",
    "LINE_NOT_ELIGIBLE": "Line is terminated 该号码已停用",
    "LINE_NOT_FOUND": "Carrier does not know this line 运营商无此号码",
    "PLAN_UNAVAILABLE": "Plan no longer offered 套餐已下架",
    "PRICE_CHANGED": "Carrier price changed 运营商价格已变",
    "WITHDRAWN_FOR_REFUND": "Stopped for a refund 因退款已停止",
}


def status_line(sale: Sale, store: StoreSettings) -> str:
    """Where the renewal stands with the carrier, in English and Chinese."""
    if sale.status == "confirmed" and sale.new_expires_at:
        expiry = sale.new_expires_at.astimezone(store.timezone).strftime("%Y-%m-%d")
        return f"Confirmed, new expiry {expiry} 已确认，新到期日 {expiry}"
    if sale.status == "needs_refund":
        return "NOT RENEWED: REFUND DUE 未续费：应退款"
    if sale.status == "refunded":
        return "NOT RENEWED: REFUNDED 未续费：已退款"
    if sale.status == "needs_attention":
        return "NOT CONFIRMED: STAFF MUST CHECK 未确认：需店员核查"
    return "Pending carrier confirmation 等待运营商确认"


def charge_label(code: str, name: str, store: StoreSettings) -> str:
    """A fee line's label, bilingual like the rest of the receipt: the name recorded with the sale and
    the store's configured Chinese name for that charge (``name_zh``), when it has one."""
    rule = next((r for r in store.charges if r.code == code), None)
    chinese = rule.names.get("zh") if rule else None
    return f"{name} {chinese}" if chinese and chinese not in name else name


def status_notes(sale: Sale) -> tuple[str, ...]:
    """Why a renewal failed and what happens next, printed under the status line."""
    if sale.status not in ("needs_refund", "needs_attention", "refunded"):
        return ()
    kind, code = carrier_code(sale.status_reason)
    said = {"declined": "Declined by the carrier 运营商拒绝", "reversed": "Reversed by the carrier 运营商已撤销"}
    notes = [said[kind]] if kind in said else []
    if code:
        notes.append(_REASONS.get(code, code))
    if sale.status == "needs_refund":
        notes.append("Ask staff for your refund 请向店员申请退款")
    elif sale.status == "needs_attention":
        notes.append("Staff will check this sale 店员将核查此笔交易")
    return tuple(notes)


def build_receipt(sale: Sale, store: StoreSettings, *, copy: bool = False) -> ReceiptDocument:
    """The receipt of ``sale`` (``copy`` for a reprint)."""
    money = lambda minor: format_money(minor, sale.currency)  # noqa: E731 - local shorthand
    plan = sale.plan
    amounts = [ReceiptRow("Plan 套餐", money(sale.subtotal_minor))]
    amounts += [ReceiptRow(charge_label(c.code, c.name, store), money(c.amount_minor)) for c in sale.charges]
    pay = sale.payment
    if pay is None:
        payment: list[ReceiptRow] = []
    elif pay.method == "cash":
        payment = [ReceiptRow("Cash 现金", money(pay.tendered_minor or 0)),
                   ReceiptRow("Change 找零", money(pay.change_minor or 0))]
    elif pay.method == "card":
        payment = [ReceiptRow("Card 银行卡", f"****{pay.card_last4}"),
                   ReceiptRow("Approval 授权码", pay.approval_code or "")]
    else:
        payment = [ReceiptRow("Paid 已付", money(pay.amount_minor))]
    issued = sale.created_at.astimezone(store.timezone).strftime("%Y-%m-%d %H:%M %Z")
    return ReceiptDocument(
        store_name=store.name, header_lines=store.address + store.receipt_header,
        footer_lines=store.receipt_footer, terminal=sale.terminal.code,
        clerk=sale.staff.name if sale.staff else "Kiosk", issued_at=issued,
        receipt_number=sale.receipt_number, line_masked=Line(sale.line_kind, sale.line).masked,
        plan_name=plan.name_en, plan_name_zh=plan.name_zh,
        terms=plan_terms(plan.validity_days, plan.data_mb, plan.voice_min, plan.sms),
        amounts=tuple(amounts), total=ReceiptRow("TOTAL 合计", money(sale.total_minor)),
        payment=tuple(payment), status_line=status_line(sale, store), status_notes=status_notes(sale),
        qr_data=sale.receipt_number,
        is_copy=copy)
