"""The questions of tracked links (the Create links page and its form): the registry with what
each link brought in, and what registering a link would break or find. Asked through queries.py.
"""

from __future__ import annotations

import datetime as dt

import duckdb
import pandas as pd

from dashboard.filters import Filters
from dashboard.query_parts import frame as _df
from ingest import links
from ingest.link_rules import same_username_sql, username_key_sql, username_unknown_sql


def tracked_link_stats(con: duckdb.DuckDBPyConnection, f: Filters | None = None) -> pd.DataFrame:
    """Every registered link with what it brought in: the contacts it acquired in the range of
    f (as Links & QR counts them), or all time without f; a row per ref and page (a ref
    registered under a page's username and its id alike, as registered first). Columns: ref,
    page (as registered,
    as its URL has it), page_name (the page's display name, as other pages show it: its name or
    username in `pages`, else as registered), channel, campaign, placement, url, created_at,
    new_contacts, engaged_rate, last_contact, notes."""
    f = f or Filters(dt.date(1970, 1, 1), dt.date(9999, 12, 30))
    return _df(
        con,
        f"""WITH l AS (
               -- The page id as refs() and attribution find it: through `pages`, or the
               -- registered page itself when numeric; the ref alone only when it is neither
               -- and no other page registered the ref. A ref registered under a page's
               -- username and under its id is one link, its contacts counted once.
               SELECT * FROM {links.ONE_PER_PAGE}
           ), solo AS (
               SELECT ref FROM tracked_links GROUP BY ref
               HAVING count(DISTINCT {username_key_sql("page")}) = 1
           )
           SELECT l.ref, l.page, coalesce(n.name, n.username, l.page) AS page_name, l.channel,
                  l.campaign, l.placement, l.url, l.created_at,
                  count(c.psid) AS new_contacts,
                  count(c.second_message_at) / nullif(count(c.psid), 0) AS engaged_rate,
                  max(c.last_seen_at) AS last_contact, l.notes
           FROM l LEFT JOIN pages n ON n.page_id = l.page_id
           LEFT JOIN contacts c
             ON c.ref = l.ref AND c.channel IN ('m_me_link', 'qr_code')
            AND (c.page_id = l.page_id OR (l.page_id IS NULL AND l.ref IN (SELECT ref FROM solo)
                                           AND {username_unknown_sql("c.page_id")}))
            AND c.first_seen_at >= $start AND c.first_seen_at < $end + INTERVAL 1 DAY
            -- Every link stays listed; a channel filter leaves out the other channels' counts,
            -- a page filter the other pages' (a link of an unmapped username is any page's).
            AND (len($channels) = 0 OR list_contains($channels, c.channel))
            AND (len($pages) = 0 OR list_contains($pages, c.page_id))
           WHERE len($pages) = 0 OR l.page_id IS NULL OR list_contains($pages, l.page_id)
           GROUP BY ALL ORDER BY l.created_at DESC, l.ref, l.page""",
        f,
    )


def link_conflict(
    con: duckdb.DuckDBPyConnection, page: str, ref: str, channel: str, campaign: str | None,
    placement: str | None, notes: str | None,
) -> pd.DataFrame:  # fmt: skip
    """Why a link of these attributes cannot be registered: the one-meaning rule it breaks, as
    `links create` refuses it (no row when it can be). Columns: rule."""
    link = links.Link(ref, page, channel, campaign, placement, notes)
    rule = links.Registry.load(con).conflict(link)
    return pd.DataFrame({"rule": [rule] if rule else []}, dtype=object)


def code_name(con: duckdb.DuckDBPyConnection, page: str, ref: str) -> pd.DataFrame:
    """The file name (without extension) `links qr` and `links create` give the QR code of page
    and ref (links.code_name, of the registered link when there is one): `<ref>`, `<ref>.<page>`
    when another page has a QR code of the ref, `<ref>~<hash>` beside a QR code whose ref
    differs only in case. Columns: name."""
    registry = links.Registry.load(con)
    link = links.Link(ref, page, "qr_code")
    name = links.code_name(registry, registry.get(link) or link)
    return pd.DataFrame({"name": [name]}, dtype=object)


def registered_url(con: duckdb.DuckDBPyConnection, page: str, ref: str) -> pd.DataFrame:
    """The URL a link of page and ref is registered with (no row when it is not), as `links
    create` finds it: a page by username or id in any case, a username and the page id `pages`
    maps it to being one page. Columns: url."""
    return _df(
        con,
        f"""WITH wanted AS (
               SELECT coalesce(any_value(page_id), {username_key_sql("$page")}) AS page_key
               FROM pages WHERE {same_username_sql("username", "$page")}
           )
           SELECT t.url FROM tracked_links t
           LEFT JOIN pages p
             ON {same_username_sql("p.username", "t.page")}, wanted w
           WHERE t.ref = $ref AND coalesce(p.page_id, {username_key_sql("t.page")}) = w.page_key
           ORDER BY t.created_at, t.page LIMIT 1""",
        {"page": page, "ref": ref},
    )


def known_pages(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """Pages a link can be made for. Columns: page (username when known, else id), label,
    page_id."""
    return _df(
        con,
        """SELECT coalesce(p.username, e.page_id) AS page,
                  coalesce(p.name, p.username, e.page_id) AS label, e.page_id
           FROM (SELECT DISTINCT page_id FROM contacts) e
           LEFT JOIN pages p USING (page_id) ORDER BY label""",
    )


def page_names(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """Pages whose username and name can be set: those contacts arrived on and those `pages`
    holds, each with what `pages` stores (None when nothing). Columns: page_id, username,
    name."""
    return _df(
        con,
        """SELECT k.page_id, p.username, p.name
           FROM (SELECT page_id FROM contacts UNION SELECT page_id FROM pages) k
           LEFT JOIN pages p USING (page_id)
           ORDER BY coalesce(p.name, p.username, k.page_id), k.page_id""",
    )
