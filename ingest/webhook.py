"""Messenger deliveries → normalised event rows, in DuckDB SQL: messaging and standby items.

With comment_events.py (feed changes, send logs), the only module that knows Meta's payload
shapes. It parses with DuckDB's JSON reader (one `json_transform` per line with an explicit
structure), so millions of lines never pass through Python objects. Pure: it builds SQL over a
registered `chunk(rid, file_id, line_no, raw)` relation and does no I/O of its own; stage.py
puts the pieces together. Payload facts: https://developers.facebook.com/docs/messenger-platform/webhooks
"""

from __future__ import annotations

import json

from .shapes import (
    ATTACHMENTS,
    CONTROL,
    MESSAGING_FIELDS,
    MESSAGING_STRUCTURE,
    MIDS,
    OPTIN,
    QUICK_REPLY,
    REACTION,
    REFERRAL,
    SHORTLINK_SOURCES,
    STANDBY_STRUCTURE,
    TAGS,
    WRAPPED_CHANGES_STRUCTURE,
    WRAPPED_STRUCTURE,
)

MACROS = f"""
-- Timestamps by magnitude: Meta mixes seconds and milliseconds, and doc samples use strings.
CREATE OR REPLACE TEMP MACRO rs_ms(v) AS (
    CASE
        WHEN NOT isfinite(try_cast(v AS DOUBLE)) THEN NULL
        WHEN try_cast(v AS DOUBLE) < 1e12 THEN try_cast(v AS DOUBLE) * 1000
        WHEN try_cast(v AS DOUBLE) < 1e15 THEN try_cast(v AS DOUBLE)
        WHEN try_cast(v AS DOUBLE) < 1e18 THEN try_cast(v AS DOUBLE) / 1000
        ELSE try_cast(v AS DOUBLE) / 1000000
    END
);
-- Only instants between 2000 and 2100 are believable; anything else counts as missing.
CREATE OR REPLACE TEMP MACRO rs_ts(v) AS (
    CASE WHEN rs_ms(v) BETWEEN 946684800000 AND 4102444800000
         THEN make_timestamp(CAST(rs_ms(v) * 1000 AS BIGINT)) END
);
-- An instant inside a key: as milliseconds, however it was written (text that is no instant
-- as it came).
CREATE OR REPLACE TEMP MACRO rs_instant(v) AS (
    coalesce(CAST(epoch_ms(rs_ts(v)) AS VARCHAR), v)
);
-- An id given as an object or a list is a wrong type, not an id.
CREATE OR REPLACE TEMP MACRO rs_id(v) AS (
    CASE WHEN v IS NULL OR v = '' OR left(v, 1) IN ('{{', '[') THEN NULL ELSE v END
);
-- Text that is empty or spaces only says nothing: an empty ref (`m.me/<page>?ref=` with
-- nothing after it) is no ref, an empty source no source, an empty referer_uri no page.
CREATE OR REPLACE TEMP MACRO rs_ref(v) AS (
    CASE WHEN regexp_full_match(v, '[[:space:]]*') THEN NULL ELSE v END
);
CREATE OR REPLACE TEMP MACRO rs_bool(v) AS (
    CASE lower(v) WHEN 'true' THEN true WHEN '1' THEN true WHEN 'false' THEN false
                  WHEN '0' THEN false END
);
CREATE OR REPLACE TEMP MACRO rs_key(parts) AS (md5_number(array_to_string(parts, chr(31))));
CREATE OR REPLACE TEMP MACRO rs_is_shortlink(source) AS (
    upper(source) IN {SHORTLINK_SOURCES!r}
);
"""


def parse_raw(structure: str) -> str:
    """The SQL that parses each line's `raw` into structure (NULL when it is not JSON)."""
    # json_transform raises on malformed JSON: try() makes it NULL (those lines become rejects).
    return f"CASE WHEN json_valid(raw) THEN json_transform(raw, '{structure}') END"


def _present(value: str, structure: object) -> str:
    """A sub-object read as JSON text, given its structure on the rows that have it."""
    shape = json.dumps(structure)
    return f"CASE WHEN {value} IS NOT NULL THEN json_transform({value}, '{shape}') END"


# Entries of the lines that are Page webhook bodies (plain or inside a receiver envelope).
ENTRY_ROWS = """lines AS (
    SELECT rid, file_id, line_no, {transform} AS d FROM {source} {where}
), entries AS (
    SELECT rid, file_id, line_no,
           CASE WHEN d.body IS NOT NULL THEN d.body.entry ELSE d.entry END AS entries,
           rs_ts(d.received_at) AS received_ts,
           coalesce(CASE WHEN d.body IS NOT NULL THEN d.body.object ELSE d.object END, 'page')
               AS obj
    FROM lines
), entry_rows AS (
    SELECT rid, file_id, line_no, received_ts, obj, unnest(entries) AS e,
           generate_subscripts(entries, 1) AS ei, {gap} AS entry_gap
    FROM entries
)"""


def list_gap(container: str) -> str:
    """Whether an entry of a batched line gave no `container` item: beside good entries, a
    non-object entry or a `container` that is no list must not vanish. The line's items (of
    each list: a batch of standby or changes entries may hold no messaging one) carry the
    flag, and troubled_lines.py reads such a line again to say what is wrong (an entry of
    another list's items, read elsewhere, or one with nothing in it, is not). A line of one
    such entry has no item at all, and is explained whole."""
    return f"""CASE WHEN len(entries) > 1
                    THEN list_bool_or(list_transform(entries, lambda n: n.{container} IS NULL))
                    ELSE false END"""


MESSAGING_GAP = list_gap("messaging")

# Messaging items, one row each, with entry context: `{item_rows}` is one of the *_ROWS below.
_ITEMS = """
WITH {item_rows}, typed AS (
    SELECT *,
        rs_id(entry_id) AS page_hint,
        rs_id(x.sender.id) AS sid,
        rs_id(x.recipient.id) AS rcp,
        coalesce(rs_ts(x.timestamp), rs_ts(entry_time), received_ts) AS t,
        CASE
            WHEN x.message IS NOT NULL AND rs_bool(x.message.is_echo) THEN 'message_echo'
            WHEN x.message IS NOT NULL THEN 'message'
            WHEN x.postback IS NOT NULL THEN 'postback'
            WHEN x.referral IS NOT NULL THEN 'referral'
            WHEN x.optin IS NOT NULL THEN 'optin'
            WHEN x.delivery IS NOT NULL THEN 'delivery'
            WHEN x.read IS NOT NULL THEN 'read'
            WHEN x.reaction IS NOT NULL THEN 'reaction'
            WHEN x.pass_thread_control IS NOT NULL OR x.take_thread_control IS NOT NULL
              OR x.request_thread_control IS NOT NULL OR x.app_roles IS NOT NULL THEN 'handover'
            ELSE 'other'
        END AS kind,
        {rf} AS rf,
        {optin} AS optin,
        {reaction} AS reaction,
        {pass_ctl} AS pass_ctl,
        {take_ctl} AS take_ctl,
        {request_ctl} AS request_ctl,
        {mids} AS mids,
        {attachments} AS attachments,
        {tags} AS tags,
        {quick_reply} AS quick_reply
    FROM item_rows
), placed AS (
    SELECT *,
        coalesce(page_hint, CASE WHEN kind = 'message_echo' THEN sid ELSE rcp END) AS page
    FROM typed
), addressed AS (
    -- Echo direction differs between doc versions: the contact is whichever side is not the
    -- page. https://developers.facebook.com/docs/messenger-platform/reference/webhook-events/message-echoes/
    SELECT *,
        CASE WHEN sid = page
             THEN coalesce(rcp, rs_id(x.recipient.user_ref))
             ELSE coalesce(sid, rs_id(x.sender.user_ref), rs_id(optin.user_ref))
        END AS who,
        CASE WHEN sid = page THEN rcp IS NULL ELSE sid IS NULL END AS who_is_ref
    FROM placed
)
""".format(
    item_rows="{item_rows}",
    rf=_present("coalesce(x.message.referral, x.postback.referral, x.referral)", REFERRAL),
    optin=_present("x.optin", OPTIN),
    reaction=_present("x.reaction", REACTION),
    pass_ctl=_present("x.pass_thread_control", CONTROL),
    take_ctl=_present("x.take_thread_control", CONTROL),
    request_ctl=_present("x.request_thread_control", CONTROL),
    mids=_present("x.delivery.mids", MIDS),
    attachments=_present("x.message.attachments", ATTACHMENTS),
    tags=_present("x.message.tags", TAGS),
    quick_reply=_present("x.message.quick_reply", QUICK_REPLY),
)

# Which items are malformed: the kind's key is there, but what it must carry is not.
_ITEM_PROBLEM = """
CASE
    -- A filter here rather than on the lines: filtering nested rows copies them.
    WHEN obj <> 'page' THEN 'unsupported object'
    WHEN (x.sender IS NULL AND x.recipient IS NULL AND kind = 'other'
                       AND x.timestamp IS NULL) THEN 'item is not an event object'
    WHEN page IS NULL THEN 'no page id'
    -- A role change is about the page's apps: Meta sends it without a sender.
    -- https://developers.facebook.com/docs/messenger-platform/handover-protocol/assign-app-roles
    -- An item of a kind refscope does not read (policy enforcement, say) may have none either.
    WHEN who IS NULL AND x.app_roles IS NULL AND kind <> 'other' THEN 'no sender id'
    WHEN t IS NULL THEN 'no valid timestamp'
    WHEN kind IN ('message', 'message_echo') AND rs_id(x.message.mid) IS NULL
        THEN 'message without mid'
    WHEN kind = 'postback' AND x.postback.payload IS NULL AND x.postback.title IS NULL
         AND x.postback.referral IS NULL AND x.postback.mid IS NULL THEN 'empty postback'
    -- A referral item has no message or postback: rf is its referral.
    WHEN kind = 'referral' AND rf.source IS NULL AND rf.ref IS NULL
         AND rf.ad_id IS NULL THEN 'referral without source'
    WHEN kind IN ('delivery') AND x.delivery.watermark IS NULL AND mids IS NULL
        THEN 'delivery without watermark'
    WHEN kind = 'read' AND rs_ts(x.read.watermark) IS NULL THEN 'read without watermark'
    WHEN kind = 'optin' AND optin.type IS NULL AND optin.ref IS NULL
         AND optin.payload IS NULL AND optin.user_ref IS NULL THEN 'empty optin'
    WHEN kind = 'reaction' AND reaction.mid IS NULL AND reaction.action IS NULL
        THEN 'empty reaction'
END
"""

# A message the chat plugin tagged: a trace of the widget even when its referral was lost.
_PLUGIN_TAG = """list_contains(list_transform(tags, lambda g: lower(g.source)),
                             'customer_chat_plugin')"""
# A message sent from a Shops product page: its referral names the product, not a source.
# https://developers.facebook.com/documentation/business-messaging/messenger-platform/webhooks/webhook-events/messages
_SHOPS_PRODUCT = """(rf.product.id IS NOT NULL AND rs_ref(rf.source) IS NULL
                     AND rs_id(rs_ref(rf.ad_id)) IS NULL)"""
_TOUCH_SOURCE = """CASE WHEN kind = 'optin' THEN optin.source ELSE rf.source END"""

_ITEM_EVENTS = f"""
{_ITEMS}
SELECT
    -- rs_key's value, spelled out: concat_ws skips NULLs as array_to_string does, and builds
    -- no list on the way.
    md5_number(CASE WHEN kind IN ('message', 'message_echo') OR
                         (kind = 'postback' AND rs_id(x.postback.mid) IS NOT NULL)
               THEN concat_ws(chr(31), page, kind, coalesce(x.message.mid, x.postback.mid))
               -- The item's own instant only: an entry's `time` is when the notification
               -- was sent, so a retried copy of an item without one (a delivery receipt) would
               -- get another key. https://developers.facebook.com/docs/graph-api/webhooks/getting-started
               -- A postback without mid is named by its title, not its payload: the payload
               -- goes only to the app that sent the button, so another app of the page logs
               -- the same tap (in standby[]) without it.
               -- https://developers.facebook.com/documentation/business-messaging/messenger-platform/webhooks/webhook-events/messaging_postbacks
               ELSE concat_ws(chr(31), page, who, kind,
                      CAST(epoch_ms(rs_ts(x.timestamp)) AS VARCHAR),
                      rf.ref, rf.source, rf.ad_id, rf.referer_uri, x.postback.title,
                      optin.type, optin.ref, optin.payload,
                      -- A stop or resume of marketing messages is no copy of the opt-in.
                      optin.notification_messages_status, rs_instant(x.delivery.watermark),
                      array_to_string(mids, ','), rs_instant(x.read.watermark),
                      reaction.mid, reaction.action, reaction.reaction,
                      pass_ctl.new_owner_app_id,
                      -- Which control: Meta's samples of a pass and a request name one app at
                      -- one instant, and a take has the shape of a pass (a pass's key is as it
                      -- was). https://developers.facebook.com/documentation/business-messaging/messenger-platform/webhooks/webhook-events/messaging_handovers
                      CASE WHEN x.take_thread_control IS NOT NULL THEN 'take_thread_control' END,
                      take_ctl.new_owner_app_id,
                      CASE WHEN x.request_thread_control IS NOT NULL
                           THEN 'request_thread_control' END,
                      request_ctl.requested_owner_app_id, CAST(x.app_roles AS VARCHAR))
           END) AS event_key,
    page AS page_id, who AS psid, who IS NOT NULL AND who_is_ref AS is_user_ref, t AS ts, kind,
    CASE kind
        WHEN 'message' THEN CASE WHEN rf IS NULL AND {_PLUGIN_TAG} THEN 'chat_plugin_tag'
                                 WHEN {_SHOPS_PRODUCT} THEN 'shops_product' END
        WHEN 'optin' THEN optin.type
        WHEN 'reaction' THEN reaction.action
        WHEN 'handover' THEN CASE WHEN x.pass_thread_control IS NOT NULL THEN 'pass_thread_control'
                                  WHEN x.take_thread_control IS NOT NULL THEN 'take_thread_control'
                                  WHEN x.request_thread_control IS NOT NULL
                                      THEN 'request_thread_control'
                                  ELSE 'app_roles' END
    END AS detail,
    is_standby,
    rs_ref({_TOUCH_SOURCE}) AS source,
    coalesce(rs_ref(rf.ref), rs_ref(optin.ref)) AS ref,
    rs_id(rs_ref(rf.ad_id)) AS ad_id,
    rs_ref(rf.ads_context_data.ad_title) AS ad_title,
    rs_ref(rf.referer_uri) AS referer_uri,
    rs_bool(rf.is_guest_user) AS is_guest_user,
    coalesce(x.message.mid, x.postback.mid, reaction.mid) AS mid,
    x.message.text AS text,
    length(x.message.text) AS text_length,
    list_transform(attachments, lambda a: a.type) AS attachment_types,
    quick_reply.payload AS quick_reply_payload,
    x.postback.payload AS postback_payload,
    x.message.app_id AS app_id,
    coalesce(rs_ts(x.delivery.watermark), rs_ts(x.read.watermark)) AS watermark_at,
    rs_ref(rf.ads_context_data.post_id) AS post_id,
    -- A private reply's echo carries the comment id when the page put it in Send API metadata:
    -- the bare id (Graph's <post>_<comment> digits) or a JSON object with a comment_id key
    -- (an empty one, spaces, an object or a list names no comment).
    CASE WHEN kind <> 'message_echo' THEN NULL
         WHEN regexp_full_match(x.message.metadata, '[0-9]+(_[0-9]+)+') THEN x.message.metadata
         WHEN json_valid(x.message.metadata)
              AND json_type(x.message.metadata, '$.comment_id') NOT IN ('OBJECT', 'ARRAY')
         THEN rs_ref(json_extract_string(x.message.metadata, '$.comment_id')) END AS comment_id,
    NULL::VARCHAR AS commenter_id,
    rid, file_id, line_no,
    {_ITEM_PROBLEM} AS problem,
    -- No entry id named the page: an echo's page is then a guess from its direction.
    page_hint IS NULL AS page_guessed,
    -- Dated by its entry's sending or its arrival: copies of it may carry different instants
    -- (load.py keeps the first).
    rs_ts(x.timestamp) IS NULL AS by_arrival,
    ei, ii, container, entry_gap,
    -- The product the referral named: a Shops product page's, else the ad's (its text, a
    -- number's digits; README "The SQL contract").
    coalesce(rs_id(rs_ref(rf.product.id)), rs_id(rs_ref(rf.ads_context_data.product_id)))
        AS product_id
FROM addressed
"""
HAS_STANDBY = """WHERE contains(raw, '"standby"')"""
HAS_CHANGES = """WHERE contains(raw, '"changes"')"""
_ENTRY_ITEM_ROWS = """{entry_rows}, item_rows AS (
    SELECT rid, file_id, line_no, received_ts, obj, e.id AS entry_id, e.time AS entry_time, ei,
           unnest(e.{container}) AS x, generate_subscripts(e.{container}, 1) AS ii,
           '{container}' AS container, '{container}' = 'standby' AS is_standby, entry_gap
    FROM entry_rows
)"""


def messaging_rows(transform: str, source: str) -> str:
    """The messaging items of source's lines (rid, file_id, line_no and what transform reads
    into a parsed line `d`): `chunk`'s raw text here; bench/ingest_parts.py reads a file."""
    return _ENTRY_ITEM_ROWS.format(
        entry_rows=ENTRY_ROWS.format(
            transform=transform, source=source, where="", gap=MESSAGING_GAP
        ),
        container="messaging",
    )


MESSAGING_ROWS = messaging_rows(parse_raw(MESSAGING_STRUCTURE), "chunk")
# Standby items are rare: their lines are found by a substring test before any parsing.
STANDBY_ROWS = _ENTRY_ITEM_ROWS.format(
    entry_rows=ENTRY_ROWS.format(
        transform=parse_raw(STANDBY_STRUCTURE),
        source="rs_rare",
        where=HAS_STANDBY,
        gap=list_gap("standby"),
    ),
    container="standby",
)
CHANGED_ROWS = """{entry_rows}, change_rows AS (
    SELECT rid, file_id, line_no, received_ts, obj, e.id AS entry_id, e.time AS entry_time, ei,
           unnest(e.changes) AS c, generate_subscripts(e.changes, 1) AS ii, entry_gap
    FROM entry_rows
), item_rows AS (
    SELECT rid, file_id, line_no, received_ts, obj, entry_id, entry_time, ei, c.value AS x, ii,
           'changes' AS container, c.field = 'standby' AS is_standby, entry_gap
    FROM change_rows WHERE c.field IN {fields}
)""".format(
    entry_rows=ENTRY_ROWS.format(
        transform=parse_raw(WRAPPED_CHANGES_STRUCTURE),
        source="rs_rare",
        where=HAS_CHANGES,
        gap=list_gap("changes"),
    ),
    fields=repr(MESSAGING_FIELDS),
)
_SAMPLE_PARSE = parse_raw(WRAPPED_STRUCTURE)
# A sample posted to refscope's receiver (the App Dashboard's test button) is logged inside its
# envelope, whose received_at then dates an item stamped with a placeholder ("TIMESTAMP").
SAMPLE_ROWS = f"""lines AS MATERIALIZED (
    SELECT rid, file_id, line_no, {_SAMPLE_PARSE} AS d FROM rs_rare
    WHERE contains(raw, '"field"')
), samples AS (
    SELECT rid, file_id, line_no,
           CASE WHEN d.body IS NOT NULL THEN d.body.field ELSE d.field END AS field,
           CASE WHEN d.body IS NOT NULL THEN d.body.value ELSE d.value END AS x,
           CASE WHEN d.body IS NOT NULL THEN rs_ts(d.received_at) END AS received_ts
    FROM lines
), item_rows AS (
    SELECT rid, file_id, line_no, received_ts, 'page' AS obj, NULL AS entry_id,
           NULL AS entry_time, NULL::BIGINT AS ei, x, NULL::BIGINT AS ii,
           'sample' AS container, field = 'standby' AS is_standby, false AS entry_gap
    FROM samples WHERE field IN {MESSAGING_FIELDS!r} AND x IS NOT NULL
)"""


def item_events(item_rows: str) -> str:
    """Event rows (with each item's problem, if any) of the items item_rows gives."""
    return _ITEM_EVENTS.replace("{item_rows}", item_rows)


ITEM_EVENTS = [item_events(r) for r in (MESSAGING_ROWS, STANDBY_ROWS, CHANGED_ROWS, SAMPLE_ROWS)]
