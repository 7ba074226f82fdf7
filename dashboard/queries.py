"""Every SQL statement the dashboard runs: one function per question, bound parameters only.

Each function takes a DuckDB connection and returns a pandas DataFrame; no Streamlit, no Plotly.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import duckdb
import pandas as pd

CHANNELS = (
    "m_me_link",
    "qr_code",
    "chat_widget",
    "comment_reply",
    "ctm_ad",
    "organic",
    "other",
)


@dataclass(frozen=True)
class Filters:
    """The sidebar's global filters: an inclusive date range, pages and channels (empty = all)."""

    start: dt.date
    end: dt.date
    pages: tuple[str, ...] = ()
    channels: tuple[str, ...] = ()

    def params(self) -> dict[str, object]:
        return {
            "start": self.start,
            "end": self.end,
            "pages": list(self.pages),
            "channels": list(self.channels),
        }


# Contacts acquired in the range, on the chosen pages and channels.
_CONTACTS_IN_RANGE = """
    first_seen_at >= $start AND first_seen_at < $end + INTERVAL 1 DAY
    AND (len($pages) = 0 OR list_contains($pages, page_id))
    AND (len($channels) = 0 OR list_contains($channels, channel))
"""


def last_run_id(con: duckdb.DuckDBPyConnection) -> int:
    """The newest ingest run, 0 before the first: the dashboard's cache key."""
    row = con.execute("SELECT coalesce(max(run_id), 0) FROM ingest_runs").fetchone()
    return int(row[0]) if row else 0


def data_bounds(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """Columns: first_day, last_day (of contacts' first_seen_at), contacts."""
    return con.execute(
        """SELECT CAST(min(first_seen_at) AS DATE) AS first_day,
                  CAST(max(first_seen_at) AS DATE) AS last_day, count(*) AS contacts
           FROM contacts"""
    ).df()


def page_list(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """Columns: page_id, label (display name or username when known, else the id)."""
    return con.execute(
        """SELECT c.page_id, coalesce(p.name, p.username, c.page_id) AS label
           FROM (SELECT DISTINCT page_id FROM contacts) c
           LEFT JOIN pages p USING (page_id) ORDER BY label"""
    ).df()


def new_contacts_by_day(con: duckdb.DuckDBPyConnection, f: Filters) -> pd.DataFrame:
    """Columns: day (date), channel, contacts — one row per day and channel with contacts."""
    return con.execute(
        f"""SELECT CAST(first_seen_at AS DATE) AS day, channel, count(*) AS contacts
            FROM contacts WHERE {_CONTACTS_IN_RANGE}
            GROUP BY ALL ORDER BY day, channel""",
        f.params(),
    ).df()


def channel_totals(con: duckdb.DuckDBPyConnection, f: Filters) -> pd.DataFrame:
    """Columns: channel, new_contacts, engaged (a second inbound message), engaged_rate,
    reentries (re-entry touches of those contacts)."""
    return con.execute(
        f"""SELECT channel, count(*) AS new_contacts,
                   count(second_message_at) AS engaged,
                   count(second_message_at) / count(*) AS engaged_rate,
                   sum(reentry_count) AS reentries
            FROM contacts WHERE {_CONTACTS_IN_RANGE}
            GROUP BY channel ORDER BY new_contacts DESC, channel""",
        f.params(),
    ).df()
