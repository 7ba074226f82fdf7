"""Ad insights read from log files: Graph API answer pages or single rows, one per line."""

from __future__ import annotations

import datetime as dt
import gzip
import os
from pathlib import Path

import pytest
from click.testing import CliRunner

import tests.factories as f
from dashboard.cli import cli
from ingest import db, graph, insight_rows, pipeline
from ingest.errors import RefscopeError
from tests.conftest import IngestLines, Query
from tests.ingest.insight_setup import PULLED, STARTED, older_than_a_pull, page, row


def test_pages_and_single_rows_land_in_ad_insights_beside_webhooks(
    ingest_lines: IngestLines, query: Query
) -> None:
    started = [{"action_type": "link_click", "value": "20"},
               {"action_type": STARTED, "value": "3"}]  # fmt: skip
    res = ingest_lines([
        page(row(account_id="1234", ad_name="Autumn", impressions="1000", clicks="20",
                 actions=started),
             row("2026-11-03", spend="0.5")),
        row("2026-11-04", ad_id="6000000000002", spend="7"),
        f.delivery(f.message("hi")),
    ])  # fmt: skip
    assert query(
        """SELECT date, ad_id, ad_name, account_id, spend, impressions, clicks,
                  conversations_started FROM ad_insights ORDER BY date"""
    ) == [
        (dt.date(2026, 11, 2), "6000000000001", "Autumn", "1234", 12.34, 1000, 20, 3),
        (dt.date(2026, 11, 3), "6000000000001", None, None, 0.5, None, None, None),
        (dt.date(2026, 11, 4), "6000000000002", None, None, 7.0, None, None, None),
    ]
    assert (res.insights_added, res.events_added, res.rejects_added) == (3, 1, 0)
    assert query("SELECT count(*) FROM rejects") == [(0,)]


def test_a_webhook_body_holding_the_same_keys_is_still_a_webhook_body(
    ingest_lines: IngestLines, query: Query
) -> None:
    body = f.delivery(f.message("hi"))
    res = ingest_lines([{**body, "data": [row()]}, {**body, "date_start": "2026-11-02"}])
    assert query("SELECT count(*) FROM ad_insights") == [(0,)]
    assert res.events_parsed == 2 and res.rejects_added == 0


def test_a_grown_file_adds_its_new_pages_and_a_rerun_changes_nothing(
    ingest_lines: IngestLines, query: Query, db_path: Path, log_dir: Path
) -> None:
    ingest_lines([page(row("2026-11-02"))], "ads.ndjson")
    before = query.tables()
    assert pipeline.run([str(log_dir / "ads.ndjson")], db_path).insights_added == 0
    assert query.tables() == before
    res = ingest_lines([page(row("2026-11-03", spend="4"))], "ads.ndjson", append=True)
    assert res.insights_added == 1
    assert query("SELECT date, spend FROM ad_insights ORDER BY date") == [
        (dt.date(2026, 11, 2), 12.34), (dt.date(2026, 11, 3), 4.0)]  # fmt: skip


def test_newer_insights_win_whichever_is_read_last(
    db_path: Path, log_dir: Path, query: Query
) -> None:
    """A file's rows are as of its last change: an older export read later does not undo a
    later pull, and a newer file replaces what an older one stored."""
    old = older_than_a_pull(
        db_path, log_dir, [row(spend="30")], [page(row(spend="10"), row("2026-11-03"))]
    )
    assert pipeline.run([str(old)], db_path).insights_added == 1  # only the day not held
    assert query("SELECT date, spend FROM ad_insights ORDER BY date") == [
        (dt.date(2026, 11, 2), 30.0), (dt.date(2026, 11, 3), 12.34)]  # fmt: skip
    new = f.write_ndjson(log_dir / "new.ndjson", [page(row(spend="31"))])
    assert pipeline.run([str(new)], db_path).insights_added == 1
    assert query("SELECT spend, pulled_at > ? FROM ad_insights WHERE date = '2026-11-02'",
                 PULLED) == [(31.0, True)]  # fmt: skip


def test_the_summary_counts_the_insights_rows(
    runner: CliRunner, log_dir: Path, db_path: Path
) -> None:
    log = f.write_ndjson(log_dir / "ads.ndjson", [page(row(), row("2026-11-03"))])
    out = runner.invoke(cli, ["ingest", str(log), "--db", str(db_path)])
    assert out.exit_code == 0, out.output
    assert "1 line, 0 events (0 new, 0 duplicates), 2 ad insights rows, 0 rejects" in out.output


def test_of_two_files_read_in_one_run_the_newer_wins_whichever_is_read_last(
    db_path: Path, log_dir: Path, query: Query
) -> None:
    """As when the two are read in two runs: the newer export's day and ad is kept, also when
    the older file comes later in the run's order (by name)."""
    new = f.write_ndjson(log_dir / "a-new.ndjson", [page(row(spend="31"))])
    old = f.write_ndjson(log_dir / "b-old.ndjson", [page(row(spend="10"), row("2026-11-03"))])
    week_ago = dt.datetime(2026, 11, 20).timestamp()
    os.utime(old, (week_ago, week_ago))
    res = pipeline.run([str(new), str(old)], db_path)
    assert res.insights_added == 2
    assert query("SELECT date, spend FROM ad_insights ORDER BY date") == [
        (dt.date(2026, 11, 2), 31.0), (dt.date(2026, 11, 3), 12.34)]  # fmt: skip


def test_an_account_id_with_act_is_stored_without_it_as_pull_ads_stores_it(
    ingest_lines: IngestLines, query: Query, db_path: Path
) -> None:
    """`pull ads --account act_1` finds and replaces its account's rows by the bare id: a row of
    a file naming its account `act_1` (as the API path and Ads Manager do) is that account's."""
    ingest_lines([page(row(account_id="act_1"), row("2026-11-03", account_id="1"))])
    assert query("SELECT DISTINCT account_id FROM ad_insights") == [("1",)]
    con = db.connect(db_path, read_only=True)
    try:
        assert graph.default_since(con, "act_1", dt.date(2026, 11, 20)) == dt.date(2026, 10, 6)
    finally:
        con.close()


def test_a_resumed_run_counts_the_insights_rows_of_its_interrupted_part(
    db_path: Path, log_dir: Path, query: Query, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The summary of a resumed run says its counts include the interrupted part: the ad
    insights rows stored before the stop too (it said none), and ingest_runs records them."""
    monkeypatch.setenv("REFSCOPE_INGEST_BATCH", "64")  # a.ndjson commits before b.gz is read
    f.write_ndjson(log_dir / "a.ndjson", [page(row(), row("2026-11-03"))])
    bad = log_dir / "b.ndjson.gz"
    bad.write_bytes(gzip.compress(b'{"object":"page"}\n' * 100, mtime=0)[:10] + b"\xff" * 40)
    with pytest.raises(RefscopeError, match="run 1 stays open"):
        pipeline.run([str(log_dir)], db_path)
    assert query("SELECT count(*) FROM ad_insights") == [(2,)]
    bad.unlink()
    res = pipeline.run([str(log_dir)], db_path)
    assert (res.resumed, res.insights_added) == (True, 2)
    assert query("SELECT insights_added FROM ingest_runs") == [(2,)]


def test_the_summary_says_which_insights_rows_were_not_stored_as_older_than_those_held(
    runner: CliRunner, log_dir: Path, db_path: Path, query: Query
) -> None:
    """An export older than a pull, read after it: its lines became no row and no reject, and
    the summary said "2 lines, 0 events (0 new, 0 duplicates), 0 rejects"."""
    held = [row(spend="30"), row("2026-11-03")]
    old = older_than_a_pull(
        db_path, log_dir, held, [page(row(), row("2026-11-03")), row("2026-11-04")]
    )
    out = runner.invoke(cli, ["ingest", str(old), "--db", str(db_path)])
    assert out.exit_code == 0, out.output
    assert (
        "2 lines, 0 events (0 new, 0 duplicates), 1 ad insights row (2 not newer than those "
        "held, not stored), 0 rejects"
    ) in out.output
    assert query("SELECT insights_added, insights_not_newer FROM ingest_runs") == [(1, 2)]


def test_only_a_later_pull_of_the_rows_account_and_day_keeps_a_file_row_out(
    db_path: Path, log_dir: Path, query: Query
) -> None:
    """A pull left out the days it covered that Meta revised to no delivery: a file older than
    the pull does not bring them back, its first day and its last. A pull of another account,
    of other days, or made before the file was written (or as it was: as new, the file wins),
    keeps nothing out."""
    pulled = dt.datetime(2026, 11, 20, 12, 0)
    earlier, written = pulled - dt.timedelta(days=2), pulled - dt.timedelta(days=1)
    con = db.connect(db_path)
    try:
        con.executemany("INSERT INTO ad_pulls VALUES (?, ?, ?, ?)", [
            ("1234", dt.date(2026, 11, 2), dt.date(2026, 11, 3), pulled),
            ("9999", dt.date(2026, 11, 4), dt.date(2026, 11, 4), pulled),
            ("1234", dt.date(2026, 11, 6), dt.date(2026, 11, 6), earlier),
            ("1234", dt.date(2026, 11, 7), dt.date(2026, 11, 7), written),
        ])  # fmt: skip
    finally:
        con.close()
    days = ["2026-11-02", "2026-11-03", "2026-11-04", "2026-11-05", "2026-11-06", "2026-11-07"]
    log = f.write_ndjson(log_dir / "export.ndjson", [page(*(row(d, account_id="1234")
                                                           for d in days))])  # fmt: skip
    os.utime(log, (written.replace(tzinfo=dt.UTC).timestamp(),) * 2)
    assert pipeline.run([str(log)], db_path).insights_added == 4
    assert query("SELECT CAST(date AS VARCHAR) FROM ad_insights ORDER BY 1") == [
        ("2026-11-04",), ("2026-11-05",), ("2026-11-06",), ("2026-11-07",)]  # fmt: skip
    assert query("SELECT DISTINCT pulled_at FROM ad_insights") == [(written,)]


def test_an_older_file_without_account_id_does_not_bring_back_a_day_a_pull_left_out(
    db_path: Path, log_dir: Path, query: Query
) -> None:
    """A pull of account 1234 left out 2026-11-03 of its ad (revised to no delivery): an export
    written before it, saved without account_id, brought the day back, its spend counted
    again. Its ad is the account's (a stored row of the account names it). An ad no row of
    the account names stays unknown: its row is stored."""
    con = db.connect(db_path)
    try:
        con.execute("INSERT INTO ad_pulls VALUES ('1234', '2026-11-02', '2026-11-04', ?)",
                    [PULLED])  # fmt: skip
        with db.transaction(con):
            insight_rows.store(con, [insight_rows.insight_row(row(d, account_id="1234"), PULLED)
                                     for d in ("2026-11-02", "2026-11-04")])  # fmt: skip
    finally:
        con.close()
    lines = [page(row("2026-11-03"), row("2026-11-03", ad_id="7000000000001"))]
    log = f.write_ndjson(log_dir / "export.ndjson", lines)
    os.utime(log, (PULLED.timestamp() - 86400,) * 2)
    assert pipeline.run([str(log)], db_path).insights_added == 1
    assert query("SELECT CAST(date AS VARCHAR), ad_id FROM ad_insights ORDER BY 1, 2") == [
        ("2026-11-02", "6000000000001"), ("2026-11-03", "7000000000001"),
        ("2026-11-04", "6000000000001")]  # fmt: skip


def test_the_summary_says_so_when_no_insights_row_was_newer_than_those_held(
    runner: CliRunner, log_dir: Path, db_path: Path
) -> None:
    """An export wholly older than a pull: "0 ad insights rows (2 not newer …)" explains its
    lines, which would otherwise have gone nowhere ("2 lines, 0 events, 0 rejects")."""
    old = older_than_a_pull(
        db_path, log_dir, [row(spend="30"), row("2026-11-03")], [row(), row("2026-11-03")]
    )
    out = runner.invoke(cli, ["ingest", str(old), "--db", str(db_path)])
    assert out.exit_code == 0, out.output
    assert (
        "2 lines, 0 events (0 new, 0 duplicates), 0 ad insights rows (2 not newer than those "
        "held, not stored), 0 rejects"
    ) in out.output, out.output
