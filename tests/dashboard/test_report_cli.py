"""`refscope report`: its default and rolling ranges, its page and channel options, a prune's
date, and what it refuses to write."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import duckdb
import openpyxl
import pypdf
import pytest

from dashboard import cli as dashboard_cli
from dashboard import queries, reports
from dashboard.cli import cli
from ingest import db
from ingest.demo_payloads import ACME
from tests.dashboard.conftest import build_pruned_db
from tests.dashboard.report_setup import IN_RANGE, RANGE, SECTIONS, contacts_by_channel, rows


@pytest.mark.parametrize("fmt", ["pdf", "xlsx", "html"], ids=["pdf", "xlsx", "html"])
def test_a_range_without_data_says_so(runner, report_db, tmp_path, fmt):
    out = tmp_path / f"empty.{fmt}"
    args = ["report", "--db", str(report_db), "--from", "2020-01-01", "--to", "2020-01-28"]
    result = runner.invoke(cli, [*args, "--out", str(out)])
    assert result.exit_code == 0, result.output
    message = "No data for 2020-01-01 – 2020-01-28 (pages: all, channels: all)"
    assert message in result.stderr
    assert message in _text(out, fmt)
    if fmt == "xlsx":
        assert openpyxl.load_workbook(out).sheetnames == ["Summary", "Charts", *SECTIONS]
    if fmt == "html":
        assert "<script" not in out.read_text(encoding="utf-8")


def _text(out: Path, fmt: str) -> str:
    """The text of a report file: a PDF's as pypdf extracts it, every XLSX cell, the HTML."""
    if fmt == "pdf":
        return "\n".join(p.extract_text() for p in pypdf.PdfReader(out).pages)
    if fmt == "xlsx":
        book = openpyxl.load_workbook(out)
        return "\n".join(str(c) for ws in book for r in ws.iter_rows(values_only=True) for c in r)
    return out.read_text(encoding="utf-8")


def test_default_report_is_the_last_28_days_named_by_its_range(
    runner, report_db, tmp_path, monkeypatch
):
    monkeypatch.chdir(tmp_path)
    result = runner.invoke(cli, ["report", "--db", str(report_db), "--format", "xlsx"])
    assert result.exit_code == 0, result.output
    out = tmp_path / "refscope-report-2026-10-28-2026-11-24.xlsx"
    sheet = openpyxl.load_workbook(out)["Summary"]
    summary = {r[0]: r[1] for r in sheet.iter_rows(values_only=True)}
    assert (summary["From"], summary["To"]) == (
        dt.datetime(2026, 10, 28),
        dt.datetime(2026, 11, 24),
    )


def test_a_report_starting_before_a_prune_starts_on_its_date(runner, tmp_path):
    """Before a prune only the contacts active after it are left: a report there would count
    them as that period's, as the dashboard's ranges do not."""
    path = tmp_path / "pruned.duckdb"
    cut = build_pruned_db(path)
    out = tmp_path / "r.xlsx"
    args = ["report", "--db", str(path), "--out", str(out), "--to", str(cut + dt.timedelta(12))]
    result = runner.invoke(cli, [*args, "--from", str(cut - dt.timedelta(5))])
    assert result.exit_code == 0, result.output
    assert f"the report starts on {cut}, not {cut - dt.timedelta(5)}" in result.output
    summary = {
        r[0]: r[1] for r in openpyxl.load_workbook(out)["Summary"].iter_rows(values_only=True)
    }
    assert summary["From"] == dt.datetime.combine(cut, dt.time())
    before = ["report", "--db", str(path), "--out", str(out), "--from",
              str(cut - dt.timedelta(8)), "--to", str(cut - dt.timedelta(1))]  # fmt: skip
    result = runner.invoke(cli, before)
    assert result.exit_code == 2
    assert f"is before {cut}, the date the data was pruned from" in result.output


def test_the_default_range_ends_on_the_newest_whole_day(db_path):
    """A report from cron at 07:00 must not compare seven hours of today with whole days."""
    today = dt.date(2026, 11, 30)
    con = db.connect(db_path)
    try:
        assert queries.newest_day(con, today) is None
        row = "INSERT INTO events (event_key, page_id, is_user_ref, ts, kind, is_standby, file, " \
              "line_no, run_id) VALUES (?, 'p', false, ?, 'message', false, 'f', 1, 1)"  # fmt: skip
        con.execute(row, [1, dt.datetime(2026, 11, 30, 6, 59)])
        assert queries.newest_day(con, today) == today  # nothing else: today it is
        con.execute(row, [2, dt.datetime(2026, 11, 28, 12)])
        assert queries.newest_day(con, today) == dt.date(2026, 11, 28)
        assert queries.newest_day(con, dt.date(2026, 12, 1)) == today
    finally:
        con.close()


def test_an_event_at_midnight_today_does_not_make_today_the_newest_whole_day(db_path):
    """Today starts at its 00:00:00: an event on that instant is today's, not yesterday's."""
    today = dt.date(2026, 11, 30)
    con = db.connect(db_path)
    try:
        row = "INSERT INTO events (event_key, page_id, is_user_ref, ts, kind, is_standby, file, " \
              "line_no, run_id) VALUES (?, 'p', false, ?, 'message', false, 'f', 1, 1)"  # fmt: skip
        con.execute(row, [1, dt.datetime(2026, 11, 28, 12)])
        con.execute(row, [2, dt.datetime(2026, 11, 30)])
        assert queries.newest_day(con, today) == dt.date(2026, 11, 28)
    finally:
        con.close()


def test_days_sets_a_rolling_range_up_to_the_newest_day(runner, report_db, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = runner.invoke(cli, ["report", "--db", str(report_db), "--days", "7"])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "refscope-report-2026-11-18-2026-11-24.pdf").is_file()
    assert reports.report_command(RANGE, "xlsx", rolling=True) == (
        "refscope report --days 28 --format xlsx"
    )


@pytest.mark.parametrize("fmt", ["pdf", "xlsx", "html"], ids=["pdf", "xlsx", "html"])
def test_an_empty_database_gives_a_report_that_says_it_holds_no_events(
    runner, db_path, tmp_path, fmt
):
    """No ingest yet: the range ends today, for want of a newest event, and the report said
    only "no new contacts, comments or ad spend in this range", as if the logs had been read
    and those 28 days were quiet."""
    out = tmp_path / f"r.{fmt}"
    result = runner.invoke(cli, ["report", "--db", str(db_path), "--out", str(out)])
    assert result.exit_code == 0, result.output
    today = dt.datetime.now(dt.UTC).date()
    days = f"{today - dt.timedelta(days=27)} – {today}"
    said = f"No data for {days} (pages: all, channels: all): the database holds no events yet"
    assert said in result.stderr
    assert "run `refscope ingest` on the logs first" in result.stderr
    assert said in " ".join(_text(out, fmt).split())  # a PDF breaks its lines anywhere


def test_ad_spend_without_events_is_reported_with_no_contact_figures(
    runner, db_path, execute, tmp_path
):
    """`pull ads` before any ingest: the spend is reported, and its contact figures are said to
    be no data, not a range without contacts."""
    yesterday = dt.datetime.now(dt.UTC).date() - dt.timedelta(days=1)
    execute("INSERT INTO ad_insights (date, ad_id, spend) VALUES (?, '6001', 12.5)", yesterday)
    out = tmp_path / "r.xlsx"
    result = runner.invoke(cli, ["report", "--db", str(db_path), "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "No data for" not in result.stderr
    summary = [r[0] for r in openpyxl.load_workbook(out)["Summary"].iter_rows(values_only=True)]
    assert (
        "No contact figures: the database holds no events yet, so no range has data; run "
        "`refscope ingest` on the logs first." in summary
    )


@pytest.mark.parametrize(
    ("option", "value", "column", "shown"),
    # A page without a name in `pages` is shown by its id; a channel by its name.
    [("--page", ACME, "page_id", ACME), ("--channel", "qr_code", "channel", "QR code")],
    ids=["page", "channel"],
)
def test_page_and_channel_options_limit_the_report(
    runner, report_db, tmp_path, sql, option, value, column, shown
):
    out = tmp_path / "part.xlsx"
    args = [option, value, "--from", "2026-10-28", "--to", "2026-11-24", "--out", str(out)]
    result = runner.invoke(cli, ["report", "--db", str(report_db), *args])
    assert result.exit_code == 0, result.output
    n = sql.scalar(f"SELECT count(*) FROM contacts WHERE {column} = ? AND {IN_RANGE}",
                   value, RANGE.start, RANGE.end)  # fmt: skip
    assert 0 < n < sum(contacts_by_channel(sql, RANGE).values())
    book = openpyxl.load_workbook(out)
    assert sum(r["Total"] for r in rows(book["New contacts per day"])) == n
    summary = {r[0]: r[1] for r in book["Summary"].iter_rows(values_only=True)}
    assert summary["Pages" if option == "--page" else "Channels"] == shown


def test_a_page_or_channel_given_twice_is_named_once(runner, report_db, tmp_path):
    """As a dashboard link naming one twice: the Summary read "QR code, QR code"."""
    out = tmp_path / "twice.xlsx"
    args = ["--page", ACME, "--page", ACME, "--channel", "qr_code", "--channel", "qr_code",
            "--from", "2026-10-28", "--to", "2026-11-24", "--out", str(out)]  # fmt: skip
    result = runner.invoke(cli, ["report", "--db", str(report_db), *args])
    assert result.exit_code == 0, result.output
    sheet = openpyxl.load_workbook(out)["Summary"]
    summary = {r[0]: r[1] for r in sheet.iter_rows(values_only=True)}
    assert (summary["Pages"], summary["Channels"]) == (ACME, "QR code")


def test_a_missing_database_is_an_error_not_a_report(runner, tmp_path):
    result = runner.invoke(cli, ["report", "--db", str(tmp_path / "none.duckdb"), "--format",
                                 "html", "--out", str(tmp_path / "r.html")])  # fmt: skip
    assert result.exit_code == 1
    assert "no database yet" in result.stderr
    assert not (tmp_path / "r.html").exists()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--out", "report.txt"], "cannot tell the format from report.txt"),
        (["--format", "xlsx", "--out", "report.pdf"], "report.pdf is named as pdf, not xlsx"),
        (["--format", "xlsx", "--out", "REPORT.PDF"], "REPORT.PDF is named as pdf, not xlsx"),
        (["--from", "2026-12-01"], "2026-12-01 is after 2026-11-24"),
        (["--from", "2026-11-02", "--to", "2026-11-01"], "2026-11-02 is after 2026-11-01"),
        (["--format", "docx"], "'docx' is not one of 'pdf', 'xlsx', 'html'"),
        (["--from", "2026-11-20", "--days", "5"], "--from and --days both set the first day"),
        (["--from", "0001-01-01", "--to", "0001-01-02"], "0001-01-01 is outside 2000-01-01"),
        (["--to", "9999-12-31"], "9999-12-31 is outside 2000-01-01 – 2099-12-31"),
    ],
    ids=[
        "unknown-suffix",
        "format-and-suffix-disagree",
        "format-and-capital-suffix-disagree",
        "from-after-newest-data",
        "from-after-to",
        "unknown-format",
        "from-and-days",
        "year-1",
        "year-9999",
    ],  # fmt: skip
)
def test_report_refuses_what_it_cannot_write(
    runner, report_db, tmp_path, monkeypatch, args, message
):
    monkeypatch.chdir(tmp_path)
    result = runner.invoke(cli, ["report", "--db", str(report_db), *args])
    assert list(tmp_path.iterdir()) == []
    assert result.exit_code == 2
    assert message in result.stderr


def test_refscope_command_keeps_every_ingest_command_and_adds_report(runner):
    result = runner.invoke(cli, ["--help"])
    assert result.exit_code == 0
    for name in ("ingest", "demo-data", "dashboard", "links", "pull", "serve", "report"):
        assert f"  {name} " in result.output, name
    assert dashboard_cli.FORMATS == tuple(reports.REPORT_FORMATS)


def test_report_help_names_every_suffix_out_takes(runner):
    """`--out r.htm` writes HTML (as the README says); --help named .pdf, .xlsx, .html only."""
    help_text = " ".join(runner.invoke(cli, ["report", "--help"]).output.split())
    for suffix in dashboard_cli.SUFFIXES:
        assert re.search(re.escape(suffix) + r"(?![a-z])", help_text), suffix


def test_report_refuses_a_database_and_a_lake_together(runner, report_db, tmp_path):
    args = ["report", "--db", str(report_db), "--lake", str(tmp_path), "--format", "xlsx"]
    result = runner.invoke(cli, args)
    assert result.exit_code == 2
    assert "--db and --lake both name what to read: give one of them" in result.output


def test_a_page_nothing_knows_is_refused_with_the_pages_there_are(runner, report_db, tmp_path):
    out = tmp_path / "r.html"
    args = ["--page", ACME, "--page", "999", "--format", "html", "--out", str(out)]
    result = runner.invoke(cli, ["report", "--db", str(report_db), *args])
    assert result.exit_code == 2
    assert "no page 999 in the data (pages: " in result.stderr
    assert ACME in result.stderr.split("(pages: ")[1]
    assert not out.exists()


def test_a_duckdb_file_of_another_program_is_refused_in_one_line(runner, tmp_path):
    """--db naming another program's DuckDB file (a typo, the wrong folder) is a clear error,
    as the dashboard says it, not a traceback from the first query; and nothing is written."""
    path = tmp_path / "analytics.duckdb"
    con = duckdb.connect(str(path))
    con.execute("CREATE TABLE orders (id INTEGER)")
    con.close()
    out = tmp_path / "r.xlsx"
    result = runner.invoke(cli, ["report", "--db", str(path), "--out", str(out)])
    assert result.exit_code == 1, result.output
    assert isinstance(result.exception, SystemExit)  # a click error, not a traceback
    assert f"{path} is not a refscope database (no events table)" in result.output
    assert not out.exists()


def test_a_report_the_disk_cannot_hold_is_named_and_not_left_cut_short(report_db, tmp_path):
    """A full disk (a file size limit stands in for one) left the report cut short at --out,
    a file that looked written, with an error naming no file (`No space left on device`)."""
    import resource

    from tests.ingest.cli_setup import _run_refscope

    def small_disk() -> None:
        resource.setrlimit(resource.RLIMIT_FSIZE, (1000, 1000))

    out = tmp_path / "reports" / "weekly.html"
    proc = _run_refscope("report", "--db", str(report_db), "--out", str(out), cwd=tmp_path,
                         preexec_fn=small_disk, timeout=300)  # fmt: skip
    assert proc.returncode == 1, (proc.stdout, proc.stderr)
    assert proc.stderr.strip().splitlines() == [
        f"Error: {out}: cannot write the report: File too large; nothing written"
    ]
    assert list(out.parent.iterdir()) == []
