"""The Overview's "Reachable at the end (24 h)" and "Cost per ad contact" on a hand-made
database: each figure as its definition (the README's, and the KPI's help on the page) counts
it, contact by contact and day by day.

Meta's standard messaging window is open for 24 hours after a person's own action (a message,
a postback, a referral, an optin, a reaction); a comment, a read receipt or the page's own
message opens none:
https://developers.facebook.com/docs/messenger-platform/policy/policy-overview/
"""

from __future__ import annotations

import datetime as dt
import html
import io
from pathlib import Path

import openpyxl
import pypdf
import pytest

from dashboard import queries, reports
from dashboard.filters import Filters
from dashboard.report_model import KPI_DEFINITIONS
from ingest import db, pipeline
from tests import factories as fx
from tests.dashboard.conftest import opened
from tests.dashboard.screen import metric, show

D = dt.date(2023, 11, 20)  # the range's last day
RANGE = Filters(D - dt.timedelta(days=6), D)
AD, IDLE = "6000000000001", "6000000000009"


def at(day: dt.date, hour: int, minute: int = 0) -> int:
    """The instant in ms, as Messenger stamps it, of hour:minute UTC on day."""
    when = dt.datetime(day.year, day.month, day.day, hour, minute, tzinfo=dt.UTC)
    return int(when.timestamp() * 1000)


def days(n: int) -> dt.date:
    return D + dt.timedelta(days=n)


def _ad_contact(psid: str, ts: int) -> fx.Json:
    ref = fx.ads_referral(ad_id=AD, ad_title="Sourdough")
    return fx.delivery(fx.postback(referral=ref, psid=psid, ts=ts))


def build(path: Path) -> None:
    """Who is reachable when the range ends (midnight UTC after D): "a" (a message at 23:30),
    "c" (a reaction) and "f" (an ad contact of D); not "b" (its last message a minute before
    the window, then only the page's echo), "e" (a read receipt), "i" (a message at 00:30 UTC
    the next day: still D in New York), nor "h" (acquired two days later, the newest event)."""
    lines = [fx.delivery(fx.message("hi", psid=p, ts=at(days(-10), 12))) for p in "abcei"]
    lines += [
        fx.delivery(fx.message("late", psid="a", ts=at(D, 23, 30))),
        fx.delivery(fx.message("early", psid="b", ts=at(days(-1), 23, 59))),
        fx.delivery(fx.echo("thanks", psid="b", ts=at(D, 12))),
        fx.delivery(fx.reaction("m_a", psid="c", ts=at(D, 10))),
        fx.delivery(fx.read_receipt(at(D, 12), psid="e", ts=at(D, 12))),
        fx.delivery(fx.message("next", psid="i", ts=at(days(1), 0, 30))),
        _ad_contact("f", at(D, 5)),
        _ad_contact("g", at(days(-3), 9)),  # an ad contact of the range, silent since
        _ad_contact("j", at(days(-8), 9)),  # an ad contact before the range
        fx.delivery(fx.message("hi", psid="h", ts=at(days(2), 8))),
    ]
    pipeline.run([str(fx.write_ndjson(path.parent / "logs" / "w.ndjson", lines))], path)
    con = db.connect(path)
    try:
        # Spend of the range's days: 30 + 12 of the ad, 6 of one that brought no contact; the
        # days before and after it are not the range's.
        con.execute(
            f"""INSERT INTO ad_insights (date, ad_id, ad_name, spend)
                VALUES ('{days(-7)}', '{AD}', 'Sourdough', 100.0),
                       ('{days(-3)}', '{AD}', 'Sourdough', 30.0),
                       ('{D}', '{AD}', 'Sourdough', 12.0),
                       ('{days(-2)}', '{IDLE}', 'Rye', 6.0),
                       ('{days(1)}', '{AD}', 'Sourdough', 50.0)"""
        )
    finally:
        con.close()


@pytest.fixture
def hand_made(tmp_path: Path) -> Path:
    path = tmp_path / "kpis.duckdb"
    build(path)
    return path


def test_reachable_and_cost_per_ad_contact_count_as_defined(hand_made):
    with opened(hand_made) as con:
        k = queries.kpis(con, RANGE).iloc[0]
        ads_only = queries.kpis(con, Filters(RANGE.start, D, (), ("ctm_ad",))).iloc[0]
    assert int(k["reachable"]) == 3  # a, c, f
    assert int(k["new_contacts"]) == 2  # f, g: the ad contacts acquired in the range
    assert (k["spend"], k["cost_per_contact"]) == (48.0, 24.0)  # (30 + 12 + 6) / 2
    assert int(ads_only["reachable"]) == 1  # f: by the channel they came in through


def test_the_overview_shows_and_defines_them(open_app, hand_made):
    at = show(open_app(hand_made, **{"from": str(RANGE.start), "to": str(D)}), "overview")
    reachable = metric(at, "Reachable at the end (24 h)")
    cost = metric(at, "Cost per ad contact")
    spend = metric(at, "Ad spend")
    assert (reachable.value, cost.value, spend.value) == ("3", "24.00", "48.00")
    said = reachable.proto.help
    window = ("whenever acquired", "message, postback, referral, optin or reaction",
              "24 hours before the range ends", "midnight UTC", "messaging window")  # fmt: skip
    for words in window:
        assert words in said, said
    said = cost.proto.help
    for words in ("Ad spend", "new contacts Click-to-Messenger ads brought in", "UTC day"):
        assert words in said, said
    said = spend.proto.help
    for words in ("ad account's time zone", "pages chosen"):
        assert words in said, said
    # Each still says what its change is against.
    assert "previous period" in reachable.proto.help


def test_every_report_format_defines_them_below_its_key_figures(hand_made):
    """A PDF, sheet or page read away from the dashboard named "Reachable at the end (24 h)"
    and "Cost per ad contact" without saying what they count."""
    with opened(hand_made) as con:
        report = reports.gather(reports.connection_fetch(con), RANGE)
    notes = report.kpi_notes
    # First, why the previous period (before this database's first log) has no figures.
    assert [n.split(": ", 1)[0] for n in notes] == ["Previous period not fully covered",
        "Reachable at the end (24 h)", "Ad spend", "Cost per ad contact"]  # fmt: skip
    assert all(KPI_DEFINITIONS[k] in n for k, n in zip(
        ("reachable", "spend", "cost_per_contact"), notes[1:], strict=True))  # fmt: skip
    page = html.unescape(reports.render(report, "html").decode())
    assert all(n in page for n in notes), page
    book = openpyxl.load_workbook(io.BytesIO(reports.render(report, "xlsx")))
    cells = [c for row in book["Summary"].iter_rows(values_only=True) for c in row if c]
    assert all(n in cells for n in notes), cells
    if not reports.pdf_available():
        pytest.skip("the PDF's charts need Chromium")
    pdf = pypdf.PdfReader(io.BytesIO(reports.render(report, "pdf")))
    text = " ".join(" ".join(p.extract_text().split()) for p in pdf.pages)
    assert all(n in text for n in notes), text
