"""Every Plotly figure: DataFrame in, Figure out. No Streamlit, no DuckDB."""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

# One colour per channel, everywhere in the app (colour-blind-safe Okabe-Ito order).
CHANNEL_COLORS = {
    "m_me_link": "#0072B2",
    "qr_code": "#009E73",
    "chat_widget": "#CC79A7",
    "comment_reply": "#E69F00",
    "ctm_ad": "#D55E00",
    "organic": "#999999",
    "other": "#56B4E9",
}
CHANNEL_LABELS = {
    "m_me_link": "m.me link",
    "qr_code": "QR code",
    "chat_widget": "Website chat",
    "comment_reply": "Comment reply",
    "ctm_ad": "Click-to-Messenger ad",
    "organic": "Organic",
    "other": "Other",
}
_LAYOUT = {
    "margin": {"l": 10, "r": 10, "t": 40, "b": 10},
    "legend": {"orientation": "h", "y": -0.15},
    "hovermode": "x unified",
}


def channel_label(channel: str) -> str:
    return CHANNEL_LABELS.get(channel, channel)


def new_contacts_by_day_bar(df: pd.DataFrame) -> go.Figure:
    """Stacked bars of new contacts per day by channel. Input: day, channel, contacts."""
    fig = go.Figure()
    for channel in CHANNEL_COLORS:
        part = df[df["channel"] == channel]
        if part.empty:
            continue
        fig.add_bar(
            x=part["day"],
            y=part["contacts"],
            name=channel_label(channel),
            marker_color=CHANNEL_COLORS[channel],
            hovertemplate="%{y:,} new contacts<extra>" + channel_label(channel) + "</extra>",
        )
    fig.update_layout(barmode="stack", title="New contacts per day", **_LAYOUT)
    fig.update_yaxes(title="new contacts")
    return fig


def channel_mix_pie(df: pd.DataFrame) -> go.Figure:
    """Share of new contacts by channel. Input: channel, new_contacts."""
    fig = go.Figure(
        go.Pie(
            labels=[channel_label(c) for c in df["channel"]],
            values=df["new_contacts"],
            marker_colors=[CHANNEL_COLORS.get(c, "#333333") for c in df["channel"]],
            hole=0.5,
            sort=False,
            hovertemplate="%{label}: %{value:,} (%{percent})<extra></extra>",
        )
    )
    fig.update_layout(title="Channel mix", margin=_LAYOUT["margin"])
    return fig
