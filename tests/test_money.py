"""Money in integer minor units: parsing what people type, one rounding rule, display."""

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pos.errors import DomainError
from pos.money import format_money, parse_amount, percent_of


@pytest.mark.parametrize(("typed", "minor"), [("50", 5000), ("50.00", 5000), ("$1,234.5", 123450), (" 0.01 ", 1),
                                              (2000, 2000)])
def test_amounts_people_type(typed, minor):
    """Amounts typed with symbols, separators or fewer decimals become minor units."""
    assert parse_amount(typed, "USD") == minor


@pytest.mark.parametrize("typed", ["-5", "abc", "1e400", "NaN", "Infinity", "10.001", "", "99999999", True, -1,
                                   "1e3", "0x10", "1_000"])
def test_bad_amounts_refused(typed):
    """Negative, non-numeric, over-precise and huge amounts are refused."""
    with pytest.raises(DomainError) as err:
        parse_amount(typed, "USD")
    assert err.value.code == "invalid_amount"


def test_yen_has_no_minor_unit():
    """JPY amounts have no decimals."""
    assert parse_amount("300", "JPY") == 300
    with pytest.raises(DomainError):
        parse_amount("300.5", "JPY")
    assert format_money(300, "JPY") == "¥300"


def test_percent_rounds_half_up():
    """1.5% of $15.00 is 22.5 cents, rounded half up to 23."""
    assert percent_of(1500, Decimal("1.5")) == 23
    assert percent_of(1499, "1.5") == 22


@given(st.integers(min_value=0, max_value=10**8))
def test_format_then_parse_round_trips(minor):
    """Any amount shown on screen reads back as the same amount."""
    assert parse_amount(format_money(minor, "USD"), "USD") == minor
