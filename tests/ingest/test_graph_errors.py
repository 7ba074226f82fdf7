"""`refscope pull ads` against a fake Graph API on 127.0.0.1: refused ranges, accounts, versions
and tokens, clear errors, the token never shown (also when an error body echoes it), and the
one-line summary."""

from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from click.testing import CliRunner

from ingest import remote
from ingest.cli import cli
from ingest.errors import ValidationError
from ingest.graph import GraphError
from tests.ingest.graph_setup import ACCOUNT, TODAY, TOKEN, FakeGraph, days, pull


def test_ranges_older_than_37_months_are_refused(graph: FakeGraph, db_path: Path) -> None:
    with pytest.raises(ValidationError, match="37 months"):
        pull(graph, db_path, since=dt.date(2023, 1, 1))
    assert graph.requests == []


def test_the_token_never_appears_in_output(
    graph: FakeGraph, db_path: Path, runner: CliRunner, monkeypatch: pytest.MonkeyPatch
) -> None:
    graph.rows = days(2)
    monkeypatch.setenv("REFSCOPE_META_TOKEN", "EAAB-wrong-token-456")
    args = ["pull", "ads", "--account", ACCOUNT, "--base-url", graph.base,
            "--since", str(TODAY), "--db", str(db_path)]  # fmt: skip
    res = runner.invoke(cli, args)
    assert res.exit_code != 0 and "Invalid OAuth access token" in res.output
    assert "EAAB-wrong" not in res.output
    monkeypatch.setenv("REFSCOPE_META_TOKEN", TOKEN)
    res = runner.invoke(cli, args)
    assert res.exit_code == 0, res.output
    assert TOKEN not in res.output and "2 insight rows" in res.output


def test_the_pull_summary_is_one_line_in_a_log(
    graph: FakeGraph, db_path: Path, runner: CliRunner, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A cron job's log (stdout not a terminal, 80 columns) keeps the summary on one line."""
    graph.rows = days(40)
    monkeypatch.setenv("REFSCOPE_META_TOKEN", TOKEN)
    since = TODAY - dt.timedelta(days=39)
    args = ["pull", "ads", "--account", ACCOUNT, "--base-url", graph.base,
            "--since", str(since), "--until", str(TODAY), "--db", str(db_path)]  # fmt: skip
    res = runner.invoke(cli, args)
    assert res.exit_code == 0, res.output
    assert len(res.output.strip().splitlines()) == 1, res.output
    assert re.fullmatch(rf"80 insight rows \(\d+ result pages? of the Graph API\) for {since} – "
                        rf"{TODAY}; waited 0 s "
                        "for rate limits", res.output.strip()), res.output  # fmt: skip


def test_bad_account_and_missing_token_are_refused(graph: FakeGraph, db_path: Path) -> None:
    # Digits are 0-9: Arabic-Indic or superscript digits are no ad account, and are not sent.
    for account in ("1234", "act_١٢٣", "act_²", "act_", "act_12a"):
        with pytest.raises(ValidationError, match="act_<digits>"):
            remote.pull_ads(account, TOKEN, db_path, base_url=graph.base)
    for version in ("23", "v23", "23.0", "v23.0/..", "latest"):
        with pytest.raises(ValidationError, match=r"a Graph API version is v<major>\.<minor>"):
            remote.pull_ads(ACCOUNT, TOKEN, db_path, base_url=graph.base, api_version=version)
    assert graph.requests == []
    with pytest.raises(ValidationError, match="REFSCOPE_META_TOKEN"):
        remote.pull_ads(ACCOUNT, "", db_path, base_url=graph.base)


def test_an_account_of_more_than_20_digits_is_refused_before_meta_is_asked(
    graph: FakeGraph, db_path: Path, runner: CliRunner, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An ad account id is a Graph API id (a 64-bit integer, at most 20 digits), as a page's:
    two ids pasted together are refused with the rule and their length, nothing asked."""
    graph.rows = days(1)
    monkeypatch.setenv("REFSCOPE_META_TOKEN", TOKEN)
    for digits in ("1234567890" * 2 + "1", "1234567890" * 20):
        account = f"act_{digits}"
        res = runner.invoke(cli, ["pull", "ads", "--account", account, "--base-url", graph.base,
                                  "--since", str(TODAY), "--db", str(db_path)])  # fmt: skip
        assert res.exit_code == 1, res.output
        assert (
            f"invalid account {account!r} (an ad account id of {len(digits)} digits): an ad "
            "account is act_<digits>, its id of at most 20 digits" in res.stderr
        ), res.output
    assert graph.requests == []
    # The largest id of 20 digits is an ad account's as far as refscope can tell: it is asked.
    largest = "act_18446744073709551615"
    res = runner.invoke(cli, ["pull", "ads", "--account", largest, "--base-url", graph.base,
                              "--since", str(TODAY), "--db", str(db_path)])  # fmt: skip
    assert res.exit_code == 0, res.output
    assert graph.requests


@pytest.mark.parametrize(
    ("account", "fault"),
    [
        ("act_0123", "(an ad account id starting with 0)"),
        ("act_0", "(an ad account id starting with 0)"),
        ("", ""),
        ("act_", ""),
        ("act_12a", ""),
        ("123", ""),
    ],
    ids=["leading-zero", "zero", "empty", "no-digits", "non-digit", "no-act"],
)
def test_an_account_that_is_no_ad_account_id_is_refused_with_its_rule(
    graph: FakeGraph, db_path: Path, runner: CliRunner, monkeypatch: pytest.MonkeyPatch,
    account: str, fault: str,
) -> None:  # fmt: skip
    """An ad account id is a 64-bit integer (`account_id`, a long), written without leading
    zeros: act_0123 asked Meta, and its rows, of account 123, never matched the account asked
    for (the last pulled day, the account's currency)."""
    graph.rows = days(1)
    monkeypatch.setenv("REFSCOPE_META_TOKEN", TOKEN)
    res = runner.invoke(cli, ["pull", "ads", "--account", account, "--base-url", graph.base,
                              "--since", str(TODAY), "--db", str(db_path)])  # fmt: skip
    assert res.exit_code == 1, res.output
    said = f"invalid account {account!r} {fault}".rstrip()
    assert (
        f"{said}: an ad account is act_<digits>, its id of at most 20 digits, not starting "
        "with 0" in res.stderr
    ), res.output
    assert graph.requests == []


def test_graph_errors_are_clear(graph: FakeGraph, db_path: Path) -> None:
    graph.faults = {1: (400, 100, None)}
    with pytest.raises(GraphError, match="Graph API error 100"):
        pull(graph, db_path, since=TODAY)


def test_giving_up_on_throttling_says_metas_message(graph: FakeGraph, db_path: Path) -> None:
    graph.rows = days(1)
    graph.faults = {n: (400, 17, None) for n in range(1, 20)}
    with pytest.raises(GraphError) as err:
        pull(graph, db_path, since=TODAY)
    assert "throttled (code 17: slow down); giving up after" in str(err.value)


@pytest.mark.parametrize(
    "field, value, message",
    [
        ("date_start", None, "an insights row without date_start (it has "),
        ("ad_id", None, "an insights row without ad_id (it has "),
        ("date_start", "yesterday", "an insights row with date_start 'yesterday', not a date"),
        # Stored, it was spend of no amount (NULL, summed as 0): spend silently lost, where an
        # insights file's row of it is rejected ("insights row with spend that is not a number").
        ("spend", "12,34", "an insights row with spend '12,34', not a number"),
        ("impressions", "1,000", "an insights row with impressions '1,000', not a number"),
        ("clicks", True, "an insights row with clicks True, not a number"),
    ],
)
def test_an_insights_row_missing_its_day_or_ad_is_a_clear_error(
    graph: FakeGraph, db_path: Path, query: Any, field: str, value: Any, message: str
) -> None:
    graph.rows = days(2)
    bad = graph.rows[3]
    if value is None:
        del bad[field]
    else:
        bad[field] = value
    with pytest.raises(GraphError, match=re.escape(message)):
        pull(graph, db_path, since=TODAY - dt.timedelta(days=1))
    assert query("SELECT count(*) FROM ad_insights") == [(0,)]  # nothing half-stored


@pytest.mark.parametrize(
    "echo",
    ["x" * 170 + " token={token} rejected", "bad token {quoted}", "<p>{token}</p>"],
    ids=["cut-after-170", "url-encoded", "html"],
)
def test_an_error_body_echoing_the_token_never_shows_it(
    graph: FakeGraph, db_path: Path, echo: str
) -> None:
    token = "EAAGzSECRETtok3n/ZZqq+9/abcdefXYZ"
    graph.echo = echo.replace("{quoted}", quote(token, safe=""))
    text = _refused(graph, db_path, token)
    assert "Graph API error 400" in text
    assert "SECRET" not in text and "EAAG" not in text


def _refused(graph: FakeGraph, db_path: Path, token: str) -> str:
    """The error a one-day pull with token ends in."""
    with pytest.raises(GraphError) as err:
        remote.pull_ads(ACCOUNT, token, db_path, base_url=graph.base, sleep=graph.sleep,
                        today=TODAY, since=TODAY)  # fmt: skip
    return str(err.value)


@pytest.mark.parametrize(
    "field", ["type", "error_subcode", "fbtrace_id"], ids=["type", "subcode", "fbtrace"]
)
def test_an_error_objects_details_echoing_the_token_never_show_it(
    graph: FakeGraph, db_path: Path, field: str
) -> None:
    """The type, error_subcode and fbtrace_id the message adds were cut to 60 characters
    before the token was taken out: a token echoed across the cut was no longer the whole
    token, and its first characters were shown."""
    token = "EAAGzSECRETtok3n/ZZqq+9/abcdefXYZ"
    err = {"message": "Invalid OAuth access token", "code": 190, field: "x" * 40 + " {token}"}
    graph.echo = (
        json.dumps({"error": err})
        .replace("{", "{{")
        .replace("}", "}}")
        .replace("{{token}}", "{token}")
    )
    text = _refused(graph, db_path, token)
    assert "Graph API error 190: Invalid OAuth access token (" in text
    assert "SECRET" not in text and "EAAG" not in text


def test_an_error_with_an_empty_answer_says_so(graph: FakeGraph, db_path: Path) -> None:
    """The message ended at "Graph API error 400:", with nothing after it."""
    graph.echo = " "
    with pytest.raises(GraphError) as err:
        remote.pull_ads(ACCOUNT, TOKEN, db_path, base_url=graph.base, sleep=graph.sleep,
                        today=TODAY, since=TODAY)  # fmt: skip
    assert str(err.value) == "Graph API error 400: HTTP 400 with an empty answer"


@pytest.mark.parametrize("token", ["SECRETtøk", "SECRET\r", " ", "SEC RET"])
def test_a_token_no_header_can_carry_is_refused_without_showing_it(
    graph: FakeGraph, db_path: Path, token: str
) -> None:
    with pytest.raises(ValidationError, match="holds characters no access token has") as err:
        remote.pull_ads(ACCOUNT, token, db_path, base_url=graph.base, sleep=graph.sleep,
                        today=TODAY, since=TODAY)  # fmt: skip
    assert "SEC" not in str(err.value) and graph.requests == []


@pytest.mark.parametrize("token", ['"EAABSECRET"', "'EAABSECRET'", '"EAABSECRET'])
def test_a_token_in_quotes_is_refused_saying_so_without_showing_it(
    graph: FakeGraph, db_path: Path, token: str
) -> None:
    """A .env line REFSCOPE_META_TOKEN="EAAB…" read by a tool that keeps quotes (docker run
    --env-file) sent the quotes as part of the token: Meta's 190 then had the pull say to get a
    new token, for one that only needed its quotes taken off. No access token holds a quote."""
    with pytest.raises(ValidationError, match="REFSCOPE_META_TOKEN is in quotes") as err:
        remote.pull_ads(ACCOUNT, token, db_path, base_url=graph.base, sleep=graph.sleep,
                        today=TODAY, since=TODAY)  # fmt: skip
    assert "SECRET" not in str(err.value) and graph.requests == []


def test_an_until_before_the_default_start_names_the_default_not_a_since(
    graph: FakeGraph, db_path: Path
) -> None:
    """It said "--since 2026-10-27 is after --until …" to someone who gave no --since."""
    graph.rows = days(3)
    pull(graph, db_path, since=TODAY - dt.timedelta(days=2))
    with pytest.raises(ValidationError) as err:
        pull(graph, db_path, until=TODAY - dt.timedelta(days=40))
    assert str(err.value) == (
        f"--until {TODAY - dt.timedelta(days=40)} is before {TODAY - dt.timedelta(days=28)}, "
        "where a pull without --since starts (28 days before the last pulled day, or 90 days "
        "back the first time): give --since too"
    )
    assert "--since 20" not in str(err.value)


def test_an_insights_row_of_more_than_one_day_is_a_clear_error(
    graph: FakeGraph, db_path: Path, query: Any
) -> None:
    """An answer asked without time_increment=1 (a proxy's cached answer, say) holds one row per
    ad for several days: stored as its first day's, their whole spend landed on that day. An
    insights file with such a row is rejected; a pull stops, nothing stored."""
    graph.rows = days(2)
    graph.rows[3]["date_stop"] = str(TODAY + dt.timedelta(days=6))
    with pytest.raises(GraphError, match=re.escape("an insights row for more than one day")):
        pull(graph, db_path, since=TODAY - dt.timedelta(days=1))
    assert query("SELECT count(*) FROM ad_insights") == [(0,)]
    assert query("SELECT count(*) FROM ad_pulls") == [(0,)]
