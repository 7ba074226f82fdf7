"""The automatic ref's month (campaign-placement-YYYY_MM) is the UTC month, as `created_at` and
every date refscope keeps: on a machine east of UTC it was the local one, so a link made at
23:30 UTC on 31 March got an April ref beside a March `created_at`."""

from __future__ import annotations

import datetime as dt
import types
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from ingest import db, links, links_csv
from ingest.cli import cli
from tests.ingest.links_setup import import_csv, write

INSTANT = dt.datetime(2026, 3, 31, 23, 30, tzinfo=dt.UTC)
LOCAL = dt.timezone(dt.timedelta(hours=2))  # where it is already 1 April, 01:30


class _Clock(dt.datetime):
    @classmethod
    def now(cls, tz: dt.tzinfo | None = None) -> dt.datetime:  # type: ignore[override]
        return INSTANT.astimezone(tz) if tz else INSTANT.astimezone(LOCAL).replace(tzinfo=None)


class _Calendar(dt.date):
    @classmethod
    def today(cls) -> dt.date:
        return INSTANT.astimezone(LOCAL).date()


@pytest.fixture(autouse=True)
def east_of_utc_at_the_month_end(monkeypatch: pytest.MonkeyPatch) -> None:
    """The links module's clock: 23:30 UTC on 31 March, read on a machine at UTC+2."""
    clock = types.SimpleNamespace(**vars(dt))
    clock.datetime, clock.date = _Clock, _Calendar
    monkeypatch.setattr(links, "dt", clock)


def test_the_automatic_ref_takes_the_utc_month() -> None:
    link = links.make_link("acmebakery", None, "qr", "Spring Sale", "Window")
    assert link.ref == "spring_sale-window-2026_03"


def test_links_create_registers_the_utc_month_beside_a_created_at_of_that_month(
    runner: CliRunner, db_path: Path
) -> None:
    args = ["--page", "acmebakery", "--campaign", "Spring Sale", "--placement", "Window"]
    res = runner.invoke(cli, ["links", "create", *args, "--db", str(db_path)])
    assert res.exit_code == 0, res.output
    assert res.output.splitlines()[0] == "https://m.me/acmebakery?ref=spring_sale-window-2026_03"
    con = db.connect(db_path, read_only=True)
    try:
        rows = con.execute("SELECT ref, created_at FROM tracked_links").fetchall()
    finally:
        con.close()
    assert rows == [("spring_sale-window-2026_03", INSTANT.replace(tzinfo=None))]


def test_an_imported_row_with_a_created_time_takes_that_month_for_its_automatic_ref(
    tmp_path: Path, runner: CliRunner, query: Any, db_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A row that says when its link was made (`created`, as `links list --format csv` writes
    it) and gives no ref got the import's month beside an older `created_at`: a sheet of last
    January's flyers imported in March registered `…-2026_03` refs made in January. Its month
    is created's, in UTC as created_at keeps it (23:30 at -01:00 on 28 February is March)."""
    monkeypatch.setattr(links_csv, "dt", links.dt)  # the import's clock too: an empty created
    text = ("page,channel,campaign,placement,created\n"
            "acmebakery,qr,Spring Sale,Window,2026-01-15T10:00:00Z\n"
            "acmebakery,qr,Spring Sale,Door,2026-02-28T23:30:00-01:00\n"
            "acmebakery,qr,Spring Sale,Till,\n")  # fmt: skip
    res = import_csv(runner, db_path, write(tmp_path / "links.csv", text))
    assert res.exit_code == 0, res.output
    assert sorted(query("SELECT ref, created_at FROM tracked_links")) == [
        ("spring_sale-door-2026_03", dt.datetime(2026, 3, 1, 0, 30)),
        ("spring_sale-till-2026_03", INSTANT.replace(tzinfo=None)),
        ("spring_sale-window-2026_01", dt.datetime(2026, 1, 15, 10, 0)),
    ]
