"""charts.py's layout with small hand-made frames: an empty frame gives an empty figure, legends
below the axis labels in trace order, one share format, a colour key, axes that say what they
count and never run below zero, and margins that grow to fit their labels."""

from __future__ import annotations

from collections.abc import Callable

import pandas as pd
import plotly.graph_objects as go
import pytest

from dashboard import charts
from dashboard.charts import CHANNEL_COLORS
from tests.dashboard.chart_setup import D1, values

# (chart, its input columns, the plotted numbers of its figure)
EMPTY: dict[str, tuple[Callable[[pd.DataFrame], go.Figure], list[str], str]] = {
    "new_contacts_by_day_bar": (
        charts.new_contacts_by_day_bar,
        ["day", "channel", "contacts"],
        "y",
    ),
    "channel_mix_pie": (charts.channel_mix_pie, ["channel", "new_contacts"], "values"),
    "refs_bar": (charts.refs_bar, ["page_id", "ref", "channel", "new_contacts", "engaged"], "x"),
    "ads_cost_bar": (charts.ads_cost_bar, ["ad_title", "cost_per_contact", "new_contacts"], "y"),
    "ads_contacts_bar": (charts.ads_contacts_bar, ["ad_title", "new_contacts", "engaged"], "y"),
    "website_pages_bar": (charts.website_pages_bar, ["referer_uri", "new_contacts", "guests"], "x"),
    "comments_funnel": (
        charts.comments_funnel,
        ["comments", "private_replies", "conversations"],
        "x",
    ),
    "cohort_heatmap": (
        charts.cohort_heatmap,
        ["cohort_week", "channel", "contacts", "week_1"],
        "z",
    ),
    "returns_bar": (charts.returns_bar, ["channel", "d1", "d7", "d30"], "y"),
}


@pytest.mark.parametrize("name", list(EMPTY), ids=list(EMPTY))
def test_an_empty_frame_gives_an_empty_figure_not_an_error(name):
    fn, columns, axis = EMPTY[name]
    fig = fn(pd.DataFrame(columns=columns))
    fig.to_json()  # what Streamlit sends to the browser
    plotted = [v for t in fig.data for v in values(getattr(t, axis))]
    assert plotted == ([0, 0, 0] if name == "comments_funnel" else [])


# Every figure with a legend: where it sits and in which order.
WITH_LEGEND = {
    "new_contacts_by_day_bar": lambda: charts.new_contacts_by_day_bar(
        pd.DataFrame({"day": [D1, D1], "channel": ["qr_code", "ctm_ad"], "contacts": [1, 2]})
    ),
    "channel_mix_pie": lambda: charts.channel_mix_pie(
        pd.DataFrame({"channel": ["organic", "ctm_ad"], "new_contacts": [7, 2]})
    ),
    "ads_contacts_bar": lambda: charts.ads_contacts_bar(
        pd.DataFrame({"ad_title": ["A long ad title"], "new_contacts": [3], "engaged": [1]})
    ),
    "website_pages_bar": lambda: charts.website_pages_bar(
        pd.DataFrame({"referer_uri": ["/menu"], "new_contacts": [5], "guests": [2]})
    ),
}


@pytest.mark.parametrize("name", list(WITH_LEGEND), ids=list(WITH_LEGEND))
def test_legends_sit_below_the_axis_labels_in_trace_order(name):
    """A legend placed in plot coordinates (y=-0.15) landed on the x tick labels once a phone's
    width tilted them; at the foot of the figure it cannot. A horizontal legend of stacked bars
    read in reverse (Other first, m.me link last) unless its order is the traces'."""
    legend = WITH_LEGEND[name]().layout.legend
    assert legend.orientation == "h"
    assert (legend.yref, legend.y, legend.yanchor) == ("container", 0, "bottom")
    if name != "channel_mix_pie":
        assert legend.traceorder == "normal"


def test_channel_mix_pie_gives_every_share_one_format():
    # Plotly's own percent text shows 5.9% next to 6.64% and 30.3%.
    (pie,) = charts.channel_mix_pie(
        pd.DataFrame({"channel": ["organic", "ctm_ad"], "new_contacts": [7, 2]})
    ).data
    assert pie.texttemplate == "%{text}"  # whole percent, half up (test_chart_texts.py)
    assert list(pie.text) == ["78%", "22%"]
    assert "%{hovertext}" in pie.hovertemplate
    assert list(pie.hovertext) == ["7 new contacts", "2 new contacts"]


def test_channel_mix_pie_hovers_round_a_share_as_every_view_does():
    """The hover wrote a slice's share with Plotly's own format (%{percent:.1%}), which rounds
    the binary double: 23 of 80 new contacts, 28.75%, showed 28.7%, where every view writes a
    rate half up (28.8%)."""
    df = pd.DataFrame({"channel": ["qr_code", "organic"], "new_contacts": [23, 57]})
    (pie,) = charts.channel_mix_pie(df).data
    assert "%{percent" not in pie.hovertemplate, pie.hovertemplate
    assert pie.hovertemplate == "%{label}: %{hovertext} (%{customdata})<extra></extra>"
    assert list(pie.customdata) == ["28.8%", "71.3%"]


def test_refs_bar_says_which_colour_is_which_channel():
    """One trace coloured bar by bar has no legend entries: a key names each channel shown."""
    df = pd.DataFrame({"page_id": ["p1", "p1"], "ref": ["a", "b"],
                       "channel": ["qr_code", "m_me_link"], "new_contacts": [3, 2],
                       "engaged": [1, 1]})  # fmt: skip
    fig = charts.refs_bar(df)
    (key,) = [a for a in fig.layout.annotations if a.name == "channel key"]
    for channel in ("m_me_link", "qr_code"):
        assert f'color:{CHANNEL_COLORS[channel]}">■</span> {charts.channel_label(channel)}' in (
            key.text
        )
    (bar,) = fig.data
    assert [row[1] for row in bar.customdata] == ["m.me link", "QR code"]
    assert "%{customdata[1]}" in bar.hovertemplate
    only_qr = charts.refs_bar(df.head(1))
    assert "m.me link" not in only_qr.layout.annotations[0].text


def test_axes_say_what_they_count():
    ads = charts.ads_contacts_bar(
        pd.DataFrame({"ad_title": ["A"], "new_contacts": [3], "engaged": [1]})
    )
    assert ads.layout.yaxis.title.text == "contacts"
    assert [t.hovertemplate for t in ads.data] == [
        "%{hovertext}<extra></extra>",  # "3 new contacts" (test_chart_texts.py)
        "%{y:,} engaged<extra></extra>",
    ]
    assert list(ads.data[0].hovertext) == ["3 new contacts"]
    pages = charts.website_pages_bar(
        pd.DataFrame({"referer_uri": ["/menu"], "new_contacts": [5], "guests": [2]})
    )
    assert pages.layout.xaxis.title.text == "new contacts"
    assert pages.layout.hovermode == "y unified"  # horizontal bars: one hover per page


def test_count_axes_do_not_run_below_zero_when_every_count_is_zero():
    """A day the ads spent without bringing anyone (or refs seen only as re-entries): every
    bar is 0, and plotly's own scale ran from -1 to 1 contacts."""
    ads = pd.DataFrame({"ad_title": ["A", "B"], "ad_id": ["1", "2"], "new_contacts": [0, 0],
                        "engaged": [0, 0], "cost_per_contact": [None, None],
                        "spend": [1.5, 6.0]})  # fmt: skip
    assert charts.ads_contacts_bar(ads).layout.yaxis.rangemode == "nonnegative"
    assert charts.ads_cost_bar(ads).layout.yaxis.rangemode == "nonnegative"
    refs = pd.DataFrame({"page_id": ["1"], "ref": ["qr"], "channel": ["qr_code"],
                         "new_contacts": [0], "engaged": [0]})  # fmt: skip
    assert charts.refs_bar(refs).layout.xaxis.rangemode == "nonnegative"


@pytest.mark.parametrize("name", list(EMPTY), ids=list(EMPTY))
def test_axes_grow_the_margins_to_fit_their_labels(name):
    """plotly.js keeps the 10 px margins unless an axis may grow them: exported for a report
    (kaleido), refs and funnel stages were cut down to their last letters."""
    fn, columns, _ = EMPTY[name]
    layout = fn(pd.DataFrame(columns=columns)).layout
    assert (layout.xaxis.automargin, layout.yaxis.automargin) == (True, True)
