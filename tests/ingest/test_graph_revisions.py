"""`refscope pull ads` against a fake Graph API on 127.0.0.1: what a repull replaces and removes
(revised numbers, days and ads Meta no longer returns), never another account's, and how far
back a first pull goes."""

from __future__ import annotations

import datetime as dt
import os
import time
from pathlib import Path
from typing import Any

import duckdb
import pytest

import tests.factories as f
from ingest import pipeline
from ingest.graph import GraphError
from tests.ingest.graph_setup import TODAY, FakeGraph, days, pull


def test_a_pull_removes_nothing_of_another_accounts_same_days(
    graph: FakeGraph, db_path: Path, query: Any
) -> None:
    """Rows a pull's answer does not hold go only for the account pulled: another account's
    ads are not in its answer."""
    con = duckdb.connect(str(db_path))
    try:
        other = "INSERT INTO ad_insights (date, ad_id, account_id, spend) VALUES (?, '9', '555', 1)"
        con.executemany(other, [[TODAY - dt.timedelta(days=d)] for d in range(5)])
    finally:
        con.close()
    graph.rows = days(5)
    pull(graph, db_path, since=TODAY - dt.timedelta(days=4))
    assert query.scalar("SELECT count(*) FROM ad_insights WHERE account_id = '555'") == 5
    assert query.scalar("SELECT count(*) FROM ad_insights WHERE account_id = '1234567890'") == 10


def test_a_repull_replaces_revised_numbers(graph: FakeGraph, db_path: Path, query: Any) -> None:
    graph.rows = days(30)
    pull(graph, db_path, since=TODAY - dt.timedelta(days=29))
    for r in graph.rows:
        r["spend"] = "99.00"
    res = pull(graph, db_path)  # default: the last 28 days again
    assert res.since == TODAY - dt.timedelta(days=28)
    assert query.scalar("SELECT count(*) FROM ad_insights") == 60
    assert query.scalar("SELECT count(*) FROM ad_insights WHERE spend = 99") == 2 * 29
    assert query.scalar("SELECT min(date) FROM ad_insights WHERE spend = 99") == res.since


def test_a_first_pull_of_an_account_goes_90_days_back_whatever_others_pulled(
    graph: FakeGraph, db_path: Path, query: Any
) -> None:
    """Another account's days say nothing of this one's: started from them, its first pull
    would leave out the 60 days before them for good."""
    con = duckdb.connect(str(db_path))
    try:
        other = "INSERT INTO ad_insights (date, ad_id, account_id, spend) VALUES (?, '9', '555', 1)"
        con.execute(other, [TODAY - dt.timedelta(days=2)])
    finally:
        con.close()
    graph.rows = days(100)
    res = pull(graph, db_path)
    assert res.since == TODAY - dt.timedelta(days=90)
    assert query.scalar("SELECT count(*) FROM ad_insights WHERE account_id = '1234567890'") == 182


@pytest.mark.parametrize(
    ("gone", "repull"),
    [({(2, "602")}, {"since": 1}), ({(0, "602"), (4, "601")}, {"since": 0, "until": 4})],
    ids=["a-middle-day", "the-first-and-last-days"],
)
def test_a_day_and_ad_meta_no_longer_returns_is_removed_on_repull(
    graph: FakeGraph,
    db_path: Path,
    query: Any,
    gone: set[tuple[int, str]],
    repull: dict[str, int],
) -> None:
    """Meta leaves out a day and ad with no delivery: one revised to nothing stops coming, on
    any day of the re-pull; its days count from --since to --until, both included. (`gone`:
    days after the first pulled day, and ad; `repull`: its --since/--until the same way.)"""
    graph.rows = days(5)
    since = TODAY - dt.timedelta(days=4)
    pull(graph, db_path, since=since)
    con = duckdb.connect(str(db_path))
    try:  # another account's row on the same days stays
        con.execute("""INSERT INTO ad_insights (date, ad_id, account_id, spend)
                       VALUES (?, '999', '555', 1.0)""", [since])  # fmt: skip
    finally:
        con.close()
    gone_rows = {(str(since + dt.timedelta(days=d)), ad) for d, ad in gone}
    graph.rows = [r for r in graph.rows if (r["date_start"], r["ad_id"]) not in gone_rows]
    pull(graph, db_path, **{k: since + dt.timedelta(days=d) for k, d in repull.items()})
    left = query("SELECT CAST(date AS VARCHAR), ad_id FROM ad_insights")
    assert len(left) == 11 - len(gone) and not gone_rows & set(left)
    assert query.scalar("SELECT count(*) FROM ad_insights WHERE account_id = '1234567890'") == (
        10 - len(gone)
    )
    assert query.scalar("SELECT count(*) FROM ad_insights WHERE account_id = '555'") == 1
    graph.rows = []  # a failed pull removes nothing
    graph.faults = {len(graph.requests) + 1: (400, 100, None)}
    with pytest.raises(GraphError):
        pull(graph, db_path, since=since)
    assert query.scalar("SELECT count(*) FROM ad_insights") == 11 - len(gone)


def test_a_repull_of_an_account_without_recent_delivery_starts_28_days_before_the_last_pull(
    graph: FakeGraph, db_path: Path, query: Any
) -> None:
    """The days a pull asked for (`ad_pulls`) are pulled, also those Meta sent no row of: an
    account whose ads stopped delivering 60 days ago was asked again from 28 days before its
    last row at every pull, 88 days, not the 28 days Meta still revises."""
    graph.rows = [r for r in days(90) if r["date_start"] <= str(TODAY - dt.timedelta(days=60))]
    first = pull(graph, db_path)
    assert first.since == TODAY - dt.timedelta(days=90) and first.until == TODAY
    res = pull(graph, db_path)
    assert res.since == TODAY - dt.timedelta(days=28)
    assert query.scalar("SELECT count(*) FROM ad_insights") == 2 * 30  # kept: not re-pulled
    # A later pull asked for an earlier range only: the last day asked for still counts.
    pull(graph, db_path, since=TODAY - dt.timedelta(days=80), until=TODAY - dt.timedelta(days=70))
    assert pull(graph, db_path).since == TODAY - dt.timedelta(days=28)


def test_a_row_stored_after_the_last_pulled_day_counts_as_pulled_too(
    graph: FakeGraph, db_path: Path
) -> None:
    """Rows from an insights file (no `ad_pulls`) later than the last day a pull asked for: the
    re-pull starts 28 days before them, as before `ad_pulls` counted."""
    graph.rows = days(10)
    pull(graph, db_path, since=TODAY - dt.timedelta(days=60), until=TODAY - dt.timedelta(days=50))
    con = duckdb.connect(str(db_path))
    try:
        con.execute("INSERT INTO ad_insights (date, ad_id, account_id, spend) "
                    "VALUES (?, '9', '1234567890', 1)", [TODAY - dt.timedelta(days=5)])  # fmt: skip
    finally:
        con.close()
    assert pull(graph, db_path).since == TODAY - dt.timedelta(days=33)


def test_a_repull_removes_a_day_an_export_without_account_id_held_of_the_accounts_ad(
    graph: FakeGraph, db_path: Path, log_dir: Path, query: Any
) -> None:
    """An export saved without account_id (the fields asked left it out) stored its rows of no
    account: a pull of the ad's account that no longer holds one of their days (revised to no
    delivery) left it, its spend counted on. The ad is the account's when the answer names it,
    or a stored row of the account does (602: pulled before, idle since); an ad neither names
    (9: another account's, maybe) keeps its rows."""
    since = TODAY - dt.timedelta(days=4)
    con = duckdb.connect(str(db_path))
    try:
        con.execute(
            """INSERT INTO ad_insights (date, ad_id, account_id, spend)
                       VALUES (?, '602', '1234567890', 1.0)""",
            [since - dt.timedelta(days=9)],
        )
    finally:
        con.close()
    export = [{k: v for k, v in r.items() if k != "account_id"} for r in days(5, ("601", "9"))]
    gone = str(since + dt.timedelta(days=2))
    export.append({k: v for k, v in days(3, ("602",))[0].items() if k != "account_id"})
    log = f.write_ndjson(log_dir / "export.ndjson", [{"data": export}])
    os.utime(log, (time.time() - 86400,) * 2)
    assert pipeline.run([str(log)], db_path).insights_added == 11
    graph.rows = [r for r in days(5, ("601",)) if r["date_start"] != gone]
    pull(graph, db_path, since=since)
    assert query("SELECT CAST(date AS VARCHAR), ad_id FROM ad_insights WHERE ad_id <> '9' "
                 "AND date >= ? ORDER BY 1", since) == [
        (str(since + dt.timedelta(days=d)), "601") for d in (0, 1, 3, 4)]  # fmt: skip
    assert query.scalar("SELECT count(*) FROM ad_insights WHERE ad_id = '9'") == 5
    assert query.scalar("SELECT count(*) FROM ad_insights WHERE account_id IS NULL") == 5
