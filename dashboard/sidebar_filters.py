"""The sidebar's global filters (date range, pages, channels), read from and written to the URL
query string so that a link shows what its sender saw."""

from __future__ import annotations

import datetime as dt

import streamlit as st
from streamlit.runtime.state.query_params_proxy import QueryParamsProxy

from dashboard import charts, store, widgets
from dashboard.filters import CONTACT_PARAMS, Filters
from dashboard.report_data import day_cell
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
        _keep_dates_inside(first, last)
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
    # A page named while picked (Create links, `pages set`) is shown by its new name.
    widgets.named_anew(_PAGES_KEY, [labels.get(p, p) for p in st.session_state[_PAGES_KEY]])
    chosen_pages = st.sidebar.multiselect("Pages", list(labels), format_func=lambda p: labels[p],
                                          key=_PAGES_KEY)  # fmt: skip
    chosen_channels = st.sidebar.multiselect("Channels", CHANNELS, key=_CHANNELS_KEY,
                                             format_func=charts.channel_label)  # fmt: skip
    chosen = {"range": preset, "from": str(start), "to": str(end), "page": chosen_pages,
              "channel": chosen_channels}  # fmt: skip
    st.query_params.from_dict({**chosen, **_page_params()})
    st.session_state[_KEPT_FILTERS] = chosen
    pruned = " (pruned before)" if bool(bounds["pruned"].iloc[0]) else ""
    _say_data_span(f"Data from {first}{pruned} to {last}. Days and times are UTC.")
    return Filters(start, end, tuple(chosen_pages), tuple(chosen_channels), asked)


# Shown above the page only while the sidebar is folded away (as on a narrow window), where
# the sidebar's copy cannot be seen; with the sidebar open, once, there.
_SPAN_KEY = "rs_data_span"
_SPAN_CSS = (f'.stApp:has([data-testid="stSidebar"][data-collapsed="false"]) .st-key-{_SPAN_KEY}'
             " { display: none; }")  # fmt: skip


def _say_data_span(span: str) -> None:
    """Say which days the data covers in the sidebar and, for a folded sidebar, above the page."""
    st.sidebar.caption(span)
    st.html(f"<style>{_SPAN_CSS}</style>")
    st.container(key=_SPAN_KEY).caption(span)


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
        ignored = url_problems(params, first, last, labels, custom=preset == "Custom",
                               idle=_pages_without_contacts(labels))  # fmt: skip
        # Said once, when the link is opened, above the page: on a narrow window the sidebar,
        # which then shows what is used, is folded away.
        if ignored:
            # The link's values as given, not as markdown.
            said = widgets.literal("; ".join(ignored))
            st.warning(f"Part of this link could not be used: {said}.")
    if _DATES_KEY not in state:
        # A shared URL may hold dates outside this database's data: the picker refuses those.
        # Dates the wrong way round are taken the right way round (url_problems says so).
        start, end = sorted((_date(qp.get("from"), first), _date(qp.get("to"), last)))
        start = min(max(start, first), last)
        end = min(max(end, start), last)
        state[_DATES_KEY] = (start, end)
    # Each once: a link naming one twice showed it twice in the picker.
    if _PAGES_KEY not in state:
        state[_PAGES_KEY] = [p for p in dict.fromkeys(qp.get_all("page")) if p in labels]
    if _CHANNELS_KEY not in state:
        state[_CHANNELS_KEY] = [c for c in dict.fromkeys(qp.get_all("channel")) if c in CHANNELS]


def _keep_dates_inside(first: dt.date, last: dt.date) -> None:
    """Move the custom dates this session picked inside the data: a `prune` (or `forget`) run
    while the app is open moves its first or last day, and the picker refuses dates beyond."""
    kept = st.session_state.get(_DATES_KEY)
    if isinstance(kept, tuple) and kept:
        inside = tuple(min(max(day, first), last) for day in kept)
        if inside != kept:
            st.session_state[_DATES_KEY] = inside


def url_problems(
    params: dict[str, list[str]],
    first: dt.date,
    last: dt.date,
    labels: dict[str, str],
    *,
    custom: bool,
    idle: dict[str, str | None] | None = None,
) -> list[str]:
    """What a link's filters hold that the dashboard cannot show, each with what it shows
    instead (the data runs from first to last; labels are the known pages). Its dates count
    only in a custom range: a preset's are worked out again from the data. Of a range, from or
    to given twice, the last is used (st.query_params.get), and the last is checked. idle: the
    pages the database knows (`pages set`) that no contact arrived on, with their names."""
    out = []
    for preset in params.get("range", [])[-1:]:
        if preset not in PRESETS:
            out.append(f"range {preset!r} is not one of {', '.join(PRESETS)} "
                       f"({DEFAULT_PRESET} is shown)")  # fmt: skip
    for key, what in (("from", "first"), ("to", "last")):
        for value in params.get(key, [])[-1:] if custom else []:
            day = _day(value)
            if day is None:
                out.append(f"{key} {value!r} is not a date like 2026-01-31 (the {what} day of "
                           "data is used)")  # fmt: skip
            elif not first <= day <= last:
                out.append(f"{key} {day} is outside the data ({first} to {last})")
    start, end = (_day((params.get(k) or [""])[-1]) for k in ("from", "to"))
    if custom and start and end and end < start:
        # Turned round, then kept inside the data, as _seed_from_url shows it.
        low = min(max(end, first), last)
        high = min(max(start, low), last)
        out.append(f"to {end} is before from {start} (the range {low} to {high} is shown)")
    idle = idle or {}
    for p in dict.fromkeys(p for p in params.get("page", []) if p in idle and p not in labels):
        named = f" ({idle[p]})" if idle[p] else ""
        out.append(f"page {p!r}{named} has no contacts yet, so it cannot be chosen")
    unknown = [p for p in params.get("page", []) if p not in labels and p not in idle]
    if unknown:
        out.append("no page " + ", ".join(map(repr, unknown)) + " in this database")
    unknown = [c for c in params.get("channel", []) if c not in CHANNELS]
    if unknown:
        out.append(", ".join(map(repr, unknown)) + " is not a channel (one of "
                   + ", ".join(CHANNELS) + ")")  # fmt: skip
    return out


def _pages_without_contacts(labels: dict[str, str]) -> dict[str, str | None]:
    """The pages `pages set` named that no contact arrived on (not in labels), with their name
    or username when one is stored."""
    known = store.fetch("page_names")
    known = known[~known["page_id"].isin(list(labels))]
    named = known["name"].where(known["name"].notna(), known["username"])
    return {
        p: n if isinstance(n, str) else None for p, n in zip(known["page_id"], named, strict=True)
    }


def _filter_params() -> QueryParamsProxy:
    """st.query_params; when it holds no filter (Streamlit drops the query string on a switch of
    page), first filled with the filters this session chose last, so they follow the user."""
    kept = st.session_state.get(_KEPT_FILTERS)
    if kept and not any(k in st.query_params for k in _FILTER_KEYS):
        st.query_params.from_dict({**kept, **_page_params()})
    return st.query_params


def _page_params() -> dict[str, list[str]]:
    """The URL's parameters of the Contacts page (its Show, search and picks: contact_url.py),
    kept beside the filters: that page reads them after the sidebar is drawn."""
    return {k: st.query_params.get_all(k) for k in CONTACT_PARAMS if k in st.query_params}


def _date(value: str | None, default: dt.date) -> dt.date:
    return _day(value) or default


def _day(value: str | None) -> dt.date | None:
    try:
        return dt.date.fromisoformat(value) if value else None
    except ValueError:
        return None
