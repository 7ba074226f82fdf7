"""The receiver's X-Hub-Signature-256 check on a real uvicorn server on 127.0.0.1: a signed
delivery logged once with its raw body, bad and unsigned ones refused with nothing written,
Meta's escaped bodies, secret rotation, no secret configured, and the comparison in constant
time."""

from __future__ import annotations

import json
import logging
import time
from pathlib import Path

import pytest

from ingest.receiver import ReceiverConfig
from ingest.receiver_signature import signature_problem
from tests.ingest.receiver_server import (
    OTHER_SECRET,
    SECRET,
    TOKEN,
    Receiver,
    StartReceiver,
    sign,
    text_delivery,
)


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


@pytest.mark.parametrize("right_first", [True, False], ids=["right-first", "right-last"])
def test_two_signature_headers_are_refused_whichever_comes_first(
    receiver: Receiver, right_first: bool
) -> None:
    # Meta sends one X-Hub-Signature-256: with two, which one counted would depend on order.
    raw = text_delivery()
    pair = [sign(raw), sign(raw, OTHER_SECRET)]
    headers = [("X-Hub-Signature-256", v) for v in (pair if right_first else pair[::-1])]
    r = receiver.client.post("/webhook", content=raw, headers=headers)
    assert (r.status_code, r.text) == (403, "X-Hub-Signature-256 repeated")
    assert receiver.lines() == []
    assert receiver.metrics()['refscope_deliveries_refused_total{reason="malformed"}'] == 1


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


@pytest.mark.parametrize(
    ("secret", "token", "warned"),
    [
        (f'"{SECRET}"', TOKEN, ["REFSCOPE_APP_SECRET"]),
        (f"'{SECRET}'", TOKEN, ["REFSCOPE_APP_SECRET"]),
        (f'"{OTHER_SECRET},{SECRET}"', TOKEN, ["REFSCOPE_APP_SECRET"]),  # the whole list quoted
        (SECRET, f'"{TOKEN}"', ["REFSCOPE_VERIFY_TOKEN"]),
        (SECRET, TOKEN, []),
    ],
    ids=["double-quotes", "single-quotes", "quoted-list", "quoted-token", "bare"],
)
def test_a_secret_in_quotes_is_warned_of_at_start_without_showing_it(
    start_receiver: StartReceiver, tmp_path: Path, caplog: pytest.LogCaptureFixture,
    secret: str, token: str, warned: list[str],
) -> None:  # fmt: skip
    """A .env line `REFSCOPE_APP_SECRET="..."` read by a tool that keeps the quotes (docker
    --env-file) makes them part of the secret: every delivery is refused as a mismatch, so
    the operator is told at start which setting it is, not what it holds."""
    environ = {"REFSCOPE_APP_SECRET": secret, "REFSCOPE_VERIFY_TOKEN": token}
    receiver = start_receiver(ReceiverConfig.from_env(tmp_path / "logs", environ=environ))
    warnings = [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING]
    assert [w.split(" ", 1)[0] for w in warnings] == warned, warnings
    assert all("quote" in w for w in warnings)
    assert not [w for w in warnings if SECRET in w or OTHER_SECRET in w or TOKEN in w]
    raw = text_delivery()
    assert receiver.post(raw).status_code == (403 if warned == ["REFSCOPE_APP_SECRET"] else 200)
