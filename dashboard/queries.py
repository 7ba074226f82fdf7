"""Every question the dashboard asks: one function each, bound parameters only (the per-channel
pages' are in channel_queries.py, those of the data as a whole (its runs, days and spend days)
in data_queries.py, the Contacts page's in contact_queries.py, retention's in
retention_queries.py, tracked links' in link_queries.py, the
pieces they share in query_parts.py; all are asked through this module).

Each function takes a DuckDB connection (and the global Filters) and returns a pandas
DataFrame whose columns are listed in its docstring; no Streamlit, no Plotly here.
"""

from __future__ import annotations

import datetime as dt

import duckdb
import pandas as pd

# The questions of the per-channel pages, of the data as a whole, of tracked links and of
# retention, asked through this module.
from dashboard.channel_queries import ad_titles as ad_titles
from dashboard.channel_queries import ads as ads
from dashboard.channel_queries import comments as comments
from dashboard.channel_queries import products as products
from dashboard.channel_queries import refless as refless
from dashboard.channel_queries import refs as refs
from dashboard.channel_queries import website_chat as website_chat
from dashboard.channel_queries import website_chat_totals as website_chat_totals
from dashboard.contact_queries import contact_rows as contact_rows
from dashboard.data_queries import contact_count as contact_count
from dashboard.data_queries import data_bounds as data_bounds
from dashboard.data_queries import data_kinds as data_kinds
from dashboard.data_queries import data_version as data_version
from dashboard.data_queries import id_scheme as id_scheme
from dashboard.data_queries import ingest_totals as ingest_totals
from dashboard.data_queries import last_prune as last_prune
from dashboard.data_queries import last_run_id as last_run_id
from dashboard.data_queries import newest_day as newest_day
from dashboard.data_queries import spend_currency as spend_currency
from dashboard.data_queries import spend_days as spend_days
from dashboard.data_queries import spend_missing as spend_missing
from dashboard.filters import Filters
from dashboard.link_queries import code_name as code_name
from dashboard.link_queries import known_pages as known_pages
from dashboard.link_queries import link_conflict as link_conflict
from dashboard.link_queries import page_names as page_names
from dashboard.link_queries import registered_url as registered_url
from dashboard.link_queries import tracked_link_stats as tracked_link_stats
from dashboard.query_parts import ADS_COUNTED as _ADS_COUNTED
from dashboard.query_parts import CHANNEL_CHOSEN as _CHANNEL_CHOSEN
from dashboard.query_parts import FIRST_DAY as _FIRST_DAY
from dashboard.query_parts import IN_RANGE as _IN_RANGE
from dashboard.query_parts import MIN_SAMPLE as MIN_SAMPLE
from dashboard.query_parts import PAGES as _PAGES
from dashboard.query_parts import REACHABLE as _REACHABLE
from dashboard.query_parts import SPEND_DAYS as _SPEND_DAYS
from dashboard.query_parts import SPEND_MISSING as _SPEND_MISSING
from dashboard.query_parts import SPEND_PULLED as _SPEND_PULLED
from dashboard.query_parts import frame as _df
from dashboard.query_parts import per_channel as _per_channel
from dashboard.retention_queries import RETENTION_WEEKS as RETENTION_WEEKS
from dashboard.retention_queries import RETURN_DAYS as RETURN_DAYS
from dashboard.retention_queries import cohorts as cohorts
from dashboard.retention_queries import returns_by_channel as returns_by_channel

CHAT_PLUGIN_SHUTDOWN = dt.date(2024, 5, 9)  # Meta switched the chat plugin off that day


def page_list(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """Columns: page_id, label (display name or username when known, else the id; with the id
    after it when another page has that label too: a picker hands an option back by its label,
    so two pages shown alike would be one)."""
    return _df(
        con,
        """WITH named AS (
               SELECT c.page_id, coalesce(p.name, p.username, c.page_id) AS name
               FROM (SELECT DISTINCT page_id FROM contacts) c LEFT JOIN pages p USING (page_id)
           )
           SELECT page_id, CASE WHEN count(*) OVER (PARTITION BY name) > 1
                                THEN name || ' (' || page_id || ')' ELSE name END AS label
           FROM named ORDER BY label, page_id""",
    )


def unknown_pages(con: duckdb.DuckDBPyConnection, page_ids: list[str]) -> list[str]:
    """Those of page_ids that no table knows: no event, contact or `pages` row names them."""
    return [
        r[0]
        for r in con.execute(
            """SELECT given FROM unnest($ids::VARCHAR[]) g(given)
               WHERE given NOT IN (SELECT page_id FROM pages)
                 AND given NOT IN (SELECT page_id FROM contacts)
                 AND NOT EXISTS (SELECT 1 FROM events WHERE page_id = given)
               ORDER BY given""",
            {"ids": page_ids},
        ).fetchall()
    ]


def with_page_labels(df: pd.DataFrame, pages: pd.DataFrame) -> pd.DataFrame:
    """df with a `page` column beside its page_id: the label page_list gives it (its id when
    the page is not among them)."""
    labels = dict(zip(pages["page_id"], pages["label"], strict=True))
    out = df.copy()
    at = list(out.columns).index("page_id") + 1
    out.insert(at, "page", [labels.get(p, p) for p in out["page_id"]])
    return out


# kpis' not_covered: the figures the period's start before the data (whole) leaves out, also
# when the period lies wholly before it, and the spend (with the cost per ad contact) a start
# before the first pulled day leaves out: none when no ad insights were ever pulled, or when the
# filters count no ad's spend (ADS_COUNTED, as SPEND_PULLED), whatever the days covered.
_KPIS_NOT_COVERED = f""", array_to_string(list_where(
        ['new_contacts', 'engaged', 'engaged_rate', 'reachable', 'spend', 'cost_per_contact'],
        [coalesce(lost, false) FOR lost IN [
            NOT whole, NOT whole, NOT whole, NOT whole, NOT spend_whole AND ({_ADS_COUNTED}),
            spend_whole IS NOT NULL AND NOT (whole AND spend_whole) AND ({_ADS_COUNTED})]]),
        ',') AS not_covered"""


def kpis(con: duckdb.DuckDBPyConnection, f: Filters, whole: bool = False) -> pd.DataFrame:
    """One row. Columns: new_contacts, engaged, engaged_rate, reachable (contacts with an own
    action in the 24 hours before the range ends, or before the newest event when the data ends
    inside the range's last day: the messaging window then open), spend, cost_per_contact (ad
    spend per contact the ads brought in: other channels cost nothing).

    The contact figures, cost_per_contact too, are NULL ("no data", not zero) for a range
    wholly outside the data's days (before a prune's date: its contacts active since are left),
    and with whole (a previous period to compare with) also for one the data covers only
    in part: a period half before the first log would show a growth that never happened. With
    whole, spend and cost_per_contact are NULL too for a period that starts before the first
    day of pulled ad insights. Pulled days without an insight row spent 0 (SPEND_PULLED).

    With whole, a last column, not_covered: the names of the figures NULL because the period
    starts before the data (or, for spend, before the first pulled day), also when it lies
    wholly before it; comma-separated ("" for none). The Overview's "—" says so."""
    return _df(
        con,
        f"""WITH bounds AS (
                -- After a prune, the data starts on its date (see data_bounds).
                SELECT {_FIRST_DAY} AS first_day, (SELECT max(ts) FROM events) AS newest
            ), span AS (
                SELECT $end >= first_day AND $start <= CAST(newest AS DATE) AS covered,
                       $start >= first_day OR NOT $whole AS whole
                FROM bounds
            ), n AS (
                SELECT count(*) AS new_contacts, count(c.second_message_at) AS engaged,
                       count(*) FILTER (WHERE c.channel = 'ctm_ad') AS ad_contacts
                FROM contacts c WHERE {_IN_RANGE}
            ), r AS (
                SELECT count(*) AS reachable FROM contacts c WHERE {_REACHABLE}
            ), s AS (
                -- Meta's spend is cents: summed as doubles it grew tails (857.8000000000004).
                SELECT round(sum(spend), 2) AS spend FROM ad_insights a
                WHERE a.date BETWEEN $start AND $end
                  AND {_CHANNEL_CHOSEN.format(channel="ctm_ad")}
                  AND (len($pages) = 0 OR a.ad_id IN (
                      SELECT ad_id FROM touches t WHERE {_PAGES.format(t="t")}))
            ), v AS (
                -- The figures as far as the data covers the range.
                SELECT CASE WHEN covered THEN new_contacts END AS new_contacts,
                       CASE WHEN covered THEN engaged END AS engaged,
                       CASE WHEN covered THEN engaged / nullif(new_contacts, 0) END
                           AS engaged_rate,
                       CASE WHEN covered THEN reachable END AS reachable, spend,
                       CASE WHEN covered THEN spend / nullif(ad_contacts, 0) END
                           AS cost_per_contact,
                       whole, spend_whole
                FROM span, n, r,
                     -- Pulled days without an insight row spent nothing (SPEND_PULLED).
                     (SELECT CASE WHEN pulled THEN coalesce(spend, 0) ELSE spend END AS spend
                      FROM s, {_SPEND_PULLED}),
                     -- Spend likewise: a previous period that starts before the first pulled
                     -- day, or holds days no pull asked for, is no spend to compare with.
                     (SELECT NOT $whole OR ($start >= first_day
                                            AND NOT EXISTS (SELECT 1 FROM {_SPEND_MISSING}))
                             AS spend_whole FROM {_SPEND_DAYS})
            )
            SELECT CASE WHEN whole THEN new_contacts END AS new_contacts,
                   CASE WHEN whole THEN engaged END AS engaged,
                   CASE WHEN whole THEN engaged_rate END AS engaged_rate,
                   CASE WHEN whole THEN reachable END AS reachable,
                   CASE WHEN spend_whole THEN spend END AS spend,
                   CASE WHEN whole AND spend_whole THEN cost_per_contact END AS cost_per_contact
                   {_KPIS_NOT_COVERED if whole else ""}
            FROM v""",
        f.params() | {"whole": whole},
    )


def unpulled_ad_contacts(con: duckdb.DuckDBPyConnection, f: Filters) -> pd.DataFrame:
    """One row. Columns: ad_contacts (the range's new Click-to-Messenger contacts: those kpis
    divides the ad spend by), unpulled (those of them whose referral named an ad that no
    ad_insights row names, on any day: its ad account not pulled, so their cost is not in the
    spend) and unpulled_ads (those ads). A referral that named no ad counts in neither."""
    return _df(
        con,
        f"""SELECT count(*) AS ad_contacts, count(*) FILTER (WHERE unpulled) AS unpulled,
                   count(DISTINCT ad_id) FILTER (WHERE unpulled) AS unpulled_ads
            FROM (SELECT c.ad_id, c.ad_id IS NOT NULL AND NOT EXISTS (
                             SELECT 1 FROM ad_insights a WHERE a.ad_id = c.ad_id) AS unpulled
                  FROM contacts c WHERE {_IN_RANGE} AND c.channel = 'ctm_ad')""",
        f,
    )


def new_contacts_by_day(con: duckdb.DuckDBPyConnection, f: Filters) -> pd.DataFrame:
    """Columns: day (date), channel, contacts — one row per day and channel with contacts."""
    return _df(
        con,
        f"""SELECT CAST(c.first_seen_at AS DATE) AS day, c.channel, count(*) AS contacts
            FROM contacts c WHERE {_IN_RANGE}
            GROUP BY ALL ORDER BY day, channel""",
        f,
    )


def channel_totals(con: duckdb.DuckDBPyConnection, f: Filters) -> pd.DataFrame:
    """Columns: channel, new_contacts, engaged (a second inbound message), engaged_rate,
    reentries (re-entry touches in the range through the channel, as refs() counts them: a
    past period's figure does not change as contacts come back later)."""
    return _df(con, f"{_per_channel()} ORDER BY new_contacts DESC, channel", f)


# Kept within 0 and 1: at k = 0 (or k = n) rounding left -3e-17 (or 1.0000000000000002), shown
# as "-0.0%" beside a ref of 5 contacts none of whom engaged.
WILSON_MACROS = """
CREATE OR REPLACE TEMP MACRO wilson_low(k, n) AS (
    CASE WHEN n > 0 THEN greatest(0, (k / n + 1.96 ^ 2 / (2 * n)
         - 1.96 * sqrt(k / n * (1 - k / n) / n + 1.96 ^ 2 / (4 * n ^ 2))) / (1 + 1.96 ^ 2 / n)) END
);
CREATE OR REPLACE TEMP MACRO wilson_high(k, n) AS (
    CASE WHEN n > 0 THEN least(1, (k / n + 1.96 ^ 2 / (2 * n)
         + 1.96 * sqrt(k / n * (1 - k / n) / n + 1.96 ^ 2 / (4 * n ^ 2))) / (1 + 1.96 ^ 2 / n)) END
);
"""


def install_macros(con: duckdb.DuckDBPyConnection) -> None:
    """Macros the queries use (temporary: a read-only connection may create them)."""
    con.execute(WILSON_MACROS)
