"""A late delivery (Meta retries for up to 36 hours) can change an earlier contact's channel: a
Get Started referral read after the message it came before turns an `organic` contact into an
`m_me_link` one. The run says so, as "earlier contacts whose channel changed", with no new
contact; a run that changes none says nothing of it."""

from __future__ import annotations

import re
from pathlib import Path

from click.testing import CliRunner

import tests.factories as f
from dashboard.cli import cli
from tests.conftest import Query
from tests.factories import MINUTE, T0, write_ndjson
from tests.ingest.logs import contact

TITLE = "earlier contacts whose channel changed"


def test_a_late_referral_is_reported_as_a_channel_change(
    runner: CliRunner, db_path: Path, log_dir: Path, query: Query
) -> None:
    def ingest(name: str, lines: list) -> str:
        path = write_ndjson(log_dir / name, lines)
        result = runner.invoke(cli, ["ingest", str(path), "--db", str(db_path), "--no-progress"])
        assert result.exit_code == 0, result.output
        return result.output

    first = ingest("a.ndjson", [
        f.delivery(f.message("hi", psid="u1", ts=T0 + MINUTE)),
        f.delivery(f.message("hello", psid="u2", ts=T0 + MINUTE)),
    ])  # fmt: skip
    assert TITLE not in first
    assert contact(query, "u1")["channel"] == "organic"

    # The Get Started that opened u1's thread, a minute before its message, delivered late;
    # u2 writes again, which changes nothing of its channel.
    late = ingest("b.ndjson", [
        f.delivery(f.postback(referral=f.referral_obj("spring_flyer", "SHORTLINK"), psid="u1",
                              ts=T0)),
        f.delivery(f.message("still there?", psid="u2", ts=T0 + 5 * MINUTE)),
    ])  # fmt: skip
    assert contact(query, "u1")["channel"] == "m_me_link"
    assert "0 new contacts" in late
    assert re.search(rf"{TITLE}\s+organic → m_me_link\s+1\b", late), late

    again = ingest("c.ndjson", [f.delivery(f.message("thanks", psid="u1", ts=T0 + 9 * MINUTE))])
    assert TITLE not in again
