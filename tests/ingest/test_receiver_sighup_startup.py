"""`refscope serve` keeps running on a SIGHUP that arrives while it starts (its imports, the
command before uvicorn's lifespan), not only once it serves: a logrotate `postrotate kill -HUP`
or a closed terminal at that moment ended it (the default action of SIGHUP)."""

from __future__ import annotations

import os
import signal
import sys
from pathlib import Path

import httpx
import pytest

from tests.ingest.cli_setup import ENTRIES, SIGNAL_AT_IMPORT
from tests.ingest.receiver_server import SECRET, TOKEN, serve_process


@pytest.mark.parametrize("entry", sorted(ENTRIES))
@pytest.mark.parametrize("module", ["duckdb", "uvicorn"])  # while importing; in the command
def test_a_sighup_while_serve_starts_does_not_end_it(
    tmp_path: Path, entry: str, module: str
) -> None:
    env = {**os.environ, "REFSCOPE_APP_SECRET": SECRET, "REFSCOPE_VERIFY_TOKEN": TOKEN}
    code = SIGNAL_AT_IMPORT.format(module=module, sig=int(signal.SIGHUP), entry=ENTRIES[entry])
    with serve_process(tmp_path, env, command=(sys.executable, "-c", code)) as served:
        assert httpx.get(served.url + "/healthz").json()["status"] == "ok"
        assert served.proc.poll() is None
    assert served.proc.returncode in (0, -signal.SIGTERM)
    assert b"SIGHUP: still serving" in served.out, served.out.decode()
    assert b"Application shutdown complete" in served.out
