"""The figures of each place a manager reads them, in one shape (agreement_setup.Figures):
the dashboard's query frames and their CSV downloads, the period report's model and its XLSX,
and the README's definitions written as SQL by hand."""

from __future__ import annotations

import io
from typing import Any

import duckdb
import openpyxl
import pandas as pd

from dashboard import charts, queries, reports
from dashboard.filters import Filters
from dashboard.report_data import connection_fetch, gather
from tests.dashboard.agreement_setup import KPI_KEYS, P1, Figures


def num(v: Any) -> float | None:
    """A figure as a comparable number: None for a missing one, floats to 9 decimals."""
    if v is None or (not isinstance(v, str) and pd.isna(v)):
        return None
    return round(float(v), 9)


def nums(values: Any) -> tuple[float | None, ...]:
    return tuple(num(v) for v in values)


def normalised(figures: Figures) -> Figures:
    """Every number of figures as num() makes it, so that 1 and 1.0 compare equal."""
    out: Figures = {}
    for key, value in figures.items():
        if isinstance(value, dict):
            out[key] = {k: nums(v) if isinstance(v, tuple) else num(v) for k, v in value.items()}
        else:
            out[key] = tuple(nums(v) if isinstance(v, tuple) else num(v) for v in value)
    return out


def from_frames(frames: dict[str, pd.DataFrame]) -> Figures:
    """The figures of the dashboard's tables (the queries' frames, or their downloads)."""
    k, prev = frames["kpis"].iloc[0], frames["kpis_before"].iloc[0]
    refs, ads = frames["refs"], frames["ads"]
    qr = refs[refs["channel"] == "qr_code"]
    return {
        "kpis": (tuple(k[c] for c in KPI_KEYS), tuple(prev[c] for c in KPI_KEYS)),
        "channels": {r.channel: (r.new_contacts, r.engaged, r.reentries)
                     for r in frames["channel_totals"].itertuples()},
        "daily": {(pd.Timestamp(r.day).date(), r.channel): r.contacts
                  for r in frames["new_contacts_by_day"].itertuples()},
        "refs": {(str(r.page_id), r.ref): (r.new_contacts, r.engaged, r.reentries, r.clicks,
                                           r.scans) for r in refs.itertuples()},
        # The dashboard has no placements table: Links & QR codes' rows summed by placement.
        "placements": {p: (len(g), g["new_contacts"].sum(), g["engaged"].sum(),
                           g["scans"].sum()) for p, g in qr.groupby("placement")},
        "ads": {str(r.ad_id): (r.new_contacts, r.engaged, r.spend, r.cost_per_contact,
                               r.conversations_started) for r in ads.itertuples()},
        "funnel": tuple(frames["comments"][c].sum()
                        for c in ("comments", "private_replies", "conversations")),
        "retention": {r.channel: (r.contacts, r.d1, r.d7, r.d30)
                      for r in frames["returns_by_channel"].itertuples()},
    }  # fmt: skip


TABLES = ("channel_totals", "new_contacts_by_day", "refs", "ads", "comments",
          "returns_by_channel")  # fmt: skip


def query_frames(con: duckdb.DuckDBPyConnection, f: Filters) -> dict[str, pd.DataFrame]:
    frames = {name: getattr(queries, name)(con, f) for name in TABLES}
    frames["kpis"] = queries.kpis(con, f)
    frames["kpis_before"] = queries.kpis(con, f.previous(), True)
    return frames


def downloaded(
    frames: dict[str, pd.DataFrame], f: Filters, fmt: str = "csv"
) -> dict[str, pd.DataFrame]:
    """Each table as its download (CSV, XLSX or Parquet) reads back; a CSV as the README says
    to read it, its ids as text."""
    ids = {"page_id": str, "page": str, "psid": str, "ad_id": str, "post_id": str, "ref": str}
    out = {}
    for name, df in frames.items():
        data = io.BytesIO(reports.table_bytes(fmt, df, name, f))
        if fmt == "csv":
            out[name] = pd.read_csv(data, skiprows=1, dtype=ids)
        elif fmt == "xlsx":
            out[name] = pd.read_excel(data, sheet_name=name, dtype=ids)
        else:
            out[name] = pd.read_parquet(data)
    return out


LABELS = {v: k for k, v in charts.CHANNEL_LABELS.items()}


def sheet(book: openpyxl.Workbook, name: str) -> list[dict[str, Any]]:
    """A section sheet's rows by its header labels (none for the note of an empty one)."""
    values = list(book[name].iter_rows(values_only=True))
    return [
        dict(zip(values[0], r, strict=True))
        for r in values[1:]
        if any(v is not None for v in r[1:])
    ]


def from_workbook(book: openpyxl.Workbook) -> Figures:
    """The figures of an XLSX period report, by its sheets' header labels."""
    summary = list(book["Summary"].iter_rows(values_only=True))
    head = next(i for i, r in enumerate(summary) if r[0] == "Metric")
    kpi = {r[0]: (r[1], r[2]) for r in summary[head + 1 : head + 7]}
    labels = ("New contacts", "Engaged contacts", "Engaged rate",
              "Reachable at the end (24 h)", "Ad spend", "Cost per ad contact")  # fmt: skip
    daily = {}
    for r in sheet(book, "New contacts per day"):
        for label, n in r.items():
            if label not in ("Day", "Total") and n:
                daily[(pd.Timestamp(r["Day"]).date(), LABELS[label])] = n
    page_ids = {"Acme Bakery": P1}
    return {
        "kpis": (tuple(kpi[x][0] for x in labels), tuple(kpi[x][1] for x in labels)),
        "channels": {LABELS[r["Channel"]]: (r["New contacts"], r["Engaged"], r["Re-entries"])
                     for r in sheet(book, "Channels")},
        "daily": daily,
        "refs": {(page_ids[r["Page"]], r["Ref"]): (r["New contacts"], r["Engaged"],
                 r["Re-entries"], r["Clicks"], r["Scans"]) for r in sheet(book, "Top refs")},
        "placements": {r["Placement"]: (r["Codes"], r["New contacts"], r["Engaged"],
                       r["Scans"]) for r in sheet(book, "QR placements")},
        "ads": {r["Ad id"]: (r["New contacts"], r["Engaged"], r["Spend"],
                             r["Cost per contact"], r["Meta: conversations"])
                for r in sheet(book, "Ads")},
        "funnel": tuple(r["Count"] for r in sheet(book, "Comment funnel")) or (0, 0, 0),
        "retention": {LABELS[r["Channel"]]: (r["Contacts"], r["Back within 1 day"],
                      r["Back within 7 days"], r["Back within 30 days"])
                      for r in sheet(book, "Retention by channel")},
    }  # fmt: skip


def from_report(con: duckdb.DuckDBPyConnection, f: Filters) -> Figures:
    """The figures of the period report's model, which the PDF, XLSX and HTML print."""
    report = gather(connection_fetch(con), f)
    kpis = {k.key: (k.value, k.previous) for k in report.kpis}
    s = {x.key: x.table for x in report.sections}
    daily = {}
    for r in s["daily"].to_dict("records"):
        for c, n in r.items():
            if c not in ("day", "total") and n:
                daily[(pd.Timestamp(r["day"]).date(), c)] = n
    funnel = s["funnel"]
    return {
        "kpis": (tuple(kpis[c][0] for c in KPI_KEYS), tuple(kpis[c][1] for c in KPI_KEYS)),
        "channels": {r.channel: (r.new_contacts, r.engaged, r.reentries)
                     for r in s["channels"].itertuples()},
        "daily": daily,
        "refs": {(r.page_id, r.ref): (r.new_contacts, r.engaged, r.reentries, r.clicks, r.scans)
                 for r in s["refs"].itertuples()},
        "placements": {r.placement: (r.refs, r.new_contacts, r.engaged, r.scans)
                       for r in s["placements"].itertuples()},
        "ads": {r.ad_id: (r.new_contacts, r.engaged, r.spend, r.cost_per_contact,
                          r.conversations_started) for r in s["ads"].itertuples()},
        "funnel": tuple(funnel["count"]) if not funnel.empty else (0, 0, 0),
        "retention": {r.channel: (r.contacts, r.d1, r.d7, r.d30)
                      for r in s["retention"].itertuples()},
    }  # fmt: skip


# The README's definitions ("Reports and downloads", "The SQL contract"), as an analyst would
# write them on the tables: $start and $end are the range's days, $pages and $channels the
# filters (empty: all).
SCOPE = """(len($pages) = 0 OR list_contains($pages, page_id))
           AND (len($channels) = 0 OR list_contains($channels, channel))"""
NEW = f"first_seen_at >= $start AND first_seen_at < $end + INTERVAL 1 DAY AND {SCOPE}"
REENTRY = f"is_reentry AND ts >= $start AND ts < $end + INTERVAL 1 DAY AND {SCOPE}"
ADS_CHOSEN = "(len($channels) = 0 OR list_contains($channels, 'ctm_ad'))"
PAGE_ADS = """(len($pages) = 0 OR ad_id IN (SELECT ad_id FROM touches
                                            WHERE list_contains($pages, page_id)))"""
BY_HAND = {
    "kpis": f"""SELECT (SELECT count(*) FROM contacts WHERE {NEW}),
                       (SELECT count(second_message_at) FROM contacts WHERE {NEW}),
                       (SELECT count(second_message_at) / nullif(count(*), 0)
                        FROM contacts WHERE {NEW}),
                       (SELECT count(*) FROM contacts WHERE {SCOPE} AND (page_id, psid) IN (
                            SELECT (page_id, psid) FROM events
                            WHERE kind IN ('message', 'postback', 'referral', 'optin',
                                           'reaction')
                              AND ts >= $end + INTERVAL 1 DAY - INTERVAL 24 HOUR
                              AND ts < $end + INTERVAL 1 DAY)),
                       (SELECT sum(spend) FROM ad_insights
                        WHERE date BETWEEN $start AND $end AND {ADS_CHOSEN} AND {PAGE_ADS}),
                       (SELECT sum(spend) FROM ad_insights
                        WHERE date BETWEEN $start AND $end AND {ADS_CHOSEN} AND {PAGE_ADS})
                       / nullif((SELECT count(*) FROM contacts
                                 WHERE {NEW} AND channel = 'ctm_ad'), 0)""",
    "channels": f"""SELECT channel, coalesce(n.new, 0), coalesce(n.engaged, 0),
                           coalesce(r.reentries, 0)
                    FROM (SELECT channel, count(*) AS new, count(second_message_at) AS engaged
                          FROM contacts WHERE {NEW} GROUP BY channel) n
                    FULL JOIN (SELECT channel, count(*) AS reentries FROM touches
                               WHERE {REENTRY} GROUP BY channel) r USING (channel)""",
    "daily": f"""SELECT CAST(first_seen_at AS DATE), channel, count(*) FROM contacts
                 WHERE {NEW} GROUP BY ALL""",
    "refs": f"""WITH x AS (
                    SELECT page_id, ref, coalesce(n.new, 0) AS new,
                           coalesce(n.engaged, 0) AS engaged, coalesce(r.reentries, 0) AS re
                    FROM (SELECT page_id, ref, count(*) AS new,
                                 count(second_message_at) AS engaged
                          FROM contacts WHERE {NEW} AND channel IN ('m_me_link', 'qr_code')
                          GROUP BY ALL) n
                    FULL JOIN (SELECT page_id, ref, count(*) AS reentries FROM touches
                               WHERE {REENTRY} AND channel IN ('m_me_link', 'qr_code')
                               GROUP BY ALL) r USING (page_id, ref)
                ), k AS (
                    -- Clicks of the range, by the page id of the link they came through.
                    SELECT k.ref, coalesce(p.page_id, l.page) AS page_id, k.qr
                    FROM clicks k JOIN tracked_links l USING (ref, page)
                    LEFT JOIN pages p ON p.username = l.page
                    WHERE k.device IS DISTINCT FROM 'bot'
                      AND k.ts >= $start AND k.ts < $end + INTERVAL 1 DAY
                )
                SELECT x.page_id, x.ref, new, engaged, re, count(k.ref),
                       count(k.ref) FILTER (WHERE k.qr)
                FROM x LEFT JOIN k USING (page_id, ref) GROUP BY ALL""",
    "placements": f"""SELECT l.placement, count(DISTINCT (c.page_id, c.ref)), count(*),
                             count(c.second_message_at),
                             (SELECT count(*) FROM clicks k WHERE k.qr AND k.ref = l.ref
                                AND k.page = l.page AND k.device IS DISTINCT FROM 'bot'
                                AND k.ts >= $start AND k.ts < $end + INTERVAL 1 DAY)
                      FROM (SELECT * FROM contacts WHERE {NEW} AND channel = 'qr_code') c
                      JOIN pages p USING (page_id)
                      JOIN tracked_links l ON l.ref = c.ref AND l.page = p.username
                      GROUP BY l.placement, l.ref, l.page""",
    "ads": f"""SELECT ad_id, coalesce(n.new, 0), coalesce(n.engaged, 0), s.spend,
                      s.spend / nullif(n.new, 0), s.conversations
               FROM (SELECT ad_id, count(*) AS new, count(second_message_at) AS engaged
                     FROM contacts WHERE {NEW} AND channel = 'ctm_ad' GROUP BY ad_id) n
               FULL JOIN (SELECT ad_id, sum(spend) AS spend,
                                 sum(conversations_started) AS conversations
                          FROM ad_insights WHERE date BETWEEN $start AND $end AND {PAGE_ADS}
                          GROUP BY ad_id) s USING (ad_id)
               WHERE {ADS_CHOSEN}""",
    "funnel": f"""SELECT (SELECT count(*) FROM events WHERE kind = 'comment' AND detail = 'add'
                            AND commenter_id IS DISTINCT FROM page_id
                            AND ts >= $start AND ts < $end + INTERVAL 1 DAY
                            AND (len($pages) = 0 OR list_contains($pages, page_id))),
                         (SELECT count(*) FROM replies_sent
                          WHERE ts >= $start AND ts < $end + INTERVAL 1 DAY
                            AND (len($pages) = 0 OR list_contains($pages, page_id))),
                         (SELECT count(*) FROM contacts
                          WHERE {NEW} AND channel = 'comment_reply')
                  WHERE len($channels) = 0 OR list_contains($channels, 'comment_reply')""",
    # Among those whose N days had passed when the data ends (its last event's day).
    "retention": f"""SELECT channel, count(*),
                            {", ".join(f'''count(*) FILTER (WHERE back{n})
                                / nullif(count(*) FILTER (WHERE past{n}), 0)'''
                                       for n in (1, 7, 30))}
                     FROM (SELECT c.channel, {", ".join(f'''
                               CAST(c.first_seen_at AS DATE) + {n}
                                   <= (SELECT CAST(max(ts) AS DATE) FROM events) AS past{n},
                               EXISTS (SELECT 1 FROM contact_days d
                                       WHERE (d.page_id, d.psid) = (c.page_id, c.psid)
                                         AND d.day > CAST(c.first_seen_at AS DATE)
                                         AND d.day <= CAST(c.first_seen_at AS DATE) + {n})
                                   AS back{n}''' for n in (1, 7, 30))}
                           FROM contacts c WHERE {NEW})
                     GROUP BY channel""",
}  # fmt: skip


def compared(con: duckdb.DuckDBPyConnection, f: Filters, kpis: tuple[Any, ...]) -> tuple:
    """A previous period's KPIs as the README has them: one that starts before the data (its
    first log, or a prune's date) has no contact figures ("—"), nor a cost per ad contact."""
    first = con.execute("""SELECT greatest(CAST(min(ts) AS DATE), (SELECT max(before)
                                                                  FROM prunes)) FROM events""")
    row = first.fetchone()
    if row and f.start < row[0]:
        return (None, None, None, None, kpis[4], None)
    return kpis


def by_hand(con: duckdb.DuckDBPyConnection, f: Filters) -> Figures:
    def rows(name: str, g: Filters) -> list[tuple[Any, ...]]:
        return con.execute(BY_HAND[name], g.params()).fetchall()

    return {
        "kpis": (rows("kpis", f)[0], compared(con, f.previous(), rows("kpis", f.previous())[0])),
        "channels": {r[0]: r[1:] for r in rows("channels", f)},
        "daily": {(r[0], r[1]): r[2] for r in rows("daily", f)},
        "refs": {r[:2]: r[2:] for r in rows("refs", f)},
        "placements": {r[0]: r[1:] for r in rows("placements", f)},
        "ads": {r[0]: r[1:] for r in rows("ads", f)},
        "funnel": (rows("funnel", f) or [(0, 0, 0)])[0],
        "retention": {r[0]: r[1:] for r in rows("retention", f)},
    }  # fmt: skip
