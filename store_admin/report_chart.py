"""The sales report's chart of net sales per day: bars laid out here, drawn as SVG by
admin/_sales_chart.svg on the server (no script, no library, no CDN).

The numbers are the report's own (the day table shows the same ones); this module only places them.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date

from pos.money import exponent, format_money
from pos.services.reports import ReportRow

#: The drawing's own units; the page scales it to the card's width (1024 and 1280 px screens alike).
WIDTH, HEIGHT = 960, 250
#: Room around the plot: money on the left, dates below, a value above the tallest bar.
LEFT, RIGHT, TOP, BOTTOM = 88, 12, 26, 36
#: At most this many dates under the bars (a month shows every other day, a year one in 23).
MAX_DATE_LABELS = 16
#: A bar's value is written above it when its slot is at least this wide.
VALUE_LABEL_SLOT = 56
#: Most horizontal lines on the money axis.
MAX_TICKS = 5


@dataclass(frozen=True)
class Bar:
    """One day's bar; ``label`` is its tooltip and what a screen reader says."""

    day: date
    value_minor: int
    x: float
    y: float
    width: float
    height: float
    label: str
    value_text: str | None
    value_y: float

    @property
    def center_x(self) -> float:
        """The middle of the bar, where its value and date are written."""
        return round(self.x + self.width / 2, 2)


@dataclass(frozen=True)
class Tick:
    """A horizontal line of the money axis."""

    y: float
    text: str


@dataclass(frozen=True)
class DateLabel:
    """A date under the bars (centred on its bar)."""

    x: float
    text: str


@dataclass(frozen=True)
class DayChart:
    """Everything the SVG template draws."""

    width: int
    height: int
    left: int
    right: float
    zero_y: float
    minor_per_px: float
    bars: list[Bar]
    ticks: list[Tick]
    dates: list[DateLabel]
    highest: Bar | None
    lowest: Bar | None


def _step(span_minor: int, currency: str) -> int:
    """A round distance between axis lines (1, 2 or 5 times a power of ten, at least one major unit) so the
    span needs at most MAX_TICKS - 1 of them."""
    smallest = 10 ** exponent(currency)
    raw = max(span_minor / (MAX_TICKS - 1), smallest)
    power = 10 ** math.floor(math.log10(raw))
    return next(m * power for m in (1, 2, 5, 10) if m * power >= raw)


def axis_text(amount_minor: int, currency: str) -> str:
    """A money axis label: whole amounts without their zero cents ("$1,200", not "$1,200.00")."""
    return re.sub(r"\.0+(?=\D*$)", "", format_money(amount_minor, currency))


def day_chart(rows: Sequence[ReportRow], currency: str, *, short_date: Callable[[date], str]) -> DayChart:
    """The chart of ``rows`` (the report's days, in order) by net sales; ``short_date`` writes a date."""
    values = [row.net_minor for row in rows]
    high, low = max([0, *values]), min([0, *values])
    step = _step(high - low, currency)
    top = math.ceil(high / step) * step or step  # an empty range still gets an axis
    bottom = math.floor(low / step) * step
    plot_height = HEIGHT - TOP - BOTTOM
    px_per_minor = plot_height / (top - bottom)
    zero_y = TOP + top * px_per_minor
    slot = (WIDTH - LEFT - RIGHT) / max(len(rows), 1)
    every = math.ceil(len(rows) / MAX_DATE_LABELS)
    bars, dates = [], []
    for index, row in enumerate(rows):
        height = abs(row.net_minor) * px_per_minor
        width = max(slot * 0.7, 1.0)
        x = LEFT + index * slot + (slot - width) / 2
        y = zero_y - height if row.net_minor > 0 else zero_y
        money = format_money(row.net_minor, currency)
        bars.append(Bar(day=row.key, value_minor=row.net_minor, x=round(x, 2), y=round(y, 2), width=round(width, 2),
                        height=round(height, 2), label=f"{short_date(row.key)}: {money}",
                        value_text=axis_text(row.net_minor, currency) if slot >= VALUE_LABEL_SLOT else None,
                        # above a bar going up, under one going down
                        value_y=round(y - 6 if row.net_minor >= 0 else y + height + 16, 2)))
        if index % every == 0:
            dates.append(DateLabel(x=round(LEFT + (index + 0.5) * slot, 2), text=short_date(row.key)))
    ticks = [Tick(y=round(zero_y - value * px_per_minor, 2), text=axis_text(value, currency))
             for value in range(bottom, top + 1, step)]
    return DayChart(width=WIDTH, height=HEIGHT, left=LEFT, right=WIDTH - RIGHT, zero_y=round(zero_y, 2),
                    minor_per_px=1 / px_per_minor, bars=bars, ticks=ticks, dates=dates,
                    highest=max(bars, key=lambda b: b.value_minor, default=None),
                    lowest=min(bars, key=lambda b: b.value_minor, default=None))
