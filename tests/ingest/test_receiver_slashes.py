"""Trailing slashes on the receiver's addresses, on a real uvicorn server on 127.0.0.1.

`/webhook//`, `/healthz/` and `/metrics/` got Starlette's own 307 to the address without them,
naming the receiver's own host and port (not the proxy's: behind one it led nowhere) and
without `Cache-Control: no-store`; a POST redirected is not something a sender follows. Every
address is now taken with any number of trailing slashes as it is without them, as `/r/<ref>//`
is the link, and an address no route takes is a 404, with or without them: nothing redirects."""

from __future__ import annotations

import json

from tests.ingest.receiver_server import TOKEN, Receiver, sign, text_delivery


def test_every_address_is_served_with_trailing_slashes_as_without_them(
    receiver: Receiver,
) -> None:
    raw = text_delivery()
    for path in ("/webhook//", "/webhook///"):
        r = receiver.client.post(path, content=raw, headers={"X-Hub-Signature-256": sign(raw)})
        assert (r.status_code, r.text) == (200, "EVENT_RECEIVED"), path
    assert [json.loads(line)["body"] for line in receiver.lines()] == [json.loads(raw)] * 2
    params = {"hub.mode": "subscribe", "hub.verify_token": TOKEN, "hub.challenge": "42"}
    r = receiver.get("/webhook//", params=params)
    assert (r.status_code, r.text) == (200, "42")
    for path in ("/healthz/", "/healthz//"):
        r = receiver.get(path)
        assert (r.status_code, r.json()["status"]) == (200, "ok"), path
    r = receiver.get("/metrics/")
    assert r.status_code == 200 and "refscope_deliveries_accepted_total 2" in r.text


def test_an_address_no_route_takes_is_404_with_trailing_slashes_too(receiver: Receiver) -> None:
    for path in ("/", "//", "/nowhere", "/nowhere/", "/health/", "/webhookx/", "//webhook"):
        r = receiver.get(path)
        assert r.status_code == 404 and "location" not in r.headers, (path, r.headers)
