"""The period report's KPIs and cells as text (the HTML and PDF reports, the Reports page's
table) and the KPIs as numbers (its download). No Streamlit, no I/O."""

from __future__ import annotations

import math
from typing import Any

import pandas as pd

from dashboard.report_model import Kpi, Report, money_text, pct_text


def format_value(value: Any, kind: str) -> str:
    """A cell as text for the HTML and PDF reports ("—" for a missing value)."""
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return "—"
    if kind == "int":
        return f"{float(value):,.0f}"
    if kind == "money":
        return money_text(float(value))
    if kind == "float":
        return f"{float(value):,.2f}"
    if kind == "pct":
        return pct_text(float(value))
    if kind == "date":
        return str(pd.Timestamp(value).date().isoformat())
    if kind == "datetime":
        return str(pd.Timestamp(value).strftime("%Y-%m-%d %H:%M"))
    if kind == "bool":
        return "yes" if value else "no"
    return str(value)


def kpi_texts(k: Kpi) -> list[str]:
    """A KPI's row as the HTML and PDF reports print it: metric, this period, previous, change."""
    return [k.label, format_value(k.value, k.kind), format_value(k.previous, k.kind),
            format_change(k)]  # fmt: skip


def kpi_table(report: Report) -> pd.DataFrame:
    """The KPIs as text, as the report prints them (kpi_texts)."""
    columns = ["Metric", "This period", "Previous period", "Change"]
    return pd.DataFrame([kpi_texts(k) for k in report.kpis], columns=columns)


def kpi_frame(report: Report) -> pd.DataFrame:
    """The KPIs as numbers, one row each as kpi_table shows them: counts whole (a CSV writes
    160, not 160.0), rates as shares, change in the metric's unit (shares for rates; the
    difference of the values as stored, without the doubles' tail), change_share against the
    previous value. Its figure columns hold a count and money in one column: object columns of
    numbers (number_column), which the XLSX and Parquet writers store as numbers."""
    figures = {
        "this_period": [_figure(k.value, k.kind) for k in report.kpis],
        "previous_period": [_figure(k.previous, k.kind) for k in report.kpis],
        "change": [_figure(k.change, k.kind) for k in report.kpis],
    }
    return pd.DataFrame(
        {
            "metric": [k.label for k in report.kpis],
            **{name: pd.Series(values, dtype=object) for name, values in figures.items()},
            "change_share": pd.Series([k.relative for k in report.kpis], dtype=float),
        },
    )


def _figure(v: float | None, kind: str) -> float | int:
    """A KPI's figure as a number of its kind: a count (queries hand it over as a float) whole;
    NaN for none, as in a float column."""
    if v is None:
        return math.nan
    return int(v) if kind == "int" and float(v).is_integer() else float(v)


def number_column(s: pd.Series) -> bool:
    """Whether s is an object column of numbers alone (kpi_frame's: whole counts beside money
    and rates, NaN for none), which a file stores as a column of numbers, not of text."""
    return (
        s.dtype == object
        and bool(len(s))
        and all(isinstance(v, int | float) and not isinstance(v, bool) for v in s)
    )


def format_change(k: Kpi) -> str:
    """The change against the previous period: "+12 (+8.0%)", "+3.1 pts", or "—"."""
    if k.change is None:
        return "—"
    if k.kind == "pct":
        return pct_text(k.change, "+").replace("%", " pts")
    text = money_text(k.change, "+") if k.kind == "money" else f"{k.change:+,.0f}"
    return text + (f" ({pct_text(k.relative, '+')})" if k.relative is not None else "")
