"""Reusable Streamlit widgets: KPI rows, tables and their downloads (the sidebar's global filters
are in sidebar_filters.py, what a page says instead of figures in notices.py)."""

from __future__ import annotations

import inspect
from collections.abc import Callable
from functools import partial
from typing import Any

import pandas as pd
import plotly.graph_objects as go
import streamlit as st
from streamlit.navigation.page import StreamlitPage

from dashboard import charts, report_model, reports, store
from dashboard.channel_queries import RETURN_7D
from dashboard.filters import Filters, partial_weeks, spend_gap
from dashboard.markdown_text import literal as literal
from dashboard.markdown_text import literal_message as literal_message
from dashboard.report_data import currency_code, day_cell, day_list, kpi_specs, not_covered
from dashboard.report_model import KPI_DEFINITIONS, cents, half_up, money_text, pct_text
from dashboard.report_xlsx import MONEY_COLUMNS
from dashboard.rounding import difference

# Streamlit keeps a page out of the sidebar when told (visibility, which older versions lack:
# they list it).
_HIDDEN: dict[str, Any] = (
    {"visibility": "hidden"} if "visibility" in inspect.signature(st.Page).parameters else {}
)


def hidden_page(draw: Callable[[], None], page: StreamlitPage) -> StreamlitPage:
    """page's title and URL drawing draw instead, kept out of the sidebar."""
    return st.Page(draw, title=page.title, url_path=page.url_path, **_HIDDEN)


def spend_coverage(f: Filters) -> None:
    """A caption under spend figures when the pulled ad insights cover the range only in part,
    and one when some ad contacts came through ads they never name (unpulled_note, as the
    reports say it)."""
    days, missing = store.fetch("spend_days"), store.fetch("spend_missing", f)
    first, last = (day_cell(days, c) for c in ("first_day", "last_day"))
    kpis = store.fetch("kpis", f)
    known = not pd.isna(kpis["spend"].iloc[0])  # none between two pulls
    label = next(label for key, label, _ in kpi_specs(currency()) if key == "cost_per_contact")
    cost, unpulled = _value(kpis, "cost_per_contact"), store.fetch("unpulled_ad_contacts", f)
    for note in (spend_gap(f, first, last, day_list(missing, "day"), known),
                 report_model.unpulled_note(label, unpulled, cost)):  # fmt: skip
        if note:
            st.caption(note)


def partial_weeks_note(f: Filters, cohorts: pd.DataFrame) -> None:
    """A caption beside weekly cohorts (queries.cohorts' rows shown) when the range cuts their
    first or last week (filters.partial_weeks)."""
    note = partial_weeks(f, day_list(cohorts, "cohort_week"))
    if note:
        st.caption(note)


def no_spend_note(f: Filters) -> str:
    """Why a range's ads have no cost figures: the pulled ad insights hold no spend in it (the
    KPIs' 0.00: Meta leaves out a day without delivery), or no ad spend is loaded for it."""
    if store.fetch("kpis", f)["spend"].iloc[0] == 0:
        return ("The pulled ad insights hold no spend in this range: Meta sends no row for a day "
                "an ad did not run, so these ads spent nothing.")  # fmt: skip
    return "No ad insights for this range yet: cost figures appear once ad spend is loaded."


def currency() -> str:
    """The currency of the pulled ad spend, named beside money ("" when none is known)."""
    return currency_code(store.fetch("spend_currency"))


KPI_PER_ROW = 3
NOT_COVERED = "previous period not fully covered"
RANGE_NOT_COVERED = "this range not covered by the data"
CHANGE_HELP = (
    'Change against the previous period of the same length, aligned by weekday. "—": no '
    f"figure to compare with, either {NOT_COVERED} (it starts before the data; for ad spend, "
    "not all its days pulled) or none there (a cost per ad contact without ad contacts); or "
    f"no figure of the range itself, {RANGE_NOT_COVERED} (it lies outside the data's days; "
    "for ad spend, no day of it pulled)."
)
_CONTACT_FIGURES = ("new_contacts", "engaged", "engaged_rate", "reachable", "cost_per_contact")


def range_not_covered(f: Filters) -> tuple[str, ...]:
    """The KPIs the range itself has no figure of because the data does not cover it: the
    contact figures of a range wholly outside the data's days (queries.kpis leaves its new
    contacts NULL then alone), ad spend (and so cost per ad contact) of one without a pulled
    day (its spend NULL, and named not covered as a whole range)."""
    now = store.fetch("kpis", f)
    out: tuple[str, ...] = _CONTACT_FIGURES if _value(now, "new_contacts") is None else ()
    if _value(now, "spend") is None and "spend" in not_covered(store.fetch("kpis", f, True)):
        out += ("spend", "cost_per_contact")
    return out


def kpi_row(
    now: pd.DataFrame,
    before: pd.DataFrame,
    specs: list[tuple[str, str, str]],
    outside: tuple[str, ...] = (),
) -> None:
    """Metrics with their change against the previous period ("—" without one, as the reports
    print it).

    specs: (column, label, kind) where kind is "int", "pct" or "money". At most KPI_PER_ROW
    to a row: six side by side cut their labels short next to the sidebar. before: the previous
    period's figures (queries.kpis with whole); a figure its not_covered column names is one
    the data covers only in part, and its "—" says so. outside: the figures the range itself
    has none of as the data does not cover it (range_not_covered), whose "—" says that instead.
    """
    per_row = min(KPI_PER_ROW, len(specs))
    cols = [col for _ in range(0, len(specs), per_row) for col in st.columns(per_row)]
    uncovered = not_covered(before)
    for col, (name, label, kind) in zip(cols, specs, strict=True):
        value = _value(now, name)
        prev = _value(before, name)
        delta, why = MISSING, None
        if value is not None and prev is not None:
            # Of the decimals, as the reports: 8.71 - 10.145 is -1.435, -1.44 (not -1.43).
            delta = _fmt(difference(value, prev), kind, "+").replace("%", " pts")
        elif value is None and name in outside:
            why = RANGE_NOT_COVERED
        elif name in uncovered:
            why = NOT_COVERED
        # No change as shown (+0, -0.00, +0.0 pts, —): neither up nor down, in grey.
        unchanged = not any(c in "123456789" for c in delta)
        note: dict[str, Any] = {"delta_description": why} if why and _DESCRIBED else {}
        col.metric(
            label,
            _fmt(value, kind) if value is not None else MISSING,
            delta.lstrip("+-") if unchanged else delta,
            delta_color="off" if unchanged else "inverse" if kind == "money" else "normal",
            help=" ".join(filter(None, (KPI_DEFINITIONS.get(name), CHANGE_HELP))),
            **(_NO_ARROW if unchanged else {}),
            **note,
        )


# Streamlit draws an arrow beside any delta but "0" unless told not to (delta_arrow, which
# older Streamlit versions lack: they show the grey delta with its arrow); a note beside it,
# delta_description, is newer still (without it the "—" stands alone, the KPI's help says why).
_NO_ARROW: dict[str, Any] = (
    {"delta_arrow": "off"} if "delta_arrow" in inspect.signature(st.metric).parameters else {}
)
_DESCRIBED = "delta_description" in inspect.signature(st.metric).parameters


def _value(df: pd.DataFrame, name: str) -> float | None:
    if df.empty or pd.isna(df[name].iloc[0]):
        return None
    return float(df[name].iloc[0])


def _fmt(v: float, kind: str, sign: str = "") -> str:
    if kind == "pct":
        return pct_text(v, sign)
    if kind == "money":
        return money_text(v, sign)
    return f"{v:{sign},.0f}"


# Each picker's label for its pick as last drawn: the browser keeps the label it was sent.
_DRAWN_LABELS = "rs_drawn_labels"


def named_anew(key: str, label: object) -> None:
    """Send the browser the pick of the widget of key again when its label (the labels of a
    multiselect's picks) changed though the pick did not: a ref two pages use is named with its
    page until the pages filter keeps one of them, a page by its id until it is named. The
    browser showed the old label, one its list no longer holds."""
    drawn = st.session_state.setdefault(_DRAWN_LABELS, {})
    if drawn.get(key, label) != label:
        st.session_state[key] = st.session_state.get(key)
    drawn[key] = label


def drawn_label(key: str) -> object:
    """The label the widget of key was last drawn with (named_anew), None if never."""
    return st.session_state.get(_DRAWN_LABELS, {}).get(key)


LINK_CHANNELS = ("m_me_link", "qr_code")  # the channels whose refs Links & QR codes lists


def download_table(df: pd.DataFrame, name: str, f: Filters | None, **extra: str) -> None:
    """CSV, XLSX and Parquet buttons for the table as shown, its filters written into each file
    (f None: a table shown before there are any, as "all dates"), a chosen page by its name
    and id where `pages` names it, as the sidebar's picker shows it.

    Each file is built only when its button is clicked.
    """
    labels = None
    if f is not None and f.pages:
        pages = store.fetch("page_list")
        labels = dict(zip(pages["page_id"], pages["label"], strict=True))
    row = st.container(horizontal=True)
    for fmt, (label, mime) in reports.TABLE_FORMATS.items():
        row.download_button(
            f"Download {label}",
            partial(reports.table_bytes, fmt, df, name, f, extra, labels),
            reports.table_file_name(name, f, fmt),
            mime,
            key=f"download-{name}-{fmt}",
            on_click="ignore",
        )


PERCENT = "%.1f%%"  # of a rate times 100


def _columns(currency: str = "") -> dict[str, Any]:
    """Every table column of the app as a reader names it, with its format (rates as percent,
    counts and money with thousands separators as the KPIs and reports write them, money with
    two decimals and its currency when one is known, times to the minute)."""
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
        "ci_high": ("95% high", pct),
        "contacts_per_click": ("Contacts / click", ratio), "guest_share": ("Guest share", pct),
        "reply_rate": ("Reply → conversation", pct), "d1": ("D1", pct), "d7": ("D7", pct),
        "d30": ("D30", pct), "read_rate": ("Read rate", pct), "spend": ("Spend", money),
        "cost_per_contact": ("Cost / new contact", money),
        "cost_per_engaged": ("Cost / engaged", money),
    }  # fmt: skip
    for name in MONEY_COLUMNS:
        label, fmt = number[name]
        number[name] = (charts.in_currency(label, currency), fmt)
    text = {
        "page_id": "Page id", "page": "Page", "page_name": "Page name", "psid": "PSID",
        "ref": "Ref", "channel": "Channel", "campaign": "Campaign", "placement": "Placement",
        "ad_id": "Ad id", "ad_title": "Ad", "product_id": "Product id",
        "referer_uri": "Website page", "post_id": "Post", "notes": "Notes",
    }  # fmt: skip
    times = {
        "first_seen": "First seen", "last_seen": "Last seen", "first_seen_at": "First seen",
        "last_seen_at": "Last seen", "reentered_at": "Re-entered at", "created_at": "Registered",
        "last_contact": "Last contact",
    }  # fmt: skip
    out: dict[str, Any] = {
        k: cc.NumberColumn(label, format=fmt) for k, (label, fmt) in number.items()
    }
    out["return_7d_rate"] = cc.NumberColumn("7-day return", format=pct, help=RETURN_7D)
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


def chart(fig: go.Figure) -> None:
    """Every page's figure goes to Streamlit here: each text in Hebrew or Arabic (a ref, an ad,
    a page's name) isolated in its own direction (charts.bidi_isolated), as plotly.js draws
    its SVG texts left to right ("מבצע!" showed its "!" first)."""
    st.plotly_chart(charts.bidi_isolated(fig))


def table(df: pd.DataFrame, hide_empty: tuple[str, ...] = ()) -> None:
    """A dataframe with readable column names and formats, channels by name, ids last.
    hide_empty: columns left out when they hold no value at all (figures not loaded yet). Money
    columns name the spend's currency."""
    config = _columns(currency() if any(c in df for c in MONEY_COLUMNS) else "")
    shown = df.assign(channel=df["channel"].map(charts.channel_label)) if "channel" in df else df
    rates = [c for c, v in config.items() if c in df and v.get("type_config", {}).get("format")
             == PERCENT]  # fmt: skip
    # In percent, rounded half up as the KPIs and reports write them (the browser rounds the
    # binary double: 23 of 80, 28.75%, as 28.7).
    shown = shown.assign(**{c: df[c].map(lambda v: v if pd.isna(v) else float(half_up(v, 3) * 100))
                            for c in rates})  # fmt: skip
    # Money by cents as the KPIs and reports round it: the browser rounds the binary double.
    shown = shown.assign(**{c: df[c].map(lambda v: v if pd.isna(v) else float(cents(v)))
                            for c in MONEY_COLUMNS if c in df})  # fmt: skip
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


def _undrawn(key: str) -> str:
    return f"{key}__undrawn"


def pick_not_drawn(key: str, default: Any) -> None:
    """This run stops before drawing the picker under key: keep its pick (that of the last run
    that drew it) for the next run that does."""
    if _undrawn(key) not in st.session_state:
        st.session_state[_undrawn(key)] = st.session_state.get(key, default)


def kept_selectbox(label: str, options: list[Any], key: str, **kwargs: Any) -> Any:
    """st.selectbox under key, given back the pick it had before a run that drew it not
    (pick_not_drawn): the browser draws such a picker anew on its first option while the server
    kept the pick, so the page showed one channel and the picker another; a kept pick that is
    no longer an option falls back to the first."""
    if (kept := st.session_state.pop(_undrawn(key), None)) is not None:
        st.session_state[key] = kept if kept in options else options[0]
    return st.selectbox(label, options, key=key, **kwargs)
