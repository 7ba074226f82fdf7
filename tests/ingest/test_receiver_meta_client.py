"""Meta's own delivery client against `refscope serve` (a real process on 127.0.0.1): both
signature headers on every POST, the app secret rotated, a batch of 1,000 updates, a POST given
up by its sender and sent again, deliveries out of order across ingest runs, the handshake
(and HEAD) as Meta sends it. What lands in the logs, then in DuckDB.

https://developers.facebook.com/docs/graph-api/webhooks/getting-started
https://developers.facebook.com/docs/messenger-platform/faq
"""

from __future__ import annotations

import hashlib
import hmac
import os
import signal
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx

from ingest import pipeline
from tests import factories as f
from tests.conftest import Query
from tests.ingest.receiver_server import OTHER_SECRET, SECRET, TOKEN, meta_json, serve_process, sign

META_UA = "facebookexternalua"  # the User-Agent of Meta's webhook requests
NEW_SECRET = SECRET  # rotation: the new secret first, the old one still accepted
OLD_SECRET = OTHER_SECRET
LATE, EARLY = "6512345678900201", "6512345678900202"


def meta_headers(raw: bytes, secret: str, *, sha256: bool = True) -> dict[str, str]:
    """What Meta sends with a delivery: JSON, its UA, the legacy SHA-1 and the SHA-256 header."""
    headers = {
        "Content-Type": "application/json",
        "User-Agent": META_UA,
        "X-Hub-Signature": "sha1=" + hmac.new(secret.encode(), raw, hashlib.sha1).hexdigest(),
    }
    if sha256:
        headers["X-Hub-Signature-256"] = sign(raw, secret)
    return headers


def test_meta_as_a_client_of_serve(tmp_path: Path) -> None:
    env = {**os.environ, "REFSCOPE_APP_SECRET": f"{NEW_SECRET}, {OLD_SECRET}",
           "REFSCOPE_VERIFY_TOKEN": TOKEN}  # fmt: skip
    env.pop("REFSCOPE_MAX_BODY", None)  # the default cap: this batch of 1,000 fits in it
    big = f.batch(*(
        f.entry(f.message(f"Bestellung {i} \u00fcber https://acme.example/b/{i} \U0001f950",
                          psid=str(6500000000000000 + i), mid=f"m_batch_{i}", ts=f.T0 + i))
        for i in range(1000)
    ))  # fmt: skip
    big_raw = meta_json(big)
    assert b"\\u00fc" in big_raw and b"https:\\/\\/acme.example" in big_raw
    assert len(big_raw) < 1024 * 1024  # at the default cap
    # Out of order: LATE's first message arrives (and is ingested) before the Get Started
    # that opened its thread.
    first_msg = meta_json(f.delivery(f.message("hi", psid=LATE, ts=f.T0 + f.MINUTE)))
    get_started = meta_json(
        f.delivery(f.postback(referral=f.referral_obj("spring_menu"), psid=LATE, ts=f.T0))
    )
    concurrent = [
        meta_json(
            f.delivery(
                f.message(f"n\u00ba {i}", psid=EARLY, mid=f"m_c_{i}", ts=f.T0 + (10 + i) * f.MINUTE)
            )
        )  # fmt: skip
        for i in range(16)
    ]
    hs = {"hub.mode": "subscribe", "hub.challenge": "1158201444", "hub.verify_token": TOKEN}
    with (
        serve_process(tmp_path, env) as served,
        httpx.Client(base_url=served.url, headers={"User-Agent": META_UA}, timeout=60) as client,
    ):
        # The handshake, GET and HEAD, right and wrong token.
        r = client.get("/webhook", params=hs)
        assert (r.status_code, r.text) == (200, "1158201444")
        assert client.head("/webhook", params=hs).status_code == 200
        wrong = {**hs, "hub.verify_token": TOKEN + "x"}
        assert client.get("/webhook", params=wrong).status_code == 403
        assert client.head("/webhook", params=wrong).status_code == 403

        def post(raw: bytes, secret: str = NEW_SECRET) -> int:
            return client.post("/webhook", content=raw,
                               headers=meta_headers(raw, secret)).status_code  # fmt: skip

        assert post(first_msg, OLD_SECRET) == 200  # signed with the secret being rotated out
        assert post(big_raw) == 200
        with ThreadPoolExecutor(8) as pool:  # concurrent, each one twice (Meta's retries)
            assert list(pool.map(post, concurrent + concurrent[::-1])) == [200] * 32
        # Refused, nothing logged: SHA-1 only, a third secret, a wrong and a missing signature.
        sha1_only = meta_json(f.delivery(f.message("sha1 only", mid="m_refused_sha1")))
        r = client.post("/webhook", content=sha1_only,
                        headers=meta_headers(sha1_only, NEW_SECRET, sha256=False))  # fmt: skip
        assert r.status_code == 403 and "X-Hub-Signature-256" in r.text
        third = meta_json(f.delivery(f.message("third", mid="m_refused_third")))
        assert post(third, "a-third-secret") == 403
        for header in ("sha256=" + "0" * 64, None):
            headers = meta_headers(third, NEW_SECRET)
            del headers["X-Hub-Signature-256"]
            if header:
                headers["X-Hub-Signature-256"] = header
            assert client.post("/webhook", content=third, headers=headers).status_code == 403
        # Given up by its sender before the answer came (Meta's timeout), then sent again.
        given_up = meta_json(f.delivery(f.message("late answer", psid=EARLY, mid="m_given_up",
                                                  ts=f.T0 + 40 * f.MINUTE)))  # fmt: skip
        try:
            client.post("/webhook", content=given_up, headers=meta_headers(given_up, NEW_SECRET),
                        timeout=httpx.Timeout(60, read=0.000001))  # fmt: skip
        except httpx.ReadTimeout:
            pass
        assert post(given_up) == 200
        # The first run reads what has arrived so far.
        db_path = tmp_path / "refscope.duckdb"
        pipeline.run([str(served_logs(tmp_path))], db_path, keep_text=True)
        q = Query(db_path)
        assert q(f"SELECT channel FROM contacts WHERE psid = '{LATE}'") == [("organic",)]
        # The Get Started that opened LATE's thread, delivered late (Meta retries for hours).
        assert post(get_started) == 200
    out = served.out
    texts = [out, *(p.read_bytes() for p in served_logs(tmp_path).iterdir())]
    for secret in (NEW_SECRET, OLD_SECRET, TOKEN):
        assert not [t for t in texts if secret.encode() in t]
    lines = [x for p in sorted(served_logs(tmp_path).glob("webhooks-*.ndjson"))
             for x in p.read_bytes().splitlines()]  # fmt: skip
    assert not [x for x in lines if b"m_refused" in x]
    bodies = [x[x.index(b',"body":') + 8 : -1] for x in lines]
    assert bodies.count(big_raw) == 1 and bodies.count(first_msg) == 1
    assert all(bodies.count(raw) == 2 for raw in concurrent)
    assert bodies.count(given_up) in (1, 2)  # the given-up POST may have been logged too
    assert bodies.count(get_started) == 1

    pipeline.run([str(served_logs(tmp_path))], db_path, keep_text=True)
    assert q("SELECT count(*) FROM rejects") == [(0,)]
    assert q("SELECT count(*) FROM events WHERE mid LIKE 'm_batch_%'") == [(1000,)]
    assert q(f"SELECT count(*) FROM events WHERE psid = '{EARLY}'") == [(17,)]
    assert q("SELECT text FROM events WHERE mid = 'm_batch_7'") == [
        ("Bestellung 7 \u00fcber https://acme.example/b/7 \U0001f950",)
    ]
    # The late Get Started is LATE's first touch: its channel changes on the second run.
    assert q(f"SELECT channel, ref FROM contacts WHERE psid = '{LATE}'") == [
        ("m_me_link", "spring_menu")
    ]
    assert q("SELECT count(*) FROM contacts") == [(1000 + 2,)]


def served_logs(tmp_path: Path) -> Path:
    return tmp_path / "logs"


def test_every_delivery_acknowledged_while_serve_stops_is_logged(tmp_path: Path) -> None:
    """Meta's connections keep posting while SIGTERM stops serve: each POST answered 200 is
    in the log (the others are Meta's to retry)."""
    env = {**os.environ, "REFSCOPE_APP_SECRET": NEW_SECRET, "REFSCOPE_VERIFY_TOKEN": TOKEN}
    answered: dict[bytes, int | str] = {}
    stop = threading.Event()

    def keep_posting(url: str, worker: int) -> None:
        with httpx.Client(base_url=url, timeout=60) as client:  # one kept connection
            for i in range(10_000):
                raw = meta_json(f.delivery(f.message(f"w{worker} \u00e9 {i}",
                                                     mid=f"m_{worker}_{i}")))  # fmt: skip
                try:
                    r = client.post("/webhook", content=raw, headers=meta_headers(raw, NEW_SECRET))
                    answered[raw] = r.status_code
                except httpx.TransportError as exc:
                    answered[raw] = type(exc).__name__
                    return
                if stop.is_set() and r.status_code != 200:
                    return

    with serve_process(tmp_path, env) as served:
        with ThreadPoolExecutor(6) as pool:
            workers = [pool.submit(keep_posting, served.url, w) for w in range(6)]
            deadline = time.monotonic() + 60
            while sum(1 for s in list(answered.values()) if s == 200) < 60:
                assert time.monotonic() < deadline
                time.sleep(0.01)
            served.proc.send_signal(signal.SIGTERM)
            stop.set()
            for w in workers:
                w.result(timeout=120)
    lines = [x for p in served_logs(tmp_path).glob("webhooks-*.ndjson")
             for x in p.read_bytes().splitlines()]  # fmt: skip
    logged = {x[x.index(b',"body":') + 8 : -1] for x in lines}
    acknowledged = {raw for raw, status in answered.items() if status == 200}
    assert len(acknowledged) >= 60
    assert acknowledged <= logged
    assert len(lines) == len(logged)  # none twice
