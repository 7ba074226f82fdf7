"""What `refscope demo-data` shows while it works, in a process of its own: on a terminal, which
stage it is at; into a pipe, nothing but its last line."""

from __future__ import annotations

from pathlib import Path

from tests.ingest.cli_setup import _on_a_terminal, _run_refscope

DEMO = ["demo-data", "--days", "120", "--end", "2024-05-19", "--out"]


def test_demo_data_on_a_terminal_says_what_it_is_doing(tmp_path: Path) -> None:
    """A default run takes seconds, one with --scale or many --days minutes: it sat silent
    until its last line, as if hung. It now says its stage on stderr while it works."""
    screen = _on_a_terminal(*DEMO, str(tmp_path / "demo"), cwd=tmp_path)
    assert "demo-data: simulating 120 days of two pages" in screen, screen[-2000:]
    assert "demo-data: writing the logs" in screen, screen[-2000:]
    assert "wrote " in screen.splitlines()[-1], screen[-2000:]


def test_demo_data_into_a_pipe_says_its_last_line_alone(tmp_path: Path) -> None:
    done = _run_refscope(*DEMO, str(tmp_path / "demo"), cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert done.stderr == "" and done.stdout.startswith("wrote ") and done.stdout.count("\n") == 1
