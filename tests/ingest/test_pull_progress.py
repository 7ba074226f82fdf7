"""`refscope pull logs` shows its work as `ingest` does: a bar over the bytes downloaded (of the
answer's Content-Length), then one over the bytes ingested, on a terminal for 50 MB or more, or
always with --progress; piped and small, none."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from rich.console import Console

from dashboard.cli import cli
from ingest import cli_progress
from tests.ingest.fetch_server import lines

MB_50 = cli_progress.PROGRESS_MIN_BYTES


@pytest.fixture
def bars(monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    """Every progress display the command makes: (task description, total, completed, started)."""
    made: list[Any] = []

    class Recording(cli_progress.Progress):
        started = False

        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            made.append(self)

        def start(self) -> None:
            self.started = True

    monkeypatch.setattr(cli_progress, "Progress", Recording)
    return made


def _seen(bars: list[Any]) -> list[tuple[str, float | None, float, bool]]:
    return [(t.description, t.total, t.completed, b.started) for b in bars for t in b.tasks]


def test_progress_shows_the_download_then_the_ingest(site: Any, db_path: Path, bars: list[Any]):
    s, base = site
    log = lines(0, 40)
    s.files["/log.ndjson"] = log
    args = ["pull", "logs", base + "/log.ndjson", "--db", str(db_path), "--progress"]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 0, result.output
    assert _seen(bars) == [
        ("download", len(log), len(log), True),
        ("ingest", len(log), len(log), True),
    ]


def test_piped_and_small_no_bar_starts(site: Any, db_path: Path, bars: list[Any]):
    s, base = site
    s.files["/log.ndjson"] = lines(0, 40)
    result = CliRunner().invoke(cli, ["pull", "logs", base + "/log.ndjson", "--db", str(db_path)])
    assert result.exit_code == 0, result.output
    assert [started for *_, started in _seen(bars)] == [False, False]


@pytest.mark.parametrize(
    ("done", "total", "shown"),
    [
        (1, MB_50 - 1, False),  # small, its size known: over before a bar helps
        (1, MB_50, True),  # 50 MB to come: the bar from the first bytes
        (MB_50 - 1, None, False),  # no Content-Length: not yet
        (MB_50, None, True),  # no Content-Length, 50 MB so far: the bar
    ],
)
def test_the_download_bar_shows_on_a_terminal_from_50_mb(
    done: int, total: int | None, shown: bool
) -> None:
    bar = cli_progress.ReadBar(Console(file=io.StringIO(), force_terminal=True), None, "download")
    try:
        bar.reach(done, total)
        assert bar.bar.live.is_started is shown
    finally:
        bar.stop()
