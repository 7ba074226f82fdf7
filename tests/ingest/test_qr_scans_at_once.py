"""One printed QR code scanned by many phones at once, its ref of every character a ref may
hold: each phone follows the code's URL to the receiver and on to m.me, and each scan is one
click and one scan on Links & QR codes, also when all of them fall in one millisecond (their log
lines alike, byte for byte)."""

from __future__ import annotations

import asyncio
import datetime as dt
import string
from pathlib import Path
from urllib.parse import urlsplit

import httpx

from dashboard import queries
from dashboard.filters import Filters
from ingest import db, links, pipeline, qr
from ingest.receiver import ReceiverConfig
from tests import factories as f
from tests.conftest import Query
from tests.ingest.links_setup import decode
from tests.ingest.receiver_server import IPHONE, SECRET, TOKEN, StartReceiver, register

REF = string.ascii_uppercase + string.ascii_lowercase + string.digits + "_-="
PHONES = 200
ANDROID = (
    "Mozilla/5.0 (Linux; Android 14; SM-S918B) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/124.0.0.0 Mobile Safari/537.36"
)


def test_a_code_scanned_by_many_phones_at_once_counts_every_scan(
    start_receiver: StartReceiver, db_path: Path, tmp_path: Path
) -> None:
    config = ReceiverConfig(tmp_path / "logs", db_path, (SECRET,), TOKEN, registry_refresh=0.0)
    now = f.T0 / 1000
    receiver = start_receiver(config, clock=lambda: now)  # every scan in one millisecond
    code = links.make_link(f.PAGE_ID, REF, "qr", base_url=receiver.url)
    register(db_path, code)
    url = decode(qr.png_bytes(code.url))  # what each phone's camera reads
    assert url == f"{receiver.url}/r/{REF[:-1]}%3D?page={f.PAGE_ID}&qr=1"
    m_me = f"https://m.me/{f.PAGE_ID}?ref={REF[:-1]}%3D"

    async def scan_at_once() -> list[httpx.Response]:
        limits = httpx.Limits(max_connections=PHONES)
        async with httpx.AsyncClient(limits=limits, timeout=60) as phones:
            return await asyncio.gather(*(
                phones.get(url, headers={"User-Agent": (IPHONE, ANDROID)[i % 2]})
                for i in range(PHONES)
            ))  # fmt: skip

    answers = asyncio.run(scan_at_once())
    assert [(r.status_code, r.headers["location"]) for r in answers] == [(302, m_me)] * PHONES
    lines = receiver.lines("clicks")
    assert len(lines) == PHONES and len(set(lines)) == 1  # alike, byte for byte
    assert receiver.metrics()["refscope_clicks_total"] == PHONES

    # Two of the phones' owners tap Get Started: the ref comes back as m.me decoded it.
    webhooks = tmp_path / "webhooks.ndjson"
    f.write_ndjson(webhooks, [
        f.delivery(f.postback(referral=f.referral_obj(REF), psid=psid, ts=f.T0 + 5000))
        for psid in ("7300000000000001", "7300000000000002")
    ])  # fmt: skip
    pipeline.run([str(config.log_dir), str(webhooks)], db_path)
    query = Query(db_path)
    assert query("SELECT count(*), count(DISTINCT click_key) FROM clicks WHERE ref = ?", REF) == [
        (PHONES, PHONES)
    ]
    assert query("SELECT channel, count(*) FROM contacts GROUP BY ALL") == [("qr_code", 2)]
    con = db.connect(db_path, read_only=True)
    try:
        queries.install_macros(con)
        day = f.utc(f.T0).date()
        refs = queries.refs(con, Filters(day, day + dt.timedelta(days=1))).set_index("ref")
    finally:
        con.close()
    assert refs.loc[REF, ["channel", "new_contacts", "clicks", "scans", "registered"]].tolist() == [
        "qr_code", 2, PHONES, PHONES, True
    ]  # fmt: skip
    assert urlsplit(url).path.endswith("%3D")  # the `=` travels encoded, as Meta requires
