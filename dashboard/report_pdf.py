"""The period report as a PDF (fpdf2): KPI table, static charts and the section tables.

Charts are drawn to PNG by kaleido with a local Chromium (Debian's `chromium`, or the binary in
BROWSER_PATH), offline. A report without data needs no chart and so no Chromium.
"""

from __future__ import annotations

import asyncio
import functools
import io
import os
import re
import subprocess
import threading
from typing import Any

import plotly.graph_objects as go
from fpdf import FPDF
from fpdf.fonts import FontFace

from dashboard import charts
from dashboard.chromium import chromium_path
from dashboard.markdown_text import code, literal
from dashboard.report_data import Report, Section, format_value, kpi_texts, length, period
from ingest import pdf_text
from ingest.errors import RefscopeError

CHART_PX = (1000, 420)  # layout pixels; rendered at 2x so print stays sharp
CHART_TIMEOUT = 60.0  # seconds per chart before kaleido gives up
DRAW_TRIES = 3  # of a chart whose page had not loaded kaleido's script yet (see drawn)
PAGE_WIDTH_MM = 180  # A4 minus 15 mm margins
PDF_MAX_ROWS = 40  # a longer table (a daily one over months) is the XLSX report's job
# A longer text (a ref may hold 2,083 characters) is cut in the middle: wrapped in its column,
# its row grew taller than a page, which fpdf2 refuses to draw.
PDF_CELL_CHARS = 200
# Characters XML does not allow: kaleido draws each chart from an SVG, and one of them in a ref
# or an ad title made plotly.js fail there, and with it the whole PDF.
NOT_IN_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
HEADING = FontFace(emphasis="BOLD", color=255, fill_color=(31, 78, 121))


class ChromiumMissingError(RefscopeError):
    """The PDF's charts need a Chromium: none was found, or the one found did not start."""


def pdf_problem() -> str:
    """Why a PDF with charts cannot be made here ("" when it can), in markdown for the Reports
    page: no Chromium, or one that does not run (a broken install), which the PDF's download
    would fail on unseen. Its path (BROWSER_PATH's) is shown as given."""
    path = chromium_path()
    if path is None:
        return "The PDF draws its charts with Chromium: `apt-get install chromium` on the server."
    if not _runs(path, os.stat(path).st_mtime_ns):
        return (f"The PDF draws its charts with Chromium, and the one at {literal(path)} does not "
                f"run ({code(f'{path} --headless --version')} fails): reinstall it or point "
                "BROWSER_PATH at another.")  # fmt: skip
    return ""


@functools.lru_cache(maxsize=8)
def _runs(path: str, mtime_ns: int) -> bool:
    """Whether the browser at path answers `--version` (asked once per file and version)."""
    try:
        done = subprocess.run([path, "--headless", "--version"], capture_output=True,
                              timeout=15, check=False)  # fmt: skip
    except (OSError, subprocess.TimeoutExpired):
        return False
    return done.returncode == 0


def chart_pngs(figures: list[go.Figure]) -> list[bytes]:
    """PNG bytes of each figure, all through one headless Chromium."""
    width, height = CHART_PX
    return drawn(figures, {"format": "png", "width": width, "height": height, "scale": 2})


def drawn(figures: list[go.Figure], opts: dict[str, Any]) -> list[bytes]:
    """Each figure as plotly.js draws it in one headless Chromium (kaleido), in the format of
    opts ("png", "svg", or "json": the figure with every default plotly.js filled in)."""
    if not figures:
        return []
    path = chromium_path()
    if path is None and (explicit := os.environ.get("BROWSER_PATH")):
        raise ChromiumMissingError(
            f"PDF reports draw their charts with Chromium: BROWSER_PATH names no file "
            f"({explicit}); point it at a Chromium, or unset it to use the one on PATH "
            "(apt-get install chromium); HTML and XLSX reports need no browser"
        )
    if path is None:
        raise ChromiumMissingError(
            "PDF reports draw their charts with Chromium: install it (apt-get install chromium) "
            "or set BROWSER_PATH; HTML and XLSX reports need no browser"
        )
    import kaleido  # only PDFs with charts need it
    from choreographer import errors as browser  # kaleido's driver of the Chromium
    from kaleido.errors import JavascriptError

    async def draw(k: Any, fig: go.Figure) -> bytes:
        # kaleido 1.5 may run a fresh Chromium's first chart before its page's script has
        # loaded (seen under load: "kaleido_scopes is not defined"); it loads the tab again
        # after a failed chart, and the chart is drawn then.
        for attempt in range(1, DRAW_TRIES + 1):
            try:
                return bytes(await k.calc_fig(fig, opts=opts))
            except JavascriptError as e:
                if "kaleido_scopes is not defined" not in str(e) or attempt == DRAW_TRIES:
                    raise
        raise AssertionError("unreachable")

    async def render() -> list[bytes]:
        # One browser per report: a failed start raises here (kaleido's shared sync server
        # would wait forever instead).
        async with kaleido.Kaleido(path=path, mathjax=False, timeout=CHART_TIMEOUT) as k:
            return [await draw(k, fig) for fig in figures]

    try:
        images: list[bytes] = _run_in_thread(render)
    except (browser.BrowserFailedError, browser.BrowserClosedError, browser.BrowserDepsError) as e:
        # A broken install or a file that is no Chromium: one line for a cron job's mail.
        raise ChromiumMissingError(
            f"PDF reports draw their charts with Chromium: Chromium at {path} did not start "
            f"({e.args[0] if e.args else type(e).__name__}); check that `{path} --headless "
            "--version` runs, or point BROWSER_PATH at another; HTML and XLSX reports need no "
            "browser"
        ) from e
    return images


def _run_in_thread(make: Any) -> Any:
    """asyncio.run in a thread of its own: the caller may already run an event loop."""
    result: dict[str, Any] = {}

    def target() -> None:
        try:
            result["value"] = asyncio.run(make())
        except BaseException as exc:  # handed to the caller below
            result["error"] = exc

    thread = threading.Thread(target=target, name="refscope-kaleido")
    thread.start()
    thread.join()
    if "error" in result:
        raise result["error"]
    return result["value"]


class _Pdf(FPDF):
    def __init__(self, title: str) -> None:
        super().__init__(format="A4", unit="mm")
        self.report_title = title
        self.set_margins(15, 15, 15)
        self.set_auto_page_break(True, margin=15)
        self.face = pdf_text.body_font(self)
        self.wrapping = False  # in multi_cell's dry run of a right-to-left text
        self.names = pdf_text.NO_NAMES  # pages' names, ordered apart (pdf_text.visual)
        # Each text as printable shows it: a cell is measured at up to 8 sizes, then drawn.
        self.shown: dict[str, str] = {}

    def multi_cell(self, *args: Any, **kwargs: Any) -> Any:
        """fpdf2's multi_cell (which the tables draw their cells with too), each line of a
        right-to-left text in reading order: wrapped as typed, then each line put in visual
        order (pdf_text.wrapped_visual)."""
        named = dict(zip(("w", "h", "text"), args, strict=False)) | kwargs
        if len(args) > 3 or named.get("dry_run") or self.wrapping:
            return super().multi_cell(*args, **kwargs)  # a dry run calls multi_cell again

        def lines(paragraph: str) -> list[str]:
            self.wrapping = True
            try:
                wrap = named | {"text": paragraph, "dry_run": True, "output": "LINES"}
                return list(super(_Pdf, self).multi_cell(**wrap))  # type: ignore[arg-type]
            finally:
                self.wrapping = False

        ordered = pdf_text.wrapped_visual(named["text"], lines, self.names)
        return super().multi_cell(**named | {"text": ordered})

    def footer(self) -> None:
        self.set_y(-12)
        self.set_font(self.face, size=7)
        self.set_text_color(120)
        text = f"{self.report_title} · page {self.page_no()}/{{nb}}"
        self.cell(0, 5, pdf_text.visual(_safe(self, text)), align="C")
        self.set_text_color(0)


def report_pdf(report: Report) -> bytes:
    f, p = report.filters, report.previous
    charted = [s for s in report.sections if s.figure is not None and not s.empty]
    pngs = dict(zip([s.key for s in charted], chart_pngs([_static(s) for s in charted]),
                    strict=True))  # fmt: skip
    pdf = _Pdf(f"refscope report {period(f)}")
    pdf.set_title(pdf.report_title)
    pdf.names = pdf_text.ApartNames(_safe(pdf, n) for n in report.page_labels.values())
    pdf.set_creator("refscope")
    pdf.add_page()
    pdf.set_font(pdf.face, "B", 18)
    _text(pdf, "refscope report", 9)
    pdf.set_font(pdf.face, size=9)
    _text(pdf, f"{period(f)} ({length(f)}), compared with {period(p)}; days and times are UTC", 5)
    _text(pdf, f"{report.scope} · generated {report.generated_at:%Y-%m-%d %H:%M} UTC", 5)
    if _lacks(pdf, report.scope):
        _text(pdf, _lacking(pdf).strip(), 5)
    if not report.has_data:
        pdf.ln(3)
        pdf.set_font(pdf.face, "B", 11)
        _text(pdf, report.no_data_message, 6)
    _heading(pdf, "Key figures")
    rows = [kpi_texts(k) for k in report.kpis]
    _table(pdf, ["Metric", "This period", "Previous period", "Change"], rows,
           [False, True, True, True], sizes=(9,))  # fmt: skip
    pdf.set_font(pdf.face, size=8)
    for note in report.kpi_notes:
        _text(pdf, note, 4)
    pdf.set_font(pdf.face, size=9)
    for s in report.sections:
        _section(pdf, s, pngs.get(s.key))
    return bytes(pdf.output())


def _static(s: Section) -> go.Figure:
    """The section's figure for kaleido: no hover, a right-to-left text in its own direction
    (charts.bidi_isolated), and a character XML does not allow shown as the mark the tables
    show for a character they cannot print."""
    fig = charts.bidi_isolated(go.Figure(s.figure))
    fig = go.Figure(charts.strings_mapped(fig.to_plotly_json(), _xml_safe))
    fig.update_layout(hovermode=False, paper_bgcolor="white", margin={"t": 50, "b": 40})
    return fig


def _xml_safe(text: str) -> str:
    """text with the characters XML does not allow replaced by pdf_text.MISSING_GLYPH."""
    return NOT_IN_XML.sub(pdf_text.MISSING_GLYPH, text)


def _text(pdf: _Pdf, text: str, height: float) -> None:
    pdf.multi_cell(0, height, _safe(pdf, text), new_x="LMARGIN", new_y="NEXT")


def _heading(pdf: _Pdf, title: str, keep_with: float = 40) -> None:
    """A section title on a new page unless `keep_with` mm of what follows fit below it."""
    if pdf.get_y() + 12 + keep_with > pdf.h - pdf.b_margin:
        pdf.add_page()
    pdf.ln(4)
    pdf.set_font(pdf.face, "B", 13)
    _text(pdf, title, 7)
    pdf.set_font(pdf.face, size=9)


def _section(pdf: _Pdf, s: Section, png: bytes | None) -> None:
    chart_mm = PAGE_WIDTH_MM * CHART_PX[1] / CHART_PX[0]
    _heading(pdf, s.title, keep_with=chart_mm + 10 if png is not None else 30)
    if s.empty:
        _text(pdf, s.empty_note, 5)  # names of pages only, noted below the scope's line
        return
    note = s.note
    # A table of days shows its newest ones (those a reader asks about); others their top rows.
    newest = s.key == "daily"
    shown = s.table.tail(PDF_MAX_ROWS) if newest else s.table.head(PDF_MAX_ROWS)
    if len(shown) < len(s.table):
        which = "last" if newest else "first"
        note += f" The {which} {len(shown)} of {len(s.table):,} rows; all are in the XLSX report."
    rows = [
        [format_value(v, c.kind) for c, v in zip(s.columns, rec, strict=True)]
        for rec in shown[[c.name for c in s.columns]].itertuples(index=False)
    ]
    if any(len(v) > PDF_CELL_CHARS for row in rows for v in row):
        rows = [[_shortened(v) for v in row] for row in rows]
        note += (f" Texts longer than {PDF_CELL_CHARS} characters are cut in the middle (…); "
                 "the XLSX and HTML reports hold them whole.")  # fmt: skip
    if _lacks(pdf, *(v for row in rows for v in row)):
        note += _lacking(pdf)
    if note:
        pdf.set_text_color(90)
        _text(pdf, note.strip(), 5)
        pdf.set_text_color(0)
    if png is not None:
        pdf.image(io.BytesIO(png), w=PAGE_WIDTH_MM, h=chart_mm)
    numeric = [c.numeric for c in s.columns]
    _table(pdf, [c.label for c in s.columns], rows, numeric)


def _shortened(text: str) -> str:
    """text cut in the middle to PDF_CELL_CHARS characters (a ref's start and end stay)."""
    if len(text) <= PDF_CELL_CHARS:
        return text
    head = PDF_CELL_CHARS * 2 // 3
    return f"{text[:head]}…{text[-(PDF_CELL_CHARS - head - 1) :]}"


def _widths(pdf: _Pdf, head: list[str], rows: list[list[str]], size: float,
            wrap: bool) -> list[float]:  # fmt: skip
    """Millimetres each column needs for its values and its header (whole or word by word)."""
    pdf.set_font(pdf.face, "B", size)
    need = [
        max(pdf.get_string_width(_safe(pdf, w)) for w in (h.split() if wrap else [h]) or [""])
        for h in head
    ]
    pdf.set_font(pdf.face, "", size)
    for row in rows:
        need = [max(n, pdf.get_string_width(_safe(pdf, v))) for n, v in zip(need, row, strict=True)]
    return [n + 2.5 for n in need]  # fpdf2's cell padding on both sides


def _fit(widths: list[float], total: float = PAGE_WIDTH_MM) -> list[float]:
    """Widths that add up to at most total by narrowing only the widest columns (long titles
    wrap), so numbers and ids keep their width instead of breaking mid-number."""
    if sum(widths) <= total:
        return widths
    cap = max(widths)
    for n in range(1, len(widths) + 1):  # cap the n widest columns at one shared width
        wide = sorted(widths, reverse=True)
        cap = (total - sum(wide[n:])) / n
        if n == len(widths) or cap >= wide[n]:
            break
    return [min(w, cap) for w in widths]


def _table(pdf: _Pdf, head: list[str], rows: list[list[str]], numeric: list[bool],
           sizes: tuple[float, ...] = (8, 7.5, 7, 6.5)) -> None:  # fmt: skip
    """The largest font size that fits, headers whole if they can be, else wrapped at spaces."""
    tries = [(size, wrap) for size in sizes for wrap in (False, True)]
    for font_size, wrap in tries:
        widths = _widths(pdf, head, rows, font_size, wrap)
        if sum(widths) <= PAGE_WIDTH_MM:
            break
    widths = _fit(widths)
    pdf.set_font(pdf.face, size=font_size)
    align = tuple("RIGHT" if n else "LEFT" for n in numeric)
    with pdf.table(col_widths=tuple(widths), text_align=align, headings_style=HEADING,
                   cell_fill_color=245, cell_fill_mode="ROWS", line_height=font_size * 0.5,
                   width=PAGE_WIDTH_MM, borders_layout="HORIZONTAL_LINES") as table:  # fmt: skip
        for values in [head, *rows]:
            row = table.row()
            for v, n in zip(values, numeric, strict=True):
                text = _safe(pdf, v)  # a right-to-left text aligned to its start, as in HTML
                rtl = not n and pdf_text.reads_right_to_left(text)
                row.cell(text, align="RIGHT" if rtl else None)
    pdf.ln(2)


def _lacks(pdf: _Pdf, *texts: str) -> bool:
    return any(pdf_text.lacked(pdf.face, t, _safe(pdf, t)) for t in texts)


def _lacking(pdf: _Pdf) -> str:
    """The note of a text the font cannot print whole: it shows a mark, not nothing."""
    return (f" Some characters here are not in the PDF's font and show as "
            f"{pdf_text.mark(pdf.face)}; the XLSX and HTML reports hold them.")  # fmt: skip


def _safe(pdf: _Pdf, text: str) -> str:
    shown = pdf.shown.get(text)
    if shown is None:
        shown = pdf.shown[text] = pdf_text.printable(pdf, pdf.face, text)
    return shown
