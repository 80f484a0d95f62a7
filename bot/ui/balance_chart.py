"""Draw a BalanceChart (bot.core.ledger.series) as a small PNG to attach to the history reply.

Pillow draws it: lines, markers and legible labels in a few milliseconds, which a hand-written PNG
encoder could only match with its own bitmap font. One line per balance, never a summed line; a
section known only at the member's own entries (an agency's `acted` section) is drawn as dots joined
by a thin dashed line, because the balance between those dots is not known.
"""

from __future__ import annotations

import datetime as dt
import io
import itertools

import discord
from PIL import Image, ImageDraw, ImageFont

from bot.core.ledger.series import BalanceChart, BalanceSeries
from bot.core.untrusted import visible
from bot.ui.palette import BACKGROUND, GRID, MUTED, TEXT

FILENAME = "connects-balances.png"
WIDTH, HEIGHT = 560, 240
LEFT, RIGHT, TOP, BOTTOM = 48, 14, 34, 26
# Freelancer balances green, agency balances blue (then other colours for a member of several agencies).
COLOURS = {"freelancer": [(87, 242, 135), (254, 231, 92)], "agency": [(88, 101, 242), (235, 69, 158), (237, 66, 69)]}

_FONT = ImageFont.load_default()
# Pillow loads its format plugins on the first save (~50 ms): do it now, not on someone's first history.
Image.preinit()


def render_png(chart: BalanceChart) -> bytes:
    """Return the chart as PNG bytes."""
    image = Image.new("RGB", (WIDTH, HEIGHT), BACKGROUND)
    draw = ImageDraw.Draw(image)
    values = [b for s in chart.series for _, b in s.points]
    low, high = (min(values), max(values)) if values else (0, 0)
    low = min(low, 0)
    if high - low < 4:
        high = low + 4
    span_days = max(1, (chart.end - chart.start).days)
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM

    def x_of(day: dt.date) -> float:
        return LEFT + plot_w * (day - chart.start).days / span_days

    def y_of(value: int) -> float:
        return TOP + plot_h * (1 - (value - low) / (high - low))

    for i in range(5):
        value = round(low + (high - low) * i / 4)
        y = y_of(value)
        draw.line([(LEFT, y), (WIDTH - RIGHT, y)], fill=GRID)
        draw.text((LEFT - 6, y), str(value), fill=MUTED, font=_FONT, anchor="rm")
    draw.text((LEFT, HEIGHT - 6), chart.start.isoformat(), fill=MUTED, font=_FONT, anchor="ls")
    draw.text((WIDTH - RIGHT, HEIGHT - 6), chart.end.isoformat(), fill=MUTED, font=_FONT, anchor="rs")

    used = {"freelancer": 0, "agency": 0}
    legend_x = LEFT
    for series in chart.series:
        palette = COLOURS.get(series.kind, COLOURS["agency"])
        colour = palette[used.get(series.kind, 0) % len(palette)]
        used[series.kind] = used.get(series.kind, 0) + 1
        _draw_series(draw, series, colour, x_of, y_of)
        # A profile name comes from an import: a newline in it would make Pillow refuse the whole chart.
        label = f"{visible(series.name)} ({series.kind})" + ("" if series.daily else ": at this member's entries")
        draw.rectangle([legend_x, 12, legend_x + 10, 22], fill=colour)
        draw.text((legend_x + 14, 17), label, fill=TEXT, font=_FONT, anchor="lm")
        legend_x += 24 + int(draw.textlength(label, font=_FONT))
    out = io.BytesIO()
    image.save(out, format="PNG", optimize=False, compress_level=6)
    return out.getvalue()


def _draw_series(draw: ImageDraw.ImageDraw, series: BalanceSeries, colour, x_of, y_of) -> None:
    points = [(x_of(day), y_of(value)) for day, value in series.points]
    if not points:
        return
    if series.daily:
        # A step line: the balance holds until the next day's change.
        steps: list[tuple[float, float]] = [points[0]]
        for x, y in points[1:]:
            steps.append((x, steps[-1][1]))
            steps.append((x, y))
        draw.line(steps, fill=colour, width=2)
        return
    for (x0, y0), (x1, y1) in itertools.pairwise(points):
        _dashed(draw, (x0, y0), (x1, y1), colour)
    for x, y in points:
        draw.ellipse([x - 3, y - 3, x + 3, y + 3], fill=colour)


def _dashed(draw: ImageDraw.ImageDraw, a: tuple[float, float], b: tuple[float, float], colour) -> None:
    length = max(1.0, ((b[0] - a[0]) ** 2 + (b[1] - a[1]) ** 2) ** 0.5)
    dashes = int(length // 6)
    dx, dy = b[0] - a[0], b[1] - a[1]
    for i in range(0, dashes, 2):
        t0, t1 = i / dashes, min(1.0, (i + 1) / dashes)
        draw.line([(a[0] + dx * t0, a[1] + dy * t0), (a[0] + dx * t1, a[1] + dy * t1)], fill=colour, width=1)


def chart_file(chart: BalanceChart) -> discord.File:
    """Return the chart as a file to attach (the history embed shows it as `attachment://…`)."""
    return discord.File(io.BytesIO(render_png(chart)), filename=FILENAME, description="Connects balances, 90 days")
