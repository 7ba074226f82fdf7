"""Retention's and the Contacts page's queries against real databases: who came back, and the
rows behind every number, each recomputed in Python from the raw tables."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import replace

import duckdb
import pandas as pd
import pytest

from dashboard import queries
from dashboard.filters import Filters
from dashboard.retention_queries import of_channel
from ingest import pipeline
from tests import factories as fx
from tests.dashboard.conftest import opened
from tests.dashboard.reference import (
    Row,
    acquired,
    came_back,
    day_of,
    message_days,
    nan_or,
    num,
    num_or_text,
)

# --- retention ---------------------------------------------------------------------------------


def data_end(con: duckdb.DuckDBPyConnection) -> dt.date:
    """The newest event's day, unless that is today (UTC): a day not over yet has not passed."""
    (day,) = con.execute("SELECT CAST(max(ts) AS DATE) FROM events").fetchone()
    return min(day, dt.datetime.now(dt.UTC).date() - dt.timedelta(days=1))


def elapsed(c: Row, days: int, end: dt.date) -> bool:
    """The contact's first `days` days after acquisition are all before the data ends."""
    return c["first_seen_at"].date() + dt.timedelta(days=days) <= end


def share(back: int, of: int) -> float | None:
    return back / of if of else None


def test_cohorts_share_who_messaged_again_each_week(con, demo_contacts, filters):
    days, end = message_days(con), data_end(con)
    groups: dict[tuple[dt.date, str], list[Row]] = defaultdict(list)
    for c in acquired(demo_contacts, filters):
        first = c["first_seen_at"].date()
        groups[first - dt.timedelta(days=first.weekday()), c["channel"]].append(c)
    df = queries.cohorts(con, filters)
    assert len(df) == len(groups)
    unfinished = 0
    for r in df.to_dict("records"):
        cs = groups[day_of(r["cohort_week"]), r["channel"]]
        assert r["contacts"] == len(cs)
        for w in queries.RETENTION_WEEKS:
            # Only contacts whose week w has ended count: not back yet is not "did not return".
            done = [c for c in cs if elapsed(c, 7 * w, end)]
            unfinished += len(cs) - len(done)
            back = 0
            for c in done:
                first = c["first_seen_at"].date()
                weeks = {
                    ((d - first).days - 1) // 7 + 1
                    for d in days[c["page_id"], c["psid"]]
                    if d > first
                }
                back += w in weeks
            assert num(r[f"week_{w}"]) == pytest.approx(share(back, len(done))), (
                r["cohort_week"], w)  # fmt: skip
            # The weight of week_w when channels are combined: those whose week w has ended.
            assert r[f"past_week_{w}"] == len(done), (r["cohort_week"], w)
    assert df["week_1"].sum() > 0 and unfinished > 0


def test_cohorts_of_one_channel_are_its_rows_of_every_channels(con, filters):
    """The Retention page's download of a picked channel (of_channel of every channel's rows):
    the rows the channel filter alone gives, and only those."""
    every = queries.cohorts(con, filters)
    assert every["channel"].nunique() > 1
    for channel in every["channel"].unique():
        alone = replace(filters, channels=(channel,))
        pd.testing.assert_frame_equal(of_channel(every, channel), queries.cohorts(con, alone))
    assert of_channel(every, "no_such_channel").empty
    assert of_channel(every, None) is every


def test_returns_by_channel_share_who_came_back_and_read_rate(con, demo_contacts, filters):
    days = message_days(con)
    by_channel: dict[str, list[Row]] = defaultdict(list)
    for c in acquired(demo_contacts, filters):
        by_channel[c["channel"]].append(c)
    df = queries.returns_by_channel(con, filters)
    assert sorted(df["channel"]) == sorted(by_channel)
    end = data_end(con)
    for r in df.to_dict("records"):
        cs = by_channel[r["channel"]]
        assert r["contacts"] == len(cs)
        for n in queries.RETURN_DAYS:
            done = [c for c in cs if elapsed(c, n, end)]
            back = sum(came_back(c, days, n) for c in done)
            assert num(r[f"d{n}"]) == pytest.approx(share(back, len(done))), (r["channel"], n)
        sent = sum(c["page_message_count"] for c in cs)
        read = sum(c["page_messages_read"] for c in cs)
        assert num(r["read_rate"]) == (nan_or(read / sent) if sent else None)
    assert any(not elapsed(c, 30, end) for cs in by_channel.values() for c in cs)
    # d1 <= d7 <= d30 need not hold: each is among the contacts whose own window has passed.
    assert 0 < df["d7"].max()


def test_cohorts_count_two_contacts_whose_ids_run_together_as_two(tmp_path):
    """Page 345's PSID 12 and page 45's PSID 123 both read "12345" when their ids are joined."""
    day = fx.T0 + 20 * fx.DAY
    log = fx.write_ndjson(tmp_path / "logs" / "w.ndjson", [
        fx.delivery(fx.message("hi", psid="12", ts=day), page_id="345"),
        fx.delivery(fx.message("hi", psid="123", ts=day + 1), page_id="45"),
    ])  # fmt: skip
    path = tmp_path / "r.duckdb"
    pipeline.run([str(log)], path)
    with opened(path) as c:
        start = fx.utc(day).date()
        (week,) = queries.cohorts(c, Filters(start, start)).to_dict("records")
    assert week["contacts"] == 2


def test_a_contact_acquired_at_midnight_is_that_days_alone(tmp_path):
    """A day runs from 00:00:00.000 UTC up to the next day's: a contact arriving on that instant
    is the new day's, counted in a range that starts on it and not in one that ends before."""
    midnight = fx.T0 - fx.T0 % fx.DAY + 2 * fx.DAY
    log = fx.write_ndjson(tmp_path / "logs" / "w.ndjson", [
        fx.delivery(fx.message("hi", psid="u1", ts=midnight - 12 * fx.HOUR)),
        fx.delivery(fx.message("hi", psid="u2", ts=midnight)),
    ])  # fmt: skip
    path = tmp_path / "r.duckdb"
    pipeline.run([str(log)], path)
    day = fx.utc(midnight).date()
    before = day - dt.timedelta(days=1)
    with opened(path) as c:
        for f in (Filters(day, day), Filters(before, before)):
            (row,) = queries.returns_by_channel(c, f).to_dict("records")
            assert row["contacts"] == 1, f
            (week,) = queries.cohorts(c, f).to_dict("records")
            assert week["contacts"] == 1, f


def test_a_psid_coming_back_on_another_page_is_not_a_return(tmp_path):
    """PSIDs are page-scoped: the same id messaging another page later is another contact."""
    log = fx.write_ndjson(tmp_path / "logs" / "w.ndjson", [
        fx.delivery(fx.message("hi", psid="u1", ts=fx.T0)),
        fx.delivery(fx.message("hi", psid="u1", ts=fx.T0 + 2 * fx.DAY, page_id=fx.OTHER_PAGE_ID),
                    page_id=fx.OTHER_PAGE_ID),
        fx.delivery(fx.message("hi", psid="u9", ts=fx.T0 + 40 * fx.DAY)),  # the data ends later
    ])  # fmt: skip
    path = tmp_path / "r.duckdb"
    pipeline.run([str(log)], path)
    day = fx.utc(fx.T0).date()
    f = Filters(day, day, pages=(fx.PAGE_ID,))
    with opened(path) as c:
        (row,) = queries.returns_by_channel(c, f).to_dict("records")
        (week,) = queries.cohorts(c, f).to_dict("records")
    assert row["contacts"] == 1 and (row["d1"], row["d7"], row["d30"]) == (0, 0, 0)
    assert week["contacts"] == 1 and week["week_1"] == 0


def test_a_return_on_the_data_s_last_day_counts_for_the_week_it_ends(tmp_path):
    """A week ending on the data's last day has passed: a return on that day is counted."""
    log = fx.write_ndjson(tmp_path / "logs" / "w.ndjson", [
        fx.delivery(fx.message("hi", psid="u1", ts=fx.T0)),
        fx.delivery(fx.message("again", psid="u1", ts=fx.T0 + 7 * fx.DAY)),
    ])  # fmt: skip
    path = tmp_path / "r.duckdb"
    pipeline.run([str(log)], path)
    day = fx.utc(fx.T0).date()
    with opened(path) as c:
        (week,) = queries.cohorts(c, Filters(day, day)).to_dict("records")
        (row,) = queries.returns_by_channel(c, Filters(day, day)).to_dict("records")
    assert (week["contacts"], week["week_1"], week["past_week_1"]) == (1, 1, 1)
    assert pd.isna(week["week_2"]) and row["d7"] == 1


# --- contact rows ------------------------------------------------------------------------------


def test_a_day_not_over_yet_has_not_passed_for_retention(tmp_path):
    """Data up to this morning: yesterday's contact has not had its first day after yet."""
    today = dt.datetime.now(dt.UTC).replace(hour=0, minute=0, second=0, microsecond=0, tzinfo=None)
    yesterday = today - dt.timedelta(days=1)
    ms = lambda t: int(t.replace(tzinfo=dt.UTC).timestamp() * 1000)  # noqa: E731
    log = fx.write_ndjson(tmp_path / "logs" / "w.ndjson", [
        fx.delivery(fx.message("hi", psid="7001", ts=ms(yesterday + dt.timedelta(hours=10)))),
        fx.delivery(fx.message("hi", psid="7002", ts=ms(today))),
    ])  # fmt: skip
    path = tmp_path / "r.duckdb"
    pipeline.run([str(log)], path)
    with opened(path) as c:
        f = Filters(yesterday.date(), today.date())
        (row,) = queries.returns_by_channel(c, f).to_dict("records")
        assert (row["channel"], row["contacts"]) == ("organic", 2)
        assert all(pd.isna(row[k]) for k in ("d1", "d7", "d30"))  # not 0%: nobody's day passed
        # On a Monday, yesterday is the last day of the week before: a cohort week each.
        weeks = queries.cohorts(c, f).to_dict("records")
        assert len(weeks) == (2 if today.weekday() == 0 else 1)
        assert sum(w["contacts"] for w in weeks) == 2
        assert all(pd.isna(w["week_1"]) for w in weeks)  # neither week is over


def test_contact_rows_are_the_acquired_contacts_newest_first(con, demo_contacts, filters):
    want = {(c["page_id"], c["psid"]): c for c in acquired(demo_contacts, filters)}
    df = queries.contact_rows(con, filters)
    assert len(df) == len(want)
    for r in df.to_dict("records"):
        c = want[r["page_id"], r["psid"]]
        assert (r["channel"], num_or_text(r["ref"]), r["message_count"]) == (
            c["channel"],
            c["ref"],
            c["message_count"],
        )
        assert r["engaged"] == (c["second_message_at"] is not None)
    assert df["first_seen_at"].is_monotonic_decreasing


@pytest.mark.parametrize("search", ["site_footer", "SOURDOUGH", "QR_", "_"], ids=str.lower)
def test_contact_search_matches_psid_ref_ad_title_or_page_case_insensitively(
    con, demo_contacts, filters, search
):
    # An ad's title is also that of the contacts whose referral carried none.
    titles: dict[str, str] = {}
    for c in demo_contacts:
        if c["ad_title"] is not None:
            titles[c["ad_id"]] = max(titles.get(c["ad_id"], ""), c["ad_title"])

    def hit(c: Row) -> bool:
        fields = (c["psid"], c["ref"], c["ad_title"] or titles.get(c["ad_id"]), c["referer_uri"])
        return any(v is not None and search.lower() in v.lower() for v in fields)

    want = {(c["page_id"], c["psid"]) for c in acquired(demo_contacts, filters) if hit(c)}
    df = queries.contact_rows(con, filters, search)
    assert set(zip(df["page_id"], df["psid"], strict=True)) == want and want


def test_contact_rows_name_each_ad_as_the_ads_page_does(con, filters):
    """A referral without ads_context_data has no title of its own: the row shows the title
    the Ads page gives its ad (it showed none), and a search by that title finds every contact
    the Ads page counts for it."""
    ads = queries.ads(con, filters)
    rows = queries.contact_rows(con, filters)
    ad_rows = rows[rows["channel"] == "ctm_ad"]
    titles = dict(zip(ads["ad_id"], ads["ad_title"], strict=True))
    assert list(ad_rows["ad_title"]) == [titles[a] for a in ad_rows["ad_id"]]
    for ad in ads[ads["new_contacts"] > 0].itertuples():
        found = queries.contact_rows(con, filters, ad.ad_title)
        assert len(found[found["ad_id"] == ad.ad_id]) == ad.new_contacts, ad.ad_title


def test_contact_search_by_psid_finds_that_contact(con, demo_contacts, filters):
    c = acquired(demo_contacts, filters)[0]
    df = queries.contact_rows(con, filters, c["psid"])
    assert list(df["psid"]) == [c["psid"]]
