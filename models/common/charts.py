"""Small SVG line charts for the model cards, from the cards' own JSON tables (no plotting library needed).

    PYTHONPATH=. /usr/bin/python3 models/common/charts.py models/pixnat/quality.json   # -> quality_vs_K.svg

For pixnat's quality.json (rows with K, gumbel_temp, class_match, fid) it draws class match and Frechet
distance against the number of parallel passes K (log scale), one line per Gumbel noise setting: the
lecture's "each pass makes it clearer", measured.
"""
import json
import math
import os
import sys
from xml.sax.saxutils import escape

COLOURS = ["#1f6feb", "#d4541b", "#2a9d4b", "#8250df"]


def line_chart(series, x_label, y_label, title, width=360, height=240, log_x=False):
    """series: [(name, [(x, y), ...])] -> SVG text. Axes from the data's range; x ticks at the data's x values."""
    left, right, top, bottom = 52, 12, 28, 40
    xs = sorted({x for _, pts in series for x, _ in pts})
    ys = [y for _, pts in series for _, y in pts]
    fx = (lambda v: math.log2(v)) if log_x else (lambda v: v)
    x0, x1 = fx(xs[0]), fx(xs[-1])
    y0, y1 = min(0.0, min(ys)), max(ys) * 1.08
    sx = lambda v: left + (fx(v) - x0) / ((x1 - x0) or 1) * (width - left - right)  # noqa: E731
    sy = lambda v: height - bottom - (v - y0) / ((y1 - y0) or 1) * (height - top - bottom)  # noqa: E731
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" font-family="sans-serif" '
        f'font-size="11"><rect width="100%" height="100%" fill="#fff"/>',
        f'<text x="{width / 2}" y="16" text-anchor="middle" font-size="12">{escape(title)}</text>',
        f'<line x1="{left}" y1="{height - bottom}" x2="{width - right}" y2="{height - bottom}" stroke="#555"/>',
        f'<line x1="{left}" y1="{top}" x2="{left}" y2="{height - bottom}" stroke="#555"/>',
    ]
    for x in xs:
        out.append(f'<text x="{sx(x):.1f}" y="{height - bottom + 14}" text-anchor="middle">{x:g}</text>')
    for i in range(5):
        v = y0 + (y1 - y0) * i / 4
        out.append(f'<text x="{left - 6}" y="{sy(v) + 4:.1f}" text-anchor="end">{v:.3g}</text>')
        out.append(f'<line x1="{left}" y1="{sy(v):.1f}" x2="{width - right}" y2="{sy(v):.1f}" stroke="#eee"/>')
    out.append(f'<text x="{(left + width - right) / 2}" y="{height - 6}" text-anchor="middle">{escape(x_label)}</text>')
    out.append(
        f'<text x="12" y="{(top + height - bottom) / 2}" text-anchor="middle" '
        f'transform="rotate(-90 12 {(top + height - bottom) / 2})">{escape(y_label)}</text>'
    )
    for k, (name, pts) in enumerate(series):
        c = COLOURS[k % len(COLOURS)]
        path = " ".join(f"{sx(x):.1f},{sy(y):.1f}" for x, y in sorted(pts))
        out.append(f'<polyline points="{path}" fill="none" stroke="{c}" stroke-width="2"/>')
        out += [f'<circle cx="{sx(x):.1f}" cy="{sy(y):.1f}" r="3" fill="{c}"/>' for x, y in pts]
        out.append(
            f'<text x="{width - right - 4}" y="{top + 14 * (k + 1)}" text-anchor="end" fill="{c}">'
            f"{escape(name)}</text>"
        )
    out.append("</svg>")
    return "\n".join(out) + "\n"


def pixnat_quality_vs_k(rows):
    """Two charts side by side in one SVG: class match and FD against K, one line per noise setting."""
    taus = sorted({r["gumbel_temp"] for r in rows})
    name = lambda t: "confidence ranking" if t == 0 else f"Gumbel noise {t:g}"  # noqa: E731
    charts = []
    for key, label in (("class_match", "class match (judge)"), ("fid", "Frechet distance (judge features)")):
        series = [(name(t), [(r["K"], r[key]) for r in rows if r["gumbel_temp"] == t]) for t in taus]
        charts.append(line_chart(series, "parallel passes K", label, label + " vs K", log_x=True))
    inner = [c.split("\n", 1)[1].rsplit("</svg>", 1)[0] for c in charts]
    return (
        '<svg xmlns="http://www.w3.org/2000/svg" width="720" height="240" font-family="sans-serif" '
        f'font-size="11"><g>{inner[0]}</g><g transform="translate(360 0)">{inner[1]}</g></svg>\n'
    )


def main(path):
    with open(path) as f:
        rows = json.load(f)
    out = os.path.join(os.path.dirname(path), "quality_vs_K.svg")
    with open(out, "w") as f:
        f.write(pixnat_quality_vs_k(rows))
    print("wrote", out)


if __name__ == "__main__":
    main(sys.argv[1])
