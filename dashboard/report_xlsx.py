"""XLSX files with xlsxwriter: typed cells (numbers, dates, booleans, never numbers as text),
formatted headers, and for the period report one sheet per section plus native charts.

Bytes out only; the content comes from report_data.
"""

from __future__ import annotations

import datetime as dt
import io
import re
from collections.abc import Sequence
from typing import Any

import pandas as pd
import xlsxwriter
from xlsxwriter.workbook import Workbook
from xlsxwriter.worksheet import Worksheet

from dashboard import charts, xlsx_text
from dashboard.chart_style import count_axis
from dashboard.report_data import Column, Report, Section, format_change, period
from dashboard.rounding import as_shown
from dashboard.xlsx_text import (
    MAX_CELL,
    cut_cells_note,
    cut_note,
    cut_text_notes,
    fit_cell,
    missing,
    too_long,
)

NUMBER_FORMATS = {
    "int": "#,##0",
    "float": "General",  # "0.####" shows a whole 280 as "280."
    "money": "#,##0.00",
    "pct": "0.0%",
    "date": "yyyy-mm-dd",
    "datetime": "yyyy-mm-dd hh:mm:ss",
}
MAX_WIDTH = 60  # characters; longer text wraps off-screen rather than widening the sheet
CHART_SIZE = {"x_scale": 1.5, "y_scale": 1.25}  # 720 × 360 px
CHARTS_SHEET = "Charts"


class _Formats:
    def __init__(self, wb: Workbook) -> None:
        self.header = wb.add_format(
            {"bold": True, "bg_color": "#1F4E79", "font_color": "#FFFFFF", "border": 1,
             "text_wrap": True, "valign": "top"}
        )  # fmt: skip
        self.title = wb.add_format({"bold": True, "font_size": 14})
        self.bold = wb.add_format({"bold": True})
        self.note = wb.add_format({"italic": True, "font_color": "#595959"})
        self.kinds = {k: wb.add_format({"num_format": v}) for k, v in NUMBER_FORMATS.items()}

    def of(self, kind: str) -> Any:
        return self.kinds.get(kind)


def _workbook(buf: io.BytesIO, title: str, comments: str) -> Workbook:
    wb = xlsxwriter.Workbook(buf, {"in_memory": True, "remove_timezone": True})
    wb.set_properties({"title": title, "comments": comments, "author": "refscope"})
    return wb


def _datetime(v: Any) -> dt.datetime:
    ts = pd.Timestamp(v)
    if ts.tzinfo is not None:
        ts = ts.tz_convert("UTC").tz_localize(None)
    out: dt.datetime = ts.to_pydatetime()
    return out


def write_cell(ws: Worksheet, row: int, col: int, v: Any, kind: str, fmt: _Formats) -> None:
    """One typed cell: a number, date or boolean as such; a missing value as a blank."""
    if missing(v):
        ws.write_blank(row, col, None)
    elif kind in ("int", "float", "money", "pct"):
        ws.write_number(row, col, float(v), fmt.of(kind))
    elif kind in ("date", "datetime"):
        ws.write_datetime(row, col, _datetime(v), fmt.of(kind))
    elif kind == "bool":
        ws.write_boolean(row, col, bool(v))
    else:
        ws.write_string(row, col, fit_cell(str(v)))


# Money columns of the dashboard's tables: cents and thousands, as the report's Ads sheet.
MONEY_COLUMNS = ("spend", "cost_per_contact", "cost_per_engaged")
# Their rates (0-1), in percent as on screen and in the report's sheets; week_N of cohorts too.
RATE_COLUMNS = ("engaged_rate", "ci_low", "ci_high", "return_7d_rate", "guest_share",
                "reply_rate", "d1", "d7", "d30", "read_rate", "change_share")  # fmt: skip


def _float_kind(name: str) -> str:
    if name in MONEY_COLUMNS:
        return "money"
    return "pct" if name in RATE_COLUMNS or re.fullmatch(r"week_\d+", name) else "float"


def infer_columns(df: pd.DataFrame) -> tuple[Column, ...]:
    """Column kinds from the frame's dtypes (for tables exported as they are); a money or rate
    column by its name."""
    out = []
    for name in df.columns:
        s = df[name]
        if pd.api.types.is_bool_dtype(s):
            kind = "bool"
        elif pd.api.types.is_integer_dtype(s):
            kind = "int"
        elif pd.api.types.is_float_dtype(s):
            kind = _float_kind(str(name))
        elif pd.api.types.is_datetime64_any_dtype(s):
            # DuckDB hands a DATE column (a cohort's week) to pandas as midnight timestamps.
            kind = "date" if s.dropna().eq(s.dropna().dt.normalize()).all() else "datetime"
        elif s.map(lambda v: isinstance(v, dt.date)).any():
            kind = "date"
        else:
            kind = "text"
        out.append(Column(str(name), str(name), kind))
    return tuple(out)


def write_frame(ws: Worksheet, df: pd.DataFrame, columns: Sequence[Column], fmt: _Formats,
                empty_note: str = "") -> None:  # fmt: skip
    """Header on row 1, one typed row per record below, frozen header and an autofilter; the
    first xlsx_text.MAX_ROWS records only (see cut_note)."""
    df = df.iloc[: xlsx_text.MAX_ROWS]
    for c, col in enumerate(columns):
        ws.write_string(0, c, col.label, fmt.header)
        values = df[col.name].tolist() if col.name in df.columns else [None] * len(df)
        for r, v in enumerate(values, start=1):
            write_cell(ws, r, c, v, col.kind, fmt)
        longest = max([len(col.label)] + [len(str(v)) for v in values[:200]])
        width = 12 if col.kind in ("date", "money", "pct", "int") else longest + 2
        width = 20 if col.kind == "datetime" else width
        ws.set_column(c, c, min(max(width, len(col.label) + 2, 8), MAX_WIDTH))
    ws.freeze_panes(1, 0)
    if df.empty:
        if empty_note:
            ws.write_string(1, 0, empty_note, fmt.note)
    else:
        ws.autofilter(0, 0, len(df), len(columns) - 1)


def sheet_name(name: str) -> str:
    """A valid Excel sheet name: at most 31 characters, none of []:*?/\\."""
    return re.sub(r"[\[\]:*?/\\]", "_", name)[:31] or "data"


def table_workbook(df: pd.DataFrame, name: str, items: list[tuple[str, Any]]) -> bytes:
    """The table on a sheet named after it and the filters on a "filters" sheet, with a note
    when the table is longer than a sheet and one per column of texts longer than a cell."""
    columns = infer_columns(df)
    notes = [cut_note(name, len(df)), *cut_text_notes(name, df, columns, "CSV and Parquet hold")]
    long = [k for k, v in items if isinstance(v, str) and too_long(v)]  # picks of many refs
    notes += [f"filter {k}: cut at {MAX_CELL:,} characters, the cell limit of Excel; CSV and "
              "Parquet hold it whole" for k in long]  # fmt: skip
    items = items + [("note", note) for note in notes if note]
    buf = io.BytesIO()
    wb = _workbook(buf, f"refscope {name}", "; ".join(f"{k}: {v}" for k, v in items))
    fmt = _Formats(wb)
    write_frame(wb.add_worksheet(sheet_name(name)), df, columns, fmt)
    ws = wb.add_worksheet("filters")
    ws.write_row(0, 0, ["filter", "value"], fmt.header)
    for r, (key, value) in enumerate(items, start=1):
        ws.write_string(r, 0, key, fmt.bold)
        kind = "date" if isinstance(value, dt.date) else "text"
        write_cell(ws, r, 1, value, kind, fmt)
    ws.set_column(0, 0, 12)
    ws.set_column(1, 1, 40)
    wb.close()
    return buf.getvalue()


def report_workbook(report: Report) -> bytes:
    """Summary (period, filters, KPIs), Charts (native), then one sheet per section."""
    f = report.filters
    buf = io.BytesIO()
    wb = _workbook(buf, f"refscope report {period(f)}", report.scope)
    fmt = _Formats(wb)
    summary, chart_ws = wb.add_worksheet("Summary"), wb.add_worksheet(CHARTS_SHEET)
    for s in report.sections:
        write_frame(wb.add_worksheet(sheet_name(s.title)), s.table, s.all_columns, fmt,
                    s.empty_note)  # fmt: skip
    _summary(summary, report, fmt, _charts(wb, chart_ws, report, fmt))
    wb.close()
    return buf.getvalue()


def _summary(ws: Worksheet, report: Report, fmt: _Formats, bar_notes: list[str]) -> None:
    f, p = report.filters, report.previous
    ws.write_string(0, 0, "refscope report", fmt.title)
    rows: list[tuple[str, Any, str]] = [
        ("From", f.start, "date"),
        ("To", f.end, "date"),
        ("Compared with", p.start, "date"),
        ("until", p.end, "date"),
        ("Pages", report.pages, "text"),
        ("Channels", report.channels, "text"),
        ("Days and times", "UTC", "text"),  # a day runs from 00:00 UTC
        ("Generated (UTC)", report.generated_at, "datetime"),
    ]
    for r, (label, value, kind) in enumerate(rows, start=2):
        ws.write_string(r, 0, label, fmt.bold)
        write_cell(ws, r, 1, value, kind, fmt)
    top = len(rows) + 3
    if not report.has_data:
        ws.write_string(top, 0, report.no_data_message, fmt.note)
        top += 2
    headers = ["Metric", "This period", "Previous period", "Change", "Change %", "Change (text)"]
    ws.write_row(top, 0, headers, fmt.header)
    for r, k in enumerate(report.kpis, start=top + 1):
        ws.write_string(r, 0, k.label, fmt.bold)
        write_cell(ws, r, 1, k.value, k.kind, fmt)
        write_cell(ws, r, 2, k.previous, k.kind, fmt)
        # The changes as format_change writes them, beside: no float tail (12.499999 for
        # 12.50) in the cell a manager copies.
        write_cell(ws, r, 3, as_shown(k.change, k.kind), k.kind, fmt)
        write_cell(ws, r, 4, as_shown(k.relative, "pct"), "pct", fmt)
        ws.write_string(r, 5, format_change(k))
    r = top + len(report.kpis) + 2
    ws.write_string(r, 0, "Rates change in percentage points; Change % is against the previous "
                    "period.", fmt.note)  # fmt: skip
    for note in report.kpi_notes:  # what reachable contacts, spend and cost per contact count
        r += 1
        ws.write_string(r, 0, note, fmt.note)
    for s in report.sections:
        cut = cut_text_notes(s.title, s.table, s.all_columns, "the HTML report holds")
        for note in (f"{s.title}: {s.note}" if s.note else "", cut_note(s.title, len(s.table)),
                     *cut):  # fmt: skip
            if note:
                r += 1
                ws.write_string(r, 0, note, fmt.note)
    kept = "the HTML report holds"
    for note in (cut_cells_note("Pages", [report.pages], kept),
                 cut_cells_note("Channels", [report.channels], kept), *bar_notes):  # fmt: skip
        if note:
            r += 1
            ws.write_string(r, 0, note, fmt.note)
    ws.set_column(0, 0, 28)
    ws.set_column(1, 5, 20)  # "Generated (UTC)": yyyy-mm-dd hh:mm:ss, as write_frame


def _charts(wb: Workbook, ws: Worksheet, report: Report, fmt: _Formats) -> list[str]:
    """Native Excel charts over the section sheets, two per row; the notes of bar names cut."""
    ws.write_string(0, 0, f"refscope report {period(report.filters)}", fmt.title)
    if not report.has_data:
        ws.write_string(2, 0, report.no_data_message, fmt.note)
        return []
    names = _BarNames(ws, fmt)
    made = [c for s in report.sections if not s.empty for c in [_chart(wb, s, names)]
            if c is not None]  # fmt: skip
    for i, chart in enumerate(made):
        ws.insert_chart(2 + (i // 2) * 19, (i % 2) * 12, chart, CHART_SIZE)
    return names.notes


def _with_new_contacts(s: Section, n: int) -> int:
    """Of a channels or refs section's first n rows, how many brought new contacts: the rows
    come largest first, so these lead and the chart draws only them."""
    return min(n, int((s.table["new_contacts"] > 0).sum()))


def _count_axis(counts: pd.Series) -> dict[str, Any]:
    """A value axis of counts: Excel, as plotly, spaces a short scale's gridlines by a half
    (0, 0.5, 1 … drawn "0, 1, 1, 2" in the cells' whole-number format); a gridline per whole
    number while the counts are few (as the dashboard's charts: charts.count_axis)."""
    small = bool(count_axis(counts.max()))
    return {"min": 0, "major_unit": 1} if small else {}


class _BarNames:
    """Bar names a chart cannot take from its section's sheet, written on the Charts sheet
    beside the charts, a column each: a ref two pages share (two bars "spring" in the refs
    chart) is "spring · Acme Bakery" and "spring · Northwind" there, as in the HTML and PDF
    reports' charts (charts.ref_bars, charts.ad_bars)."""

    FIRST_COLUMN = 25  # right of the two columns of charts (12 columns each)

    def __init__(self, ws: Worksheet | None = None, fmt: _Formats | None = None) -> None:
        self.ws, self.fmt, self.used = ws, fmt, 0
        self.notes: list[str] = []  # of names longer than a cell (xlsx_text.cut_cells_note)

    def categories(self, title: str, bars: pd.Series, given: pd.Series, column: list[Any]
                   ) -> list[Any]:  # fmt: skip
        """The chart's categories: the section sheet's column (its values: given) when they are
        the bars' names, else the names (bars) written here."""
        if (
            self.ws is None
            or self.fmt is None
            or bars.fillna("").tolist() == given.fillna("").tolist()
        ):
            return column
        c = self.FIRST_COLUMN + self.used
        self.used += 1
        self.ws.write_string(1, c, f"{title}: bar names", self.fmt.header)
        for r, name in enumerate(bars.tolist(), start=2):
            write_cell(self.ws, r, c, name, "text", self.fmt)
        self.ws.set_column(c, c, min(max([12, *(len(str(b)) + 2 for b in bars)]), MAX_WIDTH))
        cut = cut_cells_note(f"{CHARTS_SHEET}, {title}: bar names", bars, "the HTML report holds")
        self.notes += [cut] if cut else []
        return [CHARTS_SHEET, 2, c, 1 + len(bars), c]


def _chart(wb: Workbook, s: Section, bar_names: _BarNames | None = None) -> Any:
    sheet, n = sheet_name(s.title), min(len(s.table), xlsx_text.MAX_ROWS)
    names = [c.name for c in s.columns]
    bar_names = bar_names or _BarNames()

    def ref(col: str) -> list[Any]:
        c = names.index(col)
        return [sheet, 1, c, n, c]

    def label(col: str) -> list[Any]:
        return [sheet, 0, names.index(col)]

    if s.key == "daily":
        chart = wb.add_chart({"type": "column", "subtype": "stacked"})
        for channel in s.columns[1:-1]:  # between Day and Total
            color = charts.CHANNEL_COLORS.get(channel.name, "#333333")
            chart.add_series({"name": label(channel.name), "categories": ref("day"),
                              "values": ref(channel.name), "fill": {"color": color},
                              "gap": 20})  # fmt: skip
        chart.set_x_axis({"date_axis": True, "num_format": "mmm d"})
        chart.set_y_axis(_count_axis(s.table["total"]))
    elif s.key == "channels":
        # One that contacts only came back through is no slice, nor a key in the legend.
        n = _with_new_contacts(s, n)
        if not n:  # contacts only came back: no mix to draw (the section's note says so)
            return None
        chart = wb.add_chart({"type": "pie"})
        chart.add_series({"name": "New contacts", "categories": ref("label"),
                          "values": ref("new_contacts")})  # fmt: skip
    elif s.key == "refs":
        # As the HTML and PDF reports' chart: one seen only through re-entries or clicks is no
        # bar of 0.
        n = _with_new_contacts(s, n)
        if not n:
            return None
        chart = wb.add_chart({"type": "bar"})
        top = s.table.head(n)
        bars = bar_names.categories(s.title, charts.ref_bars(top), top["ref"], ref("ref"))
        chart.add_series({"name": label("new_contacts"), "categories": bars,
                          "values": ref("new_contacts"), "fill": {"color": "#0072B2"}})  # fmt: skip
        chart.set_y_axis({"reverse": True})
        chart.set_x_axis(_count_axis(s.table["new_contacts"].head(n)))  # a bar's values lie along x
    elif s.key == "ads":
        # With spend, its bar stands beside the cost per contact: an ad that spent and brought
        # no contact has no cost per contact, but is not left out of the chart.
        spent = bool((s.table["spend"] > 0).any())
        series = [("cost_per_contact", charts.CHANNEL_COLORS["ctm_ad"]), ("spend", "#7F7F7F")]
        chart = wb.add_chart({"type": "column"})
        bars = bar_names.categories(s.title, charts.ad_bars(s.table.head(n)),
                                    s.table["ad_title"].head(n), ref("ad_title"))  # fmt: skip
        for col, color in series if spent else [("new_contacts", series[0][1])]:
            chart.add_series({"name": label(col), "categories": bars,
                              "values": ref(col), "fill": {"color": color}})  # fmt: skip
        if not spent:
            chart.set_y_axis(_count_axis(s.table["new_contacts"]))
    elif s.key == "funnel":
        chart = wb.add_chart({"type": "bar"})
        chart.add_series({"name": "Count", "categories": ref("stage"), "values": ref("count"),
                          "fill": {"color": charts.CHANNEL_COLORS["comment_reply"]}})  # fmt: skip
        chart.set_y_axis({"reverse": True})
        chart.set_x_axis(_count_axis(s.table["count"]))
    elif s.key == "retention":
        chart = wb.add_chart({"type": "column"})
        for col in ("d1", "d7", "d30"):
            chart.add_series({"name": label(col), "categories": ref("label"), "values": ref(col)})
        chart.set_y_axis({"num_format": "0%"})
    else:
        return None
    chart.set_title({"name": s.title})
    legend = s.key in ("daily", "retention", "channels") or (
        s.key == "ads" and len(chart.series) > 1
    )
    chart.set_legend({"position": "bottom"} if legend else {"none": True})
    return chart
