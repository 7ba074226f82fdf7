"""charts.py's retention charts with small hand-made frames: the cohort heatmap (weights, weeks
not ended, labels, percent and its scale) and the D1/D7/D30 returns bar, and why they are
blank."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from dashboard import charts
from dashboard.charts import CHANNEL_COLORS
from tests.dashboard.chart_setup import D1, values

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


def test_a_cohort_heatmap_without_a_share_draws_no_axes_or_scale_beside_its_note():
    """No cohort's week has passed: plotly.js drew no cell and no category, only stray tick
    marks in a corner of the empty plot, and a 0-100% scale of nothing. The note stands alone."""
    fig = charts.cohort_heatmap(COHORTS.assign(week_1=[None] * 3, week_2=[None] * 3))
    assert fig.layout.xaxis.visible is False and fig.layout.yaxis.visible is False
    assert fig.data[0].showscale is False
    drawn = charts.cohort_heatmap(COHORTS)  # with a share: its axes and scale
    assert drawn.layout.xaxis.visible is not False and drawn.layout.yaxis.visible is not False
    assert drawn.data[0].showscale is not False


def test_cohort_heatmap_shows_shares_as_percent_in_its_cells_and_scale():
    fig = charts.cohort_heatmap(COHORTS.assign(week_2=[0.2, None, None]))
    (heat,) = fig.data
    assert heat.colorbar.tickformat == ".0%"  # not 0.05 … 0.35
    assert heat.texttemplate == "%{text}"  # half up (test_chart_texts.py)
    assert [list(row) for row in heat.text] == [["20%", "20%"], ["25%", ""]]
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


def _weeks(n: int) -> pd.DataFrame:
    days = [D1 + dt.timedelta(days=7 * i) for i in range(n)]
    return pd.DataFrame({"cohort_week": days, "channel": ["qr_code"] * n, "contacts": [40] * n,
                         "week_1": [0.3] * n, "week_2": [0.1] * n})  # fmt: skip


@pytest.mark.parametrize("n", [22, 152])
def test_cohort_heatmap_grows_with_its_cohorts_so_each_row_stays_readable(n):
    """Two years of weekly cohorts (Custom, the whole data) were squeezed into the default
    450 px: 152 rows of under 2 px, their shares blank and most labels dropped. Each row gets
    room for its label and share text."""
    fig = charts.cohort_heatmap(_weeks(n))
    # 18 px a row (a 12 px label, its cell's share) beside the title and the week axis.
    assert fig.layout.height is not None and fig.layout.height >= 18 * n + 100


def test_cohort_heatmap_of_a_few_weeks_keeps_the_default_height():
    assert charts.cohort_heatmap(_weeks(4)).layout.height is None


def test_returns_bar_hovers_round_a_rate_as_the_table_does():
    """The hovers wrote a rate with Plotly's own format (%{y:.1%}), which rounds the binary
    double: 23 of 80 back, 28.75%, showed 28.7% where the Retention table shows 28.8%. They
    show the rate as every view writes it (half up)."""
    df = pd.DataFrame({"channel": ["qr_code"], "d1": [23 / 80], "d7": [1 / 16], "d30": [None]})
    fig = charts.returns_bar(df)
    for bar in fig.data:
        assert "%{y" not in bar.hovertemplate, bar.hovertemplate
    assert fig.data[0].hovertemplate == "%{x}: %{customdata} back within 1 day<extra></extra>"
    assert [values(t.customdata) for t in fig.data] == [["28.8%"], ["6.3%"], [""]]


def test_cohort_heatmap_hovers_round_a_share_as_the_tables_do():
    """The hover wrote a week's share with Plotly's own format (%{z:.0%}), which rounds the
    binary double, where every other view writes a rate half up to a tenth of a percent (the
    returns table and hovers, the cohorts download): 23 of 80, 28.75%, is 28.8%. A week not over
    yet has no share to show."""
    df = pd.DataFrame({"cohort_week": [D1], "channel": ["qr_code"], "contacts": [80],
                       "week_1": [23 / 80], "week_2": [None]})  # fmt: skip
    (heat,) = charts.cohort_heatmap(df).data
    assert "%{z" not in heat.hovertemplate, heat.hovertemplate
    assert heat.hovertemplate == "cohort %{y}, %{x}: %{customdata} messaged again<extra></extra>"
    assert [list(row) for row in heat.customdata] == [["28.8%", ""]]
