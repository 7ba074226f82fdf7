"""The receiver on a real uvicorn server on 127.0.0.1, driven by httpx: durable logging, health
and metrics, the `serve` command, and the ingest reading what it wrote. The handshake:
test_receiver_handshake.py; signatures: test_receiver_signatures.py; body limits:
test_receiver_bodies.py; clicks: test_receiver_clicks.py."""

from __future__ import annotations

import asyncio
import json
import logging
import os
import re
import signal
import stat
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest

from ingest import pipeline
from ingest.cli import cli
from ingest.receiver import MAX_BODY_BYTES, ReceiverConfig, envelope_line, log_file
from tests import factories as f
from tests.conftest import Query
from tests.ingest.receiver_server import (
    IPHONE,
    SECRET,
    TOKEN,
    WAIT_SECONDS,
    HeldFsync,
    Receiver,
    StartReceiver,
    meta_json,
    serve_process,
    sign,
    text_delivery,
)

# --- durable logging --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "raw",
    [b"not json at all", b'{"object":"page","entry":[', b"\xff\xfe{}\n\r", b"", b"NaN"],
    ids=["text", "truncated", "not-utf8", "empty", "nan"],
)
def test_signed_body_that_is_not_json_is_kept_as_a_string(receiver: Receiver, raw: bytes) -> None:
    assert receiver.post(raw).status_code == 200
    (line,) = receiver.lines()
    assert json.loads(line)["body"] == raw.decode("utf-8", "backslashreplace")


def test_json_body_with_line_breaks_stays_one_line() -> None:
    raw = b'{\r\n  "object": "page",\n  "entry": []\r\n}\r\n'
    line = envelope_line(raw, 5)
    assert line.count(b"\n") == 1 and line.endswith(b"}\n")
    assert b"\r" not in line  # a lone CR ends a line for str.splitlines and many tools
    assert json.loads(line) == {"received_at": 5, "body": {"object": "page", "entry": []}}


def test_concurrent_deliveries_each_land_exactly_once(receiver: Receiver) -> None:
    raws = [text_delivery(f"hi {i}", mid=f"m_c{i}", ts=f.T0 + i) for i in range(200)]

    async def post_all() -> list[int]:
        # httpx's default 5 s covers the wait for one of its 100 connections too: the other
        # 100 posts wait for those, longer than that on a loaded machine.
        async with httpx.AsyncClient(base_url=receiver.url, timeout=WAIT_SECONDS) as client:
            responses = await asyncio.gather(*(
                client.post("/webhook", content=raw, headers={"X-Hub-Signature-256": sign(raw)})
                for raw in raws
            ))  # fmt: skip
        return [r.status_code for r in responses]

    assert asyncio.run(post_all()) == [200] * 200
    logged = [x.split(b',"body":', 1)[1][:-1] for x in receiver.lines()]
    assert sorted(logged) == sorted(raws)
    metrics = receiver.metrics()
    assert metrics["refscope_deliveries_accepted_total"] == 200
    assert 1 <= metrics["refscope_write_batches_total"] <= 200


def test_a_failed_fsync_is_answered_500_and_the_retry_is_kept(
    start_receiver: StartReceiver,
) -> None:
    failures = [OSError(5, "Input/output error")]

    def fsync(fd: int) -> None:
        if failures:
            raise failures.pop()
        os.fsync(fd)

    receiver = start_receiver(fsync=fsync)
    raw = text_delivery()
    assert receiver.post(raw).status_code == 500
    assert receiver.post(raw).status_code == 200  # Meta's retry
    assert all(json.loads(x)["body"] == json.loads(raw) for x in receiver.lines())
    assert receiver.metrics()["refscope_write_errors_total"] == 1


def test_a_torn_last_line_does_not_swallow_the_next_delivery(
    start_receiver: StartReceiver, tmp_path: Path
) -> None:
    now = f.T0 / 1000
    path = log_file(tmp_path / "logs", "webhooks", f.T0)
    path.parent.mkdir()
    path.write_bytes(b'{"received_at":1,"body":{"object":"pa')  # a crash mid-write
    receiver = start_receiver(
        ReceiverConfig(tmp_path / "logs", None, (SECRET,), TOKEN), clock=lambda: now
    )
    raw = text_delivery()
    assert receiver.post(raw).status_code == 200
    torn, line = path.read_bytes().splitlines()
    assert json.loads(line) == {"received_at": f.T0, "body": json.loads(raw)}


def test_a_log_removed_while_serving_is_opened_anew(receiver: Receiver) -> None:
    assert receiver.post(text_delivery(mid="m_1")).status_code == 200
    (path,) = receiver.log_dir.glob("webhooks-*.ndjson")
    path.unlink()  # a cleanup script, or a rotation that moved it away
    assert receiver.post(text_delivery(mid="m_2")).status_code == 200
    (line,) = receiver.lines()
    assert json.loads(line)["body"] == json.loads(text_delivery(mid="m_2"))


def test_a_callback_url_with_a_trailing_slash_is_served(receiver: Receiver) -> None:
    raw = text_delivery()
    r = receiver.client.post("/webhook/", content=raw, headers={"X-Hub-Signature-256": sign(raw)})
    assert r.status_code == 200 and len(receiver.lines()) == 1
    params = {"hub.mode": "subscribe", "hub.verify_token": TOKEN, "hub.challenge": "42"}
    r = receiver.get("/webhook/", params=params)
    assert (r.status_code, r.text) == (200, "42")


def test_log_files_are_named_by_stream_utc_day_and_writer(tmp_path: Path) -> None:
    last_ms_of_day = 1_700_006_399_999  # 2023-11-14 23:59:59.999 UTC
    assert log_file(tmp_path, "webhooks", last_ms_of_day).name == "webhooks-2023-11-14.ndjson"
    assert log_file(tmp_path, "clicks", last_ms_of_day + 1).name == "clicks-2023-11-15.ndjson"
    assert log_file(tmp_path, "clicks", f.T0, "b2").name == "clicks-2023-11-14.b2.ndjson"


@pytest.mark.parametrize("tz", ["XYZ-14", "XYZ+12"], ids=["utc+14", "utc-12"])
def test_log_files_are_named_by_the_utc_day_whatever_the_hosts_time_zone(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, tz: str
) -> None:
    monkeypatch.setenv("TZ", tz)
    time.tzset()
    try:
        first_ms, last_ms = 1_699_920_000_000, 1_700_006_399_999  # 2023-11-14, UTC
        for at in (first_ms, last_ms):
            assert log_file(tmp_path, "webhooks", at).name == "webhooks-2023-11-14.ndjson"
    finally:
        monkeypatch.undo()
        time.tzset()


# --- health and metrics -----------------------------------------------------------------------


def test_metrics_count_deliveries_refusals_and_bytes(receiver: Receiver) -> None:
    for i in range(3):
        receiver.post(text_delivery(mid=f"m_{i}"))
    receiver.post(text_delivery(), None)
    receiver.post(text_delivery(), sign(b"x"))
    r = receiver.get("/metrics")
    assert r.headers["content-type"].startswith("text/plain; version=0.0.4")
    assert "# TYPE refscope_deliveries_refused_total counter" in r.text
    assert r.text.endswith("\n")  # the exposition format ends its last line too
    types = [line.split()[2:] for line in r.text.splitlines() if line.startswith("# TYPE")]
    assert {name.removeprefix("refscope_"): kind for name, kind in types} == {
        **dict.fromkeys(["deliveries_accepted_total", "deliveries_refused_total",
                         "write_errors_total", "bytes_written_total", "lines_written_total",
                         "write_batches_total", "clicks_total", "clicks_unchecked_total",
                         "clicks_refused_total", "clicks_prefetch_declined_total"],
                        "counter"),
        "fsync_seconds": "summary",
        "fsync_seconds_max": "gauge",
        "registry_refs": "gauge",
    }  # fmt: skip
    m = receiver.metrics()
    assert m["refscope_deliveries_accepted_total"] == 3
    assert m['refscope_deliveries_refused_total{reason="missing"}'] == 1
    assert m['refscope_deliveries_refused_total{reason="mismatch"}'] == 1
    assert m["refscope_bytes_written_total"] == sum(
        p.stat().st_size for p in receiver.log_dir.iterdir()
    )
    assert m["refscope_fsync_seconds_count"] >= 1
    assert m["refscope_fsync_seconds_max"] <= m["refscope_fsync_seconds_sum"]
    assert m["refscope_clicks_total"] == 0


def test_healthz_reports_the_configuration_without_secrets(receiver: Receiver) -> None:
    r = receiver.get("/healthz")
    assert r.status_code == 200
    body = r.json()
    assert body["status"] == "ok" and body["accepting_deliveries"] is True
    assert body["app_secrets"] == 1 and body["verify_token_set"] is True


def test_healthz_says_where_no_file_lives(start_receiver: StartReceiver, tmp_path: Path) -> None:
    """/healthz (often public: a load balancer's check) gave the database's absolute path, and
    its error repeated it; it now says whether a registry is read and why not, by file name."""
    db_file = tmp_path / "private" / "refscope.duckdb"
    receiver = start_receiver(ReceiverConfig(tmp_path / "logs", db_file, (SECRET,), TOKEN))
    r = receiver.get("/healthz")
    assert str(tmp_path) not in r.text and "private" not in r.text, r.text
    registry = r.json()["registry"]
    assert registry["configured"] is True and registry["refs"] == 0
    assert registry["error"] == "refscope.duckdb: no database yet; run `refscope ingest` first"
    assert start_receiver().get("/healthz").json()["registry"]["configured"] is False


def test_healthz_counts_the_lines_waiting_for_the_disk(start_receiver: StartReceiver) -> None:
    held = HeldFsync()  # the first batch waits until the test lets it go
    receiver = start_receiver(fsync=held)
    with ThreadPoolExecutor(2) as pool:
        try:
            first = pool.submit(receiver.post, text_delivery(mid="m_1"))
            assert held.in_fsync.wait(WAIT_SECONDS)
            second = pool.submit(receiver.post, text_delivery(mid="m_2"))
            deadline = time.monotonic() + WAIT_SECONDS
            while (pending := receiver.get("/healthz").json()["pending_writes"]) != 1:
                assert time.monotonic() < deadline, pending
                time.sleep(0.01)
        finally:
            held.release.set()
        assert [first.result().status_code, second.result().status_code] == [200, 200]
    assert receiver.get("/healthz").json()["pending_writes"] == 0


def test_healthz_uptime_counts_from_the_start(start_receiver: StartReceiver) -> None:
    now = [1_700_000_000.0]
    receiver = start_receiver(clock=lambda: now[0])
    now[0] += 12.5
    assert receiver.get("/healthz").json()["uptime_seconds"] == 12.5


# --- secrets, the CLI and the ingest ---------------------------------------------------------


def test_no_secret_appears_in_responses_logs_or_metrics(
    receiver: Receiver, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    hs = {"hub.mode": "subscribe", "hub.verify_token": TOKEN, "hub.challenge": "42"}
    receiver.get("/webhook", params=hs)
    receiver.get("/webhook", params={**hs, "hub.verify_token": "wrong"})
    receiver.post(text_delivery())
    for sig in (None, "sha256=zz", sign(b"other")):
        receiver.post(text_delivery(), sig)
    receiver.post(b"x" * (MAX_BODY_BYTES + 1))
    receiver.get("/r/unknown")
    receiver.get("/healthz")
    receiver.get("/metrics")
    texts = [r.text + str(r.headers) for r in receiver.seen]
    texts += [p.read_text() for p in receiver.log_dir.iterdir()]
    # pytest hooks its handler onto uvicorn.access, which turns that log back on here; `serve`
    # runs without it (test_serve_command_…). httpx is this test's own client.
    ours = [r for r in caplog.records if not r.name.startswith(("uvicorn.access", "httpx"))]
    assert any(r.name == "refscope.receiver" for r in ours)
    texts += [r.getMessage() for r in ours]
    texts.append(repr(ReceiverConfig(receiver.log_dir, None, (SECRET,), TOKEN)))
    assert len(receiver.seen) == 10
    for secret in (SECRET, TOKEN):
        assert not [t for t in texts if secret in t]


def test_serve_command_runs_the_receiver_without_an_access_log(tmp_path: Path) -> None:
    env = {**os.environ, "REFSCOPE_APP_SECRET": SECRET, "REFSCOPE_VERIFY_TOKEN": TOKEN}
    with serve_process(tmp_path, env) as served:
        params = {"hub.mode": "subscribe", "hub.verify_token": TOKEN, "hub.challenge": "7"}
        assert httpx.get(served.url + "/webhook", params=params).text == "7"
        raw = text_delivery()
        headers = {"X-Hub-Signature-256": sign(raw)}
        r = httpx.post(served.url + "/webhook", content=raw, headers=headers)
        assert r.status_code == 200
    out = served.out
    assert served.proc.returncode in (0, -signal.SIGTERM)  # uvicorn re-raises the signal it handled
    assert b"Application shutdown complete" in out
    (log,) = (tmp_path / "logs").glob("webhooks-*.ndjson")
    # Its host, its pid and the run id of this start (test_privacy.py: pid 1 in two containers).
    assert re.fullmatch(rf"webhooks-[0-9-]{{10}}\.[\w-]+-{served.proc.pid}-[0-9a-f]{{8}}\.ndjson",
                        log.name), log.name  # fmt: skip
    assert b"Uvicorn running" in out and b"1 app secret(s)" in out
    assert SECRET.encode() not in out and TOKEN.encode() not in out and b"GET /" not in out
    assert "server" not in r.headers  # no "uvicorn" for a scanner to match


def test_serve_makes_its_log_folder_closed_to_other_accounts(tmp_path: Path) -> None:
    # The logs' names say which days a page had traffic: the folder `serve` creates for them
    # is 0750 as the receiver's own folders are, also under the usual umask 022.
    env = {**os.environ, "REFSCOPE_APP_SECRET": SECRET, "REFSCOPE_VERIFY_TOKEN": TOKEN}
    old = os.umask(0o022)  # inherited by the serve process
    try:
        with serve_process(tmp_path, env) as served:
            raw = text_delivery()
            r = httpx.post(
                served.url + "/webhook", content=raw, headers={"X-Hub-Signature-256": sign(raw)}
            )
            assert r.status_code == 200
    finally:
        os.umask(old)
    logs = tmp_path / "logs"
    assert len(list(logs.glob("webhooks-*.ndjson"))) == 1
    assert stat.S_IMODE(logs.stat().st_mode) == 0o750, oct(logs.stat().st_mode)


def test_serve_help_names_the_secret_variables() -> None:
    from click.testing import CliRunner

    result = CliRunner().invoke(cli, ["serve", "--help"])
    assert result.exit_code == 0
    assert "REFSCOPE_APP_SECRET" in result.output and "REFSCOPE_VERIFY_TOKEN" in result.output


def test_ingest_reads_the_receiver_logs(click_receiver: Receiver, db_path: Path) -> None:
    psid = "6512345678900001"
    deliveries = [
        f.delivery(f.postback(referral=f.referral_obj("spring_menu"), psid=psid, ts=f.T0)),
        f.delivery(f.message("Hall\u00e5, \u00f6ppet idag?", psid=psid, ts=f.T0 + f.MINUTE)),
        f.batch(
            f.entry(f.message("hi", psid="6512345678900002", ts=f.T0 + 2 * f.MINUTE)),
            f.entry(
                f.referral("menu", psid="6512345678900003", ts=f.T0 + 3 * f.MINUTE),
                page_id=f.OTHER_PAGE_ID,
            ),
        ),  # fmt: skip
    ]
    for d in deliveries:
        assert click_receiver.post(meta_json(d)).status_code == 200
    click_receiver.post(meta_json(deliveries[1]))  # Meta's retry of the same delivery
    click_receiver.get("/r/spring_menu", params={"qr": "1"}, headers={"User-Agent": IPHONE})
    pipeline.run([str(click_receiver.log_dir)], db_path, keep_text=True)
    query = Query(db_path)
    kinds = query("SELECT kind, psid, text FROM events ORDER BY ts")
    assert kinds == [
        ("postback", psid, None),
        ("message", psid, "Hall\u00e5, \u00f6ppet idag?"),
        ("message", "6512345678900002", "hi"),
        ("referral", "6512345678900003", None),
    ]
    assert query("SELECT channel, ref FROM contacts WHERE psid = ?", psid) == [
        ("qr_code", "spring_menu")
    ]
    assert query("SELECT ref, page, qr, device FROM clicks") == [
        ("spring_menu", f.PAGE_USERNAME, True, "mobile")
    ]
    assert query("SELECT count(*) FROM rejects") == [(0,)]


@pytest.mark.parametrize("path", ["/webhook", "/webhook/"])
def test_another_method_on_the_callback_url_is_405_naming_every_method_it_takes(
    receiver: Receiver, path: str
) -> None:
    # RFC 9110 15.5.6: a 405's Allow lists the methods the resource supports; POST is one.
    for method in ("PUT", "DELETE", "PATCH", "OPTIONS"):
        r = receiver.client.request(method, path, content=b"{}")
        assert r.status_code == 405, method
        assert set(r.headers["allow"].replace(" ", "").split(",")) == {"GET", "HEAD", "POST"}
    params = {"hub.mode": "subscribe", "hub.verify_token": TOKEN, "hub.challenge": "7"}
    r = receiver.client.head(path, params=params)
    assert (r.status_code, r.content, r.headers["content-length"]) == (200, b"", "1")
    assert receiver.lines() == []
