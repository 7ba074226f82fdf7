"""Overview's per-channel table downloads wherever it is shown: with new contacts in the range,
and with re-entries only (contacts acquired before it came back), through Streamlit's AppTest
on a real database file."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from dashboard import reports
from ingest import pipeline
from tests import factories as fx
from tests.dashboard.screen import show

BUTTONS = [f"download-channel_totals-{fmt}" for fmt in reports.TABLE_FORMATS]


def day_of(ts_ms: int) -> dt.date:
    return dt.datetime.fromtimestamp(ts_ms / 1000, dt.UTC).date()


def test_overview_downloads_its_channel_table_when_the_range_has_only_reentries(
    open_app, tmp_path: Path
) -> None:
    """u1 is acquired on the first day and comes back ten days later through a ref: that day
    has a re-entry and no new contact, and the table that says so downloads as any other."""
    later = fx.T0 + 10 * fx.DAY
    lines = [fx.delivery(fx.message("hi", psid="u1", ts=fx.T0)),
             fx.delivery(fx.referral("spring_menu", psid="u1", ts=later))]  # fmt: skip
    path = tmp_path / "reentry.duckdb"
    pipeline.run([str(fx.write_ndjson(tmp_path / "webhooks.ndjson", lines))], path)
    day = str(day_of(later))
    at = show(open_app(path, range="Custom", **{"from": day, "to": day}), "overview")
    assert at.info[0].value.startswith("No new contacts in this range and filter.")
    (table,) = at.dataframe
    assert table.value[["new_contacts", "reentries"]].values.tolist() == [[0, 1]]
    assert [b.key for b in at.get("download_button")] == BUTTONS
    labels = [b.proto.label for b in at.get("download_button")]
    assert labels == ["Download CSV", "Download XLSX", "Download Parquet"]


def test_overview_downloads_its_channel_table_when_the_range_has_new_contacts(
    open_app, tmp_path: Path
) -> None:
    lines = [fx.delivery(fx.referral("spring_menu", psid="u1", ts=fx.T0))]
    path = tmp_path / "new.duckdb"
    pipeline.run([str(fx.write_ndjson(tmp_path / "webhooks.ndjson", lines))], path)
    day = str(day_of(fx.T0))
    at = show(open_app(path, range="Custom", **{"from": day, "to": day}), "overview")
    (table,) = at.dataframe
    assert table.value["new_contacts"].sum() == 1
    assert [b.key for b in at.get("download_button")] == BUTTONS
