"""A database of chat plugin contacts on days 0, 1, 7 and 8 of the data (guests but on day
7), built by the real ingest, and the week from day 4: the week before it starts before the
data."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from dashboard.filters import Filters
from ingest import pipeline
from tests import factories as fx


def chat_weeks(tmp_path: Path) -> tuple[Path, Filters]:
    lines = []
    for n, (days, guest) in enumerate([(0, True), (1, True), (7, False), (8, True)]):
        user, ts = f"chat-user-{n}", fx.T0 + days * fx.DAY
        ref = fx.chat_plugin_referral(user, referer_uri="https://acme.example/", ts=ts,
                                      is_guest_user=guest)  # fmt: skip
        lines.append(fx.delivery(ref))
    path = tmp_path / "chat.duckdb"
    pipeline.run([str(fx.write_ndjson(tmp_path / "webhooks.ndjson", lines))], path)
    start = dt.date(1970, 1, 1) + dt.timedelta(days=fx.T0 // 1000 // 86400 + 4)
    return path, Filters(start, start + dt.timedelta(days=6))
