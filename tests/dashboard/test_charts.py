"""charts.py with small hand-made frames: the numbers, names and colours on each trace."""

from __future__ import annotations

import datetime as dt
import io
import math
from collections.abc import Callable

import pandas as pd
import plotly.graph_objects as go
import pytest
import xlsxwriter

from dashboard import charts, report_data, report_xlsx
from dashboard.charts import CHANNEL_COLORS
from dashboard.chromium import chromium_path
from ingest.attribute import CHANNELS

D1, D2 = dt.date(2026, 11, 2), dt.date(2026, 11, 3)


def values(seq: object) -> list[object]:
    """A trace's data as a plain list (plotly keeps tuples or numpy arrays; None when unset)."""
    return [] if seq is None else list(seq)  # type: ignore[call-overload]


def test_every_channel_has_a_colour_and_a_label():
    assert set(CHANNEL_COLORS) == set(CHANNELS) == set(charts.CHANNEL_LABELS)
    assert len(set(CHANNEL_COLORS.values())) == len(CHANNEL_COLORS)
    assert charts.channel_label("qr_code") == "QR code"
    assert charts.channel_label("new_channel") == "new_channel"


def test_new_contacts_by_day_stacks_one_trace_per_channel_in_colour_order():
    df = pd.DataFrame(
        {
            "day": [D1, D1, D2, D2],
            "channel": ["ctm_ad", "qr_code", "qr_code", "m_me_link"],
            "contacts": [5, 3, 4, 1],
        }
    )
    fig = charts.new_contacts_by_day_bar(df)
    assert fig.layout.barmode == "stack"
    got = [(t.name, values(t.x), values(t.y), t.marker.color) for t in fig.data]
    assert got == [
        ("m.me link", [D2], [1], CHANNEL_COLORS["m_me_link"]),
        ("QR code", [D1, D2], [3, 4], CHANNEL_COLORS["qr_code"]),
        ("Click-to-Messenger ad", [D1], [5], CHANNEL_COLORS["ctm_ad"]),
    ]


@pytest.mark.skipif(chromium_path() is None, reason="plotly.js lays the axis out in Chromium")
def test_one_day_of_new_contacts_keeps_an_axis_of_days():
    """Contacts on one day only (a new page, a one-day report): plotly zoomed the axis into
    milliseconds and labelled the bar "23:59:59.9996". The axis spans the range's days, a
    tick a day."""
    df = pd.DataFrame({"day": [D2], "channel": ["qr_code"], "contacts": [5]})
    start = D2 - dt.timedelta(days=6)
    for span, first in (((), D2), ((start, D2), start)):
        fig = charts.new_contacts_by_day_bar(df, *span)
        axis = fig.full_figure_for_development(warn=False).layout.xaxis  # as plotly.js draws it
        assert axis.dtick == 86_400_000
        assert fig.data[0].width == 0.8 * 86_400_000  # a bar of most of a day, not a hairline
        assert [pd.Timestamp(x) for x in axis.range] == [
            pd.Timestamp(first) - pd.Timedelta(hours=12), pd.Timestamp(D2) + pd.Timedelta(hours=12)
        ]  # fmt: skip


def test_a_range_of_under_two_weeks_has_a_tick_a_day():
    """Left to itself, plotly.js ticks a 13-day axis every second day: each day gets its
    tick while they are under 14; from 14 on plotly.js spaces them."""
    df = pd.DataFrame({"day": [D2], "channel": ["qr_code"], "contacts": [5]})
    fig = charts.new_contacts_by_day_bar(df, D2 - dt.timedelta(days=12), D2)
    assert fig.layout.xaxis.dtick == 86_400_000
    fig = charts.new_contacts_by_day_bar(df, D2 - dt.timedelta(days=14), D2)
    assert fig.layout.xaxis.dtick is None


def test_channel_mix_pie_shows_labels_values_and_channel_colours():
    df = pd.DataFrame({"channel": ["organic", "ctm_ad", "mystery"], "new_contacts": [7, 2, 1]})
    (pie,) = charts.channel_mix_pie(df).data
    assert values(pie.labels) == ["Organic", "Click-to-Messenger ad", "mystery"]
    assert values(pie.values) == [7, 2, 1]
    assert values(pie.marker.colors) == [
        CHANNEL_COLORS["organic"],
        CHANNEL_COLORS["ctm_ad"],
        "#333333",
    ]


def test_refs_bar_shows_the_top_refs_largest_on_top():
    df = pd.DataFrame(
        {
            "page_id": ["p1", "p1", "p1"],
            "ref": ["a", "b", "c"],
            "channel": ["qr_code", "m_me_link", "qr_code"],
            "new_contacts": [30, 20, 10],
            "engaged": [9, 8, 7],
        }
    )
    fig = charts.refs_bar(df, top=2)
    (bar,) = fig.data
    assert bar.orientation == "h"
    assert values(bar.y) == ["b", "a"]  # plotly draws the first category at the bottom
    assert values(bar.x) == [20, 30]
    assert values(bar.marker.color) == [CHANNEL_COLORS["m_me_link"], CHANNEL_COLORS["qr_code"]]
    assert [row[0] for row in bar.customdata] == [8, 9]
    assert fig.layout.title.text == "Top 2 refs by new contacts"
    assert charts.refs_bar(df).layout.title.text == "Top 3 refs by new contacts"


def test_refs_bar_gives_a_ref_of_two_pages_a_bar_each():
    # One name for two bars would make Plotly draw them as one, their contacts added up.
    df = pd.DataFrame({"page_id": ["p1", "p2", "p1"], "ref": ["footer", "footer", "bio"],
                       "channel": ["m_me_link"] * 3, "new_contacts": [10, 6, 5],
                       "engaged": [1, 1, 1]})  # fmt: skip
    (bar,) = charts.refs_bar(df).data
    assert values(bar.y) == ["bio", "footer · p2", "footer · p1"]
    named = df.assign(page=["Acme", "Other", "Acme"])
    assert values(charts.refs_bar(named).data[0].y)[1:] == ["footer · Other", "footer · Acme"]


def test_ads_cost_bar_sorts_by_cost_and_leaves_out_ads_without_one():
    df = pd.DataFrame(
        {
            "ad_title": ["Dear", "Cheap", "No spend"],
            "cost_per_contact": [4.5, 1.25, math.nan],
            "new_contacts": [2, 8, 3],
        }
    )
    (bar,) = charts.ads_cost_bar(df).data
    assert (values(bar.x), values(bar.y)) == (["Cheap", "Dear"], [1.25, 4.5])
    assert [row[0] for row in bar.customdata] == [8, 2]
    assert bar.marker.color == CHANNEL_COLORS["ctm_ad"]


def test_ads_cost_bar_shows_an_ad_that_spent_without_bringing_a_contact_apart():
    df = pd.DataFrame(
        {
            "ad_title": ["Cheap", "Flop", "Big flop", "No spend"],
            "cost_per_contact": [1.25, math.nan, math.nan, math.nan],
            "new_contacts": [8, 0, 0, 3],
            "spend": [10.0, 40.0, 95.5, math.nan],
        }
    )
    fig = charts.ads_cost_bar(df)
    cost, wasted = fig.data
    assert (values(cost.x), values(cost.y)) == (["Cheap"], [1.25])
    assert (values(wasted.x), values(wasted.y)) == (["Flop", "Big flop"], [40.0, 95.5])
    assert "no new contact" in wasted.name and "no new contact" in wasted.hovertemplate
    assert fig.layout.showlegend is True
    # Without such an ad, one series and no legend.
    assert len(charts.ads_cost_bar(df.iloc[[0, 3]]).data) == 1


def test_ads_cost_bar_leaves_an_ad_without_contacts_or_spend_out_of_the_spent_bars():
    """An ad with a zero-spend day (or no insights) and no contact did not spend: it is not
    one of the "spent, no new contact" bars, which would show it as a 0.00 spender."""
    df = pd.DataFrame(
        {
            "ad_title": ["Cheap", "Flop", "Paused", "Not pulled"],
            "cost_per_contact": [1.25, math.nan, math.nan, math.nan],
            "new_contacts": [8, 0, 0, 0],
            "spend": [10.0, 40.0, 0.0, math.nan],
        }
    )
    cost, wasted = charts.ads_cost_bar(df).data
    assert (values(wasted.x), values(wasted.y)) == (["Flop"], [40.0])


def test_ads_contacts_bar_groups_new_and_engaged_per_ad():
    df = pd.DataFrame({"ad_title": ["A", "B"], "new_contacts": [10, 4], "engaged": [6, 1]})
    fig = charts.ads_contacts_bar(df)
    assert fig.layout.barmode == "group"
    assert [(t.name, values(t.x), values(t.y)) for t in fig.data] == [
        ("new contacts", ["A", "B"], [10, 4]),
        ("engaged", ["A", "B"], [6, 1]),
    ]
    assert fig.data[0].marker.color == CHANNEL_COLORS["ctm_ad"]


def test_ads_bars_give_two_ads_of_one_title_a_bar_each():
    # A duplicated ad keeps its title: one name for two bars would make Plotly stack them, and
    # the cost chart would show their costs per contact added up (10 + 30 as one ad's 40).
    df = pd.DataFrame({"ad_id": ["601", "602", "603", "604"],
                       "ad_title": ["Spring", "Spring", "Other", "Spring"],
                       "new_contacts": [10, 3, 4, 0], "engaged": [5, 1, 2, 0],
                       "spend": [100.0, 90.0, 20.0, 50.0],
                       "cost_per_contact": [10.0, 30.0, 5.0, math.nan]})  # fmt: skip
    cost, wasted = charts.ads_cost_bar(df).data
    assert (values(cost.x), values(cost.y)) == (
        ["Other", "Spring · 601", "Spring · 602"], [5.0, 10.0, 30.0])  # fmt: skip
    assert values(wasted.x) == ["Spring · 604"]
    new, engaged = charts.ads_contacts_bar(df).data
    assert values(new.x) == values(engaged.x) == [
        "Spring · 601", "Spring · 602", "Other", "Spring · 604"]  # fmt: skip


def test_website_pages_bar_splits_logged_in_and_guests():
    df = pd.DataFrame({"referer_uri": ["/menu", "/"], "new_contacts": [5, 2], "guests": [2, 2]})
    fig = charts.website_pages_bar(df)
    assert fig.layout.barmode == "stack"
    logged_in, guests = fig.data
    assert (values(logged_in.y), values(logged_in.x)) == (["/", "/menu"], [0, 3])
    assert (values(guests.y), values(guests.x)) == (["/", "/menu"], [2, 2])
    assert logged_in.marker.color == CHANNEL_COLORS["chat_widget"]


def test_website_pages_bar_shows_at_most_twenty_pages():
    df = pd.DataFrame(
        {
            "referer_uri": [f"/p{i}" for i in range(25)],
            "new_contacts": range(25, 0, -1),
            "guests": 0,
        }
    )
    assert values(charts.website_pages_bar(df).data[0].y) == [f"/p{i}" for i in range(19, -1, -1)]


def test_comments_funnel_sums_over_posts():
    df = pd.DataFrame({"comments": [10, 5], "private_replies": [4, 2], "conversations": [3, 0]})
    (funnel,) = charts.comments_funnel(df).data
    assert values(funnel.x) == [15, 6, 3]
    assert values(funnel.y) == ["Comments received", "Private replies sent", "Conversations opened"]
    assert funnel.marker.color == CHANNEL_COLORS["comment_reply"]


def test_comments_funnel_gives_each_stage_as_a_share_of_the_comments():
    """As the report's "Share of comments": replies and conversations as parts of the comments
    received, not of the stage before (3 conversations of 15 comments are 20%, not 50%)."""
    df = pd.DataFrame({"comments": [10, 5], "private_replies": [4, 2], "conversations": [3, 0]})
    (funnel,) = charts.comments_funnel(df).data
    assert funnel.textinfo == "value+percent initial"


COHORTS = pd.DataFrame(
    {
        "cohort_week": [D1, D1, D1 + dt.timedelta(days=7)],
        "channel": ["qr_code", "ctm_ad", "qr_code"],
        "contacts": [10, 30, 4],
        "week_1": [0.5, 0.1, 0.25],
        "week_2": [0.2, 0.0, 0.0],
    }
)


def test_cohort_heatmap_weights_channels_by_cohort_size():
    fig = charts.cohort_heatmap(COHORTS)
    (heat,) = fig.data
    assert values(heat.x) == ["week 1", "week 2"]
    assert values(heat.y) == ["2026-11-02 (40)", "2026-11-09 (4)"]
    # week 1 of the first cohort: (10 × 0.5 + 30 × 0.1) / 40
    assert [v for row in heat.z for v in row] == pytest.approx([0.2, 0.05, 0.25, 0.0])
    assert fig.layout.title.text == "Retention by acquisition week"


def test_cohort_heatmap_weights_each_share_by_the_contacts_it_is_of():
    """Week 2 of a cohort half of which is not two weeks old: the share of each channel counts
    by the contacts whose week 2 has ended, not by the whole cohort."""
    part = COHORTS.assign(past_week_1=[10, 30, 4], past_week_2=[10, 2, 0])
    z = [list(row) for row in charts.cohort_heatmap(part).data[0].z]
    # (10 × 0.2 + 2 × 0.0) / 12, where the whole cohort would give (10 × 0.2) / 40
    assert z[0][1] == pytest.approx(2 / 12)


def test_cohort_heatmap_leaves_out_channels_whose_week_has_not_ended():
    # week 2: ctm_ad's has not ended (no share), so the cohort's share is the other channel's.
    fig = charts.cohort_heatmap(COHORTS.assign(week_2=[0.2, None, None]))
    z = [list(row) for row in fig.data[0].z]
    assert z[0][1] == pytest.approx(0.2) and pd.isna(z[1][1])


def test_cohort_heatmap_labels_days_as_the_database_returns_them():
    # DuckDB's DATE column arrives in pandas as datetime64: no "00:00:00" in the labels.
    as_read = COHORTS.assign(cohort_week=pd.to_datetime(COHORTS["cohort_week"]))
    assert values(charts.cohort_heatmap(as_read).data[0].y) == ["2026-11-02 (40)", "2026-11-09 (4)"]


def test_cohort_heatmap_for_one_channel():
    fig = charts.cohort_heatmap(COHORTS, "ctm_ad")
    assert values(fig.data[0].y) == ["2026-11-02 (30)"]
    assert [v for row in fig.data[0].z for v in row] == pytest.approx([0.1, 0.0])
    assert fig.layout.title.text.endswith("Click-to-Messenger ad")


def test_returns_bar_has_d1_d7_d30_traces_in_channel_colours():
    df = pd.DataFrame(
        {"channel": ["qr_code", "organic"], "d1": [0.1, 0.2], "d7": [0.3, 0.4], "d30": [0.5, 0.6]}
    )
    fig = charts.returns_bar(df)
    assert [t.name for t in fig.data] == ["D1", "D7", "D30"]
    assert [t.marker.opacity for t in fig.data] == [0.45, 0.7, 1.0]
    assert [values(t.y) for t in fig.data] == [[0.1, 0.2], [0.3, 0.4], [0.5, 0.6]]
    for t in fig.data:
        assert values(t.x) == ["QR code", "Organic"]
        assert values(t.marker.color) == [CHANNEL_COLORS["qr_code"], CHANNEL_COLORS["organic"]]


def test_retention_charts_say_why_they_are_blank_when_no_contacts_days_have_passed():
    """A range of the data's last days ("Month to date" on the 1st): no contact has had a whole
    day, let alone a week, so every share is blank. The charts said nothing (an empty heatmap,
    an empty bar chart on a scale from -100% to 400%): they say why, on a 0-100% scale."""
    young = pd.DataFrame({"channel": ["ctm_ad", "qr_code"], "d1": [None, None],
                          "d7": [None, None], "d30": [None, None]})  # fmt: skip
    fig = charts.returns_bar(young)
    (note,) = [a for a in fig.layout.annotations if a.name == "no share yet"]
    assert "no contact's first day after acquisition has passed" in note.text.lower()
    assert tuple(fig.layout.yaxis.range) == (0, 1)
    weeks = COHORTS.assign(week_1=[None] * 3, week_2=[None] * 3)
    (note,) = [a for a in charts.cohort_heatmap(weeks).layout.annotations
               if a.name == "no share yet"]  # fmt: skip
    assert "no cohort's first week has ended" in note.text.lower()
    # With a share known, no such note.
    assert not charts.returns_bar(young.assign(d1=[0.1, None])).layout.annotations
    assert not charts.cohort_heatmap(COHORTS).layout.annotations


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
    assert pie.texttemplate == "%{percent:.0%}"
    assert "new contacts" in pie.hovertemplate


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
        "%{y:,} new contacts<extra></extra>",
        "%{y:,} engaged<extra></extra>",
    ]
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


def test_cohort_heatmap_shows_shares_as_percent_in_its_cells_and_scale():
    fig = charts.cohort_heatmap(COHORTS.assign(week_2=[0.2, None, None]))
    (heat,) = fig.data
    assert heat.colorbar.tickformat == ".0%"  # not 0.05 … 0.35
    assert heat.texttemplate == "%{z:.0%}"
    assert heat.hoverongaps is False  # a week not over yet has no share to hover
    assert fig.layout.xaxis.title.text == "week after acquisition"
    assert fig.layout.yaxis.title.text == "cohort week (contacts)"


def test_returns_bar_labels_each_bar_instead_of_a_one_colour_legend():
    """The legend drew D1, D7 and D30 all in the first channel's colour: each bar is labelled
    instead, and a share not known yet (N days not passed) has neither bar nor label."""
    df = pd.DataFrame({"channel": ["qr_code", "organic"], "d1": [0.1, 0.2], "d7": [0.3, 0.4],
                       "d30": [0.5, None]})  # fmt: skip
    fig = charts.returns_bar(df)
    assert fig.layout.showlegend is False
    assert [values(t.text) for t in fig.data] == [["D1", "D1"], ["D7", "D7"], ["D30", ""]]
    assert fig.layout.yaxis.title.text == "came back"
    assert "back within 1 day<" in fig.data[0].hovertemplate  # not "1 days"
    assert "back within 30 days<" in fig.data[2].hovertemplate


@pytest.mark.parametrize("name", list(EMPTY), ids=list(EMPTY))
def test_axes_grow_the_margins_to_fit_their_labels(name):
    """plotly.js keeps the 10 px margins unless an axis may grow them: exported for a report
    (kaleido), refs and funnel stages were cut down to their last letters."""
    fn, columns, _ = EMPTY[name]
    layout = fn(pd.DataFrame(columns=columns)).layout
    assert (layout.xaxis.automargin, layout.yaxis.automargin) == (True, True)


def test_the_ads_report_charts_cost_when_the_only_spending_ads_brought_no_contact():
    df = pd.DataFrame(
        {
            "ad_id": ["1", "2"],
            "ad_title": ["Flop", "Unpaid"],
            "new_contacts": [0, 4],
            "engaged": [0, 1],
            "spend": [55.0, math.nan],
            "cost_per_contact": [math.nan, math.nan],
            "cost_per_engaged": [math.nan, math.nan],
            "conversations_started": [math.nan, math.nan],
        }
    )
    section = report_data._ads(df)
    assert [(values(t.x), values(t.y)) for t in section.figure.data] == [
        ([], []), (["Flop"], [55.0])]  # fmt: skip
    # The XLSX report's native chart: the spend series beside the cost per contact.
    wb = xlsxwriter.Workbook(io.BytesIO())
    chart = report_xlsx._chart(wb, section)
    assert [x["values"] for x in chart.series] == ["Ads!$F$2:$F$3", "Ads!$E$2:$E$3"]
    wb.close()


@pytest.mark.parametrize(
    "week_1, top",
    [([0.5, 0.1, 0.25], 0.25), ([0.29, None, None], 0.29), ([0.0, 0.0, 0.0], 1), ([None] * 3, 1)],
    ids=["several", "one-share", "all-zero", "none-yet"],
)
def test_cohort_heatmap_scale_runs_from_zero_percent_to_the_largest_share(week_1, top):
    """plotly.js honours zmin only beside a zmax above it; alone, one share of 29% got a
    scale from -21% to 79% (a negative retention on the colour bar)."""
    df = COHORTS.assign(week_1=week_1, week_2=[None] * 3)
    (heat,) = charts.cohort_heatmap(df).data
    assert heat.zmin == 0 and heat.zmax == pytest.approx(top)
