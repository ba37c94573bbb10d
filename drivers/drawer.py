"""Cash drawer: the kick pulse is an ESC/POS command the printer relays to its drawer port."""

from __future__ import annotations

from drivers.commands import ESC


def drawer_kick(pin: int = 2, on_ms: int = 100, off_ms: int = 500) -> bytes:
    """`ESC p m t1 t2`: pulse the drawer on connector pin 2 (m=0) or pin 5 (m=1).

    t1/t2 are in 2 ms units; 100 ms on opens common solenoids without overheating them.
    """
    if pin not in (2, 5):
        raise ValueError(f"drawer pin must be 2 or 5, not {pin!r}")
    t1 = max(1, min(on_ms // 2, 255))
    t2 = max(t1, min(off_ms // 2, 255))
    return ESC + b"p" + bytes([0 if pin == 2 else 1, t1, t2])
