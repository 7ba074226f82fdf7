"""Every `refscope` command stopped by Ctrl-C or SIGTERM while it starts (the entry point's
imports of click, DuckDB, rich…, before the command's own handler is set) ends as a stop does:
one `stopped` line, exit 130 or 143; not a KeyboardInterrupt traceback (exit 1), nor click's
"Aborted!", nor an end without a word (SIGTERM)."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.ingest.cli_setup import ENTRIES, SIGNAL_AT_IMPORT, _clean_env
from tests.ingest.links_setup import write_csv

SAID = "stopped while starting: nothing was written\n"
SIGNALS = [(signal.SIGINT, 130), (signal.SIGTERM, 143)]


@pytest.mark.parametrize(("sig", "code"), SIGNALS, ids=["ctrl-c", "sigterm"])
@pytest.mark.parametrize("module", ["click", "duckdb", "rich"])
@pytest.mark.parametrize("entry", sorted(ENTRIES))
def test_a_command_stopped_while_it_imports_says_so(
    tmp_path: Path, entry: str, module: str, sig: signal.Signals, code: int
) -> None:
    """A Ctrl-C printed a KeyboardInterrupt traceback, and SIGTERM ended it without a word."""
    script = SIGNAL_AT_IMPORT.format(module=module, sig=int(sig), entry=ENTRIES[entry])
    db_file = tmp_path / "refscope.duckdb"
    args = ["pages", "set", "123", "--name", "Acme", "--db", str(db_file)]
    done = subprocess.run(
        [sys.executable, "-c", script, *args], cwd=tmp_path,
        env=_clean_env(), capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert (done.returncode, done.stdout, done.stderr) == (code, "", SAID)
    assert not db_file.exists()


def _loaded(pid: int, library: str) -> bool:
    """Whether process pid has mapped library (Linux): it is importing it, or did."""
    try:
        return library in Path(f"/proc/{pid}/maps").read_text()
    except OSError:  # it ended
        return True


@pytest.mark.parametrize("after", [0.0, 0.01, 0.03, 0.1, 0.3, 0.6])
@pytest.mark.parametrize(("sig", "code"), SIGNALS, ids=["ctrl-c", "sigterm"])
def test_a_command_stopped_at_any_time_from_its_start_says_stopped(
    tmp_path: Path, after: float, sig: signal.Signals, code: int
) -> None:
    """Sent `after` seconds once the entry point imports DuckDB: in its imports, in click's
    reading of the options, or in the command (an import of 40 QR codes, which takes longer),
    the stop is one `stopped` line and exit 130 or 143, whichever it interrupts."""
    rows = [f"acmebakery,spot_{i},qr,spring,Spot {i}," for i in range(40)]
    csv_file = write_csv(tmp_path / "spots.csv", rows)
    args = ["links", "import", str(csv_file), "--db", str(tmp_path / "refscope.duckdb"),
            "--out", str(tmp_path / "codes")]  # fmt: skip
    proc = subprocess.Popen(
        [sys.executable, "-c", ENTRIES["refscope"], *args], cwd=tmp_path, env=_clean_env(),
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    deadline = time.monotonic() + 60
    while not _loaded(proc.pid, "_duckdb") and time.monotonic() < deadline:
        time.sleep(0.001)
    time.sleep(after)
    proc.send_signal(sig)
    stdout, stderr = proc.communicate(timeout=120)
    assert proc.returncode == code, (stdout, stderr)
    assert "Traceback" not in stderr and "Aborted" not in stdout + stderr, stderr
    assert len(stderr.splitlines()) == 1 and stderr.startswith("stopped"), stderr
