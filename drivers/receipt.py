"""Receipts and other printed documents as value objects, rendered to ESC/POS bytes or text.

The kiosk formats money and dates and translates every label before building a `Receipt`;
nothing here knows a currency or a language. `render_receipt` is pure: same receipt, same bytes.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields

from drivers import layout
from drivers.layout import Cut, Qr, Row, Rule, Text

PAPER_COLUMNS = (32, 42, 48)  # 58 mm Font A; 80 mm at 42 (512-dot heads) or 48 (576-dot heads)


def _as_tuples(obj) -> None:
    # A kiosk may hand over lists; a frozen value object should hold tuples so it stays hashable.
    for f in fields(obj):
        value = getattr(obj, f.name)
        if isinstance(value, list):
            object.__setattr__(obj, f.name, tuple(value))


@dataclass(frozen=True)
class ReceiptAmount:
    """One labelled amount or payment detail, both already formatted ('Tax', '$1.58')."""

    label: str
    text: str


@dataclass(frozen=True, kw_only=True)
class ReceiptLabels:
    """Field labels, already translated (bilingual labels like 'Plan 套餐' are fine)."""

    receipt_number: str = "Receipt"
    issued_at: str = "Date"
    terminal: str = "Terminal"
    clerk: str = "Clerk"
    line: str = "Line"
    copy: str = "COPY"


@dataclass(frozen=True, kw_only=True)
class Receipt:
    """A sale receipt, every string final. `qr_data=None` prints the receipt number as QR."""

    store_name: str
    receipt_number: str
    issued_at: str
    total: ReceiptAmount
    header_lines: tuple[str, ...] = ()
    footer_lines: tuple[str, ...] = ()
    terminal: str = ""
    clerk: str = ""
    line_masked: str = ""
    plan_name: str = ""
    plan_name_zh: str = ""
    terms: tuple[str, ...] = ()
    amounts: tuple[ReceiptAmount, ...] = ()
    payment: tuple[ReceiptAmount, ...] = ()
    status_line: str = ""
    status_notes: tuple[str, ...] = ()  # why a renewal failed and the next step, under the status line
    qr_data: str | None = None
    is_copy: bool = False
    labels: ReceiptLabels = field(default_factory=ReceiptLabels)

    def __post_init__(self) -> None:
        _as_tuples(self)


def _check_columns(columns: int) -> None:
    if columns not in PAPER_COLUMNS:
        raise ValueError(f"columns must be one of {PAPER_COLUMNS}, not {columns!r}")


def receipt_blocks(receipt: Receipt) -> tuple:
    """The receipt's layout as blocks, before wrapping to a paper width."""
    labels = receipt.labels
    blocks: list = []
    copy_banner = Text(labels.copy, "center", bold=True, tall=True, wide=True)
    if receipt.is_copy:
        blocks.append(copy_banner)
    blocks.append(Text(receipt.store_name, "center", bold=True, tall=True))
    blocks += [Text(line, "center") for line in receipt.header_lines]
    blocks.append(Rule())
    blocks.append(Row(labels.receipt_number, receipt.receipt_number))
    blocks.append(Row(labels.issued_at, receipt.issued_at))
    if receipt.terminal:
        blocks.append(Row(labels.terminal, receipt.terminal))
    if receipt.clerk:
        blocks.append(Row(labels.clerk, receipt.clerk))
    blocks.append(Rule())
    if receipt.line_masked:
        blocks.append(Row(labels.line, receipt.line_masked))
    if receipt.plan_name:
        blocks.append(Text(receipt.plan_name, bold=True))
    if receipt.plan_name_zh:
        blocks.append(Text(receipt.plan_name_zh, bold=True))
    blocks += [Text(term) for term in receipt.terms]
    blocks.append(Rule())
    blocks += [Row(amount.label, amount.text) for amount in receipt.amounts]
    blocks.append(Row(receipt.total.label, receipt.total.text, bold=True, tall=True))
    blocks += [Row(detail.label, detail.text) for detail in receipt.payment]
    blocks.append(Rule())
    if receipt.status_line:
        blocks.append(Text(receipt.status_line, "center", bold=True))
    blocks += [Text(note, "center") for note in receipt.status_notes]
    blocks.append(Qr(receipt.receipt_number if receipt.qr_data is None else receipt.qr_data))
    blocks += [Text(line, "center") for line in receipt.footer_lines]
    if receipt.is_copy:  # a copy says so at both ends, so a torn-off half cannot pass as an original
        blocks.append(copy_banner)
    blocks.append(Cut())
    return tuple(blocks)


def render_receipt(receipt: Receipt, *, columns: int, cjk: str, native_qr: bool = True) -> bytes:
    """ESC/POS bytes for a receipt on 32-, 42- or 48-column paper in a CJK mode (see drivers.cjk)."""
    _check_columns(columns)
    return layout.to_escpos(receipt_blocks(receipt), columns=columns, cjk=cjk, native_qr=native_qr)


def render_text_preview(receipt: Receipt, columns: int) -> str:
    """The receipt as plain text, line for line as printed, for an on-screen preview."""
    _check_columns(columns)
    return layout.to_text(receipt_blocks(receipt), columns)


def lines_blocks(title: str, rows, footer_lines=()) -> tuple:
    """Blocks for a titled list of (label, value) rows; a row whose value is None is a heading."""
    blocks: list = [Text(title, "center", bold=True, tall=True), Rule()]
    for label, value in rows:
        blocks.append(Text(label, bold=True) if value is None else Row(label, str(value)))
    blocks.append(Rule())
    blocks += [Text(line, "center") for line in footer_lines]
    blocks.append(Cut())
    return tuple(blocks)


def render_lines(title: str, rows, *, columns: int, cjk: str, footer_lines=()) -> bytes:
    """ESC/POS bytes for a simple report (a Z report, a till count): title, then label/value rows."""
    _check_columns(columns)
    return layout.to_escpos(lines_blocks(title, rows, footer_lines), columns=columns, cjk=cjk)


def render_lines_preview(title: str, rows, *, columns: int, footer_lines=()) -> str:
    """`render_lines` as plain text, for an on-screen preview."""
    _check_columns(columns)
    return layout.to_text(lines_blocks(title, rows, footer_lines), columns)


def render_test_page(*, columns: int, cjk: str, title: str = "Printer test", native_qr: bool = True) -> bytes:
    """A page to check a printer's setup: width ruler, Chinese sample, alignment, QR, cut."""
    _check_columns(columns)
    ruler = "".join(str(i % 10) for i in range(1, columns + 1))
    blocks = (
        Text(title, "center", bold=True, tall=True),
        Text(ruler),
        Row("Columns", str(columns)),
        Row("Chinese mode", cjk),
        Text("中文测试：美国旅行卡 ￥12.34，谢谢！"),
        Row("合计 Total", "$12.34", bold=True, tall=True),
        Rule(),
        Qr("TEST-" + str(columns)),
        Cut(),
    )
    return layout.to_escpos(blocks, columns=columns, cjk=cjk, native_qr=native_qr)
