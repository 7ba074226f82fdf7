"""Dashboard fixtures: the seeded demo database, a fixed filter inside it, read-only access."""

from __future__ import annotations

import datetime as dt
import io
import shutil
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import duckdb
import openpyxl
import pytest
from streamlit.testing.v1 import AppTest

from dashboard import queries, reports
from dashboard.filters import Filters
from ingest import db, demo_ads, lake, pipeline, retention
from ingest.demo import write_demo
from tests import factories as fx
from tests.conftest import Query
from tests.dashboard import reference
from tests.dashboard.report_setup import QR_LINKS, RANGE, SPENT_ADS
from tests.dashboard.screen import APP, TIMEOUT

DEMO_END = dt.date(2026, 11, 24)
DEMO_DAYS = 120
SCREENSHOTS = Path(__file__).parent / "screenshots"


@pytest.fixture(scope="session")
def demo_db(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """120 days of seeded demo logs loaded by the real pipeline; read-only for every test.

    Without the demo's ad spend: tests that need spend load their own, known figures
    (SPENT_ADS), and test_demo_spend.py checks the demo's."""
    root = tmp_path_factory.mktemp("demo")
    write_demo(root / "logs", days=DEMO_DAYS, end=DEMO_END, seed=7, scale=0.5)
    (root / "logs" / demo_ads.FILE).unlink()
    path = root / "refscope.duckdb"
    pipeline.run([str(root / "logs")], path)
    yield path


@pytest.fixture
def demo_copy(demo_db: Path, tmp_path: Path) -> Path:
    """A private copy of the demo database that a test may write to."""
    path = tmp_path / "refscope.duckdb"
    shutil.copy(demo_db, path)
    return path


# The hand-built database: contacts on 2023-11-14/15 (fx.T0 is 2023-11-14 22:13 UTC).
SMALL_RANGE = Filters(dt.date(2023, 11, 14), dt.date(2023, 11, 20))
SMALL_REFS = {"qr_big": 30, "small": 29}  # ref -> contacts acquired through it
SMALL_ENGAGED = {"qr_big": 12, "small": 10}
ADS = {"6000000000001": ("Sourdough", 4, 2), "6000000000002": ("Croissant", 1, 0)}
# (referer_uri, is_guest_user, engaged) per chat plugin contact, all before the 2024 shutdown.
CHATS = [
    ("https://acme.example/menu", True, True),
    ("https://acme.example/menu", True, False),
    ("https://acme.example/menu", False, False),
    ("https://acme.example/menu", False, True),
    ("https://acme.example/", True, False),
]


def build_small_db(path: Path) -> None:
    """Known contacts through the real pipeline: a registered QR ref with 30 contacts, an m.me ref
    with 29, two ads, chat plugin contacts and a re-entry through a QR ref with no acquisitions."""
    con = db.connect(path)
    try:
        con.execute("INSERT INTO pages VALUES (?, 'acmebakery', 'Acme Bakery')", [fx.PAGE_ID])
        con.execute(
            """INSERT INTO tracked_links VALUES
               ('qr_big', 'acmebakery', 'qr_code', 'spring', 'window', NULL, 'https://m.me/x',
                TIMESTAMP '2023-11-01'),
               ('qr_late', 'acmebakery', 'qr_code', NULL, NULL, NULL, 'https://m.me/y',
                TIMESTAMP '2023-11-01')"""
        )
    finally:
        con.close()
    lines: list[fx.Json] = []
    n = 0

    def contact(first: fx.Json, psid: str, ts: int, engaged: bool) -> None:
        lines.append(fx.delivery(first))
        lines.append(fx.delivery(fx.message("hi", psid=psid, ts=ts + fx.MINUTE)))
        if engaged:
            lines.append(fx.delivery(fx.message("price?", psid=psid, ts=ts + 2 * fx.MINUTE)))

    for ref, count in SMALL_REFS.items():
        for i in range(count):
            n += 1
            psid, ts = f"71{n:014d}", fx.T0 + n * fx.MINUTE
            pb = fx.postback(referral=fx.referral_obj(ref), psid=psid, ts=ts)
            contact(pb, psid, ts, i < SMALL_ENGAGED[ref])
    for ad_id, (title, count, engaged) in ADS.items():
        for i in range(count):
            n += 1
            psid, ts = f"72{n:014d}", fx.T0 + n * fx.MINUTE
            ref = fx.ads_referral(ad_id=ad_id, ad_title=title)
            contact(fx.postback(referral=ref, psid=psid, ts=ts), psid, ts, i < engaged)
    for uri, guest, engaged in CHATS:
        n += 1
        user_ref, ts = f"chat-user-{n}", fx.T0 + n * fx.MINUTE
        ref = fx.chat_plugin_referral(user_ref, referer_uri=uri, is_guest_user=guest, ts=ts)
        lines.append(fx.delivery(ref))
        sender = {"user_ref": user_ref}
        lines.append(fx.delivery(fx.message("hi", psid=user_ref, sender=sender, ts=ts + 1000)))
        if engaged:
            second = fx.message("and?", psid=user_ref, sender=sender, ts=ts + 2000)
            lines.append(fx.delivery(second))
    # The first "small" contact comes back a day later through QR ref qr_late: a re-entry only.
    lines.append(fx.delivery(fx.referral("qr_late", psid=f"71{31:014d}", ts=fx.T0 + fx.DAY)))
    log = fx.write_ndjson(path.parent / "logs" / "webhooks.ndjson", lines)
    pipeline.run([str(log)], path)
    con = db.connect(path)
    try:
        con.execute(
            """INSERT INTO ad_insights (date, ad_id, ad_name, spend, conversations_started)
               VALUES ('2023-11-14', '6000000000001', 'Sourdough (Meta)', 20.0, 5),
                      ('2023-11-15', '6000000000001', 'Sourdough (Meta)', 10.0, 2),
                      ('2023-12-01', '6000000000001', 'Sourdough (Meta)', 99.0, 9),
                      ('2023-11-15', '6000000000003', 'Bagels', 7.5, 1)"""
        )
    finally:
        con.close()


def ad_contact_lines(ad_id: str, ad_title: str, count: int, psid_prefix: str) -> list[fx.Json]:
    """count people's Get Started on ad ad_id (its referral titled ad_title), a minute apart
    from T0; psid n is psid_prefix and n in 14 digits."""
    ref = fx.ads_referral(ad_id=ad_id, ad_title=ad_title)
    return [
        fx.delivery(
            fx.postback(referral=ref, psid=f"{psid_prefix}{n:014d}", ts=fx.T0 + n * fx.MINUTE)
        )
        for n in range(count)
    ]


def build_pruned_db(path: Path) -> dt.date:
    """A database pruned before its cut, returned: "early" came in before it and is still
    active after it (its older touch is kept), "late" came in after."""
    cut = fx.utc(fx.T0 + 10 * fx.DAY).date()
    log = fx.write_ndjson(path.parent / "logs" / "pruned.ndjson", [
        fx.delivery(fx.referral(ref="flyer", psid="early", ts=fx.T0)),
        fx.delivery(fx.message("hi", psid="early", ts=fx.T0 + 15 * fx.DAY)),
        fx.delivery(fx.message("hi", psid="late", ts=fx.T0 + 20 * fx.DAY)),
    ])  # fmt: skip
    pipeline.run([str(log)], path)
    con = db.connect(path)
    try:
        retention.prune(con, cut)
    finally:
        con.close()
    return cut


def lake_of(path: Path, lake_dir: Path) -> Path:
    """The Parquet lake of the database at path, written to lake_dir (as `ingest --lake`)."""
    con = db.connect(path, read_only=True)
    try:
        lake.sync(con, lake_dir)
    finally:
        con.close()
    return lake_dir


TORN = "TProtocolException: Invalid data"  # what DuckDB said of a file replaced mid-read


def torn_once(
    real: Callable[..., Any], error: type[duckdb.Error] = duckdb.Error
) -> Callable[..., Any]:
    """real, failing on its first call as a read of a lake file a sync replaced does (with
    error, as a read of a database file fails with an IOException)."""
    calls = []

    def read(con: duckdb.DuckDBPyConnection, *args: Any) -> Any:
        calls.append(1)
        if len(calls) == 1:
            raise error(TORN)
        return real(con, *args)

    return read


@pytest.fixture
def small_db(tmp_path: Path) -> Path:
    path = tmp_path / "small.duckdb"
    build_small_db(path)
    return path


@pytest.fixture
def filters() -> Filters:
    """Four whole weeks inside the demo data, Monday to Sunday."""
    return Filters(dt.date(2026, 10, 5), dt.date(2026, 11, 1))


@contextmanager
def opened(path: Path) -> Iterator[duckdb.DuckDBPyConnection]:
    """A read-only connection with the query macros, as the app opens a database."""
    c = db.connect(path, read_only=True)
    queries.install_macros(c)
    try:
        yield c
    finally:
        c.close()


@pytest.fixture
def con(demo_db: Path) -> Iterator[duckdb.DuckDBPyConnection]:
    """The demo database, opened as the app opens it."""
    with opened(demo_db) as c:
        yield c


# The query tests' fixtures: the demo's contacts as rows, and the small database read-only.
@pytest.fixture
def demo_contacts(con: duckdb.DuckDBPyConnection) -> list[dict[str, Any]]:
    return reference.contacts(con)


@pytest.fixture
def small(small_db: Path) -> Iterator[duckdb.DuckDBPyConnection]:
    with opened(small_db) as c:
        yield c


# The page tests' fixtures: the app on a database file, on the demo, and its default range.
@pytest.fixture
def open_app(monkeypatch: pytest.MonkeyPatch) -> Any:
    """AppTest of the whole app on a database file (set before the first run)."""

    def start(path: Path, **query: str | list[str]) -> AppTest:
        monkeypatch.setenv("REFSCOPE_DB", str(path))
        at = AppTest.from_file(str(APP), default_timeout=TIMEOUT)
        at.query_params.update(query)
        return at

    return start


@pytest.fixture
def app(open_app: Any, demo_db: Path) -> AppTest:
    return open_app(demo_db)


@pytest.fixture
def default_range(con: duckdb.DuckDBPyConnection) -> Filters:
    """The app's default: the 28 days ending on the newest event's day."""
    (last,) = con.execute("SELECT CAST(max(ts) AS DATE) FROM events").fetchone()
    return Filters(last - dt.timedelta(days=27), last)


# The report tests' fixtures: one demo database with QR placements and spend, read-only.
@pytest.fixture(scope="session")
def report_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo logs with QR codes registered (placements) and daily ad spend, ingested (this
    spend, SPENT_ADS, in place of the demo's own: some ads have none)."""
    root = tmp_path_factory.mktemp("report")
    write_demo(root / "logs", days=DEMO_DAYS, end=DEMO_END, seed=7, scale=0.5)
    (root / "logs" / demo_ads.FILE).unlink()
    path = root / "refscope.duckdb"
    con = db.connect(path)
    try:
        for ref, page, placement in QR_LINKS:
            con.execute(
                "INSERT INTO tracked_links VALUES (?, ?, 'qr_code', 'demo', ?, NULL, ?, "
                "TIMESTAMP '2026-01-01')",
                [ref, page, placement, f"https://m.me/{page}?ref={ref}"],
            )
        for i, (ad_id, name) in enumerate(SPENT_ADS):
            con.execute(
                """INSERT INTO ad_insights (date, ad_id, ad_name, spend, conversations_started)
                   SELECT CAST(d AS DATE), ?, ?, 2.5 + dayofmonth(d) % 4 + ?, 1
                   FROM range(DATE '2026-09-01', DATE '2026-11-25', INTERVAL 1 DAY) t(d)""",
                [ad_id, name, i * 1.25],
            )
    finally:
        con.close()
    pipeline.run([str(root / "logs")], path)
    return path


@pytest.fixture(scope="session")
def sql(report_db: Path) -> Query:
    return Query(report_db)


@pytest.fixture(scope="session")
def report(report_db: Path) -> reports.Report:
    con = db.connect(report_db, read_only=True)
    try:
        return reports.gather(reports.connection_fetch(con), RANGE)
    finally:
        con.close()


@pytest.fixture(scope="session")
def book(report: reports.Report) -> openpyxl.Workbook:
    return openpyxl.load_workbook(io.BytesIO(reports.render(report, "xlsx")))


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> object:
    """Keep each phase's report on the item so fixtures can react to a failure."""
    rep = yield
    setattr(item, f"rep_{rep.when}", rep)
    return rep
