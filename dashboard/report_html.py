"""The period report as one self-contained HTML file: tables and interactive Plotly charts.

plotly.js is inlined (no CDN), so the file opens offline. Each chart's figure sits in a
`<script type="application/json" data-chart=…>` block that one small script draws.
"""

from __future__ import annotations

import html
from collections.abc import Callable, Iterable

from plotly.offline import get_plotlyjs

from dashboard import charts
from dashboard.report_data import Report, Section, format_value, kpi_texts, length, period
from ingest.pdf_text import ApartNames

CSS = """
body { font-family: system-ui, -apple-system, "Segoe UI", sans-serif; margin: 2rem auto;
       max-width: 1100px; padding: 0 1rem; color: #1b1b1b; }
h1 { margin-bottom: .2rem; } h2 { margin-top: 2.5rem; border-bottom: 1px solid #ddd; }
.meta, .note { color: #555; } .empty { background: #fff4e5; padding: .6rem 1rem; }
table { border-collapse: collapse; font-size: .9rem; margin: .5rem 0; }
th { background: #1f4e79; color: #fff; text-align: left; padding: .3rem .6rem; }
td { border-bottom: 1px solid #e5e5e5; padding: .25rem .6rem; }
td.long { overflow-wrap: anywhere; min-width: 10rem; }
td.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
.chart { width: 100%; height: 420px; }
.wide { overflow-x: auto; }
"""
DRAW = """
document.querySelectorAll('script[data-chart]').forEach(function (s) {
  var fig = JSON.parse(s.textContent);
  Plotly.newPlot(s.dataset.chart, fig.data, fig.layout, {responsive: true, displaylogo: false});
});
"""
LONG_WORD = 40  # characters of one word that a text cell breaks anywhere (td.long)


def report_html(report: Report) -> bytes:
    f, p = report.filters, report.previous
    charted = [s for s in report.sections if s.figure is not None and not s.empty]
    named = _isolating(report.page_labels.values())
    out = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        # A phone lays the page out as wide as its screen (not 980 px, shrunk to fit).
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>refscope report {_e(period(f))}</title>",
        f"<style>{CSS}</style>",
    ]
    if charted:
        out.append(f"<script>{get_plotlyjs()}</script>")
    out += [
        "</head><body>",
        "<h1>refscope report</h1>",
        f'<p class="meta">{_e(period(f))} ({length(f)}), compared with {_e(period(p))}; '
        f"{named(report.scope)}. Generated {report.generated_at:%Y-%m-%d %H:%M} UTC. Days and "
        "times are UTC.</p>",
    ]
    if not report.has_data:
        out.append(f'<p class="empty">{named(report.no_data_message)}</p>')
    out.append(_kpis(report))
    for s in report.sections:
        out.append(_section(s, named))
    if charted:
        out.append(f"<script>{DRAW}</script>")
    out.append("</body></html>")
    return "\n".join(out).encode("utf-8")


def _e(text: str) -> str:
    return html.escape(text, quote=True)


def _isolating(names: Iterable[str]) -> Callable[[str], str]:
    """A sentence escaped, each right-to-left name in it (a page's) set apart in a <bdi>: the
    "(1122…)" after a Hebrew name joined its run and showed before it."""
    apart = ApartNames(map(_e, names))
    return lambda text: apart.apart(_e(text), "<bdi>", "</bdi>")


def _kpis(report: Report) -> str:
    rows = ""
    for k in report.kpis:
        label, *figures = kpi_texts(k)
        cells = "".join(f"<td class='num'>{_e(text)}</td>" for text in figures)
        rows += f"<tr><td>{_e(label)}</td>{cells}</tr>"
    return (
        '<h2 id="kpis">Key figures</h2><div class="wide"><table><tr><th>Metric</th>'
        f"<th>This period</th><th>Previous period</th><th>Change</th></tr>{rows}</table></div>"
        + "".join(f'<p class="note">{_e(n)}</p>' for n in report.kpi_notes)
    )


def _section(s: Section, named: Callable[[str], str]) -> str:
    parts = [f'<h2 id="{s.key}" dir="auto">{_e(s.title)}</h2>']
    if s.empty:
        parts.append(f'<p class="empty">{named(s.empty_note)}</p>')
        return "\n".join(parts)
    if s.note:
        parts.append(f'<p class="note">{_e(s.note)}</p>')
    if s.figure is not None:
        chart_id = f"chart-{s.key}"
        # "</" inside a script block would end it early; JSON allows the escaped form.
        data = charts.bidi_isolated(s.figure).to_json().replace("</", "<\\/")
        parts.append(f'<div class="chart" id="{chart_id}"></div>')
        parts.append(f'<script type="application/json" data-chart="{chart_id}">{data}</script>')
    head = "".join(f"<th>{_e(c.label)}</th>" for c in s.all_columns)
    body = []
    for record in s.table.to_dict("records"):
        cells = "".join(
            _cell(format_value(record.get(c.name), c.kind), c.numeric) for c in s.all_columns
        )
        body.append(f"<tr>{cells}</tr>")
    # A table wider than a phone's screen scrolls sideways in its box, not the whole page.
    parts.append(f"<div class='wide'><table><tr>{head}</tr>{''.join(body)}</table></div>")
    return "\n".join(parts)


def _cell(text: str, numeric: bool) -> str:
    """A table cell; a text with a word too long for a column (a ref of 250 characters) breaks
    anywhere, where it would widen the page past the window."""
    if numeric:
        return f"<td class='num'>{_e(text)}</td>"
    long = any(len(word) > LONG_WORD for word in text.split())
    # dir="auto": a Hebrew or Arabic name reads right to left in its cell ("!" at its end).
    kind = " class='long'" if long else ""
    return f"<td dir='auto'{kind}>{_e(text)}</td>"
