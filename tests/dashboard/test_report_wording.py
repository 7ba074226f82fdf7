"""What the report says in any format: its sections' notes (tables cut to the top, spend
not loaded, placements), its range, pages and channels, and its KPIs' changes."""

from __future__ import annotations

import datetime as dt
import io
import math

import openpyxl
import pandas as pd
import pypdf
import pytest

from dashboard import queries, report_data, reports
from dashboard.filters import Filters
from ingest import db, pipeline
from ingest.demo_payloads import ACME
from tests import factories as fx
from tests import factories_feed as ff
from tests.dashboard.conftest import opened
from tests.dashboard.report_setup import EMPTY, RANGE, needs_chromium


def test_an_ads_table_cut_to_the_top_says_so_and_what_the_rest_spent():
    n = report_data.TOP_ADS + 3
    ads = pd.DataFrame({
        "ad_title": [f"ad {i}" for i in range(n)], "ad_id": [str(i) for i in range(n)],
        "new_contacts": [n - i for i in range(n)], "engaged": [0] * n, "spend": [10.0] * n,
        "cost_per_contact": [10.0 / (n - i) for i in range(n)], "cost_per_engaged": [None] * n,
        "conversations_started": [0] * n,
    })  # fmt: skip
    section = report_data._ads(ads)
    assert len(section.table) == report_data.TOP_ADS
    assert (
        section.note
        == f"Top {report_data.TOP_ADS} of {n} ads by new contacts; the other 3 spent 30.00."
    )


def _ads_without_spend(n: int) -> pd.DataFrame:
    """n ads of queries.ads, by new contacts, none with a spend row."""
    return pd.DataFrame({
        "ad_title": [f"ad {i}" for i in range(n)], "ad_id": [str(i) for i in range(n)],
        "new_contacts": [n - i for i in range(n)], "engaged": [0] * n, "spend": [math.nan] * n,
        "cost_per_contact": [math.nan] * n, "cost_per_engaged": [math.nan] * n,
        "conversations_started": [math.nan] * n,
    })  # fmt: skip


def test_an_ads_table_cut_to_the_top_claims_no_spend_of_ads_without_spend_rows():
    """Without ad insights the ads not listed spent nothing known: "spent 0.00" after "No ad
    spend loaded" contradicted it."""
    n = report_data.TOP_ADS + 3
    ads = _ads_without_spend(n)
    assert report_data._ads(ads).note == (
        f"No ad spend loaded for this range. Top {report_data.TOP_ADS} of {n} ads by new "
        "contacts; the other 3 have no spend loaded."
    )
    ads["spend"] = [10.0] * report_data.TOP_ADS + [math.nan, 2.5, math.nan]
    assert report_data._ads(ads).note.endswith("; the other 3 spent 2.50.")


def test_one_ad_left_out_of_the_top_is_said_in_the_singular():
    """ "The other 1 have no spend loaded": one ad past the top was counted as several."""
    n = report_data.TOP_ADS + 1
    ads = _ads_without_spend(n)
    top = f"Top {report_data.TOP_ADS} of {n} ads by new contacts"
    assert report_data._ads(ads).note.endswith(f"{top}; the other ad has no spend loaded.")
    ads["spend"] = [10.0] * n
    assert report_data._ads(ads).note == f"{top}; the other ad spent 10.00."


def test_an_ads_table_with_some_spend_does_not_say_none_was_loaded(book, report):
    """ "No ad spend loaded" is for ads none of which has spend: here two ads spent, the others
    brought contacts without spend rows, and the note would deny the spend beside it."""
    ads = report.section("ads")
    assert ads.table["spend"].notna().any() and ads.table["spend"].isna().any()
    assert "No ad spend loaded" not in ads.note
    notes = [r[0] for r in book["Summary"].iter_rows(values_only=True) if r[0]]
    assert not any("No ad spend loaded" in str(n) for n in notes)
    unspent = ads.table.assign(spend=None, cost_per_contact=None, cost_per_engaged=None)
    assert report_data._ads(unspent).note == "No ad spend loaded for this range."


def test_a_refs_table_says_it_is_cut_only_when_it_is():
    def refs(n: int) -> pd.DataFrame:
        return pd.DataFrame({
            "page_id": ["1"] * n, "ref": [f"r{i}" for i in range(n)], "channel": ["m_me_link"] * n,
            "new_contacts": [n - i for i in range(n)], "engaged": [0] * n,
        })  # fmt: skip

    assert report_data._refs(refs(3)).note == ""
    assert report_data._refs(refs(report_data.TOP_REFS)).note == ""
    n = report_data.TOP_REFS + 2
    assert (
        report_data._refs(refs(n)).note
        == f"Top {report_data.TOP_REFS} of {n} refs by new contacts."
    )


def test_qr_placements_count_a_ref_two_pages_share_as_two_codes():
    refs = pd.DataFrame({
        "page_id": ["1", "2", "1"], "ref": ["qr_flyer", "qr_flyer", "qr_door"],
        "channel": ["qr_code"] * 3, "placement": ["flyer", "flyer", None],
        "new_contacts": [8, 3, 1], "engaged": [4, 1, 0], "scans": [40, 12, 2],
    })  # fmt: skip
    table = report_data._placements(refs).table.set_index("placement")
    assert table.loc["flyer", ["refs", "new_contacts", "scans"]].tolist() == [2, 11, 52]
    assert table.loc["qr_door", "refs"] == 1


@pytest.mark.parametrize("fmt", [pytest.param("pdf", marks=needs_chromium), "html"])
def test_a_one_day_report_says_1_day(report_db, fmt):
    day = RANGE.end
    con = db.connect(report_db, read_only=True)
    try:
        one = reports.gather(reports.connection_fetch(con), Filters(day, day))
    finally:
        con.close()
    out = reports.render(one, fmt)
    text = (pypdf.PdfReader(io.BytesIO(out)).pages[0].extract_text() if fmt == "pdf"
            else out.decode())  # fmt: skip
    assert f"{day} – {day} (1 day), compared with" in text


@pytest.mark.parametrize("fmt", [pytest.param("pdf", marks=needs_chromium), "xlsx", "html"])
def test_a_report_of_chosen_pages_and_channels_names_them(report_db, tmp_path, fmt):
    """A manager reads "Acme Bakery (id)" and "QR code", as in the report's tables, not the
    bare page id and channel key (the header said pages: 1122334455667788, channels: qr_code)."""
    path = tmp_path / "named.duckdb"
    path.write_bytes(report_db.read_bytes())
    con = db.connect(path)
    try:
        con.execute("INSERT OR REPLACE INTO pages VALUES (?, 'acmebakery', 'Acme Bakery')", [ACME])
        f = Filters(RANGE.start, RANGE.end, (ACME,), ("qr_code", "m_me_link"))
        out = reports.render(reports.gather(reports.connection_fetch(con), f), fmt)
    finally:
        con.close()
    if fmt == "xlsx":
        ws = openpyxl.load_workbook(io.BytesIO(out))["Summary"]
        text = " ".join(str(c) for row in ws.iter_rows(values_only=True) for c in row if c)
    elif fmt == "pdf":
        text = pypdf.PdfReader(io.BytesIO(out)).pages[0].extract_text()
    else:
        text = out.decode()
    assert f"Acme Bakery ({ACME})" in text and "QR code, m.me link" in text
    assert "qr_code" not in text and "m_me_link" not in text


def test_a_comment_funnel_of_one_post_says_post():
    one = pd.DataFrame({"comments": [3], "private_replies": [2], "conversations": [1]})
    assert report_data._funnel(one).note == "Over 1 post."


def test_a_long_range_writes_its_days_with_a_thousands_separator():
    """Counts are written 1,066 everywhere else in the report, not "(1066 days)"."""
    assert report_data.length(Filters(dt.date(2024, 1, 1), dt.date(2026, 12, 1))) == "1,066 days"


def test_a_previous_period_the_data_covers_in_part_is_not_compared(report_db):
    """The data starts on 2026-07-28: a week from 07-31 is compared with 07-24 – 07-30, of which
    it holds three days only. Those few contacts against a whole week are a growth that never
    happened: the report has no previous figure there, as the Overview has none."""
    f = Filters(dt.date(2026, 7, 31), dt.date(2026, 8, 6))
    con = db.connect(report_db, read_only=True)
    try:
        part = reports.gather(reports.connection_fetch(con), f)
        assert queries.kpis(con, f.previous())["new_contacts"].iloc[0] > 0  # there are some
    finally:
        con.close()
    kpis = {k.key: k for k in part.kpis}
    assert kpis["new_contacts"].value and kpis["new_contacts"].previous is None
    table = reports.kpi_table(part).set_index("Metric")
    assert table.loc["New contacts", ["Previous period", "Change"]].tolist() == ["—", "—"]


def test_a_money_change_keeps_its_cents_and_a_count_is_whole():
    spend = report_data.Kpi("spend", "Ad spend", "money", 110.5, 100.0)
    assert report_data.format_change(spend) == "+10.50 (+10.5%)"
    count = report_data.Kpi("new_contacts", "New contacts", "int", 1180.0, 1000.0)
    assert report_data.format_change(count) == "+180 (+18.0%)"


def test_a_rates_change_prints_in_percentage_points():
    """Engaged rate 20% -> 25% is +5.0 pts, as the KPI row says, not +0.1."""
    k = report_data.Kpi("engaged_rate", "Engaged rate", "pct", 0.25, 0.2)
    assert report_data.format_change(k) == "+5.0 pts"


def test_a_share_prints_as_a_percentage():
    """A rate is stored 0-1 and printed as a percentage: 0.253 is 25.3%, not 0.3."""
    assert report_data.format_value(0.253, "pct") == "25.3%"


def _gathered(path, f):
    con = db.connect(path, read_only=True)
    try:
        return reports.gather(reports.connection_fetch(con), f)
    finally:
        con.close()


def test_a_section_the_channel_filter_leaves_out_says_so_not_that_the_range_had_none(report_db):
    """A report of QR codes and organic contacts: the range had comments and ad spend, which
    the channel filter leaves out; "No comments or private replies in this range" denied them."""
    report = _gathered(report_db, Filters(RANGE.start, RANGE.end, channels=("qr_code", "organic")))
    ads, funnel = report.section("ads"), report.section("funnel")
    assert ads.empty and funnel.empty
    assert ads.empty_note == ("The channel filter (QR code, Organic) leaves out Click-to-Messenger "
                              "ads: none of their figures are in this report.")  # fmt: skip
    assert funnel.empty_note == ("The channel filter (QR code, Organic) leaves out comment "
                                 "replies: none of their figures are in this report.")  # fmt: skip
    assert not report.section("placements").empty  # QR codes chosen: shown as ever
    html = reports.render(report, "html").decode()
    assert ads.empty_note in html and "No comments or private replies" not in html
    book = openpyxl.load_workbook(io.BytesIO(reports.render(report, "xlsx")))
    assert book["Ads"]["A2"].value == ads.empty_note
    assert book["Comment funnel"]["A2"].value == funnel.empty_note


def test_a_section_whose_channel_is_chosen_keeps_saying_the_range_had_none(report_db):
    report = _gathered(report_db, Filters(EMPTY.start, EMPTY.end, channels=("ctm_ad",)))
    # The insights start in 2026: the range's spend is not known to be none.
    assert report.section("ads").empty_note == (
        "No Click-to-Messenger contacts in 2020-01-01 – 2020-01-28 (pages: all, channels: "
        "Click-to-Messenger ad). Ad insights are pulled for 2026-09-01 – 2026-11-24, none of "
        "this range: it counts no ad spend."
    )
    assert report.section("refs").empty_note == (
        "The channel filter (Click-to-Messenger ad) leaves out m.me links and QR codes: none of "
        "their figures are in this report."
    )


def test_every_report_format_says_its_days_and_times_are_utc(report_db):
    """Days are cut at midnight UTC (the sidebar says so): a manager in New York reading "New
    contacts per day" in the file alone must learn it from the file."""
    report = _gathered(report_db, EMPTY)  # no charts: the PDF needs no Chromium
    html = reports.render(report, "html").decode()
    assert "Days and times are UTC." in html
    pdf = pypdf.PdfReader(io.BytesIO(reports.render(report, "pdf")))
    assert "days and times are UTC" in pdf.pages[0].extract_text()
    book = openpyxl.load_workbook(io.BytesIO(reports.render(report, "xlsx")))
    summary = {r[0]: r[1] for r in book["Summary"].iter_rows(values_only=True) if r[0]}
    assert summary["Days and times"] == "UTC"


def test_the_placements_note_speaks_only_of_refs_listed_under_themselves():
    """Every QR code registered with a placement: no note that "unregistered QR refs are listed
    under the ref" (there are none); a code without one is named for what it is."""
    refs = pd.DataFrame({
        "page_id": ["1", "1"], "ref": ["qr_flyer", "qr_door"], "channel": ["qr_code"] * 2,
        "placement": ["flyer", "door"], "new_contacts": [8, 1], "engaged": [4, 0],
        "scans": [40, 2],
    })  # fmt: skip
    assert report_data._placements(refs).note == ""
    refs.loc[1, "placement"] = None
    assert report_data._placements(refs).note == (
        "A QR ref without a placement (not registered, or registered without one) is listed "
        "under the ref."
    )


def test_the_comment_funnel_counts_real_posts_not_the_row_of_no_known_post(tmp_path):
    """A private reply to a comment the logs never showed has no known post: queries.comments
    gives it a row '(unknown post)', which "Over 2 posts." counted as a post."""
    post, ts = f"{fx.PAGE_ID}_777", fx.T0
    lines = [
        ff.feed(ff.comment(comment_id="777_1", post_id=post)),
        ff.send_log("777_1", "a", ts=ts + 1000),
        ff.send_log("999_1", "b", ts=ts + 2000),  # its comment is in no log
        fx.delivery(fx.message("yes please", psid="b", ts=ts + 60_000)),
    ]
    path = tmp_path / "comments.duckdb"
    pipeline.run([str(fx.write_ndjson(tmp_path / "webhooks.ndjson", lines))], path)
    day = fx.utc(ts).date()
    with opened(path) as con:
        posts = set(queries.comments(con, Filters(day, day))["post_id"])
        report = report_data.gather(report_data.connection_fetch(con), Filters(day, day))
    assert posts == {post, "(unknown post)"}
    (funnel,) = [s for s in report.sections if s.key == "funnel"]
    assert funnel.note == ("Over 1 post. Of no known post: 1 private reply and 1 conversation "
                           "((unknown post) on the Comments page).")  # fmt: skip
