"""Languages: Flask-Babel wiring, the locale of the person in front of the screen, and formatting."""

from __future__ import annotations

from datetime import UTC, datetime

from flask import current_app, g, session
from flask_babel import Babel, format_datetime, gettext

from pos.errors import DomainError
from pos.money import amount_symbol, currency_symbol, exponent, format_money, quick_tenders

babel = Babel()
#: Locale names used in the UI mapped to what Babel's catalogs are called.
BABEL_LOCALES = {"en": "en", "zh": "zh_Hans", "es": "es"}
LANGUAGE_NAMES = {"en": "English", "zh": "简体中文", "es": "Español"}


def current_language() -> str:
    """``en``, ``zh`` or ``es``: the signed-in clerk's choice, else the one picked on this screen, else
    the store's default (the first of ``ui.languages``).

    The browser's Accept-Language is not asked: a counter PC's browser speaks whatever its operating
    system was installed in, while the store decides what its screens speak first.
    """
    offered = current_app.config["KIOSK"]["ui"]["languages"]
    staff = g.get("staff")
    if staff is not None and staff.locale in offered:
        return staff.locale
    chosen = session.get("lang")
    if chosen in offered:
        return chosen
    return offered[0]


def _select_locale() -> str:
    return BABEL_LOCALES[current_language()]


def _select_timezone() -> str:
    return current_app.config["KIOSK"]["store"]["timezone"]


def init_app(app) -> None:
    """Register Babel and the template helpers for money, times and translated errors."""
    babel.init_app(app, locale_selector=_select_locale, timezone_selector=_select_timezone,
                   default_translation_directories="translations")
    app.jinja_env.filters["money"] = lambda minor, currency=None: format_money(
        minor, currency or app.config["KIOSK"]["store"]["currency"])
    app.jinja_env.filters["local_dt"] = lambda dt, fmt="medium": format_datetime(dt, fmt) if dt else ""
    app.jinja_env.globals["current_language"] = current_language
    app.jinja_env.globals["currency_symbol"] = currency_symbol
    app.jinja_env.globals["currency_exponent"] = exponent
    app.jinja_env.globals["amount_symbol"] = amount_symbol
    app.jinja_env.globals["quick_tenders"] = quick_tenders
    app.jinja_env.globals["now_utc"] = lambda: datetime.now(UTC)
    app.jinja_env.globals["LANGUAGE_NAMES"] = LANGUAGE_NAMES
    app.jinja_env.globals["age_text"] = age_text


def error_message(exc: DomainError) -> str:
    """A domain error's message in the current language."""
    return gettext(exc.message, **exc.params)


def age_text(then: datetime, now: datetime | None = None) -> str:
    """How long ago ``then`` was, in words a clerk reads at a glance ("5 min ago")."""
    seconds = int(((now or datetime.now(UTC)) - then).total_seconds())
    if seconds < 60:
        return gettext("just now")
    if seconds < 3600:
        return gettext("%(n)d min ago", n=seconds // 60)
    if seconds < 86400:
        return gettext("%(n)d h ago", n=seconds // 3600)
    return gettext("%(n)d days ago", n=seconds // 86400)
