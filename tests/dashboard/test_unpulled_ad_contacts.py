"""Cost per ad contact divides the range's ad spend by every new Click-to-Messenger contact of
the range; a contact of an ad that no pulled insights row names (its ad account not pulled) is
counted while its cost is not in the spend, so the figure is too low: the Overview, the Ads page
and every report format say so beside it, and say nothing when every ad is in the insights,
when no insights were pulled at all (the figure is "—"), or of a referral that named no ad."""

from __future__ import annotations

import datetime as dt
import html
from pathlib import Path

import openpyxl
import pytest

from dashboard import queries, reports
from dashboard.cli import cli
from dashboard.filters import Filters
from ingest import db, pipeline
from tests import factories as fx
from tests.dashboard.conftest import ad_contact_lines, opened
from tests.dashboard.reference import nan_or, num
from tests.dashboard.screen import metric, show

DAY = dt.date(2023, 11, 14)  # fx.T0's day: every contact below comes in on it
F = Filters(DAY, DAY)
PULLED, UNPULLED, ALSO_UNPULLED = "6100000000001", "6100000000002", "6100000000003"
NOTE = ("Cost per ad contact: 3 of 7 ad contacts came through 2 ads that no pulled ad insights "
        "name (ad account not pulled?): their cost is not in the ad spend, so the figure is too "
        "low.")  # fmt: skip
SAID = "no pulled ad insights name"


def build(path: Path, insights: str) -> None:
    """7 ad contacts on DAY: 3 of PULLED, 2 of UNPULLED, 1 of ALSO_UNPULLED and 1 whose referral
    named no ad; and an m.me contact. insights: "some" (PULLED's spend of DAY alone), "all"
    (the other two ads' rows too, of an earlier day) or "none"."""
    lines = [*ad_contact_lines(PULLED, "Rye", 3, "81"), *ad_contact_lines(UNPULLED, "Bun", 2, "82"),
             *ad_contact_lines(ALSO_UNPULLED, "Tart", 1, "83")]  # fmt: skip
    ts = fx.T0 + 10 * fx.MINUTE
    lines += [
        fx.delivery(fx.postback(referral=fx.referral_obj(None, "ADS"), psid="noad", ts=ts)),
        fx.delivery(fx.message("hi", psid="noad", ts=ts + fx.MINUTE)),
        fx.delivery(fx.referral("flyer", psid="mme", ts=ts)),
    ]
    pipeline.run([str(fx.write_ndjson(path.parent / "logs" / "w.ndjson", lines))], path)
    rows = {"none": [], "some": [(DAY, PULLED, 30.0)],
            "all": [(DAY, PULLED, 30.0), (dt.date(2023, 11, 1), UNPULLED, 5.0),
                    (dt.date(2023, 11, 1), ALSO_UNPULLED, 5.0)]}[insights]  # fmt: skip
    con = db.connect(path)
    try:
        for day, ad, spend in rows:
            con.execute("INSERT INTO ad_insights (date, ad_id, spend) VALUES (?, ?, ?)",
                        [day, ad, spend])  # fmt: skip
    finally:
        con.close()


@pytest.fixture(params=["some", "all", "none"])
def built(request: pytest.FixtureRequest, tmp_path: Path) -> tuple[str, Path]:
    path = tmp_path / "ads.duckdb"
    build(path, request.param)
    return request.param, path


# What each database says beside the figure: the note with some ads unpulled, nothing else.
EXPECTED = {"some": NOTE, "all": "", "none": ""}


def test_the_count_of_ad_contacts_through_ads_no_insights_name(built):
    insights, path = built
    with opened(path) as con:
        counts = queries.unpulled_ad_contacts(con, F).iloc[0]
        cost = queries.kpis(con, F)["cost_per_contact"].iloc[0]
        on_other_channel = queries.unpulled_ad_contacts(con, Filters(DAY, DAY, (), ("m_me_link",)))
    unpulled = {"some": (3, 2), "all": (0, 0), "none": (6, 3)}[insights]
    assert counts[["ad_contacts", "unpulled", "unpulled_ads"]].tolist() == [7, *unpulled]
    # The figure stays as defined: the spend over every ad contact, the unpulled ones too.
    assert num(cost) == nan_or({"some": 30.0 / 7, "all": 30.0 / 7}.get(insights))
    assert on_other_channel.iloc[0].tolist() == [0, 0, 0]


def test_every_report_format_says_it_beside_the_figure(built, runner, tmp_path):
    insights, path = built
    with opened(path) as con:
        report = reports.gather(reports.connection_fetch(con), F)
    said = [n for n in report.kpi_notes if SAID in n]
    assert said == ([NOTE] if EXPECTED[insights] else [])
    # Right after what the figure counts.
    if said:
        notes = report.kpi_notes
        assert notes[notes.index(NOTE) - 1].startswith("Cost per ad contact: Ad spend divided")
    # The files `refscope report` writes, read back.
    dates = ["--from", str(DAY), "--to", str(DAY)]
    for fmt in ("xlsx", "html"):
        out = tmp_path / f"report.{fmt}"
        result = runner.invoke(cli, ["report", "--db", str(path), *dates, "--out", str(out)])
        assert result.exit_code == 0, result.output
        if fmt == "xlsx":
            book = openpyxl.load_workbook(out)
            cells = [c for row in book["Summary"].iter_rows(values_only=True) for c in row if c]
            # Below the key figures, then among the Ads sheet's notes (test_unpulled_ads_section).
            in_ads = [f"Ads: {n}" for n in said]
            assert [c for c in cells if isinstance(c, str) and SAID in c] == [*said, *in_ads]
        else:
            page = html.unescape(out.read_text(encoding="utf-8"))
            assert page.count(SAID) == 2 * len(said)  # and in the Ads section
            assert all(n in page for n in said)


@pytest.mark.parametrize("page", ["overview", "ads"])
def test_the_overview_and_ads_pages_say_it(open_app, tmp_path, page):
    path = tmp_path / "ads.duckdb"
    build(path, "some")
    at = show(open_app(path, range="Custom", **{"from": str(DAY), "to": str(DAY)}), page)
    assert [c.value for c in at.caption if SAID in c.value] == [NOTE]
    if page == "overview":
        assert metric(at, "Cost per ad contact").value == "4.29"  # 30 / 7, as defined


@pytest.mark.parametrize("insights", ["all", "none"])
def test_the_overview_says_nothing_when_every_ad_is_pulled_or_none_is(open_app, tmp_path, insights):
    path = tmp_path / "ads.duckdb"
    build(path, insights)
    at = show(open_app(path, range="Custom", **{"from": str(DAY), "to": str(DAY)}), "overview")
    assert not [c.value for c in at.caption if SAID in c.value]
    cost = {"all": "4.29", "none": "—"}[insights]  # no insights: no spend known, no figure
    assert metric(at, "Cost per ad contact").value == cost
