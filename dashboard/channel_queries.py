"""The questions of the per-channel pages (Links & QR, Ads, Website chat, Comments) and of the
products contacts came through (Overview): one function each, bound parameters only, asked
through queries.py like every other question.

Each function takes a DuckDB connection and the global Filters and returns a pandas DataFrame
whose columns are listed in its docstring; no Streamlit, no Plotly here.
"""

from __future__ import annotations

import duckdb
import pandas as pd

from dashboard.filters import Filters
from dashboard.query_parts import AD_NAMED as _AD_NAMED
from dashboard.query_parts import CAME_BACK as _CAME_BACK
from dashboard.query_parts import CHANNEL_CHOSEN as _CHANNEL_CHOSEN
from dashboard.query_parts import CONTACTS_TO_DATE as _CONTACTS_TO_DATE
from dashboard.query_parts import ELAPSED as _ELAPSED
from dashboard.query_parts import FIRST_DAY as _FIRST_DAY
from dashboard.query_parts import IN_RANGE as _IN_RANGE
from dashboard.query_parts import MIN_SAMPLE
from dashboard.query_parts import PAGES as _PAGES
from dashboard.query_parts import SPEND_PULLED as _SPEND_PULLED
from dashboard.query_parts import frame as _df
from dashboard.query_parts import per_channel as _per_channel
from dashboard.query_parts import with_today as _with_today
from ingest.link_rules import same_username_sql, username_key_sql, username_unknown_sql

# The ref alone finds an unmapped username's link only on a page whose username is unknown.
_UNNAMED = username_unknown_sql("s.page_id")


# What the Links page's 7-day return counts: its column's help, the README's words (see refs).
RETURN_7D = (
    "Among the ref's new contacts whose 7 days had passed when the data ends, the share who "
    "messaged again within 7 days, as Retention counts it (its D7): one acquired less than 7 "
    "days before is not yet one who did not come back."
)


def refs(con: duckdb.DuckDBPyConnection, f: Filters) -> pd.DataFrame:
    """Per ref of m.me links and QR codes. Columns: page_id, ref, channel (of the contacts it
    acquired in the range, the latest one's when they differ; without one, of its latest touch
    in the range), new_contacts,
    reentries (under a channel filter, like its contacts, those through the chosen channels
    alone, each by its own channel, as Contacts lists them), engaged, engaged_rate, ci_low,
    ci_high (95% Wilson interval), too_few,
    return_7d_rate (RETURN_7D), first_seen, last_seen (of its touches in the range; without
    one, of those that acquired its contacts of the range), registered, campaign, placement,
    clicks, scans (clicks through QR codes, from the receiver's /r/<ref> log; a bot's are left
    out; one logged unchecked, its page spelt otherwise, counted for its link; under a channel
    filter only those of links registered as a chosen channel),
    contacts_per_click, notes (the registered link's free text, whole). A ref that
    acquired contacts of the range is a row also when its touch came after the range's end
    (their first action, a reaction or an optin, was in it). A registered link clicked in the
    range that brought no touch there is a row too, with no contacts."""
    return _df(
        con,
        f"""WITH acquired AS (
                -- A ref's contacts may differ in channel (a legacy MESSENGER_CODE's and a
                -- SHORTLINK's): the latest acquired one's, ties by name, not any_value's pick.
                SELECT c.page_id, c.ref,
                       arg_max(c.channel, struct_pack(ts := c.first_touch_at, ch := c.channel))
                           AS channel,
                       count(*) AS new_contacts, count(c.second_message_at) AS engaged,
                       -- Among those whose 7 days had passed when the data ends, as Retention.
                       count(*) FILTER (WHERE {_ELAPSED.format(days=7)}) AS past_7d,
                       count(*) FILTER (
                           WHERE {_ELAPSED.format(days=7)} AND {_CAME_BACK.format(days=7)}
                       ) AS returned_7d,
                       min(c.first_touch_at) AS first_touch, max(c.first_touch_at) AS last_touch
                FROM {_CONTACTS_TO_DATE} c
                WHERE {_IN_RANGE} AND c.channel IN ('m_me_link', 'qr_code') AND c.ref IS NOT NULL
                GROUP BY ALL
            ), seen AS (
                SELECT t.page_id, t.ref,
                       arg_max(t.channel, struct_pack(ts := t.ts, ch := t.channel)) AS channel,
                       count(*) FILTER (WHERE t.is_reentry) AS reentries,
                       min(t.ts) AS first_seen, max(t.ts) AS last_seen
                FROM touches t
                WHERE t.channel IN ('m_me_link', 'qr_code') AND t.ref IS NOT NULL
                  AND t.ts >= $start AND t.ts < $end + INTERVAL 1 DAY AND {_PAGES.format(t="t")}
                  -- Each touch by its own channel, as its contacts (IN_RANGE), the channel
                  -- totals and the Contacts page's re-entries: a ref's link re-entries count
                  -- under "m.me link" though its latest touch was a QR code's.
                  AND (len($channels) = 0 OR list_contains($channels, t.channel))
                GROUP BY ALL
            ), keyed AS (
                -- The refs touched in the range and those that acquired its contacts: a contact
                -- first seen in the range (a reaction, an optin) whose link touch came after
                -- its end is the ref's new contact, as Overview and Contacts count it.
                SELECT page_id, ref, coalesce(a.channel, s.channel) AS channel,
                       coalesce(s.reentries, 0) AS reentries,
                       -- Seen in the range; else (no touch in it) at the touches behind it.
                       coalesce(s.first_seen, a.first_touch) AS first_seen,
                       coalesce(s.last_seen, a.last_touch) AS last_seen
                FROM seen s FULL JOIN acquired a USING (page_id, ref)
            ), links AS (
                -- A link made for a username finds its page id through `pages`; unmapped, by
                -- its ref alone when no other page registered that ref (as attribution does).
                SELECT l.ref, l.page, l.channel, l.campaign, l.placement, l.notes,
                       coalesce(p.page_id, CASE WHEN regexp_full_match(l.page, '[0-9]+')
                                                THEN l.page END) AS page_id,
                       count(DISTINCT {username_key_sql("l.page")}) OVER (PARTITION BY l.ref)
                           = 1 AS solo
                FROM tracked_links l LEFT JOIN pages p
                  ON {same_username_sql("p.username", "l.page")}
            ), logged AS (
                -- A bot's GET (a link preview, a crawler) is logged, but is nobody's click.
                SELECT k.ref, k.page, count(*) AS clicks, count(*) FILTER (WHERE k.qr) AS scans
                FROM clicks k
                WHERE k.ts >= $start AND k.ts < $end + INTERVAL 1 DAY
                  AND k.device IS DISTINCT FROM 'bot'
                GROUP BY ALL
            ), clk AS (
                -- A click carries its link's page as registered; one its receiver could not
                -- check (registry locked or unread) its ?page= as given: the page otherwise
                -- spelt (case, periods) or by the id `pages` maps it to. Each counts for one
                -- link: of its page as written, else spelt alike, else of its page id.
                SELECT ref, page, sum(clicks) AS clicks, sum(scans) AS scans
                FROM (
                    SELECT l.ref, l.page, k.clicks, k.scans
                    FROM (SELECT k.*, coalesce(p.page_id, CASE WHEN regexp_full_match(k.page,
                                      '[0-9]+') THEN k.page END) AS page_id
                          FROM logged k LEFT JOIN pages p
                            ON {same_username_sql("p.username", "k.page")}) k
                    JOIN links l ON l.ref = k.ref
                         AND ({same_username_sql("l.page", "k.page")} OR l.page_id = k.page_id)
                    QUALIFY row_number() OVER (PARTITION BY k.ref, k.page ORDER BY
                        l.page = k.page DESC, {same_username_sql("l.page", "k.page")} DESC,
                        l.page) = 1
                )
                GROUP BY ALL
            ), linked AS (
                SELECT s.page_id, s.ref, any_value(l.campaign) AS campaign,
                       any_value(l.placement) AS placement, sum(k.clicks) AS clicks,
                       sum(k.scans) AS scans, any_value(l.notes) AS notes
                FROM keyed s
                JOIN links l ON l.ref = s.ref
                     AND (l.page_id = s.page_id OR (l.page_id IS NULL AND l.solo AND {_UNNAMED}))
                -- A link's clicks and scans under the channel it is registered as, as its
                -- contacts through it (a SHORTLINK of a QR ref is the code's): under "QR code"
                -- an m.me link's clicks are not a row's whose code contacts came through none.
                LEFT JOIN clk k ON k.ref = l.ref AND k.page = l.page
                     AND (len($channels) = 0 OR list_contains($channels, l.channel))
                GROUP BY s.page_id, s.ref
            ), unseen AS (
                -- Registered links clicked or scanned in the range that brought no touch:
                -- a placement that converts nobody is a row too. One row per page: by its id,
                -- else (an unmapped username, no id known) by its username, so two pages'
                -- links of one ref are not summed into one row.
                SELECT any_value(l.page_id) AS page_id, l.ref, any_value(l.channel) AS channel,
                       any_value(l.campaign) AS campaign, any_value(l.placement) AS placement,
                       sum(k.clicks) AS clicks, sum(k.scans) AS scans, any_value(l.notes) AS notes
                FROM links l JOIN clk k ON k.ref = l.ref AND k.page = l.page
                WHERE {_PAGES.format(t="l")} AND NOT EXISTS (
                    SELECT 1 FROM keyed s WHERE s.ref = l.ref
                      AND (l.page_id = s.page_id OR (l.page_id IS NULL AND l.solo AND {_UNNAMED})))
                GROUP BY coalesce(l.page_id, chr(31) || {username_key_sql("l.page")}), l.ref
            )
            SELECT s.page_id, s.ref, s.channel,
                   coalesce(a.new_contacts, 0) AS new_contacts, s.reentries,
                   coalesce(a.engaged, 0) AS engaged,
                   a.engaged / nullif(a.new_contacts, 0) AS engaged_rate,
                   wilson_low(a.engaged, a.new_contacts) AS ci_low,
                   wilson_high(a.engaged, a.new_contacts) AS ci_high,
                   coalesce(a.new_contacts, 0) < {MIN_SAMPLE} AS too_few,
                   a.returned_7d / nullif(a.past_7d, 0) AS return_7d_rate,
                   s.first_seen, s.last_seen, l.ref IS NOT NULL AS registered,
                   l.campaign, l.placement, CAST(coalesce(l.clicks, 0) AS BIGINT) AS clicks,
                   CAST(coalesce(l.scans, 0) AS BIGINT) AS scans,
                   a.new_contacts / nullif(l.clicks, 0) AS contacts_per_click, l.notes
            FROM keyed s
            LEFT JOIN acquired a USING (page_id, ref)
            LEFT JOIN linked l USING (page_id, ref)
            WHERE len($channels) = 0 OR list_contains($channels, s.channel)
            UNION ALL
            SELECT page_id, ref, channel, 0, 0, 0, NULL, NULL, NULL, true, NULL, NULL, NULL,
                   true, campaign, placement, CAST(clicks AS BIGINT), CAST(scans AS BIGINT), 0.0,
                   notes
            FROM unseen
            WHERE len($channels) = 0 OR list_contains($channels, channel)
            ORDER BY new_contacts DESC, reentries DESC, clicks DESC, ref, page_id""",
        _with_today(f),
    )


def refless(con: duckdb.DuckDBPyConnection, f: Filters) -> pd.DataFrame:
    """What refs() has no row for: the m.me link and QR code contacts acquired in the range
    through no ref (m.me/<page> alone, a legacy Messenger code without one) and the re-entries so
    in the range, counted by channel_totals all the same. Columns: channel, new_contacts,
    reentries; a row per channel with some."""
    # channel_totals' figures, of the link channels' contacts and touches through no ref.
    refless = _per_channel("{t}.ref IS NULL AND {t}.channel IN ('m_me_link', 'qr_code')")
    return _df(con, f"SELECT channel, new_contacts, reentries FROM ({refless}) ORDER BY channel", f)


def ad_titles(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """The name each ad goes by, as ads() names it whatever the range (AD_NAMED): the Contacts
    page's Ad picker names its ads so. Columns: ad_id, ad_title (ads with a name only)."""
    return con.execute(
        f"SELECT ad_id, title AS ad_title FROM {_AD_NAMED} WHERE title IS NOT NULL ORDER BY ad_id"
    ).df()


def ads(con: duckdb.DuckDBPyConnection, f: Filters) -> pd.DataFrame:
    """Per Click-to-Messenger ad. Columns: ad_id, ad_title, new_contacts, engaged,
    engaged_rate, spend, cost_per_contact, cost_per_engaged, conversations_started (Meta's; a
    whole count, 0 where its insight rows hold no such action, missing for an ad without
    insights: pandas makes such a column float). An ad
    with insights on other days and none on the range's pulled days (SPEND_PULLED; its
    account's pulls among them) spent 0; one no insight row names (its account may not be
    pulled), or whose account no pull asked for in the range, has no spend known."""
    df = _df(
        con,
        f"""WITH acquired AS (
                SELECT c.ad_id, count(*) AS new_contacts, count(c.second_message_at) AS engaged
                FROM contacts c WHERE {_IN_RANGE} AND c.channel = 'ctm_ad'
                GROUP BY c.ad_id
            ), spent AS (
                -- Meta lists in `actions` only the action types that happened: a row without
                -- the messaging one (conversations_started NULL) counted none.
                SELECT ad_id, round(sum(spend), 2) AS spend,
                       coalesce(sum(conversations_started), 0) AS conversations_started
                FROM ad_insights WHERE date BETWEEN $start AND $end GROUP BY ad_id
                UNION ALL BY NAME
                -- An ad the insights know, without a row on the range's pulled days, did not
                -- deliver then (Meta sends no row for that): it spent 0, as the KPIs say. Each
                -- account is pulled on its own: a pull of the ad's asked for some of the range
                -- (any pull, for rows that name no account).
                SELECT ad_id, 0.0 AS spend, 0 AS conversations_started
                FROM acquired a, {_SPEND_PULLED} p
                WHERE p.pulled AND ad_id IN (SELECT ad_id FROM ad_insights)
                  AND ad_id NOT IN (SELECT ad_id FROM ad_insights
                                    WHERE date BETWEEN $start AND $end)
                  AND (NOT EXISTS (SELECT 1 FROM ad_pulls) OR EXISTS (
                           SELECT 1 FROM ad_insights i
                           WHERE i.ad_id = a.ad_id AND (i.account_id IS NULL OR EXISTS (
                               SELECT 1 FROM ad_pulls ap WHERE ap.account_id = i.account_id
                                 AND ap.since <= $end AND ap.until >= $start))))
            )
            SELECT coalesce(a.ad_id, s.ad_id) AS ad_id,
                   -- The ad contacts whose referral named no ad (ADS without ad_id) are one
                   -- row: named, or a chart drops their bar and a table shows a blank row.
                   -- Its latest headline, else its latest name in the insights (AD_NAMED).
                   coalesce(t.title, a.ad_id, s.ad_id, '(unknown ad)') AS ad_title,
                   coalesce(a.new_contacts, 0) AS new_contacts, coalesce(a.engaged, 0) AS engaged,
                   a.engaged / nullif(a.new_contacts, 0) AS engaged_rate,
                   s.spend, s.spend / nullif(a.new_contacts, 0) AS cost_per_contact,
                   s.spend / nullif(a.engaged, 0) AS cost_per_engaged, s.conversations_started
            FROM acquired a FULL JOIN spent s USING (ad_id)
            LEFT JOIN {_AD_NAMED} t ON t.ad_id = coalesce(a.ad_id, s.ad_id)
            -- With pages chosen, their ad contacts (also those whose referral named no ad) and
            -- the ads seen on them (as for the KPIs' ad spend): also one that spent in the range
            -- without bringing a contact in it.
            WHERE (len($pages) = 0 OR a.new_contacts IS NOT NULL OR s.ad_id IN (
                       SELECT ad_id FROM touches t WHERE {_PAGES.format(t="t")}))
              AND {_CHANNEL_CHOSEN.format(channel="ctm_ad")}
            ORDER BY new_contacts DESC, spend DESC NULLS LAST, ad_id""",
        f,
    )
    return df.astype({"conversations_started": "Int64"})


def products(con: duckdb.DuckDBPyConnection, f: Filters) -> pd.DataFrame:
    """New contacts per product their acquiring referral named (contacts.product_id: a Shops
    product page's, channel other, or what a Click-to-Messenger ad showed, ctm_ad) and channel.
    Columns: product_id, channel, new_contacts, engaged, engaged_rate. No rows when no contact
    of the range came through a product."""
    return _df(
        con,
        f"""SELECT c.product_id, c.channel, count(*) AS new_contacts,
                   count(c.second_message_at) AS engaged,
                   count(c.second_message_at) / count(*) AS engaged_rate
            FROM contacts c WHERE {_IN_RANGE} AND c.product_id IS NOT NULL
            GROUP BY ALL ORDER BY new_contacts DESC, product_id, channel""",
        f,
    )


def website_chat(con: duckdb.DuckDBPyConnection, f: Filters) -> pd.DataFrame:
    """Chat plugin contacts per website page. Columns: referer_uri, new_contacts, guests,
    guest_share, engaged_rate."""
    return _df(
        con,
        f"""SELECT coalesce(c.referer_uri, '(unknown page)') AS referer_uri,
                   count(*) AS new_contacts,
                   count(*) FILTER (WHERE c.is_guest_user) AS guests,
                   count(*) FILTER (WHERE c.is_guest_user) / count(*) AS guest_share,
                   count(c.second_message_at) / count(*) AS engaged_rate
            FROM contacts c WHERE {_IN_RANGE} AND c.channel = 'chat_widget'
            GROUP BY ALL ORDER BY new_contacts DESC, referer_uri""",
        f,
    )


_CHAT_NOT_COVERED = f""", CASE WHEN $start < {_FIRST_DAY} THEN 'guest_share' ELSE '' END
                         AS not_covered"""


def website_chat_totals(
    con: duckdb.DuckDBPyConnection, f: Filters, whole: bool = False
) -> pd.DataFrame:
    """One row: new_contacts and guests of the chat plugin in the range, and guest_share
    (NULL with no contact; with whole, a previous period to compare with, also NULL when the
    range starts before the data does, as the KPIs' figures; then a last column, not_covered,
    as queries.kpis has it: "guest_share" when the range starts before the data, else "")."""
    return _df(
        con,
        f"""SELECT count(*) AS new_contacts,
                   count(*) FILTER (WHERE c.is_guest_user) AS guests,
                   CASE WHEN count(*) > 0 AND (NOT $whole OR $start >= {_FIRST_DAY})
                        THEN count(*) FILTER (WHERE c.is_guest_user) / count(*) END AS guest_share
                   {_CHAT_NOT_COVERED if whole else ""}
            FROM contacts c WHERE {_IN_RANGE} AND c.channel = 'chat_widget'""",
        f.params() | {"whole": whole},
    )


def comments(con: duckdb.DuckDBPyConnection, f: Filters) -> pd.DataFrame:
    """Per post. Columns: page_id, post_id, comments, private_replies (sent in the range: by
    send log or by the echo naming its comment), conversations (contacts acquired by a reply
    to a comment on the post), reply_rate (the share of the private replies sent in the range
    that opened a conversation: at most 1)."""
    return _df(
        con,
        f"""WITH cm AS (
                SELECT page_id, post_id, comment_id FROM events
                WHERE kind = 'comment' AND detail = 'add'
                  -- The page's own public replies are not comments it received.
                  AND commenter_id IS DISTINCT FROM page_id
                  AND ts >= $start AND ts < $end + INTERVAL 1 DAY
                  AND {_PAGES.format(t="events")}
            ), pr AS (
                -- Each private reply once, dated by its send log or its echo, whichever came
                -- first (kept by the ingest: ingest/comment_tables.py).
                SELECT r.page_id, coalesce(r.post_id, po.post_id, '(unknown post)') AS post_id,
                       count(*) AS private_replies
                FROM replies_sent r LEFT JOIN comment_posts po USING (comment_id)
                WHERE r.ts >= $start AND r.ts < $end + INTERVAL 1 DAY AND {_PAGES.format(t="r")}
                GROUP BY ALL
            ), conv AS (
                SELECT c.page_id, coalesce(c.post_id, po.post_id, '(unknown post)') AS post_id,
                       -- Acquired in the range, as everywhere (Overview, Contacts).
                       count(*) FILTER (WHERE c.first_seen_at >= $start
                                          AND c.first_seen_at < $end + INTERVAL 1 DAY)
                           AS conversations,
                       -- For the rate, those dated by the reply that opened them, as the
                       -- replies are: a reply opens at most one, so the rate is a share of
                       -- the range's replies (an earlier reply's would count on top).
                       count(*) FILTER (WHERE c.first_touch_at >= $start
                                          AND c.first_touch_at < $end + INTERVAL 1 DAY)
                           AS opened_by_replies
                FROM contacts c LEFT JOIN comment_posts po USING (comment_id)
                WHERE c.channel = 'comment_reply' AND {_PAGES.format(t="c")}
                  AND ((c.first_seen_at >= $start AND c.first_seen_at < $end + INTERVAL 1 DAY)
                       OR (c.first_touch_at >= $start
                           AND c.first_touch_at < $end + INTERVAL 1 DAY))
                GROUP BY ALL
            )
            SELECT page_id, post_id, coalesce(n.comments, 0) AS comments,
                   coalesce(pr.private_replies, 0) AS private_replies,
                   coalesce(conv.conversations, 0) AS conversations,
                   coalesce(conv.opened_by_replies, 0) / nullif(pr.private_replies, 0)
                       AS reply_rate
            FROM (SELECT page_id, post_id, count(*) AS comments FROM cm GROUP BY ALL) n
            FULL JOIN pr USING (page_id, post_id)
            FULL JOIN conv USING (page_id, post_id)
            WHERE {_CHANNEL_CHOSEN.format(channel="comment_reply")}
            ORDER BY comments DESC, private_replies DESC, post_id""",
        f,
    )
