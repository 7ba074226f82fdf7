"""The receiver on a real uvicorn server on 127.0.0.1, driven by httpx: handshake, signatures,
durable logging, metrics, and the ingest reading what it wrote. Clicks: test_receiver_clicks.py."""

from __future__ import annotations

import asyncio
import hmac
import json
import logging
import os
import signal
import socket
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest

from ingest import pipeline
from ingest.cli import cli
from ingest.errors import SourceError
from ingest.receiver import (
    MAX_BODY_BYTES,
    ReceiverConfig,
    envelope_line,
    log_file,
    signature_problem,
)
from tests import factories as f
from tests.conftest import Query
from tests.ingest.receiver_server import (
    IPHONE,
    OTHER_SECRET,
    SECRET,
    TOKEN,
    Receiver,
    StartReceiver,
    meta_json,
    serve_process,
    sign,
    text_delivery,
)

# --- handshake --------------------------------------------------------------------------------


def test_handshake_echoes_the_challenge(receiver: Receiver) -> None:
    params = {"hub.mode": "subscribe", "hub.verify_token": TOKEN, "hub.challenge": "1158201444"}
    r = receiver.get("/webhook", params=params)
    assert (r.status_code, r.text) == (200, "1158201444")
    assert r.headers["content-type"].startswith("text/plain")
    # The challenge is whatever the caller sent: no browser may sniff it into HTML.
    assert r.headers["x-content-type-options"] == "nosniff"


@pytest.mark.parametrize(
    ("params", "status"),
    [
        ({"hub.mode": "subscribe", "hub.verify_token": "nope", "hub.challenge": "1"}, 403),
        ({"hub.mode": "subscribe", "hub.challenge": "1"}, 403),
        ({"hub.mode": "subscribe", "hub.verify_token": TOKEN + "x", "hub.challenge": "1"}, 403),
        ({"hub.mode": "unsubscribe", "hub.verify_token": TOKEN, "hub.challenge": "1"}, 400),
        ({"hub.verify_token": TOKEN, "hub.mode": "subscribe"}, 400),
        # A wrong token is refused as such, whatever else is wrong with the request.
        ({"hub.mode": "unsubscribe", "hub.verify_token": "nope", "hub.challenge": "1"}, 403),
        ({"hub.verify_token": "nope"}, 403),
        ({"hub.mode": "subscribe", "hub.verify_token": TOKEN, "hub.challenge": ""}, 400),
        (
            [
                ("hub.mode", "subscribe"),
                ("hub.verify_token", "nope"),
                ("hub.verify_token", TOKEN),
                ("hub.challenge", "1"),
            ],
            403,
        ),
        (
            [
                ("hub.mode", "subscribe"),
                ("hub.verify_token", TOKEN),
                ("hub.verify_token", "nope"),
                ("hub.challenge", "1"),
            ],
            403,
        ),
    ],
    ids=[
        "wrong-token",
        "no-token",
        "longer-token",
        "not-subscribe",
        "no-challenge",
        "wrong-token-and-mode",
        "wrong-token-only",
        "empty-challenge",
        "two-tokens-right-last",
        "two-tokens-right-first",
    ],
)
def test_handshake_with_a_wrong_token_is_refused(
    receiver: Receiver, params: dict[str, str] | list[tuple[str, str]], status: int
) -> None:
    r = receiver.get("/webhook", params=params)
    assert r.status_code == status
    assert "1" != r.text


def test_handshake_without_a_configured_token_is_503(
    start_receiver: StartReceiver, tmp_path: Path
) -> None:
    receiver = start_receiver(ReceiverConfig(tmp_path / "logs", None, (SECRET,)))
    params = {"hub.mode": "subscribe", "hub.verify_token": "", "hub.challenge": "1"}
    r = receiver.get("/webhook", params=params)
    assert r.status_code == 503 and "REFSCOPE_VERIFY_TOKEN" in r.text
    assert receiver.get("/healthz").json()["verify_token_set"] is False


def test_an_empty_verify_token_lets_no_handshake_through(
    start_receiver: StartReceiver, tmp_path: Path
) -> None:
    receiver = start_receiver(ReceiverConfig(tmp_path / "logs", None, (SECRET,), ""))
    r = receiver.get("/webhook", params={"hub.mode": "subscribe", "hub.challenge": "1"})
    assert r.status_code == 503 and r.text != "1"
    assert receiver.get("/healthz").json()["verify_token_set"] is False  # as the handshake says


def test_a_verify_token_set_from_bytes_that_are_not_utf8_refuses_a_wrong_token_with_403(
    start_receiver: StartReceiver, tmp_path: Path
) -> None:
    """os.environ holds such bytes as lone surrogates: a handshake is compared, not a 500."""
    token = b"caf\xe9".decode("utf-8", "surrogateescape")
    receiver = start_receiver(ReceiverConfig(tmp_path / "logs", None, (SECRET,), token))
    params = {"hub.mode": "subscribe", "hub.verify_token": "café", "hub.challenge": "7"}
    r = receiver.get("/webhook", params=params)
    assert r.status_code == 403 and r.text == "wrong hub.verify_token"


def test_the_verify_token_from_the_environment_is_trimmed_and_a_blank_one_is_unset(
    tmp_path: Path,
) -> None:
    def token(value: str) -> str | None:
        return ReceiverConfig.from_env(
            tmp_path, environ={"REFSCOPE_VERIFY_TOKEN": value}
        ).verify_token

    assert token(f" {TOKEN}\n") == TOKEN  # as pasted into an env file
    assert token(" \t") is None and token("") is None
    assert ReceiverConfig.from_env(tmp_path, environ={}).verify_token is None


@pytest.fixture
def compared(monkeypatch: pytest.MonkeyPatch) -> list[bytes]:
    """What hmac.compare_digest is asked to compare against, call by call, from now on."""
    seen: list[bytes] = []
    real = hmac.compare_digest

    def spy(a: bytes, b: bytes) -> bool:
        seen.append(b)
        return real(a, b)

    monkeypatch.setattr(hmac, "compare_digest", spy)
    return seen


def test_the_verify_token_is_compared_in_constant_time(
    receiver: Receiver, compared: list[bytes]
) -> None:
    params = {"hub.mode": "subscribe", "hub.verify_token": TOKEN[:-1], "hub.challenge": "1"}
    assert receiver.get("/webhook", params=params).status_code == 403
    assert compared == [TOKEN.encode()]


# --- deliveries -------------------------------------------------------------------------------


def test_signed_delivery_is_logged_once_with_its_raw_body(receiver: Receiver) -> None:
    raw = text_delivery()
    r = receiver.post(raw)
    assert r.status_code == 200
    (line,) = receiver.lines()
    assert line.startswith(b'{"received_at":') and line.endswith(b',"body":' + raw + b"}")
    doc = json.loads(line)
    assert doc["body"] == json.loads(raw)
    assert abs(doc["received_at"] - time.time() * 1000) < 60_000


@pytest.mark.parametrize(
    ("signature", "reason"),
    [
        (None, "missing"),
        ("", "missing"),
        ("sha1=" + "0" * 40, "malformed"),
        # The right HMAC-SHA256 under another algorithm's name is not Meta's header either.
        (sign(text_delivery()).replace("sha256=", "sha1=", 1), "malformed"),
        ("sha256=xyz", "malformed"),
        ("sha256=" + "g" * 64, "malformed"),
        ("sha256=" + "0" * 66, "malformed"),
        (sign(b"another body"), "mismatch"),
        (sign(text_delivery(), OTHER_SECRET), "mismatch"),
    ],
    ids=[
        "missing",
        "empty",
        "sha1",
        "sha1-prefix",
        "short",
        "not-hex",
        "long",
        "other-body",
        "other-secret",
    ],
)
def test_bad_signature_is_refused_and_nothing_is_written(
    receiver: Receiver, signature: str | None, reason: str
) -> None:
    r = receiver.post(text_delivery(), signature)
    assert r.status_code == 403
    assert receiver.lines() == []
    assert receiver.metrics()[f'refscope_deliveries_refused_total{{reason="{reason}"}}'] == 1
    assert receiver.metrics()["refscope_deliveries_accepted_total"] == 0


def test_a_signature_in_capitals_is_accepted(receiver: Receiver) -> None:
    raw = text_delivery()
    assert receiver.post(raw, sign(raw).upper()).status_code == 200  # SHA256=ABC…
    assert len(receiver.lines()) == 1


def test_meta_escaped_unicode_body_is_accepted_and_a_reserialised_signature_refused(
    receiver: Receiver,
) -> None:
    raw = text_delivery("Hej! \u00e4\u00f6\u00e5 \u2764\ufe0f see https://acme.example/menu")
    assert b"\\u00e4\\u00f6\\u00e5" in raw and b"https:\\/\\/acme.example\\/menu" in raw
    naive = json.dumps(json.loads(raw), separators=(",", ":"), ensure_ascii=False).encode()
    assert naive != raw
    assert receiver.post(raw, sign(naive)).status_code == 403
    assert receiver.post(raw).status_code == 200
    (line,) = receiver.lines()
    assert raw in line  # byte for byte, escapes kept
    assert json.loads(line)["body"]["entry"][0]["messaging"][0]["message"]["text"].startswith(
        "Hej! \u00e4\u00f6\u00e5"
    )


@pytest.mark.parametrize(
    ("setting", "size", "status"),
    [
        (None, 1024 * 1024, 200),
        (None, 1024 * 1024 + 1, 413),
        ("8MB", 2 * 1024 * 1024, 200),
        ("8MB", 8 * 1024 * 1024 + 1, 413),
    ],  # fmt: skip
    ids=["1MiB", "over-1MiB", "raised-2MiB", "over-raised"],
)
def test_the_body_cap_is_1_mib_unless_raised(
    start_receiver: StartReceiver, tmp_path: Path, setting: str | None, size: int, status: int
) -> None:
    environ = {"REFSCOPE_APP_SECRET": SECRET} | ({"REFSCOPE_MAX_BODY": setting} if setting else {})
    receiver = start_receiver(ReceiverConfig.from_env(tmp_path / "logs", environ=environ))
    head = b'{"object":"page","entry":[],"pad":"'
    raw = head + b"x" * (size - len(head) - 2) + b'"}'
    assert len(raw) == size and receiver.post(raw).status_code == status
    assert len(receiver.lines()) == (status == 200)


def test_a_body_cap_that_is_no_size_is_refused(tmp_path: Path) -> None:
    with pytest.raises(SourceError, match="REFSCOPE_MAX_BODY='lots': give a size"):
        ReceiverConfig.from_env(tmp_path, environ={"REFSCOPE_MAX_BODY": "lots"})


def test_oversized_body_is_refused_with_413(
    receiver: Receiver, caplog: pytest.LogCaptureFixture
) -> None:
    raw = b'{"object":"page","pad":"' + b"x" * MAX_BODY_BYTES + b'"}'
    assert receiver.post(raw).status_code == 413
    # A batch of Meta's may be this large: the operator is told, not just a debug line.
    (warning,) = [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert "REFSCOPE_MAX_BODY" in warning.getMessage(), warning.getMessage()
    assert f"over {MAX_BODY_BYTES} bytes" in warning.getMessage()

    def chunks() -> Iterator[bytes]:  # no Content-Length: counted while streaming
        for i in range(0, len(raw), 64 * 1024):
            yield raw[i : i + 64 * 1024]

    r = receiver.client.post(
        "/webhook", content=chunks(), headers={"X-Hub-Signature-256": sign(raw)}
    )
    assert r.status_code == 413
    assert receiver.lines() == []
    assert receiver.metrics()['refscope_deliveries_refused_total{reason="too_large"}'] == 2


def test_an_unsigned_oversized_request_is_refused_as_unsigned_with_no_cue_to_raise_the_cap(
    receiver: Receiver, caplog: pytest.LogCaptureFixture
) -> None:
    """The warning to raise REFSCOPE_MAX_BODY is for a batch Meta may have sent: a request
    without a signature is not one, whatever its size."""
    raw = b'{"object":"page","pad":"' + b"x" * MAX_BODY_BYTES + b'"}'
    r = receiver.client.post("/webhook", content=raw)
    assert r.status_code == 403 and "missing" in r.text
    assert not [r for r in caplog.records if "REFSCOPE_MAX_BODY" in r.getMessage()]
    refused = receiver.metrics()
    assert refused['refscope_deliveries_refused_total{reason="missing"}'] == 1
    assert refused['refscope_deliveries_refused_total{reason="too_large"}'] == 0
    assert receiver.lines() == []


def test_a_body_that_trickles_in_is_refused_with_408_and_the_connection_closed(
    start_receiver: StartReceiver, tmp_path: Path
) -> None:
    config = ReceiverConfig(tmp_path / "logs", None, (SECRET,), TOKEN, body_timeout=0.5)
    receiver = start_receiver(config)
    raw = text_delivery()
    port = int(receiver.url.rsplit(":", 1)[1])
    with socket.create_connection(("127.0.0.1", port), timeout=10) as s:
        s.sendall(b"POST /webhook HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                  b"X-Hub-Signature-256: %s\r\nContent-Length: %d\r\n\r\n%s"
                  % (sign(raw).encode(), len(raw), raw[:10]))  # fmt: skip
        started = time.monotonic()
        answer = b""
        while chunk := s.recv(4096):  # the server closes the connection once it answered
            answer += chunk
    assert answer.startswith(b"HTTP/1.1 408 ")
    assert b"the body did not arrive within 0.5 s" in answer
    assert time.monotonic() - started < 5
    assert receiver.lines() == []
    assert receiver.metrics()['refscope_deliveries_refused_total{reason="slow_body"}'] == 1
    assert receiver.post(raw).status_code == 200  # a prompt body is still taken


def test_a_delivery_without_a_signature_is_refused_before_its_body_arrives(
    receiver: Receiver,
) -> None:
    # Whoever cannot sign is not waited for (30 s) nor has a buffer held for it.
    port = int(receiver.url.rsplit(":", 1)[1])
    with socket.create_connection(("127.0.0.1", port), timeout=5) as s:
        s.sendall(b"POST /webhook HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n{")
        answer = b""
        while not answer.endswith(b"X-Hub-Signature-256 missing") and (chunk := s.recv(4096)):
            answer += chunk
    assert answer.startswith(b"HTTP/1.1 403 ") and answer.endswith(b"missing")
    assert receiver.metrics()['refscope_deliveries_refused_total{reason="missing"}'] == 1


def test_a_body_has_30_seconds_to_arrive_unless_told_otherwise(tmp_path: Path) -> None:
    # Enough for a batch of Meta's on a slow link; a trickling client is cut off after it.
    assert ReceiverConfig(tmp_path).body_timeout == 30.0
    assert ReceiverConfig.from_env(tmp_path, environ={}).body_timeout == 30.0


def test_rotation_accepts_either_secret_and_refuses_a_third(
    start_receiver: StartReceiver, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("REFSCOPE_APP_SECRET", f"{SECRET}, {OTHER_SECRET},")
    config = ReceiverConfig.from_env(tmp_path / "logs")
    assert config.app_secrets == (SECRET, OTHER_SECRET)
    receiver = start_receiver(config)
    old, new, third = (text_delivery(mid=f"m_{i}") for i in range(3))
    assert receiver.post(old, sign(old, SECRET)).status_code == 200
    assert receiver.post(new, sign(new, OTHER_SECRET)).status_code == 200
    assert receiver.post(third, sign(third, "a-third-secret")).status_code == 403
    bodies = [json.loads(x)["body"] for x in receiver.lines()]
    assert bodies == [json.loads(old), json.loads(new)]


def test_without_a_secret_posts_are_refused_with_503(
    start_receiver: StartReceiver, tmp_path: Path
) -> None:
    receiver = start_receiver(ReceiverConfig(tmp_path / "logs", verify_token=TOKEN))
    r = receiver.post(text_delivery())
    assert r.status_code == 503 and "REFSCOPE_APP_SECRET" in r.text
    assert receiver.lines() == []
    metrics = receiver.metrics()
    assert metrics['refscope_deliveries_refused_total{reason="no_secret_configured"}'] == 1
    assert receiver.get("/healthz").json()["accepting_deliveries"] is False


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
        async with httpx.AsyncClient(base_url=receiver.url) as client:
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
                         "write_batches_total", "clicks_total", "clicks_refused_total"],
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


def test_healthz_counts_the_lines_waiting_for_the_disk(start_receiver: StartReceiver) -> None:
    in_fsync, release = threading.Event(), threading.Event()

    def slow_fsync(fd: int) -> None:  # the first batch waits until the test lets it go
        if not release.is_set():
            in_fsync.set()
            assert release.wait(10)
        os.fsync(fd)

    receiver = start_receiver(fsync=slow_fsync)
    with ThreadPoolExecutor(2) as pool:
        try:
            first = pool.submit(receiver.post, text_delivery(mid="m_1"))
            assert in_fsync.wait(10)
            second = pool.submit(receiver.post, text_delivery(mid="m_2"))
            deadline = time.monotonic() + 5
            while (pending := receiver.get("/healthz").json()["pending_writes"]) != 1:
                assert time.monotonic() < deadline, pending
                time.sleep(0.01)
        finally:
            release.set()
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
    assert len(list((tmp_path / "logs").glob("webhooks-*.ndjson"))) == 1
    assert b"Uvicorn running" in out and b"1 app secret(s)" in out
    assert SECRET.encode() not in out and TOKEN.encode() not in out and b"GET /" not in out
    assert "server" not in r.headers  # no "uvicorn" for a scanner to match


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


def test_the_signature_is_compared_in_constant_time_under_every_secret(
    compared: list[bytes],
) -> None:
    raw = text_delivery()
    given = sign(raw, OTHER_SECRET)
    assert signature_problem(raw, given, (SECRET, OTHER_SECRET)) is None
    # hmac.compare_digest, not ==, and for each secret: the time says nothing of which matched.
    assert compared == [bytes.fromhex(given.removeprefix("sha256="))] * 2
    compared.clear()  # also when the first secret matches: the second is still tried
    given = sign(raw, SECRET)
    assert signature_problem(raw, given, (SECRET, OTHER_SECRET)) is None
    assert compared == [bytes.fromhex(given.removeprefix("sha256="))] * 2


def test_without_a_secret_no_signature_is_valid() -> None:
    raw = text_delivery()
    assert signature_problem(raw, sign(raw), ()) == "no_secret_configured"
