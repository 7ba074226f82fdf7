"""The pages' filters: range presets (newest whole day, prune date, calendar months) and the
filters a URL's query parameters choose."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd
import pytest

from dashboard import queries, query_parts, store
from dashboard.filters import Filters
from ingest import db, pipeline, retention
from tests import factories as fx
from tests.dashboard.conftest import build_pruned_db
from tests.dashboard.screen import metric, show, shown


def _a_message_a_day_to_today(tmp_path: Path, after: int) -> tuple[dt.datetime, Path]:
    """A database of three people's first messages, one a day, `after` ms past 00:00 UTC of
    today and the two days before; returns now (UTC) and its path."""
    now = dt.datetime.now(dt.UTC)
    today = int(now.replace(hour=0, minute=0, second=0, microsecond=0).timestamp() * 1000)
    path, logs = tmp_path / "live.duckdb", tmp_path / "logs"
    lines = [fx.delivery(fx.message("hi", psid=f"u{i}", ts=today - i * fx.DAY + after))
             for i in range(3)]  # fmt: skip
    pipeline.run([str(fx.write_ndjson(logs / "a.ndjson", lines))], path)
    return now, path


def test_presets_end_on_the_newest_whole_day_not_on_today(open_app, tmp_path):
    """With `ingest --follow`, today's events are in: a preset still ends yesterday, as a
    report does (seven hours of today against whole days would read as a fall every morning),
    and Custom reaches today."""
    now, path = _a_message_a_day_to_today(tmp_path, fx.MINUTE)
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


def test_a_custom_range_open_while_a_prune_runs_moves_inside_the_data(open_app, tmp_path):
    """A session on a custom range from the first day: a `refscope prune` moves the data's first
    day past it, and the next click raised StreamlitValueBelowMinError (the date picker kept
    dates before its new minimum) instead of showing the data left."""
    first = fx.utc(fx.T0).date()
    last = fx.utc(fx.T0 + 20 * fx.DAY).date()
    lines = [fx.delivery(fx.message("hi", psid=f"u{i}", ts=fx.T0 + i * 5 * fx.DAY))
             for i in range(5)]  # fmt: skip
    path = tmp_path / "pruned.duckdb"
    pipeline.run([str(fx.write_ndjson(tmp_path / "logs" / "a.ndjson", lines))], path)
    at = show(open_app(path, range="Custom", **{"from": str(first), "to": str(last)}), "overview")
    assert metric(at, "New contacts").value == "5"
    cut = fx.utc(fx.T0 + 10 * fx.DAY).date()
    con = db.connect(path)
    try:
        retention.prune(con, cut)
    finally:
        con.close()
    at.run()
    assert not at.exception, [e.message for e in at.exception]
    assert (at.query_params["from"], at.query_params["to"]) == (str(cut), str(last))
    assert metric(at, "New contacts").value == "3"  # those acquired on and after the cut


def test_a_prune_that_removes_nothing_still_refreshes_the_view(open_app, tmp_path):
    """`refscope prune --older-than 25m` from cron on younger data removes nothing, but from then
    on the data counts as pruned: the open view says so at once, not after the next ingest."""
    lines = [fx.delivery(fx.message("hi", psid=f"u{i}", ts=fx.T0 + i * fx.DAY)) for i in range(3)]
    path = tmp_path / "young.duckdb"
    pipeline.run([str(fx.write_ndjson(tmp_path / "logs" / "a.ndjson", lines))], path)
    at = show(open_app(path, range="Last 28 days"), "overview")
    assert not any("(pruned before)" in c.value for c in at.sidebar.caption)
    con = db.connect(path)
    try:
        retention.prune(con, fx.utc(fx.T0).date() - dt.timedelta(days=30))
        assert con.execute("SELECT count(*) FROM events").fetchone() == (3,)
    finally:
        con.close()
    at.run()
    assert not at.exception, [e.message for e in at.exception]
    assert any("(pruned before)" in c.value for c in at.sidebar.caption)


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
        (warning,) = [shown(w.value) for w in at.main.warning]
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
    (warning,) = [shown(w.value) for w in at.main.warning]
    assert "range 'Last 1000 days' is not one of" in warning
    assert "'fax' is not a channel" in warning and "no page '999'" in warning
    assert at.sidebar.multiselect[1].value == ["ctm_ad"]
    at.sidebar.selectbox[0].set_value("Last 7 days").run()  # said once, when opened
    assert not at.main.warning


def test_a_custom_link_outside_the_data_says_so(open_app, demo_db):
    at = show(open_app(demo_db, range="Custom", **{"from": "2001-01-01", "to": "2026-09-30"}),
              "overview")  # fmt: skip
    (warning,) = [shown(w.value) for w in at.main.warning]
    assert "from 2001-01-01 is outside the data" in warning and "2026-09-30" not in warning


def test_the_dashboards_own_links_raise_no_warning(open_app, demo_db):
    at = show(open_app(demo_db), "overview")
    at.sidebar.selectbox[0].set_value("Last 90 days").run()
    at.sidebar.multiselect[1].set_value(["ctm_ad"]).run()
    again = show(open_app(demo_db, **dict(at.query_params)), "overview")
    assert not again.main.warning
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


def test_a_new_utc_day_moves_the_presets_on_without_an_ingest(open_app, tmp_path, monkeypatch):
    """A dashboard left open overnight: at 00:00 UTC today's events become a whole day, so the
    presets end on it and Retention counts it as passed, with no ingest run in between to start
    the cache over."""
    now, path = _a_message_a_day_to_today(tmp_path, fx.HOUR)
    yesterday = now.date() - dt.timedelta(days=1)
    at = show(open_app(path, range="Last 7 days"), "overview")
    assert at.query_params["to"] == str(yesterday)
    assert metric(at, "New contacts").value == "2"
    assert pd.isna(store.fetch("returns_by_channel", Filters(yesterday, yesterday))["d1"].iloc[0])

    tomorrow = now.date() + dt.timedelta(days=1)
    monkeypatch.setattr(query_parts, "utc_today", lambda: tomorrow)
    at.run()
    assert not at.exception, [e.message for e in at.exception]
    assert at.query_params["to"] == str(now.date())  # today, a whole day now
    assert metric(at, "New contacts").value == "3"
    # Yesterday's contact has had its first day (today) and did not come back in it.
    assert store.fetch("returns_by_channel", Filters(yesterday, yesterday))["d1"].iloc[0] == 0


def test_a_links_values_are_said_as_given_not_as_markdown(open_app, demo_db):
    """A link's page or range value was put into the sidebar's warning as markdown: `__vip__`
    showed in bold and `:fire:` as an emoji. The warning quotes them as typed."""
    at = show(open_app(demo_db, range=":fire: days", page="__vip__"), "overview")
    (warning,) = [w.value for w in at.main.warning]
    assert "range ':fire: days' is not one of" in shown(warning)
    assert "no page '__vip__' in this database" in shown(warning)
    assert "__vip__" not in warning and ":fire:" not in warning, warning
