"""The words of a printed or exported X/Z report, English and Chinese side by side like the receipts.

Paper and CSV files outlive the screen they were asked from and are read by whoever picks them up,
so they carry both languages rather than the requesting manager's; one table serves the printer
(kiosk/print_reports.py) and the CSV export (pos.services.zreport.to_csv).
"""

from __future__ import annotations

from ..money import format_money

TITLES = {"X": "X REPORT X报表", "Z": "Z REPORT Z报表"}

LABELS = {
    "copy": "COPY 副本",
    "number": "Z number Z编号",
    "currency": "Currency 货币",
    "terminal": "Terminal 终端",
    "session": "Till session 钱箱班次",
    "state": "State 状态",
    "open": "Open 营业中",
    "closed": "Closed 已结班",
    "awaiting_approval": "Counted, awaiting approval 已清点，待批准",
    "opened_at": "Opened 开班",
    "closed_at": "Closed 结班",
    "opened_by": "Opened by 开班人",
    "closed_by": "Counted by 点钞人",
    "approved_by": "Approved by 批准人",
    "close_note": "Note 备注",
    "generated_at": "As of 截至",
    "issued_at": "Issued 出具",
    "issued_by": "Issued by 出具人",
    "field": "Item 项目",
    "value": "Value 值",
    "sales": "Sales 销售",
    "count": "Count 笔数",
    "amount": "Amount 金额",
    "subtotal": "Plans 套餐",
    "fees": "Fees and taxes 税费",
    "total": "Total 合计",
    "by_method": "By payment 按付款方式",
    "method": "Payment 付款方式",
    "cash": "Cash 现金",
    "card": "Card 银行卡",
    "by_plan": "By plan 按套餐",
    "plan": "Plan 套餐",
    "name": "Name 名称",
    "by_clerk": "By clerk 按店员",
    "clerk": "Clerk 店员",
    "self_service": "Self-service 自助",
    "charges": "Fees and taxes 税费",
    "code": "Code 代码",
    "refunds": "Refunds 退款",
    "voids": "Voids 作废",
    "no_voids": "not used: sales are refunded 不适用：只退款",
    "cash_summary": "Cash drawer 钱箱现金",
    "float": "Opening float 备用金",
    "cash_sales": "Cash sales 现金销售",
    "cash_refunds": "Cash refunds 现金退款",
    "paid_in": "Paid in 存入",
    "paid_out": "Paid out 支出",
    "drops": "Safe drops 存入保险箱",
    "no_sale_openings": "No-sale openings 无销售开箱",
    "expected": "Expected 应有",
    "counted": "Counted 实点",
    "over_short": "Over/short 长短款",
    "not_counted": "Not counted yet 尚未点钞",
    "close_count": "Close count 结班点钞",
    "denomination": "Denomination 面额",
    "quantity": "Quantity 数量",
    "bill": "bill 纸币",
    "coin": "coin 硬币",
    "renewals": "Renewals to follow up 待跟进续费",
    "receipt": "Receipt 收据",
    "sold_at": "Sold 售出",
    "status": "Status 状态",
    "reason": "Reason 原因",
    "pending": "Pending 等待确认",
    "needs_refund": "Refund due 应退款",
    "needs_attention": "To check 需核查",
    "corrections": "Corrections 更正",
    "by": "By 经办人",
    "at": "At 时间",
    "none": "None 无",
    "more": "%(n)d more: see the screen or the CSV 另有%(n)d条，见屏幕或CSV",
    "content_hash": "Content SHA-256 内容哈希",
    "audit_head_hash": "Audit chain head 审计链头",
}


def denomination_label(value_minor: int, form: str, currency: str) -> str:
    """A bill or coin as printed and exported: ``$20.00 bill 纸币``."""
    return f"{format_money(value_minor, currency)} {LABELS[form]}"
