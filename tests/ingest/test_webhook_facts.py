"""Delivery shapes named by Meta's webhook documentation that the other parser tests leave out.

Each line goes through the real pipeline into a real DuckDB file.
Field list: https://developers.facebook.com/documentation/business-messaging/messenger-platform/webhooks/webhook-events
"""

from __future__ import annotations

from typing import Any

import pytest

import tests.factories as f
import tests.factories_feed as ff
from tests.conftest import Query
from tests.factories import PAGE_ID, T0, utc

# The Page messaging fields besides the ones refscope reads, each with an item of its kind
# (the item's key is what `detail` keeps).
OTHER_FIELDS = {
    "messaging_game_plays": ("game_play", {"game_id": "g1", "player_id": "p1", "score": 10}),
    "messaging_account_linking": ("account_linking", {"status": "linked"}),
    "messaging_feedback": ("messaging_feedback", {"feedback_screens": []}),
    "send_cart": ("send_cart", {"items": []}),
}


def _item(key: str, body: Any, psid: str, ts: int) -> dict[str, Any]:
    return f.other_item(key, body, psid=psid, ts=ts)


def _changes(field: str, value: dict[str, Any]) -> dict[str, Any]:
    """A Page webhook body carrying a messaging item wrapped as a change (entry.time in s)."""
    change = {"field": field, "value": value}
    return {"object": "page", "entry": [{"id": PAGE_ID, "time": T0 // 1000, "changes": [change]}]}


@pytest.mark.parametrize("form", ["sample", "changes"])
@pytest.mark.parametrize("field", list(OTHER_FIELDS))
def test_a_wrapped_item_of_any_messaging_field_keeps_its_sender(
    ingest_lines, query: Query, field: str, form: str
) -> None:
    key, body = OTHER_FIELDS[field]
    item = _item(key, body, "u1", T0 + 4321)
    wrapped = {"field": field, "value": item}
    ingest_lines([wrapped if form == "sample" else _changes(field, item)])
    assert query("SELECT line_no, reason FROM rejects") == []
    event = query.one("SELECT * FROM events")
    assert {k: event[k] for k in ("kind", "detail", "psid", "page_id", "ts")} == {
        "kind": "other",
        "detail": key,
        "psid": "u1",
        "page_id": PAGE_ID,
        "ts": utc(T0 + 4321),  # the item's own instant, not the entry's
    }


@pytest.mark.parametrize("form", ["sample", "changes"])
def test_a_wrapped_policy_enforcement_is_kept_without_a_sender(
    ingest_lines, query: Query, form: str
) -> None:
    item = f.other_item("policy-enforcement", {"action": "block", "reason": "spam"}, ts=T0 + 7)
    del item["sender"]
    field = "messaging_policy_enforcement"
    ingest_lines([{"field": field, "value": item} if form == "sample" else _changes(field, item)])
    assert query("SELECT line_no, reason FROM rejects") == []
    event = query.one("SELECT kind, detail, psid, page_id, ts FROM events")
    assert event == {
        "kind": "other",
        "detail": "policy-enforcement",
        "psid": None,
        "page_id": PAGE_ID,
        "ts": utc(T0 + 7),
    }


# The messaging_postbacks page's sample: wrapped, timestamp a string of seconds, SHORT-URL.
# https://developers.facebook.com/documentation/business-messaging/messenger-platform/webhooks/webhook-events/messaging_postbacks
POSTBACK_SAMPLE = {
    "field": "messaging_postbacks",
    "value": {
        "sender": {"id": "12334"},
        "recipient": {"id": "23245"},
        "timestamp": "1527459824",
        "postback": {
            "title": "TITLE-FOR-THE-CTA",
            "mid": "m-mid",
            "payload": "DEVELOPER-DEFINED-PAYLOAD",
            "referral": {"ref": "USER-DEFINED-REFERRAL-PARAM", "source": "SHORT-URL",
                         "type": "OPEN_THREAD"},
        },
    },
}  # fmt: skip


def test_a_sample_inside_the_receivers_envelope_reads_like_the_sample(
    ingest_lines, query: Query
) -> None:
    # The receiver logs what the App Dashboard's test button posts inside its envelope.
    ingest_lines([POSTBACK_SAMPLE], name="plain.ndjson")
    plain = query("SELECT * EXCLUDE (file, run_id) FROM events")
    ingest_lines([f.envelope(POSTBACK_SAMPLE)], name="enveloped.ndjson")
    assert query("SELECT reason FROM rejects") == []
    assert query("SELECT * EXCLUDE (file, run_id) FROM events") == plain  # one event, deduped
    assert query("SELECT count(DISTINCT file) FROM events") == [(1,)]
    c = query.one("SELECT channel, ref, source FROM contacts WHERE psid = '12334'")
    assert (c["channel"], c["ref"], c["source"]) == (
        "m_me_link", "USER-DEFINED-REFERRAL-PARAM", "SHORT-URL")  # fmt: skip


def test_an_enveloped_sample_alone_becomes_its_event(ingest_lines, query: Query) -> None:
    ingest_lines([f.envelope(POSTBACK_SAMPLE)])
    assert query("SELECT reason FROM rejects") == []
    event = query.one("SELECT kind, psid, page_id, ts, mid, channel FROM events")
    assert event == {
        "kind": "postback",
        "psid": "12334",
        "page_id": "23245",
        "ts": utc(1527459824000),
        "mid": "m-mid",
        "channel": "m_me_link",
    }


def test_an_enveloped_samples_placeholder_timestamp_falls_back_to_received_at(
    ingest_lines, query: Query
) -> None:
    # The messaging_optins page quotes its timestamp as the placeholder "TIMESTAMP".
    # https://developers.facebook.com/documentation/business-messaging/messenger-platform/webhooks/webhook-events/messaging_optins
    item = f.optin(type="notification_messages", payload="p", psid="u2", ts="TIMESTAMP")
    ingest_lines([f.envelope({"field": "messaging_optins", "value": item}, received_at=T0 + 9)])
    assert query("SELECT reason FROM rejects") == []
    event = query.one("SELECT kind, detail, psid, ts FROM events")
    assert event == {"kind": "optin", "detail": "notification_messages", "psid": "u2",
                     "ts": utc(T0 + 9)}  # fmt: skip


def test_an_enveloped_sample_of_an_unknown_kind_is_named_by_its_key(
    ingest_lines, query: Query
) -> None:
    """An `other` item is named by its own key and keyed on its content, in an envelope too."""
    item = f.other_item("message_edit", {"mid": "m_1", "text": "fixed", "num_edit": 1}, psid="u3")
    again = f.other_item("message_edit", {"mid": "m_1", "text": "fixed again", "num_edit": 2},
                         psid="u3")  # fmt: skip
    ingest_lines([f.envelope({"field": "message_edits", "value": v}) for v in (item, again)])
    assert query("SELECT reason FROM rejects") == []
    assert query("SELECT kind, detail, psid FROM events") == [("other", "message_edit", "u3")] * 2


# The App Dashboard's test button sends each field's sample wrapped, with no entry.
@pytest.mark.parametrize("form", ["sample", "changes"])
def test_a_wrapped_standby_item_is_standby(ingest_lines, query: Query, form: str) -> None:
    item = f.message("hello", psid="u1", ts=T0 + 9)
    wrapped = {"field": "standby", "value": item}
    ingest_lines([wrapped if form == "sample" else _changes("standby", item)])
    assert query("SELECT line_no, reason FROM rejects") == []
    assert query("SELECT kind, psid, is_standby FROM events") == [("message", "u1", True)]


@pytest.mark.parametrize("enveloped", [False, True], ids=["as-sent", "in-envelope"])
def test_a_feed_sample_is_a_comment_of_the_page_its_post_id_names(
    ingest_lines, query: Query, enveloped: bool
) -> None:
    sample = {"field": "feed", "value": ff.comment()["value"]}
    ingest_lines([f.envelope(sample) if enveloped else sample])
    assert query("SELECT line_no, reason FROM rejects") == []
    event = query.one(
        "SELECT kind, detail, page_id, psid, comment_id, commenter_id, ts FROM events"
    )
    assert event == {
        "kind": "comment",
        "detail": "add",
        "page_id": PAGE_ID,  # the prefix of post_id: <PAGE_ID>_<POST_ID>
        "psid": None,
        "comment_id": "4455667788_1357924680",
        "commenter_id": "10158230000000001",
        "ts": utc(T0 // 1000 * 1000),
    }


def test_a_page_field_sample_with_no_post_to_name_its_page_is_rejected_for_that(
    ingest_lines, query: Query
) -> None:
    ingest_lines([{"field": "ratings", "value": {"item": "rating", "verb": "add"}},
                  {"field": "name", "value": "Acme Bakery"}])  # fmt: skip
    assert query("SELECT line_no, reason FROM rejects ORDER BY line_no") == [
        (1, "value: no page id"),
        (2, "value: no page id"),
    ]
    assert query("SELECT count(*) FROM events") == [(0,)]


def test_a_feed_change_without_an_item_is_rejected(ingest_lines, query: Query) -> None:
    entry = _changes("feed", ff.comment()["value"])
    bare = _changes("name", {})
    bare["entry"][0]["changes"][0]["value"] = "Acme"
    lines: list[Any] = [
        {**entry, "entry": [{**entry["entry"][0], "changes": [{"field": "feed", "value": None}]}]},
        {**entry, "entry": [{**entry["entry"][0], "changes": [{"field": "feed"}]}]},
        {**entry, "entry": [{**entry["entry"][0], "changes": [{"field": "feed", "value": "x"}]}]},
        {**entry, "entry": [{**entry["entry"][0], "changes": [{"field": "feed", "value": {}}]}]},
        {"field": "feed", "value": None},
        bare,  # another Page field's bare value is kept, as before
    ]
    ingest_lines(lines)
    assert query("SELECT line_no, reason FROM rejects ORDER BY line_no") == [
        (1, "entry[0].changes[0]: feed change without item"),
        (2, "entry[0].changes[0]: feed change without item"),
        (3, "entry[0].changes[0]: feed change without item"),
        (4, "entry[0].changes[0]: feed change without item"),
        (5, "value: no page id"),
    ]
    assert query("SELECT line_no, kind, detail FROM events") == [(6, "other", "name")]


@pytest.mark.parametrize("known_by", ["same-batch", "earlier-run", "pages"])
def test_an_old_direction_echo_without_entry_id_is_turned_by_the_pages_refscope_knows(
    ingest_lines, query: Query, execute, known_by: str
) -> None:
    """An echo's page is its sender now and its recipient in older docs: with no entry id to
    say which, a side that is a known page decides."""
    reply = f.echo("Thanks!", psid="u1", ts=T0 + 5, mid="m_old", metadata='{"comment_id": "1_2"}',
                   reverse=True)  # fmt: skip
    now = f.echo("Hi", psid="u2", ts=T0 + 6, mid="m_now")
    samples = [
        {"field": "message_echoes", "value": reply},
        {"field": "message_echoes", "value": now},
    ]
    first = f.delivery(f.message(psid="u3", ts=T0))
    if known_by == "pages":
        execute("INSERT INTO pages VALUES (?, 'acme', 'Acme')", PAGE_ID)
        ingest_lines(samples)
    elif known_by == "earlier-run":
        ingest_lines([first])
        ingest_lines(samples, name="later.ndjson")
    else:
        ingest_lines([first, *samples])
    rows = query("SELECT mid, page_id, psid, channel FROM events WHERE kind = 'message_echo' "
                 "ORDER BY mid")  # fmt: skip
    assert rows == [("m_now", PAGE_ID, "u2", None), ("m_old", PAGE_ID, "u1", "comment_reply")]
    assert query("SELECT count(*) FROM rejects") == [(0,)]


def test_an_old_direction_echo_turned_to_its_page_is_one_event_with_its_copy_under_an_entry_id(
    ingest_lines, query: Query
) -> None:
    """Turned, an echo is keyed (kind and mid) under the page it really has: the same echo
    (one mid) under an entry that names its page, and as a sample after it, is one event;
    the entry's echo alone makes its page known."""
    reply = f.echo("Thanks!", psid="u1", ts=T0 + 5, mid="m_old", reverse=True)
    result = ingest_lines([f.delivery(reply), {"field": "message_echoes", "value": reply}])
    assert (result.events_parsed, result.events_added) == (2, 1)
    assert query("SELECT mid, page_id, psid, line_no FROM events") == [("m_old", PAGE_ID, "u1", 1)]


def test_an_echo_without_entry_id_whose_pages_are_unknown_is_read_as_sender_is_page(
    ingest_lines, query: Query
) -> None:
    reply = f.echo("Thanks!", psid="u1", ts=T0 + 5, mid="m_old", reverse=True)
    ingest_lines([{"field": "message_echoes", "value": reply}])
    # Nothing tells the sides apart: the current direction is the one taken (README).
    assert query("SELECT page_id, psid FROM events") == [("u1", PAGE_ID)]
