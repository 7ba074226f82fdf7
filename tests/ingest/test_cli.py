"""`refscope ingest` through click's runner against a real DuckDB file."""

from __future__ import annotations

import gzip
import io
import os
import re
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result
from rich.console import Console

import tests.factories as f
from ingest import cli as cli_module
from ingest.cli import cli
from tests.conftest import Query
from tests.factories import MINUTE, T0


def _words(result: Result) -> str:
    """The output with runs of whitespace as one space: rich wraps titles to the table width."""
    return " ".join(result.output.split())


def _log(log_dir: Path) -> Path:
    return f.write_ndjson(
        log_dir / "webhooks.ndjson",
        [
            f.delivery(f.postback(referral=f.referral_obj("bio_link"), psid="u1", ts=T0)),
            f.delivery(f.message("hi", psid="u1", ts=T0 + MINUTE, mid="m_1")),
            f.delivery(f.message("hi", psid="u1", ts=T0 + MINUTE, mid="m_1")),  # retried
            f.delivery(f.message("hello", psid="u2", ts=T0 + 2 * MINUTE)),
            "{truncated",
            "",
        ],
    )


def test_ingest_prints_a_summary_and_exits_zero(
    runner: CliRunner, db_path: Path, log_dir: Path
) -> None:
    result = runner.invoke(cli, ["ingest", str(_log(log_dir)), "--db", str(db_path)])
    assert result.exit_code == 0, result.output
    out = _words(result)
    # One of a kind is said so: "1 duplicate", "1 reject".
    assert "1 of 1 file read, 6 lines, 4 events (3 new, 1 duplicate), 1 reject, " in out
    assert "2 new contacts" in out
    assert re.search(r"\([\d,]+ events/s\)", out), out
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
    args = ["ingest", str(_log(log_dir)), "--db", str(db_path)]
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
    log = _log(log_dir)
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


def test_missing_path_exits_non_zero_naming_it(
    runner: CliRunner, db_path: Path, tmp_path: Path
) -> None:
    missing = tmp_path / "no-such-dir" / "webhooks.ndjson"
    result = runner.invoke(cli, ["ingest", str(missing), "--db", str(db_path)])
    assert result.exit_code == 1
    assert f"Error: {missing}: no such file or directory" in result.output
    assert "Traceback" not in result.output


def _corrupt(at: int) -> bytes:
    """A .gz with bytes damaged at `at` (from the end when negative): at 10, its first block
    has the reserved block type; at -6, the CRC is wrong."""
    data = bytearray(gzip.compress(b'{"object": "page"}\n' * 5000, mtime=0))
    data[at] |= 0b111
    data[at + 1] ^= 0xFF
    return bytes(data)


@pytest.mark.parametrize(
    "spec, content, message",
    [
        ("*.ndjson", b"", "no files match"),
        ("broken.ndjson.gz", b"hello\n", "cannot read: Not a gzipped file"),
        ("broken.ndjson.gz", _corrupt(-6), "cannot read: CRC check failed"),
        ("broken.ndjson.gz", _corrupt(10), "cannot read: Error -3 while decompressing"),
    ],
    ids=["glob-matching-nothing", "not-gz", "bad-crc", "corrupt-deflate"],
)
def test_unreadable_input_exits_non_zero_with_a_clear_message(
    runner: CliRunner, db_path: Path, tmp_path: Path, spec: str, content: bytes, message: str
) -> None:
    (tmp_path / "broken.ndjson.gz").write_bytes(content)
    result = runner.invoke(cli, ["ingest", str(tmp_path / spec), "--db", str(db_path)])
    assert result.exit_code == 1
    assert message in _words(result) and str(tmp_path) in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)


@pytest.mark.parametrize("spec", ["", "  "])
def test_an_empty_path_is_refused_not_read_as_the_current_folder(
    runner: CliRunner, db_path: Path, log_dir: Path, monkeypatch: pytest.MonkeyPatch, spec: str,
    query: Query,
) -> None:  # fmt: skip
    _log(log_dir)
    monkeypatch.chdir(log_dir)  # a folder with a log in it: "" must not read it
    result = runner.invoke(cli, ["ingest", spec, "--db", str(db_path)])
    assert result.exit_code == 1
    assert "an empty PATH: give a file, a directory or a glob" in result.output
    assert query("SELECT count(*) FROM events") == [(0,)]


def test_a_gz_still_being_written_is_read_up_to_its_cut_then_on_from_there(
    runner: CliRunner, db_path: Path, log_dir: Path, query: Query
) -> None:
    """The other inputs are read; the .gz gives its whole lines now and the rest once it is
    complete, with nothing read twice and nothing lost."""
    lines = [f.line(f.delivery(f.message("hi", psid=f"u{i}", ts=T0 + i))) for i in range(3000)]
    whole = gzip.compress("".join(x + "\n" for x in lines).encode(), mtime=0)
    gz = log_dir / "rotated.ndjson.gz"
    gz.write_bytes(whole[: len(whole) * 2 // 3])
    _log(log_dir)
    first = runner.invoke(cli, ["ingest", str(log_dir), "--db", str(db_path)])
    assert first.exit_code == 0, first.output
    assert "compressed stream ends early (still being written?)" in _words(first)
    ((read,),) = query("SELECT lines_done FROM ingest_files WHERE path LIKE '%rotated%'")
    assert 0 < read < 3000
    assert query("SELECT count(*) FROM events WHERE file LIKE '%rotated%'") == [(read,)]
    assert query("SELECT count(*) FROM events WHERE file LIKE '%webhooks%'") == [(3,)]
    gz.write_bytes(whole)
    second = runner.invoke(cli, ["ingest", str(log_dir), "--db", str(db_path)])
    assert second.exit_code == 0, second.output
    assert "still being written" not in second.output
    assert f"{3000 - read:,} lines" in _words(second) and "0 duplicates" in _words(second)
    assert query("SELECT count(*), count(DISTINCT psid) FROM events WHERE file LIKE '%rot%'") == [
        (3000, 3000)]  # fmt: skip


def test_ingest_without_paths_reads_the_receivers_log_folder(
    runner: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    result = runner.invoke(cli, ["ingest", "--db", "r.duckdb"])
    assert result.exit_code == 2
    assert "without one, ingest reads data/logs" in result.output
    assert not (tmp_path / "r.duckdb").exists()
    logs = tmp_path / "data" / "logs"
    logs.mkdir(parents=True)
    _log(logs)
    result = runner.invoke(cli, ["ingest", "--db", "r.duckdb"])
    assert result.exit_code == 0, result.output
    assert Query(tmp_path / "r.duckdb")("SELECT count(*) > 0 FROM events") == [(True,)]


def test_a_broken_symlink_is_named_as_such(
    runner: CliRunner, db_path: Path, tmp_path: Path
) -> None:
    folder = tmp_path / "logs"
    folder.mkdir()
    (folder / "gone.ndjson").symlink_to(tmp_path / "deleted.ndjson")
    result = runner.invoke(cli, ["ingest", str(folder), "--db", str(db_path)])
    assert result.exit_code == 1
    assert "gone.ndjson: no such file or directory (a broken symlink)" in result.output


def test_a_folder_that_cannot_be_listed_is_an_error(
    runner: CliRunner, db_path: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = tmp_path / "logs"
    (folder / "sub").mkdir(parents=True)
    f.write_ndjson(folder / "ok.ndjson", [f.delivery(f.message("hi"))])
    real_scandir = os.scandir

    def scandir(path: Any) -> Any:  # root lists any folder: refuse this one as a user would be
        if Path(path).name == "sub":
            raise PermissionError(13, "Permission denied", str(path))
        return real_scandir(path)

    monkeypatch.setattr(os, "scandir", scandir)
    result = runner.invoke(cli, ["ingest", str(folder), "--db", str(db_path)])
    assert result.exit_code == 1
    assert "sub: cannot list the folder: Permission denied" in result.output


def test_follow_reports_an_error_and_keeps_going(
    db_path: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    logs = tmp_path / "logs"
    logs.mkdir()
    whole = gzip.compress(f.line(f.delivery(f.message("hi"))).encode() + b"\n")
    broken = whole[:-6] + bytes(b ^ 0xFF for b in whole[-6:-4]) + whole[-4:]  # a bad CRC
    (logs / "rotated.ndjson.gz").write_bytes(broken)
    sleeps: list[float] = []

    def sleep(seconds: float) -> None:  # between rounds, the file is copied again, whole
        sleeps.append(seconds)
        (logs / "rotated.ndjson.gz").write_bytes(whole)

    monkeypatch.setattr(cli_module.time, "sleep", sleep)
    out = io.StringIO()
    cli_module._follow(Console(file=out, width=200), [str(logs)], db_path, 2.0, None, None,
                       cycles=2)  # fmt: skip
    text = out.getvalue()
    assert "error:" in text and "rotated.ndjson.gz" in text and "trying again every 2 s" in text
    assert "reading again" in text and sleeps == [2.0, 2.0]
    assert Query(db_path)("SELECT kind FROM events") == [("message",)]


def test_follow_says_an_error_once_while_it_lasts(
    db_path: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A .gz that stays broken fails every round: said once, not every few seconds into the
    service's log; a different error is said when it comes."""
    logs = tmp_path / "logs [old]"  # a name in brackets, shown as it is: no markup
    logs.mkdir()
    whole = gzip.compress(f.line(f.delivery(f.message("hi"))).encode() + b"\n")
    (logs / "rotated.ndjson.gz").write_bytes(whole[:-6] + b"\x00\x00" + whole[-4:])  # bad CRC
    rounds: list[float] = []

    def sleep(seconds: float) -> None:
        rounds.append(seconds)
        if len(rounds) == 3:  # then another error: the folder's file is not a gzip at all
            (logs / "rotated.ndjson.gz").write_bytes(b"not gzip\n")

    monkeypatch.setattr(cli_module.time, "sleep", sleep)
    out = io.StringIO()
    cli_module._follow(Console(file=out, width=200), [str(logs)], db_path, 2.0, None, None,
                       cycles=5)  # fmt: skip
    text = out.getvalue()
    assert rounds == [2.0] * 5
    assert text.count("error:") == 2, text
    assert text.count("CRC check failed") == 1 and text.count("Not a gzipped file") == 1, text
    assert text.count(f"{logs}/rotated.ndjson.gz: cannot read") == 2, text


def test_follow_starts_on_a_glob_matching_nothing_yet_and_a_symlink_to_a_file_to_come(
    db_path: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Only a PATH that is not there at all is refused at once: a glob may match nothing yet,
    and a symlink may point at the file the receiver has not created yet."""
    logs = tmp_path / "logs"
    logs.mkdir()
    current = tmp_path / "current.ndjson"
    current.symlink_to(tmp_path / "webhooks-2024-11-25.ndjson")

    def sleep(seconds: float) -> None:  # the receiver writes its first lines
        f.write_ndjson(logs / "webhooks.ndjson", [f.delivery(f.message("hi", psid="u1"))])
        f.write_ndjson(tmp_path / "webhooks-2024-11-25.ndjson",
                       [f.delivery(f.message("hey", psid="u2"))])  # fmt: skip

    monkeypatch.setattr(cli_module.time, "sleep", sleep)
    out = io.StringIO()
    cli_module._follow(Console(file=out, width=200), [str(logs / "*.ndjson"), str(current)],
                       db_path, 2.0, None, None, cycles=2)  # fmt: skip
    assert Query(db_path)("SELECT psid FROM events ORDER BY psid") == [("u1",), ("u2",)]


def test_follow_says_once_that_a_folder_holds_no_log_name(
    db_path: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Following a folder of rotated logs only (webhooks.ndjson.1) printed nothing but
    "following …": a round that reads nothing printed no warning. It is said once."""
    logs = tmp_path / "logs"
    logs.mkdir()
    f.write_ndjson(logs / "webhooks.ndjson.1", [f.delivery(f.message("hi"))])
    monkeypatch.setattr(cli_module.time, "sleep", lambda seconds: None)
    out = io.StringIO()
    cli_module._follow(Console(file=out, width=200), [str(logs)], db_path, 2.0, None, None,
                       cycles=3)  # fmt: skip
    text = out.getvalue()
    assert text.count(f"warning: {logs}: no file is read by its name (1 left out: ") == 1, text
    assert Query(db_path)("SELECT count(*) FROM events") == [(0,)]


def test_refscope_db_environment_variable_is_the_database(
    runner: CliRunner, tmp_path: Path, log_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    target = tmp_path / "elsewhere" / "from-env.duckdb"
    result = runner.invoke(cli, ["ingest", str(_log(log_dir))], env={"REFSCOPE_DB": str(target)})
    assert result.exit_code == 0, result.output
    assert Query(target)("SELECT count(*) FROM events") == [(3,)]
    assert not (tmp_path / "data").exists(), "the default database was written as well"


def test_db_option_wins_over_the_environment(
    runner: CliRunner, tmp_path: Path, log_dir: Path
) -> None:
    from_env, from_option = tmp_path / "env.duckdb", tmp_path / "option.duckdb"
    result = runner.invoke(
        cli,
        ["ingest", str(_log(log_dir)), "--db", str(from_option)],
        env={"REFSCOPE_DB": str(from_env)},
    )
    assert result.exit_code == 0, result.output
    assert Query(from_option)("SELECT count(*) FROM contacts") == [(2,)]
    assert not from_env.exists()


# --- demo-data ----------------------------------------------------------------------------------


def test_demo_data_start_sets_the_first_day(runner: CliRunner, tmp_path: Path) -> None:
    out = tmp_path / "demo"
    args = ["demo-data", "--start", "2024-04-20", "--end", "2024-05-19", "--out", str(out)]
    result = runner.invoke(cli, args)
    assert result.exit_code == 0, result.output
    # The same 30 days as --days 30: byte-identical files.
    same = tmp_path / "same"
    runner.invoke(cli, ["demo-data", "--days", "30", "--end", "2024-05-19", "--out", str(same)])
    assert {p.name: p.read_bytes() for p in out.iterdir()} == {
        p.name: p.read_bytes() for p in same.iterdir()
    }
    # It reaches the chat plugin's last weeks (it shut down on 2024-05-09).
    assert b"CUSTOMER_CHAT_PLUGIN" in b"".join(p.read_bytes() for p in out.glob("*.ndjson"))


def test_demo_data_says_the_lines_an_ingest_of_them_counts(
    runner: CliRunner, tmp_path: Path
) -> None:
    """An ingest counts blank lines among its lines (and skips them): the demo says how many it
    wrote, so its figure and the ingest's add up."""
    out = tmp_path / "demo"
    said = runner.invoke(
        cli, ["demo-data", "--days", "30", "--end", "2024-05-19", "--out", str(out)]
    )
    m = re.search(
        r"([\d,]+) lines \(([\d,]+) malformed, [\d,]+ retried\) and ([\d,]+) blank lines? to",
        said.output,
    )
    assert m, said.output
    lines, malformed, blank = (int(g.replace(",", "")) for g in m.groups())
    assert blank >= 1 and malformed >= 2
    ingested = runner.invoke(cli, ["ingest", str(out), "--db", str(tmp_path / "r.duckdb")])
    assert f"{lines + blank:,} lines" in ingested.output, ingested.output
    # Each malformed line is one reject of the ingest: the demo's own figure for them.
    assert f", {malformed:,} rejects, " in ingested.output, ingested.output


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--start", "2024-01-01", "--days", "3"], "--start and --days both set the first day"),
        (["--start", "2024-06-02", "--end", "2024-06-01"], "must be 1 to 3650 days up to"),
        (["--start", "2010-01-01", "--end", "2024-05-19"], "must be 1 to 3650 days up to"),
        (["--days", "2", "--end", "0001-01-01"], "0001-01-01 is outside 2000-01-01"),
        (["--end", "9999-12-31"], "9999-12-31 is outside 2000-01-01 – 2099-12-31"),
        (["--days", "30", "--end", "2000-01-10"], "1999-12-12 is outside 2000-01-01"),
    ],
)
def test_demo_data_refuses_a_start_it_cannot_use(
    runner: CliRunner, tmp_path: Path, args: list[str], message: str
) -> None:
    result = runner.invoke(cli, ["demo-data", *args, "--out", str(tmp_path / "demo")])
    assert result.exit_code == 2 and message in _words(result)
    assert not (tmp_path / "demo").exists()


@pytest.mark.parametrize(
    "args",
    [["--start", "2000-01-01", "--end", "2000-01-01"], ["--days", "1", "--end", "2099-12-31"]],
    ids=["first-day", "last-day"],
)
def test_demo_data_takes_the_first_and_last_days_refscope_reads(
    runner: CliRunner, tmp_path: Path, args: list[str]
) -> None:
    """2000-01-01 – 2099-12-31 are the days refscope reads, both ends included."""
    result = runner.invoke(cli, ["demo-data", *args, "--out", str(tmp_path / "demo")])
    assert result.exit_code == 0, result.output
    assert result.output.startswith("wrote "), result.output


def test_a_file_name_that_is_not_utf8_is_read_and_found_again(
    runner: CliRunner, db_path: Path, log_dir: Path, query: Query
) -> None:
    odd = Path(os.fsdecode(bytes(log_dir) + b"/x_\xff.ndjson"))
    odd.write_bytes((f.line(f.delivery(f.message("hi", psid="u1"))) + "\n").encode())
    _log(log_dir)  # the folder's other log is read too
    first = runner.invoke(cli, ["ingest", str(log_dir), "--db", str(db_path)])
    assert first.exit_code == 0, first.output
    assert query("SELECT path FROM ingest_files WHERE path LIKE '%x_%'") == [
        (str(log_dir) + "/x_\\xff.ndjson",)
    ]
    again = runner.invoke(cli, ["ingest", str(log_dir), "--db", str(db_path)])
    assert again.exit_code == 0 and "nothing new to read in 2 files" in again.output
