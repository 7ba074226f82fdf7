"""Paths that cannot be read stop the run with an error naming them and a non-zero exit
(README), read by a user who may not read them: a real `refscope ingest` process, run without
the capabilities that let root read every file (CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH) when
the tests run as root (so the check in test_inputs.py is skipped there). It stays root
otherwise: the interpreter and the checkout are read as the tests read them, wherever they
are (a checkout under /root is no other user's to read)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

import tests.factories as f
from tests.conftest import Query

# Dropped from the bounding set, which a root process's next program gets its capabilities from.
UNPRIVILEGED = ["--bounding-set=-dac_override,-dac_read_search"]


@pytest.fixture
def shared() -> Iterator[Path]:
    """A folder of its own, its modes open: the run is judged on the paths it cannot read only."""
    top = Path(tempfile.mkdtemp(prefix="refscope-unreadable-"))
    top.chmod(0o777)
    try:
        yield top
    finally:
        for p in top.rglob("*"):
            p.chmod(0o700)  # a folder left without permissions could not be removed
        shutil.rmtree(top)


def _ingest(top: Path, *paths: Path) -> subprocess.CompletedProcess[str]:
    cmd = [sys.executable, "-m", "ingest", "ingest", *map(str, paths), "--db",
           str(top / "refscope.duckdb"), "--no-progress"]  # fmt: skip
    if os.geteuid() == 0:
        setpriv = shutil.which("setpriv")
        if setpriv is None or subprocess.run([setpriv, *UNPRIVILEGED, "true"]).returncode:
            pytest.skip("running as root, whose power to read any file cannot be dropped")
        cmd = [setpriv, *UNPRIVILEGED, *cmd]
    env = {**os.environ, "HOME": str(top)}
    return subprocess.run(cmd, capture_output=True, text=True, env=env, cwd=top, timeout=120)


@pytest.mark.parametrize("what", ["file", "folder", "file-in-folder"])
def test_a_path_that_cannot_be_read_stops_the_run_naming_it(shared: Path, what: str) -> None:
    good = f.write_ndjson(shared / "good.ndjson", [f.delivery(f.message(psid="u1"))])
    good.chmod(0o644)
    logs = shared / "logs"
    logs.mkdir()
    bad = f.write_ndjson(logs / "webhooks.ndjson", [f.delivery(f.message(psid="u2"))])
    bad.chmod(0o644)
    if what == "folder":
        logs.chmod(0)
    else:
        logs.chmod(0o755)
        bad.chmod(0)
    named = bad if what == "file" else logs
    done = _ingest(shared, good, named)
    assert done.returncode == 1, done
    wanted = {
        "file": f"Error: {bad}: permission denied",
        "folder": f"Error: {logs}: cannot list the folder: Permission denied",
        "file-in-folder": f"Error: {bad}: permission denied",
    }[what]
    assert done.stderr.strip().splitlines() == [wanted], done.stderr
    assert "Traceback" not in done.stdout + done.stderr
    db_file = shared / "refscope.duckdb"
    if db_file.exists():  # the run stopped before it read any log: good.ndjson too
        assert Query(db_file)("SELECT count(*) FROM events") == [(0,)]
