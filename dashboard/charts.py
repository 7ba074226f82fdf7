"""Every Plotly figure: DataFrame in, Figure out (the channels' colours and the layout they share:
chart_style.py). No Streamlit, no DuckDB."""

from __future__ import annotations

import datetime as dt
import html
from collections.abc import Callable, Iterable
from typing import Any

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from dashboard.chart_style import CHANNEL_COLORS as CHANNEL_COLORS
from dashboard.chart_style import CHANNEL_LABELS as CHANNEL_LABELS
from dashboard.chart_style import LAYOUT, MARGIN, count_axis
from dashboard.chart_style import LEGEND as LEGEND
from dashboard.chart_style import channel_label as channel_label
from dashboard.chart_style import in_channel_order as in_channel_order
from dashboard.chart_style import in_currency as in_currency
from dashboard.charts_retention import cohort_heatmap as cohort_heatmap
from dashboard.charts_retention import returns_bar as returns_bar
from dashboard.rounding import money_text, pct_text, pct_whole_text
from ingest.pdf_text import FSI, PDI, right_to_left
from ingest.wording import counted

_DAY_MS = 24 * 3600 * 1000  # a day on a date axis
# An axis of names: plotly takes names made of digits (a store's number as its ref, an ad named
# by its id) for numbers, and draws their bars at y = 101 and 2500 on a scale of thousands.
_NAMES = {"type": "category"}


LABEL_CHARS = 48  # a bar's name on its axis; the hover keeps it whole


def _literal(names: pd.Series) -> pd.Series:
    """Names from the data (refs, ad titles, page names, web addresses) as plotly.js shows them
    as given: it reads <b>, <br>, <a href=...> and the like in any text as markup (a ref
    "<b>x</b>" drew a bold x, "a<br>b" two lines), and &lt; as "<"."""
    return names.map(lambda n: n if pd.isna(n) else html.escape(str(n), quote=False))


def _short_ticks(fig: go.Figure, axis: str, names: Iterable[object]) -> None:
    """Cut the category labels of axis ("xaxis", "yaxis") longer than LABEL_CHARS in the middle
    (a ref's month, a web address's page stay): one of 200 characters (refs may have 250) left
    every bar a sliver beside it. The bars keep their whole names, in their hovers too. names:
    the bars' names as given (the axis holds them _literal)."""
    full = [str(n) for n in names]
    if any(len(n) > LABEL_CHARS for n in full):
        head = LABEL_CHARS * 2 // 3
        tail = LABEL_CHARS - head - 1
        text = [n if len(n) <= LABEL_CHARS else f"{n[:head]}…{n[-tail:]}" for n in full]
        fig.update_layout({axis: {"tickmode": "array", "tickvals": list(_literal(pd.Series(full))),
                                  "ticktext": list(_literal(pd.Series(text)))}})  # fmt: skip


def _in_words(counts: Iterable[object], noun: str) -> list[str]:
    """Each count with its noun, "1 new contact", "2 new contacts", for a hover: a hover
    template (%{y:,} new contacts) cannot say one in the singular. No count, no words."""
    return [counted(int(n), noun) if pd.notna(n) else "" for n in counts]  # type: ignore[call-overload]


def new_contacts_by_day_bar(
    df: pd.DataFrame, start: dt.date | None = None, end: dt.date | None = None
) -> go.Figure:
    """Stacked bars of new contacts per day by channel. Input: day, channel, contacts; the
    axis spans start to end (default: the days in df), a whole day to each bar."""
    fig = go.Figure()
    for channel in CHANNEL_COLORS:
        part = df[df["channel"] == channel]
        if part.empty:
            continue
        fig.add_bar(
            x=part["day"],
            y=part["contacts"],
            name=channel_label(channel),
            marker_color=CHANNEL_COLORS[channel],
            # Counts in words as the pages write them ("1 new contact"): a template cannot.
            hovertext=_in_words(part["contacts"], "new contact"),
            hovertemplate="%{hovertext}<extra>" + channel_label(channel) + "</extra>",
            width=_DAY_MS * 0.8,  # plotly sizes bars by their spacing: one day's is a hairline
        )
    fig.update_layout(barmode="stack", title="New contacts per day", **LAYOUT)
    fig.update_yaxes(title="new contacts", **count_axis(df.groupby("day")["contacts"].sum().max()))
    days = pd.to_datetime(df["day"]) if not df.empty else pd.Series(dtype="datetime64[ns]")
    first = pd.Timestamp(start) if start is not None else days.min()
    last = pd.Timestamp(end) if end is not None else days.max()
    if pd.notna(first) and pd.notna(last):
        # Left to itself, plotly zooms the axis of one day's bars into milliseconds
        # ("23:59:59.9996"): the range's days, and a tick a day while they are few.
        half = pd.Timedelta(hours=12)
        fig.update_xaxes(range=[(first - half).isoformat(), (last + half).isoformat()])
        if (last - first).days < 14:
            fig.update_xaxes(dtick=_DAY_MS)
    return fig


def channel_mix_pie(df: pd.DataFrame) -> go.Figure:
    """Share of new contacts by channel. Input: channel, new_contacts. A channel without a new
    contact (one contacts only came back through) has no slice: plotly.js drew its "0%" text
    (over the next one's, two such channels) and kept it in the legend."""
    df = df[df["new_contacts"].fillna(0) > 0]
    total = df["new_contacts"].sum()
    shares = [v / total for v in df["new_contacts"]]  # each slice's, once (total > 0 if any)
    fig = go.Figure(
        go.Pie(
            labels=[channel_label(c) for c in df["channel"]],
            values=df["new_contacts"],
            marker_colors=[CHANNEL_COLORS.get(c, "#333333") for c in df["channel"]],
            hole=0.5,
            sort=False,
            # One format for every slice (Plotly's own drops or keeps decimals slice by slice),
            # rounded as the hover's share: Plotly's %{percent} rounds the binary double (29 of
            # 200 new contacts, 14.5% in the hover, was a slice of 14%).
            text=[pct_whole_text(v) for v in shares],
            texttemplate="%{text}",
            # The share as every view writes a rate (half up): Plotly's own format rounds the
            # binary double (23 of 80, 28.75%, as 28.7%).
            customdata=[pct_text(v) for v in shares],
            hovertext=_in_words(df["new_contacts"], "new contact"),
            hovertemplate="%{label}: %{hovertext} (%{customdata})<extra></extra>",
        )
    )
    # Below the donut, not beside it: on a phone a legend at the side squeezes the donut.
    # Its legend is a key, not a switch: a hidden slice left the others' texts and hovers their
    # shares of every new contact, drawn round a whole donut of fewer channels.
    fig.update_layout(title="Channel mix", **MARGIN,
                      legend=LEGEND | {"itemclick": False, "itemdoubleclick": False})  # fmt: skip
    return fig


def refs_bar(df: pd.DataFrame, top: int = 15) -> go.Figure:
    """New contacts per ref with engaged share. Input: ref, channel, new_contacts, engaged, and
    page (a label) or page_id: the same ref on two pages gets a bar each, named with its page
    (bars of one name would be drawn as one)."""
    named = df.assign(bar=ref_bars(df))
    # A ref seen in the range only through a re-entry or a click has no bar to draw: it stays
    # in the table, not among the top refs by new contacts (an empty bar, or a blank chart).
    part = named[named["new_contacts"].fillna(0) > 0].head(top)
    part = part.iloc[::-1].assign(label=[channel_label(c) for c in part["channel"].iloc[::-1]])
    fig = go.Figure()
    fig.add_bar(
        y=_literal(part["bar"]),
        x=part["new_contacts"],
        orientation="h",
        name="new contacts",
        marker_color=[CHANNEL_COLORS.get(c, "#333333") for c in part["channel"]],
        customdata=part[["engaged", "label"]],
        hovertext=[
            f"{n}, {int(e):,} engaged"
            for n, e in zip(
                _in_words(part["new_contacts"], "new contact"),
                part["engaged"].fillna(0),
                strict=True,
            )
        ],  # fmt: skip
        hovertemplate="%{y} (%{customdata[1]}): %{hovertext}<extra></extra>",
    )
    title = (f"Top {counted(len(part), 'ref')} by new contacts" if len(part)
             else "Refs by new contacts")  # fmt: skip
    fig.update_layout(title=title, **LAYOUT)
    if part.empty and not df.empty:
        fig.add_annotation(text="No ref brought a new contact in this range: the table lists the "
                           "refs seen in it (re-entries, clicks).", showarrow=False, xref="paper",
                           yref="paper", x=0.5, y=0.5, name="no new contact")  # fmt: skip
        fig.update_xaxes(visible=False)  # no scale to read, and no bar to put on one
        fig.update_yaxes(visible=False)
    fig.update_layout(hovermode="closest")  # one bar per ref: its own hover, not a y-unified one
    fig.update_yaxes(_NAMES)
    _short_ticks(fig, "yaxis", part["bar"])
    fig.update_xaxes(title="new contacts", rangemode="nonnegative",
                     **count_axis(part["new_contacts"].max()))  # fmt: skip
    # One trace coloured bar by bar has no legend: say which colour is which channel.
    shown = [c for c in CHANNEL_COLORS if c in set(part["channel"])]
    if shown:
        key = "   ".join(
            f'<span style="color:{CHANNEL_COLORS[c]}">■</span> {channel_label(c)}' for c in shown
        )
        fig.add_annotation(text=key, showarrow=False, xref="paper", yref="paper", x=1, y=1,
                           xanchor="right", yanchor="bottom", name="channel key")  # fmt: skip
    return fig


def ref_bars(df: pd.DataFrame) -> pd.Series:
    """Each ref's bar name: the ref, with its page ("ref · page") when another page has that ref
    (bars of one name would be drawn as one, or as two that cannot be told apart). Input: ref,
    and page (a label) or page_id."""
    page = (df["page"] if "page" in df else df["page_id"]).fillna("page unknown")
    shared = df["ref"].duplicated(keep=False)
    return df["ref"].where(~shared, df["ref"] + " · " + page)


def ad_bars(df: pd.DataFrame) -> pd.Series:
    """Each ad's bar name: its title, with its id when another ad has that title (a duplicated
    ad keeps it). Bars of one name would be drawn as one, their values stacked."""
    if "ad_id" not in df:
        return df["ad_title"]
    shared = df["ad_title"].duplicated(keep=False)
    # A title from the referral of ad contacts without an ad id: NaN would drop their bar.
    ids = df["ad_id"].fillna("no ad id")
    return df["ad_title"].where(~shared, df["ad_title"] + " · " + ids)


def ads_cost_bar(df: pd.DataFrame, currency: str = "") -> go.Figure:
    """Cost per new contact per ad, in the order given (the Ads table's); an ad that spent and
    brought no contact is shown apart, by its spend (what one contact would have cost). Input:
    ad_title, cost_per_contact, new_contacts, and spend when there is any (and ad_id: two ads
    of one title get a bar each). currency: the spend's (queries.spend_currency), named on the
    axis and in the hovers."""
    df = df.assign(bar=ad_bars(df))
    unit = f" {currency}" if currency else ""
    part = df.dropna(subset=["cost_per_contact"])
    # No contact, no cost: an ad that spent anyway is drawn by its spend.
    spent = (df["new_contacts"] == 0) & (df["spend"] > 0) if "spend" in df else df["bar"].isna()
    wasted = df[spent]
    fig = go.Figure()
    fig.add_bar(
        x=_literal(part["bar"]),
        y=part["cost_per_contact"],
        name="cost per new contact",
        marker_color=CHANNEL_COLORS["ctm_ad"],
        # Money as the tables write it (half up): Plotly's own format rounds the binary
        # double (6.175, 12.35 / 2, as 6.17).
        customdata=list(
            zip(part["new_contacts"], part["cost_per_contact"].map(money_text), strict=True)
        ),  # fmt: skip
        hovertext=_in_words(part["new_contacts"], "contact"),
        hovertemplate="%{x}: %{customdata[1]}" + unit + " per new contact "
        "(%{hovertext})<extra></extra>",
    )
    if not wasted.empty:
        fig.add_bar(
            x=_literal(wasted["bar"]),
            y=wasted["spend"],
            name="spent, no new contact (its spend)",
            marker_color="#7F7F7F",
            customdata=[[money_text(v)] for v in wasted["spend"]],
            hovertemplate="%{x}: spent %{customdata[0]}" + unit + ", no new contact<extra></extra>",
        )
    fig.update_layout(title="Cost per new contact", **LAYOUT)
    fig.update_layout(hovermode="closest", showlegend=len(fig.data) > 1)
    # The ads in the order given, the Ads table's, as in ads_contacts_bar: sorted by cost,
    # a reader matched the two charts' bars by name.
    names = list(df.loc[df["cost_per_contact"].notna() | spent, "bar"])
    fig.update_xaxes(_NAMES, categoryorder="array", categoryarray=list(_literal(pd.Series(names))))
    _short_ticks(fig, "xaxis", names)
    fig.update_yaxes(title=in_currency("spend / new contact", currency), rangemode="nonnegative")
    return fig


def ads_contacts_bar(df: pd.DataFrame) -> go.Figure:
    """New and engaged contacts per ad, in the order given (the Ads table's, as ads_cost_bar).
    Input: ad_title, new_contacts, engaged (and ad_id)."""
    bars = ad_bars(df)
    fig = go.Figure()
    fig.add_bar(x=_literal(bars), y=df["new_contacts"], name="new contacts",
                marker_color=CHANNEL_COLORS["ctm_ad"],
                hovertext=_in_words(df["new_contacts"], "new contact"),
                hovertemplate="%{hovertext}<extra></extra>")  # fmt: skip
    fig.add_bar(x=_literal(bars), y=df["engaged"], name="engaged", marker_color="#F0B27A",
                hovertemplate="%{y:,} engaged<extra></extra>")  # fmt: skip
    fig.update_layout(title="Contacts per ad", barmode="group", **LAYOUT)
    fig.update_xaxes(_NAMES)
    _short_ticks(fig, "xaxis", bars)
    # Counts: an ad that brought no one is a bar of 0, not a scale from -1 to 1.
    fig.update_yaxes(title="contacts", rangemode="nonnegative",
                     **count_axis(df[["new_contacts", "engaged"]].max(axis=None)))  # fmt: skip
    return fig


def website_pages_bar(df: pd.DataFrame) -> go.Figure:
    """Chat plugin contacts per website page. Input: referer_uri, new_contacts, guests."""
    part = df.head(20).iloc[::-1]
    fig = go.Figure()
    pages = _literal(part["referer_uri"])
    fig.add_bar(y=pages, x=part["new_contacts"] - part["guests"], orientation="h",
                name="logged in", marker_color=CHANNEL_COLORS["chat_widget"],
                hovertemplate="%{x:,} logged in<extra></extra>")  # fmt: skip
    fig.add_bar(y=pages, x=part["guests"], orientation="h", name="guests",
                marker_color="#E8B9D6", hovertext=_in_words(part["guests"], "guest"),
                hovertemplate="%{hovertext}<extra></extra>")  # fmt: skip
    fig.update_layout(title="Website chat contacts by page", barmode="stack", **LAYOUT)
    fig.update_layout(hovermode="y unified")  # the bars lie along y: one hover per page
    fig.update_yaxes(_NAMES)
    _short_ticks(fig, "yaxis", part["referer_uri"])
    fig.update_xaxes(title="new contacts", **count_axis(part["new_contacts"].max()))
    return fig


def comments_funnel(df: pd.DataFrame) -> go.Figure:
    """Comments → private replies → conversations. Input: comments, private_replies,
    conversations (summed over posts)."""
    values = [int(df["comments"].sum()), int(df["private_replies"].sum()),
              int(df["conversations"].sum())]  # fmt: skip
    # The hover's share of the comments (the report's "Share of comments"), as every view
    # writes a rate (half up): Plotly's own rounds the binary double (23 of 80, 28.75%, as
    # 28.7%). Not Plotly's "of previous": conversations open on later days than the replies
    # (2 of 1 reply, 200%), beside a Reply → conversation rate of at most 100%.
    shares = [[pct_text(n / values[0]) if values[0] else "—"] for n in values]
    stages = ["Comments received", "Private replies sent", "Conversations opened"]
    # Each stage's count and its share of the comments ("percent initial"), rounded as the
    # hover's: plotly.js's own text rounds the binary double (290 of 2000, 14.5%, as 14%).
    texts = [f"{n:,}<br>{pct_whole_text(n / values[0])}" if values[0] else f"{n:,}"
             for n in values]  # fmt: skip
    fig = go.Figure(
        go.Funnel(
            y=stages,
            x=values,
            marker_color=CHANNEL_COLORS["comment_reply"],
            text=texts,
            textinfo="text",
            customdata=shares,
            hovertemplate="%{y}: %{x:,}<br>%{customdata[0]} of comments received<extra></extra>",
        )
    )
    fig.update_layout(title="Comment funnel", **MARGIN)
    if not any(values):  # no bar at all: a blank chart under the stages' names
        fig.add_annotation(text="No comments, private replies or conversations in this range.",
                           showarrow=False, xref="paper", yref="paper", x=0.5, y=0.5,
                           name="no comment")  # fmt: skip
        return fig
    # plotly.js draws no bar for a stage of 0, and no text with it: its count is written where
    # the bar would be (a stage left blank read as one not counted).
    for stage, n, text in zip(stages, values, texts, strict=True):
        if not n:
            fig.add_annotation(text=text, showarrow=False, x=0, y=stage, name="zero stage")
    return fig


def bidi_isolated(fig: go.Figure) -> go.Figure:
    """fig with each text holding Hebrew or Arabic (a bar's name, a hover) in a first-strong
    isolate: plotly.js draws its SVG text left to right, so "מבצע!" showed its "!" first.
    A figure without such a text is fig itself, as the charts module made it."""
    isolated: list[str] = []

    def isolate(text: str) -> str:
        if not right_to_left(text):
            return text
        isolated.append(text)
        return f"{FSI}{text}{PDI}"

    data = strings_mapped(fig.to_plotly_json(), isolate)
    return go.Figure(data) if isolated else fig


def strings_mapped(value: Any, change: Callable[[str], str]) -> Any:
    """value (a figure's JSON-like data) with each string changed by change."""
    if isinstance(value, str):
        return change(value)
    if isinstance(value, dict):
        return {k: strings_mapped(v, change) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [strings_mapped(v, change) for v in value]
    if isinstance(value, np.ndarray) and value.dtype == object:
        return [strings_mapped(v, change) for v in value.tolist()]
    return value
