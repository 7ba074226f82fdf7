"""Comments and private replies → normalised event rows, in DuckDB SQL.

Page `feed` changes (a comment added, edited or removed), a Page field's sample from the App
Dashboard's test button, and the Send API log lines of private replies (and of other sends).
Built on webhook.py's parsing pieces; pure SQL over the batch's `rs_rare` lines, like it.
Payload facts: https://developers.facebook.com/docs/graph-api/webhooks/reference/page/
"""

from __future__ import annotations

from .shapes import (
    CHANGES_STRUCTURE,
    MESSAGING_FIELDS,
    RECIPIENT_STRUCTURE,
    RESPONSE_STRUCTURE,
    SAMPLE_CHANGE_STRUCTURE,
    SEND_STRUCTURE,
)
from .webhook import ENTRY_ROWS, HAS_CHANGES, list_gap, parse_raw

# Page feed changes (comments). created_time is in seconds; from.id is not a PSID.
_CHANGE_ROWS = f"""{
    ENTRY_ROWS.format(
        transform=parse_raw(CHANGES_STRUCTURE),
        source="rs_rare",
        where=HAS_CHANGES,
        gap=list_gap("changes"),
    )
}
, change_rows AS (
    SELECT rid, file_id, line_no, received_ts, obj, rs_id(e.id) AS page, e.time AS entry_time,
           ei,
           unnest(e.changes) AS c, generate_subscripts(e.changes, 1) AS ii, 'feed' AS container,
           entry_gap
    FROM entry_rows
)"""
# A Page field's sample from the App Dashboard's test button: one change, no entry. Its page
# is the prefix of its post id (<PAGE_ID>_<POST_ID>).
# https://developers.facebook.com/docs/graph-api/webhooks/reference/page/
_SAMPLE_CHANGE_ROWS = f"""lines AS MATERIALIZED (
    SELECT rid, file_id, line_no, {parse_raw(SAMPLE_CHANGE_STRUCTURE)} AS d FROM rs_rare
    WHERE contains(raw, '"field"')
), change_rows AS (
    SELECT rid, file_id, line_no,
           CASE WHEN d.body IS NOT NULL THEN rs_ts(d.received_at) END AS received_ts,
           'page' AS obj, c, NULL AS entry_time, NULL::BIGINT AS ei, NULL::BIGINT AS ii,
           rs_id(regexp_extract(c.value.post_id, '^([0-9]+)_', 1)) AS page,
           'feed_sample' AS container, false AS entry_gap
    FROM (SELECT *, CASE WHEN d.body IS NOT NULL THEN d.body
                         ELSE {{'field': d.field, 'value': d.value}} END AS c FROM lines)
    WHERE c.field IS NOT NULL AND c.field NOT IN {MESSAGING_FIELDS!r}
)"""
_CHANGE_EVENTS = f"""
WITH {{change_rows}}, typed AS (
    SELECT *,
        coalesce(rs_ts(c.value.created_time), rs_ts(entry_time), received_ts) AS t,
        CASE WHEN c.field = 'feed' AND c.value.item = 'comment' THEN 'comment' ELSE 'other' END
            AS kind
    FROM change_rows
    WHERE c.field IS NULL OR c.field NOT IN {MESSAGING_FIELDS!r}
)
SELECT
    -- A comment is named by its comment_id; a reaction, a like or a share has no id of its
    -- own, and who made it tells two on one post in one second apart (rs_key skips the NULL:
    -- the keys of comments and of changes with no `from` are as before).
    -- Its own instant only: an entry's `time` is when Meta sent the notification, another for
    -- each retry (the copies dated so keep the earliest, by_arrival).
    rs_key([page, kind, c.field, c.value.item, c.value.verb, c.value.comment_id, c.value.post_id,
            CAST(epoch_ms(rs_ts(c.value.created_time)) AS VARCHAR),
            md5(coalesce(c.value.message, '')),
            CASE WHEN kind <> 'comment' THEN rs_id(c.value."from".id) END]) AS event_key,
    page AS page_id, NULL::VARCHAR AS psid, false AS is_user_ref, t AS ts, kind,
    CASE WHEN kind = 'comment' THEN c.value.verb
         ELSE coalesce(c.field, '?') || coalesce('.' || c.value.item, '') END AS detail,
    false AS is_standby, NULL AS source, NULL AS ref, NULL AS ad_id, NULL AS ad_title,
    NULL AS referer_uri, NULL::BOOLEAN AS is_guest_user, NULL AS mid,
    c.value.message AS text, length(c.value.message) AS text_length,
    NULL::VARCHAR[] AS attachment_types, NULL AS quick_reply_payload,
    NULL AS postback_payload, NULL AS app_id, NULL::TIMESTAMP AS watermark_at,
    c.value.post_id AS post_id, c.value.comment_id AS comment_id,
    rs_id(c.value."from".id) AS commenter_id,
    rid, file_id, line_no,
    rs_ts(c.value.created_time) IS NULL AS by_arrival,
    CASE WHEN obj <> 'page' THEN 'unsupported object'
         WHEN c IS NULL OR c.field IS NULL THEN 'change without field'
         WHEN page IS NULL THEN 'no page id'
         -- Every feed change names its item (comment, status, reaction…); other Page fields
         -- may carry a bare value (a new name).
         WHEN c.field = 'feed' AND c.value.item IS NULL THEN 'feed change without item'
         WHEN t IS NULL THEN 'no valid timestamp'
         WHEN kind = 'comment' AND c.value.comment_id IS NULL THEN 'comment without comment_id'
    END AS problem,
    ei, ii, container, entry_gap
FROM typed
"""
CHANGE_EVENTS = _CHANGE_EVENTS.replace("{change_rows}", _CHANGE_ROWS)
SAMPLE_CHANGE_EVENTS = _CHANGE_EVENTS.replace("{change_rows}", _SAMPLE_CHANGE_ROWS)


# Send API log lines: a private reply the page sent to a comment (or visitor post). A team that
# logs every send writes its other sends the same way: each is kept as an event of kind `other`
# (detail `send_api`), the page's own message, which opens no contact and is no touch.
# https://developers.facebook.com/docs/messenger-platform/discovery/private-replies/
# https://developers.facebook.com/docs/messenger-platform/reference/send-api
def send_of(raw: str) -> str:
    """SQL for the send of the line whose text is raw, as the page's own code wrote it or
    inside a receiver envelope (NULL when the line is no JSON): the one reading of a send line,
    here and in forgotten_sends. Its request is JSON, for recipient_in to read."""
    body = f"CASE WHEN json_type({raw}, '$.body') = 'OBJECT' THEN {raw}->'$.body' ELSE {raw} END"
    return f"CASE WHEN json_valid({raw}) THEN json_transform({body}, '{SEND_STRUCTURE}') END"


def _object_in(value: str) -> str:
    """SQL for value, JSON: a string holding a JSON object read as that object; any other value
    (another string too) as it is."""
    text = f"({value} ->> '$')"
    return (
        f"CASE WHEN json_type({value}) = 'VARCHAR' AND json_valid({text})"
        f" AND json_type({text}) = 'OBJECT' THEN json({text}) ELSE {value} END"
    )


def recipient_in(request: str) -> str:
    """SQL for the recipient of a send, as JSON, request its send_of's request (a column, read
    more than once). A team that logs the request as its code POSTed it may write the whole
    body as one JSON string (`"request": "{\\"recipient\\": {...}, ...}"`): a string holding a
    JSON object is read as that object; any other string holds no recipient."""
    return f"({_object_in(request)}) -> '$.recipient'"


def recipient_of(rcp: str) -> str:
    """SQL for the recipient of a send, rcp its recipient_in: a column, as it is read more than
    once (the line's body is parsed once, by send_of).

    The Send API also takes its parameters form-encoded, `recipient` a JSON string
    (`-F 'recipient={"comment_id":"..."}'`), and a log of the request as sent holds it so: a
    string holding a JSON object is read as that object; any other string stays no recipient.
    """
    return f"json_transform({_object_in(rcp)}, '{RECIPIENT_STRUCTURE}')"


def response_of(response: str) -> str:
    """SQL for the Send API's answer of a send, response its send_of's response (JSON). A team
    that logs the HTTP body as it came (`r.text`) writes it as one JSON string: a string holding
    a JSON object is read as that object; any other string holds no recipient_id."""
    return f"json_transform({_object_in(response)}, '{RESPONSE_STRUCTURE}')"


# rs_lines is MATERIALIZED: else the last WHERE (d.object) is pushed down into the scan of
# rs_rare as send_of's whole expression, and every send line is parsed twice.
SEND_EVENTS = f"""
WITH rs_lines AS MATERIALIZED (
    SELECT rid, file_id, line_no, {send_of("raw")} AS d,
           -- Inside an envelope, a line without a timestamp of its own is dated by its arrival.
           CASE WHEN NOT json_valid(raw) THEN NULL
                WHEN json_type(raw, '$.body') = 'OBJECT'
                THEN rs_ts(json_extract_string(raw, '$.received_at')) END AS received_ts
    FROM rs_rare
    WHERE contains(raw, '"send_api"')
), rs_sends AS (
    SELECT *, coalesce(rs_ts(d.timestamp), received_ts) AS t,
           rcp.comment_id IS NOT NULL OR rcp.post_id IS NOT NULL AS private,
           -- Who another send went to: the PSID the response names, else the request's.
           coalesce(rs_id(rsp.recipient_id), rs_id(rcp.id)) AS to_psid
    FROM (SELECT *, {recipient_of("rq")} AS rcp, {response_of("d.response")} AS rsp
          FROM (SELECT *, {recipient_in("d.request")} AS rq FROM rs_lines))
)
SELECT
    -- The sent message's id names it (a line logged twice, dated by two arrivals, is one
    -- send); without one, what it answered (or whom it went to) and when.
    rs_key(CASE WHEN NOT private
                THEN [rs_id(d.page_id), 'send_api', coalesce(rs_id(rsp.message_id),
                      CAST(epoch_ms(t) AS VARCHAR)), to_psid, rs_id(rcp.user_ref),
                      rcp.phone_number, rcp.notification_messages_token,
                      rcp.one_time_notif_token]
                WHEN rs_id(rsp.message_id) IS NOT NULL
                THEN [rs_id(d.page_id), 'private_reply', rsp.message_id]
                ELSE [rs_id(d.page_id), 'private_reply',
                      coalesce(rcp.comment_id, rcp.post_id),
                      CAST(epoch_ms(t) AS VARCHAR)] END) AS event_key,
    rs_id(d.page_id) AS page_id,
    CASE WHEN private THEN rs_id(rsp.recipient_id)
         ELSE coalesce(to_psid, rs_id(rcp.user_ref)) END AS psid,
    NOT private AND to_psid IS NULL AND rs_id(rcp.user_ref) IS NOT NULL AS is_user_ref,
    t AS ts, CASE WHEN private THEN 'private_reply' ELSE 'other' END AS kind,
    CASE WHEN NOT private THEN 'send_api'
         WHEN rsp.recipient_id IS NULL THEN 'no recipient_id' END AS detail,
    false AS is_standby, NULL AS source, NULL AS ref, NULL AS ad_id, NULL AS ad_title,
    NULL AS referer_uri, NULL::BOOLEAN AS is_guest_user, rsp.message_id AS mid,
    NULL AS text, NULL::VARCHAR[] AS attachment_types, NULL AS quick_reply_payload,
    NULL AS postback_payload, NULL AS app_id, NULL::TIMESTAMP AS watermark_at,
    rcp.post_id AS post_id, rcp.comment_id AS comment_id,
    NULL AS commenter_id,
    rid, file_id, line_no,
    CASE WHEN rs_id(d.page_id) IS NULL THEN 'send log without page_id'
         WHEN t IS NULL THEN 'no valid timestamp'
         WHEN NOT private AND to_psid IS NULL AND rs_id(rcp.user_ref) IS NULL
              AND rcp.phone_number IS NULL AND rcp.notification_messages_token IS NULL
              AND rcp.one_time_notif_token IS NULL
             THEN 'send log without recipient'
    END AS problem,
    rs_ts(d.timestamp) IS NULL AS by_arrival,
    NULL::BIGINT AS ei, NULL::BIGINT AS ii, 'send_api' AS container
FROM rs_sends
WHERE d.object = 'send_api'
"""
