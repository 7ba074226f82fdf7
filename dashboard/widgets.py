"""Reusable Streamlit widgets: global filters kept in the URL, KPI rows, the empty state."""

from __future__ import annotations

import datetime as dt
import inspect
import shlex
from functools import partial
from typing import Any

import pandas as pd
import streamlit as st
from streamlit.runtime.state.query_params_proxy import QueryParamsProxy

from dashboard import charts, queries, reports, store
from dashboard.filters import Filters, spend_gap
from dashboard.report_data import day_cell, day_list
from ingest import demo_catalog
from ingest.attribute import CHANNELS

PRESETS = ("Last 7 days", "Last 28 days", "Last 90 days", "Month to date", "Previous month",
           "Custom")  # fmt: skip
DEFAULT_PRESET = "Last 28 days"


def preset_range(preset: str, last: dt.date) -> tuple[dt.date, dt.date]:
    """The inclusive range a preset means when the newest data is on `last`."""
    if preset.startswith("Last "):
        days = int(preset.split()[1])
        return last - dt.timedelta(days=days - 1), last
    if preset == "Month to date":
        return last.replace(day=1), last
    if preset == "Previous month":
        end = last.replace(day=1) - dt.timedelta(days=1)
        return end.replace(day=1), end
    raise ValueError(preset)


def database_busy() -> None:
    """Another process (an ingest, prune, forget) held the file for longer than the app waits."""
    st.warning(
        f"{store.database_path()} is being written by another process (an ingest, `prune`, "
        f"`forget`...) and did not come free within {store.READ_RETRY_SECONDS:g} s: reload the "
        "page in a moment."
    )


def writer_busy(run_id: int) -> None:
    """Another process is writing the file: the views show what its last finished run left."""
    st.info(
        f"{store.database_path()} is being written by another process (an ingest, `prune`, "
        f"`forget`...): showing the data as of ingest run {run_id} until it finishes. Views "
        "not opened before wait for it.",
        icon="⏳",
    )


def empty_state(message: str) -> None:
    """An empty database: what to run next."""
    st.info(message)
    db = shlex.quote(str(store.database_path()))
    # As `make demo` and the README: without the demo's links its QR contacts are m.me links,
    # and without its pages' names every chart and filter shows page ids.
    pages = "".join(
        f"refscope pages set {page} --username {user} --name {shlex.quote(name)} --db {db}\n"
        for page, user, name in demo_catalog.PAGES
    )
    st.code(
        f"refscope demo-data --out data/demo\n"
        f"{pages}"
        f"refscope links import data/demo/tracked-links.csv --db {db}\n"
        f"refscope ingest data/demo --db {db}\n"
        f"refscope dashboard --db {db}",
        language="bash",
    )


def nothing_in_range(
    message: str, f: Filters | None = None, channels: tuple[str, ...] = (), also: str = ""
) -> None:
    """The database has data, the filters select none of it: say which to change. channels are
    those the page is about (a channel filter that leaves them all out is the one to clear);
    also names the page's own filters (a search, pickers)."""
    if f is not None and channels and f.channels and not set(channels) & set(f.channels):
        names = " and ".join(charts.channel_label(c) for c in channels)
        hint = f"The channel filter leaves out {names}: add it in the sidebar or clear the filter."
    else:
        own = f"{also} and " if also else ""
        hint = f"Widen the date range or clear {own}the page and channel filters."
    st.info(f"{message} {hint}")


def no_website_chat(f: Filters) -> None:
    """No chat plugin contact in the range: the filters, or a range (or all the data) after Meta
    switched the plugin off, when widening the range cannot help unless the data reaches back."""
    shutdown = queries.CHAT_PLUGIN_SHUTDOWN
    message = "No website chat contacts in this range."
    first = day_cell(store.fetch("data_bounds"), "first_day")
    if f.start <= shutdown or first is None or (f.channels and "chat_widget" not in f.channels):
        nothing_in_range(message, f, ("chat_widget",))
    elif first <= shutdown:
        st.info(f"{message} Widen it to days before {shutdown}, when Meta shut the chat plugin "
                f"down (the data starts on {first}).")  # fmt: skip
    else:
        st.info(f"{message} Widening it will not help: the data starts on {first}, after Meta "
                f"shut the chat plugin down on {shutdown}.")  # fmt: skip


def global_filters() -> Filters | None:
    """Sidebar filters, read from and written to the URL query string; None if no data.

    The widgets have fixed keys and are seeded from the URL only when they have no state yet:
    a widget whose index or default changed would be a new widget to Streamlit, and the pick
    that changed it would be dropped.
    """
    bounds = store.fetch("data_bounds")
    if bounds.empty or int(bounds["contacts"].iloc[0]) == 0:
        return None
    first, last, whole = (day_cell(bounds, c) for c in ("first_day", "last_day", "whole_day"))
    if first is None or last is None or whole is None:  # contacts without events: none to show
        return None
    pages = store.fetch("page_list")
    labels = dict(zip(pages["page_id"], pages["label"], strict=True))
    _seed_from_url(first, last, labels)
    preset = st.sidebar.selectbox("Date range", PRESETS, key=_RANGE_KEY)
    asked = None  # a preset's days, when a prune cut them (what a rolling report asks for)
    if preset == "Custom":
        picked = st.sidebar.date_input("From – to", min_value=first, max_value=last,
                                       key=_DATES_KEY)  # fmt: skip
        if isinstance(picked, tuple) and len(picked) == 2:
            start, end = picked
        else:  # one end picked so far: keep the last whole range, which the URL holds
            qp = st.query_params
            start, end = _date(qp.get("from"), first), _date(qp.get("to"), last)
    else:
        start, end = preset_range(preset, whole)  # Custom reaches today's events
        if bool(bounds["pruned"].iloc[0]) and start < first <= end:
            # Before a prune only the contacts still active after it are left: no whole days.
            asked, start = (end - start).days + 1, first
        # Custom, when picked next, starts from the range on screen (inside the data, as the
        # picker requires), not from whatever it held when first drawn.
        low = min(max(start, first), last)
        st.session_state[_DATES_KEY] = (low, min(max(end, low), last))
    chosen_pages = st.sidebar.multiselect("Pages", list(labels), format_func=lambda p: labels[p],
                                          key=_PAGES_KEY)  # fmt: skip
    chosen_channels = st.sidebar.multiselect("Channels", CHANNELS, key=_CHANNELS_KEY,
                                             format_func=charts.channel_label)  # fmt: skip
    chosen = {"range": preset, "from": str(start), "to": str(end), "page": chosen_pages,
              "channel": chosen_channels}  # fmt: skip
    st.query_params.from_dict(chosen)
    st.session_state[_KEPT_FILTERS] = chosen
    pruned = " (pruned before)" if bool(bounds["pruned"].iloc[0]) else ""
    st.sidebar.caption(f"Data from {first}{pruned} to {last}. Days and times are UTC.")
    return Filters(start, end, tuple(chosen_pages), tuple(chosen_channels), asked)


_FILTER_KEYS = ("range", "from", "to", "page", "channel")
_KEPT_FILTERS = "rs_kept_filters"
_RANGE_KEY, _DATES_KEY = "rs_filter_range", "rs_filter_dates"
_PAGES_KEY, _CHANNELS_KEY = "rs_filter_pages", "rs_filter_channels"


def _seed_from_url(first: dt.date, last: dt.date, labels: dict[str, str]) -> None:
    """Give each filter widget without state its value from the URL (or from this session's
    last choice: Streamlit drops the query string on a switch of page)."""
    qp = _filter_params()
    state = st.session_state
    if _RANGE_KEY not in state:
        # A link with dates but no preset (hand-made, or cut short) means those dates.
        dated = "range" not in qp and ("from" in qp or "to" in qp)
        preset = qp.get("range", "Custom" if dated else DEFAULT_PRESET)
        state[_RANGE_KEY] = preset if preset in PRESETS else DEFAULT_PRESET
        params = {k: qp.get_all(k) for k in _FILTER_KEYS}
        ignored = url_problems(params, first, last, labels, custom=preset == "Custom")
        if ignored:  # said once, when the link is opened: the sidebar then shows what is used
            st.sidebar.warning("Part of this link could not be used: " + "; ".join(ignored) + ".")
    if _DATES_KEY not in state:
        # A shared URL may hold dates outside this database's data: the picker refuses those.
        # Dates the wrong way round are taken the right way round (url_problems says so).
        start, end = sorted((_date(qp.get("from"), first), _date(qp.get("to"), last)))
        start = min(max(start, first), last)
        end = min(max(end, start), last)
        state[_DATES_KEY] = (start, end)
    if _PAGES_KEY not in state:
        state[_PAGES_KEY] = [p for p in qp.get_all("page") if p in labels]
    if _CHANNELS_KEY not in state:
        state[_CHANNELS_KEY] = [c for c in qp.get_all("channel") if c in CHANNELS]


def url_problems(
    params: dict[str, list[str]],
    first: dt.date,
    last: dt.date,
    labels: dict[str, str],
    *,
    custom: bool,
) -> list[str]:
    """What a link's filters hold that the dashboard cannot show, each with what it shows
    instead (the data runs from first to last; labels are the known pages). Its dates count
    only in a custom range: a preset's are worked out again from the data."""
    out = []
    for preset in params.get("range", [])[:1]:
        if preset not in PRESETS:
            out.append(f"range {preset!r} is not one of {', '.join(PRESETS)} "
                       f"({DEFAULT_PRESET} is shown)")  # fmt: skip
    for key, what in (("from", "first"), ("to", "last")):
        for value in params.get(key, [])[:1] if custom else []:
            day = _day(value)
            if day is None:
                out.append(f"{key} {value!r} is not a date like 2026-01-31 (the {what} day of "
                           "data is used)")  # fmt: skip
            elif not first <= day <= last:
                out.append(f"{key} {day} is outside the data ({first} to {last})")
    start, end = (_day((params.get(k) or [""])[0]) for k in ("from", "to"))
    if custom and start and end and end < start:
        out.append(f"to {end} is before from {start} (the range {end} to {start} is shown)")
    unknown = [p for p in params.get("page", []) if p not in labels]
    if unknown:
        out.append("no page " + ", ".join(map(repr, unknown)) + " in this database")
    unknown = [c for c in params.get("channel", []) if c not in CHANNELS]
    if unknown:
        out.append(", ".join(map(repr, unknown)) + " is not a channel (one of "
                   + ", ".join(CHANNELS) + ")")  # fmt: skip
    return out


def _filter_params() -> QueryParamsProxy:
    """st.query_params; when it holds no filter (Streamlit drops the query string on a switch of
    page), first filled with the filters this session chose last, so they follow the user."""
    kept = st.session_state.get(_KEPT_FILTERS)
    if kept and not any(k in st.query_params for k in _FILTER_KEYS):
        st.query_params.from_dict(kept)
    return st.query_params


def _date(value: str | None, default: dt.date) -> dt.date:
    return _day(value) or default


def _day(value: str | None) -> dt.date | None:
    try:
        return dt.date.fromisoformat(value) if value else None
    except ValueError:
        return None


def spend_coverage(f: Filters) -> None:
    """A caption under spend figures when the pulled ad insights cover the range only in part."""
    days, missing = store.fetch("spend_days"), store.fetch("spend_missing", f)
    first, last = (day_cell(days, c) for c in ("first_day", "last_day"))
    note = spend_gap(f, first, last, day_list(missing, "day"))
    if note:
        st.caption(note)


KPI_PER_ROW = 3


def kpi_row(now: pd.DataFrame, before: pd.DataFrame, specs: list[tuple[str, str, str]]) -> None:
    """Metrics with their change against the previous period.

    specs: (column, label, kind) where kind is "int", "pct" or "money". At most KPI_PER_ROW
    to a row: six side by side cut their labels short next to the sidebar.
    """
    per_row = min(KPI_PER_ROW, len(specs))
    cols = [col for _ in range(0, len(specs), per_row) for col in st.columns(per_row)]
    for col, (name, label, kind) in zip(cols, specs, strict=True):
        value = _value(now, name)
        prev = _value(before, name)
        delta = None
        if value is not None and prev is not None:
            diff = value - prev
            delta = f"{diff:+.1%}".replace("%", " pts") if kind == "pct" else _fmt(diff, kind, "+")
        # No change as shown (+0, -0.00, +0.0 pts): neither up nor down, in grey.
        unchanged = delta is not None and not any(c in "123456789" for c in delta)
        col.metric(
            label,
            _fmt(value, kind) if value is not None else "—",
            delta.lstrip("+-") if delta is not None and unchanged else delta,
            delta_color="off" if unchanged else "inverse" if kind == "money" else "normal",
            help="Change against the previous period of the same length, aligned by weekday.",
            **(_NO_ARROW if unchanged else {}),
        )


# Streamlit draws an arrow beside any delta but "0" unless told not to (delta_arrow, which
# older Streamlit versions lack: they show the grey delta with its arrow).
_NO_ARROW: dict[str, Any] = (
    {"delta_arrow": "off"} if "delta_arrow" in inspect.signature(st.metric).parameters else {}
)


def _value(df: pd.DataFrame, name: str) -> float | None:
    if df.empty or pd.isna(df[name].iloc[0]):
        return None
    return float(df[name].iloc[0])


def _fmt(v: float, kind: str, sign: str = "") -> str:
    if kind == "pct":
        return f"{v:{sign}.1%}"
    if kind == "money":
        return f"{v:{sign},.2f}"
    return f"{v:{sign},.0f}"


LINK_CHANNELS = ("m_me_link", "qr_code")  # the channels whose refs Links & QR codes lists


def download_table(df: pd.DataFrame, name: str, f: Filters, **extra: str) -> None:
    """CSV, XLSX and Parquet buttons for the table as shown, its filters written into each file.

    Each file is built only when its button is clicked.
    """
    row = st.container(horizontal=True)
    for fmt, (label, mime) in reports.TABLE_FORMATS.items():
        row.download_button(
            f"Download {label}",
            partial(reports.table_bytes, fmt, df, name, f, extra),
            reports.table_file_name(name, f, fmt),
            mime,
            key=f"download-{name}-{fmt}",
            on_click="ignore",
        )


PERCENT = "%.1f%%"  # of a rate times 100


def _columns() -> dict[str, Any]:
    """Every table column of the app as a reader names it, with its format (rates as percent,
    counts and money with thousands separators as the KPIs and reports write them, money with
    two decimals, times to the minute)."""
    cc = st.column_config
    # Rates are shown in percent (table() scales them) with one decimal, as the KPIs and reports
    # write them: Streamlit's "percent" wrote 84% beside 84.19% in one column.
    pct, money, ratio, when = PERCENT, "%,.2f", "%.2f", "YYYY-MM-DD HH:mm"
    count = "%,d"
    number = {
        "new_contacts": ("New contacts", count), "engaged": ("Engaged", count),
        "reentries": ("Re-entries", count), "clicks": ("Clicks", count),
        "scans": ("QR scans", count), "guests": ("Guests", count), "comments": ("Comments", count),
        "private_replies": ("Private replies", count),
        "conversations": ("Conversations", count), "contacts": ("Contacts", count),
        "message_count": ("Messages", count), "reentry_count": ("Re-entries", count),
        "conversations_started": ("Meta: conversations started", count),
        "engaged_rate": ("Engaged rate", pct), "ci_low": ("95% low", pct),
        "ci_high": ("95% high", pct), "return_7d_rate": ("7-day return", pct),
        "contacts_per_click": ("Contacts / click", ratio), "guest_share": ("Guest share", pct),
        "reply_rate": ("Reply → conversation", pct), "d1": ("D1", pct), "d7": ("D7", pct),
        "d30": ("D30", pct), "read_rate": ("Read rate", pct), "spend": ("Spend", money),
        "cost_per_contact": ("Cost / new contact", money),
        "cost_per_engaged": ("Cost / engaged", money),
    }  # fmt: skip
    text = {
        "page_id": "Page id", "page": "Page", "page_name": "Page name", "psid": "PSID",
        "ref": "Ref", "channel": "Channel", "campaign": "Campaign", "placement": "Placement",
        "ad_id": "Ad id", "ad_title": "Ad", "referer_uri": "Website page", "post_id": "Post",
    }  # fmt: skip
    times = {
        "first_seen": "First seen", "last_seen": "Last seen", "first_seen_at": "First seen",
        "last_seen_at": "Last seen", "created_at": "Registered", "last_contact": "Last contact",
    }  # fmt: skip
    out: dict[str, Any] = {
        k: cc.NumberColumn(label, format=fmt) for k, (label, fmt) in number.items()
    }
    out |= {k: cc.TextColumn(label) for k, label in text.items()}
    out |= {k: cc.DatetimeColumn(label, format=when) for k, label in times.items()}
    out |= {"too_few": cc.CheckboxColumn("Too few to judge"),
            "registered": cc.CheckboxColumn("Registered"),
            "url": cc.LinkColumn("Link")}  # fmt: skip
    return out


# A cell with no value, as the reports write it (Streamlit's own is "None").
MISSING = "—"

# Identifiers a reader seldom needs first, the ad's title beside them: shown after the figures.
# (A page id stays where it is: it tells apart a ref two pages use.)
_LAST = ("ad_id",)


def table(df: pd.DataFrame, hide_empty: tuple[str, ...] = ()) -> None:
    """A dataframe with readable column names and formats, channels by name, ids last.
    hide_empty: columns left out when they hold no value at all (figures not loaded yet)."""
    config = _columns()
    shown = df.assign(channel=df["channel"].map(charts.channel_label)) if "channel" in df else df
    rates = [c for c, v in config.items() if c in df and v.get("type_config", {}).get("format")
             == PERCENT]  # fmt: skip
    shown = shown.assign(**{c: df[c] * 100 for c in rates})
    if "engaged" in df and df["engaged"].dtype == bool:  # a contact's yes / no, not a count
        config["engaged"] = st.column_config.CheckboxColumn("Engaged")
    empty = {c for c in hide_empty if c in df and df[c].isna().all()}
    order = [str(c) for c in df if c not in _LAST and c not in empty]
    order += [c for c in _LAST if c in df]
    st.dataframe(
        shown,
        hide_index=True,
        column_order=order,
        column_config={k: v for k, v in config.items() if k in df},
        placeholder=MISSING,
    )
