"""`refscope demo-data` through click's runner: its start day, the lines an ingest of them
counts, the click logs an ingest loads, the starts it refuses, and the first and last days
refscope reads."""

from __future__ import annotations

import dataclasses
import gzip
import re
import shutil
from pathlib import Path

import duckdb
import pytest
from click.testing import CliRunner

from ingest.cli import cli
from tests.ingest.cli_setup import _words


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


def test_demo_click_logs_load_into_clicks_and_change_no_contact(
    runner: CliRunner, tmp_path: Path
) -> None:
    """`make demo`'s steps: the click logs become `clicks` rows without a reject, each contact
    who came through a registered link has its click minutes before, and without the click logs
    the events, touches and contacts are the same."""
    out, bare = tmp_path / "demo", tmp_path / "bare"
    args = ["demo-data", "--days", "45", "--end", "2026-11-30", "--scale", "0.5", "--out"]
    assert runner.invoke(cli, [*args, str(out)]).exit_code == 0
    shutil.copytree(out, bare, ignore=shutil.ignore_patterns("clicks-*"))
    lines = sum(len(p.read_bytes().splitlines()) for p in out.glob("clicks-*.ndjson"))
    assert lines > 0
    for logs in (out, bare):
        db = str(tmp_path / f"{logs.name}.duckdb")
        links = runner.invoke(cli, ["links", "import", str(logs / "tracked-links.csv"), "--db", db])
        assert links.exit_code == 0, links.output
        ingested = runner.invoke(cli, ["ingest", str(logs), "--db", db])
        assert ingested.exit_code == 0, ingested.output
    tables = "SELECT * FROM {} ORDER BY ALL"
    events_sql = "SELECT event_key, ts, kind, psid FROM events ORDER BY ALL"
    with duckdb.connect(str(tmp_path / "demo.duckdb"), read_only=True) as con:
        assert con.execute("SELECT count(*) FROM clicks").fetchone() == (lines,)
        bad = "SELECT count(*) FROM rejects WHERE file LIKE '%clicks-%'"
        assert con.execute(bad).fetchone() == (0,)
        unclicked = con.execute("""
            SELECT count(*) FILTER (WHERE NOT EXISTS (
                       SELECT 1 FROM clicks k WHERE k.ref = c.ref AND k.page = c.page_id
                         AND k.ts BETWEEN c.first_touch_at - INTERVAL 5 MINUTE
                                      AND c.first_touch_at)), count(*)
            FROM contacts c JOIN tracked_links l ON l.ref = c.ref AND l.page = c.page_id
            WHERE c.channel IN ('m_me_link', 'qr_code')""").fetchone()  # fmt: skip
        assert unclicked is not None and unclicked[0] == 0 and unclicked[1] >= 20
        got = {t: con.execute(tables.format(t)).fetchall() for t in ("touches", "contacts")}
        events = con.execute(events_sql).fetchall()
    with duckdb.connect(str(tmp_path / "bare.duckdb"), read_only=True) as con:
        assert got == {t: con.execute(tables.format(t)).fetchall() for t in ("touches", "contacts")}
        assert events == con.execute(events_sql).fetchall()
        assert con.execute("SELECT count(*) FROM clicks").fetchone() == (0,)


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
    [["--start", "2001-09-10", "--end", "2001-09-10"], ["--days", "1", "--end", "2099-12-31"]],
    ids=["first-day", "last-day"],
)
def test_demo_data_takes_the_first_and_last_days_refscope_reads(
    runner: CliRunner, tmp_path: Path, args: list[str]
) -> None:
    """2001-09-10 (the first day whose millisecond timestamps refscope reads as such) –
    2099-12-31 are the days the demo writes, both ends included."""
    result = runner.invoke(cli, ["demo-data", *args, "--out", str(tmp_path / "demo")])
    assert result.exit_code == 0, result.output
    assert result.output.startswith("wrote "), result.output


def test_demo_data_writes_its_counts_as_the_other_figures_beside_them(
    runner: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two years of demo logs said `183,674 lines (34 malformed, 1700 retried)`: the retried
    and malformed lines lacked the thousands separator every other figure has."""
    import ingest.demo as demo

    real = demo.write_demo

    def more(*args: object, **kwargs: object) -> demo.DemoSummary:
        summary = real(*args, **kwargs)  # type: ignore[arg-type]
        return dataclasses.replace(summary, duplicate_lines=1700, malformed_lines=1234)

    monkeypatch.setattr(demo, "write_demo", more)
    out = tmp_path / "demo"
    result = runner.invoke(cli, ["demo-data", "--days", "1", "--end", "2026-11-30",
                                 "--out", str(out)])  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "(1,234 malformed, 1,700 retried)" in _words(result), result.output


@pytest.mark.parametrize(
    "name", ["clicks-2026-12-01.ndjson", "webhooks-2026-11.ndjson.gz", "tracked-links.csv"]
)
def test_demo_data_replaces_only_its_own_files(
    runner: CliRunner, tmp_path: Path, name: str
) -> None:
    """--out naming a folder of real logs by mistake: a file of a demo file's name that the demo
    did not write is refused, with nothing written or removed (it was deleted, or overwritten).
    The demo's own files, an earlier run's, are replaced."""
    out = tmp_path / "logs"
    args = ["demo-data", "--days", "20", "--end", "2026-12-03", "--out", str(out)]
    assert runner.invoke(cli, args).exit_code == 0
    again = runner.invoke(cli, args)
    assert again.exit_code == 0, again.output
    real = tmp_path / "real"
    real.mkdir()
    line = b'{"object":"refscope_click","ts":1764547200000,"ref":"menu","page":"987654321"}\n'
    (real / name).write_bytes(gzip.compress(line) if name.endswith(".gz") else line)
    before = {p.name: p.read_bytes() for p in real.iterdir()}
    result = runner.invoke(cli, [*args[:-1], str(real)])
    assert result.exit_code == 1, result.output
    assert f"{real / name}: a demo file's name, but not written by demo-data" in result.output
    assert {p.name: p.read_bytes() for p in real.iterdir()} == before


def test_demo_data_refuses_an_out_that_is_a_file_naming_it(
    runner: CliRunner, tmp_path: Path
) -> None:
    """--out naming a file (a log, by mistake) was refused as `Error: <out>: File exists`, which
    said nothing of what was wrong: --out names a folder."""
    log = tmp_path / "webhooks.ndjson"
    log.write_text("{}\n")
    result = runner.invoke(cli, ["demo-data", "--days", "1", "--out", str(log)])
    assert result.exit_code == 2, result.output
    assert f"Invalid value for '--out': Directory '{log}' is a file." in result.stderr
    assert "Traceback" not in result.output
    assert log.read_text() == "{}\n" and sorted(tmp_path.iterdir()) == [log]


def test_demo_data_on_a_full_disk_names_its_folder(tmp_path: Path) -> None:
    """A disk that fills up (a file size limit stands in for one) stopped demo-data with
    `Error: File too large` alone, naming no file or folder."""
    import resource

    from tests.ingest.cli_setup import _run_refscope

    def small_disk() -> None:
        resource.setrlimit(resource.RLIMIT_FSIZE, (1000, 1000))

    out = tmp_path / "demo"
    proc = _run_refscope("demo-data", "--days", "3", "--end", "2026-11-30", "--out", str(out),
                         cwd=tmp_path, preexec_fn=small_disk, timeout=120)  # fmt: skip
    assert proc.returncode == 1, (proc.stdout, proc.stderr)
    assert proc.stderr.strip().splitlines() == [
        f"Error: {out}: cannot write the demo logs: File too large"
    ]


def test_demo_data_replaces_its_gz_log_that_a_full_disk_cut_short(
    runner: CliRunner, tmp_path: Path
) -> None:
    """A run that filled the disk leaves a monthly .gz cut short; the next run, with room again,
    refused it as `not written by demo-data` (the cut stream ended before 64 KiB could be read)
    and wrote nothing; it is the demo's, read as far as it goes, and replaced."""
    out = tmp_path / "demo"
    args = ["demo-data", "--days", "400", "--end", "2026-11-30", "--out", str(out)]
    assert runner.invoke(cli, args).exit_code == 0
    whole = {p.name: p.read_bytes() for p in out.iterdir()}
    gz = max(
        (p for p in out.iterdir() if p.name.endswith(".ndjson.gz")), key=lambda p: p.stat().st_size
    )
    assert len(gzip.decompress(gz.read_bytes())) > 2**16  # the check reads up to 64 KiB
    gz.write_bytes(gz.read_bytes()[:2000])
    again = runner.invoke(cli, args)
    assert again.exit_code == 0, again.output
    assert {p.name: p.read_bytes() for p in out.iterdir()} == whole
