"""`refscope pull logs --deadline` and `pull ads --deadline`: a server that trickles its bytes
(each within the read timeout) or asks to wait longer than is left no longer keeps a cron job
running for ever."""

from __future__ import annotations

import json
import signal
import threading
import time
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from ingest import cli_deadline, db, remote
from ingest.cli import cli
from tests.ingest.fetch_server import lines, run_totals
from tests.ingest.graph_setup import ACCOUNT, TODAY, TOKEN, Answer, insight, serving

WAIT_SECONDS = 30


def test_a_trickling_download_is_given_up_at_the_deadline(
    site: Any, db_path: Path, runner: CliRunner
) -> None:
    s, base = site
    s.files["/w.ndjson"] = lines(0, 20)  # about 5 KB: minutes a byte at a time
    s.trickle = 0.01
    url = base + "/w.ndjson"
    started = time.monotonic()
    out = runner.invoke(cli, ["pull", "logs", url, "--deadline", "1", "--db", str(db_path)])
    took = time.monotonic() - started
    assert out.exit_code == 1, out.output
    assert "the download did not end within 1 s (--deadline)" in " ".join(out.output.split())
    assert 1 <= took < 10, took
    assert 0 < s.sent < len(s.files["/w.ndjson"])
    assert list((db_path.parent / ".pull").iterdir()) == []  # nothing of it kept
    con = db.connect(db_path, read_only=True)
    try:
        assert con.execute("SELECT count(*) FROM ingest_runs").fetchone() == (0,)
    finally:
        con.close()
    s.trickle = 0.0  # the server mended: the next pull reads it all
    out = runner.invoke(cli, ["pull", "logs", url, "--db", str(db_path)])
    assert out.exit_code == 0, out.output
    assert run_totals(db_path) == (20, 20, 0)


def test_a_wait_past_the_deadline_is_not_begun(site: Any, db_path: Path, runner: CliRunner) -> None:
    s, base = site
    s.files["/w.ndjson"] = lines(0, 3)
    s.fail_next, s.fail_headers = 1, {"Retry-After": "120"}
    started = time.monotonic()
    out = runner.invoke(
        cli, ["pull", "logs", base + "/w.ndjson", "--deadline", "30s", "--db", str(db_path)]
    )
    assert out.exit_code == 1, out.output
    assert "did not end within 30 s (--deadline)" in " ".join(out.output.split())
    assert time.monotonic() - started < 10
    assert len(s.requests) == 1


@pytest.mark.parametrize("given", ["0", "-5", "soon", "5d", "1h30"])
def test_a_deadline_that_is_no_duration_is_refused(
    given: str, site: Any, db_path: Path, runner: CliRunner
) -> None:
    s, base = site
    out = runner.invoke(cli, ["pull", "logs", base + "/w.ndjson", "--deadline", given,
                              "--db", str(db_path)])  # fmt: skip
    assert out.exit_code == 2, out.output
    assert "is no duration above 0" in out.output
    assert s.requests == []


@pytest.mark.parametrize(("given", "said"), [("90", "90 s"), ("2m", "2 min"), ("0.5MIN", "30 s")])
def test_a_deadline_is_seconds_or_minutes(
    given: str, said: str, site: Any, db_path: Path, runner: CliRunner
) -> None:
    s, base = site
    s.files["/w.ndjson"] = lines(0, 3)
    s.fail_next, s.fail_headers = 1, {"Retry-After": "240"}  # past each of them: said at once
    out = runner.invoke(cli, ["pull", "logs", base + "/w.ndjson", "--deadline", given,
                              "--db", str(db_path)])  # fmt: skip
    assert f"did not end within {said} (--deadline)" in " ".join(out.output.split()), out.output


def test_a_deadline_in_hours_is_taken(site: Any, db_path: Path, runner: CliRunner) -> None:
    s, base = site
    s.files["/w.ndjson"] = lines(0, 3)
    out = runner.invoke(cli, ["pull", "logs", base + "/w.ndjson", "--deadline", "2h",
                              "--db", str(db_path)])  # fmt: skip
    assert out.exit_code == 0, out.output
    assert run_totals(db_path) == (3, 3, 0)


# --- pull ads ----------------------------------------------------------------------------------


def _ads(base: str, db_path: Path, *more: str) -> list[str]:
    return ["pull", "ads", "--account", ACCOUNT, "--base-url", base, "--since", str(TODAY),
            "--until", str(TODAY), *more, "--db", str(db_path)]  # fmt: skip


def test_pull_ads_gives_up_an_answer_that_never_ends_at_the_deadline(
    db_path: Path, runner: CliRunner, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An answer held back (a proxy that trickles, within the read timeout) kept it for ever."""
    release = threading.Event()

    def answer(path: str, query: dict[str, list[str]], auth: str) -> Answer:
        release.wait(WAIT_SECONDS)  # longer than the deadline: never, as far as the pull knows
        return 200, {"data": [insight(str(TODAY), "601", "1.50")]}, {}

    monkeypatch.setenv("REFSCOPE_META_TOKEN", TOKEN)
    with serving(answer) as base:
        started = time.monotonic()
        try:
            out = runner.invoke(cli, _ads(base, db_path, "--deadline", "1"))
        finally:
            release.set()
    assert time.monotonic() - started < 10
    assert out.exit_code == 1, out.output
    said = " ".join(out.output.split())
    assert "pull ads did not end within 1 s (--deadline), its waits included: nothing was " in said
    assert TOKEN not in out.output
    con = db.connect(db_path, read_only=True)
    try:
        assert con.execute("SELECT count(*) FROM ad_insights").fetchone() == (0,)
        assert con.execute("SELECT count(*) FROM ad_pulls").fetchone() == (0,)
    finally:
        con.close()
    assert signal.getsignal(signal.SIGALRM) == signal.SIG_DFL  # put back
    assert signal.getitimer(signal.ITIMER_REAL) == (0.0, 0.0)


def test_pull_ads_begins_no_wait_past_the_deadline(
    db_path: Path, runner: CliRunner, monkeypatch: pytest.MonkeyPatch
) -> None:
    asked: list[str] = []

    def answer(path: str, query: dict[str, list[str]], auth: str) -> Answer:
        asked.append(path)
        return 429, {"error": {"message": "busy"}}, {"Retry-After": "120"}

    monkeypatch.setenv("REFSCOPE_META_TOKEN", TOKEN)
    with serving(answer) as base:
        started = time.monotonic()
        out = runner.invoke(cli, _ads(base, db_path, "--deadline", "1m"))
    assert time.monotonic() - started < 10
    assert out.exit_code == 1, out.output
    assert "did not end within 1 min (--deadline)" in " ".join(out.output.split())
    assert len(asked) == 1


def test_pull_ads_within_its_deadline_is_stored(
    db_path: Path, runner: CliRunner, monkeypatch: pytest.MonkeyPatch
) -> None:
    def answer(path: str, query: dict[str, list[str]], auth: str) -> Answer:
        return 200, {"data": [insight(str(TODAY), "601", "1.50")]}, {}

    monkeypatch.setenv("REFSCOPE_META_TOKEN", TOKEN)
    with serving(answer) as base:
        out = runner.invoke(cli, _ads(base, db_path, "--deadline", "1"))
    assert out.exit_code == 0, out.output
    assert "1 insight row" in out.output
    time.sleep(1.2)  # the timer was stopped: no alarm comes after the pull


# --- no deadline unless one is given -----------------------------------------------------------


# Meta's "User request limit reached" (code 17) for an ads account.
THROTTLED = {"error": {"message": "User request limit reached", "type": "OAuthException",
                       "code": 17, "error_subcode": 2446079}}  # fmt: skip


class _Clock:
    """cli_deadline's time, with sleeps counted, not slept."""

    def __init__(self) -> None:
        self.slept: list[float] = []

    @staticmethod
    def monotonic() -> float:
        return time.monotonic()

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)


def test_pull_ads_without_a_deadline_waits_out_a_rate_limit_of_hours(
    db_path: Path, runner: CliRunner, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A heavy account's first pull may be told to wait hours: given no --deadline, it waits
    (a default deadline would give it up, every time, before its rows were stored)."""
    asked: list[str] = []

    def answer(path: str, query: dict[str, list[str]], auth: str) -> Answer:
        asked.append(path)
        if len(asked) == 1:
            usage = {ACCOUNT.removeprefix("act_"): [{"type": "ads_insights", "call_count": 100,
                     "total_cputime": 10, "total_time": 10,
                     "estimated_time_to_regain_access": 120}]}  # fmt: skip
            return 400, THROTTLED, {"X-Business-Use-Case-Usage": json.dumps(usage)}
        return 200, {"data": [insight(str(TODAY), "601", "1.50")]}, {}

    clock = _Clock()
    monkeypatch.setattr(cli_deadline, "time", clock)
    monkeypatch.setenv("REFSCOPE_META_TOKEN", TOKEN)
    with serving(answer) as base:
        out = runner.invoke(cli, _ads(base, db_path))
    assert out.exit_code == 0, out.output
    assert "1 insight row" in out.output
    assert clock.slept and max(clock.slept) >= 7200, clock.slept
    assert signal.getitimer(signal.ITIMER_REAL) == (0.0, 0.0)  # no timer was set


def test_pull_logs_without_a_deadline_gives_its_download_none(
    site: Any, db_path: Path, runner: CliRunner, monkeypatch: pytest.MonkeyPatch
) -> None:
    s, base = site
    s.files["/w.ndjson"] = lines(0, 3)
    given: list[object] = []
    real = remote.pull_logs

    def pull_logs(*args: Any, **kwargs: Any) -> Any:
        given.append(kwargs.get("deadline"))
        return real(*args, **kwargs)

    monkeypatch.setattr(remote, "pull_logs", pull_logs)
    out = runner.invoke(cli, ["pull", "logs", base + "/w.ndjson", "--db", str(db_path)])
    assert out.exit_code == 0, out.output
    assert given == [None]
    out = runner.invoke(cli, ["pull", "logs", "--help"])
    assert "Default: none" in " ".join(out.output.split())
