"""A browser's prefetch or prerender of a tracked link (GET /r/<ref>) is no click: declined
with 503, never cached, nothing logged; the visit that follows is counted once."""

from __future__ import annotations

import json

import pytest

from tests import factories as f
from tests.ingest.receiver_server import IPHONE, Receiver

PREFETCHES = [
    {"Sec-Purpose": "prefetch"},
    {"Sec-Purpose": "prefetch;prerender"},
    {"Sec-Purpose": "prefetch;anonymous-client-ip"},
    {"sec-purpose": "PREFETCH"},
    {"Purpose": "prefetch"},
    {"X-Moz": "prefetch"},
    {"X-Purpose": "preview"},
    {"X-Purpose": "Preview, instant"},
]
PREFETCH_IDS = ["sec-purpose", "prerender", "private", "upper-case", "purpose", "x-moz",
                "x-purpose", "listed"]  # fmt: skip


@pytest.mark.parametrize("headers", PREFETCHES, ids=PREFETCH_IDS)
def test_a_prefetch_is_declined_uncached_and_not_logged(
    click_receiver: Receiver, headers: dict[str, str]
) -> None:
    r = click_receiver.get(
        "/r/spring_menu", params={"qr": "1"}, headers={"User-Agent": IPHONE, **headers}
    )
    assert r.status_code == 503, r.text
    assert r.headers["cache-control"] == "no-store"
    assert "location" not in r.headers
    assert click_receiver.lines("clicks") == []
    metrics = click_receiver.metrics()
    assert metrics["refscope_clicks_total"] == 0
    assert metrics["refscope_clicks_prefetch_declined_total"] == 1  # seen on /metrics


def test_the_visit_after_a_prefetch_is_logged_once(click_receiver: Receiver) -> None:
    prefetch = {"User-Agent": IPHONE, "Sec-Purpose": "prefetch;prerender"}
    r = click_receiver.get("/r/spring_menu", params={"qr": "1"}, headers=prefetch)
    assert r.status_code == 503
    r = click_receiver.get("/r/spring_menu", params={"qr": "1"}, headers={"User-Agent": IPHONE})
    assert r.status_code == 302
    assert r.headers["location"] == f"https://m.me/{f.PAGE_USERNAME}?ref=spring_menu"
    (line,) = click_receiver.lines("clicks")
    doc = json.loads(line)
    assert (doc["ref"], doc["qr"], doc["device"]) == ("spring_menu", True, "mobile")
    metrics = click_receiver.metrics()
    assert metrics["refscope_clicks_total"] == 1
    assert metrics["refscope_clicks_prefetch_declined_total"] == 1


@pytest.mark.parametrize(
    "headers",
    [{"Sec-Purpose": "reload"}, {"Purpose": "navigate"}, {"X-Moz": "prefetcher"},
     {"X-Purpose": "instant"}],
    ids=["sec-purpose-other", "purpose-other", "x-moz-longer-word", "x-purpose-other"],
)  # fmt: skip
def test_other_purposes_are_still_counted(
    click_receiver: Receiver, headers: dict[str, str]
) -> None:
    r = click_receiver.get("/r/spring_menu", headers={"User-Agent": IPHONE, **headers})
    assert r.status_code == 302
    assert len(click_receiver.lines("clicks")) == 1


def test_a_prefetch_of_an_unknown_ref_is_still_404(click_receiver: Receiver) -> None:
    r = click_receiver.get("/r/nobody_made_this", headers={"Sec-Purpose": "prefetch"})
    assert r.status_code == 404 and "not registered" in r.text
    assert click_receiver.lines("clicks") == []
    metrics = click_receiver.metrics()
    assert metrics['refscope_clicks_refused_total{reason="unknown_ref"}'] == 1
    assert metrics["refscope_clicks_prefetch_declined_total"] == 0


def test_a_head_prefetch_still_redirects_without_logging(click_receiver: Receiver) -> None:
    r = click_receiver.client.head("/r/spring_menu", headers={"Purpose": "prefetch"})
    assert r.status_code == 302
    assert click_receiver.lines("clicks") == []
