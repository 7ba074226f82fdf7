"""The Contacts page's lists behind the Overview's reachable contacts, the range's re-entries and
the link contacts without a ref, clicked through in a real browser: each as long as the figure
the other pages show for the same filters."""

from __future__ import annotations

import datetime as dt
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from dashboard import queries, report_model
from dashboard.filters import REENTRIES, ContactPick, Filters
from ingest import pipeline
from tests import factories as fx
from tests.dashboard import test_browser as tb
from tests.dashboard.conftest import opened

pytestmark = tb.pytestmark
browser = tb.browser
READY = '[data-testid="stDataFrame"]'


@pytest.fixture(scope="module")
def refless_demo(demo_db: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo with two contacts through m.me/<page> alone and a re-entry so, on its last day."""
    root = tmp_path_factory.mktemp("refless_demo")
    path = root / "refscope.duckdb"
    shutil.copy(demo_db, path)
    with opened(path) as con:
        (last,) = con.execute("SELECT max(ts) FROM events").fetchone()
    t = int(last.replace(tzinfo=dt.UTC).timestamp() * 1000) - 6 * fx.HOUR
    lines = []
    for i, psid in enumerate(("nr1", "nr2")):
        ts = t + i * fx.MINUTE
        lines += [fx.delivery(fx.postback(referral=fx.referral_obj(None), psid=psid, ts=ts)),
                  fx.delivery(fx.message("hi", psid=psid, ts=ts + fx.MINUTE))]  # fmt: skip
    lines.append(fx.delivery(fx.referral(None, psid="nr1", ts=t + fx.HOUR)))
    pipeline.run([str(fx.write_ndjson(root / "logs" / "refless.ndjson", lines))], path)
    return path


@pytest.fixture(scope="module")
def server(refless_demo: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tb.Server]:
    with tb.run_dashboard(refless_demo, tmp_path_factory.mktemp("srv") / "log") as srv:
        yield srv


@pytest.fixture
def page(browser, server, request) -> Iterator[Page]:
    yield from tb.open_page(browser, server, request)


def _n(n: int, one: str, many: str) -> str:
    return f"{n:,} {one if n == 1 else many}"


def test_each_list_is_as_long_as_the_figure_it_stands_behind(page, server, refless_demo):
    with opened(refless_demo) as con:
        (last,) = con.execute("SELECT CAST(max(ts) AS DATE) FROM events").fetchone()
        f = Filters(last - dt.timedelta(days=27), last)
        reachable = int(queries.kpis(con, f)["reachable"].iloc[0])
        reentries = int(queries.channel_totals(con, f)["reentries"].sum())
        refless = queries.refless(con, f)
        back = queries.contact_rows(con, f, pick=ContactPick(refless=True, show=REENTRIES))
    new, came_back = int(refless["new_contacts"].sum()), int(refless["reentries"].sum())
    assert (new, came_back, len(back)) == (2, 1, 1) and reachable > 2 and reentries > 1
    page.goto(f"{server.url}/links")
    tb.finished(page, "Links & QR codes", READY)
    expect(page.get_by_text(report_model.refless_note(refless)[:60]).first).to_be_visible()
    page.goto(f"{server.url}/contacts")
    tb.finished(page, "Contacts", READY)
    span = f"{f.start} – {f.end}"
    tb.choose(page, "Show", "Reachable at the end (24 h)")
    said = f"{_n(reachable, 'contact', 'contacts')} reachable at the end of {span}"
    expect(page.get_by_text(said)).to_be_visible()
    tb.choose(page, "Show", "Re-entries in the range")
    expect(page.get_by_text(f"{_n(reentries, 're-entry', 're-entries')} {span}")).to_be_visible()
    tb.finished(page, "Contacts", READY)
    tb.choose(page, "Link or QR ref", "(no ref)")
    expect(page.get_by_text(f"{_n(came_back, 're-entry', 're-entries')} {span}")).to_be_visible()
    tb.finished(page, "Contacts", READY)
    tb.choose(page, "Show", "Acquired in the range")
    expect(page.get_by_text(f"{_n(new, 'contact', 'contacts')} acquired {span}")).to_be_visible()
    tb.finished(page, "Contacts", READY)
    expect(page.get_by_role("combobox", name="Link or QR ref", exact=True)).to_have_value(
        "(no ref)"
    )
