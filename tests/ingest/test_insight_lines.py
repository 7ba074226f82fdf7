"""Ad insights read from log files: Graph API answer pages or single rows, one per line."""

from __future__ import annotations

import datetime as dt
import gzip
import json
import os
from pathlib import Path

import pytest
from click.testing import CliRunner

import tests.factories as f
from dashboard.cli import cli
from ingest import db, graph, insight_rows, pipeline
from ingest.errors import RefscopeError
from tests.conftest import IngestLines, Query

STARTED = insight_rows.CONVERSATIONS_STARTED


def row(day: str = "2026-11-02", ad_id: str = "6000000000001", spend: object = "12.34",
        **more: object) -> dict[str, object]:  # fmt: skip
    return {"date_start": day, "date_stop": day, "ad_id": ad_id, "spend": spend, **more}


def page(*rows: object) -> dict[str, object]:
    return {"data": list(rows), "paging": {"cursors": {"before": "QVFI", "after": "QVFJ"}}}


PULLED = dt.datetime(2026, 11, 20, 12, 0)


def older_than_a_pull(
    db_path: Path, log_dir: Path, held: list[dict[str, object]], lines: list[object]
) -> Path:
    """The rows `held` stored by a pull of act_1 at PULLED, and an export of `lines` written a
    day before it: log_dir/old.ndjson."""
    con = db.connect(db_path)
    with db.transaction(con):
        insight_rows.store(con, [insight_rows.insight_row(r, PULLED, "act_1") for r in held])
    con.close()
    old = f.write_ndjson(log_dir / "old.ndjson", lines)
    os.utime(old, (PULLED.timestamp() - 86400, PULLED.timestamp() - 86400))
    return old


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


def test_a_line_with_a_bad_row_is_rejected_whole_and_says_which_row(
    ingest_lines: IngestLines, query: Query
) -> None:
    res = ingest_lines([
        page(row(), {"date_start": "2026-11-03"}),
        page(row(), "not a row"),
        row("02/11/2026"),
        {"date_start": "2026-11-02", "spend": "1"},
        {"data": []},
    ])  # fmt: skip
    assert query("SELECT line_no, reason FROM rejects ORDER BY line_no") == [
        (1, "data[1]: insights row without ad_id"),
        (2, "data[1]: insights row is not an object"),
        (3, "insights row with date_start that is not a date (YYYY-MM-DD)"),
        (4, "insights row without ad_id"),
        (5, "insights page without rows"),
    ]
    assert query("SELECT count(*) FROM ad_insights") == [(0,)]  # nothing of a rejected line
    assert res.rejects_by_reason["insights row without ad_id"] == 2


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


def test_a_rejected_page_keeps_no_access_token(ingest_lines: IngestLines, query: Query) -> None:
    """A page saved from curl or the Graph API Explorer has paging.next holding the token that
    asked for it: a rejected line keeps its text, never the token (nor a cut-off page's)."""
    token = "EAAGm0PX4ZCpsBAKZAtokenZDZD"
    nxt = f"https://graph.facebook.com/v23.0/act_1/insights?access_token={token}&after=QVFJ"
    res = ingest_lines([
        {"data": [], "paging": {"next": nxt}},
        {"data": [{"date_start": "2026-11-02", "campaign_id": "1"}], "paging": {"next": nxt}},
        json.dumps({"data": [row()], "paging": {"next": nxt}})[:-3],  # cut off
    ])  # fmt: skip
    assert res.rejects_added == 3
    raws = [r for (r,) in query("SELECT raw FROM rejects ORDER BY line_no")]
    assert len(raws) == 3 and all("access_token=<token removed>&after=QVFJ" in r for r in raws)
    assert not any(token in r for r in raws)


def test_a_saved_error_echoing_the_token_keeps_no_access_token(
    ingest_lines: IngestLines, query: Query
) -> None:
    """Meta's answer to a malformed token quotes it ("Malformed access token EAAG..."): saved
    in place of a page, it is rejected, and neither its reason nor its text keeps the token."""
    token = "EAAGm0PX4ZCpsBAKZAtokenZDZD"
    err = {"error": {"message": f"Malformed access token {token}", "type": "OAuthException",
                     "code": 190, "fbtrace_id": "AbCdEf"}}  # fmt: skip
    res = ingest_lines([err])
    assert res.rejects_added == 1
    ((reason, raw),) = query("SELECT reason, raw FROM rejects")
    assert token not in reason and token not in raw
    assert reason == ("Graph API error answer, no insights: Malformed access token "
                      "<token removed> (code 190)")  # fmt: skip
    assert '"Malformed access token <token removed>"' in raw


def test_a_line_of_another_currency_than_the_stored_spend_is_rejected(
    ingest_lines: IngestLines, query: Query
) -> None:
    """Spend is added up across ad accounts: a file of an account spending in euros beside
    spend in dollars made a sum in no currency. Its line is rejected, naming both."""
    res = ingest_lines([
        page(row(account_id="1", account_currency="USD")),
        page(row("2026-11-03", ad_id="7000000000001", account_id="2", account_currency="EUR")),
        row("2026-11-04", account_id="1", account_currency="USD"),
        row("2026-11-04", ad_id="8000000000001", account_id="3"),  # none said: as before
    ])  # fmt: skip
    assert (res.insights_added, res.rejects_added) == (3, 1)
    assert query("SELECT line_no, reason FROM rejects") == [
        (2, "data[0]: insights row in EUR: this database holds ad spend in USD (account 1)")
    ]
    assert query("SELECT DISTINCT account_currency FROM ad_insights ORDER BY 1") == [
        ("USD",),
        (None,),
    ]


def test_a_row_of_more_than_one_day_is_rejected_not_stored_as_its_first_day(
    ingest_lines: IngestLines, query: Query
) -> None:
    """Without time_increment=1 (an export's default: the whole range, or monthly) a row's
    spend is that of date_start to date_stop: stored as date_start's, a month's spend lands on
    its first day."""
    res = ingest_lines([
        page(row("2026-11-02"), {**row("2026-11-01", spend="300"), "date_stop": "2026-11-30"}),
        {**row("2026-11-01", spend="70"), "date_stop": "2026-11-07"},
        row("2026-11-03"),
    ])  # fmt: skip
    why = (
        "insights row for more than one day (date_stop is not date_start; ask with "
        "time_increment=1)"
    )
    assert query("SELECT line_no, reason FROM rejects ORDER BY line_no") == [
        (1, f"data[1]: {why}"), (2, why)]  # fmt: skip
    assert query("SELECT date, spend FROM ad_insights") == [(dt.date(2026, 11, 3), 12.34)]
    assert res.rejects_by_reason == {why: 2}


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


def test_a_graph_api_error_saved_in_place_of_a_page_is_rejected_as_one(
    ingest_lines: IngestLines, query: Query
) -> None:
    """An export job or curl that met a limit or an expired token saves Meta's error answer
    (https://developers.facebook.com/docs/graph-api/guides/error-handling): the reject says so
    and what Meta said, not "no entry list" as for a webhook body."""
    error = {"message": "(#17) User request limit reached", "type": "OAuthException",
             "code": 17, "error_subcode": 2446079, "fbtrace_id": "AbCdEf"}  # fmt: skip
    res = ingest_lines([{"error": error}, page(row())])
    assert query("SELECT line_no, reason FROM rejects") == [
        (1, "Graph API error answer, no insights: (#17) User request limit reached (code 17)")
    ]
    assert res.rejects_by_reason == {"Graph API error answer, no insights": 1}
    assert res.insights_added == 1


def test_ids_written_as_json_numbers_are_stored_as_text_and_a_nested_name_is_rejected(
    ingest_lines: IngestLines, query: Query
) -> None:
    """A file made by a script or a BI export may write ids as numbers; Meta writes strings.
    Either is stored as the digits; an object where a name belongs is a reject, and neither
    stops the run (it stopped with a pyarrow traceback, and so did every later run)."""
    res = ingest_lines([
        {"date_start": "2026-11-02", "ad_id": 600, "adset_id": 700, "campaign_id": 800,
         "account_id": 123, "ad_name": 2026, "spend": 5},
        page(row("2026-11-03", ad_name={"text": "Autumn"})),
        row("2026-11-04"),
    ])  # fmt: skip
    assert query(
        "SELECT date, ad_id, adset_id, campaign_id, account_id, ad_name, spend FROM ad_insights"
        " ORDER BY date"
    ) == [
        (dt.date(2026, 11, 2), "600", "700", "800", "123", "2026", 5.0),
        (dt.date(2026, 11, 4), "6000000000001", None, None, None, None, 12.34),
    ]
    assert query("SELECT line_no, reason FROM rejects") == [
        (2, "data[0]: insights row with ad_name that is not text")
    ]
    assert res.insights_added == 2


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


def test_a_spend_that_is_not_a_number_is_rejected_not_stored_as_no_spend(
    ingest_lines: IngestLines, query: Query
) -> None:
    """A spreadsheet's "1,234.50" or "12,34" was stored as a NULL spend: the day's spend lost
    with no reject, and the day counted as covered."""
    res = ingest_lines([
        row(spend="1,234.50"),
        page(row("2026-11-03", spend="12,34")),
        row("2026-11-04", impressions="n/a"),
        row("2026-11-05", spend="NaN"),
        row("2026-11-06", spend=7.5, impressions="1000", clicks=3),
    ])  # fmt: skip
    assert query("SELECT line_no, reason FROM rejects ORDER BY line_no") == [
        (1, "insights row with spend that is not a number"),
        (2, "data[0]: insights row with spend that is not a number"),
        (3, "insights row with impressions that is not a number"),
        (4, "insights row with spend that is not a number"),
    ]
    assert query("SELECT date, spend, impressions, clicks FROM ad_insights") == [
        (dt.date(2026, 11, 6), 7.5, 1000, 3)
    ]
    assert res.insights_added == 1


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


def test_a_count_beyond_a_bigint_is_a_reject_not_a_traceback(
    ingest_lines: IngestLines, query: Query
) -> None:
    """impressions "1e19" stopped the run with an OverflowError traceback (and every later run
    at the same line); conversations started that large is left out, as one not a number."""
    huge = [{"action_type": STARTED, "value": "1e19"}]
    res = ingest_lines([
        row(impressions="1e19"),
        row("2026-11-03", actions=huge),
        row("2026-11-04", actions=[{"action_type": STARTED, "value": "Infinity"}]),
    ])  # fmt: skip
    assert query("SELECT line_no, reason FROM rejects") == [
        (1, "insights row with impressions out of range")
    ]
    assert query("SELECT date, conversations_started FROM ad_insights ORDER BY date") == [
        (dt.date(2026, 11, 3), None), (dt.date(2026, 11, 4), None)]  # fmt: skip
    assert res.insights_added == 2


def test_actions_that_are_not_a_list_are_a_reject_not_a_traceback(
    ingest_lines: IngestLines, query: Query
) -> None:
    """Meta's actions and cost_per_action_type are lists of {action_type, value}; `"actions": 5`
    stopped the run with a TypeError traceback (and every later run at the same line)."""
    res = ingest_lines([
        row(actions=5),
        page(row("2026-11-03", cost_per_action_type={"link_click": "0.5"})),
        row("2026-11-04", actions=[{"action_type": STARTED, "value": "2"}]),
    ])  # fmt: skip
    assert query("SELECT line_no, reason FROM rejects ORDER BY line_no") == [
        (1, "insights row with actions that is not a list"),
        (2, "data[0]: insights row with cost_per_action_type that is not a list"),
    ]
    assert query("SELECT date, conversations_started FROM ad_insights") == [
        (dt.date(2026, 11, 4), 2)
    ]
    assert res.insights_added == 1


def test_a_deeply_nested_line_naming_data_is_a_reject_not_a_traceback(
    ingest_lines: IngestLines, query: Query
) -> None:
    """Python's json gives up on 200,000 nested arrays with a RecursionError: the line is
    rejected as the parser says (it stopped the run, and every later run at the same line)."""
    res = ingest_lines(['{"data": ' + "[" * 200_000 + "]" * 200_000 + "}", row()])
    assert [r[:15] for (r,) in query("SELECT reason FROM rejects")] == ["invalid JSON: m"]
    assert res.insights_added == 1


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
