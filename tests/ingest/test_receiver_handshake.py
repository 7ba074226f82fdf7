"""The receiver's subscription handshake (GET /webhook) on a real uvicorn server on 127.0.0.1:
the challenge echoed, wrong, empty and non-UTF-8 verify tokens refused, the token from the
environment trimmed, and compared in constant time."""

from __future__ import annotations

import hashlib
import hmac
from pathlib import Path

import pytest

from ingest.receiver import ReceiverConfig
from tests.ingest.receiver_server import SECRET, TOKEN, Receiver, StartReceiver


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
        # Meta's sample answers 403 unless hub.mode is subscribe and the token is right.
        ({"hub.mode": "unsubscribe", "hub.verify_token": TOKEN, "hub.challenge": "1"}, 403),
        ({"hub.verify_token": TOKEN, "hub.challenge": "1"}, 403),
        ({"hub.mode": "Subscribe", "hub.verify_token": TOKEN, "hub.challenge": "1"}, 403),
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
        "no-mode",
        "mode-in-capitals",
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


def test_the_verify_token_is_compared_in_constant_time(
    receiver: Receiver, compared: list[bytes]
) -> None:
    params = {"hub.mode": "subscribe", "hub.verify_token": TOKEN[:-1], "hub.challenge": "1"}
    assert receiver.get("/webhook", params=params).status_code == 403
    assert compared == [hashlib.sha256(TOKEN.encode()).digest()]


@pytest.mark.parametrize(
    "given",
    ["", "x", TOKEN[:-1], TOKEN + "x", "y" * 1000, TOKEN],
    # named, not by value: TOKEN is random per process, and every xdist worker must collect
    # the same test ids
    ids=["empty", "one char", "one short", "one too long", "long", "the token"],
)
def test_the_verify_token_compare_does_not_tell_its_length(
    receiver: Receiver, monkeypatch: pytest.MonkeyPatch, given: str
) -> None:
    """compare_digest returns at once for operands of unequal length: comparing the tokens
    themselves let the time taken say how long the right one is. Both are now digests."""
    lengths: list[tuple[int, int]] = []
    real = hmac.compare_digest

    def spy(a: bytes, b: bytes) -> bool:
        lengths.append((len(a), len(b)))
        return real(a, b)

    monkeypatch.setattr(hmac, "compare_digest", spy)
    params = {"hub.mode": "subscribe", "hub.verify_token": given, "hub.challenge": "1"}
    r = receiver.get("/webhook", params=params)
    assert r.status_code == (200 if given == TOKEN else 403)
    assert lengths == [(32, 32)]
