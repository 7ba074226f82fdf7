"""The period report's KPIs and cells as text (the HTML and PDF reports, the Reports page's
table) and the KPIs as numbers (its download). No Streamlit, no I/O."""

from __future__ import annotations

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
    """The KPIs as numbers, one row each as kpi_table shows them: rates as shares, change in
    the metric's unit (shares for rates; the difference of the values as stored, without the
    doubles' tail), change_share against the previous value."""
    return pd.DataFrame(
        {
            "metric": [k.label for k in report.kpis],
            "this_period": [k.value for k in report.kpis],
            "previous_period": [k.previous for k in report.kpis],
            "change": [k.change for k in report.kpis],
            "change_share": [k.relative for k in report.kpis],
        },
    ).astype({"this_period": float, "previous_period": float, "change": float,
              "change_share": float})  # fmt: skip


def format_change(k: Kpi) -> str:
    """The change against the previous period: "+12 (+8.0%)", "+3.1 pts", or "—"."""
    if k.change is None:
        return "—"
    if k.kind == "pct":
        return pct_text(k.change, "+").replace("%", " pts")
    text = money_text(k.change, "+") if k.kind == "money" else f"{k.change:+,.0f}"
    return text + (f" ({pct_text(k.relative, '+')})" if k.relative is not None else "")
