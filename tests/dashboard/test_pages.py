"""Every page through Streamlit's AppTest against the demo database: no exception, one visible
fact that must equal the query's number, and the empty / missing database states."""

from __future__ import annotations

import base64
import datetime as dt
import json
import shlex
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from dashboard import charts, queries, reports
from dashboard.filters import Filters
from ingest import db, links, pipeline, retention
from ingest.demo_catalog import ACME, NORTHWIND
from tests import factories as fx
from tests.dashboard.conftest import CHATS, build_pruned_db, lake_of, opened

ROOT = Path(__file__).resolve().parents[2]
APP = ROOT / "dashboard" / "streamlit_app.py"
TITLES = {
    "overview": "Overview",
    "links": "Links & QR codes",
    "ads": "Ads",
    "website_chat": "Website chat",
    "comments": "Comments",
    "retention": "Retention",
    "contacts": "Contacts",
    "reports": "Reports",
    "create_links": "Create links",
}
TIMEOUT = 60  # seconds per script run; the first run imports plotly and pandas


@pytest.fixture
def open_app(monkeypatch: pytest.MonkeyPatch) -> Any:
    """AppTest of the whole app on a database file (set before the first run)."""

    def start(path: Path, **query: str | list[str]) -> AppTest:
        monkeypatch.setenv("REFSCOPE_DB", str(path))
        at = AppTest.from_file(str(APP), default_timeout=TIMEOUT)
        at.query_params.update(query)
        return at

    return start


@pytest.fixture
def app(open_app: Any, demo_db: Path) -> AppTest:
    return open_app(demo_db)


@pytest.fixture
def default_range(con: duckdb.DuckDBPyConnection) -> Filters:
    """The app's default: the 28 days ending on the newest event's day."""
    (last,) = con.execute("SELECT CAST(max(ts) AS DATE) FROM events").fetchone()
    return Filters(last - dt.timedelta(days=27), last)


def show(at: AppTest, page: str) -> AppTest:
    if page != "overview":
        at.switch_page(f"app_pages/{page}.py")
    at.run()
    assert not at.exception, [e.message for e in at.exception]
    assert [t.value for t in at.title] == [TITLES[page]]
    return at


def plotly_specs(at: AppTest) -> list[dict[str, Any]]:
    return [json.loads(c.proto.spec) for c in at.get("plotly_chart")]


def numbers(data: Any) -> list[float]:
    """A trace's numbers from Plotly's JSON, plain or typed-array ({dtype, bdata})."""
    if isinstance(data, dict):
        return np.frombuffer(base64.b64decode(data["bdata"]), dtype=data["dtype"]).tolist()
    return list(data)


def metric(at: AppTest, label: str) -> Any:
    (m,) = [m for m in at.metric if m.label == label]
    return m


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


def test_presets_end_on_the_newest_whole_day_not_on_today(open_app, tmp_path):
    """With `ingest --follow`, today's events are in: a preset still ends yesterday, as a
    report does (seven hours of today against whole days would read as a fall every morning),
    and Custom reaches today."""
    now = dt.datetime.now(dt.UTC)
    today = int(now.replace(hour=0, minute=0, second=0, microsecond=0).timestamp() * 1000)
    path, logs = tmp_path / "live.duckdb", tmp_path / "logs"
    lines = [fx.delivery(fx.message("hi", psid=f"u{i}", ts=today - i * fx.DAY + fx.MINUTE))
             for i in range(3)]  # fmt: skip
    pipeline.run([str(fx.write_ndjson(logs / "a.ndjson", lines))], path)
    yesterday = now.date() - dt.timedelta(days=1)
    at = show(open_app(path, range="Last 7 days"), "overview")
    week = (str(yesterday - dt.timedelta(days=6)), str(yesterday))
    assert (at.query_params["from"], at.query_params["to"]) == week
    assert metric(at, "New contacts").value == "2"  # yesterday's and the day before's
    assert any(f"to {now.date()}." in c.value for c in at.sidebar.caption)
    at = show(open_app(path, range="Custom", **{"from": str(yesterday), "to": str(now.date())}),
              "overview")  # fmt: skip
    assert metric(at, "New contacts").value == "2"  # yesterday's and today's


def test_after_a_prune_a_preset_range_starts_on_the_prune_date(open_app, tmp_path):
    # "early" came in before the prune and is still active after it: kept, but its day is no
    # whole day of data any more. "Last 28 days" reaches back before the prune.
    path = tmp_path / "pruned.duckdb"
    cut = build_pruned_db(path)
    at = show(open_app(path, range="Last 28 days"), "overview")
    last = fx.utc(fx.T0 + 20 * fx.DAY).date()
    assert (at.query_params["from"], at.query_params["to"]) == (str(cut), str(last))
    assert metric(at, "New contacts").value == "1"  # "late" only
    assert any(f"Data from {cut} (pruned before)" in c.value for c in at.sidebar.caption)
    # Its report from cron asks for the 28 days chosen, not the days left after the cut: those
    # would stay that few for good.
    at = show(open_app(path, range="Last 28 days"), "reports")
    again, rolling = [c.value for c in at.code]
    assert f"--from {cut} --to {last}" in again
    assert "--days 28 " in rolling, rolling
    assert any("From cron, the last 28 days" in c.value for c in at.caption)


def test_a_preset_ending_on_the_prune_date_starts_on_it(open_app, tmp_path):
    """The newest data is on the prune date itself: "Last 7 days" is that one day, not six
    pruned days before it (where only contacts still active after the prune are left)."""
    path = tmp_path / "pruned.duckdb"
    cut = fx.utc(fx.T0 + 10 * fx.DAY).date()
    log = fx.write_ndjson(tmp_path / "logs" / "pruned.ndjson", [
        fx.delivery(fx.referral(ref="flyer", psid="early", ts=fx.T0)),
        fx.delivery(fx.message("hi", psid="early", ts=fx.T0 + 10 * fx.DAY + 3600_000)),
    ])  # fmt: skip
    pipeline.run([str(log)], path)
    con = db.connect(path)
    try:
        retention.prune(con, cut)
        bounds = queries.data_bounds(con)[["first_day", "last_day"]].iloc[0]
        assert [pd.Timestamp(d).date() for d in bounds] == [cut, cut]
    finally:
        con.close()
    at = show(open_app(path, range="Last 7 days"), "overview")
    assert (at.query_params["from"], at.query_params["to"]) == (str(cut), str(cut))


def test_links_page_lists_every_ref_seen(app, con, default_range):
    at = show(app, "links")
    refs = queries.refs(con, default_range)
    assert len(at.dataframe[0].value) == len(refs) > 0
    assert len(plotly_specs(at)) == 1
    assert f"{len(refs)} refs seen in the logs are not registered" in at.info[0].value


def _name_acme(path: Path) -> None:
    """`refscope pages set` of the demo's first page; the other stays unnamed."""
    con = db.connect(path)
    try:
        con.execute("INSERT INTO pages VALUES (?, 'acmebakery', 'Acme Bakery')", [ACME])
    finally:
        con.close()


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
    # The reports' Ads section carries the same note.
    with opened(small_db) as con:
        f = Filters(dt.date(2023, 11, 14), dt.date(2023, 11, 15))
        report = reports.gather(reports.connection_fetch(con), f)
    assert [s.note for s in report.sections if s.key == "ads"] == notes
    covered = show(open_app(small_db, range="Custom", **{"from": "2023-11-15", "to": "2023-11-15"}),
                   page)  # fmt: skip
    assert not [c for c in covered.caption if "Ad insights" in c.value]


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
    lines = []
    for n, (days, guest) in enumerate([(0, True), (1, True), (7, False), (8, True)]):
        user, ts = f"chat-user-{n}", fx.T0 + days * fx.DAY
        ref = fx.chat_plugin_referral(user, referer_uri="https://acme.example/", ts=ts,
                                      is_guest_user=guest)  # fmt: skip
        lines.append(fx.delivery(ref))
    path = tmp_path / "chat.duckdb"
    pipeline.run([str(fx.write_ndjson(tmp_path / "webhooks.ndjson", lines))], path)
    start = dt.date(1970, 1, 1) + dt.timedelta(days=fx.T0 // 1000 // 86400 + 4)
    at = open_app(path, range="Custom", **{"from": str(start),
                                           "to": str(start + dt.timedelta(days=6))})  # fmt: skip
    at = show(at, "website_chat")
    assert metric(at, "Guest share").value == "50.0%"
    assert not metric(at, "Guest share").delta  # no change shown


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
    channels = sorted(queries.cohorts(con, default_range)["channel"].unique())
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


def _fill_link(at: AppTest, campaign: str, placement: str, ref: str) -> None:
    """Type a link's campaign, placement and ref into the Create links form."""
    for i, value in enumerate((campaign, placement, ref)):  # each run redraws the form
        at.text_input[i].input(value).run()


def test_create_links_page_registers_a_link(open_app, demo_copy):
    at = show(open_app(demo_copy), "create_links")
    assert "No links registered yet." in [c.value for c in at.caption]
    # The demo's pages have no username: each is shown by its id, once.
    assert at.selectbox[0].options[:2] == sorted(at.selectbox[0].options[:2]) and all(
        o.isdigit() for o in at.selectbox[0].options[:2])  # fmt: skip
    _fill_link(at, "spring", "window", "spring_window")
    assert [c.value for c in at.code] == [f"https://m.me/{at.selectbox[0].value}?ref=spring_window"]
    (register,) = [b for b in at.button if b.label == "Register"]
    register.click().run()
    assert not at.exception
    with opened(demo_copy) as con:
        rows = con.execute("SELECT ref, channel, campaign, placement FROM tracked_links").fetchall()
    assert rows == [("spring_window", "m_me_link", "spring", "window")]
    assert list(at.dataframe[0].value["ref"]) == ["spring_window"]
    shown = headers(at)  # the registry reads like every other table
    assert "Engaged rate" in shown and not [h for h in shown if "_" in h], shown
    assert set(at.dataframe[0].value["channel"]) == {"m.me link"}


def test_create_links_refuses_a_ref_of_another_meaning_before_offering_its_code(
    open_app, demo_copy
):
    """A ref registered for the page with other attributes breaks the one-meaning rule: the
    form says so at once, with no code to download (it offered the code and Register, and
    only a toast after the click said no)."""
    con = db.connect(demo_copy)
    try:
        con.execute("INSERT INTO tracked_links VALUES ('spring_window', ?, 'm_me_link', "
                    "'spring', 'window', NULL, ?, TIMESTAMP '2026-01-01')",
                    [ACME, f"https://m.me/{ACME}?ref=spring_window"])  # fmt: skip
    finally:
        con.close()
    at = show(open_app(demo_copy), "create_links")
    at.selectbox[0].set_value(ACME).run()
    _fill_link(at, "autumn", "window", "spring_window")
    assert [e.value for e in at.error] == [
        f"ref 'spring_window' is already registered for page '{ACME}' with campaign 'spring' "
        f"(here 'autumn'): {links.ONE_MEANING_RULE}"
    ]
    assert not at.code and not [b for b in at.button if b.label == "Register"]
    at.text_input[0].input("spring").run()  # the registered meaning: its code again
    assert not at.error and [c.value for c in at.code] == [f"https://m.me/{ACME}?ref=spring_window"]


def test_create_links_names_the_page_of_each_unregistered_ref(open_app, demo_copy):
    """The refs seen but not registered are listed by page name, as on Links & QR codes (they
    read 1122334455667788 · bio_link); picking one still registers it for that page id."""
    _name_acme(demo_copy)
    at = show(open_app(demo_copy), "create_links")
    (seen,) = [s for s in at.selectbox if s.label == "Ref"]
    acme = [o for o in seen.options if o.startswith("Acme Bakery · ")]
    assert acme and not [o for o in seen.options if o.startswith(f"{ACME} ")], seen.options
    seen.set_value(f"{ACME} · {acme[0].split(' · ', 1)[1]}").run()
    (register,) = [b for b in at.button if b.label == "Register as m.me link"]
    register.click().run()
    assert not at.exception
    with opened(demo_copy) as con:
        rows = con.execute("SELECT page, ref FROM tracked_links").fetchall()
    assert rows == [(ACME, acme[0].split(" · ", 1)[1])]


def test_create_links_on_a_lake_without_a_database_registers_nothing(
    monkeypatch, demo_db, tmp_path
):
    """`dashboard --lake` reads no database: registering must not make a new, empty one (the
    link would never reach the lake, yet the page said it was registered)."""
    lake_dir = lake_of(demo_db, tmp_path / "lake")
    missing = tmp_path / "data" / "refscope.duckdb"
    monkeypatch.setenv("REFSCOPE_LAKE", str(lake_dir))
    monkeypatch.setenv("REFSCOPE_DB", str(missing))
    at = show(AppTest.from_file(str(APP), default_timeout=TIMEOUT), "create_links")
    at.text_input[2].input("spring_window").run()  # ref
    (register,) = [b for b in at.button if b.label == "Register"]
    register.click().run()
    assert not at.exception
    assert not missing.exists()
    (toast,) = [t.value for t in at.toast]
    assert toast.startswith("Not registered:") and str(lake_dir) in toast, toast


# --- filters in the URL ------------------------------------------------------------------------


def test_query_params_choose_the_range_and_channel(open_app, demo_db, con, default_range):
    at = show(open_app(demo_db, range="Last 7 days", channel="ctm_ad"), "overview")
    last = default_range.end
    f = Filters(last - dt.timedelta(days=6), last, channels=("ctm_ad",))
    assert at.sidebar.selectbox[0].value == "Last 7 days"
    assert at.sidebar.multiselect[1].value == ["ctm_ad"]
    new = int(queries.kpis(con, f)["new_contacts"].iloc[0])
    assert metric(at, "New contacts").value == f"{new:,}"
    assert new < int(queries.kpis(con, default_range)["new_contacts"].iloc[0])
    assert at.query_params["from"] == str(f.start) and at.query_params["to"] == str(last)
    assert at.query_params["channel"] == "ctm_ad"


@pytest.mark.parametrize(
    ("preset", "start", "end"),
    [("Month to date", "2026-11-01", "2026-11-24"), ("Previous month", "2026-10-01", "2026-10-31")],
    ids=["month-to-date", "previous-month"],
)
def test_month_presets_are_whole_calendar_months(open_app, demo_db, con, preset, start, end):
    """The data ends on 2026-11-24: month to date is from the 1st, the previous month all of
    October (its 31st too), nothing of the month before or after."""
    at = show(open_app(demo_db, range=preset), "overview")
    assert (at.query_params["from"], at.query_params["to"]) == (start, end)
    f = Filters(dt.date.fromisoformat(start), dt.date.fromisoformat(end))
    new = int(queries.kpis(con, f)["new_contacts"].iloc[0])
    assert metric(at, "New contacts").value == f"{new:,}"


def test_query_params_choose_pages_and_a_custom_range(open_app, demo_db, con):
    page = queries.page_list(con)["page_id"].iloc[0]
    f = Filters(
        dt.date(2026, 9, 1), dt.date(2026, 9, 30), pages=(page,), channels=("organic", "m_me_link")
    )
    at = open_app(
        demo_db,
        range="Custom",
        page=page,
        channel=["organic", "m_me_link"],
        **{"from": "2026-09-01", "to": "2026-09-30"},
    )
    at = show(at, "contacts")
    assert at.sidebar.date_input[0].value == (f.start, f.end)
    assert at.sidebar.multiselect[0].value == [page]
    assert len(at.dataframe[0].value) == len(queries.contact_rows(con, f)) > 0


@pytest.mark.parametrize(
    "start, end, want",
    [
        ("2020-01-01", "2030-01-01", ("2026-07-28", "2026-11-24")),
        ("2026-09-30", "2026-09-01", ("2026-09-01", "2026-09-30")),  # the right way round
        ("not-a-date", "2026-08-31", ("2026-07-28", "2026-08-31")),
    ],
    ids=["outside-the-data", "reversed", "unreadable"],
)
def test_a_custom_range_from_the_url_is_kept_inside_the_data(
    open_app, demo_db, con, start, end, want
):
    at = show(open_app(demo_db, range="Custom", **{"from": start, "to": end}), "overview")
    f = Filters(*(dt.date.fromisoformat(d) for d in want))
    assert at.sidebar.date_input[0].value == (f.start, f.end)
    new = int(queries.kpis(con, f)["new_contacts"].iloc[0])
    assert metric(at, "New contacts").value == f"{new:,}"
    if (start, end) == ("2026-09-30", "2026-09-01"):
        (warning,) = [w.value for w in at.sidebar.warning]
        assert "to 2026-09-01 is before from 2026-09-30" in warning


def test_unknown_query_params_fall_back_to_the_defaults(open_app, demo_db, con, default_range):
    at = show(open_app(demo_db, range="Last 1000 days", channel="fax"), "overview")
    assert at.sidebar.selectbox[0].value == "Last 28 days"
    assert at.sidebar.multiselect[1].value == []
    new = int(queries.kpis(con, default_range)["new_contacts"].iloc[0])
    assert metric(at, "New contacts").value == f"{new:,}"


def test_a_link_with_unusable_filters_says_what_it_could_not_use(open_app, demo_db):
    at = show(open_app(demo_db, range="Last 1000 days", channel=["fax", "ctm_ad"], page="999"),
              "overview")  # fmt: skip
    (warning,) = [w.value for w in at.sidebar.warning]
    assert "range 'Last 1000 days' is not one of" in warning
    assert "'fax' is not a channel" in warning and "no page '999'" in warning
    assert at.sidebar.multiselect[1].value == ["ctm_ad"]
    at.sidebar.selectbox[0].set_value("Last 7 days").run()  # said once, when opened
    assert not at.sidebar.warning


def test_a_custom_link_outside_the_data_says_so(open_app, demo_db):
    at = show(open_app(demo_db, range="Custom", **{"from": "2001-01-01", "to": "2026-09-30"}),
              "overview")  # fmt: skip
    (warning,) = [w.value for w in at.sidebar.warning]
    assert "from 2001-01-01 is outside the data" in warning and "2026-09-30" not in warning


def test_the_dashboards_own_links_raise_no_warning(open_app, demo_db):
    at = show(open_app(demo_db), "overview")
    at.sidebar.selectbox[0].set_value("Last 90 days").run()
    at.sidebar.multiselect[1].set_value(["ctm_ad"]).run()
    again = show(open_app(demo_db, **dict(at.query_params)), "overview")
    assert not again.sidebar.warning
    assert again.sidebar.selectbox[0].value == "Last 90 days"


def test_a_url_with_dates_and_no_preset_shows_those_dates(open_app, demo_db, con):
    at = show(open_app(demo_db, **{"from": "2026-09-01", "to": "2026-09-30"}), "overview")
    f = Filters(dt.date(2026, 9, 1), dt.date(2026, 9, 30))
    assert at.sidebar.selectbox[0].value == "Custom"
    assert at.sidebar.date_input[0].value == (f.start, f.end)
    new = int(queries.kpis(con, f)["new_contacts"].iloc[0])
    assert metric(at, "New contacts").value == f"{new:,}"


def test_custom_starts_from_the_range_on_screen(app, default_range):
    at = show(app, "overview")
    at.sidebar.selectbox[0].set_value("Last 7 days").run()
    at.sidebar.selectbox[0].set_value("Custom").run()
    week = (default_range.end - dt.timedelta(days=6), default_range.end)
    assert at.sidebar.date_input[0].value == week
    assert (at.query_params["from"], at.query_params["to"]) == tuple(map(str, week))


def test_changing_the_range_updates_kpis_and_the_url(app, con, default_range):
    at = show(app, "overview")
    at.sidebar.selectbox[0].set_value("Last 90 days").run()
    last = default_range.end
    f = Filters(last - dt.timedelta(days=89), last)
    new = int(queries.kpis(con, f)["new_contacts"].iloc[0])
    assert metric(at, "New contacts").value == f"{new:,}"
    assert at.query_params["range"] == "Last 90 days"
    assert at.query_params["from"] == str(f.start)


# --- no data yet -------------------------------------------------------------------------------


@pytest.fixture
def no_db(tmp_path: Path) -> Iterator[Path]:
    path = tmp_path / "missing.duckdb"
    yield path
    assert not path.exists()  # looking must not create the database


@pytest.mark.parametrize("state", ["schema-only", "missing"])
def test_without_contacts_the_app_says_what_to_run_next(open_app, db_path, no_db, state):
    path = db_path if state == "schema-only" else no_db
    at = open_app(path)
    at.run()
    assert not at.exception, [e.message for e in at.exception]
    assert at.info[0].value.startswith(f"No contacts in {path} yet")
    assert "refscope ingest" in at.code[0].value
    assert not at.metric and not at.get("plotly_chart")
    assert f"refscope ingest data/demo --db {path}" in at.code[0].value
    # the demo's QR codes registered first, as `make demo` does: else no QR code channel
    commands = at.code[0].value.splitlines()
    assert commands.index(f"refscope links import data/demo/tracked-links.csv --db {path}") < (
        commands.index(f"refscope ingest data/demo --db {path}")
    )
    # the demo's pages named, as `make demo` does: else every chart and filter shows page ids
    from ingest.demo_catalog import PAGES

    named = [shlex.split(c)[3:] for c in commands if c.startswith("refscope pages set ")]
    assert named == [[page, "--username", user, "--name", name, "--db", str(path)]
                     for page, user, name in PAGES]  # fmt: skip


@pytest.mark.parametrize("state", ["schema-only", "missing"])
def test_links_are_made_on_create_links_before_any_contact_arrived(
    open_app, db_path, tmp_path, state
):
    """A team prints its first QR codes before anyone has scanned one: Create links is there
    on a database without contacts (or none yet), and registers into it."""
    path = db_path if state == "schema-only" else tmp_path / "new" / "refscope.duckdb"
    at = open_app(path)
    at.run()
    assert at.info[0].value.startswith(f"No contacts in {path} yet")
    at.switch_page("app_pages/create_links.py").run()
    assert not at.exception, [e.message for e in at.exception]
    assert [t.value for t in at.title] == ["Create links"]
    assert "No links registered yet." in [c.value for c in at.caption]
    at.selectbox[0].select("other…").run()
    at.text_input[0].input("1122334455667788").run()  # the page's id
    at.text_input[3].input("first_flyer").run()  # ref
    (register,) = [b for b in at.button if b.label == "Register"]
    register.click().run()
    assert not at.exception, [e.message for e in at.exception]
    con = db.connect(path, read_only=True)
    try:
        rows = con.execute("SELECT ref, page FROM tracked_links").fetchall()
    finally:
        con.close()
    assert rows == [("first_flyer", "1122334455667788")]
    assert list(at.dataframe[0].value["ref"]) == ["first_flyer"]


@pytest.mark.parametrize("kind", ["empty-file", "other-tables", "a-folder"])
def test_a_file_that_is_not_a_refscope_database_is_said_so(open_app, tmp_path, kind):
    path = tmp_path / "other.duckdb"
    if kind == "empty-file":
        path.touch()
    elif kind == "other-tables":
        con = duckdb.connect(str(path))
        con.execute("CREATE TABLE t (a INTEGER)")
        con.close()
    else:
        path.mkdir()
    at = open_app(path)
    at.run()
    assert not at.exception, [e.message for e in at.exception]
    assert str(path) in at.error[0].value
    assert "refscope ingest" in at.code[0].value
    assert not at.metric


# --- what a reader sees: table headers, empty states that say what to change, KPI layout --------


def headers(at: AppTest, i: int = 0) -> list[str]:
    """The column headers table i shows, in order (its label, else the column's name)."""
    proto = at.dataframe[i].proto
    config = json.loads(proto.columns)
    return [config.get(c, {}).get("label") or c for c in proto.column_order]


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
        ("ads", "Click-to-Messenger ad", "No Click-to-Messenger contacts or ad spend"),
        ("links", "m.me link and QR code", "No m.me link or QR code referrals"),
        ("comments", "Comment reply", "No comments or private replies"),
    ],
)
def test_a_channel_filter_that_leaves_a_page_out_says_so(open_app, demo_db, page, channel, message):
    """With only Organic chosen, "Widen the date range" cannot help: the filter is the cause."""
    at = show(open_app(demo_db, channel="organic"), page)
    (info,) = [i.value for i in at.info]
    assert info.startswith(message)
    assert f"The channel filter leaves out {channel}: add it" in info
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
    assert at.info[0].value == (
        "No contacts match. Widen the date range or clear the search and the page and channel "
        "filters."
    )


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
