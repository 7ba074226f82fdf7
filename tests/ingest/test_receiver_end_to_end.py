"""End to end: what Meta delivers to `refscope serve` (a real process on 127.0.0.1, driven by
httpx) ends up in DuckDB exactly as if the accepted bodies had been ingested directly.

Meta's handshake, signature over the raw (\\uXXXX-escaped) body, batching and retries:
https://developers.facebook.com/docs/graph-api/webhooks/getting-started
https://developers.facebook.com/docs/messenger-platform/webhook
"""

from __future__ import annotations

import json
import os
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx

from ingest import pipeline
from tests import factories as f
from tests import factories_feed as ff
from tests.conftest import Query
from tests.ingest.receiver_server import OTHER_SECRET, SECRET, TOKEN, meta_json, serve_process, sign

CAP = 64 * 1024  # REFSCOPE_MAX_BODY for this server: the oversized delivery stays small
A, B, C, D, E = (f"65123456789000{i:02d}" for i in range(1, 6))
# Their items carry no instant of their own: only the receiver's envelope dates them.
UNDATED, SAMPLE = "6512345678900099", "6512345678900098"
# Multi-line, quoted, with a tab, a backslash and U+2028 (a line break to str.splitlines)
BURST = 'n\u00ba {}\n\u2014 "cr\u00e8me"\tbr\u00fbl\u00e9e\u2028\\ok'


def accepted_bodies() -> dict[str, bytes]:
    """Meta-serialised deliveries (non-ASCII as \\uXXXX, `/` as `\\/`), by name."""
    m = f.MINUTE
    bodies: dict[str, Any] = {
        "get_started": f.delivery(f.postback(referral=f.referral_obj("spring_menu"), psid=A)),
        "non_ascii": f.delivery(
            f.message(
                "Hall\u00e5, \u00f6ppet 8/12? \U0001f950 \u00e4\u00f6\u00e5", psid=A, ts=f.T0 + m
            )
        ),
        "batch": f.batch(
            f.entry(f.message("hi", psid=B, ts=f.T0 + 2 * m, quick_reply={"payload": "MENU"})),
            f.entry(
                f.message(ts=f.T0 + 3 * m, psid=C, referral=f.ads_referral()),
                page_id=f.OTHER_PAGE_ID,
            ),
            f.entry(f.chat_plugin_referral(ts=f.T0 + 4 * m)),
            f.entry(f.reaction(f.mid_for(B, f.T0 + 2 * m), psid=B, ts=f.T0 + 5 * m)),
        ),
        "echo_and_receipts": f.batch(
            f.entry(f.echo("Yes, 8\u201318h / t\u00e4glich", psid=A, ts=f.T0 + 6 * m)),
            f.entry(
                f.delivery_receipt(
                    [f.mid_for(f"{f.PAGE_ID}-{A}", f.T0 + 6 * m)],
                    f.T0 + 6 * m,
                    psid=A,
                    ts=f.T0 + 7 * m,
                )
            ),
            f.entry(f.read_receipt(f.T0 + 6 * m, psid=A, ts=f.T0 + 8 * m)),
        ),
        "standby": f.delivery(
            f.message("from the inbox", psid=D, ts=f.T0 + 9 * m), container="standby"
        ),
        "handover": f.delivery(f.handover(psid=D, ts=f.T0 + 10 * m)),
        "comment": ff.feed(ff.comment(text="K\u00f6nnt ihr liefern? \u2615")),
        # No item timestamp and a placeholder entry time: only the envelope's received_at dates
        # it, which a bare body does not have (the direct ingest rejects it, see below).
        "undated": f.delivery(
            f.delivery_receipt(["m_x"], psid=UNDATED, ts="TIMESTAMP"), time="TIMESTAMP"
        ),
        # The App Dashboard's "Send to My Server" sample: {field, value}, placeholder timestamp
        # (messaging_optins page, https://developers.facebook.com/documentation/business-messaging/messenger-platform/webhooks/webhook-events/messaging_optins).
        "sample": {
            "field": "messaging_optins",
            "value": f.optin(psid=SAMPLE, ts="TIMESTAMP", ref="newsletter"),
        },
    }
    for i in range(24):  # the concurrent ones
        bodies[f"burst_{i}"] = f.delivery(
            f.message(BURST.format(i), psid=E, ts=f.T0 + (20 + i) * m)
        )
    out = {name: meta_json(body) for name, body in bodies.items()}
    assert all(raw.isascii() for raw in out.values())
    assert b"\\u00e5" in out["non_ascii"] and b"8\\/12" in out["non_ascii"]
    return out


RETRIED = ("non_ascii", "batch", "undated", "sample", "burst_3", "burst_17")  # each POSTed twice


def refused(raws: dict[str, bytes]) -> list[tuple[bytes, dict[str, str], int]]:
    """(body, headers, status) of deliveries the receiver must refuse; each body is marked."""
    marked = [meta_json(f.delivery(f.message(f"refused {i} \u00e9", mid=f"m_refused_{i}")))
              for i in range(4)]  # fmt: skip
    # A re-serialised (decoded) body signed instead of the bytes sent: Meta's note on
    # escaped unicode; valid only for ASCII.
    utf8 = json.dumps(json.loads(marked[3]), ensure_ascii=False).encode()
    huge = meta_json(f.delivery(f.message("x" * CAP, mid="m_refused_huge")))
    header = "X-Hub-Signature-256"
    return [
        (marked[0], {}, 403),
        (marked[1], {header: sign(marked[1], OTHER_SECRET)}, 403),
        (marked[2], {header: "sha256=" + "0" * 63}, 403),
        (utf8, {header: sign(marked[3])}, 403),
        (raws["non_ascii"], {header: sign(raws["get_started"])}, 403),  # another body's
        (huge, {header: sign(huge)}, 413),
    ]


def test_deliveries_through_serve_equal_a_direct_ingest_of_their_bodies(tmp_path: Path) -> None:
    raws = accepted_bodies()
    env = {**os.environ, "REFSCOPE_APP_SECRET": SECRET, "REFSCOPE_VERIFY_TOKEN": TOKEN,
           "REFSCOPE_MAX_BODY": f"{CAP // 1024}KB"}  # fmt: skip
    attempts = Counter({name: 2 if name in RETRIED else 1 for name in raws})
    started = int(time.time() * 1000)
    with serve_process(tmp_path, env) as served, httpx.Client(base_url=served.url) as client:
        # 1. the handshake, right and wrong
        hs = {"hub.mode": "subscribe", "hub.verify_token": TOKEN, "hub.challenge": "1158201444"}
        r = client.get("/webhook", params=hs)
        assert (r.status_code, r.text) == (200, "1158201444")
        for wrong in ({**hs, "hub.verify_token": TOKEN[:-1]}, {**hs, "hub.verify_token": ""},
                      {k: v for k, v in hs.items() if k != "hub.verify_token"}):  # fmt: skip
            r = client.get("/webhook", params=wrong)
            assert r.status_code == 403 and "1158201444" not in r.text

        # 2. deliveries: one at a time, then concurrently with retries among them
        def post(name: str) -> int:
            raw = raws[name]
            headers = {"X-Hub-Signature-256": sign(raw), "Content-Type": "application/json"}
            return client.post("/webhook", content=raw, headers=headers).status_code

        serial = [n for n in raws if not n.startswith("burst_")]
        assert [post(n) for n in serial] == [200] * len(serial)
        assert [post(n) for n in serial if n in RETRIED] == [200] * 4  # Meta's retries
        burst = sorted(n for n, k in attempts.items() if n.startswith("burst_") for _ in range(k))
        with ThreadPoolExecutor(8) as pool:
            assert list(pool.map(post, burst)) == [200] * len(burst)
        refusals = refused(raws)
        for raw, headers, status in refusals:
            r = client.post("/webhook", content=raw, headers=headers)
            assert r.status_code == status, (raw[:60], r.text)
        huge, headers, _ = refusals[-1]  # again, chunked: no Content-Length tells its size
        r = client.post("/webhook", content=iter([huge[:CAP], huge[CAP:]]), headers=headers)
        assert r.status_code == 413 and "content-length" not in r.request.headers
    finished = int(time.time() * 1000)
    out = served.out

    # 4. every accepted attempt is logged once, byte for byte; nothing refused is
    log_dir = tmp_path / "logs"
    files = sorted(log_dir.glob("webhooks-*.ndjson"))
    lines = [x for p in files for x in p.read_bytes().splitlines()]
    logged: Counter[bytes] = Counter()
    arrivals: dict[bytes, list[int]] = {}
    for line in lines:
        at = json.loads(line)["received_at"]
        assert started <= at <= finished
        prefix = b'{"received_at":%d,"body":' % at
        assert line.startswith(prefix) and line.endswith(b"}")
        logged[line[len(prefix) : -1]] += 1
        arrivals.setdefault(line[len(prefix) : -1], []).append(at)
    assert logged == Counter({raws[n]: k for n, k in attempts.items()})
    assert not [x for x in lines if b"m_refused" in x]
    texts = [out, *(p.read_bytes() for p in log_dir.iterdir())]
    for secret in (SECRET, TOKEN, OTHER_SECRET):
        assert not [t for t in texts if secret.encode() in t]
    assert b"delivery refused: too_large" in out and b"delivery refused: mismatch" in out

    # 3. the receiver's logs and the bare bodies, ingested into two fresh databases
    direct = tmp_path / "direct" / "bodies.ndjson"
    direct.parent.mkdir()
    direct.write_bytes(b"".join(raw + b"\n" for raw in raws.values()))
    received_db, direct_db = tmp_path / "received.duckdb", tmp_path / "direct.duckdb"
    pipeline.run([str(log_dir)], received_db, keep_text=True)
    pipeline.run([str(direct)], direct_db, keep_text=True)
    got, want = Query(received_db), Query(direct_db)

    assert got("SELECT count(*) FROM rejects") == [(0,)]
    # What only an arrival dates: the receiver's envelope dates each by its first arrival (a
    # retry is still one event); a bare body has no such instant, so the direct ingest rejects
    # it. These rows (and the sample's touch and contact) are the ones that may differ.
    undated = f"psid IN ('{UNDATED}', '{SAMPLE}')"
    dated = got(f"SELECT psid, kind, ts FROM events WHERE {undated} ORDER BY psid")
    assert [(p, k) for p, k, _ in dated] == [(SAMPLE, "optin"), (UNDATED, "delivery")]
    first = [f.utc(min(arrivals[raws[n]])) for n in ("sample", "undated")]
    assert [ts for _, _, ts in dated] == first
    assert got(f"SELECT psid, via, ref FROM touches WHERE {undated}") == [
        (SAMPLE, "optin", "newsletter")
    ]
    assert got(f"SELECT psid, ref FROM contacts WHERE {undated}") == [(SAMPLE, "newsletter")]
    rejected = want("SELECT reason, raw FROM rejects ORDER BY raw")
    assert [raw.encode() for _, raw in rejected] == sorted([raws["sample"], raws["undated"]])
    assert all("timestamp" in reason for reason, _ in rejected), rejected

    # Everything else is equal, text included. file, line_no and run_id say where a row was
    # read (a log file's line or the bodies file's line) and by which run: they differ by
    # construction. event_key is kept: it is derived from the event, not its place.
    cols = "* EXCLUDE (file, line_no, run_id)"
    rest = f"WHERE NOT coalesce({undated}, false) ORDER BY ALL"
    events = got.dicts(f"SELECT {cols} FROM events {rest}")
    assert events == want.dicts(f"SELECT {cols} FROM events {rest}")
    assert len(events) == 1 + 1 + 4 + 3 + 1 + 1 + 1 + 24
    assert {e["kind"] for e in events} >= {
        "postback", "message", "referral", "reaction", "message_echo", "delivery", "read",
        "handover", "comment",
    }  # fmt: skip
    text = "Hall\u00e5, \u00f6ppet 8/12? \U0001f950 \u00e4\u00f6\u00e5"
    assert {text, BURST.format(0), BURST.format(23)} <= {e["text"] for e in events}
    for name in ("touches", "contacts"):
        rows = got.dicts(f"SELECT * FROM {name} {rest}")
        assert rows and rows == want.dicts(f"SELECT * FROM {name} {rest}")
