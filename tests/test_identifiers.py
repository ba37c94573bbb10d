"""Phone numbers and ICCIDs: what is accepted, what is refused and how it is said."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pos.errors import DomainError
from pos.identifiers import Line, luhn_ok, parse_line
from pos.sensitive import looks_like_card_number


@pytest.mark.parametrize("typed", ["(415) 555-0123", "4155550123", "+1 415 555 0123", "415.555.0123",
                                   "1-415-555-0123"])
def test_us_numbers_in_any_common_form(typed):
    """Common ways of typing a US number all become the same E.164 number."""
    assert parse_line(typed, "US") == Line("msisdn", "+14155550123")


def test_chinese_number_with_country_code():
    """A Chinese mobile number typed with +86 and spaces is read as E.164."""
    assert parse_line("+86 138 0013 8000", "US") == Line("msisdn", "+8613800138000")


@pytest.mark.parametrize("typed", ["89014103211118510720", "8901 4103 2111 1851 0720", "8901-4103-2111-1851-0720F",
                                   "89014103211118510720f"])
def test_iccid_noise_removed(typed):
    """Spaces, dashes and a trailing F are removed from an ICCID."""
    assert parse_line(typed) == Line("iccid", "89014103211118510720")


@pytest.mark.parametrize(("typed", "says"), [
    ("89014103211118510721", "check digit"),
    ("890141032111185107", "19 or 20 digits"),
    ("8901410321111851072055", "19 or 20 digits"),
    ("12345", "too few or too many"),
    ("+1 555 555 5555", "does not exist"),
    ("hello", "digits only"),
    ("", "Scan the SIM card or type the phone number"),
    ("<script>alert(1)</script>", "digits only"),
    ("1' OR '1'='1", "digits only"),
    ("9" * 100, "too long"),
])
def test_refusals_say_what_is_wrong(typed, says):
    """A bad line is refused with a message that says what is wrong."""
    with pytest.raises(DomainError) as err:
        parse_line(typed, "US")
    assert err.value.code == "invalid_line"
    assert says in str(err.value)


def test_masked_forms():
    """Receipts show only the end of a number."""
    assert parse_line("4155550123").masked == "+1 ***-***-0123"
    assert parse_line("89014103211118510720").masked == "…510720"


@given(st.text(alphabet="0123456789", min_size=18, max_size=19))
def test_any_body_with_its_check_digit_is_a_valid_iccid(body):
    """Appending the Luhn check digit to any 89-prefixed body gives an accepted ICCID."""
    body = "89" + body[2:]
    check = next(d for d in "0123456789" if luhn_ok(body + d))
    assert parse_line(body + check).value == body + check


@given(st.text(max_size=80))
def test_parse_line_never_crashes(text):
    """Whatever is typed, the answer is a line or a DomainError, never another exception."""
    try:
        parse_line(text, "US")
    except DomainError:
        pass


def test_card_numbers_are_recognised_but_iccids_are_not():
    """Card numbers (Luhn, 2-6 prefix) are spotted; ICCIDs, phone numbers and short codes are not."""
    assert looks_like_card_number("4242 4242 4242 4242")
    assert looks_like_card_number("card 5555-5555-5555-4444 thanks")
    assert not looks_like_card_number("89014103211118510720")
    assert not looks_like_card_number("4155550123")
    assert not looks_like_card_number("4242")
