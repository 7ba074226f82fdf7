"""The Contacts page's question: the contacts behind the dashboard's numbers, searched and
narrowed by its picks; bound parameters only, asked through queries.py like every other.

No Streamlit, no Plotly here.
"""

from __future__ import annotations

import re

import duckdb
import pandas as pd

from dashboard.filters import ACQUIRED, REACHABLE, REENTRIES, ContactPick, Filters
from dashboard.query_parts import AD_NAMES as _AD_NAMES
from dashboard.query_parts import AD_TITLES as _AD_TITLES
from dashboard.query_parts import IN_RANGE as _IN_RANGE
from dashboard.query_parts import PAGES as _PAGES
from dashboard.query_parts import REACHABLE as _REACHABLE

# The rows each list of the page starts from (ContactPick.show), alias c: contacts, or a re-entry
# touch each (as per_channel counts them) with its contact, through what it came and when.
_LISTED = {
    ACQUIRED: f"(SELECT *, NULL::TIMESTAMP AS reentered_at FROM contacts c WHERE {_IN_RANGE})",
    REACHABLE: f"(SELECT *, NULL::TIMESTAMP AS reentered_at FROM contacts c WHERE {_REACHABLE})",
    REENTRIES: f"""(
        SELECT c.* REPLACE (t.channel AS channel, t.ref AS ref, t.source AS source,
                            t.ad_id AS ad_id, t.ad_title AS ad_title,
                            t.referer_uri AS referer_uri, t.post_id AS post_id,
                            t.comment_id AS comment_id, t.product_id AS product_id),
               t.ts AS reentered_at
        FROM touches t JOIN contacts c ON c.page_id = t.page_id AND c.psid = t.psid
        WHERE t.is_reentry AND t.ts >= $start AND t.ts < $end + INTERVAL 1 DAY
          AND {_PAGES.format(t="t")}
          AND (len($channels) = 0 OR list_contains($channels, t.channel)))""",
}


def contact_rows(
    con: duckdb.DuckDBPyConnection,
    f: Filters,
    search: str = "",
    pick: ContactPick | None = None,
    search_id: str | None = None,
) -> pd.DataFrame:
    """The contacts behind the numbers: those acquired in the range; with pick.show REACHABLE
    those reachable at its end, whenever acquired (as kpis counts them); with REENTRIES a row
    per re-entry of the range, its channel, ref, ad, website page, post and product those it
    came through (as channel_totals and refs count them), reentered_at its time (a column
    after psid, of this list alone). Columns: page_id, psid, first_seen_at, channel, ref,
    ad_id, ad_title, product_id (the Shops or ad product of the acquiring referral, as
    products() counts it), referer_uri, post_id (of the comment a reply was sent to, as
    comments() finds it), message_count, engaged, reentry_count, last_seen_at.

    search: text the psid, ref, ad title, product id or website page holds, in any case;
    search_id: an id the psid is (the search as a salted database stores it: ContactSearch),
    also found.

    pick narrows them to the rows behind one figure: an m.me link or QR ref of a page (as refs()
    counts it), the link rows without a ref (as refless() counts them), an ad, a post or
    website page ('(unknown ad)', '(unknown post)' and '(unknown page)' as shown), engaged or
    not."""
    pick = pick or ContactPick()
    params = f.params() | {"search": search, "search_id": search_id} | pick.params()
    sql = f"""WITH titled AS (
                -- An ad's title as the Ads page names it: a referral without ads_context_data
                -- takes the title another contact's referral gave, else the insights' ad name.
                -- An empty title (an ad without a headline) is none, as on the Ads page.
                SELECT * FROM {_AD_TITLES}
            ), named AS (
                SELECT * FROM {_AD_NAMES}
            ), c AS (
                SELECT c.* REPLACE (coalesce(nullif(c.ad_title, ''), t.title, n.title)
                                    AS ad_title),
                       CASE WHEN c.channel = 'comment_reply'
                            THEN coalesce(c.post_id, (
                                     SELECT p.post_id FROM comment_posts p
                                     WHERE p.comment_id = c.comment_id), '(unknown post)')
                            ELSE c.post_id END AS post_of
                FROM {_LISTED[pick.show]} c
                LEFT JOIN titled t USING (ad_id) LEFT JOIN named n USING (ad_id)
                WHERE
                  -- The search is text, not a LIKE pattern: `_` and `%` match themselves.
                  ($search = '' OR contains(lower(c.psid), lower($search))
                       OR c.psid = $search_id
                       OR contains(lower(c.ref), lower($search))
                       OR contains(lower(coalesce(nullif(c.ad_title, ''), t.title, n.title)),
                                   lower($search))
                       OR contains(lower(c.referer_uri), lower($search))
                       OR contains(lower(c.product_id), lower($search)))
                  AND ($ref IS NULL OR (c.ref = $ref AND c.channel IN ('m_me_link', 'qr_code')
                                        AND ($ref_page IS NULL OR c.page_id = $ref_page)))
                  AND (NOT $refless OR (c.ref IS NULL
                                        AND c.channel IN ('m_me_link', 'qr_code')))
                  AND ($ad_id IS NULL OR (coalesce(c.ad_id, '(unknown ad)') = $ad_id
                                          AND c.channel = 'ctm_ad'))
                  AND ($referer_uri IS NULL OR (c.channel = 'chat_widget'
                       AND coalesce(c.referer_uri, '(unknown page)') = $referer_uri))
                  AND ($engaged IS NULL OR (c.second_message_at IS NOT NULL) = $engaged)
            )
            SELECT c.page_id, c.psid{", c.reentered_at" if pick.show == REENTRIES else ""},
                   c.first_seen_at, c.channel, c.ref, c.ad_id, c.ad_title,
                   c.product_id, c.referer_uri, c.post_of AS post_id, c.message_count,
                   c.second_message_at IS NOT NULL AS engaged, c.reentry_count, c.last_seen_at
            FROM c
            WHERE $post_id IS NULL OR (c.channel = 'comment_reply' AND c.post_of = $post_id
                                       AND ($post_page IS NULL OR c.page_id = $post_page))
            ORDER BY c.reentered_at DESC, c.first_seen_at DESC, c.page_id, c.psid"""
    # DuckDB refuses a parameter the statement does not use: a list without the range's start.
    used = {k: v for k, v in params.items() if re.search(rf"\${k}\b", sql)}
    return con.execute(sql, used).df()
