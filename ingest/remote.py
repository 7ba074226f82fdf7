"""Remote inputs: logs pulled over HTTP, and ad insights from the Marketing API."""

from __future__ import annotations

import contextlib
import datetime as dt
import re
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import duckdb
import httpx

from . import (
    db,
    db_cleanup,
    fetch,
    graph,
    graph_account,
    insight_parts,
    insight_rows,
    lake,
    memory_share,
    offsets,
    pipeline,
    pull_lock,
    runlog,
)
from .errors import ValidationError
from .link_rules import PAGE_ID_DIGITS

# An ad account is act_<account_id>, its account_id a numeric id of the Graph API as a page's
# is (a 64-bit integer: "long" in the reference), so of at most as many digits: a longer number
# is two ids pasted together, refused before Meta is asked. Written as Meta writes it, without
# leading zeros: act_0123's rows say account 123, never the account asked for.
# https://developers.facebook.com/docs/marketing-api/reference/ad-account/
ACCOUNT_ID_DIGITS = PAGE_ID_DIGITS
ACCOUNT_RULE = (
    f"an ad account is act_<digits>, its id of at most {ACCOUNT_ID_DIGITS} digits, not starting "
    "with 0"
)


def pull_logs(
    url: str,
    headers: dict[str, str],
    db_file: Path | None = None,
    *,
    client: httpx.Client | None = None,
    on_bytes: Callable[[int, int | None], None] | None = None,
    on_plan: Callable[[int], None] | None = None,
    progress: pipeline.ProgressFn | None = None,
    deadline: float | None = None,
    lake_dir: Path | None = None,
    on_spilled: pipeline.SpilledFn | None = None,
    on_stage: pipeline.StageFn | None = None,
) -> pipeline.IngestResult | None:
    """Pull url's new bytes and ingest them; None when the server had nothing new and no run
    was left open (killed before it finished: resumed, as `ingest` resumes one). on_bytes
    follows the download (fetch.pull), on_plan, progress, on_spilled and on_stage the ingest
    (pipeline.run); deadline: the seconds the download may take (the ingest after it is not
    counted); lake_dir: the Parquet lake brought in line after the ingest, as `ingest --lake`
    does."""
    url = fetch.check_url(url)
    # As `ingest`: a setting that is no value is refused before the server is asked and
    # before a database is made, not after a whole download into a new one.
    privacy = pipeline.check_settings()
    path = db.db_path(db_file)
    spool_dir = path.parent / ".pull"
    # A failed or stopped pull leaves no database it made without a row, and a DuckDB file that
    # held nothing as it was.
    with db_cleanup.no_empty_file_left(path), contextlib.ExitStack() as held:
        con = db.connect(path)  # first: it makes the folder, or says why it cannot
        try:
            privacy.check_scheme(con, record=False)  # another salt's database: before asking
            spool_dir.mkdir(mode=0o750, exist_ok=True)  # not listed by other accounts
            # Where the last pull stopped is read under the lock: one running would move it.
            held.enter_context(pull_lock.only_pull(spool_dir, fetch.safe_url(url)))
            state = offsets.file_states(con).get(fetch.safe_url(url))
            killed = runlog.unfinished(con) is not None  # a pull resumes it
        finally:
            con.close()  # not held while downloading
        fetch.sweep_spool(spool_dir)
        pulled = fetch.pull(url, state, headers, spool_dir=spool_dir, client=client,
                            on_bytes=on_bytes, deadline=deadline)  # fmt: skip
        if pulled.plan is None and not killed:
            return None
        plans = [] if pulled.plan is None else [pulled.plan]
        try:
            return pipeline.run_plans(plans, path, on_plan=on_plan, progress=progress,
                                      lake_dir=lake_dir, on_spilled=on_spilled,
                                      on_stage=on_stage)  # fmt: skip
        finally:
            for plan in plans:
                plan.path.unlink(missing_ok=True)


def pull_ads(
    account: str,
    token: str,
    db_file: Path | None = None,
    *,
    since: dt.date | None = None,
    until: dt.date | None = None,
    base_url: str = graph.DEFAULT_BASE_URL,
    api_version: str = graph.DEFAULT_API_VERSION,
    client: httpx.Client | None = None,
    on_page: Callable[[int], None] | None = None,
    today: dt.date | None = None,
    sleep: Callable[[float], None] = time.sleep,
    on_wait: Callable[[str], None] | None = None,
    on_stored: Callable[[], object] | None = None,
) -> graph.PullResult:
    """Pull daily per-ad insights of an ad account into ad_insights (revised days replaced).
    on_stored: called at the store's COMMIT (db.transaction), a call of C no stop cuts short:
    a stop after it, before this returns, leaves the rows stored."""
    if not re.fullmatch(rf"act_[1-9][0-9]{{0,{ACCOUNT_ID_DIGITS - 1}}}", account):  # not '²'
        digits = len(account) - 4 if re.fullmatch("act_[0-9]+", account) else 0
        fault = "starting with 0" if account.startswith("act_0") else f"of {digits} digits"
        shown = f"{account!r} (an ad account id {fault})" if digits else repr(account)
        raise ValidationError(f"invalid account {shown}: {ACCOUNT_RULE}")
    if not re.fullmatch(r"v[0-9]+\.[0-9]+", api_version):  # it is a path segment of every URL
        raise ValidationError(
            f"invalid API version {api_version[:20]!r}: a Graph API version is v<major>.<minor> "
            f"(such as {graph.DEFAULT_API_VERSION})"
        )
    if not token:
        raise ValidationError("no access token: set REFSCOPE_META_TOKEN")
    if not (token.isascii() and token.isprintable()) or any(c.isspace() for c in token):
        # Said without the token: it is a secret even when it is a broken one.
        raise ValidationError("REFSCOPE_META_TOKEN holds characters no access token has "
                              "(spaces, line breaks or accents): check how it was set")  # fmt: skip
    if token[0] in "\"'" or token[-1] in "\"'":
        # A .env line REFSCOPE_META_TOKEN="…" read by a tool that keeps quotes (docker run
        # --env-file): no access token holds one, and Meta's answer (190) asks for a new token.
        raise ValidationError("REFSCOPE_META_TOKEN is in quotes (it starts or ends with one, "
                              "taken as part of the token): set it without quotes")  # fmt: skip
    base_url = graph.check_base_url(base_url)
    path = db.db_path(db_file)
    # A DuckDB file that holds nothing is, as a missing one, no database yet: neither is
    # written before Meta has answered (a refused token left refscope's schema in it).
    found = path.exists() and not db_cleanup.holds_nothing(path)
    if found:
        # A file that is no refscope database (another program's, a damaged one) is refused
        # before Meta is asked, not after a pull of every page; then not held while pulling.
        db.connect(path).close()
    api = graph.GraphClient(token, base_url, api_version, client, sleep, on_wait=on_wait)
    if today is None:  # the account's today, not UTC's (Meta's days are)
        today = _today(api, account, since, until)
    asked_since = since is not None
    if since is None:
        # No database yet: none is made before Meta has answered (a refused token left one).
        con = db.connect(path) if found else None
        try:
            since = graph.default_since(con, account, today)
        finally:
            if con is not None:
                con.close()
    asked_until, until = until is not None, until or today
    if not asked_until and since > until:  # nor was the end: say where it came from
        raise ValidationError(
            f"--since {since} is after {until}, today in the ad account's time zone, where a "
            "pull without --until ends: Meta has no insights of later days yet"
        )
    if not asked_since and since > until:
        # The start was not given: say where it came from, not "--since … is after --until".
        raise ValidationError(
            f"--until {until} is before {since}, where a pull without --since starts (28 days "
            "before the last pulled day, or 90 days back the first time): give --since too"
        )
    graph.check_range(since, until, today)
    pulled_at = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    raw: list[dict[str, Any]] = []
    pages = 0
    refused: dict[dt.date, str] = {}  # a day Meta finds too much data for even alone: its words

    def pull_days(first: dt.date, last: dt.date) -> None:
        """The rows of first to last into rows; a range Meta finds too much data for one
        call is asked in halves (its rows read before the refusal are dropped), and a single
        day it still refuses is left out (refused), the other days pulled."""
        nonlocal pages
        got: list[dict[str, Any]] = []
        n = 0
        try:
            for page in api.insights(account, first, last):  # the DB is not held while pulling
                for r in page:
                    insight_rows.insight_row(r, pulled_at, account)  # refused as it would be
                got.extend(page)
                n += 1
                if on_page:
                    on_page(len(raw) + len(got))
        except graph.TooMuchData as exc:
            if first == last:
                refused[first] = str(exc)
                return
            mid = first + (last - first) // 2
            pull_days(first, mid)
            pull_days(mid + dt.timedelta(days=1), last)
            return
        raw.extend(got)
        pages += n

    pull_days(since, until)
    # Rows broken down (by platform...) on two pages are parts of one day and ad: added up.
    rows = [insight_rows.insight_row(r, pulled_at, account)
            for r in insight_parts.per_day_and_ad(raw)]  # fmt: skip
    if len(refused) == (until - since).days + 1:  # not one day answered: nothing to store
        raise graph.TooMuchData(refused[until])
    # Failed or stopped: none it made is left without a row, a file that held nothing as it was.
    with db_cleanup.no_empty_file_left(path):
        _store_ads(
            db.connect(path), account, rows, since, until, today, refused, pulled_at, on_stored
        )
    # A day and ad met on two pages (pages shift while Meta revises) is one row, stored once.
    stored = len({(r[0], r[1]) for r in rows})
    return graph.PullResult(stored, pages, since, until, api.waited,
                            tuple(sorted(refused.items())))  # fmt: skip


def _store_ads(
    con: duckdb.DuckDBPyConnection,
    account: str,
    rows: list[list[Any]],
    since: dt.date,
    until: dt.date,
    today: dt.date,
    refused: dict[dt.date, str],
    pulled_at: dt.datetime,
    committed: Callable[[], object] | None = None,
) -> None:
    """rows of since to until stored in one transaction (a refused day left as it is);
    committed: called at its COMMIT."""
    try:
        with db.transaction(con, committed):  # the whole answer for these days, or none of it
            _one_currency(con, account, rows)
            # The days answered; a refused day keeps what is stored of it.
            for first, last in _runs(since, until, set(refused)):
                insight_rows.remove_gone(con, rows, (account.removeprefix("act_"), first, last))
                # The days asked for are covered, also those Meta left out for no delivery; not
                # those after today, which have no spend yet (an --until at a month's end).
                if first <= today:
                    con.execute(
                        "INSERT INTO ad_pulls VALUES (?, ?, ?, ?)",
                        [account.removeprefix("act_"), first, min(last, today), pulled_at],
                    )
            insight_rows.store(con, rows)
    finally:
        con.close()


def sync_lake(db_file: Path | None, lake_dir: Path) -> lake.SyncResult:
    """Bring lake_dir in line with the database a pull stored into (its ad_insights, ad_pulls),
    as `ingest --lake` does after a run; a LakeError when it cannot be written. Its copy of every
    table is held to the ingest's share of memory, as `ingest --lake`'s is."""
    con = memory_share.connect_limited(db.db_path(db_file))
    try:
        return lake.sync(con, lake_dir)
    finally:
        con.close()


def catch_up_lake(db_file: Path | None, lake_dir: Path) -> lake.SyncResult | None:
    """As `ingest --lake` when it reads no new line: a lake the database changed since (a
    `forget` or `prune` without --lake, a link registered) is brought in line; None when it is
    in line already (nothing written, the database not opened)."""
    path = db.db_path(db_file)
    return sync_lake(path, lake_dir) if lake.is_stale(lake_dir, path) else None


def _today(
    api: graph.GraphClient, account: str, since: dt.date | None, until: dt.date | None
) -> dt.date:
    """Today in the ad account's time zone: the default --until, the last day `ad_pulls` may
    record (later days have no spend yet), where the 37 months Meta keeps count back from, and
    the default --since's start. Its today is UTC's or a day either side, so a range past in
    every zone and clear of the 37 months' edge spends no call on asking it: UTC's then."""
    utc, day = dt.datetime.now(dt.UTC).date(), dt.timedelta(days=1)
    edge = graph.months_back(utc + day, graph.MAX_MONTHS_BACK)  # the latest it can be
    if since is None or until is None or until >= utc - day or since <= edge:
        return graph_account.account_today(api, account)
    return utc


def _runs(since: dt.date, until: dt.date, left_out: set[dt.date]) -> list[tuple[dt.date, dt.date]]:
    """The runs of consecutive days from since to until without those left out."""
    runs: list[tuple[dt.date, dt.date]] = []
    day = since
    while day <= until:
        if day not in left_out:
            if runs and runs[-1][1] == day - dt.timedelta(days=1):
                runs[-1] = (runs[-1][0], day)
            else:
                runs.append((day, day))
        day += dt.timedelta(days=1)
    return runs


def _one_currency(con: duckdb.DuckDBPyConnection, account: str, rows: list[list[object]]) -> None:
    """Refuse rows in another currency than the stored spend of other accounts: the KPIs and
    reports add spend up across accounts, and a sum of dollars and euros is in no currency."""
    theirs = {str(r[insight_rows.CURRENCY]) for r in rows if r[insight_rows.CURRENCY] is not None}
    held, of = insight_rows.held_currency(con, account.removeprefix("act_"))
    if held and theirs - {held}:
        raise ValidationError(
            f"{account} spends in {', '.join(sorted(theirs))}; this database holds ad spend in "
            f"{held} (account {of}): spend is added up across accounts, so pull an account of "
            "another currency into a database of its own (--db); nothing is stored"
        )
