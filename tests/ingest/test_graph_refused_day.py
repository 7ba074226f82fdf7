"""`refscope pull ads` when Meta refuses one day as too much data for one call even asked alone
(error 100, subcode 1487534): the other days are pulled and stored, the refused day keeps what
was stored of it and is not recorded as pulled, and the pull names it.

https://developers.facebook.com/docs/marketing-api/insights/best-practices
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from ingest.cli import cli
from tests.ingest.graph_setup import Answer, serving
from tests.ingest.test_graph_answers import TOO_MUCH, Ranged
from tests.ingest.test_graph_facts import ACCOUNT, TODAY, TOKEN, pull, row

SINCE = TODAY - dt.timedelta(days=5)
HEAVY = TODAY - dt.timedelta(days=2)  # the day Meta finds too much for one call


@dataclass
class OneDayTooBig(Ranged):
    """An insights endpoint that refuses any range holding `heavy` (None: none) as too much
    data, and answers the days asked for otherwise."""

    heavy: dt.date | None = None

    def refusal(self, since: dt.date, until: dt.date) -> Answer | None:
        if self.heavy is not None and since <= self.heavy <= until:
            return 400, {"error": TOO_MUCH}, {}
        return None


def _rows(spend: str) -> list[dict[str, Any]]:
    return [row(SINCE + dt.timedelta(days=d), ad, spend) for d in range(6) for ad in ("9", "10")]


def test_a_day_meta_refuses_even_alone_is_left_out_the_others_stored(
    db_path: Path, query: Any
) -> None:
    """One such day ended the whole pull with Meta's error: none of the other days was stored,
    and every later pull of a range holding it failed alike."""
    fake = OneDayTooBig()
    with serving(fake.answer) as fake.base:
        fake.all = _rows("1.00")
        pull(fake, db_path, since=SINCE, until=TODAY)  # the day answered then
        fake.all, fake.heavy = _rows("2.00"), HEAVY
        res = pull(fake, db_path, since=SINCE, until=TODAY)
    assert [day for day, _ in res.refused] == [HEAVY]
    assert "reduce the amount of data" in res.refused[0][1]
    assert res.rows == 10
    spend = dict(query("SELECT date, sum(spend) FROM ad_insights GROUP BY date"))
    # Two ads a day: the new spend (2.00 each), the refused day's first (1.00 each) kept.
    every = [SINCE + dt.timedelta(days=d) for d in range(6)]
    assert spend == {day: (2.0 if day == HEAVY else 4.0) for day in every}
    pulls = query("SELECT since, until FROM ad_pulls WHERE pulled_at = "
                  "(SELECT max(pulled_at) FROM ad_pulls) ORDER BY since")  # fmt: skip
    assert pulls == [(SINCE, HEAVY - dt.timedelta(days=1)), (HEAVY + dt.timedelta(days=1), TODAY)]


def test_the_pull_names_the_refused_day(
    db_path: Path, query: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake = OneDayTooBig(heavy=HEAVY)
    monkeypatch.setenv("REFSCOPE_META_TOKEN", TOKEN)
    with serving(fake.answer) as fake.base:
        fake.all = _rows("2.00")
        out = CliRunner().invoke(cli, [
            "pull", "ads", "--account", ACCOUNT, "--base-url", fake.base, "--since", str(SINCE),
            "--until", str(TODAY), "--db", str(db_path)])  # fmt: skip
    assert out.exit_code == 0, out.output
    # A warning: on stderr, and stdout holds the pull's summary alone (a cron job keeps it).
    assert f"warning: {HEAVY} not pulled" in out.stderr and "too much data" in out.stderr
    assert f"--since {HEAVY} --until {HEAVY}" in out.stderr
    assert out.stdout.startswith("10 insight rows") and "not pulled" not in out.stdout, out.stdout
    assert query.scalar("SELECT count(*) FROM ad_insights") == 10
