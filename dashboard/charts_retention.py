"""The retention figures: weekly cohorts by channel as a heatmap, D1/D7/D30 return by channel
(charts.py the others, chart_style.py the look they share). No Streamlit, no DuckDB."""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

from dashboard.chart_style import CHANNEL_COLORS, LAYOUT, MARGIN, channel_label
from dashboard.rounding import pct_text, pct_whole_text


def cohort_heatmap(df: pd.DataFrame, channel: str | None = None) -> go.Figure:
    """Retention by acquisition week. Input: cohort_week, channel, contacts, week_N columns and,
    when given, past_week_N (the contacts each share is of: its weight across channels)."""
    part = df if channel is None else df[df["channel"] == channel]
    weeks = [c for c in df.columns if c.startswith("week_")]
    grouped = part.groupby("cohort_week")
    sizes = grouped["contacts"].sum()
    # pandas-stubs follow pandas 3, whose default include_groups=False they leave out; pandas
    # 2.2 (which Streamlit still allows) needs it said.
    shares = grouped.apply(  # type: ignore[call-overload]
        lambda g: pd.Series({w: _weighted(g[w], g.get(f"past_{w}", g["contacts"])) for w in weeks}),
        include_groups=False,
    )
    # The scale starts at 0%. plotly.js ignores zmin without zmax and scales to the shares
    # alone: one share of 29% was drawn on a scale from -21% to 79%.
    top = shares.max(axis=None) if not shares.empty else None
    fig = go.Figure(
        go.Heatmap(
            z=shares.values,
            x=[w.replace("week_", "week ") for w in weeks],
            # DuckDB's DATE reaches pandas as a timestamp: label the day, not its midnight.
            y=[f"{pd.Timestamp(d):%Y-%m-%d} ({sizes[d]:,})" for d in shares.index],
            colorscale="Blues",
            zmin=0,
            zmax=float(top) if pd.notna(top) and top > 0 else 1,
            # Shares, as the table and the hover give them (half up: plotly.js's %{z:.0%} drew
            # 14.5% as 14%); a week not yet over stays blank.
            text=shares.map(lambda v: "" if pd.isna(v) else pct_whole_text(v)).values,
            texttemplate="%{text}",
            colorbar={"tickformat": ".0%"},
            hoverongaps=False,
            # A share as every view writes a rate (half up, as the cohorts download): Plotly's
            # own format rounds the binary double.
            customdata=shares.map(lambda v: "" if pd.isna(v) else pct_text(v)).values,
            hovertemplate="cohort %{y}, %{x}: %{customdata} messaged again<extra></extra>",
        )
    )
    title = "Retention by acquisition week" + (f" — {channel_label(channel)}" if channel else "")
    fig.update_layout(title=title, **MARGIN)
    # Plotly's default 450 px squeezed a long range's cohorts (two years: 152 rows of under
    # 2 px, their shares blank): taller, each row keeps room for its label and share.
    height = _HEATMAP_FRAME_PX + _HEATMAP_ROW_PX * len(shares)
    if height > _DEFAULT_HEIGHT:
        fig.update_layout(height=height)
    fig.update_xaxes(title="week after acquisition")
    fig.update_yaxes(autorange="reversed", title="cohort week (contacts)")
    if not part.empty and not shares.notna().any(axis=None):
        _no_share_yet(fig, "No cohort's first week has ended by the data's last day: the shares "
                      "show once one has.")  # fmt: skip
        # No cell, so no category: plotly.js drew only stray tick marks and a scale of nothing.
        fig.update_xaxes(visible=False)
        fig.update_yaxes(visible=False)
        fig.update_traces(showscale=False)
    return fig


_DEFAULT_HEIGHT = 450  # plotly's, and Streamlit's for a figure without one
_HEATMAP_ROW_PX = 20  # a cohort week's row: its 12 px label and its share's text
_HEATMAP_FRAME_PX = 130  # the title, the week axis and its title


def _weighted(shares: pd.Series, sizes: pd.Series) -> float | None:
    """The channels' shares of one cohort week combined, weighted by the contacts each share is
    of; a channel whose week has not ended yet (no share) is left out, and no share at all
    stays blank."""
    known = shares.notna() & (sizes > 0)
    return float((shares[known] * sizes[known]).sum() / sizes[known].sum()) if known.any() else None


def _days(n: int) -> str:
    return "1 day" if n == 1 else f"{n} days"


def returns_bar(df: pd.DataFrame) -> go.Figure:
    """D1 / D7 / D30 return by channel. Input: channel, d1, d7, d30."""
    fig = go.Figure()
    for col, shade in (("d1", 0.45), ("d7", 0.7), ("d30", 1.0)):
        fig.add_bar(
            x=[channel_label(c) for c in df["channel"]],
            y=df[col],
            name=col.upper(),
            marker_color=[CHANNEL_COLORS.get(c, "#333333") for c in df["channel"]],
            marker_opacity=shade,
            # Each bar says which it is: a legend would show every trace in the first channel's
            # colour, the bars being coloured by channel. No bar (days not passed), no label.
            text=[col.upper() if pd.notna(v) else "" for v in df[col]],
            textposition="outside",
            # A rate as the table writes it (half up): Plotly's own format rounds the binary
            # double (23 of 80, 28.75%, as 28.7%).
            customdata=[pct_text(v) if pd.notna(v) else "" for v in df[col]],
            hovertemplate=f"%{{x}}: %{{customdata}} back within {_days(int(col[1:]))}"
            "<extra></extra>",
        )
    fig.update_layout(title="Came back within 1 / 7 / 30 days", barmode="group", **LAYOUT)
    fig.update_layout(showlegend=False, hovermode="closest")
    # Shares: bars that are all 0% get a scale from 0%, not plotly's own from -100% to 100%.
    fig.update_yaxes(tickformat=".0%", title="came back", rangemode="nonnegative")
    if not df.empty and not df[["d1", "d7", "d30"]].notna().any(axis=None):
        # Bars of no value leave plotly a scale from -100% to 400%.
        fig.update_yaxes(range=[0, 1])
        _no_share_yet(fig, "No contact's first day after acquisition has passed by the data's "
                      "last day: D1, D7 and D30 show once it has.")  # fmt: skip
    return fig


def _no_share_yet(fig: go.Figure, text: str) -> None:
    """Say on a retention chart why it is blank: none of its contacts has had the time."""
    fig.add_annotation(text=text, showarrow=False, xref="paper", yref="paper", x=0.5, y=0.5,
                       name="no share yet")  # fmt: skip
