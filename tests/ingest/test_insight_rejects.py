"""Ad insights lines that are rejected: bad rows, Graph API errors saved in place of a page, other
currencies, rows of several days, and never an access token kept."""

from __future__ import annotations

import datetime as dt
import json

from tests.conftest import IngestLines, Query
from tests.ingest.insight_setup import STARTED, page, row


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


def test_a_page_of_two_currencies_is_rejected_also_into_a_database_without_spend(
    ingest_lines: IngestLines, query: Query
) -> None:
    """With no spend held yet, a page's second row in euros after one in dollars was stored
    beside it: the KPIs then added dollars and euros up. Its first row's currency is the one
    read before it."""
    res = ingest_lines([
        page(row(account_id="1", account_currency="USD"),
             row(ad_id="7000000000001", account_id="act_2", account_currency="EUR")),
        page(row("2026-11-03", account_id="2", account_currency="EUR"),
             row("2026-11-03", ad_id="7000000000001", account_id="1", account_currency="USD")),
    ])  # fmt: skip
    assert (res.insights_added, res.rejects_added) == (0, 2)
    assert query("SELECT line_no, reason FROM rejects ORDER BY line_no") == [
        (1, "data[1]: insights row in EUR: this database holds ad spend in USD (account 1)"),
        (2, "data[1]: insights row in USD: this database holds ad spend in EUR (account 2)"),
    ]
    assert query("SELECT count(*) FROM ad_insights") == [(0,)]


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


def test_an_ad_id_of_zero_is_a_reject_not_a_stopped_run(
    ingest_lines: IngestLines, query: Query
) -> None:
    """An ad id written as the number 0 passed the line's checks, then stopped the whole run
    ("an insights row without ad_id (it has ad_id, ...)"), and every later one: it is a row
    without ad_id, its line rejected, the others stored."""
    res = ingest_lines([page(row(), row("2026-11-03", ad_id=0)), row("2026-11-04", ad_id=0),
                        row("2026-11-05")])  # fmt: skip
    assert query("SELECT line_no, reason FROM rejects ORDER BY line_no") == [
        (1, "data[1]: insights row without ad_id"),
        (2, "insights row without ad_id"),
    ]
    assert query("SELECT CAST(date AS VARCHAR) FROM ad_insights") == [("2026-11-05",)]
    assert res.insights_added == 1


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
    rejected as too deeply nested (it stopped the run, and every later run at the same line)."""
    res = ingest_lines(['{"data": ' + "[" * 200_000 + "]" * 200_000 + "}", row()])
    assert query("SELECT reason FROM rejects") == [
        ("invalid JSON: nested too deeply (1,000 levels or more)",)
    ]
    assert res.insights_added == 1
