"""Every figure is the same number everywhere a manager may read it: the dashboard's queries,
the period report (its model, and the XLSX the `report` command writes), the dashboard's CSV
downloads, and the README's SQL definitions run by hand on the database. All of them equal
the figures counted by hand from the logs of agreement_setup.py, for five filter choices (all,
each page, one channel, and a range that starts between a contact's acquisition and its
re-entry) and after a prune."""

from __future__ import annotations

import io
import shutil
from html import escape as html_escape
from pathlib import Path

import openpyxl
import pypdf
import pytest

from dashboard import queries, reports
from dashboard.cli import cli
from dashboard.filters import ContactPick, Filters
from dashboard.report_data import connection_fetch, gather, kpi_texts
from ingest import db, retention
from tests.dashboard.agreement_setup import ALL, EXPECTED, FILTERS, P1, build, day
from tests.dashboard.agreement_sources import (
    by_hand,
    downloaded,
    from_frames,
    from_report,
    from_workbook,
    normalised,
    num,
    query_frames,
)
from tests.dashboard.conftest import opened
from tests.dashboard.screen import metric, show


@pytest.fixture(scope="module")
def hand_made(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("agree") / "refscope.duckdb"
    build(path)
    return path


CASES = list(FILTERS)


@pytest.mark.parametrize("case", CASES)
def test_the_dashboards_queries_count_as_by_hand(hand_made, case):
    with opened(hand_made) as con:
        got = from_frames(query_frames(con, FILTERS[case]))
    assert normalised(got) == normalised(EXPECTED[case])


@pytest.mark.parametrize("fmt", ["csv", "xlsx", "parquet"])
@pytest.mark.parametrize("case", CASES)
def test_the_table_downloads_hold_the_same_figures(hand_made, case, fmt):
    with opened(hand_made) as con:
        got = from_frames(downloaded(query_frames(con, FILTERS[case]), FILTERS[case], fmt))
    assert normalised(got) == normalised(EXPECTED[case])


@pytest.mark.parametrize("case", CASES)
def test_the_reports_model_holds_the_same_figures(hand_made, case):
    with opened(hand_made) as con:
        got = from_report(con, FILTERS[case])
    assert normalised(got) == normalised(EXPECTED[case])


@pytest.mark.parametrize("case", CASES)
def test_the_report_commands_xlsx_holds_the_same_figures(hand_made, runner, tmp_path, case):
    f = FILTERS[case]
    out = tmp_path / "report.xlsx"
    args = ["report", "--db", str(hand_made), "--from", str(f.start), "--to", str(f.end),
            "--out", str(out)]  # fmt: skip
    args += [a for p in f.pages for a in ("--page", p)]
    args += [a for c in f.channels for a in ("--channel", c)]
    result = runner.invoke(cli, args)
    assert result.exit_code == 0, result.output
    got = from_workbook(openpyxl.load_workbook(out))
    assert normalised(got) == normalised(EXPECTED[case])


@pytest.mark.parametrize("case", CASES)
def test_the_readmes_sql_definitions_count_the_same(hand_made, case):
    """The README's definitions written on the tables by hand (the ad spend of this database's
    pulled days: its gap, 11-15 and 11-16, holds no insight row to count)."""
    with opened(hand_made) as con:
        got = by_hand(con, FILTERS[case])
    assert normalised(got) == normalised(EXPECTED[case])


def test_the_kpis_read_alike_on_the_overview_and_in_every_report(hand_made, open_app):
    """Money and rates rounded half up alike: 10.375 per ad contact is 10.38, 5 of 9 55.6%;
    each change against the previous period likewise."""
    with opened(hand_made) as con:
        report = gather(connection_fetch(con), ALL)
    texts = {k.label: kpi_texts(k)[1:] for k in report.kpis}
    assert texts == {
        "New contacts": ["9", "2", "+7 (+350.0%)"],
        "Engaged contacts": ["5", "1", "+4 (+400.0%)"],
        "Engaged rate": ["55.6%", "50.0%", "+5.6 pts"],
        "Reachable at the end (24 h)": ["2", "1", "+1 (+100.0%)"],
        "Ad spend": ["20.75", "7.00", "+13.75 (+196.4%)"],
        "Cost per ad contact": ["10.38", "—", "—"],
    }
    html = reports.render(report, "html").decode("utf-8")
    pdf = "\n".join(p.extract_text() for p in pypdf.PdfReader(io.BytesIO(
        reports.render(report, "pdf"))).pages) if reports.pdf_available() else ""  # fmt: skip
    for label, (now, before, change) in texts.items():
        assert all(f">{t}<" in html for t in (now, before, html_escape(change)))
        assert not pdf or f"{label} {now} {before} {change}" in pdf
    at = show(open_app(hand_made, **{"from": str(ALL.start), "to": str(ALL.end)}), "overview")
    for label, (now, _, change) in texts.items():
        m = metric(at, label)
        # No change to show (the previous period has no cost per ad contact): "—", as printed.
        assert (m.value, m.delta) == (now, change.split(" (")[0])


@pytest.mark.parametrize("case", CASES)
def test_the_other_pages_count_the_same_contacts(hand_made, case):
    """Contacts (the rows behind each figure, picked as the figure's page hands them over),
    Retention's weekly cohorts (week 1 is days 1-7: D7), Links & QR codes' 7-day return and
    Website chat's totals agree with the figures above."""
    f, want = FILTERS[case], EXPECTED[case]
    with opened(hand_made) as con:
        rows = queries.contact_rows(con, f)
        picked_refs = {(page, ref): len(queries.contact_rows(con, f, "", ContactPick(ref, page)))
                       for page, ref in want["refs"]}  # fmt: skip
        picked_ads = {ad: len(queries.contact_rows(con, f, "", ContactPick(ad_id=ad)))
                      for ad in want["ads"]}  # fmt: skip
        engaged = len(queries.contact_rows(con, f, "", ContactPick(engaged=True)))
        cohorts = queries.cohorts(con, f)
        refs = queries.refs(con, f)
        chat = queries.website_chat_totals(con, f).iloc[0]
    new, n_engaged = want["kpis"][0][:2]
    assert (len(rows), engaged) == (new, n_engaged)
    assert rows["channel"].value_counts().to_dict() == {
        c: v[0] for c, v in want["channels"].items() if v[0]
    }
    assert picked_refs == {k: v[0] for k, v in want["refs"].items()}
    assert picked_ads == {k: v[0] for k, v in want["ads"].items()}
    # Week 1 is days 1-7 after the day acquired: each channel's weeks weighed together are D7.
    week_1 = cohorts.groupby("channel").apply(
        lambda g: (g["week_1"] * g["past_week_1"]).sum() / g["past_week_1"].sum(),
        include_groups=False,
    )
    assert {c: num(v) for c, v in week_1.items()} == {
        c: num(v[2]) for c, v in want["retention"].items()
    }
    back_7 = {(r.page_id, r.ref): num(r.return_7d_rate) for r in refs.itertuples()}
    assert back_7 == {(P1, "qr_window"): 0.5, (P1, "spring"): 1.0 if case != "cut re-entry"
                      else None} if want["refs"] else back_7 == {}  # fmt: skip
    assert int(chat["new_contacts"]) == want["channels"].get("chat_widget", (0,))[0]


@pytest.fixture(scope="module")
def pruned(hand_made: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The database pruned before the range's first day: n (quiet since 11-12) goes, h and m
    (active since) stay."""
    path = tmp_path_factory.mktemp("pruned") / "refscope.duckdb"
    shutil.copy(hand_made, path)
    con = db.connect(path)
    try:
        retention.prune(con, ALL.start)
    finally:
        con.close()
    return path


def test_after_a_prune_the_range_counts_the_same_and_its_previous_period_none(
    pruned, runner, tmp_path
):
    """The days before a prune's date hold only the contacts still active after it: the
    previous period's contact figures are "—" everywhere, its spend is still shown (README,
    "Reports and downloads")."""
    want = EXPECTED["all"] | {"kpis": (EXPECTED["all"]["kpis"][0],
                                       (None, None, None, None, 7.0, None))}  # fmt: skip
    with opened(pruned) as con:
        frames = query_frames(con, ALL)
        sources = [from_frames(frames), from_frames(downloaded(frames, ALL)),
                   from_report(con, ALL)]  # fmt: skip
        sources.append(by_hand(con, ALL))
    out = tmp_path / "report.xlsx"
    args = ["report", "--db", str(pruned), "--from", str(ALL.start), "--to", str(ALL.end)]
    assert runner.invoke(cli, [*args, "--out", str(out)]).exit_code == 0
    sources.append(from_workbook(openpyxl.load_workbook(out)))
    for got in sources:
        assert normalised(got) == normalised(want)


def test_a_range_of_days_no_pull_asked_for_says_its_spend_is_not_known(hand_made, open_app):
    """11-15 and 11-16 lie between two pulls: their spend and cost per ad contact are "—"
    everywhere, and the note beside them said the spend counted "the pulled days only" and
    the cost was "understated", of a range with no pulled day and no cost at all."""
    f = Filters(day(15), day(16))
    with opened(hand_made) as con:
        report = gather(connection_fetch(con), f)
    assert [(k.value, k.label) for k in report.kpis if k.kind == "money"] == [
        (None, "Ad spend"), (None, "Cost per ad contact")
    ]  # fmt: skip
    said = ("Ad insights are pulled for 2023-11-01 – 2023-11-30, but not for this range: no pull "
            "asked for its 2 days (2023-11-15 – 2023-11-16), so its ad spend and cost per "
            "contact are not known (refscope pull ads fetches those days).")  # fmt: skip
    assert report.section("ads").note == said
    at = show(open_app(hand_made, **{"from": str(f.start), "to": str(f.end)}), "overview")
    assert said in [c.value for c in at.caption]
