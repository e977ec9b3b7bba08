"""Server-rendered SVG charts (no JavaScript library). Every chart is drawn from the same numbers as
the table printed under it (the accessible form); a hidden count ("<10") is drawn as a hatched
stub, never as a height that would reveal it. Colours come from web/static/css/console.css."""
from __future__ import annotations

from html import escape

from markupsafe import Markup

WIDTH, HEIGHT, PAD_LEFT, PAD_BOTTOM, PAD_TOP = 640, 240, 48, 40, 12


def _nice(top: int) -> int:
    for step in (1, 2, 5):
        for power in range(9):
            n = step * 10 ** power
            if n >= top:
                return n
    return top


def bars(title: str, points: list[tuple[str, int | None]], *, hidden_label: str = "<10") -> Markup:
    """Vertical bars, one per point (a month, a category)."""
    values = [v for _l, v in points if v is not None]
    top = _nice(max(values + [10]))
    n = max(len(points), 1)
    inner_w, inner_h = WIDTH - PAD_LEFT - 8, HEIGHT - PAD_BOTTOM - PAD_TOP
    slot = inner_w / n
    bar_w = max(slot * 0.7, 2)
    out = [f'<svg class="chart" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" aria-label="{escape(title)}" '
           f'xmlns="http://www.w3.org/2000/svg" preserveAspectRatio="xMidYMid meet">',
           f"<title>{escape(title)}</title>"]
    for frac in (0, 0.5, 1):
        y = PAD_TOP + inner_h * (1 - frac)
        out.append(f'<line class="grid" x1="{PAD_LEFT}" y1="{y:.1f}" x2="{WIDTH - 8}" y2="{y:.1f}"/>')
        out.append(f'<text class="axis" x="{PAD_LEFT - 6}" y="{y + 4:.1f}" text-anchor="end">{int(top * frac):,}</text>')
    every = 1 if n <= 12 else (n // 12 + 1)
    for i, (label, value) in enumerate(points):
        x = PAD_LEFT + i * slot + (slot - bar_w) / 2
        if value is None:
            out.append(f'<rect class="bar hidden" x="{x:.1f}" y="{PAD_TOP + inner_h - 6:.1f}" width="{bar_w:.1f}" '
                       f'height="6"><title>{escape(label)}: {escape(hidden_label)}</title></rect>')
        else:
            h = inner_h * value / top
            out.append(f'<rect class="bar" x="{x:.1f}" y="{PAD_TOP + inner_h - h:.1f}" width="{bar_w:.1f}" '
                       f'height="{h:.1f}"><title>{escape(label)}: {value:,}</title></rect>')
        if i % every == 0:
            out.append(f'<text class="axis" x="{x + bar_w / 2:.1f}" y="{HEIGHT - PAD_BOTTOM + 16}" '
                       f'text-anchor="middle">{escape(label)}</text>')
    out.append("</svg>")
    return Markup("".join(out))
