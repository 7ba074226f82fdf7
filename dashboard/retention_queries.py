"""Retention: who of the contacts acquired in a range came back, by week and within N days.

A share counts only the contacts whose weeks or days had passed when the data ends (ELAPSED):
a contact acquired last week is not yet one who did not come back.
"""

from __future__ import annotations

import duckdb
import pandas as pd

from dashboard.filters import Filters
from dashboard.query_parts import (
    CAME_BACK,
    CONTACTS_TO_DATE,
    DATA_END,
    ELAPSED,
    IN_RANGE,
    frame,
    with_today,
)

RETENTION_WEEKS = (1, 2, 4, 8, 12)
RETURN_DAYS = (1, 7, 30)


def cohorts(con: duckdb.DuckDBPyConnection, f: Filters) -> pd.DataFrame:
    """Weekly acquisition cohorts. Columns: cohort_week (date, Monday), channel, contacts, and
    week_N (share who sent a message again in week N after acquisition: days 1–7 are week 1)
    for RETENTION_WEEKS, among the contacts whose week N has ended (NULL while none has), then
    past_week_N (how many those are: the weight of week_N when channels are combined).
    A channel's rows are the same whichever other channels the filter keeps (the data's last
    day is the newest event's): of_channel takes them from these."""
    # A contact whose week N has not ended by the data's last day is not counted in week_N:
    # not back yet is not "did not come back".
    weeks = ", ".join(
        f"""count(DISTINCT (c.page_id, c.psid)) FILTER (WHERE d.week = {w} AND {
            ELAPSED.format(days=7 * w)
        })
            / nullif(count(DISTINCT (c.page_id, c.psid)) FILTER (
                WHERE {ELAPSED.format(days=7 * w)}), 0) AS week_{w}"""
        for w in RETENTION_WEEKS
    )
    past = ", ".join(
        f"count(DISTINCT (c.page_id, c.psid)) FILTER (WHERE {ELAPSED.format(days=7 * w)})"
        f" AS past_week_{w}"
        for w in RETENTION_WEEKS
    )
    return frame(
        con,
        f"""WITH c AS (
                -- The range first: the join then grows with the range, not the database.
                SELECT c.page_id, c.psid, c.channel, c.first_seen_at,
                       {DATA_END} AS data_end
                FROM contacts c
                WHERE {IN_RANGE}
            ), d AS (
                SELECT d.page_id, d.psid,
                       (d.day - CAST(c.first_seen_at AS DATE) - 1) // 7 + 1 AS week
                FROM contact_days d JOIN c USING (page_id, psid)
                WHERE d.day > CAST(c.first_seen_at AS DATE)
            )
            SELECT CAST(date_trunc('week', c.first_seen_at) AS DATE) AS cohort_week, c.channel,
                   count(DISTINCT (c.page_id, c.psid)) AS contacts, {weeks}, {past}
            FROM c LEFT JOIN d USING (page_id, psid)
            GROUP BY ALL ORDER BY cohort_week, c.channel""",
        with_today(f),
    )


def of_channel(cohorts: pd.DataFrame, channel: str | None) -> pd.DataFrame:
    """The rows of cohorts (every channel's) of channel, numbered from 0 as cohorts numbers
    them (the Retention page's picker and its download); all of them with None."""
    if channel is None:
        return cohorts
    return cohorts[cohorts["channel"] == channel].reset_index(drop=True)


def returns_by_channel(con: duckdb.DuckDBPyConnection, f: Filters) -> pd.DataFrame:
    """Columns: channel, contacts, d1, d7, d30 (share who messaged again within N days after
    the day they were acquired, among those whose N days have passed by the data's last day;
    NULL while none has), read_rate (page messages read / sent)."""
    cols = ", ".join(
        f"""count(*) FILTER (WHERE {ELAPSED.format(days=n)} AND {CAME_BACK.format(days=n)})
            / nullif(count(*) FILTER (WHERE {ELAPSED.format(days=n)}), 0) AS d{n}"""
        for n in RETURN_DAYS
    )
    return frame(
        con,
        f"""SELECT c.channel, count(*) AS contacts, {cols},
                   sum(c.page_messages_read) / nullif(sum(c.page_message_count), 0) AS read_rate
            FROM {CONTACTS_TO_DATE} c
            WHERE {IN_RANGE}
            GROUP BY c.channel ORDER BY contacts DESC, c.channel""",
        with_today(f),
    )
