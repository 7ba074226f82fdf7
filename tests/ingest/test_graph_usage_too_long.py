"""`refscope pull ads` told by Meta's usage headers to wait longer than any window Meta counts a
limit over (24 hours): X-Business-Use-Case-Usage's estimated_time_to_regain_access (minutes),
100,000 minutes or a number no time fits, on a throttle (the account node's too) or on a page
that went through. It slept as told (69 days), or stopped with an OverflowError traceback; it
now stops at once, exit 1, naming the wait and when to try again, asking Meta nothing more. A
fake Graph API on 127.0.0.1.
https://developers.facebook.com/docs/graph-api/overview/rate-limiting
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from ingest import cli_deadline
from ingest.cli import cli
from tests.ingest.graph_setup import ACCOUNT, TOKEN, Answer, insight, serving
from tests.ingest.test_pull_deadline import _Clock  # sleeps counted, not slept

THROTTLED = {"error": {"code": 80000, "message": "There have been too many calls"}}


def _usage(regain: str) -> dict[str, str]:
    """An X-Business-Use-Case-Usage whose estimated_time_to_regain_access is regain, as sent."""
    entry = ('{"type": "ads_insights", "call_count": 100, "total_cputime": 10, "total_time": 10, '
             f'"estimated_time_to_regain_access": {regain}}}')  # fmt: skip
    return {"X-Business-Use-Case-Usage": f'{{"{ACCOUNT.removeprefix("act_")}": [{entry}]}}'}


@pytest.mark.parametrize("regain", ["100000", "1e300", "Infinity"])
@pytest.mark.parametrize("when", ["throttled", "page_went_through", "account_node"])
def test_a_stated_wait_past_a_day_stops_the_pull_naming_it(
    tmp_path: Path, runner: CliRunner, monkeypatch: pytest.MonkeyPatch, regain: str, when: str
) -> None:
    asked: list[str] = []

    def answer(path: str, query: dict[str, list[str]], auth: str) -> Answer:
        if when == "account_node" or path.endswith("/insights"):
            asked.append(path)
        if not path.endswith("/insights"):  # the account node, for its time zone
            if when == "account_node":
                return 400, THROTTLED, _usage(regain)
            return 200, {"id": ACCOUNT, "timezone_name": "UTC"}, {}
        if when == "throttled":
            return 400, THROTTLED, _usage(regain)
        page = {"data": [insight(str(dt.date.today()), "601", "1.50")],
                "paging": {"next": f"{base}{path}?after=1"}}  # fmt: skip
        return 200, page, _usage(regain)

    clock = _Clock()
    monkeypatch.setattr(cli_deadline, "time", clock)
    monkeypatch.setenv("REFSCOPE_META_TOKEN", TOKEN)
    db_file = tmp_path / "r.duckdb"
    with serving(answer) as base:
        out = runner.invoke(cli, ["pull", "ads", "--account", ACCOUNT, "--base-url", base,
                                  "--db", str(db_file)])  # fmt: skip
    said = " ".join(out.output.split())
    assert out.exit_code == 1, said
    assert len(asked) == 1, said  # nothing more asked of Meta
    assert all(s <= 24 * 3600 for s in clock.slept), clock.slept
    assert "Traceback" not in said and TOKEN not in said
    assert "access is regained in " in said and "longer than the 24 h" in said, said
    assert "run `refscope pull ads` again" in said, said
    if regain == "100000":
        assert "regained in 100,000 min" in said, said
        again = dt.datetime.now(dt.UTC) + dt.timedelta(minutes=100000)
        shown = re.search(r"again after (\d{4}-\d\d-\d\d \d\d:\d\d) UTC", said)
        assert shown, said
        at = dt.datetime.strptime(shown.group(1), "%Y-%m-%d %H:%M").replace(tzinfo=dt.UTC)
        assert abs((at - again).total_seconds()) < 180
    assert not db_file.exists()  # nothing stored


def test_a_stated_wait_of_a_day_is_still_waited_out(
    tmp_path: Path, runner: CliRunner, monkeypatch: pytest.MonkeyPatch
) -> None:
    """24 hours, the longest window Meta counts a limit over (the Pages' day), is waited."""
    asked: list[str] = []

    def answer(path: str, query: dict[str, list[str]], auth: str) -> Answer:
        if not path.endswith("/insights"):
            return 200, {"id": ACCOUNT, "timezone_name": "UTC"}, {}
        asked.append(path)
        if len(asked) == 1:
            return 400, THROTTLED, _usage("1440")
        return 200, {"data": [insight(str(dt.date.today()), "601", "1.50")]}, {}

    clock = _Clock()
    monkeypatch.setattr(cli_deadline, "time", clock)
    monkeypatch.setenv("REFSCOPE_META_TOKEN", TOKEN)
    with serving(answer) as base:
        out = runner.invoke(cli, ["pull", "ads", "--account", ACCOUNT, "--base-url", base,
                                  "--db", str(tmp_path / "r.duckdb")])  # fmt: skip
    assert out.exit_code == 0, out.output
    assert 24 * 3600 in clock.slept and len(asked) == 2
