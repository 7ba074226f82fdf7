"""Every page through Streamlit's AppTest against the demo database: no exception, and one
visible fact per page that must equal the query's number."""

from __future__ import annotations

import datetime as dt

import pytest

from dashboard import charts, queries, reports
from dashboard.filters import Filters
from dashboard.report_data import format_change
from ingest import db, pipeline
from ingest.attribute import CHANNELS
from ingest.demo_catalog import ACME, NORTHWIND
from tests import factories as fx
from tests.dashboard.chat_setup import chat_weeks
from tests.dashboard.conftest import CHATS, opened
from tests.dashboard.screen import (
    ROOT,
    TITLES,
    _name_acme,
    metric,
    numbers,
    plotly_specs,
    show,
    shown,
)

# Beside a KPI's "—" change when the previous period starts before the data.
NOT_COVERED = "previous period not fully covered"


def test_every_page_file_has_a_test():
    files = {p.stem for p in (ROOT / "dashboard" / "app_pages").glob("*.py")} - {"__init__"}
    assert files == set(TITLES)


@pytest.mark.parametrize("page", list(TITLES), ids=list(TITLES))
def test_every_page_renders_without_an_exception(app, page):
    at = show(app, page)
    assert at.sidebar.selectbox[0].label == "Date range"


def test_overview_kpis_equal_the_queries(app, con, default_range):
    at = show(app, "overview")
    now = queries.kpis(con, default_range).iloc[0]
    before = queries.kpis(con, default_range.previous()).iloc[0]
    new, engaged = int(now["new_contacts"]), int(now["engaged"])
    assert new > 0
    assert metric(at, "New contacts").value == f"{new:,}"
    assert metric(at, "New contacts").delta == f"{new - int(before['new_contacts']):+,}"
    assert metric(at, "Engaged contacts").value == f"{engaged:,}"
    assert metric(at, "Engaged rate").value == f"{engaged / new:.1%}"
    assert metric(at, "Ad spend").value == "—"  # no ad insights in the demo
    bars, pie = plotly_specs(at)
    assert sum(sum(numbers(t["y"])) for t in bars["data"]) == new
    assert sum(numbers(pie["data"][0]["values"])) == new
    assert len(at.dataframe[0].value) == len(queries.channel_totals(con, default_range))


def test_links_page_lists_every_ref_seen(app, con, default_range):
    at = show(app, "links")
    refs = queries.refs(con, default_range)
    assert len(at.dataframe[0].value) == len(refs) > 0
    assert len(plotly_specs(at)) == 1
    assert f"{len(refs)} refs seen in the logs are not registered" in at.info[0].value


@pytest.mark.parametrize("page", ["links", "comments", "contacts"])
def test_tables_name_each_rows_page_when_pages_are_named(open_app, demo_copy, page):
    """After `refscope pages set`, a table shows the page's name beside its id (Comments and
    Contacts showed the id alone); an unnamed page keeps its id."""
    _name_acme(demo_copy)
    table = show(open_app(demo_copy), page).dataframe[0].value
    assert set(table["page"]) == {"Acme Bakery", NORTHWIND}
    assert (table["page"] == "Acme Bakery").tolist() == (table["page_id"] == ACME).tolist()


def test_links_page_names_each_refs_bar_by_its_page(open_app, demo_copy):
    """A ref on two pages gets a bar named with its page's name, not its numeric id."""
    _name_acme(demo_copy)
    bars = plotly_specs(show(open_app(demo_copy), "links"))[0]["data"][0]["y"]
    assert any(b.endswith(" · Acme Bakery") for b in bars)
    assert not any(b.endswith(f" · {ACME}") for b in bars)


def test_ads_page_lists_every_ad_and_says_spend_is_missing(app, con, default_range):
    at = show(app, "ads")
    assert len(at.dataframe[0].value) == len(queries.ads(con, default_range)) > 0
    assert len(plotly_specs(at)) == 1
    assert "No ad insights for this range yet" in at.info[0].value


@pytest.mark.parametrize("page", ["overview", "ads"])
def test_spend_of_a_range_the_ad_insights_cover_in_part_says_so(open_app, small_db, page):
    # The data spans 2023-11-14 – 2023-11-15; the insights from the 15th on (the 14th is gone).
    con = db.connect(small_db)
    try:
        con.execute("DELETE FROM ad_insights WHERE date = '2023-11-14'")
    finally:
        con.close()
    at = show(open_app(small_db, range="Custom", **{"from": "2023-11-14", "to": "2023-11-15"}),
              page)  # fmt: skip
    notes = [c.value for c in at.caption if "Ad insights" in c.value]
    assert notes == [
        "Ad insights cover 2023-11-15 – 2023-11-15 of this range (pulled for 2023-11-15 – "
        "2023-12-01): spend counts those days only, so cost per contact is understated "
        "(refscope pull ads fetches the other days)."
    ]
    # The reports' Ads section carries the same note, then the page's note of ad contacts that
    # came through ads no pulled insights name (the small database has one such ad).
    unpulled = [c.value for c in at.caption if c.value.startswith("Cost per ad contact: ")]
    assert len(unpulled) == 1
    with opened(small_db) as con:
        f = Filters(dt.date(2023, 11, 14), dt.date(2023, 11, 15))
        report = reports.gather(reports.connection_fetch(con), f)
    assert [s.note for s in report.sections if s.key == "ads"] == [" ".join(notes + unpulled)]
    covered = show(open_app(small_db, range="Custom", **{"from": "2023-11-15", "to": "2023-11-15"}),
                   page)  # fmt: skip
    assert not [c for c in covered.caption if "Ad insights" in c.value]


def test_a_channel_filter_without_ads_counts_no_spend_and_says_nothing_of_its_coverage(
    open_app, small_db
):
    """Organic contacts only: the Overview counts no ad spend ("—"), so a note that the spend
    counts some days only and its cost per contact is understated speaks of nothing shown."""
    con = db.connect(small_db)
    try:
        con.execute("DELETE FROM ad_insights WHERE date = '2023-11-14'")
    finally:
        con.close()
    dates = {"from": "2023-11-14", "to": "2023-11-15"}
    at = show(open_app(small_db, range="Custom", channel="organic", **dates), "overview")
    assert metric(at, "Ad spend").value == "—"
    assert not [c.value for c in at.caption if "Ad insights" in c.value]
    with opened(small_db) as con:  # nor does the report of these filters
        f = Filters(dt.date(2023, 11, 14), dt.date(2023, 11, 15), channels=("organic",))
        report = reports.gather(reports.connection_fetch(con), f)
    assert [s.note for s in report.sections if s.key == "ads"] == [""]
    # With the ads' channel among those chosen, the note stays.
    at = show(open_app(small_db, range="Custom", channel=["organic", "ctm_ad"], **dates),
              "overview")  # fmt: skip
    assert [c.value for c in at.caption if "Ad insights" in c.value]


def test_overview_keeps_its_kpis_when_no_contact_is_new(open_app, demo_db, con, default_range):
    # No chat widget contact in the demo's last weeks: nothing new, yet the KPIs still show.
    at = open_app(demo_db, channel="chat_widget")
    show(at, "overview")
    f = Filters(default_range.start, default_range.end, channels=("chat_widget",))
    assert int(queries.kpis(con, f)["new_contacts"].iloc[0]) == 0
    assert metric(at, "New contacts").value == "0"
    assert metric(at, "Reachable at the end (24 h)").value is not None
    assert at.info[0].value.startswith("No new contacts in this range and filter. Widen")
    assert not plotly_specs(at)


def test_overview_with_only_reentries_says_nothing_is_new_and_draws_no_empty_chart(
    open_app, tmp_path
):
    """A contact acquired before the range came back in it: a re-entry, no new contact."""
    later = fx.T0 + 10 * fx.DAY
    lines = [fx.delivery(fx.message("hi", psid="u1", ts=fx.T0)),
             fx.delivery(fx.referral("spring_menu", psid="u1", ts=later))]  # fmt: skip
    path = tmp_path / "reentry.duckdb"
    pipeline.run([str(fx.write_ndjson(tmp_path / "webhooks.ndjson", lines))], path)
    day = dt.date(1970, 1, 1) + dt.timedelta(days=later // 1000 // 86400)
    at = show(open_app(path, range="Custom", **{"from": str(day), "to": str(day)}), "overview")
    assert metric(at, "New contacts").value == "0"
    assert at.info[0].value.startswith("No new contacts in this range and filter.")
    assert not plotly_specs(at)
    (table,) = at.dataframe
    assert table.value[["new_contacts", "reentries"]].values.tolist() == [[0, 1]]


def test_website_chat_page_warns_that_the_plugin_is_gone(app):
    at = show(app, "website_chat")
    assert "shut the Messenger chat plugin down on 2024-05-09" in at.warning[0].value
    assert at.info[0].value.startswith("No website chat contacts in this range. Widen")
    assert not at.code  # a full database: no advice to generate demo data


def test_website_chat_page_shows_the_guest_share(open_app, small_db):
    at = open_app(small_db, range="Custom", **{"from": "2023-11-14", "to": "2023-11-15"})
    at = show(at, "website_chat")
    guests = sum(guest for _, guest, _ in CHATS)
    assert metric(at, "Guest share").value == f"{guests / len(CHATS):.1%}"
    assert not at.warning  # the range ends before the shutdown


def test_website_chat_guest_share_compares_with_the_previous_period(open_app, tmp_path):
    """One guest of two in the week before, three of four in the week on screen."""
    lines = []
    for n, (days, guest) in enumerate([(0, True), (1, False), (7, True), (8, True), (9, True),
                                       (10, False)]):  # fmt: skip
        user, ts = f"chat-user-{n}", fx.T0 + days * fx.DAY
        ref = fx.chat_plugin_referral(user, referer_uri="https://acme.example/", ts=ts,
                                      is_guest_user=guest)  # fmt: skip
        lines += [fx.delivery(ref), fx.delivery(fx.message("hi", psid=user, ts=ts + 1000,
                                                           sender={"user_ref": user}))]  # fmt: skip
    path = tmp_path / "chat.duckdb"
    pipeline.run([str(fx.write_ndjson(tmp_path / "webhooks.ndjson", lines))], path)
    day = (fx.T0 // 1000 + 7 * 86400) // 86400
    start = dt.date(1970, 1, 1) + dt.timedelta(days=day)
    at = open_app(path, range="Custom", **{"from": str(start),
                                           "to": str(start + dt.timedelta(days=6))})  # fmt: skip
    at = show(at, "website_chat")
    assert metric(at, "Guest share").value == "75.0%"
    assert metric(at, "Guest share").delta == "+25.0 pts"


def test_website_chat_guest_share_has_no_delta_against_a_period_the_data_covers_in_part(
    open_app, tmp_path
):
    """The data starts on day 0; the week on screen starts on day 4, so the week before it
    starts before the data: no share to compare with, as for the Overview's KPIs."""
    path, week = chat_weeks(tmp_path)
    at = open_app(path, range="Custom", **{"from": str(week.start), "to": str(week.end)})
    at = show(at, "website_chat")
    assert metric(at, "Guest share").value == "50.0%"
    shown = metric(at, "Guest share")  # no change: "—", and why
    assert (shown.delta, shown.proto.delta_description) == ("—", NOT_COVERED)


def test_overview_shows_a_dash_and_why_against_a_period_the_data_covers_in_part(
    open_app, demo_db, con
):
    """The week on screen starts on the data's fourth day, so the week before starts before
    the data: the reports print "—" as each change; the Overview showed no change line."""
    first = queries.data_bounds(con)["first_day"].iloc[0]
    start = (first.date() if hasattr(first, "date") else first) + dt.timedelta(days=3)
    end = start + dt.timedelta(days=6)
    report = reports.gather(reports.connection_fetch(con), Filters(start, end))
    changes = {k.label: format_change(k) for k in report.kpis}
    at = show(open_app(demo_db, range="Custom", **{"from": str(start), "to": str(end)}),
              "overview")  # fmt: skip
    for label in (
        "New contacts",
        "Engaged contacts",
        "Engaged rate",
        "Reachable at the end (24 h)",
    ):
        shown = metric(at, label)
        assert changes[label] == "—", changes
        assert (shown.delta, shown.proto.delta_description) == ("—", NOT_COVERED), label


def test_comments_page_funnel_sums_the_posts(app, con, default_range):
    at = show(app, "comments")
    df = queries.comments(con, default_range)
    (funnel,) = plotly_specs(at)
    want = [df["comments"].sum(), df["private_replies"].sum(), df["conversations"].sum()]
    assert numbers(funnel["data"][0]["x"]) == want
    assert want[0] > 0
    assert len(at.dataframe[0].value) == len(df)


def test_retention_page_shows_cohorts_and_returns_per_channel(app, con, default_range):
    at = show(app, "retention")
    returns = queries.returns_by_channel(con, default_range)
    heat, bars = plotly_specs(at)
    assert heat["data"][0]["type"] == "heatmap"
    assert [t["name"] for t in bars["data"]] == ["D1", "D7", "D30"]
    assert len(at.dataframe[0].value) == len(returns) > 1
    # In the sidebar's order (the contract's), as every legend and table has them.
    seen = set(queries.cohorts(con, default_range)["channel"])
    channels = [c for c in CHANNELS if c in seen]
    assert len(channels) == len(seen) > 1
    assert at.selectbox[0].options == ["All channels", *map(charts.channel_label, channels)]


def test_retention_page_downloads_its_cohort_table_as_well_as_its_returns(app):
    """The cohort heatmap's numbers could only be read off the chart: every other view's table
    downloads, and so do the cohorts (week by week, per channel)."""
    at = show(app, "retention")
    keys = [b.key for b in at.get("download_button")]
    assert keys == [f"download-{name}-{fmt}" for name in ("cohorts", "returns_by_channel")
                    for fmt in ("csv", "xlsx", "parquet")]  # fmt: skip


def test_one_of_a_kind_is_said_in_the_singular(open_app, small_db):
    """ "1 contacts acquired", "1 refs seen in the logs are not registered", "the last 1 days"."""
    small = {"range": "Custom", "from": "2023-11-14", "to": "2023-11-15"}
    at = show(open_app(small_db, **small), "links")
    assert any(i.value.startswith("1 ref seen in the logs is not registered in tracked_links: "
                                  "register it on Create links") for i in at.info)  # fmt: skip
    at = show(open_app(small_db, **small), "contacts")
    at.text_input[0].input("7100000000000001").run()
    assert "1 contact acquired 2023-11-14 – 2023-11-15" in [c.value for c in at.caption]
    one_day = {"range": "Custom", "from": "2023-11-14", "to": "2023-11-14"}
    at = show(open_app(small_db, **one_day), "reports")
    assert any(c.value.startswith("From cron, the last 1 day up to") for c in at.caption)


def test_contacts_page_counts_and_searches_contacts(app, con, default_range):
    at = show(app, "contacts")
    n = len(queries.contact_rows(con, default_range))
    start, end = default_range.start, default_range.end
    assert f"{n:,} contacts acquired {start} – {end}" in [c.value for c in at.caption]
    assert len(at.dataframe[0].value) == n
    at.text_input[0].input("site_footer").run()
    found = queries.contact_rows(con, default_range, "site_footer")
    assert len(at.dataframe[0].value) == len(found)
    assert 0 < len(found) < n


def test_reports_page_offers_the_report_of_the_current_filters(app, con, default_range):
    at = show(app, "reports")
    now = queries.kpis(con, default_range)["new_contacts"].iloc[0]
    before = queries.kpis(con, default_range.previous())["new_contacts"].iloc[0]
    row = at.dataframe[0].value.set_index("Metric").loc["New contacts"]
    assert (row["This period"], row["Previous period"]) == (f"{now:,}", f"{before:,}")
    again, rolling = [c.value for c in at.code]
    assert f"--from {default_range.start} --to {default_range.end}" in again
    days = (default_range.end - default_range.start).days + 1
    assert f"--days {days} " in rolling and "--from" not in rolling


def test_contacts_search_finds_an_id_pasted_with_spaces_around_it(open_app, small_db):
    """A psid copied from a log or a sheet often comes with a space or tab around it: the
    search found no contact for " 7100000000000001 "."""
    small = {"range": "Custom", "from": "2023-11-14", "to": "2023-11-15"}
    at = show(open_app(small_db, **small), "contacts")
    at.text_input[0].input(" \t7100000000000001  ").run()
    assert "1 contact acquired 2023-11-14 – 2023-11-15" in [c.value for c in at.caption]
    assert list(at.dataframe[0].value["psid"]) == ["7100000000000001"]


# Website chat and Create links show no table on the demo's default range (the chat plugin was
# gone by then; no link registered), so there is nothing to count on them here.
WITH_TABLES = [p for p in TITLES if p not in ("website_chat", "create_links")]


@pytest.mark.parametrize("page", WITH_TABLES, ids=WITH_TABLES)
def test_every_table_on_every_page_downloads_as_csv_xlsx_and_parquet(app, page):
    """The issue: "every table on every page downloads as CSV, XLSX and Parquet": each table
    shown has its trio of downloads (Retention's cohorts too, which show as a heatmap)."""
    at = show(app, page)
    keys = [b.key for b in at.get("download_button") if b.key.startswith("download-")]
    names = list(dict.fromkeys(k.rsplit("-", 1)[0] for k in keys))
    assert keys == [f"{n}-{fmt}" for n in names for fmt in ("csv", "xlsx", "parquet")]
    assert len(names) >= len(at.dataframe) > 0, (names, len(at.dataframe))


def test_the_reports_page_of_a_range_without_data_says_so(open_app, small_db):
    """The issue: "a report for a range without data says so instead of failing"; the Reports
    page says it above the downloads, whose files say it too."""
    at = show(open_app(small_db, channel="comment_reply"), "reports")  # none in its data
    said = [shown(i.value) for i in at.info]
    assert any(s.startswith("No data for ") and "channels: Comment reply)" in s
               and s.endswith("The files say so too.") for s in said), said  # fmt: skip
    assert [b.proto.label for b in at.get("download_button")][-3:] == [
        "Download PDF", "Download XLSX", "Download HTML"]  # fmt: skip
