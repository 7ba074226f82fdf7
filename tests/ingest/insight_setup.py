"""What the ad insights tests share: rows and answer pages as Meta sends them, and a pull's
rows held in a database beside an older export."""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

import tests.factories as f
from ingest import db, insight_rows

STARTED = insight_rows.CONVERSATIONS_STARTED


def row(day: str = "2026-11-02", ad_id: str = "6000000000001", spend: object = "12.34",
        **more: object) -> dict[str, object]:  # fmt: skip
    return {"date_start": day, "date_stop": day, "ad_id": ad_id, "spend": spend, **more}


def page(*rows: object) -> dict[str, object]:
    return {"data": list(rows), "paging": {"cursors": {"before": "QVFI", "after": "QVFJ"}}}


PULLED = dt.datetime(2026, 11, 20, 12, 0)


def older_than_a_pull(
    db_path: Path, log_dir: Path, held: list[dict[str, object]], lines: list[object]
) -> Path:
    """The rows `held` stored by a pull of act_1 at PULLED, and an export of `lines` written a
    day before it: log_dir/old.ndjson."""
    con = db.connect(db_path)
    with db.transaction(con):
        insight_rows.store(con, [insight_rows.insight_row(r, PULLED, "act_1") for r in held])
    con.close()
    old = f.write_ndjson(log_dir / "old.ndjson", lines)
    os.utime(old, (PULLED.timestamp() - 86400, PULLED.timestamp() - 86400))
    return old
