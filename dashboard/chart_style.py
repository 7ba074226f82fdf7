"""The look every figure shares: one colour and name per channel (everywhere in the app), the
legend's place, the margins and the hover. No Streamlit, no DuckDB."""

from __future__ import annotations

from collections.abc import Iterable

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
# The legend sits at the foot of the figure (container coordinates), under the axis labels: a
# fixed place in plot coordinates lands on the tick labels once a narrow screen tilts them. Its
# entries keep the traces' order (a horizontal legend of stacked bars would reverse it).
LEGEND = {"orientation": "h", "yref": "container", "y": 0, "yanchor": "bottom",
          "traceorder": "normal"}  # fmt: skip
# Narrow margins, grown by each axis to fit its tick labels and title: plotly.js does not grow
# them by default, and a figure exported for a report (kaleido) would cut its labels off.
AXES = {"xaxis": {"automargin": True}, "yaxis": {"automargin": True}}
MARGIN = {"margin": {"l": 10, "r": 10, "t": 40, "b": 10}, **AXES}
LAYOUT = {**MARGIN, "legend": LEGEND, "hovermode": "x unified"}
# The report's charts are drawn with plotly's own template, named: in the dashboard's process
# Streamlit makes its "streamlit" template the default, whose placeholder colours (#000001…)
# only its web page swaps for the theme's, so a report from the Reports page looked otherwise
# than `refscope report`'s of the same filters.
REPORT_TEMPLATE = "plotly"


def channel_label(channel: str) -> str:
    return CHANNEL_LABELS.get(channel, channel)


def in_currency(label: str, currency: str) -> str:
    """A money label with the currency of the spend: "Ad spend (USD)"; the label alone when no
    currency is known (insights without account_currency, or none)."""
    return f"{label} ({currency})" if currency else label


def in_channel_order(channels: Iterable[str]) -> list[str]:
    """The distinct channels given, in the order the sidebar, legends and tables use (the
    contract's), any channel outside it last by name."""
    given = set(channels)
    known = [c for c in CHANNEL_LABELS if c in given]
    return known + sorted(given - set(known))


# Up to this many, a count axis gets a tick per whole number: plotly.js picks ticks a half
# or a fifth apart on so short a scale ("0.5 new contacts"). Above it, its own spacing is
# whole (at most 10 ticks to an axis: a step of 1 or more).
SMALL_COUNT = 10


def count_axis(top: object) -> dict[str, object]:
    """The settings of an axis of counts whose largest bar is top (its stack's total): a
    tick per whole number while they are few, plotly's own (whole) ticks beyond."""
    try:
        small = 0 <= float(top) <= SMALL_COUNT  # type: ignore[arg-type]
    except (TypeError, ValueError):
        small = False  # no bar: nothing to count
    return {"tick0": 0, "dtick": 1} if small else {}
