"""`refscope report` stopped by Ctrl-C or SIGTERM while it draws the report, in a process of its
own: it says that nothing was written and exits as the long commands do (130, 143)."""

from __future__ import annotations

import signal
import time
from pathlib import Path

import pytest

from tests.dashboard.report_setup import needs_chromium
from tests.ingest.cli_setup import _refscope, _signalled_at_call, _stopped


def _children(pid: int) -> list[str]:
    """The pids of pid's child processes, of any of its threads (Linux): kaleido's Chromium, as
    the PDF is drawn."""
    found = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        try:
            found += (task / "children").read_text().split()
        except OSError:  # a thread that ended meanwhile
            pass
    return found


@needs_chromium
@pytest.mark.parametrize(
    ("sig", "code"), [(signal.SIGINT, 130), (signal.SIGTERM, 143)], ids=["ctrl-c", "sigterm"]
)
def test_a_report_stopped_while_drawn_says_nothing_was_written(
    demo_db: Path, tmp_path: Path, sig: signal.Signals, code: int
) -> None:
    """Ctrl-C said click's bare "Aborted!" with exit 1, and SIGTERM ended it without a word."""
    out = tmp_path / "reports" / "r.pdf"
    proc = _refscope("report", "--db", str(demo_db), "--days", "120", "--out", str(out),
                     cwd=tmp_path)  # fmt: skip
    deadline = time.monotonic() + 120
    while proc.poll() is None and not _children(proc.pid) and time.monotonic() < deadline:
        time.sleep(0.01)  # until Chromium draws its charts: the data read, the PDF ahead
    assert proc.poll() is None, proc.communicate()
    stdout, stderr = _stopped(proc, sig, code)
    assert stdout == "", stdout  # a notice: on stderr, as the error of a failed command
    assert stderr == "stopped before writing the report: nothing was written\n", stderr
    assert not out.exists()


@pytest.mark.parametrize(
    ("sig", "code"), [(signal.SIGINT, 130), (signal.SIGTERM, 143)], ids=["ctrl-c", "sigterm"]
)
def test_a_report_stopped_once_its_folder_is_made_leaves_no_folder(
    small_db: Path, tmp_path: Path, sig: signal.Signals, code: int
) -> None:
    """Stopped as it writes its file, into folders it made: the folders were left, empty."""
    (tmp_path / "reports").mkdir()  # there before: it stays
    out = tmp_path / "reports" / "2023" / "november" / "r.html"
    done = _signalled_at_call("dashboard/cli.py:_write", sig, "report", "--db", str(small_db),
                              "--out", str(out), cwd=tmp_path)  # fmt: skip
    assert (done.returncode, done.stdout) == (code, ""), done.stderr
    assert done.stderr == "stopped before writing the report: nothing was written\n"
    assert [p.name for p in (tmp_path / "reports").iterdir()] == []
