"""`refscope pull ads` and `pull logs` (real processes) given a host whose name does not resolve:
a name under `.invalid`, which RFC 2606 reserves so that it never resolves (no network needed).
Asking again gets the same answer, so they fail at once, naming the host (never the token or the
URL's query), exit 1; they retried it 8 and 5 times with backoff (some three minutes for ads)."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

TOKEN = "EAAB-fake-graph-token-dns-123"
SECRET = "sig-s3cr3t-dns"
HOST = "nowhere.example.invalid"
# A proxy from the environment would resolve the name itself, and answer for it.
PROXIES = {"http_proxy", "https_proxy", "all_proxy", "no_proxy"}


def _refscope(*args: str) -> tuple[subprocess.CompletedProcess[str], float]:
    env = {k: v for k, v in os.environ.items() if k.lower() not in PROXIES}
    env["REFSCOPE_META_TOKEN"] = TOKEN
    began = time.monotonic()
    proc = subprocess.run([sys.executable, "-m", "ingest", *args], env=env, capture_output=True,
                          text=True, timeout=60)  # fmt: skip
    return proc, time.monotonic() - began


@pytest.mark.parametrize(
    ("command", "secret"),
    [(["ads", "--account", "act_123", "--base-url", f"https://{HOST}"], TOKEN),
     (["logs", f"https://{HOST}/export.ndjson?key={SECRET}", "--no-progress"], SECRET)],
    ids=["ads", "logs"],
)  # fmt: skip
def test_a_pull_stops_at_once_on_a_host_that_does_not_resolve(
    tmp_path: Path, command: list[str], secret: str
) -> None:
    proc, took = _refscope("pull", *command, "--db", str(tmp_path / "r.duckdb"))
    out = proc.stdout + proc.stderr
    assert proc.returncode == 1, out
    assert "retrying" not in out and "giving up" not in out and took < 30, out
    assert f"the host {HOST} was not found" in proc.stderr, out
    assert "not retried" in proc.stderr, out
    assert secret not in out
