"""What the pages say instead of figures: a database another process is writing, one with no
contacts yet (and why, and what to run), filters that select nothing (and which to change)."""

from __future__ import annotations

import itertools
import os
import shlex
from pathlib import Path

import streamlit as st

from dashboard import charts, queries, store
from dashboard.filters import Filters
from dashboard.markdown_text import literal
from dashboard.report_data import day_cell
from ingest import demo_catalog
from ingest.wording import counted


def database_busy() -> None:
    """Another process (an ingest, prune, forget) held the file for longer than the app waits."""
    st.warning(
        f"{literal(store.database_path())} is being written by another process (an ingest, "
        f"`prune`, `forget`...) and did not come free within {store.READ_RETRY_SECONDS:g} s: "
        "reload the page in a moment."
    )


def writer_busy(run_id: int) -> None:
    """Another process is writing the file: the views show what its last finished run left."""
    st.info(
        f"{literal(store.database_path())} is being written by another process (an ingest, "
        f"`prune`, `forget`...): showing the data as of ingest run {run_id} until it finishes. "
        "Views not opened before wait for it.",
        icon="⏳",
    )


def empty_state(message: str, path: Path | None = None) -> None:
    """An empty database: what to run next (on path, else the database the app reads)."""
    st.info(message)
    db = shlex.quote(str(path or store.database_path()))
    # `dashboard --lake`: the ingest keeps the lake it reads, and the dashboard reads it again.
    lake_dir = store.lake_path()
    keep = f" --lake {shlex.quote(str(lake_dir))}" if lake_dir else ""
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
        f"refscope ingest data/demo --db {db}{keep}\n"
        f"refscope dashboard --db {db}{keep}",
        language="bash",
    )


def unreadable() -> None:
    """What to run when the app cannot read its source as refscope's: a file no DuckDB one,
    another program's, damaged. Every command would refuse that file too: the advice names a
    new one beside it (a lake's advice is the lake's own)."""
    if store.lake_path() is not None:
        empty_state("Point the dashboard at the database `refscope ingest` writes:")
        return
    bad = store.database_path()
    new = next(p for p in (bad.with_name(f"refscope{n or ''}.duckdb") for n in itertools.count())
               if p != bad and not os.path.lexists(p))  # fmt: skip
    empty_state(f"Give another --db (or REFSCOPE_DB): the database `refscope ingest` writes, or "
                f"a new file, as {literal(new)} here:", new)  # fmt: skip


def no_contacts_yet(run_id: int) -> None:
    """A database without contacts: after ingest runs that stored none, what they read (every
    line rejected, or no user's own action among the events), not only "ingest some logs"."""
    lake_dir = store.lake_path()  # `dashboard --lake`: no database read, maybe none there
    path = f"the lake {literal(lake_dir)}" if lake_dir else literal(store.database_path())
    totals = store.fetch("ingest_totals") if run_id >= 0 else None
    if totals is None or totals.empty or not int(totals["lines"].iloc[0]):
        empty_state(f"No contacts in {path} yet. Ingest some Messenger logs first:")
        return
    lines, events, rejects = (int(totals[c].iloc[0]) for c in ("lines", "events", "rejects"))
    why = []
    if rejects:
        why.append(f"{counted(rejects, 'line')} of the {lines:,} read "
                   f"{'was' if rejects == 1 else 'were'} rejected (`SELECT "
                   "reason, count(*) FROM rejects GROUP BY reason` says why"
                   + (" in the database the lake is kept from)" if lake_dir else ")"))  # fmt: skip
    if events:
        why.append(f"the {counted(events, 'event')} stored "
                   f"{'holds' if events == 1 else 'hold'} no user's own action (a "
                   "message, postback, referral, optin or reaction), which makes a "
                   "contact")  # fmt: skip
    if not why:  # ad insights or clicks only
        why.append(f"the {counted(lines, 'line')} read held no Messenger events")
    empty_state(f"No contacts in {path} yet: " + "; ".join(why)
                + ". Ingest other logs, or try the demo:")  # fmt: skip


def nothing_in_range(
    message: str,
    f: Filters,
    channels: tuple[str, ...] = (),
    also: str = "",
    kind: str = "",
) -> None:
    """The database has data, the filters select none of it: say which to change. channels are
    those the page is about (a channel filter that leaves them all out is the one to clear);
    also names the page's own filters (a search, pickers); kind (a data_kinds column) what the
    page shows, which the database may hold none of in any range (no filter helps then).
    Of f's page and channel filters, those set alone are named to clear."""
    if channels and f.channels and not set(channels) & set(f.channels):
        names = " and ".join(charts.channel_label(c) for c in channels)
        either = "either" if len(channels) > 1 else "it"  # Links & QR: one of two is enough
        hint = (f"The channel filter leaves out {names}: add {either} in the sidebar or clear "
                "the filter.")  # fmt: skip
    elif kind and not bool(store.fetch("data_kinds")[kind].iloc[0]):
        hint = "The database holds none in any range: no date range or filter will show any."
    else:
        hint = f"Widen the date range{_or_clear(f, also)}."
    st.info(f"{message} {hint}")


def _or_clear(f: Filters, also: str) -> str:
    """ " or clear the search and the channel filter": what to clear, of f the filters set alone."""
    chosen = [n for n, on in (("page", f.pages), ("channel", f.channels)) if on]
    named = [also] if also else []
    if chosen:
        named.append(f"the {' and '.join(chosen)} filter{'s' * (len(chosen) > 1)}")
    return f" or clear {' and '.join(named)}" if named else ""


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
