"""The pieces the dashboard's queries share: the filters as SQL, and "had time to come back".

queries.py and the other *_queries.py modules build their statements from these, with
bound parameters only ($start, $end, $pages, $channels).
"""

from __future__ import annotations

import datetime as dt

import duckdb
import pandas as pd

from dashboard.filters import Filters
from ingest.attribute import USER_KINDS

MIN_SAMPLE = 30  # below this many contacts a rate is marked "too few to judge"

# Contacts acquired in the range, on the chosen pages and channels (alias c).
IN_RANGE = """
    c.first_seen_at >= $start AND c.first_seen_at < $end + INTERVAL 1 DAY
    AND (len($pages) = 0 OR list_contains($pages, c.page_id))
    AND (len($channels) = 0 OR list_contains($channels, c.channel))
"""
PAGES = "(len($pages) = 0 OR list_contains($pages, {t}.page_id))"
# Figures of one channel (ad spend, the ads and comments pages) are empty when the channel
# filter leaves that channel out.
CHANNEL_CHOSEN = "(len($channels) = 0 OR list_contains($channels, '{channel}'))"


# The instant the range ends, for the messaging window: midnight after its last day, or just
# after the newest event when the data ends sooner.
UNTIL = "(SELECT least($end + INTERVAL 1 DAY, max(ts) + INTERVAL 1 MICROSECOND) FROM events)"
# Contacts (alias c) of the chosen pages and channels, whenever acquired, with an own action in
# the 24 hours before UNTIL (the window then open): their actions then, not their last ever, as
# a range may end in the past.
REACHABLE = f"""c.last_seen_at >= {UNTIL} - INTERVAL 24 HOUR
    AND EXISTS (SELECT 1 FROM events e
                WHERE e.page_id = c.page_id AND e.psid = c.psid AND e.kind IN {USER_KINDS!r}
                  AND e.ts >= {UNTIL} - INTERVAL 24 HOUR AND e.ts < {UNTIL})
    AND {PAGES.format(t="c")}
    AND (len($channels) = 0 OR list_contains($channels, c.channel))"""


def per_channel(also: str = "true") -> str:
    """SQL of the range's figures per channel (channel, new_contacts, engaged, engaged_rate,
    reentries: re-entry touches in the range through the channel), of the contacts and touches
    that also meet `also`, a condition on {t} (c for contacts, t for touches). No ORDER BY."""
    return f"""WITH a AS (
        SELECT c.channel, count(*) AS new_contacts, count(c.second_message_at) AS engaged
        FROM contacts c WHERE {IN_RANGE} AND {also.format(t="c")}
        GROUP BY c.channel
    ), r AS (
        SELECT t.channel, count(*) AS reentries
        FROM touches t
        WHERE t.is_reentry AND t.ts >= $start AND t.ts < $end + INTERVAL 1 DAY
          AND {PAGES.format(t="t")}
          AND (len($channels) = 0 OR list_contains($channels, t.channel))
          AND {also.format(t="t")}
        GROUP BY t.channel
    )
    SELECT channel, coalesce(a.new_contacts, 0) AS new_contacts,
           coalesce(a.engaged, 0) AS engaged, a.engaged / a.new_contacts AS engaged_rate,
           coalesce(r.reentries, 0) AS reentries
    FROM a FULL JOIN r USING (channel)"""


# The data's first day, as the KPIs count it: after a prune, the prune's date.
FIRST_DAY = """(SELECT CAST(greatest(least(min(e.ts), (SELECT min(first_seen_at) FROM contacts)),
                                 (SELECT max(before) FROM prunes)) AS DATE) FROM events e)"""


# The days the pulled ad insights cover: those the pulls asked for (Meta leaves out a day with no
# delivery), else (insights stored without a pull) the days they hold.
SPEND_DAYS = """(SELECT least(min(p.since), (SELECT min(date) FROM ad_insights)) AS first_day,
                        greatest(max(p.until), (SELECT max(date) FROM ad_insights)) AS last_day
                 FROM ad_pulls p)"""
# Days from $start to $end between the first and the last pulled day that no pull asked for and
# no insight row holds: a gap between two pulls, whose spend is not counted. Each ad account is
# pulled on its own, so also a day after an account's first pulled day, up to the last day any
# pull asked for, that neither its pulls nor its rows hold (its pulls stopped short of the
# others'). Insights stored without any pull (by hand, or by a refscope that kept no `ad_pulls`)
# tell no gap from a day Meta left out for no delivery: none then.
SPEND_MISSING = f"""(
    SELECT CAST(t.d AS DATE) AS day
    FROM range(CAST($start AS TIMESTAMP), CAST($end AS TIMESTAMP) + INTERVAL 1 DAY,
               INTERVAL 1 DAY) t(d), {SPEND_DAYS} s
    WHERE CAST(t.d AS DATE) BETWEEN s.first_day AND s.last_day
      AND EXISTS (SELECT 1 FROM ad_pulls)
      AND ((NOT EXISTS (SELECT 1 FROM ad_pulls p
                        WHERE CAST(t.d AS DATE) BETWEEN p.since AND p.until)
            AND NOT EXISTS (SELECT 1 FROM ad_insights a WHERE a.date = CAST(t.d AS DATE)))
           OR EXISTS (
               SELECT 1 FROM (SELECT account_id, min(since) AS first_day FROM ad_pulls
                              GROUP BY account_id) f
               WHERE CAST(t.d AS DATE) >= f.first_day
                 AND CAST(t.d AS DATE) <= (SELECT max(until) FROM ad_pulls)
                 AND NOT EXISTS (SELECT 1 FROM ad_pulls p WHERE p.account_id = f.account_id
                                   AND CAST(t.d AS DATE) BETWEEN p.since AND p.until)
                 -- A row that names no account (an insights file without account_id) may
                 -- be any account's.
                 AND NOT EXISTS (SELECT 1 FROM ad_insights a
                                 WHERE (a.account_id = f.account_id OR a.account_id IS NULL)
                                   AND a.date = CAST(t.d AS DATE)))))"""


# An ad's name as it is now, per ad_id: an ad renamed between days (its headline in the
# referrals, its name in the insights) goes by its latest, as Ads Manager shows it for any range,
# not by whichever sorts last. An empty title (an ad without a headline) is none.
AD_TITLES = """(SELECT ad_id, arg_max(nullif(ad_title, ''), first_seen_at) AS title
                 FROM contacts WHERE ad_id IS NOT NULL GROUP BY ad_id)"""
AD_NAMES = """(SELECT ad_id, arg_max(nullif(ad_name, ''), struct_pack(d := date, p := pulled_at))
                   AS title
               FROM ad_insights GROUP BY ad_id)"""
# The name each ad goes by on every page (the Ads page's rows and chart, the Contacts page's Ad
# picker): its latest headline, else its latest name in the insights, whatever the range.
AD_NAMED = f"""(SELECT ad_id, coalesce(t.title, n.title) AS title
                FROM {AD_TITLES} t FULL JOIN {AD_NAMES} n USING (ad_id))"""


# Whether the filters count some ad's spend: the ads' channel chosen and, with pages chosen, an
# ad with insights seen on their touches.
ADS_COUNTED = f"""{CHANNEL_CHOSEN.format(channel="ctm_ad")}
    AND (len($pages) = 0 OR EXISTS (SELECT 1 FROM touches t WHERE {PAGES.format(t="t")}
                                      AND t.ad_id IN (SELECT ad_id FROM ad_insights)))"""


# Whether the range holds pulled days ($start – $end) of the ads' channel and, with pages chosen,
# of ads seen on their touches: Meta leaves out a day without delivery, so such a range's days
# without an insight row spent nothing, and its spend is 0, not "no data". A range outside the
# pulled days, of days no pull asked for alone (a gap between two pulls: SPEND_MISSING), without
# the ads' channel, or of pages none of whose ads have insights has none.
SPEND_PULLED = f"""(
    SELECT coalesce($start <= last_day AND $end >= first_day
                    AND least($end, last_day) - greatest($start, first_day) + 1
                        > (SELECT count(*) FROM {SPEND_MISSING}), false)
           AND {ADS_COUNTED} AS pulled
    FROM {SPEND_DAYS})"""


def utc_today() -> dt.date:
    """Today (UTC), given to the queries as $today: the app's cache keeps an answer per day, so a
    dashboard left open overnight moves on at 00:00 UTC without waiting for an ingest."""
    return dt.datetime.now(dt.UTC).date()


def with_today(f: Filters) -> dict[str, object]:
    """The filters' parameters and $today (utc_today), for statements that tell a whole day."""
    return f.params() | {"today": utc_today()}


# The data's last day that is over: the newest event's, unless that is today (UTC, $today),
# whose evening is still to come (a dashboard opened at 07:00), as a report's newest whole day.
DATA_END = """(SELECT least(CAST(max(ts) AS DATE), CAST($today AS DATE) - 1) FROM events)"""
# Contacts with the data's last day (`data_end`) beside them, for ELAPSED.
CONTACTS_TO_DATE = f"""(SELECT *, {DATA_END} AS data_end FROM contacts)"""
# A contact's first N days after the day it was acquired have all passed by the data's last day
# (`data_end`): only then can "came back within N days" be told from "not yet".
ELAPSED = "CAST(c.first_seen_at AS DATE) + {days} <= c.data_end"


# The contact (alias c) messaged again within N days after the day it was acquired.
CAME_BACK = """EXISTS (
    SELECT 1 FROM contact_days d WHERE d.page_id = c.page_id AND d.psid = c.psid
      AND d.day > CAST(c.first_seen_at AS DATE)
      AND d.day <= CAST(c.first_seen_at AS DATE) + {days})"""


def frame(
    con: duckdb.DuckDBPyConnection, sql: str, f: Filters | dict[str, object] | None = None
) -> pd.DataFrame:
    return con.execute(sql, f.params() if isinstance(f, Filters) else f).df()
