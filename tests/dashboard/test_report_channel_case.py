"""`report --channel` in any case, as `links create --channel` and an import's channel column
take theirs: the channel as the data names it, in the report and in what it says."""

from __future__ import annotations

from pathlib import Path

import openpyxl
from click.testing import CliRunner

from dashboard.cli import cli
from tests.dashboard.report_setup import rows

RANGE_ARGS = ("--from", "2026-10-28", "--to", "2026-11-24")


def _channel_report(
    runner: CliRunner, report_db: Path, out: Path, *channels: str
) -> dict[str, object]:
    """The Summary and the day totals of the XLSX report of channels."""
    args = [a for c in channels for a in ("--channel", c)]
    result = runner.invoke(cli, ["report", "--db", str(report_db), *args, *RANGE_ARGS,
                                 "--out", str(out)])  # fmt: skip
    assert result.exit_code == 0, result.output
    book = openpyxl.load_workbook(out)
    summary = {r[0]: r[1] for r in book["Summary"].iter_rows(values_only=True)}
    return {"Channels": summary["Channels"],
            "Total": sum(r["Total"] for r in rows(book["New contacts per day"]))}  # fmt: skip


def test_a_channel_in_any_case_is_the_channel(
    runner: CliRunner, report_db: Path, tmp_path: Path
) -> None:
    """`--channel QR_Code` was refused (`'QR_Code' is not one of 'm_me_link', …`, exit 2)."""
    lower = _channel_report(runner, report_db, tmp_path / "lower.xlsx", "qr_code")
    assert lower["Channels"] == "QR code" and lower["Total"] > 0
    mixed = _channel_report(runner, report_db, tmp_path / "mixed.xlsx", "QR_Code", "qr_code")
    assert mixed == lower  # the same channel, named once


def test_a_range_without_data_names_the_channel_by_its_name(
    runner: CliRunner, report_db: Path, tmp_path: Path
) -> None:
    result = runner.invoke(cli, ["report", "--db", str(report_db), "--channel", "CTM_AD",
                                 "--from", "2020-01-01", "--to", "2020-01-28",
                                 "--out", str(tmp_path / "empty.html")])  # fmt: skip
    assert result.exit_code == 0, result.output
    said = "No data for 2020-01-01 – 2020-01-28 (pages: all, channels: Click-to-Messenger ad)"
    assert said in result.stderr  # named as ctm_ad is
