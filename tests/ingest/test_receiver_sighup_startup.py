"""`refscope serve` keeps running on a SIGHUP that arrives while it starts (its imports, the
command before uvicorn's lifespan), not only once it serves: a logrotate `postrotate kill -HUP`
or a closed terminal at that moment ended it (the default action of SIGHUP)."""

from __future__ import annotations

import os
import signal
import sys
import tomllib
from pathlib import Path

import httpx
import pytest

from tests.ingest.receiver_server import SECRET, TOKEN, serve_process

# The process sends itself SIGHUP when it first imports `module` (a meta path finder that finds
# nothing), then runs the entry point: the signal lands at that point of the start, every time.
HANGUP_AT_IMPORT = """
import os, signal, sys
class HangUp:
    def find_spec(self, name, path=None, target=None):
        if name == {module!r}:
            sys.meta_path.remove(self)
            os.kill(os.getpid(), signal.SIGHUP)
        return None
sys.meta_path.insert(0, HangUp())
{entry}
"""
PYPROJECT = Path(__file__).resolve().parents[2] / "pyproject.toml"
SCRIPT = tomllib.loads(PYPROJECT.read_text("utf-8"))["project"]["scripts"]["refscope"]
ENTRIES = {
    "python -m ingest": "import runpy; runpy.run_module('ingest', run_name='__main__')",
    # what the installed `refscope` script runs
    "refscope": "from {0} import {1}; {1}()".format(*SCRIPT.split(":")),
}


@pytest.mark.parametrize("entry", sorted(ENTRIES))
@pytest.mark.parametrize("module", ["duckdb", "uvicorn"])  # while importing; in the command
def test_a_sighup_while_serve_starts_does_not_end_it(
    tmp_path: Path, entry: str, module: str
) -> None:
    env = {**os.environ, "REFSCOPE_APP_SECRET": SECRET, "REFSCOPE_VERIFY_TOKEN": TOKEN}
    code = HANGUP_AT_IMPORT.format(module=module, entry=ENTRIES[entry])
    with serve_process(tmp_path, env, command=(sys.executable, "-c", code)) as served:
        assert httpx.get(served.url + "/healthz").json()["status"] == "ok"
        assert served.proc.poll() is None
    assert served.proc.returncode in (0, -signal.SIGTERM)
    assert b"SIGHUP: still serving" in served.out, served.out.decode()
    assert b"Application shutdown complete" in served.out
