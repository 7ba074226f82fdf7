"""A person's email address or phone number sent by a `user_email` / `user_phone_number` quick
reply: Meta puts it in `message.quick_reply.payload` as well as in the text, so it goes where
the text goes; the team's own payloads stay as they came."""

from __future__ import annotations

from typing import Any

import duckdb
import pytest

from ingest.shared_contact import EMAIL_REMOVED, PHONE_REMOVED, removed, removed_sql
from tests import factories as f
from tests.conftest import Query

# Payloads as the webhook brings them, and what events keeps of each without --keep-text.
PAYLOADS = {
    "jane.doe+shop@example.co.uk": EMAIL_REMOVED,
    "anna.öberg@exempel.se": EMAIL_REMOVED,
    "+46 70 123 45 67": PHONE_REMOVED,
    "+15551234567": PHONE_REMOVED,
    "(555) 123-4567": PHONE_REMOVED,
    "0701234567": PHONE_REMOVED,
    "COLOR_RED": None,
    '{"step":2}': None,
    '{"email":"jane@example.com"}': None,
    "DEVELOPER_DEFINED_PAYLOAD_FOR_PICKING_GREEN": None,
    "2024-05-06": None,
    "42": None,
    "SKU_1234567": None,
    "USER_5550001112223334": None,
    "@home": None,
}


def tapped(payload: str, n: int) -> dict[str, Any]:
    """The message a tapped quick reply sends: its title as the text, and its payload."""
    title = payload if removed(payload) else "Pick"
    return f.delivery(f.message(title, psid=f"55500011122{n:05d}", ts=f.T0 + n * 1000,
                                quick_reply={"payload": payload}))  # fmt: skip


def test_python_and_sql_take_the_same_payloads_for_an_email_or_a_phone_number() -> None:
    con = duckdb.connect()
    try:
        for payload, expected in PAYLOADS.items():
            assert removed(payload) == expected, payload
            (got,) = con.execute(f"SELECT {removed_sql('$p')}", {"p": payload}).fetchone() or ()
            assert got == (expected or payload), payload
    finally:
        con.close()


@pytest.mark.parametrize("keep_text", [False, True], ids=["default", "keep-text"])
def test_events_keep_an_email_or_phone_number_payload_only_where_text_is_kept(
    ingest_lines: Any, query: Query, keep_text: bool
) -> None:
    ingest_lines([tapped(p, n) for n, p in enumerate(PAYLOADS)], keep_text=keep_text)
    got = [p for (p,) in query("SELECT quick_reply_payload FROM events ORDER BY ts")]
    if keep_text:
        assert got == list(PAYLOADS)
    else:
        assert got == [shown or p for p, shown in PAYLOADS.items()]
        assert query.scalar("SELECT count(text) FROM events") == 0
