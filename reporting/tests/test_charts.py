"""Server-side SVG charts from the hourly aggregates."""

import re
from datetime import UTC, datetime, timedelta

from reporting.charts import Series, activity_chart, bar_chart, funnel_chart, line_chart
from reporting.models import ActionHourStats


def hour_row(at: datetime, **figures) -> ActionHourStats:
    return ActionHourStats(hour=at, **figures)


def points(svg: str, series: str) -> list[tuple[float, float]]:
    found = re.search(rf'<polyline points="([^"]+)"[^>]*data-series="{series}"', svg)
    return [tuple(map(float, p.split(","))) for p in found.group(1).split()]


def test_activity_chart_fills_quiet_hours_with_zero():
    start = datetime(2026, 11, 2, 9, tzinfo=UTC)
    svg = activity_chart(
        [
            hour_row(start, initial_messages=40, responses=2, twilio_errors=1, carrier_filtering=2),
            hour_row(start + timedelta(hours=3), initial_messages=10, opt_outs=1),
        ]
    )
    initials = points(svg, "Initials")
    assert len(initials) == 4
    ys = [y for _, y in initials]
    assert ys[1] == ys[2] and ys[1] > ys[0] and ys[1] > ys[3]  # zero sits lowest; 40 highest
    assert len(points(svg, "Errors")) == 4 and "Nov 02 09:00" in svg


def test_a_long_action_is_drawn_per_day():
    start = datetime(2026, 10, 1, 5, tzinfo=UTC)
    svg = activity_chart([hour_row(start, initial_messages=1), hour_row(start + timedelta(days=40, hours=3), initial_messages=5)])
    assert "Activity per day" in svg and len(points(svg, "Initials")) == 41


def test_labels_are_escaped_and_empty_charts_say_so():
    svg = bar_chart(title="Tags", bars=[("<script>x</script>", 3), ("ok", 0)])
    assert "<script>" not in svg and "&lt;script&gt;" in svg
    assert "No activity yet" in line_chart(title="t", labels=[], series=[Series("a", [])])
    assert "Nothing recorded yet" in bar_chart(title="t", bars=[])


def test_funnel_orders_sent_delivered_responded_filled():
    totals = {"initial_messages": 90, "follow_ups": 10, "delivered": 92, "reports_available": 15, "reports_filled": 9}
    svg = funnel_chart(totals)
    values = [int(v) for v in re.findall(r'class="chart-value">([\d,]+)<', svg)]
    assert values == [100, 92, 15, 9]
    widths = [float(w) for w in re.findall(r'<rect x="\d+" y="\d+" width="([\d.]+)"', svg)]
    assert widths == sorted(widths, reverse=True) and widths[0] > 0
