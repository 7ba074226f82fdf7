"""A receiver for tracked-link clicks only (`serve --clicks-only`) needs no app secret: its
/healthz answers 200 without one, and it serves no /webhook. A receiver that takes webhooks
(the default) is still unhealthy without its secret."""

from __future__ import annotations

import os
from pathlib import Path

import httpx

from ingest import links
from ingest.receiver import ReceiverConfig
from ingest.receiver_config import config_warnings
from tests import factories as f
from tests.ingest.receiver_server import (
    SECRET,
    TOKEN,
    StartReceiver,
    register,
    scan_is_sent_to_its_page,
    serve_process,
    text_delivery,
)


def test_a_receiver_for_clicks_only_is_healthy_without_an_app_secret(
    start_receiver: StartReceiver, db_path: Path, tmp_path: Path
) -> None:
    """Behind a load balancer its 503 took it out of rotation: every scan failed."""
    register(db_path, links.make_link(f.PAGE_USERNAME, "spring_menu", "qr"))
    config = ReceiverConfig.from_env(
        tmp_path / "logs", db_path, environ={}, registry_refresh=0.0, clicks_only=True
    )
    receiver = start_receiver(config)
    r = receiver.get("/healthz")
    assert r.status_code == 200, r.text
    body = r.json()
    assert (body["status"], body["problems"]) == ("ok", [])
    assert body["clicks_only"] is True and body["accepting_deliveries"] is False
    scan_is_sent_to_its_page(receiver, "spring_menu", f.PAGE_USERNAME)


def test_a_receiver_for_clicks_only_is_still_unhealthy_when_it_cannot_log(
    start_receiver: StartReceiver, tmp_path: Path
) -> None:
    huge = 1 << 62  # a body cap larger than any disk's free space stands for a full disk
    config = ReceiverConfig(tmp_path / "logs", None, clicks_only=True, max_body=huge)
    r = start_receiver(config).get("/healthz")
    assert r.status_code == 503, r.text
    (problem,) = r.json()["problems"]
    assert problem.startswith("the log directory's disk is full (")


def test_a_receiver_for_clicks_only_takes_no_webhooks(
    start_receiver: StartReceiver, tmp_path: Path
) -> None:
    """Not even with a secret and a token set: what it was started as is what it serves."""
    config = ReceiverConfig(tmp_path / "logs", None, (SECRET,), TOKEN, clicks_only=True)
    receiver = start_receiver(config)
    delivery = receiver.post(text_delivery())
    assert delivery.status_code == 404 and "--clicks-only" in delivery.text
    params = {"hub.mode": "subscribe", "hub.verify_token": TOKEN, "hub.challenge": "7"}
    assert receiver.get("/webhook", params=params).status_code == 404
    assert receiver.lines() == []
    assert receiver.get("/healthz").json()["accepting_deliveries"] is False


def test_a_receiver_that_takes_webhooks_is_unhealthy_without_its_secret(
    start_receiver: StartReceiver, db_path: Path, tmp_path: Path
) -> None:
    """The default role, webhooks and clicks: the missing secret is its problem (503), though
    a scan that reaches it is still redirected."""
    register(db_path, links.make_link(f.PAGE_USERNAME, "spring_menu", "qr"))
    receiver = start_receiver(
        ReceiverConfig.from_env(tmp_path / "logs", db_path, environ={}, registry_refresh=0.0)
    )
    r = receiver.get("/healthz")
    assert r.status_code == 503, r.text
    assert r.json()["problems"] == ["REFSCOPE_APP_SECRET is not set: every delivery is refused"]
    assert r.json()["clicks_only"] is False
    scan_is_sent_to_its_page(receiver, "spring_menu", f.PAGE_USERNAME)


def test_the_start_warning_of_a_missing_secret_names_the_option(tmp_path: Path) -> None:
    (warning,) = config_warnings(ReceiverConfig(tmp_path, None, (), None))
    assert warning.startswith("REFSCOPE_APP_SECRET is not set") and "--clicks-only" in warning
    assert (
        config_warnings(ReceiverConfig(tmp_path, None, ('"quoted"',), None, clicks_only=True)) == []
    )


def test_serve_clicks_only_starts_healthy_without_secrets(tmp_path: Path) -> None:
    """serve_process waits for /healthz to answer 200: without --clicks-only it would not."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("REFSCOPE_")}
    with serve_process(tmp_path, env, options=("--clicks-only",)) as served:
        assert httpx.get(served.url + "/healthz").json()["clicks_only"] is True
        assert httpx.post(served.url + "/webhook", content=b"{}").status_code == 404
    assert b"tracked-link clicks only" in served.out
    assert b"REFSCOPE_APP_SECRET is not set" not in served.out
