"""Charts as inline SVG, drawn on the server: no script, no library, readable by a screen
reader (each chart has a title and a description, each bar segment its numbers) and always
beside a table of the same numbers."""

from collections.abc import Sequence
from dataclasses import dataclass

from markupsafe import Markup, escape

WIDTH = 400  # viewBox units; the SVG scales to its container
LABEL_HEIGHT = 16
BAR_HEIGHT = 14
ROW_GAP = 10
BAR_WIDTH = 340  # the longest bar; its total is written after it


@dataclass(frozen=True)
class Bar:
    key: str  # what the bar counts, for machines (`data-bar`)
    label: str
    values: dict[str, int]  # series key -> value


def stacked_bars(
    chart_id: str, title: str, description: str, bars: Sequence[Bar], series: Sequence[str]
) -> Markup:
    """Horizontal bars, each the sum of its series' segments (class ``s-<series>``), its label
    above it and its total after it."""
    largest = max((sum(b.values.values()) for b in bars), default=0) or 1
    row = LABEL_HEIGHT + BAR_HEIGHT + ROW_GAP
    height = row * len(bars)
    parts = [
        f'<svg class="chart" id="{chart_id}" viewBox="0 0 {WIDTH} {height}" role="img" '
        f'aria-labelledby="{chart_id}-title {chart_id}-desc" preserveAspectRatio="xMinYMin meet">',
        f'<title id="{chart_id}-title">{escape(title)}</title>',
        f'<desc id="{chart_id}-desc">{escape(description)}</desc>',
    ]
    for i, bar in enumerate(bars):
        top = i * row
        total = sum(bar.values.values())
        parts.append(f'<text class="bar-label" x="0" y="{top + 12}">{escape(bar.label)}</text>')
        x = 0.0
        for key in series:
            value = bar.values.get(key, 0)
            if not value:
                continue
            width = BAR_WIDTH * value / largest
            parts.append(
                f'<rect class="s-{key}" x="{x:.1f}" y="{top + LABEL_HEIGHT}" width="{width:.1f}" '
                f'height="{BAR_HEIGHT}" data-bar="{escape(bar.key)}" data-series="{key}" '
                f'data-value="{value}"><title>{escape(bar.label)}, '
                f"{escape(key.replace('_', ' '))}: {value}</title></rect>"
            )
            x += width
        parts.append(
            f'<text class="bar-total" x="{x + 4:.1f}" y="{top + LABEL_HEIGHT + 11}">{total}</text>'
        )
    parts.append("</svg>")
    return Markup("".join(parts))  # noqa: S704 - labels and titles are escaped above


def unit_squares(
    chart_id: str, title: str, description: str, units: Sequence[tuple[str, str]], per_row: int
) -> Markup:
    """One square per unit (a nation), in rows, each of class ``u-<kind>`` with its label."""
    size, gap = 22, 4
    rows = (len(units) + per_row - 1) // per_row
    width, height = per_row * (size + gap), rows * (size + gap)
    parts = [
        f'<svg class="chart units" id="{chart_id}" viewBox="0 0 {width} {height}" role="img" '
        f'aria-labelledby="{chart_id}-title {chart_id}-desc" preserveAspectRatio="xMinYMin meet">',
        f'<title id="{chart_id}-title">{escape(title)}</title>',
        f'<desc id="{chart_id}-desc">{escape(description)}</desc>',
    ]
    for i, (kind, label) in enumerate(units):
        x, y = (i % per_row) * (size + gap), (i // per_row) * (size + gap)
        parts.append(
            f'<rect class="u-{kind}" x="{x}" y="{y}" width="{size}" height="{size}" rx="3">'
            f"<title>{escape(label)}</title></rect>"
        )
    parts.append("</svg>")
    return Markup("".join(parts))  # noqa: S704 - labels and titles are escaped above
