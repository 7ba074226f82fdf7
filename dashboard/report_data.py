"""What a period report holds: KPIs against the previous period and one section per question.

Built from queries.py through a `fetch(name, *args)` callable (the app's cache or a plain
connection), so the same Report (its parts in report_model, its texts in report_text, its Ads
section in report_ads) feeds the PDF, XLSX and HTML writers. No Streamlit, no I/O.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd

from dashboard import charts, queries, report_model
from dashboard.filters import Filters, spend_gap
from dashboard.report_ads import TOP_ADS as TOP_ADS
from dashboard.report_ads import ads_section as _ads
from dashboard.report_model import EVENT_KPIS, IN_RANGE, SPEND_KPIS, in_period, posts_note
from dashboard.report_model import Column as Column
from dashboard.report_model import Kpi as Kpi
from dashboard.report_model import Report as Report
from dashboard.report_model import Section as Section
from dashboard.report_model import length as length
from dashboard.report_model import period as period
from dashboard.report_model import scope as scope
from dashboard.report_model import untitled as _untitled
from dashboard.report_text import format_change as format_change
from dashboard.report_text import format_value as format_value
from dashboard.report_text import kpi_frame as kpi_frame
from dashboard.report_text import kpi_table as kpi_table
from dashboard.report_text import kpi_texts as kpi_texts

Fetch = Callable[..., pd.DataFrame]
TOP_REFS = 20  # a printed page holds about this many rows at the report's font size
# (column of queries.kpis, label, kind): the Overview page's KPI row (money labels name the
# spend's currency when one is known: kpi_specs).
KPI_SPECS = (
    ("new_contacts", "New contacts", "int"),
    ("engaged", "Engaged contacts", "int"),
    ("engaged_rate", "Engaged rate", "pct"),
    ("reachable", "Reachable at the end (24 h)", "int"),
    ("spend", "Ad spend", "money"),
    ("cost_per_contact", "Cost per ad contact", "money"),
)
# The Overview's table and the report's section of the products contacts came through.
PRODUCTS = "New contacts per product"
PRODUCTS_NOTE = ("The product named by the referral that brought each contact: a Shops product "
                 "page it messaged from (channel Other) or the product a Click-to-Messenger ad "
                 "showed.")  # fmt: skip
# The sections about some channels only, and what they are called in a note.
SECTION_CHANNELS = {"refs": (("m_me_link", "qr_code"), "m.me links and QR codes"),
                    "placements": (("qr_code",), "QR codes"),
                    "ads": (("ctm_ad",), "Click-to-Messenger ads"),
                    "funnel": (("comment_reply",), "comment replies")}  # fmt: skip
# The columns of the contacts a channel, ref or placement brought, as each section counts them.
CONTACTS = (Column("new_contacts", "New contacts", "int"), Column("engaged", "Engaged", "int"),
            Column("engaged_rate", "Engaged rate", "pct"))  # fmt: skip


def currency_code(df: pd.DataFrame) -> str:
    """The currency queries.spend_currency names ("" when none is known)."""
    v = None if df.empty else df["currency"].iloc[0]
    return "" if v is None or pd.isna(v) else str(v)


def kpi_specs(currency: str = "") -> list[tuple[str, str, str]]:
    """KPI_SPECS with each money label naming the currency ("Ad spend (USD)"), as they were
    when none is known."""
    return [(key, charts.in_currency(label, currency) if kind == "money" else label, kind)
            for key, label, kind in KPI_SPECS]  # fmt: skip


def connection_fetch(con: duckdb.DuckDBPyConnection) -> Fetch:
    """A fetch that runs queries.<name>(con, *args) directly (the CLI's; the app caches)."""
    queries.install_macros(con)

    def fetch(name: str, *args: Any) -> pd.DataFrame:
        fn: Fetch = getattr(queries, name)
        return fn(con, *args)

    return fetch


def gather(fetch: Fetch, f: Filters, lake: Path | None = None) -> Report:
    """Run every query the report needs for the range and its previous period (lake: the
    Parquet lake fetch reads instead of a database)."""
    now, before = fetch("kpis", f), fetch("kpis", f.previous(), True)
    currency = currency_code(fetch("spend_currency"))
    pages = fetch("page_list")
    refs = queries.with_page_labels(fetch("refs", f), pages)
    ads, days, missing = fetch("ads", f), fetch("spend_days"), fetch("spend_missing", f)
    first, last = day_cell(days, "first_day"), day_cell(days, "last_day")
    # The pulled days' spend counts as 0 where the KPIs' does (SPEND_PULLED): with pages chosen,
    # only when the insights know an ad of theirs.
    pulled = _scalar(now, "spend") is not None
    gap = spend_gap(f, first, last, day_list(missing, "day"), pulled)
    bounds = fetch("data_bounds")  # where the range reaches past the data (Report.data_note)
    data_end = day_cell(bounds, "last_day")
    ends_after = data_end is not None and f.start <= data_end < f.end  # as data_note says it
    # A range that ends after the data: a figure of the days it covers (the events; spend, the
    # pulled insights) has no change against a whole previous period, as none against one
    # covered in part. (The dashboard's filters stay inside the data: its KPIs never are such.)
    in_part = {*EVENT_KPIS, *(SPEND_KPIS if gap else ())} if ends_after else set()
    kpis = tuple(Kpi(key, label, kind, _scalar(now, key), _scalar(before, key),
                     compared=key not in in_part)
                 for key, label, kind in kpi_specs(currency))  # fmt: skip
    cost = next(k for k in kpis if k.key == "cost_per_contact")  # its note: unpulled_note
    unpulled = report_model.unpulled_note(cost.label, fetch("unpulled_ad_contacts", f), cost.value)
    comments = fetch("comments", f)
    labels = dict(zip(pages["page_id"], pages["label"], strict=True))
    when = in_period(f, labels)  # what an empty section had none of is said with it
    products = fetch("products", f)  # a section only when some contact came through one
    refless = fetch("refless", f)  # link contacts no ref's row counts: said below both sections
    sections = (
        _daily(fetch("new_contacts_by_day", f), f, when),
        _channels(fetch("channel_totals", f), when),
        *(() if products.empty else (_products(products),)),
        _refs(refs, when, report_model.refless_note(refless)),
        _placements(refs, when, report_model.refless_note(refless, ("qr_code",))),
        _ads(ads, gap, currency, pulled, when, unpulled),
        _funnel(comments, when),
        _retention(fetch("returns_by_channel", f), when),
    )
    return Report(
        f,
        kpis,
        tuple(_left_out(s, f) for s in sections),
        page_labels=labels,
        data_start=day_cell(bounds, "first_day"),
        data_end=data_end,
        not_covered=not_covered(before),
        unpulled_note=unpulled,
        lake=lake,
    )


def not_covered(before: pd.DataFrame) -> tuple[str, ...]:
    """The figures a previous period's queries.kpis (with whole) names in its not_covered
    column: those the data covers only in part, whose "—" says so (none without the column)."""
    return tuple(n for n in _text(before, "not_covered").split(",") if n)


def _left_out(s: Section, f: Filters) -> Section:
    """An empty section whose channels the channel filter leaves out says so: "none in this
    range" would deny the comments or ad spend the range had."""
    channels, name = SECTION_CHANNELS.get(s.key, ((), ""))
    if not (s.empty and channels and f.channels) or set(channels) & set(f.channels):
        return s
    chosen = ", ".join(map(charts.channel_label, f.channels))
    return replace(s, empty_note=f"The channel filter ({chosen}) leaves out {name}: none of "
                   "their figures are in this report.")  # fmt: skip


def day_cell(df: pd.DataFrame, name: str) -> dt.date | None:
    """The first row's value of a date column as a date (None when there is none)."""
    v = None if df.empty else df[name].iloc[0]
    return None if v is None or pd.isna(v) else pd.Timestamp(v).date()


def day_list(df: pd.DataFrame, name: str) -> list[dt.date]:
    """A date column's values as dates."""
    return [pd.Timestamp(v).date() for v in df[name]]


def _text(df: pd.DataFrame, name: str) -> str:
    """The first row's text in column name ("" without one)."""
    v = None if df.empty or name not in df else df[name].iloc[0]
    return "" if v is None or pd.isna(v) else str(v)


def _scalar(df: pd.DataFrame, name: str) -> float | None:
    if df.empty or pd.isna(df[name].iloc[0]):
        return None
    return float(df[name].iloc[0])


def _daily(df: pd.DataFrame, f: Filters, when: str = IN_RANGE) -> Section:
    """Every day of the range (zero when quiet), a column per channel, and the total."""
    columns = [Column("day", "Day", "date")]
    if df.empty:
        return Section("daily", "New contacts per day", df, tuple(columns),
                       empty_note=f"No new contacts {when}.")  # fmt: skip
    wide = df.pivot_table(index="day", columns="channel", values="contacts", aggfunc="sum")
    days = pd.date_range(f.start, f.end, freq="D", name="day")
    wide = wide.reindex(days, fill_value=0).fillna(0).astype("int64")
    order = [c for c in charts.CHANNEL_COLORS if c in wide.columns]
    order += sorted(c for c in wide.columns if c not in order)
    table = wide[order].reset_index()
    table.columns = ["day", *order]
    table["total"] = table[order].sum(axis=1)
    columns += [Column(c, charts.channel_label(c), "int") for c in order]
    columns.append(Column("total", "Total", "int"))
    return Section(
        "daily", "New contacts per day", table, tuple(columns),
        _untitled(charts.new_contacts_by_day_bar(df, f.start, f.end)),
    )  # fmt: skip


NO_NEW_CONTACTS = ("No new contacts in this range: the channels listed are those contacts "
                   "came back through (re-entries).")  # fmt: skip


def _per_channel(df: pd.DataFrame, *columns: Column) -> tuple[pd.DataFrame, tuple[Column, ...]]:
    """A section's table of a row per channel, and its columns: the channel, named as the
    dashboard names it, then columns."""
    table = df.assign(label=df["channel"].map(charts.channel_label))
    return table, (Column("label", "Channel"), *columns)


def _channels(df: pd.DataFrame, when: str = IN_RANGE) -> Section:
    table, columns = _per_channel(df, *CONTACTS, Column("reentries", "Re-entries", "int"))
    if df.empty:
        return Section("channels", "Channels", table, columns,
                       empty_note=f"No new contacts or re-entries {when}.")  # fmt: skip
    if df["new_contacts"].sum() > 0:
        figure = _untitled(charts.channel_mix_pie(df))
        return Section("channels", "Channels", table, columns, figure)
    # Contacts only came back: a mix of no new contact is a blank donut, which says nothing.
    return Section("channels", "Channels", table, columns, note=NO_NEW_CONTACTS)


def _products(df: pd.DataFrame) -> Section:
    """queries.products, as the Overview shows it: per product id and channel."""
    table, columns = _per_channel(df, *CONTACTS)
    return Section("products", PRODUCTS, table, (Column("product_id", "Product id"), *columns),
                   note=PRODUCTS_NOTE)  # fmt: skip


def _refs(df: pd.DataFrame, when: str = IN_RANGE, refless: str = "") -> Section:
    """Input: queries.refs with a `page` label column; refless: what came through no ref
    (report_model.refless_note), said below the table or after the empty note."""
    top = df.head(TOP_REFS).assign(label=df["channel"].map(charts.channel_label))
    columns = (
        Column("ref", "Ref"),
        Column("page", "Page"),
        Column("label", "Channel"),
        Column("campaign", "Campaign"),
        Column("placement", "Placement"),
        *CONTACTS,
        Column("reentries", "Re-entries", "int"),
        Column("clicks", "Clicks", "int"),
        Column("scans", "Scans", "int"),
    )
    note = f"Top {len(top)} of {len(df)} refs by new contacts." if len(df) > len(top) else ""
    note = " ".join(n for n in (note, refless) if n)
    figure = _untitled(charts.refs_bar(df, top=TOP_REFS)) if not df.empty else None
    # A manager's flyer or window is told by its link's notes: whole in the XLSX and HTML.
    return Section("refs", "Top refs", top, columns, figure, note,
                   " ".join(n for n in (f"No m.me link or QR code referrals {when}.", refless)
                            if n),
                   extra_columns=(Column("notes", "Notes"),))  # fmt: skip


def _placements(refs: pd.DataFrame, when: str = IN_RANGE, refless: str = "") -> Section:
    """QR code refs summed per placement; a ref not registered with one stands for itself.
    Codes counts each page's ref apart: two pages' flyers may share a ref. refless: the QR code
    contacts that came through no ref (report_model.refless_note), said as _refs says it."""
    qr = refs[refs["channel"] == "qr_code"]
    columns = (
        Column("placement", "Placement"),
        Column("refs", "Codes", "int"),
        *CONTACTS,
        Column("scans", "Scans", "int"),
    )
    if qr.empty:
        table = pd.DataFrame(columns=[c.name for c in columns])
        empty = (f"No QR code contacts through a ref {when}. {refless}" if refless
                 else f"No QR code contacts {when}.")  # fmt: skip
        return Section("placements", "QR placements", table, columns, empty_note=empty)
    key = qr["placement"].where(qr["placement"].notna(), qr["ref"])
    table = (
        qr.assign(placement=key)
        .groupby("placement", as_index=False)
        .agg(
            refs=("ref", "size"),  # rows are (page, ref): one code each
            new_contacts=("new_contacts", "sum"),
            engaged=("engaged", "sum"),
            scans=("scans", "sum"),
        )
        .sort_values(["new_contacts", "placement"], ascending=[False, True])
    )
    table["engaged_rate"] = table["engaged"] / table["new_contacts"].where(
        table["new_contacts"] > 0
    )
    note = ("A QR ref without a placement (not registered, or registered without one) is "
            "listed under the ref." if qr["placement"].isna().any() else "")  # fmt: skip
    note = " ".join(n for n in (note, refless) if n)
    return Section("placements", "QR placements", table.reset_index(drop=True), columns,
                   note=note)  # fmt: skip


def _funnel(comments: pd.DataFrame, when: str = IN_RANGE) -> Section:
    columns = (
        Column("stage", "Stage"),
        Column("count", "Count", "int"),
        Column("share", "Share of comments", "pct"),
    )
    totals = [int(comments[c].sum()) for c in ("comments", "private_replies", "conversations")]
    if comments.empty or not any(totals):
        table = pd.DataFrame(columns=[c.name for c in columns])
        return Section("funnel", "Comment funnel", table, columns,
                       empty_note=f"No comments or private replies {when}.")  # fmt: skip
    stages = ("Comments received", "Private replies sent", "Conversations opened")
    table = pd.DataFrame({"stage": stages, "count": totals})
    table["share"] = [n / totals[0] if totals[0] else math.nan for n in totals]
    return Section("funnel", "Comment funnel", table, columns,
                   _untitled(charts.comments_funnel(comments)),
                   note=posts_note(comments))  # fmt: skip


def _retention(df: pd.DataFrame, when: str = IN_RANGE) -> Section:
    table, columns = _per_channel(
        df,
        Column("contacts", "Contacts", "int"),
        Column("d1", "Back within 1 day", "pct"),
        Column("d7", "Back within 7 days", "pct"),
        Column("d30", "Back within 30 days", "pct"),
        Column("read_rate", "Read rate", "pct"),
    )
    figure = _untitled(charts.returns_bar(df)) if not df.empty else None
    note = ("Share of each channel's new contacts who messaged again within N days, among "
            "those whose N days had passed when the data ends.")  # fmt: skip
    return Section("retention", "Retention by channel", table, columns, figure, note,
                   f"No new contacts {when}.")  # fmt: skip
