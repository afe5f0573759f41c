"""The timeline above the results: matches per month (or year) as an inline SVG bar chart
drawn on the server (no script), each bar a link that narrows the search to its period.
In an Arabic interface time runs from right to left, like the rest of the page; the bars
stretch with the page, so the labels stay outside the SVG (in HTML, never distorted)."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from markupsafe import Markup, escape

from dalil.web.server.i18n import Ui
from dalil.web.server.schemas import TimelineBucketOut

WIDTH = 640
HEIGHT = 96
MIN_BAR = 2  # a period with matches is never invisible


def timeline_svg(
    buckets: Sequence[TimelineBucketOut],
    unit: str,
    ui: Ui,
    href: Callable[[TimelineBucketOut], str],
) -> Markup:
    """The chart (it stretches to the width of its box; the period labels are the page's,
    in HTML), or an empty string when there is at most one period to show."""
    if len(buckets) < 2:
        return Markup("")
    top = max(b.count for b in buckets) or 1
    slot = WIDTH / len(buckets)
    gap = min(2.0, slot * 0.2)
    plot = HEIGHT
    rtl = ui.dir == "rtl"
    title = ui.t(f"timeline.title.{unit}")
    parts = [
        f'<svg class="timeline-chart" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" '
        f'preserveAspectRatio="none" aria-label="{escape(title)}">'
    ]
    for i, bucket in enumerate(buckets):
        x = (len(buckets) - 1 - i) * slot if rtl else i * slot
        height = 0.0 if bucket.count == 0 else max(MIN_BAR, plot * bucket.count / top)
        label = ui.t("timeline.bar", label=ui.month(bucket.period), n=bucket.count)
        bar = (
            f'<rect class="bar" x="{x + gap / 2:.1f}" y="{plot - height:.1f}" '
            f'width="{max(0.5, slot - gap):.1f}" height="{height:.1f}"/>'
            # a full-height hit area, so short bars are easy to click
            f'<rect class="hit-area" x="{x:.1f}" y="0" width="{slot:.1f}" height="{plot}"/>'
        )
        if bucket.count:
            parts.append(
                f'<a href="{escape(href(bucket))}" aria-label="{escape(label)}">'
                f"<title>{escape(label)}</title>{bar}</a>"
            )
        else:
            parts.append(f"<g><title>{escape(label)}</title>{bar}</g>")
    parts.append("</svg>")
    return Markup("".join(parts))
