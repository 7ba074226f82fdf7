"""A database an older refscope wrote without --keep-text holds a `user_email` /
`user_phone_number` quick reply's payload (the person's email address or phone number, Meta's
quick replies page) in `events.quick_reply_payload`, beside the text it did not keep. Opened for
writing by this refscope (any ingest, `links`, `prune`…), such a payload is replaced as an
ingest without --keep-text now stores it; a kept text keeps its payload, and the team's own
payloads stay."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import duckdb

from ingest import db, pipeline
from tests import factories as f
from tests.conftest import Query
from tests.ingest.test_shared_contact import PAYLOADS, tapped


def test_an_older_databases_email_or_phone_payloads_beside_no_text_are_replaced(
    ingest_lines: Any, db_path: Path, tmp_path: Path, query: Query
) -> None:
    ingest_lines([tapped(p, n) for n, p in enumerate(PAYLOADS)], keep_text=True)
    # As the older refscope stored them without --keep-text: the text gone, its length and the
    # payload kept; the first message's text was kept (a run with --keep-text).
    first = f.T0
    con = duckdb.connect(str(db_path))
    con.execute("UPDATE events SET text = NULL WHERE ts > make_timestamp($t * 1000)", {"t": first})
    con.close()
    assert query.scalar("SELECT count(*) FROM events WHERE quick_reply_payload LIKE '%@%.%'") > 1

    db.connect(db_path).close()
    got = query("SELECT quick_reply_payload, text IS NULL FROM events ORDER BY ts")
    listed = list(PAYLOADS.items())
    assert got[0] == (listed[0][0], False)  # its text kept: so is its payload
    assert got[1:] == [(shown or payload, True) for payload, shown in listed[1:]]

    # A later ingest reads on as before; a second open changes nothing.
    log = f.write_ndjson(tmp_path / "later.ndjson", [tapped("COLOR_RED", len(PAYLOADS))])
    pipeline.run([str(log)], db_path, keep_text=False)
    again = query("SELECT quick_reply_payload FROM events ORDER BY ts")
    assert again == [(p,) for p, _ in got] + [("COLOR_RED",)]
