"""The bilingual reference receipt shared by the tests, the byte benchmark and demo previews."""

from __future__ import annotations

from drivers.receipt import Receipt, ReceiptAmount, ReceiptLabels


def reference_receipt(*, is_copy: bool = False) -> Receipt:
    """A renewal paid in cash at a counter, labels in English and Simplified Chinese."""
    return Receipt(
        store_name="Golden Gate Travel SIM",
        header_lines=("1 Market St, San Francisco CA", "Tel 415-555-0100"),
        footer_lines=("Thank you! 谢谢惠顾", "Keep this receipt for support"),
        terminal="T01",
        clerk="Ann",
        issued_at="2025-12-26 14:03",
        receipt_number="R-T01-000123",
        line_masked="+1 ***-***-0123",
        plan_name="US Travel 30 days 20 GB",
        plan_name_zh="美国旅行套餐 30天 20GB",
        terms=("30 days · 20 GB · 1000 min · 1000 SMS",),
        amounts=(
            ReceiptAmount("Plan price 套餐价格", "$25.00"),
            ReceiptAmount("Activation fee 手续费", "$2.00"),
            ReceiptAmount("Sales tax 8.625% 税", "$2.33"),
        ),
        total=ReceiptAmount("Total 合计", "$29.33"),
        payment=(ReceiptAmount("Cash tendered 现金", "$40.00"), ReceiptAmount("Change 找零", "$10.67")),
        status_line="Pending carrier confirmation 等待运营商确认",
        is_copy=is_copy,
        labels=ReceiptLabels(
            receipt_number="Receipt 收据",
            issued_at="Date 日期",
            terminal="Terminal 终端",
            clerk="Clerk 店员",
            line="Line 号码",
            copy="COPY 副本",
        ),
    )
