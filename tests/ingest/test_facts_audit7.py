"""Gaps found by an audit of the receiver, pull ads and the messaging window against Meta's
documented delivery semantics (retries, batching, out-of-order delivery), Graph API paging,
rate-limit headers and error codes.

Webhooks: https://developers.facebook.com/docs/graph-api/webhooks/getting-started
Rate limits: https://developers.facebook.com/docs/graph-api/overview/rate-limiting
"""

from __future__ import annotations

from typing import Any

import tests.factories as f
from tests.conftest import Query
from tests.factories import HOUR, MINUTE, T0


def test_a_retried_first_message_read_after_later_ones_still_acquires(
    ingest_lines, query: Query
) -> None:
    ad = f.message("hi from the ad", ts=T0, referral=f.ads_referral())
    later = f.message("are you open?", ts=T0 + 5 * MINUTE)
    ingest_lines([f.envelope(f.delivery(later), T0 + 5 * MINUTE)], "webhooks-1.ndjson")
    ingest_lines([f.envelope(f.delivery(ad), T0 + HOUR)], "webhooks-2.ndjson")
    rows = query.dicts("SELECT channel, first_seen_at, ad_id FROM contacts")
    assert rows == [{"channel": "ctm_ad", "first_seen_at": f.utc(T0), "ad_id": "23843301927710456"}]


def _delivery_receipt_as_meta_shows_it() -> dict[str, Any]:
    """Meta's message_deliveries sample: no timestamp of its own, only the watermark."""
    return {
        "sender": {"id": f.PSID},
        "recipient": {"id": f.PAGE_ID},
        "delivery": {"mids": ["m_abc"], "watermark": T0},
    }


def test_a_retried_delivery_receipt_is_one_event(ingest_lines, query: Query) -> None:
    """An entry's `time` is when the notification was sent: Meta's retry of a delivery receipt
    (which has no timestamp of its own) carries another one, and stays one event."""
    item = _delivery_receipt_as_meta_shows_it()
    first = f.envelope(f.delivery(item, time=T0 + 1000), T0 + 1500)
    retry = f.envelope(f.delivery(item, time=T0 + 21_000), T0 + 21_500)
    res = ingest_lines([first, retry])
    assert query("SELECT kind, ts FROM events") == [("delivery", f.utc(T0 + 1000))]
    assert (res.events_added, res.duplicates) == (1, 1)


def test_a_retry_read_first_gives_way_to_the_earlier_copy(ingest_lines, query: Query) -> None:
    """Read in two runs, the retry first: the copy sent first stays, once."""
    item = {"sender": {"id": f.PSID}, "recipient": {"id": f.PAGE_ID}, "read": {"watermark": T0}}
    body = {"object": "page", "entry": [{"id": f.PAGE_ID, "messaging": [item]}]}
    ingest_lines([f.envelope(body, T0 + 21_500)], "webhooks-1.ndjson")
    later = ingest_lines([f.envelope(body, T0 + 1500)], "webhooks-2.ndjson")
    assert query("SELECT kind, ts FROM events") == [("read", f.utc(T0 + 1500))]
    assert later.events_added == 0


def test_reads_of_two_watermarks_without_timestamps_stay_two(ingest_lines, query: Query) -> None:
    def read(watermark: int) -> dict[str, Any]:
        return {"sender": {"id": f.PSID}, "recipient": {"id": f.PAGE_ID},
                "read": {"watermark": watermark}}  # fmt: skip

    ingest_lines([f.delivery(read(T0), time=T0 + 10), f.delivery(read(T0 + 5), time=T0 + 20)])
    assert query("SELECT count(*) FROM events") == [(2,)]
