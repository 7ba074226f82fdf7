"""The period report's parts: its columns, KPIs, sections and the report itself, with how a
range and its filters are written; report_data fills them, the writers print them."""

from __future__ import annotations

import datetime as dt
import shlex
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
import plotly.graph_objects as go

from dashboard import charts
from dashboard.chart_style import REPORT_TEMPLATE
from dashboard.filters import Filters
from dashboard.rounding import cents as cents
from dashboard.rounding import difference
from dashboard.rounding import half_up as half_up
from dashboard.rounding import money_text as money_text
from dashboard.rounding import pct_text as pct_text
from ingest.wording import counted


@dataclass(frozen=True)
class Column:
    """A table column as shown: name in the frame, header label, kind (text, int, float, pct,
    money, date, datetime, bool) deciding its number format."""

    name: str
    label: str
    kind: str = "text"

    @property
    def numeric(self) -> bool:
        """A number, which the HTML and PDF reports set right-aligned."""
        return self.kind in ("int", "float", "money", "pct")


# What an empty section had none of is said with the period and filters (in_period); a section
# built alone says "in this range".
IN_RANGE = "in this range"


# What a KPI counts, as queries.kpis computes it (the help beside it on the Overview).
KPI_DEFINITIONS = {
    "reachable": "Contacts of the chosen pages and channels, whenever acquired (by the channel "
    "they came in through), with a message, postback, referral, optin or reaction of their own "
    "in the 24 hours before the range ends: midnight UTC after its last day, or the newest "
    "event when the data ends sooner. Meta's 24-hour standard messaging window was open for "
    "them then. A comment, a read receipt or the page's own message does not count.",
    "spend": "Spend of the pulled ad insights on the range's days, each day as the ad "
    "account's time zone counts it (contacts are counted by UTC day); with pages chosen, of the "
    "ads seen on their contacts' touches. A pulled day without an insight row spent 0; none "
    "when the channel filter leaves out Click-to-Messenger ads.",
    "cost_per_contact": "Ad spend divided by the new contacts Click-to-Messenger ads brought in "
    "(channel ctm_ad, acquired in the range by UTC day), not by every channel's new contacts.",
}


def unpulled_note(label: str, counts: pd.DataFrame, cost: float | None) -> str:
    """ "Cost per ad contact: 12 of 340 ad contacts came through 2 ads …": what to say beside
    the cost per ad contact (its label, cost its figure) when some of the ad contacts it divides
    the spend by came through ads that no pulled insights name (queries.unpulled_ad_contacts'
    row): their cost is not in the spend, so the figure is too low. "" when none did, or when
    the figure is none ("—": no spend known, which the spend's notes say)."""
    n = 0 if counts.empty else int(counts["unpulled"].iloc[0])
    if not n or cost is None:
        return ""
    of, ads = (int(counts[c].iloc[0]) for c in ("ad_contacts", "unpulled_ads"))
    return (f"{label}: {n:,} of {counted(of, 'ad contact')} came through "
            f"{counted(ads, 'ad')} that no pulled ad insights name (ad account not pulled?): "
            "their cost is not in the ad spend, so the figure is too low.")  # fmt: skip


# How refless_note names the contacts of a link channel that came through no ref.
_THROUGH = {"m_me_link": "m.me links", "qr_code": "QR codes"}


def refless_note(refless: pd.DataFrame, channels: tuple[str, ...] = tuple(_THROUGH)) -> str:
    """ "2 new contacts and 1 re-entry came through m.me links without a ref …": what Links & QR
    codes and the report's Top refs and QR placements say of the contacts and re-entries of
    channels that no ref's row counts (queries.refless' rows), while the channel totals do.
    "" when there are none."""
    said = []
    rows = refless[refless["channel"].isin(channels)]
    for channel, added, back in zip(rows["channel"], rows["new_contacts"], rows["reentries"],
                                    strict=True):  # fmt: skip
        bits = [counted(int(n), noun, plural) for n, noun, plural in
                ((added, "new contact", None), (back, "re-entry", "re-entries")) if n]  # fmt: skip
        if bits:
            said.append(f"{' and '.join(bits)} came through {_THROUGH[channel]} without a ref")
    if not said:
        return ""
    return (f"{'; '.join(said)} (m.me/<page> with no ?ref=, or a legacy Messenger code): the "
            "channel totals count them, no ref's row does.")  # fmt: skip


# The KPIs the events count (those of queries.kpis its whole leaves out), which a range ending
# after the newest event has in part: Kpi.compared is False for them.
EVENT_KPIS = ("new_contacts", "engaged", "engaged_rate", "reachable", "cost_per_contact")
SPEND_KPIS = ("spend", "cost_per_contact")  # compared only when the pulled insights cover it all
SPEND_NOT_COMPARED = ("Ad spend: the pulled ad insights cover this range only in part (see "
                      "Ads), so it shows no change (—) against the previous period.")  # fmt: skip
NOT_COMPARED = ("its contact figures and cost per ad contact show no change (—) against the "
                "previous period, a whole one.")  # fmt: skip
# A database no ingest has loaded: no range of it has data, whatever its dates.
NO_EVENTS = ("the database holds no events yet, so no range has data; run `refscope ingest` "
             "on the logs first.")  # fmt: skip


def no_events(lake: Path | None) -> str:
    """NO_EVENTS, of the lake read instead of a database (`report --lake`) when there is one:
    `ingest --lake` fills it, a bare `ingest` the database alone."""
    if lake is None:
        return NO_EVENTS
    return (f"the lake {lake} holds no events yet, so no range has data; run `refscope ingest "
            f"--lake {shlex.quote(str(lake))}` on the logs first.")  # fmt: skip


@dataclass(frozen=True)
class Kpi:
    key: str
    label: str
    kind: str
    value: float | None
    previous: float | None
    # False for a figure of a range that ends after the newest event (EVENT_KPIS; SPEND_KPIS
    # too when the pulled insights miss days of it): the days covered against a whole previous
    # period would read as a fall (the change is "—").
    compared: bool = True

    @property
    def change(self) -> float | None:
        """Difference to the previous period (percentage points for rates), of the values as
        stored: 855.49 after 728.71 is 126.78, not the doubles' 126.77999999999997."""
        if self.value is None or self.previous is None or not self.compared:
            return None
        return difference(self.value, self.previous)

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
    # Free text the XLSX and HTML reports print after columns, whole; the PDF's table (columns
    # only) has no room for it.
    extra_columns: tuple[Column, ...] = ()

    @property
    def empty(self) -> bool:
        return bool(self.table.empty)

    @property
    def all_columns(self) -> tuple[Column, ...]:
        """columns, then extra_columns: those of the XLSX and HTML reports."""
        return self.columns + self.extra_columns


@dataclass(frozen=True)
class Report:
    filters: Filters
    kpis: tuple[Kpi, ...]
    sections: tuple[Section, ...]
    generated_at: dt.datetime = field(default_factory=lambda: dt.datetime.now(dt.UTC))
    page_labels: dict[str, str] = field(default_factory=dict)  # page id -> name, as page_list
    data_start: dt.date | None = None  # the first day of data (data_bounds), None without any
    data_end: dt.date | None = None  # the day of the newest event (data_bounds)
    # The KPIs whose previous figure the data does not cover (queries.kpis' not_covered): the
    # previous period starts before the data, or (spend) before or between the pulled days.
    not_covered: tuple[str, ...] = ()
    # Beside the cost per ad contact: some ad contacts came through ads no pulled insights name.
    unpulled_note: str = ""
    lake: Path | None = None  # the Parquet lake read instead of a database (`report --lake`)

    @property
    def pages(self) -> str:
        """The chosen pages by name, each with its id ("all" for none), as the tables name them."""
        return pages_named(self.filters, self.page_labels)

    @property
    def channels(self) -> str:
        """The chosen channels by name ("all" for none)."""
        return channels_named(self.filters)

    @property
    def scope(self) -> str:
        return scope_named(self.filters, self.page_labels)

    @property
    def previous(self) -> Filters:
        return self.filters.previous()

    @property
    def has_data(self) -> bool:
        return any(not s.empty for s in self.sections) or any(
            bool(k.value) for k in self.kpis if k.key in ("new_contacts", "spend")
        )

    @property
    def no_events(self) -> bool:
        """Whether the data holds no event at all (a database no ingest has loaded yet)."""
        return self.data_end is None

    @property
    def no_data_message(self) -> str:
        if self.no_events:
            return f"No data for {period(self.filters)} ({self.scope}): {no_events(self.lake)}"
        return (
            f"No data for {period(self.filters)} ({self.scope}): no new contacts, "
            "comments or ad spend in this range."
        )

    @property
    def data_note(self) -> str:
        """ "The data starts on …" of a range that starts before the data's first day, "The data
        ends on …" of one that ends after its newest event: those days, which the daily table
        lists with 0 new contacts, have no data ("" for a range inside the data or past it); the
        latter's EVENT_KPIS have no change (Kpi.compared)."""
        f, first, last = self.filters, self.data_start, self.data_end
        if self.no_events and self.has_data:  # ad spend alone: its contact figures are no data
            return f"No contact figures: {no_events(self.lake)}"
        notes = []
        if first is not None and f.start < first <= f.end:
            before = counted((first - f.start).days, "day")
            notes.append(f"The data starts on {first} (its first log): the {before} of this "
                         "range before it have no data, not zero contacts.")  # fmt: skip
        if last is not None and f.start <= last < f.end:
            after = counted((f.end - last).days, "day")
            notes.append(f"The data ends on {last} (its newest event): the {after} of this "
                         f"range after it have no data yet, so {NOT_COMPARED}")  # fmt: skip
        return " ".join(notes)

    @property
    def kpi_notes(self) -> list[str]:
        """ "Cost per ad contact: Ad spend divided by …": what the KPIs that need it count, as
        every report format prints it below the key figures; first, the data_note of a range
        that starts before the data or ends after it, and SPEND_NOT_COMPARED; last, the
        unpulled_note beside the cost per ad contact."""
        notes = [f"{k.label}: {KPI_DEFINITIONS[k.key]}" for k in self.kpis
                 if k.key in KPI_DEFINITIONS]  # fmt: skip
        if any(k.key == "spend" and not k.compared for k in self.kpis):
            notes.insert(0, SPEND_NOT_COMPARED)
        first = [n for n in (self.data_note, self.previous_note) if n]
        return [*first, *notes, *filter(None, [self.unpulled_note])]

    @property
    def previous_note(self) -> str:
        """Why KPIs have no previous figure ("—"), as the Overview's "previous period not fully
        covered" says it: the previous period starts before the data's first day, or (ad spend)
        not all its days were pulled. "" when every previous figure is covered."""
        labels = [k.label for k in self.kpis if k.key in self.not_covered]
        if not labels:
            return ""
        p, first = self.previous, self.data_start
        why = []
        if first is not None and p.start < first:
            why.append(f"starts before the data's first day ({first})")
        if "spend" in self.not_covered:
            why.append("holds days without pulled ad insights")
        because = f" {' and '.join(why)}," if why else ","
        listed = ", ".join(labels[:-1]) + " and " + labels[-1] if len(labels) > 1 else labels[0]
        return (
            f"Previous period not fully covered: {period(p)}{because} so {listed} have no "
            "figure there to compare with (—)."
        )

    def section(self, key: str) -> Section:
        return next(s for s in self.sections if s.key == key)


def pages_named(f: Filters, labels: dict[str, str]) -> str:
    """The chosen pages by name (labels: page id -> name), each with its id ("all" for none)."""
    named = ((labels.get(p, p), p) for p in f.pages)
    # A label already naming its id (pages of one name, page_list) is not given it twice.
    return ", ".join(n if n == p or n.endswith(f" ({p})") else f"{n} ({p})"
                     for n, p in named) or "all"  # fmt: skip


def channels_named(f: Filters) -> str:
    """The chosen channels by name ("all" for none)."""
    return ", ".join(map(charts.channel_label, f.channels)) or "all"


def scope_named(f: Filters, labels: dict[str, str]) -> str:
    """ "pages: Acme Bakery (1122…), channels: QR code": the filters as the reports name them."""
    return f"pages: {pages_named(f, labels)}, channels: {channels_named(f)}"


def in_period(f: Filters, labels: dict[str, str]) -> str:
    """ "in 2026-11-01 – 2026-11-28 (pages: all, channels: all)": the period and filters an
    empty report section had nothing in, the same words in every report format."""
    return f"in {period(f)} ({scope_named(f, labels)})"


def period(f: Filters) -> str:
    return f"{f.start} – {f.end}"


def length(f: Filters) -> str:
    """The range's length: "1 day", "28 days"."""
    return "1 day" if f.days == 1 else f"{f.days:,} days"


def scope(f: Filters, labels: dict[str, str] | None = None) -> str:
    """ "pages: Acme Bakery (1122…), channels: qr_code": the filters as a download's header
    names them, a page by its name and id where labels (page id -> name, as page_list) name it,
    channels by their codes."""
    channels = ", ".join(f.channels) if f.channels else "all"
    return f"pages: {pages_named(f, labels or {})}, channels: {channels}"


UNKNOWN_POST = "(unknown post)"  # queries.comments' row of each page's replies of no known post


def posts_note(comments: pd.DataFrame) -> str:
    """ "Over 3 posts." of the comment funnel: only real posts count, not a page's row of the
    replies and conversations whose post is not known (it was counted as a post), which is
    said apart, as the Comments page lists it. comments: queries.comments' rows."""
    unknown = pd.Series(False, index=comments.index)
    if "post_id" in comments:
        unknown = comments["post_id"].isna() | (comments["post_id"] == UNKNOWN_POST)
    note = f"Over {counted(int((~unknown).sum()), 'post')}."
    stages = (("comments", "comment", None),
              ("private_replies", "private reply", "private replies"),
              ("conversations", "conversation", None))  # fmt: skip
    held = [counted(n, noun, plural) for col, noun, plural in stages
            for n in [int(comments.loc[unknown, col].sum())] if n]  # fmt: skip
    if held:
        listed = ", ".join(held[:-1]) + " and " + held[-1] if len(held) > 1 else held[0]
        note += f" Of no known post: {listed} ({UNKNOWN_POST} on the Comments page)."
    return note


def untitled(fig: go.Figure) -> go.Figure:
    """The section heading names the chart; a second title would only repeat it. Its template
    is the report's whichever process draws it (REPORT_TEMPLATE)."""
    return fig.update_layout(title_text="", margin_t=20, template=REPORT_TEMPLATE)
