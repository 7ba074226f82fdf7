"""`refscope serve` keeps serving on SIGHUP (logrotate's `postrotate kill -HUP`, `systemctl
reload`, a closed terminal), a log file rotated away opened anew by name; SIGTERM still stops
it."""

from __future__ import annotations

import json
import os
import signal
import time
from pathlib import Path

import httpx

from tests.ingest.receiver_server import (
    SECRET,
    TOKEN,
    WAIT_SECONDS,
    serve_process,
    sign,
    text_delivery,
)


def deliver(url: str, raw: bytes) -> None:
    r = httpx.post(url + "/webhook", content=raw, headers={"X-Hub-Signature-256": sign(raw)})
    assert r.status_code == 200, r.text


def mids(path: Path) -> list[str]:
    lines = path.read_bytes().splitlines()
    return [
        json.loads(line)["body"]["entry"][0]["messaging"][0]["message"]["mid"] for line in lines
    ]


def test_sighup_after_a_rotation_keeps_serving_into_a_fresh_file(tmp_path: Path) -> None:
    env = {**os.environ, "REFSCOPE_APP_SECRET": SECRET, "REFSCOPE_VERIFY_TOKEN": TOKEN}
    output = tmp_path / "serve.out"
    with serve_process(tmp_path, env, output) as served:
        deliver(served.url, text_delivery(mid="m_before"))
        (log,) = (tmp_path / "logs").glob("webhooks-*.ndjson")
        rotated = log.with_name(log.name + ".1")
        log.rename(rotated)  # as logrotate does, then its postrotate `kill -HUP`
        served.proc.send_signal(signal.SIGHUP)
        deadline = time.monotonic() + WAIT_SECONDS
        while b"still serving" not in output.read_bytes():
            assert served.proc.poll() is None, f"serve ended on SIGHUP: {served.proc.returncode}"
            assert time.monotonic() < deadline, "serve did not say it handled SIGHUP"
            time.sleep(0.05)
        assert httpx.get(served.url + "/healthz").json()["status"] == "ok"
        deliver(served.url, text_delivery(mid="m_after"))
        assert mids(log) == ["m_after"]  # a fresh file under the same name
        assert mids(rotated) == ["m_before"]
    assert served.proc.returncode in (0, -signal.SIGTERM)  # uvicorn re-raises the signal it handled
    assert b"Application shutdown complete" in served.out
    assert SECRET.encode() not in served.out and TOKEN.encode() not in served.out
