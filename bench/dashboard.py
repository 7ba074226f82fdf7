"""Dashboard query speed on a large database built by the real ingest, measured in one run.

    python bench/dashboard.py [--events 10000000] [--keep DIR] [--runs 20] [--range-days 28]
                              [--seed 7] [--browser] [--lake]

Builds DIR/refscope.duckdb (or, with --keep, reuses the one an earlier run's build finished there
with the same --events and --seed: one built with others, or failed or killed part-way, is built
again): two years of `ingest.demo` logs at the scale that gives about N events, written in
parallel chunks, loaded by `ingest.pipeline.run` in a fresh process. Then, on a read-only
connection, times every query the pages run (p50/p95 in ms, and p50 as a ratio to
`SELECT count(*) FROM events` timed in the same run; target p95 <= 150 ms), and each page's
data through `dashboard.store` with an empty and a warm cache.
--lake also syncs the database to a Parquet lake in DIR/lake (`ingest.lake.sync`) and times the
same queries on an in-memory DuckDB over it, as the app reads a lake. --browser also times pages
fully rendered by `refscope dashboard` in headless Chromium.
Prints events/s of the build and peak RSS of each step.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import resource
import shutil
import socket
import statistics
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

import duckdb

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from child import ingested  # noqa: E402  (bench/child.py)
from workdir import in_work_dir, reuse_or_build  # noqa: E402  (bench/workdir.py)

from dashboard import queries  # noqa: E402
from dashboard.chromium import HEADLESS_ARGS, chromium_path  # noqa: E402
from dashboard.filters import Filters  # noqa: E402
from ingest import db, lake  # noqa: E402
from ingest.errors import RefscopeError  # noqa: E402

END = dt.date(2026, 11, 24)  # fixed, so a database is the same for the same --events
DAYS = 730
EVENTS_PER_DAY = 88  # events per day at demo scale 1 over two years (measured)
CHUNK_EVENTS = 500_000  # one demo chunk's simulation holds about 1.3 GiB at this size
TARGET_P95_MS = 150.0


def mib(kib: int) -> str:
    return f"{kib / 1024:,.0f} MiB"


# --- build ---------------------------------------------------------------------------------------


def lake_of(path: Path) -> Path:
    """Where --lake syncs the database at path: beside it."""
    return path.parent / "lake"


def write_chunk(args: tuple[Path, int, dt.date, int, float]) -> tuple[int, int]:
    """One demo chunk in a worker process: (lines written, the worker's peak RSS in KiB)."""
    from ingest.demo import write_demo

    out, days, end, seed, scale = args
    summary = write_demo(out, days=days, end=end, seed=seed, scale=scale)
    return summary.lines, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def build(path: Path, events: int, seed: int) -> None:
    """The database at path (none there) of about events events: demo logs, then ingested. The
    lake --lake synced an earlier one to goes too: a sync refuses another database's lake."""
    shutil.rmtree(lake_of(path), ignore_errors=True)
    logs = path.parent / "logs"
    shutil.rmtree(logs, ignore_errors=True)
    scale = events / (DAYS * EVENTS_PER_DAY)
    chunks = max(1, -(-events // CHUNK_EVENTS))
    bounds = [DAYS * i // chunks for i in range(chunks + 1)]
    jobs = [
        (
            logs / f"chunk-{i:03d}",
            bounds[i + 1] - bounds[i],
            END - dt.timedelta(days=DAYS - bounds[i + 1]),
            seed + i,
            scale,
        )
        for i in range(chunks)
    ]
    t = time.perf_counter()
    with ProcessPoolExecutor(max_workers=os.cpu_count() or 2) as pool:
        done = list(pool.map(write_chunk, jobs))
    secs = time.perf_counter() - t
    size = sum(f.stat().st_size for f in logs.rglob("*") if f.is_file())
    print(
        f"demo logs: {DAYS} days to {END} at scale {scale:.1f} in {chunks} chunks: "
        f"{sum(n for n, _ in done):,} lines, {size / 1e6:,.0f} MB in {secs:.1f} s "
        f"(peak RSS per worker {mib(max(r for _, r in done))})"
    )

    step = ingested(logs, path)
    added, contacts = map(int, step.rest)
    print(
        f"ingest:    {step.count:,} events parsed, {added:,} loaded, {contacts:,} "
        f"contacts in {step.secs:.1f} s = {step.count / step.secs:,.0f} events/s, "
        f"peak RSS {mib(step.rss // 1024)}, database {path.stat().st_size / 1e6:,.0f} MB"
    )
    shutil.rmtree(logs)


# --- queries -------------------------------------------------------------------------------------


def timed(fn: Callable[[], Any], runs: int) -> tuple[list[float], Any]:
    """Milliseconds of `runs` calls after one warm-up call, and the warm-up's result."""
    result = fn()
    ms = []
    for _ in range(runs):
        t = time.perf_counter()
        fn()
        ms.append((time.perf_counter() - t) * 1000)
    return ms, result


def p95(ms: list[float]) -> float:
    return sorted(ms)[max(0, -(-len(ms) * 95 // 100) - 1)]


def open_source(path: Path, lake_dir: Path | None) -> Any:
    """What the app opens: the database read-only, or an in-memory DuckDB over the lake."""
    if lake_dir is None:
        return db.connect(path, read_only=True)
    con = db.connect_memory()
    lake.attach_views(con, lake_dir)
    return con


def time_queries(path: Path, f: Filters, runs: int, lake_dir: Path | None = None) -> bool:
    # First, with no other connection open: the app opens the file anew for every fetch.
    opens, _ = timed(lambda: open_source(path, lake_dir).close(), runs)
    con = open_source(path, lake_dir)
    queries.install_macros(con)
    print(f"\n== reading {'the Parquet lake ' + str(lake_dir) if lake_dir else 'the database'}")
    base, _ = timed(lambda: con.execute("SELECT count(*) FROM events").fetchall(), runs)
    floor = statistics.median(base)
    print(
        f"\nqueries on {f.start} – {f.end} ({f.days} days), {runs} runs each after a warm-up; "
        f"ratio = p50 / p50 of SELECT count(*) FROM events ({floor:.2f} ms)"
    )
    print(f"{'query':34s} {'rows':>8s} {'p50 ms':>8s} {'p95 ms':>8s} {'ratio':>8s}")
    cases: list[tuple[str, Callable[[], Any]]] = [
        ("last_run_id + contacts (status)", lambda: _status(con)),
        ("data_bounds", lambda: queries.data_bounds(con)),
        ("page_list", lambda: queries.page_list(con)),
        ("kpis", lambda: queries.kpis(con, f)),
        ("kpis (previous period)", lambda: queries.kpis(con, f.previous())),
        ("new_contacts_by_day", lambda: queries.new_contacts_by_day(con, f)),
        ("channel_totals", lambda: queries.channel_totals(con, f)),
        ("refs", lambda: queries.refs(con, f)),
        ("ads", lambda: queries.ads(con, f)),
        ("website_chat", lambda: queries.website_chat(con, f)),
        ("comments", lambda: queries.comments(con, f)),
        ("cohorts", lambda: queries.cohorts(con, f)),
        ("returns_by_channel", lambda: queries.returns_by_channel(con, f)),
        ("contact_rows", lambda: queries.contact_rows(con, f)),
        ("contact_rows (search)", lambda: queries.contact_rows(con, f, "site_footer")),
        ("ad_titles", lambda: queries.ad_titles(con)),
        ("id_scheme", lambda: queries.id_scheme(con)),
        ("known_pages", lambda: queries.known_pages(con)),
        ("tracked_link_stats", lambda: queries.tracked_link_stats(con)),
    ]
    ok = True
    print(
        f"{'connect + macros + close (cold)':34s} {1:8,d} {statistics.median(opens):8.1f} "
        f"{p95(opens):8.1f} {statistics.median(opens) / floor:8.0f}"
    )
    for name, fn in cases:
        ms, result = timed(fn, runs)
        rows = len(result) if hasattr(result, "__len__") else 1
        over = p95(ms) > TARGET_P95_MS
        ok &= not over
        print(
            f"{name:34s} {rows:8,d} {statistics.median(ms):8.1f} {p95(ms):8.1f} "
            f"{statistics.median(ms) / floor:8.0f}{'  over target' if over else ''}"
        )
    con.close()
    return ok


def _open_close(path: Path) -> None:
    con = db.connect(path, read_only=True)
    queries.install_macros(con)
    con.close()


def _status(con: Any) -> None:
    queries.last_run_id(con)
    con.execute("SELECT count(*) FROM contacts").fetchall()


# What each page asks dashboard.store for; the sidebar's filters come first on every page.
SIDEBAR = [("data_bounds",), ("page_list",)]
PAGES: dict[str, Callable[[Filters], list[tuple[Any, ...]]]] = {
    "overview": lambda f: [
        ("channel_totals", f),
        ("kpis", f),
        ("kpis", f.previous()),
        ("new_contacts_by_day", f),
    ],
    "links": lambda f: [("refs", f)],
    "ads": lambda f: [("ads", f)],
    "website_chat": lambda f: [("website_chat", f)],
    "comments": lambda f: [("comments", f)],
    "retention": lambda f: [("cohorts", f), ("returns_by_channel", f)],
    "contacts": lambda f: [("id_scheme",), ("contact_rows", f, "", None, None), ("ad_titles",)],
    "create_links": lambda f: [("known_pages",), ("tracked_link_stats",), ("refs", f)],
}


def time_pages(path: Path, f: Filters, runs: int) -> None:
    """Each page's data through store.fetch, with an empty cache and with a warm one."""
    import streamlit as st
    import streamlit.logger

    streamlit.logger.set_log_level("error")  # no "no runtime found" notice per fetch
    from dashboard import store

    os.environ["REFSCOPE_DB"] = str(path)
    print(f"\npages' data through dashboard.store ({runs} runs each)")
    print(f"{'page':14s} {'fetches':>7s} {'cold p50':>9s} {'cold p95':>9s} {'warm p50':>9s}")
    for page, asks in PAGES.items():
        fetches = SIDEBAR + asks(f)

        def load(fetches: list[tuple[Any, ...]] = fetches) -> None:
            for name, *args in fetches:
                store.fetch(name, *args)

        def cold(load: Callable[[], None] = load) -> None:
            st.cache_data.clear()
            load()

        cold_ms, _ = timed(cold, runs)
        warm_ms, _ = timed(load, runs)
        print(
            f"{page:14s} {len(fetches):7d} {statistics.median(cold_ms):9.1f} "
            f"{p95(cold_ms):9.1f} {statistics.median(warm_ms):9.1f}"
        )


# --- browser -------------------------------------------------------------------------------------


def time_browser(path: Path, runs: int) -> None:
    """Seconds from navigation to a fully rendered page in headless Chromium."""
    from playwright.sync_api import expect, sync_playwright

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    url = f"http://127.0.0.1:{port}"
    server = subprocess.Popen(
        [sys.executable, "-m", "ingest", "dashboard", "--db", str(path), "--port", str(port)],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2):
                    break
            except OSError:
                if time.monotonic() > deadline:
                    sys.exit("dashboard did not start")
                time.sleep(0.2)
        print(f"\nbrowser: page fully rendered (title, last element, charts), {runs} warm runs")
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=chromium_path(), args=HEADLESS_ARGS)
            for page_path, title, plots in (
                ("", "Overview", 2),
                ("links", "Links & QR codes", 1),
                ("retention", "Retention", 2),
            ):
                secs = []
                for _ in range(runs + 1):  # the first run fills the server's cache
                    context = browser.new_context()
                    page = context.new_page()
                    page.set_default_timeout(120_000)
                    t = time.perf_counter()
                    page.goto(f"{url}/{page_path}")
                    expect(page.locator("h1").filter(has_text=title)).to_be_visible()
                    expect(page.locator(".js-plotly-plot")).to_have_count(plots)
                    expect(page.locator('[data-testid="stStatusWidget"]')).to_have_count(0)
                    secs.append(time.perf_counter() - t)
                    context.close()
                print(
                    f"{title:18s} cold {secs[0]:6.2f} s   warm p50 "
                    f"{statistics.median(secs[1:]):6.2f} s  p95 {p95(secs[1:]):6.2f} s"
                )
            browser.close()
    finally:
        server.terminate()
        server.wait(timeout=10)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--events", type=int, default=10_000_000)
    ap.add_argument("--runs", type=int, default=20)
    ap.add_argument("--range-days", type=int, default=28, help="the filter's length (default 28)")
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--browser", action="store_true", help="also time pages in headless Chromium")
    ap.add_argument("--lake", action="store_true", help="also time the queries on a Parquet lake")
    in_work_dir(ap, _run, keep_help="build in (or reuse the database in) this directory")


def unfinished(path: Path) -> str | None:
    """Why the database at path is not one a build finished (None when it is): a build that
    failed or was killed part-way leaves no database, one that is no DuckDB file, or one whose
    last ingest run is still open (`finished_at` empty) with part of the logs."""
    if not path.exists():
        return "none there"
    try:
        con = db.connect(path, read_only=True)
    except RefscopeError as exc:
        return str(exc)
    try:
        rows = con.execute(
            "SELECT finished_at IS NOT NULL FROM ingest_runs ORDER BY run_id DESC LIMIT 1"
        ).fetchall()
    except duckdb.Error as exc:
        return str(exc).splitlines()[0]
    finally:
        con.close()
    if not rows:
        return "no ingest run in it"
    return None if rows[0][0] else "its ingest did not finish"


def _run(a: argparse.Namespace, work: Path) -> None:
    path = work / "refscope.duckdb"  # only --keep's work directory can hold one already
    # What the database holds follows from these: a kept one built with others is built again.
    options: dict[str, object] = {"--events": a.events, "--seed": a.seed, "END": str(END)}
    options |= {"DAYS": DAYS, "EVENTS_PER_DAY": EVENTS_PER_DAY, "CHUNK_EVENTS": CHUNK_EVENTS}
    reuse_or_build(path, options, lambda: build(path, a.events, a.seed), unfinished)

    con = db.connect(path, read_only=True)
    (events,) = con.execute("SELECT count(*) FROM events").fetchone() or (0,)
    bounds = queries.data_bounds(con)
    con.close()
    last = bounds["last_day"].iloc[0].date()
    print(
        f"database: {events:,} events, {int(bounds['contacts'].iloc[0]):,} contacts, "
        f"{bounds['first_day'].iloc[0].date()} – {last}"
    )
    f = Filters(last - dt.timedelta(days=a.range_days - 1), last)
    ok = time_queries(path, f, a.runs)
    if a.lake:
        lake_dir = lake_of(path)
        t0 = time.perf_counter()
        con = db.connect(path)
        synced = lake.sync(con, lake_dir)
        con.close()
        print(f"\nlake sync: {synced.written:,} partitions in {time.perf_counter() - t0:.1f} s")
        ok &= time_queries(path, f, a.runs, lake_dir)
    time_pages(path, f, max(3, a.runs // 4))
    if a.browser:
        time_browser(path, 5)
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(f"\npeak RSS of this process (queries, pages): {mib(rss)}")
    print(f"every query p95 <= {TARGET_P95_MS:.0f} ms: {'yes' if ok else 'NO'}")


if __name__ == "__main__":
    main()
