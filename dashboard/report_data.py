"""What a period report holds: KPIs against the previous period and one section per question.

Built from queries.py through a `fetch(name, *args)` callable (the app's cache or a plain
connection), so the same Report feeds the PDF, XLSX and HTML writers. No Streamlit, no I/O.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import duckdb
import pandas as pd
import plotly.graph_objects as go

from dashboard import charts, queries
from dashboard.filters import Filters, spend_gap
from ingest.wording import counted

Fetch = Callable[..., pd.DataFrame]
TOP_REFS = 20  # a printed page holds about this many rows at the report's font size
TOP_ADS = 20
# (column of queries.kpis, label, kind): the Overview page's KPI row.
KPI_SPECS = (
    ("new_contacts", "New contacts", "int"),
    ("engaged", "Engaged contacts", "int"),
    ("engaged_rate", "Engaged rate", "pct"),
    ("reachable", "Reachable at the end (24 h)", "int"),
    ("spend", "Ad spend", "money"),
    ("cost_per_contact", "Cost per ad contact", "money"),
)


@dataclass(frozen=True)
class Column:
    """A table column as shown: name in the frame, header label, kind (text, int, float, pct,
    money, date, datetime, bool) deciding its number format."""

    name: str
    label: str
    kind: str = "text"


@dataclass(frozen=True)
class Kpi:
    key: str
    label: str
    kind: str
    value: float | None
    previous: float | None

    @property
    def change(self) -> float | None:
        """Difference to the previous period (percentage points for rates)."""
        if self.value is None or self.previous is None:
            return None
        return self.value - self.previous

    @property
    def relative(self) -> float | None:
        """Change as a share of the previous value; None for rates and from zero."""
        if self.change is None or self.kind == "pct" or not self.previous:
            return None
        return self.change / self.previous


@dataclass(frozen=True)
class Section:
    key: str  # stable id: HTML anchors, chart ids
    title: str  # heading and XLSX sheet name (at most 31 characters)
    table: pd.DataFrame
    columns: tuple[Column, ...]
    figure: go.Figure | None = None
    note: str = ""
    empty_note: str = "No data in this range."

    @property
    def empty(self) -> bool:
        return bool(self.table.empty)


@dataclass(frozen=True)
class Report:
    filters: Filters
    kpis: tuple[Kpi, ...]
    sections: tuple[Section, ...]
    generated_at: dt.datetime = field(default_factory=lambda: dt.datetime.now(dt.UTC))
    page_labels: dict[str, str] = field(default_factory=dict)  # page id -> name, as page_list

    @property
    def pages(self) -> str:
        """The chosen pages by name, each with its id ("all" for none), as the tables name them."""
        named = ((self.page_labels.get(p, p), p) for p in self.filters.pages)
        return ", ".join(n if n == p else f"{n} ({p})" for n, p in named) or "all"

    @property
    def channels(self) -> str:
        """The chosen channels by name ("all" for none)."""
        return ", ".join(map(charts.channel_label, self.filters.channels)) or "all"

    @property
    def scope(self) -> str:
        return f"pages: {self.pages}, channels: {self.channels}"

    @property
    def previous(self) -> Filters:
        return self.filters.previous()

    @property
    def has_data(self) -> bool:
        return any(not s.empty for s in self.sections) or any(
            bool(k.value) for k in self.kpis if k.key in ("new_contacts", "spend")
        )

    @property
    def no_data_message(self) -> str:
        return (
            f"No data for {period(self.filters)} ({self.scope}): no new contacts, "
            "comments or ad spend in this range."
        )

    def section(self, key: str) -> Section:
        return next(s for s in self.sections if s.key == key)


def period(f: Filters) -> str:
    return f"{f.start} – {f.end}"


def length(f: Filters) -> str:
    """The range's length: "1 day", "28 days"."""
    return "1 day" if f.days == 1 else f"{f.days:,} days"


def scope(f: Filters) -> str:
    pages = ", ".join(f.pages) if f.pages else "all"
    channels = ", ".join(f.channels) if f.channels else "all"
    return f"pages: {pages}, channels: {channels}"


def connection_fetch(con: duckdb.DuckDBPyConnection) -> Fetch:
    """A fetch that runs queries.<name>(con, *args) directly (the CLI's; the app caches)."""
    queries.install_macros(con)

    def fetch(name: str, *args: Any) -> pd.DataFrame:
        fn: Fetch = getattr(queries, name)
        return fn(con, *args)

    return fetch


def gather(fetch: Fetch, f: Filters) -> Report:
    """Run every query the report needs for the range and its previous period."""
    now, before = fetch("kpis", f), fetch("kpis", f.previous(), True)
    kpis = tuple(
        Kpi(key, label, kind, _scalar(now, key), _scalar(before, key))
        for key, label, kind in KPI_SPECS
    )
    pages = fetch("page_list")
    refs = queries.with_page_labels(fetch("refs", f), pages)
    ads, days, missing = fetch("ads", f), fetch("spend_days"), fetch("spend_missing", f)
    first, last = day_cell(days, "first_day"), day_cell(days, "last_day")
    gap = spend_gap(f, first, last, day_list(missing, "day"))
    comments = fetch("comments", f)
    sections = (
        _daily(fetch("new_contacts_by_day", f), f),
        _channels(fetch("channel_totals", f)),
        _refs(refs),
        _placements(refs),
        _ads(ads, gap),
        _funnel(comments),
        _retention(fetch("returns_by_channel", f)),
    )
    labels = dict(zip(pages["page_id"], pages["label"], strict=True))
    return Report(f, kpis, sections, page_labels=labels)


def _untitled(fig: go.Figure) -> go.Figure:
    """The section heading names the chart; a second title would only repeat it."""
    return fig.update_layout(title_text="", margin_t=20)


def day_cell(df: pd.DataFrame, name: str) -> dt.date | None:
    """The first row's value of a date column as a date (None when there is none)."""
    v = None if df.empty else df[name].iloc[0]
    return None if v is None or pd.isna(v) else pd.Timestamp(v).date()


def day_list(df: pd.DataFrame, name: str) -> list[dt.date]:
    """A date column's values as dates."""
    return [pd.Timestamp(v).date() for v in df[name]]


def _scalar(df: pd.DataFrame, name: str) -> float | None:
    if df.empty or pd.isna(df[name].iloc[0]):
        return None
    return float(df[name].iloc[0])


def _daily(df: pd.DataFrame, f: Filters) -> Section:
    """Every day of the range (zero when quiet), a column per channel, and the total."""
    columns = [Column("day", "Day", "date")]
    if df.empty:
        return Section("daily", "New contacts per day", df, tuple(columns))
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


def _channels(df: pd.DataFrame) -> Section:
    table = df.assign(label=df["channel"].map(charts.channel_label))
    columns = (
        Column("label", "Channel"),
        Column("new_contacts", "New contacts", "int"),
        Column("engaged", "Engaged", "int"),
        Column("engaged_rate", "Engaged rate", "pct"),
        Column("reentries", "Re-entries", "int"),
    )
    figure = _untitled(charts.channel_mix_pie(df)) if not df.empty else None
    return Section("channels", "Channels", table, columns, figure)


def _refs(df: pd.DataFrame) -> Section:
    """Input: queries.refs with a `page` label column."""
    top = df.head(TOP_REFS).assign(label=df["channel"].map(charts.channel_label))
    columns = (
        Column("ref", "Ref"),
        Column("page", "Page"),
        Column("label", "Channel"),
        Column("campaign", "Campaign"),
        Column("placement", "Placement"),
        Column("new_contacts", "New contacts", "int"),
        Column("engaged", "Engaged", "int"),
        Column("engaged_rate", "Engaged rate", "pct"),
        Column("reentries", "Re-entries", "int"),
        Column("clicks", "Clicks", "int"),
        Column("scans", "Scans", "int"),
    )
    note = f"Top {len(top)} of {len(df)} refs by new contacts." if len(df) > len(top) else ""
    figure = _untitled(charts.refs_bar(df, top=TOP_REFS)) if not df.empty else None
    return Section("refs", "Top refs", top, columns, figure, note,
                   "No m.me link or QR code referrals in this range.")  # fmt: skip


def _placements(refs: pd.DataFrame) -> Section:
    """QR code refs summed per placement; a ref not registered with one stands for itself.
    Codes counts each page's ref apart: two pages' flyers may share a ref."""
    qr = refs[refs["channel"] == "qr_code"]
    columns = (
        Column("placement", "Placement"),
        Column("refs", "Codes", "int"),
        Column("new_contacts", "New contacts", "int"),
        Column("engaged", "Engaged", "int"),
        Column("engaged_rate", "Engaged rate", "pct"),
        Column("scans", "Scans", "int"),
    )
    if qr.empty:
        table = pd.DataFrame(columns=[c.name for c in columns])
        return Section("placements", "QR placements", table, columns,
                       empty_note="No QR code contacts in this range.")  # fmt: skip
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
    return Section("placements", "QR placements", table.reset_index(drop=True), columns,
                   note="Unregistered QR refs are listed under the ref.")  # fmt: skip


def _ads(df: pd.DataFrame, gap: str = "") -> Section:
    """Per ad; gap says when the ad insights cover the range only in part."""
    top = df.head(TOP_ADS)
    columns = (
        Column("ad_title", "Ad"),
        Column("ad_id", "Ad id"),
        Column("new_contacts", "New contacts", "int"),
        Column("engaged", "Engaged", "int"),
        Column("spend", "Spend", "money"),
        Column("cost_per_contact", "Cost per contact", "money"),
        Column("cost_per_engaged", "Cost per engaged", "money"),
        Column("conversations_started", "Meta: conversations", "int"),
    )
    figure = None
    if not df.empty:
        spent = bool((df["spend"] > 0).any())  # an ad that spent with no contact is charted too
        figure = _untitled(charts.ads_cost_bar(df) if spent else charts.ads_contacts_bar(top))
    unspent = not df.empty and df["spend"].isna().all()
    notes = [gap or ("No ad spend loaded for this range." if unspent else "")]
    if len(df) > len(top):  # the rest, spent ads without contacts among them, are not listed
        left = df.iloc[len(top) :]
        # Without a spend row the rest spent nothing known: "spent 0.00" would claim it.
        spent_rest = (f"spent {left['spend'].sum():,.2f}" if left["spend"].notna().any()
                      else "have no spend loaded")  # fmt: skip
        notes.append(f"Top {len(top)} of {len(df)} ads by new contacts; the other "
                     f"{len(left)} {spent_rest}.")  # fmt: skip
    note = " ".join(n for n in notes if n)
    return Section("ads", "Ads", top, columns, figure, note,
                   "No Click-to-Messenger contacts or ad spend in this range.")  # fmt: skip


def _funnel(comments: pd.DataFrame) -> Section:
    columns = (
        Column("stage", "Stage"),
        Column("count", "Count", "int"),
        Column("share", "Share of comments", "pct"),
    )
    totals = [int(comments[c].sum()) for c in ("comments", "private_replies", "conversations")]
    if comments.empty or not any(totals):
        table = pd.DataFrame(columns=[c.name for c in columns])
        return Section("funnel", "Comment funnel", table, columns,
                       empty_note="No comments or private replies in this range.")  # fmt: skip
    stages = ("Comments received", "Private replies sent", "Conversations opened")
    table = pd.DataFrame({"stage": stages, "count": totals})
    table["share"] = [n / totals[0] if totals[0] else math.nan for n in totals]
    return Section("funnel", "Comment funnel", table, columns,
                   _untitled(charts.comments_funnel(comments)),
                   note=f"Over {counted(len(comments), 'post')}.")  # fmt: skip


def _retention(df: pd.DataFrame) -> Section:
    table = df.assign(label=df["channel"].map(charts.channel_label))
    columns = (
        Column("label", "Channel"),
        Column("contacts", "Contacts", "int"),
        Column("d1", "Back within 1 day", "pct"),
        Column("d7", "Back within 7 days", "pct"),
        Column("d30", "Back within 30 days", "pct"),
        Column("read_rate", "Read rate", "pct"),
    )
    figure = _untitled(charts.returns_bar(df)) if not df.empty else None
    note = ("Share of each channel's new contacts who messaged again within N days, among "
            "those whose N days had passed when the data ends.")  # fmt: skip
    return Section("retention", "Retention by channel", table, columns, figure, note)


def format_value(value: Any, kind: str) -> str:
    """A cell as text for the HTML and PDF reports ("—" for a missing value)."""
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return "—"
    if kind == "int":
        return f"{float(value):,.0f}"
    if kind in ("float", "money"):
        return f"{float(value):,.2f}"
    if kind == "pct":
        return f"{float(value):.1%}"
    if kind == "date":
        return str(pd.Timestamp(value).date().isoformat())
    if kind == "datetime":
        return str(pd.Timestamp(value).strftime("%Y-%m-%d %H:%M"))
    if kind == "bool":
        return "yes" if value else "no"
    return str(value)


def kpi_table(report: Report) -> pd.DataFrame:
    """The KPIs as text, as the report prints them."""
    return pd.DataFrame(
        {
            "Metric": [k.label for k in report.kpis],
            "This period": [format_value(k.value, k.kind) for k in report.kpis],
            "Previous period": [format_value(k.previous, k.kind) for k in report.kpis],
            "Change": [format_change(k) for k in report.kpis],
        }
    )


def format_change(k: Kpi) -> str:
    """The change against the previous period: "+12 (+8.0%)", "+3.1 pts", or "—"."""
    if k.change is None:
        return "—"
    if k.kind == "pct":
        return f"{k.change * 100:+.1f} pts"
    text = f"{k.change:+,.2f}" if k.kind == "money" else f"{k.change:+,.0f}"
    return text + (f" ({k.relative:+.1%})" if k.relative is not None else "")
