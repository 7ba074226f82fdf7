"""charts.py with small hand-made frames: the numbers, names and colours on each trace of the
contacts, channel, refs, ads, website and comments charts. Retention's charts:
test_charts_retention.py; empty frames, legends, axes and margins: test_charts_layout.py."""

from __future__ import annotations

import datetime as dt
import io
import json
import math

import pandas as pd
import plotly.graph_objects as go
import pytest
import xlsxwriter

from dashboard import charts, report_data, report_pdf, report_xlsx_charts
from dashboard.charts import CHANNEL_COLORS
from dashboard.chromium import chromium_path
from ingest.attribute import CHANNELS
from tests.dashboard.chart_setup import D1, D2, values


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
    spans = (((), D2), ((start, D2), start))
    figs = [charts.new_contacts_by_day_bar(df, *span) for span, _ in spans]
    # As plotly.js draws them, in one Chromium as the PDF's charts (full_figure_for_development
    # started one per figure, its page fetching MathJax from a CDN, and failed when kaleido ran
    # the figure before its page had loaded: the PDF's drawing runs it again then).
    drawn = report_pdf.drawn(figs, {"format": "json"})
    for fig, full, (_, first) in zip(figs, drawn, spans, strict=True):
        axis = go.Figure(json.loads(full), skip_invalid=True).layout.xaxis
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


def test_refs_bar_title_counts_its_refs_in_words_that_read_right():
    """One ref's chart was headed "Top 1 refs by new contacts"."""
    df = pd.DataFrame({"page_id": ["p1", "p1"], "ref": ["a", "b"], "channel": ["qr_code"] * 2,
                       "new_contacts": [5, 3], "engaged": [1, 0]})  # fmt: skip
    assert charts.refs_bar(df.head(1)).layout.title.text == "Top 1 ref by new contacts"
    assert charts.refs_bar(df).layout.title.text == "Top 2 refs by new contacts"
    assert charts.refs_bar(df.head(0)).layout.title.text == "Refs by new contacts"


def test_refs_bar_gives_a_ref_of_two_pages_a_bar_each():
    # One name for two bars would make Plotly draw them as one, their contacts added up.
    df = pd.DataFrame({"page_id": ["p1", "p2", "p1"], "ref": ["footer", "footer", "bio"],
                       "channel": ["m_me_link"] * 3, "new_contacts": [10, 6, 5],
                       "engaged": [1, 1, 1]})  # fmt: skip
    (bar,) = charts.refs_bar(df).data
    assert values(bar.y) == ["bio", "footer · p2", "footer · p1"]
    named = df.assign(page=["Acme", "Other", "Acme"])
    assert values(charts.refs_bar(named).data[0].y)[1:] == ["footer · Other", "footer · Acme"]


def test_refs_bar_draws_only_refs_that_brought_a_new_contact_and_says_when_none_did():
    """A ref seen in the range only through a re-entry (or a click) was drawn as an empty bar
    among the "Top 15 refs by new contacts"; on a day when only such refs were seen the chart
    was blank, "Top 1 refs" over an axis from 0 to 1, and said nothing about why. The table
    beside it keeps them."""
    df = pd.DataFrame({"page_id": ["p1"] * 3, "ref": ["a", "b", "c"],
                       "channel": ["qr_code", "m_me_link", "qr_code"],
                       "new_contacts": [5, 0, 0], "engaged": [1, 0, 0]})  # fmt: skip
    fig = charts.refs_bar(df)
    (bar,) = fig.data
    assert (values(bar.y), values(bar.x)) == (["a"], [5])
    assert fig.layout.title.text == "Top 1 ref by new contacts"
    assert not [a for a in fig.layout.annotations if a.name == "no new contact"]
    fig = charts.refs_bar(df.iloc[1:])
    assert [values(t.x) for t in fig.data] == [[]]
    (note,) = [a for a in fig.layout.annotations if a.name == "no new contact"]
    assert "no ref brought a new contact in this range" in note.text.lower()
    assert fig.layout.title.text == "Refs by new contacts"
    assert fig.layout.xaxis.visible is False and fig.layout.yaxis.visible is False


def test_ads_cost_bar_keeps_the_tables_order_and_leaves_out_ads_without_one():
    df = pd.DataFrame(
        {
            "ad_title": ["Dear", "Cheap", "No spend"],
            "cost_per_contact": [4.5, 1.25, math.nan],
            "new_contacts": [2, 8, 3],
        }
    )
    (bar,) = charts.ads_cost_bar(df).data
    assert (values(bar.x), values(bar.y)) == (["Dear", "Cheap"], [4.5, 1.25])
    assert [row[0] for row in bar.customdata] == [2, 8]
    assert bar.marker.color == CHANNEL_COLORS["ctm_ad"]


def test_the_two_ads_charts_list_the_ads_in_one_order_the_tables():
    """Ordered as the Ads table (most new contacts first): the cost chart sorted by cost put
    the ads in another order than the contacts chart beside it, so a reader matched bars by
    name. An ad that spent and brought no one keeps the table's place too."""
    df = pd.DataFrame(
        {
            "ad_title": ["Big", "Small", "Flop", "Idle"],
            "new_contacts": [9, 3, 0, 0],
            "engaged": [4, 1, 0, 0],
            "cost_per_contact": [2.5, 1.0, math.nan, math.nan],
            "spend": [22.5, 3.0, 40.0, 0.0],
        }
    )
    contacts, cost = charts.ads_contacts_bar(df), charts.ads_cost_bar(df)
    assert values(contacts.data[0].x) == ["Big", "Small", "Flop", "Idle"]
    assert cost.layout.xaxis.categoryorder == "array"
    assert list(cost.layout.xaxis.categoryarray) == ["Big", "Small", "Flop"]  # Idle spent 0


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
        ["Spring · 601", "Spring · 602", "Other"], [10.0, 30.0, 5.0])  # fmt: skip
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
    assert funnel.textinfo == "text"  # "percent initial", rounded half up (test_chart_texts.py)
    assert list(funnel.text) == ["15<br>100%", "6<br>40%", "3<br>20%"]


def test_comments_funnel_hovers_round_a_share_as_the_report_does():
    """The default hover wrote each stage's shares with Plotly's own format, which rounds the
    binary double: 23 conversations of 80 comments, 28.75%, showed 28.7% where the report's
    "Share of comments" (and every view's rate) is 28.8%."""
    df = pd.DataFrame({"comments": [80], "private_replies": [40], "conversations": [23]})
    (funnel,) = charts.comments_funnel(df).data
    assert "percent" not in funnel.hovertemplate, funnel.hovertemplate
    assert [list(row) for row in funnel.customdata] == [["100.0%"], ["50.0%"], ["28.8%"]]
    (none,) = charts.comments_funnel(df.assign(comments=[0], private_replies=[0])).data
    assert [list(row) for row in none.customdata] == [["—"]] * 3


def test_comments_funnel_hovers_give_the_share_of_the_comments_only():
    """Conversations count by the day they opened, replies by the day they were sent: a day
    with 1 reply and 2 conversations (one opened by the day before's reply) hovered "200.0% of
    previous" beside the table's Reply → conversation of 100% (at most 100%), and "of total"
    added comments, replies and conversations up. Each stage says its share of the comments."""
    df = pd.DataFrame({"comments": [3], "private_replies": [1], "conversations": [2]})
    (funnel,) = charts.comments_funnel(df).data
    assert funnel.hovertemplate == (
        "%{y}: %{x:,}<br>%{customdata[0]} of comments received<extra></extra>"
    )
    assert [list(row) for row in funnel.customdata] == [["100.0%"], ["33.3%"], ["66.7%"]]


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
    chart = report_xlsx_charts.section_chart(wb, section)
    assert [x["values"] for x in chart.series] == ["Ads!$F$2:$F$3", "Ads!$E$2:$E$3"]
    wb.close()


def test_channels_are_put_in_the_sidebars_order_with_unknown_ones_last():
    """The Retention picker listed channels by their code (Comment reply before Click-to-
    Messenger ad before m.me link), unlike the sidebar, legends and tables."""
    given = ["organic", "comment_reply", "zz_new", "m_me_link", "ctm_ad", "organic", "aa_new"]
    assert charts.in_channel_order(given) == [
        "m_me_link", "comment_reply", "ctm_ad", "organic", "aa_new", "zz_new"
    ]  # fmt: skip
    assert list(charts.CHANNEL_LABELS) == list(CHANNELS)  # one order everywhere


def test_ads_cost_hovers_round_money_as_the_tables_do():
    """The hovers wrote cost with Plotly's own format (%{y:,.2f}), which rounds the binary
    double: 12.35 spent for 2 contacts, 6.175, showed 6.17 where the table, KPIs and reports
    show 6.18. They show the money as every view writes it (half up, to the cent)."""
    df = pd.DataFrame({"ad_id": ["601", "602"], "ad_title": ["Spring", "Idle"],
                       "new_contacts": [2, 0], "spend": [12.35, 1234.565],
                       "cost_per_contact": [12.35 / 2, math.nan]})  # fmt: skip
    cost, wasted = charts.ads_cost_bar(df, "EUR").data
    for bar in (cost, wasted):
        assert "%{y" not in bar.hovertemplate, bar.hovertemplate
    assert cost.hovertemplate == (
        "%{x}: %{customdata[1]} EUR per new contact (%{hovertext})<extra></extra>"
    )
    assert list(cost.hovertext) == ["2 contacts"]
    assert [list(row) for row in cost.customdata] == [[2, "6.18"]]
    assert wasted.hovertemplate == "%{x}: spent %{customdata[0]} EUR, no new contact<extra></extra>"
    assert [list(row) for row in wasted.customdata] == [["1,234.57"]]
