"""Payment settings: the card terminal's approval-code format (``[payment]``, overridable per terminal)
and the cash counter's tender check (``[counter]``)."""

from __future__ import annotations

import re

from pos.sensitive import looks_like_card_number
from pos.services.checkout import ApprovalFormat

#: A pattern must refuse this (a test card number): no approval format may let a card number through.
_TEST_CARD = "4111111111111111"


def _entry(config: dict, code: str) -> dict:
    return next((t for t in config["terminals"] if t.get("code") == code), {})


def approval_format(config: dict, terminal_code: str) -> ApprovalFormat:
    """The approval-code format of terminal ``terminal_code``: its own keys, else ``[payment]``."""
    terminal = _entry(config, terminal_code)
    payment = config["payment"]
    return ApprovalFormat(pattern=terminal.get("approval_code_pattern", payment["approval_code_pattern"]),
                          example=terminal.get("approval_code_example", payment["approval_code_example"]))


def validate_payment(config: dict, error: type[Exception]) -> None:
    """Check every terminal's approval format at start-up; raise ``error`` naming the key."""
    places = [("payment", config["payment"])] + [(f"terminals[{i}]", t) for i, t in enumerate(config["terminals"])]
    for where, table in places:
        pattern = table.get("approval_code_pattern")
        example = table.get("approval_code_example")
        for key, value in (("approval_code_pattern", pattern), ("approval_code_example", example)):
            if value is not None and (not isinstance(value, str) or not value):
                raise error(f"'{where}.{key}' must be a non-empty string")
        if pattern is not None:
            try:
                re.compile(pattern)
            except re.error as exc:
                raise error(f"'{where}.approval_code_pattern' is not a regular expression: {exc}") from None
    for i, terminal in enumerate(config["terminals"]):
        fmt = approval_format(config, terminal["code"])
        if not fmt.accepts(fmt.example.upper()):
            raise error(f"terminal {terminal['code']}: the approval code example {fmt.example!r} does not match "
                        f"the pattern {fmt.pattern!r} ('payment.approval_code_example' or "
                        f"'terminals[{i}].approval_code_example')")
        if looks_like_card_number(fmt.example) or fmt.accepts(_TEST_CARD):
            raise error(f"terminal {terminal['code']}: the approval code pattern {fmt.pattern!r} accepts card "
                        "numbers; approval codes are short letters and digits")
    if config["counter"]["tender_confirm_multiple"] < 2:
        raise error("'counter.tender_confirm_multiple' must be at least 2")
