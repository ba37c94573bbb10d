"""The sales report page over real HTTP: managers only, bad ranges shown on the form naming the field (English and
Chinese), each grouping as a CSV file, and the SVG chart that parses as XML and whose bars are the table's numbers."""

from __future__ import annotations

import csv
import io
import re
import xml.etree.ElementTree as ET
from datetime import date, datetime

import pytest
from sqlalchemy import select

from pos.db import db
from pos.models import Plan, Staff

from .helpers import CARD, MANAGER_PIN, gen_refund_row, gen_sale_at, gen_staff, login

SVG = "{http://www.w3.org/2000/svg}"
MARCH = "from=2026-03-06&to=2026-03-10"


@pytest.fixture
def manager(shop):
    """A signed-in manager's client on a store with sales around the spring DST change and a refund."""
    with shop.app_context():
        gen_sale_at(shop, datetime(2026, 3, 6, 23, 30))
        gen_sale_at(shop, datetime(2026, 3, 8, 0, 30), payment=CARD)
        big = gen_sale_at(shop, datetime(2026, 3, 8, 23, 30), plan="US-15D-10GB")
        gen_sale_at(shop, datetime(2026, 3, 9, 12, 0), payment=CARD, who=None)
        gen_refund_row(shop, big, datetime(2026, 3, 10, 9, 0), method="cash")
        db.session.commit()
    client = shop.test_client()
    login(client, "manager", MANAGER_PIN)
    return client


def _svg(html: str) -> ET.Element:
    """The page's chart, parsed as a standalone XML document."""
    match = re.search(r"<svg\b.*?</svg>", html, flags=re.S)
    assert match, "the page has no chart"
    return ET.fromstring(match.group(0))  # noqa: S314 - our own page, parsed to check it is well-formed


def _day_nets(html: str) -> dict[str, str]:
    """The day table's net column, by ISO day."""
    table = html.split('data-testid="table-day"', 1)[1].split("</table>", 1)[0]
    return dict(re.findall(r'<tr data-key="(\d{4}-\d\d-\d\d)">.*?data-col="net_minor"[^>]*>([^<]+)</td>', table, re.S))


def test_the_page_shows_the_last_week_by_default(manager):
    """Without a range the page shows the last seven local days, with the form, the chart and four tables."""
    page = manager.get("/admin/reports")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    for grouping in ("day", "plan", "clerk", "method"):
        assert f'id="by-{grouping}"' in html
    assert len(_svg(html).findall(f"{SVG}rect")) == 7
    assert html.count('<tr data-key="20') == 7
    assert 'aria-current="page"' in html and "Sales reports" in html


def test_a_range_shows_its_days_groupings_and_refund(manager):
    """March 6-10: the 23:30 sale on the 6th, two sales on the 23-hour 8th, the refund netted on the 10th."""
    html = manager.get(f"/admin/reports?{MARCH}").get_data(as_text=True)
    assert _day_nets(html) == {"2026-03-06": "$15.23", "2026-03-07": "$0.00", "2026-03-08": "$40.61",
                               "2026-03-09": "$15.23", "2026-03-10": "-$25.38"}
    assert re.search(r'data-key="2026-03-08">\s*<th scope="row">Sun, Mar 8, 2026\s*<span class="badge"[^>]*>23 hours',
                     html)
    assert 'data-testid="total-sales">4<' in html and 'data-testid="total-net">$45.69<' in html
    method = html.split('data-testid="table-method"', 1)[1]
    assert re.search(r'data-key="cash">.*?"sales"[^>]*>2<.*?"refunds"[^>]*>1<', method, re.S)
    assert '<tr data-key="self-service">' in html and "Self-service (no clerk)" in html


def test_the_chart_is_xml_and_its_bars_are_the_day_table(manager):
    """Each bar carries its day's net, its height is that net on the chart's one scale, and it names itself."""
    html = manager.get(f"/admin/reports?{MARCH}").get_data(as_text=True)
    chart = _svg(html)
    assert chart.find(f"{SVG}title").text.startswith("Net sales per day, Fri, Mar 6, 2026 to Tue, Mar 10, 2026")
    assert "Highest: Sun, Mar 8, 2026, $40.61" in chart.find(f"{SVG}desc").text
    assert chart.get("role") == "img" and chart.get("aria-labelledby") == "chart-title chart-desc"
    minor_per_px, zero_y = float(chart.get("data-minor-per-px")), float(chart.get("data-zero-y"))
    bars = chart.findall(f"{SVG}rect")
    nets = {day: int(re.sub(r"[^\d-]", "", text)) for day, text in _day_nets(html).items()}
    assert {bar.get("data-day"): int(bar.get("data-value-minor")) for bar in bars} == nets
    for bar in bars:
        value, height, y = int(bar.get("data-value-minor")), float(bar.get("height")), float(bar.get("y"))
        assert height * minor_per_px == pytest.approx(abs(value), abs=minor_per_px / 50)
        assert (y + height == pytest.approx(zero_y)) if value > 0 else (y == pytest.approx(zero_y))
        assert "negative" in bar.get("class") if value < 0 else "negative" not in bar.get("class")
        assert bar.find(f"{SVG}title").text.endswith(f"${abs(value) / 100:,.2f}")
    tallest = max(bars, key=lambda bar: float(bar.get("height")))
    assert tallest.get("data-day") == "2026-03-08"


def test_each_grouping_downloads_as_csv(manager):
    """A grouping's CSV: UTF-8 with a byte order mark, headings with the currency, plain amounts, a total row."""
    response = manager.get(f"/admin/reports/day.csv?{MARCH}")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert response.headers["Content-Disposition"] == \
        'attachment; filename="sales-by-day-2026-03-06-to-2026-03-10.csv"'
    assert response.data.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(response.data.decode("utf-8-sig"))))
    assert rows[0] == ["Day", "Sales", "Subtotal (USD)", "Fees and taxes (USD)", "Total (USD)", "Refunds",
                       "Refunded (USD)", "Net (USD)"]
    assert rows[1] == ["2026-03-06", "1", "15.00", "0.23", "15.23", "0", "0.00", "15.23"]
    assert rows[5] == ["2026-03-10", "0", "0.00", "0.00", "0.00", "1", "25.38", "-25.38"]
    assert rows[6] == ["Total", "4", "70.00", "1.07", "71.07", "1", "25.38", "45.69"]
    methods = list(csv.reader(io.StringIO(manager.get(f"/admin/reports/method.csv?{MARCH}").data.decode("utf-8-sig"))))
    assert [row[:2] for row in methods] == [["Payment method", "Sales"], ["Cash", "2"], ["Card", "2"], ["Total", "4"]]


def test_csv_in_chinese_and_a_name_that_looks_like_a_formula(shop):
    """A Chinese-speaking manager's CSV has Chinese headings and plan names; a name starting "=" stays text."""
    with shop.app_context():
        gen_staff("经理", "manager", "8642", locale="zh")
        gen_sale_at(shop, datetime(2026, 3, 6, 12, 0))
        gen_sale_at(shop, datetime(2026, 3, 6, 13, 0), plan="US-15D-10GB")
        db.session.scalar(select(Plan).where(Plan.carrier_plan_id == "US-15D-10GB")).name_zh = "=HYPERLINK(1)"
        db.session.commit()
    client = shop.test_client()
    login(client, "经理", "8642")
    text = client.get(f"/admin/reports/plan.csv?{MARCH}").data.decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0][0] == "套餐" and rows[-1][0] == "总计"
    assert {row[0] for row in rows[1:-1]} == {"美国 7天 5GB", "'=HYPERLINK(1)"}


@pytest.mark.parametrize(("query", "field", "message"), [
    ("from=2026-13-01&to=2026-03-10", "from", "“From” must be a date written like 2026-03-08"),
    ("from=&to=2026-03-10", "from", "“From” must be a date"),
    ("from=2026-03-10&to=tomorrow", "to", "“To” must be a date"),
    ("from=2026-03-10&to=2026-03-01", "to", "“To” is before “From”"),
    ("from=2025-01-01&to=2026-03-10", "to", "at most 366 days and this range has 434"),
])
def test_a_bad_range_is_shown_on_the_form(manager, query, field, message):
    """A bad range answers 400 with the form, the message naming the field, that field marked, no tables."""
    page = manager.get(f"/admin/reports?{query}")
    html = page.get_data(as_text=True)
    assert page.status_code == 400
    assert message in html
    assert re.search(rf'name="{field}"[^>]*aria-invalid="true"', html)
    assert "<svg" not in html and 'id="by-day"' not in html
    csv_page = manager.get(f"/admin/reports/day.csv?{query}")
    assert csv_page.status_code == 400 and message in csv_page.get_data(as_text=True)


def test_a_bad_range_in_chinese(shop):
    """The refusal speaks the manager's language."""
    with shop.app_context():
        db.session.scalar(select(Staff).where(Staff.name == "manager")).locale = "zh"
        db.session.commit()
    client = shop.test_client()
    login(client, "manager", MANAGER_PIN)
    html = client.get("/admin/reports?from=2026-03-10&to=2026-03-01").get_data(as_text=True)
    assert "“结束日期”早于“开始日期”" in html


def test_an_unknown_grouping_is_not_found(manager):
    """Only the four groupings have a CSV file."""
    assert manager.get(f"/admin/reports/terminal.csv?{MARCH}").status_code == 404


def test_clerks_and_strangers_get_no_report(shop):
    """A clerk is refused (403) the page and its CSV; someone not signed in is sent to the PIN screen."""
    stranger = shop.test_client()
    assert stranger.get("/admin/reports").status_code == 302
    assert "/login" in stranger.get("/admin/reports/day.csv").headers["Location"]
    clerk = shop.test_client()
    login(clerk, "clerk")
    assert clerk.get("/admin/reports").status_code == 403
    assert clerk.get(f"/admin/reports/day.csv?{MARCH}").status_code == 403


def test_the_chart_in_chinese_parses_and_speaks_chinese(manager, shop):
    """The Chinese page's chart is well-formed XML with Chinese dates in its title and under its bars."""
    with shop.app_context():
        db.session.scalar(select(Staff).where(Staff.name == "manager")).locale = "zh"
        db.session.commit()
    chart = _svg(manager.get(f"/admin/reports?{MARCH}").get_data(as_text=True))
    assert chart.find(f"{SVG}title").text.startswith("每日净销售额")
    assert "3月8日" in [text.text for text in chart.findall(f"{SVG}text")]
    assert date(2026, 3, 8).isoformat() in {bar.get("data-day") for bar in chart.findall(f"{SVG}rect")}
