"""One cash-amount grammar: the server reads every case of the shared table as the page's script must."""

import json
from pathlib import Path

import pytest

from pos.errors import DomainError
from pos.money import amount_pattern, parse_amount, quick_tenders

#: The table shared with tests/browser/test_amount_grammar_page.py (the page's own parser).
CASES = json.loads((Path(__file__).resolve().parent / "amount_cases.json").read_text("utf-8"))["cases"]


def _server(text: str, currency: str) -> int | None:
    try:
        return parse_amount(text, currency, field="tendered")
    except DomainError:
        return None


@pytest.mark.parametrize("case", CASES, ids=[f"{c['currency']}:{c['input']!r}" for c in CASES])
def test_server_reads_the_shared_table(case):
    """pos.money.parse_amount gives each case's minor units, or refuses it when the table says null."""
    assert _server(case["input"], case["currency"]) == case["expected_minor"]


def test_table_covers_the_refusals_the_issue_names():
    """The table holds the inputs that must never be read as something else, each refused for USD."""
    refused = {c["input"] for c in CASES if c["currency"] == "USD" and c["expected_minor"] is None}
    assert {"1e3", "20 00", "€20", "２０", "٢٠", "-5", "", "10000000"} <= refused


@pytest.mark.parametrize(("text", "says"), [("-5", "cannot be negative"), ("", "Enter an amount"),
                                            ("99999999", "too large"), ("20.505", "decimal places"),
                                            ("1e3", "not an amount")])
def test_refusals_say_why(text, says):
    """Each refusal has a message a clerk understands."""
    with pytest.raises(DomainError) as caught:
        parse_amount(text, "USD")
    assert says in str(caught.value)


def test_pattern_uses_only_this_stores_symbol():
    """The grammar of a USD store has "$" and no other symbol; a currency without one has none."""
    assert "\\$" in amount_pattern("USD") and "€" not in amount_pattern("USD")
    assert amount_pattern("CHF").startswith("^(?:(?:[0-9]")


@pytest.mark.parametrize(("total", "currency", "notes"), [
    (1523, "USD", [2000, 5000, 10000]),
    (12345, "USD", [12500, 13000, 14000, 15000, 20000]),
    (2000, "USD", [2500, 3000, 4000, 5000, 10000]),
    (99999, "USD", [100000]),
    (1800, "JPY", [2000, 5000, 10000]),
])
def test_quick_notes_cover_totals_above_100(total, currency, notes):
    """Quick-note buttons are the next round amounts above the total, for any size of total."""
    assert quick_tenders(total, currency) == notes
