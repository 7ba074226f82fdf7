"""`refscope ingest` through click's runner against a real DuckDB file: the summary it prints, a
second ingest, and which database it writes. Inputs: test_cli_inputs.py; `--follow` through
errors: test_cli_follow_errors.py; `demo-data`: test_cli_demo_data.py."""

from __future__ import annotations

import gzip
import re
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

import tests.factories as f
from ingest.cli import cli
from tests.conftest import Query
from tests.factories import MINUTE, T0
from tests.ingest.cli_setup import _log_with_retry, _words


def test_ingest_prints_a_summary_and_exits_zero(
    runner: CliRunner, db_path: Path, log_dir: Path
) -> None:
    result = runner.invoke(cli, ["ingest", str(_log_with_retry(log_dir)), "--db", str(db_path)])
    assert result.exit_code == 0, result.output
    out = _words(result)
    # One of a kind is said so: "1 duplicate", "1 reject".
    assert "1 of 1 file read, 6 lines, 4 events (3 new, 1 duplicate), 1 reject, " in out
    # The run's seconds, as ingest_runs keeps them, and its events (4) per second of them.
    said = re.search(r"2 new contacts in (\d+\.\d\d) s \(([\d,]+) events/s\)", out)
    assert said, out
    ((seconds,),) = Query(db_path)("SELECT seconds FROM ingest_runs")
    assert said[1] == f"{seconds:.2f}" and said[2] == f"{4 / seconds:,.0f}", (said[0], seconds)
    assert "events by kind message 2 postback 1" in out
    assert "new contacts by channel m_me_link 1 organic 1" in out
    assert "rejects by reason invalid JSON 1" in out
    lines = [line.strip() for line in result.output.splitlines()]
    for heading in ("events by kind", "new contacts by channel", "rejects by reason"):
        assert heading in lines, f"{heading!r} is not one line of its own:\n{result.output}"


def _clicks(n: int) -> list[dict[str, Any]]:
    """n scans of a tracked link's QR code, a millisecond apart, as the receiver logs them."""
    return [{"object": "refscope_click", "ts": T0 + i, "ref": "flyer", "page": "acmebakery",
             "qr": True, "device": "mobile"} for i in range(n)]  # fmt: skip


def test_the_summary_counts_the_clicks_a_click_log_adds(
    runner: CliRunner, db_path: Path, log_dir: Path
) -> None:
    """A click line becomes a `clicks` row, neither an event nor a reject: the summary says
    how many, and how many are new, or a click log read whole looked like lines gone nowhere
    ("3 lines, 0 events")."""
    clicks = _clicks(3)
    log = f.write_ndjson(log_dir / "clicks-2024-11-25.vm-1.ndjson", clicks)
    result = runner.invoke(cli, ["ingest", str(log), "--db", str(db_path)])
    assert result.exit_code == 0, result.output
    assert "3 lines, 0 events (0 new, 0 duplicates), 3 clicks (3 new), 0 rejects" in _words(result)
    assert Query(db_path)("SELECT count(*) FROM clicks") == [(3,)]
    f.write_ndjson(log_dir / "clicks-2024-11-25.vm-1.ndjson", [*clicks, clicks[0]], mode="w")
    again = runner.invoke(cli, ["ingest", str(log), "--db", str(db_path)])
    # The grown file's one new line (a second click of the same instant): "1 line", "1 click".
    assert "1 line, 0 events (0 new, 0 duplicates), 1 click (1 new), 0 rejects" in _words(again)


def test_the_summary_counts_clicks_already_held_as_read_not_new(
    runner: CliRunner, db_path: Path, log_dir: Path
) -> None:
    """A click log gzipped after it was read is read again: its clicks are held already, and
    the summary says it read them, or its lines went nowhere ("3 lines, 0 events, 0 rejects");
    each run's count is kept in ingest_runs."""
    clicks = _clicks(3)
    log = f.write_ndjson(log_dir / "clicks-2024-11-25.vm-1.ndjson", clicks)
    assert runner.invoke(cli, ["ingest", str(log), "--db", str(db_path)]).exit_code == 0
    gz = log.with_name(log.name + ".gz")
    gz.write_bytes(gzip.compress(log.read_bytes()))
    log.unlink()
    again = runner.invoke(cli, ["ingest", str(gz), "--db", str(db_path)])
    assert again.exit_code == 0, again.output
    assert "3 lines, 0 events (0 new, 0 duplicates), 3 clicks (0 new), 0 rejects" in _words(again)
    assert Query(db_path)("SELECT count(*) FROM clicks") == [(3,)]
    assert Query(db_path)("SELECT clicks_read FROM ingest_runs ORDER BY run_id") == [(3,), (3,)]


def test_second_ingest_of_the_same_log_adds_nothing(
    runner: CliRunner, db_path: Path, log_dir: Path
) -> None:
    args = ["ingest", str(_log_with_retry(log_dir)), "--db", str(db_path)]
    assert runner.invoke(cli, args).exit_code == 0
    before = Query(db_path).tables()
    again = runner.invoke(cli, args)
    assert again.exit_code == 0, again.output
    assert "events by kind" not in _words(again)
    assert Query(db_path).tables() == before


def test_a_run_without_new_contacts_still_breaks_its_rejects_down_by_reason(
    runner: CliRunner, db_path: Path, log_dir: Path
) -> None:
    """The breakdowns are printed each on its own: a run that meets no new contact (the log
    grown by a known contact's message and a broken line) still says why its line was
    rejected."""
    log = _log_with_retry(log_dir)
    assert runner.invoke(cli, ["ingest", str(log), "--db", str(db_path)]).exit_code == 0
    f.write_ndjson(log, [f.delivery(f.message("again", psid="u2", ts=T0 + 3 * MINUTE)),
                         "{truncated"], mode="a")  # fmt: skip
    again = runner.invoke(cli, ["ingest", str(log), "--db", str(db_path)])
    assert again.exit_code == 0, again.output
    out = _words(again)
    assert "1 event (1 new, 0 duplicates), 1 reject, 0 new contacts" in out
    assert "events by kind message 1" in out
    assert "new contacts by channel" not in out
    assert "rejects by reason invalid JSON 1" in out


def test_refscope_db_environment_variable_is_the_database(
    runner: CliRunner, tmp_path: Path, log_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    target = tmp_path / "elsewhere" / "from-env.duckdb"
    result = runner.invoke(
        cli, ["ingest", str(_log_with_retry(log_dir))], env={"REFSCOPE_DB": str(target)}
    )
    assert result.exit_code == 0, result.output
    assert Query(target)("SELECT count(*) FROM events") == [(3,)]
    assert not (tmp_path / "data").exists(), "the default database was written as well"


def test_db_option_wins_over_the_environment(
    runner: CliRunner, tmp_path: Path, log_dir: Path
) -> None:
    from_env, from_option = tmp_path / "env.duckdb", tmp_path / "option.duckdb"
    result = runner.invoke(
        cli,
        ["ingest", str(_log_with_retry(log_dir)), "--db", str(from_option)],
        env={"REFSCOPE_DB": str(from_env)},
    )
    assert result.exit_code == 0, result.output
    assert Query(from_option)("SELECT count(*) FROM contacts") == [(2,)]
    assert not from_env.exists()


def _one_good_click_one_reject(
    runner: CliRunner, db_path: Path, log_dir: Path, **wrong: Any
) -> Query:
    """A click log of a good click and one with the wrong field, ingested: the summary says one
    click and one reject; the database to query."""
    good, bad = _clicks(2)
    log = f.write_ndjson(log_dir / "clicks-2024-11-25.vm-1.ndjson", [good, {**bad, **wrong}])
    result = runner.invoke(cli, ["ingest", str(log), "--db", str(db_path)])
    assert result.exit_code == 0, result.output
    assert "2 lines, 0 events (0 new, 0 duplicates), 1 click (1 new), 1 reject" in _words(result)
    return Query(db_path)


@pytest.mark.parametrize(
    "ref", ["   ", {"id": "flyer"}, ["flyer"]], ids=["spaces", "object", "list"]
)
def test_a_click_line_whose_ref_is_blank_or_no_text_is_rejected_with_its_reason(
    runner: CliRunner, db_path: Path, log_dir: Path, ref: Any
) -> None:
    """A ref of spaces only (no ref, as in a referral), or an object or a list in its place,
    was stored as a click of no link: counted nowhere, and not rejected either."""
    query = _one_good_click_one_reject(runner, db_path, log_dir, ref=ref)
    assert query("SELECT ref FROM clicks") == [("flyer",)]
    assert query("SELECT line_no, reason FROM rejects") == [(2, "click without ref")]


@pytest.mark.parametrize("qr", ["yes", "no", 2, {"scan": True}], ids=["yes", "no", "2", "object"])
def test_a_click_line_whose_qr_is_neither_true_nor_false_is_rejected_with_its_reason(
    runner: CliRunner, db_path: Path, log_dir: Path, qr: Any
) -> None:
    """The receiver logs `qr` as true or false: any other value ("yes", say) was stored as a
    click of a plain link, a scan counted as a click without a word."""
    query = _one_good_click_one_reject(runner, db_path, log_dir, qr=qr)
    assert query("SELECT qr FROM clicks") == [(True,)]  # the good scan
    assert query("SELECT line_no, reason FROM rejects") == [
        (2, "click with qr neither true nor false")
    ]


@pytest.mark.parametrize(
    ("qr", "read"),
    [(True, True), (False, False), ("true", True), ("FALSE", False), ("1", True), (0, False),
     (None, False)],
)  # fmt: skip
def test_a_click_lines_qr_is_read_as_true_or_false(
    runner: CliRunner, db_path: Path, log_dir: Path, qr: Any, read: bool
) -> None:
    """true and false, also as text or 1 and 0; none (null) is a click of a plain link."""
    log = f.write_ndjson(log_dir / "clicks-2024-11-25.vm-1.ndjson", [{**_clicks(1)[0], "qr": qr}])
    result = runner.invoke(cli, ["ingest", str(log), "--db", str(db_path)])
    assert result.exit_code == 0, result.output
    assert Query(db_path)("SELECT qr FROM clicks") == [(read,)]
    assert Query(db_path)("SELECT count(*) FROM rejects") == [(0,)]
