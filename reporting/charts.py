"""Server-side SVG charts drawn from the aggregates: no JavaScript library, no CDN, and the
same cost at any action size (they read the hourly rows and the totals only)."""

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from .models import ActionHourStats

WIDTH, HEIGHT = 820, 260
LEFT, RIGHT, TOP, BOTTOM = 56, 16, 36, 40
BAR_HEIGHT, BAR_GAP, LABEL_WIDTH = 22, 8, 200
PALETTE = ("#3056d3", "#1f8a4c", "#b54708", "#c0362c", "#7a5af8", "#0e9384")
MAX_HOURLY_POINTS = 24 * 21  # past three weeks, the line chart switches to one point a day


@dataclass(frozen=True)
class Series:
    label: str
    values: Sequence[int]


def _nice_step(top: int, ticks: int = 4) -> int:
    raw = max(top, 1) / ticks
    power = 10 ** math.floor(math.log10(raw))
    return max(1, int(next(m * power for m in (1, 2, 5, 10) if m * power >= raw)))


def _svg(width: int, height: int, title: str, body: list[str]) -> SafeString:
    return mark_safe(
        f'<svg class="chart" viewBox="0 0 {width} {height}" role="img" aria-label="{escape(title)}" '
        f'xmlns="http://www.w3.org/2000/svg"><title>{escape(title)}</title>'
        f'<text x="0" y="18" class="chart-title">{escape(title)}</text>' + "".join(body) + "</svg>"
    )


def _legend(series: Sequence[Series], y: int) -> list[str]:
    out, x = [], WIDTH - RIGHT
    for i, s in reversed(list(enumerate(series))):
        x -= 16 + 7 * len(s.label) + 14
        color = PALETTE[i % len(PALETTE)]
        out.append(f'<rect x="{x}" y="{y - 9}" width="10" height="10" fill="{color}"/>')
        out.append(f'<text x="{x + 14}" y="{y}" class="chart-legend">{escape(s.label)}</text>')
    return out


def line_chart(*, title: str, labels: Sequence[str], series: Sequence[Series]) -> SafeString:
    """One line per series over `labels` (x axis), y axis from 0 with round ticks."""
    if not labels:
        return _svg(WIDTH, 80, title, ['<text x="0" y="52" class="chart-empty">No activity yet.</text>'])
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    top = max((max(s.values) for s in series if s.values), default=0)
    step = _nice_step(top)
    ceiling = max(step * math.ceil(max(top, 1) / step), step)
    n = len(labels)

    def x_of(i: int) -> float:
        return LEFT + (plot_w * i / (n - 1) if n > 1 else plot_w / 2)

    def y_of(v: int) -> float:
        return TOP + plot_h - plot_h * v / ceiling

    body = _legend(series, 18)
    for tick in range(0, ceiling + 1, step):
        y = y_of(tick)
        body.append(f'<line x1="{LEFT}" y1="{y:.1f}" x2="{WIDTH - RIGHT}" y2="{y:.1f}" class="chart-grid"/>')
        body.append(f'<text x="{LEFT - 6}" y="{y + 4:.1f}" class="chart-axis" text-anchor="end">{tick:,}</text>')
    every = max(1, math.ceil(n / 8))
    for i in range(0, n, every):
        body.append(
            f'<text x="{x_of(i):.1f}" y="{HEIGHT - BOTTOM + 18}" class="chart-axis" text-anchor="middle">'
            f"{escape(labels[i])}</text>"
        )
    for i, s in enumerate(series):
        points = " ".join(f"{x_of(j):.1f},{y_of(v):.1f}" for j, v in enumerate(s.values))
        color = PALETTE[i % len(PALETTE)]
        body.append(
            f'<polyline points="{points}" fill="none" stroke="{color}" stroke-width="2" data-series="{escape(s.label)}"/>'
        )
    return _svg(WIDTH, HEIGHT, title, body)


def bar_chart(*, title: str, bars: Sequence[tuple[str, int]], note: str = "") -> SafeString:
    """Horizontal bars, one per (label, value), each labelled with its value."""
    if not bars:
        return _svg(WIDTH, 80, title, ['<text x="0" y="52" class="chart-empty">Nothing recorded yet.</text>'])
    height = TOP + len(bars) * (BAR_HEIGHT + BAR_GAP) + 8
    top = max(max(v for _, v in bars), 1)
    span = WIDTH - LABEL_WIDTH - RIGHT - 90
    body = []
    for i, (label, value) in enumerate(bars):
        y = TOP + i * (BAR_HEIGHT + BAR_GAP)
        w = span * value / top
        color = PALETTE[0]
        body.append(f'<text x="{LABEL_WIDTH - 8}" y="{y + 16}" class="chart-label" text-anchor="end">{escape(label[:40])}</text>')
        body.append(f'<rect x="{LABEL_WIDTH}" y="{y}" width="{w:.1f}" height="{BAR_HEIGHT}" rx="3" fill="{color}"/>')
        body.append(f'<text x="{LABEL_WIDTH + w + 6:.1f}" y="{y + 16}" class="chart-value">{value:,}</text>')
    if note:
        body.append(f'<text x="{WIDTH - RIGHT}" y="18" class="chart-legend" text-anchor="end">{escape(note)}</text>')
    return _svg(WIDTH, height, title, body)


def _timeline(hours: Sequence[ActionHourStats]) -> tuple[list[datetime], str, timedelta]:
    first, last = hours[0].hour, hours[-1].hour
    if (last - first) / timedelta(hours=1) < MAX_HOURLY_POINTS:
        step, fmt = timedelta(hours=1), "%b %d %H:00"
    else:
        first = first.replace(hour=0)
        step, fmt = timedelta(days=1), "%b %d"
    points, t = [], first
    while t <= last:
        points.append(t)
        t += step
    return points, fmt, step


def activity_chart(hours: Sequence[ActionHourStats]) -> SafeString:
    """Initials, responses, opt-outs and errors per hour (per day for long actions)."""
    title = "Activity per hour (UTC)"
    if not hours:
        return line_chart(title=title, labels=[], series=[])
    points, fmt, step = _timeline(hours)
    index = {t: i for i, t in enumerate(points)}
    figures = {"Initials": [0] * len(points), "Responses": [0] * len(points), "Opt-outs": [0] * len(points)}
    figures["Errors"] = [0] * len(points)
    for row in hours:
        i = index[row.hour if step == timedelta(hours=1) else row.hour.replace(hour=0)]
        figures["Initials"][i] += row.initial_messages
        figures["Responses"][i] += row.responses
        figures["Opt-outs"][i] += row.opt_outs
        figures["Errors"][i] += row.twilio_errors + row.carrier_filtering
    if step != timedelta(hours=1):
        title = "Activity per day (UTC)"
    return line_chart(title=title, labels=[t.strftime(fmt) for t in points], series=[Series(k, v) for k, v in figures.items()])


def funnel_chart(totals: dict[str, int]) -> SafeString:
    return bar_chart(
        title="Funnel",
        bars=[
            ("Sent (accepted by Twilio)", totals["initial_messages"] + totals["follow_ups"]),
            ("Delivered", totals["delivered"]),
            ("Responded (conversations)", totals["reports_available"]),
            ("Report filled (conversations)", totals["reports_filled"]),
        ],
    )
