"""The ingest's progress bar as a person sees it: `refscope ingest` of a 50 MB log in a process of
its own, on a real pseudo-terminal, on a dumb one (Emacs's shell, an editor's output pane) and
into a pipe (cron's log)."""

from __future__ import annotations

from pathlib import Path

import pytest

import tests.factories as f
from tests.factories import T0
from tests.ingest.cli_setup import _on_a_terminal, _run_refscope

MB_50 = 50 * 1024 * 1024  # "on a terminal, for 50 MB or more", as `ingest --help` says


@pytest.fixture(scope="module")
def big_log(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A log of just over 50 MB: one message a line, from 1,000 people."""
    path = tmp_path_factory.mktemp("big") / "webhooks.ndjson"
    size, i = 0, 0
    with path.open("w") as out:
        while size < MB_50:
            message = f.message("hello " * 30, psid=f"u{i % 1000}", ts=T0 + i, mid=f"m_{i}")
            size += out.write(f.line(f.delivery(message)) + "\n")
            i += 1
    return path


def test_a_terminal_shows_the_bar_then_the_summary(big_log: Path, tmp_path: Path) -> None:
    screen = _on_a_terminal("ingest", str(big_log), "--db", str(tmp_path / "t.duckdb"),
                            cwd=tmp_path)  # fmt: skip
    assert "ingest " in screen and "━" in screen and " MB" in screen, screen[-2000:]
    assert "run 1: 1 of 1 file read" in screen, screen[-2000:]


def test_a_dumb_terminal_gets_no_bar_and_no_blank_line(big_log: Path, tmp_path: Path) -> None:
    """TERM=dumb cannot redraw a line: rich draws no bar on it, but the bar's end still wrote a
    line break, so the summary came after an empty line."""
    screen = _on_a_terminal("ingest", str(big_log), "--db", str(tmp_path / "d.duckdb"),
                            cwd=tmp_path, term="dumb")  # fmt: skip
    assert "━" not in screen and "\r" not in screen, repr(screen[:300])
    assert screen.startswith("run 1: 1 of 1 file read"), repr(screen[:300])


def test_a_pipe_gets_the_summary_alone(big_log: Path, tmp_path: Path) -> None:
    """Cron's log: no bar frames, no terminal codes, however large the input."""
    done = _run_refscope("ingest", str(big_log), "--db", str(tmp_path / "p.duckdb"), cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert "\x1b" not in done.stdout + done.stderr and "━" not in done.stdout, done.stdout
    assert done.stdout.startswith("run 1: 1 of 1 file read"), done.stdout
