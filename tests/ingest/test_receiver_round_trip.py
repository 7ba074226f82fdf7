"""What the receiver (a real uvicorn server on 127.0.0.1, driven by httpx) logs is read back by
`refscope ingest` as the same events as the bodies it was sent, read directly: here for bodies
a tool saved on Windows and replayed (a leading UTF-8 byte order mark, CRLF line ends)."""

from __future__ import annotations

import codecs
import json
from pathlib import Path

from ingest import pipeline
from tests import factories as f
from tests.conftest import Query
from tests.ingest.receiver_server import Receiver, meta_json


def test_a_body_with_a_byte_order_mark_is_logged_as_the_json_it_holds(
    receiver: Receiver, tmp_path: Path
) -> None:
    plain = meta_json(f.delivery(f.message("plain", mid="m_plain", psid="61001")))
    marked = codecs.BOM_UTF8 + meta_json(f.delivery(f.message("marked", mid="m_bom", psid="61002")))
    crlf = codecs.BOM_UTF8 + json.dumps(
        f.batch(f.entry(f.message("crlf", mid="m_crlf", psid="61003"))), indent=1
    ).replace("\n", "\r\n").encode("ascii") + b"\r\n"  # fmt: skip
    bodies = [plain, marked, crlf]
    assert [receiver.post(raw).status_code for raw in bodies] == [200, 200, 200]
    logged = [json.loads(line) for line in receiver.lines()]
    assert [type(x["body"]) for x in logged] == [dict, dict, dict]
    assert logged[1]["body"] == json.loads(marked.decode("utf-8-sig"))

    # The receiver's log and the bodies as sent (each one line, as a bare log holds them).
    direct = tmp_path / "direct" / "bodies.ndjson"
    direct.parent.mkdir()
    direct.write_bytes(plain + b"\n" + marked + b"\n" + json.dumps(json.loads(crlf[3:])).encode())
    got_db, want_db = tmp_path / "got.duckdb", tmp_path / "want.duckdb"
    pipeline.run([str(receiver.log_dir)], got_db)
    pipeline.run([str(direct)], want_db)
    got, want = Query(got_db), Query(want_db)
    assert got("SELECT reason FROM rejects") == []
    mids = "SELECT mid, psid, kind, ts FROM events ORDER BY mid"
    assert got(mids) == want(mids)
    assert [m for m, *_ in got(mids)] == ["m_bom", "m_crlf", "m_plain"]
