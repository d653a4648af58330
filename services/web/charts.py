"""Charts drawn on the server as inline SVG (no script, printable); each sits beside a table of
the same numbers, which is its text alternative."""
from markupsafe import Markup, escape

from . import i18n

WIDTH, HEIGHT = 360, 170
TOP, BOTTOM, SIDE = 18, 34, 36
SCALE_MAX = 120  # the axis runs to 120 % so an exceeding figure still shows above the 100 % line


def realization_bars(points, title, lang=None, chart_id="chart"):
    """Bars of realization per period. ``points``: ``[(period, value or None, band or None)]``.

    The SVG is ``role="img"`` named by its title; the numbers are written on the bars too, and the
    table next to it says the same in text. In a right-to-left page time runs from the right."""
    lang = lang or i18n.current()
    rtl = i18n.direction(lang) == "rtl"
    n = max(len(points), 1)
    plot_w = WIDTH - 2 * SIDE
    plot_h = HEIGHT - TOP - BOTTOM
    slot = plot_w / n
    bar_w = min(34.0, slot * 0.6)

    def y(value):
        return TOP + plot_h * (1 - min(max(value, 0), SCALE_MAX) / SCALE_MAX)

    parts = [f'<svg class="chart" viewBox="0 0 {WIDTH} {HEIGHT}" width="100%" role="img" '
             f'aria-labelledby="{chart_id}-t" focusable="false" xmlns="http://www.w3.org/2000/svg">',
             f'<title id="{chart_id}-t">{escape(title)}</title>']
    # grid: 0, 50, 100 %; the 100 % line is the target
    for mark in (0, 50, 100):
        cls = "target" if mark == 100 else "grid"
        parts.append(f'<line class="{cls}" x1="{SIDE}" x2="{WIDTH - SIDE}" y1="{y(mark):.1f}" y2="{y(mark):.1f}"/>')
        x_label = WIDTH - SIDE + 4 if rtl else SIDE - 4
        anchor = "start" if rtl else "end"
        parts.append(f'<text class="axis" x="{x_label}" y="{y(mark) + 4:.1f}" text-anchor="{anchor}">'
                     f'{escape(i18n.percent(mark, 0, lang))}</text>')
    for index, (period, value, band) in enumerate(points):
        label = period if isinstance(period, str) else i18n.period_short(period, lang)
        position = (n - 1 - index) if rtl else index
        cx = SIDE + slot * position + slot / 2
        if value is not None:
            top = y(value)
            height = y(0) - top
            parts.append(f'<rect class="bar band-{escape(band or "none")}" x="{cx - bar_w / 2:.1f}" y="{top:.1f}" '
                         f'width="{bar_w:.1f}" height="{max(height, 1):.1f}" rx="2"/>')
            parts.append(f'<text class="value" x="{cx:.1f}" y="{top - 4:.1f}" text-anchor="middle">'
                         f'{escape(i18n.percent(value, 0, lang))}</text>')
        else:
            parts.append(f'<text class="value missing" x="{cx:.1f}" y="{y(0) - 4:.1f}" text-anchor="middle">–</text>')
        parts.append(f'<text class="axis" x="{cx:.1f}" y="{HEIGHT - BOTTOM + 16}" text-anchor="middle">'
                     f'{escape(label)}</text>')
    parts.append("</svg>")
    return Markup("".join(parts))
