"""Real webhook fixtures of public projects that receive Messenger deliveries, fed to refscope.

Every payload here is a fixture of another project, cited by repository and path, made into
one log line as Meta POSTs it: compact JSON, keys in Meta's snake_case (Yoctol/bottender's test
objects camelCase them), a bare messaging item wrapped in its entry (`entry[].id` names the
page). Where a fixture uses one placeholder for the page and the person (sender = recipient =
"3"), or instants in 1970, ids and instants are replaced and the comment says so; nothing else
is changed. Each line goes through the real pipeline into its own DuckDB file, and the test
states what refscope must store: events, touches, contacts, and no reject (a real delivery is
never rejected; an unknown item is kind `other`). Meta's payload reference:
https://developers.facebook.com/docs/messenger-platform/reference/webhook-events
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

import tests.factories as f
from ingest import pipeline
from tests.conftest import Query
from tests.factories import utc

Json = dict[str, Any]

EVENT_COLUMNS = (
    "kind", "detail", "page_id", "psid", "is_user_ref", "ts", "is_standby", "channel", "ref",
    "source", "ad_id", "ad_title", "referer_uri", "is_guest_user", "mid", "text_length",
    "attachment_types", "quick_reply_payload", "postback_payload", "app_id", "watermark_at",
    "post_id", "comment_id", "commenter_id",
)  # fmt: skip
CONTACT_COLUMNS = (
    "page_id", "psid", "is_user_ref", "channel", "ref", "source", "ad_id", "referer_uri",
    "is_guest_user", "comment_id", "first_seen_at", "first_touch_at", "first_message_at",
    "message_count", "postback_count", "reentry_count", "page_message_count",
)  # fmt: skip
TOUCH_COLUMNS = ("page_id", "psid", "ts", "via", "channel", "ref", "source", "is_first",
                 "is_reentry")  # fmt: skip


def ev(**kw: Any) -> Json:
    """An events row: the columns given, every other one empty (false for the flags)."""
    row: Json = {c: None for c in EVENT_COLUMNS} | {"is_user_ref": False, "is_standby": False}
    assert set(kw) <= set(EVENT_COLUMNS), set(kw) - set(EVENT_COLUMNS)
    return row | kw


def contact(**kw: Any) -> Json:
    row: Json = {c: None for c in CONTACT_COLUMNS} | {
        "is_user_ref": False, "message_count": 0, "postback_count": 0, "reentry_count": 0,
        "page_message_count": 0,
    }  # fmt: skip
    assert set(kw) <= set(CONTACT_COLUMNS), set(kw) - set(CONTACT_COLUMNS)
    return row | kw


def touch(**kw: Any) -> Json:
    row: Json = {c: None for c in TOUCH_COLUMNS} | {"is_first": False, "is_reentry": False}
    assert set(kw) <= set(TOUCH_COLUMNS), set(kw) - set(TOUCH_COLUMNS)
    return row | kw


def entry(page: str, *items: Json, time: Any = None) -> Json:
    """A bare messaging item of a fixture, in the entry Meta delivers it in."""
    e: Json = {"id": page, "messaging": list(items)}
    if time is not None:
        e["time"] = time
    return {"object": "page", "entry": [e]}


def feed(page: str, value: Json, time: Any = None) -> Json:
    """A bare feed change of a fixture, in its entry (`time` in seconds, as Graph sends it)."""
    change = {"field": "feed", "value": value}
    return {"object": "page", "entry": [{"id": page, "time": time or value["created_time"],
                                         "changes": [change]}]}  # fmt: skip


def s(seconds: int) -> datetime:
    return utc(seconds * 1000)


def _ingest(tmp: Path, lines: list[Any]) -> Query:
    db_file = tmp / "refscope.duckdb"
    log = f.write_ndjson(tmp / "webhooks.ndjson", lines)
    pipeline.run([str(log)], db_file)
    return Query(db_file)


def _contacts(query: Query) -> list[Json]:
    return query.dicts(f"SELECT {', '.join(CONTACT_COLUMNS)} FROM contacts ORDER BY page_id")
