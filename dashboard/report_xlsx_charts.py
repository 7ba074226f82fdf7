"""The XLSX report's Charts sheet: native Excel charts over the section sheets' cells, as the
HTML and PDF reports draw them (dashboard.charts).
"""

from __future__ import annotations

from typing import Any

import pandas as pd
from xlsxwriter.workbook import Workbook
from xlsxwriter.worksheet import Worksheet

from dashboard import charts, xlsx_text
from dashboard.chart_style import count_axis
from dashboard.report_model import Report, Section, period
from dashboard.xlsx_cells import MAX_WIDTH, Formats, sheet_name, write_cell
from dashboard.xlsx_text import cut_cells_note

CHART_SIZE = {"x_scale": 1.5, "y_scale": 1.25}  # 720 × 360 px
CHARTS_SHEET = "Charts"


def charts_sheet(wb: Workbook, ws: Worksheet, report: Report, fmt: Formats) -> list[str]:
    """Native Excel charts over the section sheets, two per row; the notes of bar names cut."""
    ws.write_string(0, 0, f"refscope report {period(report.filters)}", fmt.title)
    if not report.has_data:
        ws.write_string(2, 0, report.no_data_message, fmt.note)
        return []
    names = _BarNames(ws, fmt)
    made = [c for s in report.sections if not s.empty for c in [section_chart(wb, s, names)]
            if c is not None]  # fmt: skip
    for i, chart in enumerate(made):
        ws.insert_chart(2 + (i // 2) * 19, (i % 2) * 12, chart, CHART_SIZE)
    return names.notes


def _with_new_contacts(s: Section, n: int) -> int:
    """Of a channels or refs section's first n rows, how many brought new contacts: the rows
    come largest first, so these lead and the chart draws only them."""
    return min(n, int((s.table["new_contacts"] > 0).sum()))


def _channel_points(channels: pd.Series, transparency: int = 0) -> list[dict[str, Any]]:
    """Each slice's or bar's fill in its channel's colour, as the dashboard's charts draw it
    (Excel's own palette painted an Organic slice blue); transparency in percent."""
    shade = {"transparency": transparency} if transparency else {}
    return [{"fill": {"color": charts.CHANNEL_COLORS.get(c, "#333333"), **shade}}
            for c in channels]  # fmt: skip


# The return bars' shades of their channel's colour, as charts.returns_bar's opacities.
_RETURN_TRANSPARENCY = {"d1": 55, "d7": 30, "d30": 0}


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

    def __init__(self, ws: Worksheet | None = None, fmt: Formats | None = None) -> None:
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


def section_chart(wb: Workbook, s: Section, bar_names: _BarNames | None = None) -> Any:
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
                          "values": ref("new_contacts"),
                          "points": _channel_points(s.table["channel"].head(n))})  # fmt: skip
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
                          "values": ref("new_contacts"),
                          "points": _channel_points(top["channel"])})  # fmt: skip
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
        # Each bar in its channel's colour, a shade per number of days; the legend's keys in
        # grey of those shades.
        channels = s.table["channel"].head(n)
        for col, clear in _RETURN_TRANSPARENCY.items():
            chart.add_series({"name": label(col), "categories": ref("label"), "values": ref(col),
                              "fill": {"color": "#7F7F7F", "transparency": clear},
                              "points": _channel_points(channels, clear)})  # fmt: skip
        chart.set_y_axis({"num_format": "0%"})
    else:
        return None
    chart.set_title({"name": s.title})
    legend = s.key in ("daily", "retention", "channels") or (
        s.key == "ads" and len(chart.series) > 1
    )
    chart.set_legend({"position": "bottom"} if legend else {"none": True})
    return chart
