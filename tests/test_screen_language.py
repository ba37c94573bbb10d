"""No English left on a Chinese screen: every clerk and back-office screen rendered in zh shows no
English words beyond names and codes, device states say no device paths, every audit action the
code records has a translated name, and the bilingual receipt prints the fee's Chinese name."""

from __future__ import annotations

import ast
import re
from pathlib import Path

from drivers.printer import PrinterStatus
from drivers.receipt import render_text_preview
from kiosk.devices.documents import driver_receipt
from kiosk.receipts import build_receipt
from pos.db import db
from pos.services import till, zreport
from pos.services.staff import find_staff
from pos.services.terminals import terminal_by_code
from store_admin.audit_labels import AUDIT_ACTIONS, DETAIL_NAMES, HIDDEN_DETAILS

from .helpers import ensure_open_till, gen_catalog, gen_sale, gen_staff, login
from .zreport_helpers import close_session

ROOT = Path(__file__).resolve().parent.parent
#: Latin words a Chinese screen may show: names, units, brands and codes people read as they are.
ALLOWED = {"travel", "sim", "store", "clerk", "manager", "english", "pin", "iccid", "id", "gb", "mb", "sms",
           "usd", "cn", "api", "kiosk", "sync", "status", "pm", "am"}
#: A sale the carrier declined, so the carrier queue shows its reason.
DECLINED = "declined by the carrier: RECENTLY_RENEWED"


def _visible_text(html: str) -> str:
    """The text a person sees or hears: the body without the receipt (bilingual by design), scripts and
    tags, plus tooltips and accessible names."""
    body = html.split("<body", 1)[1].split(">", 1)[1]
    body = re.sub(r'<pre class="receipt-preview".*?</pre>', " ", body, flags=re.S)
    said = re.findall(r'(?:title|aria-label|placeholder)="([^"]*)"', body)
    text = re.sub(r"<[^>]+>", " ", body)
    return " ".join([text, *said])


def _english_words(html: str) -> set[str]:
    """Latin words of three letters or more that are not on the allowed list (codes like R-T01 excluded)."""
    words = re.findall(r"(?<![\w-])[A-Za-z][a-z]{2,}(?![\w-])", _visible_text(html))
    return {w for w in words if w.lower() not in ALLOWED}


def _z_and_open_till(app) -> tuple[int, int]:
    """Close T01's till (its sales, one refused, go on a Z) and open the next; returns the Z's and new till's ids."""
    manager = find_staff("manager")
    closed = till.current_till(terminal_by_code("T01"))
    close_session(closed, counted=[("bill", 2000, 9)], by=manager, note="少了钱")
    z = zreport.issue_z(closed, staff=manager)
    return z.id, ensure_open_till(app).id


def _chinese_screens(app, client) -> dict[str, str]:
    """Every screen's HTML for a Chinese-speaking manager, with a problem sale and a printer out of paper."""
    with app.app_context():
        gen_catalog()
        manager = gen_staff("manager", "manager", "2468", locale="zh")
        sale = gen_sale(app)
        refused = gen_sale(app, line="+14155550124")
        refused.status, refused.status_reason = "needs_refund", DECLINED
        z_id, till_id = _z_and_open_till(app)
        db.session.commit()
        sale_id, plan_id, manager_id = sale.id, sale.plan_id, manager.id
    hub = app.extensions["devices"]
    hub.set_printer_status("T01", PrinterStatus("paper_out", "the printer at /dev/ttyUSB0 is out of paper"))
    try:
        login(client, "manager", "2468")
        urls = {"PIN screen": "/login", "line entry": "/counter/", "refused line": "/counter/line?line=555-01",
                "plans": "/counter/line?line=%2B14155550123",
                "checkout": "/counter/checkout?line=%2B14155550123&plan=US-7D-5GB",
                "checkout with ID": "/counter/checkout?line=%2B14155550123&plan=US-30D-20GB",
                "sale": f"/counter/sales/{sale_id}?done=1", "find a sale": "/counter/lookup",
                "sale not found": "/counter/lookup?q=R-T01-999999", "back office": "/admin/",
                "carrier queue": "/admin/sync", "plans and prices": "/admin/catalog",
                "plan": f"/admin/catalog/{plan_id}", "staff and devices": "/admin/staff",
                "staff member": f"/admin/staff/{manager_id}", "audit log": "/admin/audit",
                "sales reports": "/admin/reports",
                "sales reports, refused range": "/admin/reports?from=2026-03-10&to=2026-03-01",
                "X and Z reports": "/admin/z-reports",
                "X report": f"/admin/z-reports/x/{till_id}", "Z report": f"/admin/z-reports/{z_id}"}
        return {name: client.get(url).get_data(as_text=True) for name, url in urls.items()}
    finally:
        with hub._lock:  # the next test's app starts with the printer unpolled again
            hub._printer_status.pop("T01", None)


def test_chinese_screens_show_no_english(clean_app):
    """Rendered for a manager who reads Chinese, no screen shows English words, device paths or carrier codes."""
    pages = _chinese_screens(clean_app, clean_app.test_client())
    found = {name: sorted(_english_words(html)) for name, html in pages.items()}
    found = {name: words for name, words in found.items() if words}
    assert not found, f"English on Chinese screens: {found}"
    for name, html in pages.items():
        assert "/dev/" not in html, f"{name} shows a device path"
        assert "RECENTLY_RENEWED" not in _visible_text(html), f"{name} shows a raw carrier code"
    assert "刚刚已用此套餐续费" in pages["carrier queue"], "the carrier's reason, translated"


def test_the_english_check_sees_an_untranslated_label():
    """The checker itself flags an English label and a tooltip, and lets names and codes through."""
    html = '<body><p title="reading /dev/ttyUSB0">打印机 R-T01-000001 clerk</p><b>Needs refund</b></body>'
    assert _english_words(html) == {"Needs", "refund", "reading", "dev"}


def test_every_recorded_audit_action_has_a_translated_name():
    """Each action pos/ writes to the audit log has a name for the back office (and so a translation)."""
    source = "\n".join(p.read_text() for p in (ROOT / "pos").rglob("*.py"))
    actions = set(re.findall(r'audit\.record\(\s*"([a-z_]+\.[a-z_]+)"', source))
    # outbox._settle records f"sale.{status}" for the statuses a carrier refusal leads to.
    actions |= {"sale.needs_refund", "sale.needs_attention"}
    assert actions, "no audit.record calls found: the pattern is stale"
    missing = sorted(actions - AUDIT_ACTIONS.keys())
    assert not missing, f"audit actions without a name in store_admin/audit_labels.py: {missing}"


def _recorded_detail_keys() -> dict[str, str]:
    """Every keyword detail passed to audit.record() in our packages, with a file that passes it."""
    keys = {}
    for package in ("pos", "sync", "kiosk", "store_admin"):
        for path in (ROOT / package).rglob("*.py"):
            for node in ast.walk(ast.parse(path.read_text())):
                if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "record"
                        and isinstance(node.func.value, ast.Name) and node.func.value.id in ("audit", "audit_log")):
                    for keyword in node.keywords:
                        if keyword.arg and keyword.arg not in ("staff", "subject", "terminal"):
                            keys.setdefault(keyword.arg, str(path.relative_to(ROOT)))
    return keys


def test_every_recorded_audit_detail_has_a_translated_name():
    """The audit page names each detail in the reader's language: every detail key any code records has a name
    (or is hidden on purpose), so a new one cannot put an English code on a Chinese screen."""
    keys = _recorded_detail_keys()
    assert "total_minor" in keys, "no audit.record keywords found: the scan is stale"
    missing = {key: where for key, where in keys.items() if key not in DETAIL_NAMES and key not in HIDDEN_DETAILS}
    assert not missing, f"audit details without a name in store_admin/audit_labels.py: {missing}"


def test_bilingual_receipt_prints_the_fee_in_chinese_too(ctx):
    """The 911 fee line carries its configured Chinese name next to the English one."""
    gen_catalog()
    sale = gen_sale(ctx)
    db.session.flush()
    store = ctx.config["STORE"]
    chinese = next(rule.names["zh"] for rule in store.charges if rule.code == "911")
    text = render_text_preview(driver_receipt(build_receipt(sale, store)), 42)
    fee_line = next(line for line in text.splitlines() if "911" in line)
    assert "Prepaid wireless 911 fee" in text and chinese.replace(" ", "") in text.replace(" ", ""), fee_line
