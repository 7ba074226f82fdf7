"""`refscope demo-data` stopped by Ctrl-C or SIGTERM, in a process of its own."""

from __future__ import annotations

import signal
import time
from pathlib import Path

import pytest

from tests.ingest.cli_setup import _refscope


@pytest.mark.parametrize(
    ("sig", "code"), [(signal.SIGINT, 130), (signal.SIGTERM, 143)], ids=["ctrl-c", "sigterm"]
)
def test_demo_data_stopped_while_it_simulates_says_nothing_was_written(
    tmp_path: Path, sig: signal.Signals, code: int
) -> None:
    """Ctrl-C said click's bare "Aborted!" with exit 1, and SIGTERM ended it without a word:
    it now says what it leaves and exits as a shell reports a stop by that signal, as `ingest`
    does."""
    out = tmp_path / "demo"
    proc = _refscope("demo-data", "--scale", "5", "--end", "2024-05-19", "--out", str(out),
                     cwd=tmp_path)  # fmt: skip
    time.sleep(4)  # its imports done, minutes of simulating ahead
    assert proc.poll() is None, proc.communicate()
    proc.send_signal(sig)
    stdout, stderr = proc.communicate(timeout=60)
    assert proc.returncode == code, (stdout, stderr)
    assert "Traceback" not in stderr and "Aborted" not in stdout + stderr, stderr
    assert stdout == "", stdout  # a notice: on stderr, as the error of a failed command
    assert stderr.endswith("stopped before writing anything: nothing was written\n"), stderr
    assert not out.exists()
