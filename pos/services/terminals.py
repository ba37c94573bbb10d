"""Terminals configured for the store."""

from __future__ import annotations

from sqlalchemy import select

from ..db import db
from ..errors import NotFound
from ..models import Terminal


def ensure_terminals(specs: list[tuple[str, str, str]]) -> None:
    """Create the configured terminals ``(code, name, kind)`` that the database lacks; rename the rest."""
    existing = {t.code: t for t in db.session.scalars(select(Terminal))}
    for code, name, kind in specs:
        terminal = existing.get(code)
        if terminal is None:
            db.session.add(Terminal(code=code, name=name, kind=kind))
        else:
            terminal.name, terminal.kind = name, kind
    db.session.flush()


def terminal_by_code(code: str) -> Terminal:
    """The terminal with ``code``."""
    terminal = db.session.scalar(select(Terminal).where(Terminal.code == code))
    if terminal is None:
        raise NotFound("unknown_terminal", "No terminal has the code %(terminal)s.", terminal=code[:8])
    return terminal
