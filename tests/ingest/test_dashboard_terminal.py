"""What the terminal shows when `refscope dashboard` (the last step of `make demo`) starts and
when Ctrl-C stops it: where it runs, once in refscope's words and once in Streamlit's, and no
server log lines between them."""

from __future__ import annotations

import http.client
import os
import re
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

LOG_LINE = re.compile(r"^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}\.\d+ ")


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _wait_until_it_answers(port: int) -> None:
    deadline = time.monotonic() + 60
    while True:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
        try:
            conn.request("GET", "/_stcore/health")
            if conn.getresponse().status == 200:
                return
        except OSError:
            pass
        finally:
            conn.close()
        assert time.monotonic() < deadline, "the dashboard never answered"
        time.sleep(0.1)


def test_dashboard_says_where_it_runs_without_server_log_lines_and_stops_on_ctrl_c(
    tmp_path: Path,
) -> None:
    """Streamlit's server logged "2026-12-06 01:34:07.472 Uvicorn server started on
    127.0.0.1:8501" between refscope's line and Streamlit's own URL: a third, timestamped
    telling of the address, which reads like a log of something gone wrong."""
    port = _free_port()
    refscope = Path(sys.executable).parent / "refscope"
    env = {k: v for k, v in os.environ.items() if not k.startswith("REFSCOPE_")}
    proc = subprocess.Popen(
        [str(refscope), "dashboard", "--db", str(tmp_path / "x.duckdb"), "--port", str(port)],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env,
        start_new_session=True, cwd=tmp_path,
    )  # fmt: skip
    lines: list[str] = []
    try:
        assert proc.stdout is not None
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            line = proc.stdout.readline()
            if not line:
                break
            lines.append(line.rstrip("\n"))
            if line.strip().startswith("URL:"):
                break
        assert lines and lines[-1].strip() == f"URL: http://127.0.0.1:{port}", lines
        said = f"refscope dashboard on http://localhost:{port} (login: none, loopback only)"
        assert lines[0] == said, lines
        assert not [line for line in lines if LOG_LINE.match(line)], lines
        _wait_until_it_answers(port)  # as the browser opening the page: then Ctrl-C
    finally:
        os.killpg(proc.pid, signal.SIGINT)  # Ctrl-C, to the terminal's process group
        rest, _ = proc.communicate(timeout=60)
    assert proc.returncode == 0, rest
    assert [line.strip() for line in rest.splitlines() if line.strip()] == ["Stopping..."], rest
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", port))  # nothing left listening
