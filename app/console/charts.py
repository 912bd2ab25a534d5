"""Server-rendered SVG charts: no script, no CDN, and readable under a strict CSP."""
from markupsafe import Markup, escape

WIDTH, HEIGHT = 960, 260
#: The widest a bar gets, so a few days do not turn into slabs.
MAX_BAR = 24
LEFT, RIGHT, TOP, BOTTOM = 48, 32, 12, 36  # room for the last day's centred label
#: Colour-blind-safe palette (Okabe–Ito), one colour per series.
PALETTE = ("#0072B2", "#009E73", "#D55E00", "#CC79A7", "#E69F00", "#56B4E9")


def bar_chart(title, labels, series):
    """Return an SVG of grouped bars: labels along x, series as {name: [values]}."""
    top = max([max(values, default=0) for values in series.values()] + [1])
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    group = plot_w / max(len(labels), 1)
    bar = min(max(group * 0.8 / max(len(series), 1), 1), MAX_BAR)
    inset = (group - bar * len(series)) / 2  # the day's bars centred on its label
    parts = _frame(title, top, lambda value: f"{value:g}")
    for s_index, (name, values) in enumerate(series.items()):
        colour = PALETTE[s_index % len(PALETTE)]
        for index, value in enumerate(values):
            height = plot_h * value / top
            x = LEFT + index * group + inset + s_index * bar
            parts.append(f'<rect x="{x:.1f}" y="{TOP + plot_h - height:.1f}" width="{bar:.1f}" '
                         f'height="{height:.1f}" fill="{colour}"><title>{escape(labels[index])} '
                         f'{escape(name)}: {value}</title></rect>')
    parts += _x_labels(labels, group) + _legend(series) + ["</svg>"]
    return Markup("".join(parts))


def line_chart(title, labels, series):
    """Return an SVG of lines for shares from 0 to 1; None values leave gaps."""
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    step = plot_w / max(len(labels) - 1, 1)
    start = LEFT + (plot_w / 2 if len(labels) == 1 else 0)  # one day: its point in the middle
    parts = _frame(title, 1, lambda value: f"{value:.0%}")
    for s_index, (name, values) in enumerate(series.items()):
        colour = PALETTE[s_index % len(PALETTE)]
        points = [(start + index * step, TOP + plot_h * (1 - value))
                  for index, value in enumerate(values) if value is not None]
        if points:
            path = " ".join(f"{x:.1f},{y:.1f}" for x, y in points)
            parts.append(f'<polyline points="{path}" fill="none" stroke="{colour}" '
                         f'stroke-width="2"><title>{escape(name)}</title></polyline>')
            parts += [f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3" fill="{colour}"/>' for x, y in points]
    parts += _x_labels(labels, step, centred=False, start=start) + _legend(series) + ["</svg>"]
    return Markup("".join(parts))


def _frame(title, top, fmt):
    plot_h = HEIGHT - TOP - BOTTOM
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {HEIGHT + 24}" '
             f'role="img" aria-label="{escape(title)}" class="chart"><title>{escape(title)}</title>']
    for fraction in (0, 0.5, 1):
        y = TOP + plot_h * (1 - fraction)
        value = top * fraction
        label = fmt(value)
        parts.append(f'<line x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{y:.1f}" y2="{y:.1f}" '
                     f'stroke="#d0d0d0"/><text x="{LEFT - 6}" y="{y + 4:.1f}" text-anchor="end" '
                     f'font-size="11" fill="#333">{escape(label)}</text>')
    return parts


def _x_labels(labels, step, centred=True, start=LEFT):
    every = max(1, -(-len(labels) // 16))  # at most 16 labels fit the width
    parts = []
    for index, label in enumerate(labels):
        if index % every:
            continue
        x = start + index * step + (step / 2 if centred else 0)
        parts.append(f'<text x="{x:.1f}" y="{HEIGHT - BOTTOM + 16}" text-anchor="middle" '
                     f'font-size="11" fill="#333">{escape(label)}</text>')
    return parts


def _legend(series):
    parts = []
    for index, name in enumerate(series):
        x = LEFT + index * 150
        parts.append(f'<rect x="{x}" y="{HEIGHT + 6}" width="12" height="12" '
                     f'fill="{PALETTE[index % len(PALETTE)]}"/><text x="{x + 18}" y="{HEIGHT + 16}" '
                     f'font-size="12" fill="#333">{escape(name)}</text>')
    return parts
