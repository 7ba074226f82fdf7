"""What a reader sees: table headers and formats, empty states that say what to change, and
the KPI row's layout and colours."""

from __future__ import annotations

import json

import pytest
from streamlit.testing.v1 import AppTest

from dashboard import charts, queries, widgets
from ingest import pipeline
from tests import factories as fx
from tests.dashboard.screen import ROOT, TIMEOUT, TITLES, headers, numbers, plotly_specs, show


@pytest.mark.parametrize("page", ["overview", "links", "ads", "comments", "retention", "contacts"])
def test_tables_have_readable_headers_and_channel_names(app, page):
    """Headers were column names (new_contacts, reentries, ad_title, referer_uri) and channels
    codes (ctm_ad) next to charts that name them "Click-to-Messenger ad"."""
    at = show(app, page)
    shown = headers(at)
    assert shown and not [h for h in shown if "_" in h], shown
    df = at.dataframe[0].value
    if "channel" in df:
        assert set(df["channel"]) <= set(charts.CHANNEL_LABELS.values())


def test_table_formats_rates_as_percent_and_money_with_cents(open_app, small_db):
    at = open_app(small_db, range="Custom", **{"from": "2023-11-14", "to": "2023-11-15"})
    at = show(at, "ads")
    config = json.loads(at.dataframe[0].proto.columns)
    # One decimal, as the KPIs and reports: Streamlit's "percent" showed 90% beside 82.47%.
    assert config["engaged_rate"]["type_config"]["format"] == "%.1f%%"
    shown = at.dataframe[0].value.set_index("ad_id")["engaged_rate"]
    assert shown["6000000000001"] == 50.0  # 2 of 4, in percent
    # With thousands separators, as the KPIs and reports write them (12,345.67, not 12345.67).
    assert config["spend"]["type_config"]["format"] == "%,.2f"
    assert config["cost_per_contact"]["type_config"]["format"] == "%,.2f"
    assert config["new_contacts"]["type_config"]["format"] == "%,d"
    assert config["conversations_started"]["type_config"]["format"] == "%,d"
    assert config["cost_per_contact"]["label"] == "Cost / new contact"
    assert list(at.dataframe[0].proto.column_order)[-1] == "ad_id"  # the title says which ad


def test_contacts_per_click_is_a_ratio_not_a_percentage(app):
    """11 contacts from 4 clicks is 2.75 a click, not "275%"."""
    at = show(app, "links")
    config = json.loads(at.dataframe[0].proto.columns)
    assert config["contacts_per_click"]["type_config"]["format"] == "%.2f"
    assert config["engaged_rate"]["type_config"]["format"] == "%.1f%%"


def test_ads_table_leaves_out_spend_columns_with_no_spend_loaded(app):
    # Without ad insights the four cost columns read "None" on every row; the note says why.
    at = show(app, "ads")
    assert "No ad insights for this range yet" in at.info[0].value
    order = list(at.dataframe[0].proto.column_order)
    assert "spend" not in order and "cost_per_contact" not in order
    assert "new_contacts" in order


@pytest.mark.parametrize(
    "page, channel, message",
    [
        ("ads", "Click-to-Messenger ad: add it", "No Click-to-Messenger contacts or ad spend"),
        # Two channels: either brings the page's rows ("add it" named neither).
        ("links", "m.me link and QR code: add either", "No m.me link or QR code referrals"),
        ("comments", "Comment reply: add it", "No comments or private replies"),
    ],
)
def test_a_channel_filter_that_leaves_a_page_out_says_so(open_app, demo_db, page, channel, message):
    """With only Organic chosen, "Widen the date range" cannot help: the filter is the cause."""
    at = show(open_app(demo_db, channel="organic"), page)
    (info,) = [i.value for i in at.info]
    assert info.startswith(message)
    assert f"The channel filter leaves out {channel} in the sidebar" in info
    assert "Widen" not in info


def test_website_chat_after_the_shutdown_says_widening_cannot_help(app, con):
    """The demo's data starts after Meta switched the chat plugin off: no range has any."""
    at = show(app, "website_chat")
    (first,) = con.execute("SELECT CAST(min(ts) AS DATE) FROM events").fetchone()
    assert at.info[0].value == (
        "No website chat contacts in this range. Widening it will not help: the data starts on "
        f"{first}, after Meta shut the chat plugin down on {queries.CHAT_PLUGIN_SHUTDOWN}."
    )


def test_contacts_with_a_search_that_finds_nothing_says_to_clear_it(app):
    at = show(app, "contacts")
    at.text_input[0].input("no-such-contact-anywhere").run()
    assert at.info[0].value == "No contacts match. Widen the date range or clear the search."


def test_overview_kpis_stand_three_to_a_row(app):
    """Six KPIs side by side next to the sidebar cut "Reachable at the end (24 h)" short."""
    at = show(app, "overview")
    assert len(at.metric) == 6
    weights = [c.proto.weight for c in at.columns]
    assert weights[:6] == pytest.approx([1 / 3] * 6)


def _kpi_row_app() -> None:
    """A page with only a KPI row of a count, a rate and money above and below 1,000."""
    import pandas as pd

    from dashboard import widgets

    now = pd.DataFrame({"new_contacts": [1234.0], "engaged_rate": [0.25], "spend": [1500.5]})
    before = pd.DataFrame({"new_contacts": [1000.0], "engaged_rate": [0.2], "spend": [1200.0]})
    specs = [("new_contacts", "New contacts", "int"), ("engaged_rate", "Engaged rate", "pct"),
             ("spend", "Ad spend", "money")]  # fmt: skip
    widgets.kpi_row(now, before, specs)


def test_kpi_row_shows_thousands_points_and_cents_and_spending_more_in_red():
    """More contacts is good news (green); more spend for them is not (red)."""
    from streamlit.proto.Metric_pb2 import Metric as MetricProto

    at = AppTest.from_function(_kpi_row_app, default_timeout=TIMEOUT).run()
    assert not at.exception, [e.message for e in at.exception]
    shown = {m.label: (m.value, m.delta, m.proto.color) for m in at.metric}
    assert shown == {
        "New contacts": ("1,234", "+234", MetricProto.MetricColor.GREEN),
        "Engaged rate": ("25.0%", "+5.0 pts", MetricProto.MetricColor.GREEN),
        "Ad spend": ("1,500.50", "+300.50", MetricProto.MetricColor.RED),
    }


def _kpi_row_unchanged_app() -> None:
    """A KPI row whose figures did not change, or changed by less than they are shown to."""
    import pandas as pd

    from dashboard import widgets

    now = pd.DataFrame({"new_contacts": [245.0], "engaged_rate": [0.7431], "spend": [10.0]})
    before = pd.DataFrame({"new_contacts": [245.0], "engaged_rate": [0.7429], "spend": [10.001]})
    specs = [("new_contacts", "New contacts", "int"), ("engaged_rate", "Engaged rate", "pct"),
             ("spend", "Ad spend", "money")]  # fmt: skip
    widgets.kpi_row(now, before, specs)


def test_kpi_row_shows_no_change_without_an_arrow_or_a_colour():
    """245 new contacts against 245 was shown as "+0" with a green up arrow, as if it had
    grown; a change too small to show (+0.0 pts, -0.00) likewise went up or down in colour."""
    from streamlit.proto.Metric_pb2 import Metric as MetricProto

    at = AppTest.from_function(_kpi_row_unchanged_app, default_timeout=TIMEOUT).run()
    assert not at.exception, [e.message for e in at.exception]
    shown = {m.label: (m.delta, m.proto.color, m.proto.direction) for m in at.metric}
    gray, none = MetricProto.MetricColor.GRAY, MetricProto.MetricDirection.NONE
    assert shown == {
        "New contacts": ("0", gray, none),
        "Engaged rate": ("0.0 pts", gray, none),
        "Ad spend": ("0.00", gray, none),
    }


def _kpi_row_uncovered_app() -> None:
    """A KPI row against a previous period the data covers only in part (new contacts and
    rate: none counted; as far as the data reaches, some), and one with no cost per ad contact
    (no ad contact then, whatever the data covers)."""
    import pandas as pd

    from dashboard import widgets

    now = pd.DataFrame({"new_contacts": [245.0], "engaged_rate": [0.5], "cost_per_contact": [2.0]})
    # As far as the data covers it the period had new contacts and a rate (not_covered).
    before = pd.DataFrame({"new_contacts": [None], "engaged_rate": [None],
                           "cost_per_contact": [None],
                           "not_covered": ["new_contacts,engaged_rate"]})  # fmt: skip
    specs = [("new_contacts", "New contacts", "int"), ("engaged_rate", "Engaged rate", "pct"),
             ("cost_per_contact", "Cost per ad contact", "money")]  # fmt: skip
    widgets.kpi_row(now, before, specs)


def test_kpi_row_shows_a_dash_where_there_is_no_change_and_says_why_when_it_is_coverage():
    """The reports print "—" as the change against a previous period the data covers only in
    part; the Overview showed no change line at all, which reads as if nothing was compared.
    It shows "—" now, grey and without an arrow, and says when the cause is the coverage."""
    from streamlit.proto.Metric_pb2 import Metric as MetricProto

    at = AppTest.from_function(_kpi_row_uncovered_app, default_timeout=TIMEOUT).run()
    assert not at.exception, [e.message for e in at.exception]
    shown = {m.label: (m.delta, m.proto.color, m.proto.direction, m.proto.delta_description)
             for m in at.metric}  # fmt: skip
    gray, none = MetricProto.MetricColor.GRAY, MetricProto.MetricDirection.NONE
    hint = widgets.NOT_COVERED
    assert shown == {
        "New contacts": ("—", gray, none, hint),
        "Engaged rate": ("—", gray, none, hint),
        "Cost per ad contact": ("—", gray, none, ""),  # no ad contact then: nothing to say
    }
    assert hint == "previous period not fully covered"
    assert '"—"' in widgets.CHANGE_HELP and hint in widgets.CHANGE_HELP
    readme = " ".join((ROOT / "README.md").read_text(encoding="utf-8").split())
    assert 'the Overview (and Website chat\'s guest share) shows "—" in grey' in readme
    assert f'with "{hint}" beside it' in readme


# Each page with a table on the demo's default range (no chat plugin then, no link registered).
@pytest.mark.parametrize("page", sorted(set(TITLES) - {"website_chat", "create_links"}))
def test_a_cell_without_a_value_reads_as_a_dash_as_in_the_reports(app, page):
    """Streamlit wrote "None" in such a cell (an ad's missing title, a contact without a ref),
    beside reports that write "—"."""
    at = show(app, page)
    assert at.dataframe, "the page shows a table"
    assert {d.proto.placeholder for d in at.dataframe} == {"—"}


def test_returns_chart_of_shares_that_are_all_zero_has_no_negative_scale(open_app, tmp_path):
    """Contacts of a range none of whom came back: every D1 bar is 0%, and plotly's own scale
    ran from -100% to 100% (a share below zero, and no bar to see)."""
    lines = [fx.delivery(fx.message("hi", psid=f"u{i}", ts=fx.T0 + i * fx.MINUTE))
             for i in range(2)]  # fmt: skip
    lines.append(fx.delivery(fx.message("hi", psid="later", ts=fx.T0 + 3 * fx.DAY)))
    path = tmp_path / "gone.duckdb"
    pipeline.run([str(fx.write_ndjson(tmp_path / "logs" / "a.ndjson", lines))], path)
    day = str(fx.utc(fx.T0).date())
    at = show(open_app(path, range="Custom", **{"from": day, "to": day}), "retention")
    returns = plotly_specs(at)[1]
    assert numbers(returns["data"][0]["y"]) == [0.0]  # D1: back within a day, none
    yaxis = returns["layout"]["yaxis"]
    assert yaxis.get("rangemode") == "nonnegative" or yaxis.get("range", [-1])[0] >= 0, yaxis
