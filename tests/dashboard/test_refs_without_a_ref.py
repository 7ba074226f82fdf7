"""Contacts and re-entries through an m.me link without a ref (m.me/<page> alone, `?ref=` with
nothing after it) or a legacy Messenger code without one: Overview counts them under their
channel, no ref's row can. Links & QR codes and the report's Top refs and QR placements say
how many, where their figures added up to less than the channel totals without a word (and a
report said "No QR code contacts" beside a Channels table of one).
https://developers.facebook.com/documentation/business-messaging/messenger-platform/discovery/m-me-links
"""

from __future__ import annotations

from pathlib import Path

import pytest

from dashboard import queries, reports
from dashboard.filters import Filters
from ingest import pipeline
from tests import factories as fx
from tests.dashboard.conftest import opened
from tests.dashboard.screen import show, shown

DAY = fx.utc(fx.T0).date()
RANGE = Filters(DAY, DAY)
FROM_TO = {"range": "Custom", "from": str(DAY), "to": str(DAY)}
LINKS_NOTE = "2 new contacts and 1 re-entry came through m.me links without a ref"
QR_NOTE = "1 new contact came through QR codes without a ref"


def _first(item: fx.Json, psid: str, ts: int) -> list[fx.Json]:
    return [fx.delivery(item), fx.delivery(fx.message("hi", psid=psid, ts=ts + fx.MINUTE))]


@pytest.fixture
def refless_db(tmp_path: Path) -> Path:
    t = fx.T0 - 20 * fx.HOUR  # the same UTC day as T0
    lines = [
        *_first(fx.postback(referral=fx.referral_obj("spring"), psid="u1", ts=t), "u1", t),
        *_first(fx.postback(referral=fx.referral_obj(None), psid="u2", ts=t + fx.HOUR), "u2",
                t + fx.HOUR),  # m.me/<page>, no ref
        *_first(fx.postback(referral=fx.referral_obj(""), psid="u3", ts=t + 2 * fx.HOUR), "u3",
                t + 2 * fx.HOUR),  # ?ref= with nothing after it
        *_first(fx.referral(None, "MESSENGER_CODE", psid="u4", ts=t + 3 * fx.HOUR), "u4",
                t + 3 * fx.HOUR),  # a legacy code without a ref
        fx.delivery(fx.referral(None, psid="u1", ts=t + 4 * fx.HOUR)),  # a re-entry, no ref
    ]  # fmt: skip
    path = tmp_path / "refless.duckdb"
    pipeline.run([str(fx.write_ndjson(tmp_path / "logs" / "webhooks.ndjson", lines))], path)
    return path


def test_the_refless_query_counts_what_no_refs_row_does(refless_db):
    with opened(refless_db) as con:
        totals = queries.channel_totals(con, RANGE).set_index("channel")
        refs = queries.refs(con, RANGE)
        refless = queries.refless(con, RANGE).set_index("channel")
    # Every link contact and re-entry is in a ref's row or in refless: none is lost.
    for channel in ("m_me_link", "qr_code"):
        rows = refs[refs["channel"] == channel]
        for col in ("new_contacts", "reentries"):
            assert rows[col].sum() + refless.loc[channel, col] == totals.loc[channel, col]
    assert refless.loc["m_me_link"].tolist() == [2, 1]


def test_links_page_says_how_many_came_through_no_ref(open_app, refless_db):
    at = show(open_app(refless_db, **FROM_TO), "links")
    said = " ".join(shown(c.value) for c in at.caption)
    assert LINKS_NOTE in said and QR_NOTE in said


def test_the_report_says_so_below_top_refs_and_qr_placements(refless_db):
    with opened(refless_db) as con:
        report = reports.gather(reports.connection_fetch(con), RANGE)
    refs, placements = (next(s for s in report.sections if s.key == k)
                        for k in ("refs", "placements"))  # fmt: skip
    assert LINKS_NOTE in refs.note and QR_NOTE in refs.note
    # No QR code row at all: the empty section says the code contact is there, without a ref.
    assert placements.empty and QR_NOTE in placements.empty_note
    assert LINKS_NOTE not in placements.empty_note
    html = reports.render(report, "html").decode()
    assert LINKS_NOTE in html and QR_NOTE in html
