"""What the database holds as a whole, for the sidebar, the status line and the cache: the
last finished run, the data's days and kinds, the days of pulled ad spend. Asked through
queries.py like every other question.

Each function takes a DuckDB connection (and, where a range matters, the global Filters); no
Streamlit, no Plotly here.
"""

from __future__ import annotations

import datetime as dt

import duckdb
import pandas as pd

from dashboard import query_parts
from dashboard.filters import Filters
from dashboard.query_parts import SPEND_DAYS as _SPEND_DAYS
from dashboard.query_parts import SPEND_MISSING as _SPEND_MISSING
from dashboard.query_parts import frame as _df
from ingest import migrations


def last_run_id(con: duckdb.DuckDBPyConnection) -> int:
    """The newest finished ingest run, 0 before the first: the dashboard's cache key. A run
    being loaded (it commits batch by batch) counts once it has finished."""
    row = con.execute(
        "SELECT coalesce(max(run_id) FILTER (WHERE finished_at IS NOT NULL), 0) FROM ingest_runs"
    ).fetchone()
    return int(row[0]) if row else 0


def id_scheme(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """One row, column scheme: how the data stores people's ids: None as they came, else
    `salted:` and a tag of the salt as `id_scheme` records it (never the salt), or
    migrations.SALTED_UNRECORDED for hashed ids whose salt the data does not record (a lake, a
    database made before `id_scheme` was kept)."""
    return pd.DataFrame({"scheme": [migrations.salted_scheme(con)]}, dtype=object)


def contact_count(con: duckdb.DuckDBPyConnection) -> int:
    """How many contacts the database holds (the app's empty state is none)."""
    row = con.execute("SELECT count(*) FROM contacts").fetchone()
    return int(row[0]) if row else 0


def newest_day(con: duckdb.DuckDBPyConnection, today: dt.date | None = None) -> dt.date | None:
    """The newest whole UTC day with events: today's are left out (a report at 07:00 would
    compare seven hours with whole days) unless there are no others. None in an empty database.
    """
    today = today or query_parts.utc_today()
    row = con.execute(
        """SELECT coalesce(CAST(max(ts) FILTER (WHERE ts < $today) AS DATE),
                           CAST(max(ts) AS DATE))
           FROM events""",
        {"today": today},
    ).fetchone()
    return row[0] if row else None


# What the dashboard shows changes with more than an ingest: registering links re-labels
# contacts, `pages set` renames, `forget` and `prune` delete, `pull ads` adds spend. Their
# tables' sizes and newest stamps tell the cache to start over (a run's own batches, committed
# before its contacts, do not: its touches and contacts change when it finishes).
_DATA_VERSION = """
SELECT [
    (SELECT count(*) FROM contacts), (SELECT count(*) FROM touches),
    (SELECT count(*) FROM contact_days), (SELECT count(*) FROM tracked_links),
    (SELECT count(*) FROM ad_insights), (SELECT count(*) FROM ad_pulls),
    (SELECT count(*) FROM clicks),
    -- A prune that removed nothing (data younger than its date) still makes the data pruned.
    (SELECT count(*) FROM prunes),
    -- Forgetting a commenter deletes comment events only. The events of finished runs: a
    -- running one's batches do not start the cache over.
    (SELECT count(*) FROM events WHERE run_id <= (
        SELECT max(run_id) FROM ingest_runs WHERE finished_at IS NOT NULL))]::VARCHAR
    || coalesce((SELECT max(created_at) FROM tracked_links)::VARCHAR, '')
    || coalesce((SELECT max(pulled_at) FROM ad_insights)::VARCHAR, '')
    || coalesce((SELECT md5(string_agg(concat_ws(chr(31), page_id, username, name), chr(30)
                                       ORDER BY page_id)) FROM pages), '')
"""


def data_version(con: duckdb.DuckDBPyConnection) -> str:
    """A fingerprint of what the app shows, besides the last finished run (see _DATA_VERSION)."""
    row = con.execute(_DATA_VERSION).fetchone()
    return str(row[0]) if row else ""


def ingest_totals(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """One row over the finished ingest runs. Columns: runs, lines (read), events (stored),
    rejects (lines rejected)."""
    return _df(
        con,
        """SELECT count(*) AS runs, coalesce(sum(lines_read), 0) AS lines,
                  coalesce(sum(events_added), 0) AS events,
                  coalesce(sum(rejects_added), 0) AS rejects
           FROM ingest_runs WHERE finished_at IS NOT NULL""",
    )


def data_kinds(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """One row: whether the data holds any refs (m.me link and QR code touches, or clicks of
    tracked links), ads (ad contacts or ad insights) and comments (comments or private replies)
    at all, in any range and on any page."""
    return _df(
        con,
        """SELECT EXISTS (SELECT 1 FROM touches WHERE channel IN ('m_me_link', 'qr_code')
                          AND ref IS NOT NULL) OR EXISTS (SELECT 1 FROM clicks) AS refs,
                  EXISTS (SELECT 1 FROM contacts WHERE channel = 'ctm_ad')
                      OR EXISTS (SELECT 1 FROM ad_insights) AS ads,
                  EXISTS (SELECT 1 FROM events WHERE kind IN ('comment', 'private_reply')
                          OR (kind = 'message_echo' AND comment_id IS NOT NULL)) AS comments""",
    )


def last_prune(con: duckdb.DuckDBPyConnection) -> dt.date | None:
    """The date the latest `refscope prune` removed data before; None when never pruned."""
    row = con.execute("SELECT max(before) FROM prunes").fetchone()
    return row[0] if row else None


def data_bounds(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """Columns: first_day, last_day (of events), whole_day, contacts, pruned (first_day is a
    prune's date). After a prune the data starts on its date: the older touches it keeps (of
    conversations not yet opened) are no whole days. whole_day is the newest whole UTC day with
    events, where preset ranges end, as a report's: today's are left out (a dashboard opened at
    07:00 would compare seven hours with whole days) unless there are no others."""
    return _df(
        con,
        """SELECT CAST(greatest(min(ts), (SELECT max(before) FROM prunes)) AS DATE) AS first_day,
                  CAST(max(ts) AS DATE) AS last_day,
                  coalesce(CAST(max(ts) FILTER (WHERE ts < CAST($today AS DATE)) AS DATE),
                           CAST(max(ts) AS DATE)) AS whole_day,
                  (SELECT count(*) FROM contacts) AS contacts,
                  (SELECT max(before) FROM prunes) IS NOT NULL AS pruned
           FROM events""",
        {"today": query_parts.utc_today()},
    )


def spend_days(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """One row. Columns: first_day, last_day of the pulled ad insights (NULL with none): the days
    the pulls asked for, also those Meta left out for no delivery."""
    return _df(con, f"SELECT first_day, last_day FROM {_SPEND_DAYS}")


def spend_currency(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """One row. Columns: currency — the ISO 4217 code (USD, SEK...) of the pulled ad spend, the
    ad account's account_currency (the ingest keeps one per database); NULL when no insights
    say one."""
    return _df(
        con,
        """SELECT (SELECT account_currency FROM ad_insights WHERE account_currency IS NOT NULL
                   ORDER BY pulled_at DESC NULLS LAST LIMIT 1) AS currency""",
    )


def spend_missing(con: duckdb.DuckDBPyConnection, f: Filters) -> pd.DataFrame:
    """Columns: day — each day of the range, between the first and the last pulled day, that no
    pull asked for (a gap between two pulls): its spend is not counted."""
    return _df(con, f"SELECT day FROM {_SPEND_MISSING} ORDER BY day",
               {"start": f.start, "end": f.end})  # fmt: skip
