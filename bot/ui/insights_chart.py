"""Draw the insights chart: questions per day stacked by decision, answer rate and helpful ratio as lines.

The balance chart's style (bot/ui/balance_chart.py): Pillow, Discord's dark palette, a small PNG. It is
drawn at 640 x 360 with a 15 px font so that Discord's phone preview (about 360 px wide) still shows the
labels at a legible size. Questions are bars on the left axis; the two rates are lines on a 0-100% right
axis. No discord import: the CLI's HTML report embeds the same PNG.
"""

from __future__ import annotations

import io

from PIL import Image, ImageDraw, ImageFont

from bot.core.insights.figures import Insights
from bot.ui.palette import BACKGROUND, GRID, MUTED, TEXT

FILENAME = "faq-insights.png"
WIDTH, HEIGHT = 640, 360
LEFT, RIGHT, TOP, BOTTOM = 44, 48, 62, 30
# Bottom of the stack first: what was answered, then the rest, silence on top.
STACK = (
    ("answer", "answered", (87, 242, 135)),
    ("earlier", "pointed back", (35, 165, 90)),
    ("suggest", "suggested", (254, 231, 92)),
    ("explain", "explain offer", (88, 101, 242)),
    ("rate_limited", "rate limited", (235, 69, 158)),
    ("silent", "silent", (128, 132, 142)),
)
ANSWER_RATE = ("answer rate", (255, 255, 255))
HELPFUL_RATIO = ("helpful", (0, 168, 252))


def _font(size: int) -> ImageFont.ImageFont | ImageFont.FreeTypeFont:
    try:
        return ImageFont.load_default(size=size)
    except (AttributeError, ImportError, OSError):  # Pillow without FreeType: the small bitmap font
        return ImageFont.load_default()


FONT, SMALL = _font(15), _font(13)


def render_png(insights: Insights) -> bytes:
    """Return the chart as PNG bytes."""
    image = Image.new("RGB", (WIDTH, HEIGHT), BACKGROUND)
    draw = ImageDraw.Draw(image)
    days = insights.days
    peak = max((d.questions for d in days), default=0)
    top = _nice_ceiling(peak)
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    slot = plot_w / max(1, len(days))

    def y_of(value: float, scale: float) -> float:
        return TOP + plot_h * (1 - value / scale)

    for i in range(5):
        y = y_of(top * i / 4, top)
        draw.line([(LEFT, y), (WIDTH - RIGHT, y)], fill=GRID)
        draw.text((LEFT - 6, y), f"{top * i / 4:g}", fill=MUTED, font=SMALL, anchor="rm")
        draw.text((WIDTH - RIGHT + 6, y), f"{25 * i}%", fill=MUTED, font=SMALL, anchor="lm")
    for index, day in enumerate(days):
        x0, x1 = LEFT + slot * index + slot * 0.15, LEFT + slot * (index + 1) - slot * 0.15
        base = 0
        for kind, _, colour in STACK:
            count = day.counts.get(kind, 0)
            if count:
                draw.rectangle([x0, y_of(base + count, top), max(x0 + 1, x1), y_of(base, top)], fill=colour)
                base += count
    for (_, colour), values in (
        (ANSWER_RATE, [d.answer_rate for d in days]),
        (HELPFUL_RATIO, [d.helpful_ratio for d in days]),
    ):
        points = [(LEFT + slot * (i + 0.5), y_of(v, 1.0)) for i, v in enumerate(values) if v is not None]
        if len(points) > 1:
            draw.line(points, fill=colour, width=3, joint="curve")
        for x, y in points:
            draw.ellipse([x - 3, y - 3, x + 3, y + 3], fill=colour)
    draw.text((LEFT, HEIGHT - 8), insights.first.isoformat(), fill=MUTED, font=SMALL, anchor="ls")
    draw.text((WIDTH - RIGHT, HEIGHT - 8), insights.last.isoformat(), fill=MUTED, font=SMALL, anchor="rs")
    _legend(draw)
    out = io.BytesIO()
    image.save(out, format="PNG", optimize=False, compress_level=6)
    return out.getvalue()


def _legend(draw: ImageDraw.ImageDraw) -> None:
    """Two rows above the plot: the stacked decisions, then the two lines."""
    x, y = LEFT, 14
    for _, label, colour in STACK:
        width = 18 + int(draw.textlength(label, font=SMALL))
        if x + width > WIDTH - RIGHT:
            x, y = LEFT, y + 20
        draw.rectangle([x, y - 5, x + 10, y + 5], fill=colour)
        draw.text((x + 14, y), label, fill=TEXT, font=SMALL, anchor="lm")
        x += width + 10
    for label, colour in (ANSWER_RATE, HELPFUL_RATIO):
        width = 28 + int(draw.textlength(label + " (right axis)", font=SMALL))
        if x + width > WIDTH - RIGHT:
            x, y = LEFT, y + 20
        draw.line([(x, y), (x + 18, y)], fill=colour, width=3)
        draw.text((x + 22, y), label + " (right axis)", fill=TEXT, font=SMALL, anchor="lm")
        x += width + 10


def _nice_ceiling(value: int) -> int:
    """The smallest 'round' axis top at or above value (4 gridlines of whole numbers)."""
    step = 1
    while step * 4 < value:
        step = step * 5 // 2 if str(step).startswith("2") else step * 2
    return max(4, step * 4)
