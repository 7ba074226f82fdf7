"""Channel rules: which touch acquired each contact, and which later touches are re-entries.

The rule (README "Attribution"): a contact is (page_id, psid or user_ref), created by the user's
own first action. Its channel is that of its earliest touch at or before the moment its
conversation opened (its first message or postback): a postback/message/top-level referral,
an optin ref, or a private reply the page sent it. With none, it is `organic`. Every other
referral from its first action on is a re-entry, even one before its first message, but for a
message repeating the referral of the touch just before it (one click reported twice). Only
contacts touched by a run are recomputed, from all their events (and what a prune kept of
them, history.py), so the result does not depend on the order in which logs arrive.
"""

from __future__ import annotations

import duckdb

from .link_rules import same_username_sql, username_key_sql, username_unknown_sql
from .page_urls import page_of_sql
from .shapes import SHORTLINK_SOURCES
from .tallies import ECHOES_READ, WITH_HISTORY, base_sql, second_message_apart
from .tallies import USER_KINDS as USER_KINDS  # read as attribute.USER_KINDS too

# The channel vocabulary of the public contract (README "Attribution"), in display order.
CHANNELS = (
    "m_me_link",
    "qr_code",
    "chat_widget",
    "comment_reply",
    "ctm_ad",
    "organic",
    "other",
)
REENTRY_VIAS = ("referral", "postback", "message", "optin")
# What a contact keeps of the touch that acquired it (besides its channel and instant).
TOUCH_COLUMNS = ("ref", "source", "ad_id", "ad_title", "referer_uri", "is_guest_user",
                 "post_id", "comment_id")  # fmt: skip
# Kept too, as the tables' last column (added later): not among what orders a tie (same_instant),
# so that the touch a tie picks is as it was.
PRODUCT = "product_id"

CHANNEL_MACRO = f"""
CREATE OR REPLACE TEMP MACRO rs_channel(kind, detail, source, ref, ad_id, comment_id, psid,
                                         is_qr) AS (
    CASE
        WHEN kind = 'private_reply' AND psid IS NOT NULL THEN 'comment_reply'
        WHEN kind = 'message_echo' AND comment_id IS NOT NULL THEN 'comment_reply'
        WHEN kind NOT IN ('message', 'postback', 'referral', 'optin') THEN NULL
        WHEN detail = 'shops_product' THEN 'other'
        -- A message the chat plugin tagged: its trace with no source of its own.
        WHEN detail = 'chat_plugin_tag' THEN 'chat_widget'
        WHEN ad_id IS NOT NULL OR upper(source) = 'ADS' THEN 'ctm_ad'
        WHEN upper(source) IN {SHORTLINK_SOURCES!r}
            THEN CASE WHEN is_qr THEN 'qr_code' ELSE 'm_me_link' END
        WHEN upper(source) = 'MESSENGER_CODE' THEN 'qr_code'
        WHEN upper(source) = 'CUSTOMER_CHAT_PLUGIN' THEN 'chat_widget'
        WHEN source IS NOT NULL THEN 'other'
        -- A ref with no source to name its entry point by: a referral still, not organic
        -- (the Send to Messenger and checkbox plugins' optins are sent so).
        WHEN ref IS NOT NULL THEN 'other'
    END
);
"""

# Refs registered as QR codes, by page id. A link registered by username finds its page through
# `pages`; when that is unknown, the ref alone decides if only one page registered it (on
# pages whose username is unknown: IS_QR).
QR_REFS = f"""
CREATE OR REPLACE TEMP TABLE rs_qr AS
WITH resolved AS (
    SELECT t.ref, t.page, t.channel,
           coalesce(p.page_id, CASE WHEN regexp_full_match(t.page, '[0-9]+') THEN t.page END)
               AS page_id
    FROM tracked_links t
    LEFT JOIN pages p ON {same_username_sql("p.username", "t.page")}
), solo AS (
    SELECT ref FROM tracked_links GROUP BY ref
    HAVING count(DISTINCT {username_key_sql("page")}) = 1
)
SELECT DISTINCT ref, page_id FROM resolved
WHERE channel = 'qr_code'
  AND (page_id IS NOT NULL OR ref IN (SELECT ref FROM solo))
"""

# Uncorrelated IN lists: a correlated EXISTS here costs a join per chunk row. The ref alone
# stands for an unmapped username's page only on a page whose username `pages` does not know.
IS_QR = f"""({{t}}.ref IS NOT NULL AND (
    {{t}}.page_id || chr(31) || {{t}}.ref IN (
        SELECT page_id || chr(31) || ref FROM rs_qr WHERE page_id IS NOT NULL)
    OR ({{t}}.ref IN (SELECT ref FROM rs_qr WHERE page_id IS NULL)
        AND {username_unknown_sql("{t}.page_id")})))"""


# The last touch a prune removed; an older refscope's prune kept none: then, with no re-entry
# among the removed touches, the acquisition's (the others were messages repeating it, which a
# message after them cannot repeat, or the page's private replies: README "Retention").
REMOVED_TOUCH = """coalesce(h.last_touch, CASE WHEN h.acquired AND h.reentry_count = 0
    AND h.first_touch_at IS NOT NULL THEN struct_pack(ts := h.first_touch_at,
        channel := h.channel, ad_id := h.ad_id, ref := h.ref, source := h.source) END)"""


# Touches of one contact at one instant (Meta dates some items in seconds) are told apart by
# what they say, never first by their key: a salted database stores it as a keyed hash, which
# would pick another touch than an unsalted one for the same logs (README "Attribution"). By
# kind, then channel (the README's order), then a hash of what the touch says (what a contact
# keeps of its acquisition, and the message id); the key last, between touches that say the same.
# Hashes, not the texts themselves: eight texts more in min()'s state over every touch ran out
# of the default memory in bench/attribution.py (3M events, one in 25 an ad's message).
TIE_KINDS = ("postback", "referral", "optin", "message", "private_reply", "message_echo")


def same_instant(t: str, via: str = "via") -> str:
    """The struct fields that order touches of one instant (via: t's kind column): an arbitrary
    order past the kind and channel, but the same in every database and run."""
    return (
        f"kind := list_position({list(TIE_KINDS)!r}, {t}.{via}), "
        f"chan := list_position({list(CHANNELS)!r}, {t}.channel), "
        + "says := hash("
        # The page of referer_uri, as a salted database stores it (page_urls), in every one.
        + ", ".join(
            page_of_sql(f"{t}.{c}") if c == "referer_uri" else f"{t}.{c}"
            for c in (*TOUCH_COLUMNS, "mid")
        )
        + "), "
        + f"k := {t}.event_key"
    )


def order_of(t: str, via: str = "via") -> str:
    """A touch's place among its contact's (via: t's kind column): by instant, then the page's
    private reply, the user's referral, the message repeating it, then same_instant."""
    return (
        f"struct_pack({t}.ts, own := {t}.{via} NOT IN ('private_reply', 'message_echo'), "
        f"msg := {t}.{via} = 'message', {same_instant(t, via)})"
    )


# Touches of affected contacts, with the acquiring one chosen: earliest at or before the opening;
# at the same instant a referral beats a private reply (it is the user's own act). A message
# the chat plugin tagged counts only as the last resort for the first touch, never as a re-entry.
_TOUCHES = f"""
INSERT INTO touches
WITH twins AS (
    -- A private reply is logged twice when both the send log and its echo exist: keep one.
    -- Keyed on what it replied to (a comment, or a visitor post: no comment_id), among private
    -- replies only: other touches have no comment_id either, and must not hide one.
    SELECT e.event_key FROM events e
    WHERE e.channel = 'comment_reply' AND e.psid IS NOT NULL AND {{scope}}
    -- At one instant the send log's (what the page sent) stays, not by the keys' order.
    QUALIFY row_number() OVER (
        PARTITION BY e.page_id, e.psid, coalesce(e.comment_id, e.post_id)
        ORDER BY e.ts, e.kind <> 'private_reply', e.post_id, e.mid, e.event_key) > 1
), cand AS (
    SELECT e.event_key, e.page_id, e.psid, e.ts, e.kind AS via, e.channel, e.ref, e.source,
           e.ad_id, e.ad_title, e.referer_uri, e.is_guest_user, e.post_id, e.comment_id, e.mid,
           e.product_id,
           e.kind = 'message' AND e.detail IS NOT DISTINCT FROM 'chat_plugin_tag' AS tag_only
    FROM events e
    WHERE e.channel IS NOT NULL AND e.psid IS NOT NULL AND {{scope}}
      AND e.event_key NOT IN (SELECT event_key FROM twins)
), placed AS (
    -- Prune may have removed the first touch (kept in h) and one a message repeats (history.py)
    SELECT c.*, b.opened_at, b.first_seen_at, {REMOVED_TOUCH} AS removed_touch,
           greatest(mb.message_before, h.last_message_at) AS message_before,
        CASE WHEN h.page_id IS NULL OR NOT h.acquired
             THEN c.ts <= b.opened_at
                  -- or the first message's own touch after a postback (_MESSAGE_FIRST)
                  OR coalesce(c.via = 'message' AND c.ts = f.first_message_at, false)
             ELSE coalesce(c.ts = h.first_touch_at AND c.channel = h.channel, false)
        END AS may_be_first
    FROM cand c LEFT JOIN rs_base b USING (page_id, psid)
    LEFT JOIN rs_message_first f USING (page_id, psid)
    LEFT JOIN contact_history h USING (page_id, psid)
    LEFT JOIN rs_message_before mb USING (event_key)
), firsts AS (
    -- An aggregate and a join, not windows: a window over every touch ran out of the default
    -- memory on two threads in a first run of 3.8M contacts (one in 25 events an ad's message).
    SELECT min(struct_pack(tag_only, ts, reply := via IN ('private_reply', 'message_echo'),
                           msg := via = 'message', {same_instant("p")})).k AS event_key
    FROM placed p WHERE may_be_first
    GROUP BY page_id, psid
), prevs AS (
    -- The touch just before each message carrying a referral (few of all touches), tagged
    -- messages left out, looked for in the 24 hours a repeat falls in. At one instant the
    -- page's private reply comes before the user's own touch, and a referral (a Get Started's,
    -- a top-level one) before the message repeating it: one click reported twice in one second
    -- (Meta dates some items in seconds) is one entry, whichever way the items' keys order.
    SELECT m.event_key,
           arg_max(struct_pack(ts := t.ts, channel := t.channel, ad_id := t.ad_id,
                               ref := t.ref, source := t.source), {order_of("t")}) AS prev
    FROM placed m JOIN placed t ON t.page_id = m.page_id AND t.psid = m.psid
    WHERE m.via = 'message' AND (m.ad_id IS NOT NULL OR m.ref IS NOT NULL) AND NOT m.tag_only
      AND NOT t.tag_only AND t.ts >= m.ts - INTERVAL 24 HOUR
      AND {order_of("t")} < {order_of("m")}
    GROUP BY m.event_key
), ranked AS (
    SELECT p.*, p.may_be_first AND p.event_key IN (SELECT event_key FROM firsts) AS first,
           coalesce(v.prev, p.removed_touch) AS prev
    FROM placed p LEFT JOIN prevs v USING (event_key)
), judged AS (
    -- A message carrying the ad id or ref of the contact's touch just before it, within the
    -- 24 hours that touch opened, is that same entry: the ad's first message after a Get
    -- Started or a re-entry referral of the same click, not another visit. Only the first
    -- message since that touch: Meta puts an ad's referral on the first message after a click
    -- only, so a later one (or one after a message that carried the touch) is another click.
    -- https://developers.facebook.com/documentation/business-messaging/messenger-platform/webhooks/webhook-events/messages
    SELECT *,
        via = 'message' AND (ad_id IS NOT NULL OR ref IS NOT NULL)
            AND coalesce(prev.ts >= ts - INTERVAL 24 HOUR AND prev.channel = channel
                         AND prev.ad_id IS NOT DISTINCT FROM ad_id
                         AND prev.ref IS NOT DISTINCT FROM ref
                         AND (message_before IS NULL OR message_before < prev.ts), false)
            AS repeats
    FROM ranked
)
SELECT event_key, page_id, psid, ts, via, channel, ref, source, ad_id, ad_title, referer_uri,
       is_guest_user, post_id, comment_id,
       coalesce(first, false) AS is_first,
       coalesce(NOT first AND NOT repeats AND via IN {REENTRY_VIAS!r} AND ts >= first_seen_at,
                false) AS is_reentry, product_id
FROM judged
WHERE NOT tag_only OR coalesce(first, false)
"""

# A postback without referral opened the conversation (an ice breaker, whose referral Meta may
# not send; a Get Started that lost it): the first message's own touch (an ad's
# message.referral, the chat plugin's tag) in the 24 hours after still says where the contact
# came from. Those few contacts, with that instant: a table of their own keeps rs_base's join in
# _TOUCHES as small as it was (3.8M contacts of a first run fit the default memory).
_MESSAGE_FIRST = """
CREATE OR REPLACE TEMP TABLE rs_message_first AS
SELECT b.page_id, b.psid, b.first_message_at
FROM rs_base b
WHERE b.first_message_at > b.opened_at AND b.first_message_at <= b.opened_at + INTERVAL 24 HOUR
  AND EXISTS (SELECT 1 FROM events e
              WHERE e.kind = 'message' AND e.channel IS NOT NULL AND e.page_id = b.page_id
                AND e.psid = b.psid AND e.ts = b.first_message_at)
"""

# Each message that carries a referral (it may repeat the touch before it), with the instant of
# the contact's message before it: a message since that touch makes it another visit. Those
# messages are few; the other messages are only probed.
_MESSAGE_BEFORE = """
CREATE OR REPLACE TEMP TABLE rs_message_before AS
SELECT e.event_key, (SELECT max(m.ts) FROM events m
                     WHERE m.kind = 'message' AND m.page_id = e.page_id AND m.psid = e.psid
                       AND m.ts < e.ts) AS message_before
FROM events e
WHERE e.kind = 'message' AND e.channel IS NOT NULL AND e.psid IS NOT NULL
  AND (e.ad_id IS NOT NULL OR e.ref IS NOT NULL) AND {scope}
"""


def _touch_said(column: str) -> str:
    """What the contact keeps of its acquiring touch t: the ad's title, post and product, when
    t lacks them, as the message repeating its click (rp) names them."""
    if column in ("ad_title", "post_id", PRODUCT):
        return f"coalesce(t.{column}, rp.{column})"
    return f"t.{column}"


def _acquired(column: str) -> str:
    """A contact's column of its acquisition: its touch's, or as a prune kept it when final."""
    live = _touch_said(column)
    return f"CASE WHEN h.page_id IS NULL OR NOT h.acquired THEN {live} ELSE h.{column} END"


# Each contact with its acquiring touch (at most one is_first per contact) and its count of
# re-entries, aggregated over the few re-entry touches only.
_CONTACTS = """
INSERT INTO contacts
WITH r AS (
    SELECT page_id, psid, count(*) AS reentries
    FROM touches e WHERE is_reentry AND {scope}
    GROUP BY page_id, psid
), rp AS (
    -- The message repeating the acquiring click names what its touch may not: Meta's
    -- postback.referral (Get Started from an ad) has no ads_context_data, the ad's first
    -- message after it has (README "Attribution": one click reported twice).
    SELECT e.page_id, e.psid, min(m.ad_title) AS ad_title, min(m.post_id) AS post_id,
           min(m.product_id) AS product_id
    FROM touches e JOIN touches m ON m.page_id = e.page_id AND m.psid = e.psid
    WHERE e.is_first AND e.ad_id IS NOT NULL
      AND (e.ad_title IS NULL OR e.post_id IS NULL OR e.product_id IS NULL)
      AND {scope} AND m.via = 'message' AND NOT m.is_first AND NOT m.is_reentry
      AND m.ad_id = e.ad_id AND m.ref IS NOT DISTINCT FROM e.ref
      AND m.ts BETWEEN e.ts AND e.ts + INTERVAL 24 HOUR
    GROUP BY ALL
)
SELECT b.page_id, b.psid, b.is_user_ref, b.first_seen_at,
       CASE WHEN h.page_id IS NULL OR NOT h.acquired THEN coalesce(t.channel, 'organic')
            ELSE h.channel END,
       {acquisition}, b.first_message_at, b.second_message_at,
       b.last_message_at, b.message_count, b.postback_count,
       coalesce(r.reentries, 0) + coalesce(h.reentry_count, 0),
       b.last_seen_at, b.page_message_count, b.last_read_at,
       coalesce(rd.echoes_read, 0)
       -- The removed echoes: those read before the prune, and those the newest read reaches.
       + coalesce(h.page_messages_read, 0)
       + coalesce(len(list_filter(h.unread_echo_times, lambda x: x <= b.last_read_at)), 0),
       {product}
FROM rs_base b
LEFT JOIN touches t ON t.page_id = b.page_id AND t.psid = b.psid AND t.is_first
LEFT JOIN r ON r.page_id = b.page_id AND r.psid = b.psid
LEFT JOIN rp ON rp.page_id = b.page_id AND rp.psid = b.psid
LEFT JOIN rs_read rd ON rd.page_id = b.page_id AND rd.psid = b.psid
LEFT JOIN contact_history h ON h.page_id = b.page_id AND h.psid = b.psid
WHERE b.first_seen_at IS NOT NULL
""".replace(
    "{acquisition}",
    ", ".join(_acquired(c) for c in TOUCH_COLUMNS)
    + ", CASE WHEN h.page_id IS NULL OR NOT h.acquired THEN t.ts ELSE h.first_touch_at END",
).replace("{product}", _acquired(PRODUCT))

# Only the affected contacts' rows; left out when every contact with events is affected.
SCOPE = """EXISTS (
    SELECT 1 FROM rs_affected a WHERE a.page_id = e.page_id AND a.psid = e.psid)"""


_CONTACT_DAYS = """
INSERT INTO contact_days
SELECT page_id, psid, CAST(ts AS DATE) AS day, count(*) AS messages
FROM events e
WHERE kind = 'message' AND psid IS NOT NULL AND {scope}
GROUP BY ALL
"""


def install_macros(con: duckdb.DuckDBPyConnection) -> None:
    con.execute(CHANNEL_MACRO)


def refresh_qr_refs(con: duckdb.DuckDBPyConnection) -> None:
    con.execute(QR_REFS)


# The channels of the earlier contacts about to be recomputed (a late referral or private reply
# may change one), and after attribute() those it changed, as "was → now" and how many.
_WAS = "CREATE OR REPLACE TEMP TABLE rs_was AS SELECT c.page_id, c.psid, c.channel FROM contacts c "
CHANNEL_CHANGES = """SELECT w.channel || ' → ' || c.channel, count(*)
FROM rs_was w JOIN contacts c USING (page_id, psid)
WHERE c.channel IS DISTINCT FROM w.channel GROUP BY ALL"""


def attribute(con: duckdb.DuckDBPyConnection, *, everyone: bool = False) -> int:
    """Recompute touches and contacts of `rs_affected`; list the new contacts in `rs_new`, and
    the earlier ones' channels before in `rs_was` (CHANNEL_CHANGES).

    everyone: every contact with events is affected (all events belong to this run), so all
    derived rows are rebuilt and `rs_affected` is neither needed nor read.
    """
    scope = "true" if everyone else SCOPE
    con.execute(base_sql(scope))
    second_message_apart(con, scope)
    if con.execute("SELECT EXISTS (SELECT 1 FROM contact_history)").fetchone() == (True,):
        con.execute(WITH_HISTORY)
    # rs_base holds the scope's contacts only: the join keeps their events, no other's.
    con.execute(ECHOES_READ)
    con.execute(
        """CREATE OR REPLACE TEMP TABLE rs_new AS
           SELECT page_id, psid FROM rs_base b WHERE first_seen_at IS NOT NULL AND NOT EXISTS (
               SELECT 1 FROM contacts c WHERE c.page_id = b.page_id AND c.psid = b.psid)"""
    )
    (new,) = con.execute("SELECT count(*) FROM rs_new").fetchone() or (0,)
    con.execute(_WAS + ("WHERE false" if everyone else "JOIN rs_affected USING (page_id, psid)"))
    for table in ("touches", "contacts", "contact_days"):
        con.execute(
            f"DELETE FROM {table}"
            if everyone
            else f"DELETE FROM {table} t USING rs_affected a "
            "WHERE t.page_id = a.page_id AND t.psid = a.psid"
        )
    con.execute(_MESSAGE_FIRST)
    con.execute(_MESSAGE_BEFORE.replace("{scope}", scope))
    con.execute(_TOUCHES.replace("{scope}", scope))
    con.execute(_CONTACTS.replace("{scope}", scope))
    con.execute(_CONTACT_DAYS.replace("{scope}", scope))
    return int(new)
