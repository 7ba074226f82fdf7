"""The Contacts page lists the rows behind numbers other pages show, not only the contacts
acquired in the range: the Overview's reachable contacts at the range's end, and the range's
re-entries (one row each), of all channels or of one ref. Each list's count
is the figure it stands behind, for the same filters."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from dashboard import queries
from dashboard.filters import REACHABLE, REENTRIES, ContactPick, Filters
from tests.dashboard import test_kpi_definitions as kd
from tests.dashboard.conftest import opened
from tests.dashboard.screen import show
from tests.dashboard.test_refs_without_a_ref import refless_db as refless_db


def test_the_reachable_list_holds_the_contacts_the_kpi_counts(tmp_path: Path) -> None:
    """Whenever acquired, with an own action in the 24 hours before the range ends: "a", "c",
    "f" (the KPI's own hand-made case), and "f" alone of the ads' channel."""
    path = tmp_path / "kpis.duckdb"
    kd.build(path)
    with opened(path) as con:
        rows = queries.contact_rows(con, kd.RANGE, pick=ContactPick(show=REACHABLE))
        ads = Filters(kd.RANGE.start, kd.D, (), ("ctm_ad",))
        ad_rows = queries.contact_rows(con, ads, pick=ContactPick(show=REACHABLE))
        assert sorted(rows["psid"]) == ["a", "c", "f"]
        assert len(rows) == int(queries.kpis(con, kd.RANGE)["reachable"].iloc[0])
        assert list(ad_rows["psid"]) == ["f"]


@pytest.mark.parametrize(
    ("days", "pages", "channels"),
    [(28, (), ()), (7, (), ("organic",)), (90, ("1122334455667788",), ()), (1, (), ())],
    ids=["28 days", "organic, 7 days", "one page, 90 days", "the last day"],
)
def test_the_reachable_list_is_as_long_as_the_kpi_for_the_same_filters(
    con, last_day_of_demo, days, pages, channels
) -> None:
    for end in (last_day_of_demo, last_day_of_demo - dt.timedelta(days=30)):
        f = Filters(end - dt.timedelta(days=days - 1), end, pages, channels)
        listed = queries.contact_rows(con, f, pick=ContactPick(show=REACHABLE))
        assert len(listed) == int(queries.kpis(con, f)["reachable"].iloc[0]), (f, len(listed))


@pytest.fixture
def last_day_of_demo(con) -> dt.date:
    (last,) = con.execute("SELECT CAST(max(ts) AS DATE) FROM events").fetchone()
    return last


def test_the_page_lists_the_reachable_contacts_of_the_overview_kpi(app, con, default_range):
    """Show "Reachable at the end (24 h)": the table holds as many rows as the KPI says, and
    its download records the list."""
    at = show(app, "contacts")
    at.selectbox(key="rs_contacts_show").set_value(REACHABLE).run()
    assert not at.exception
    n = int(queries.kpis(con, default_range)["reachable"].iloc[0])
    assert n > 0
    assert len(at.dataframe[0].value) == n
    said = f"{n:,} contact{'s' * (n != 1)} reachable at the end of {default_range.start}"
    assert any(c.value.startswith(said) for c in at.caption), [c.value for c in at.caption]


@pytest.mark.parametrize("channels", [(), ("m_me_link",), ("ctm_ad", "qr_code")], ids=str)
def test_the_reentries_list_holds_a_row_per_reentry_the_pages_count(
    con, last_day_of_demo, channels
) -> None:
    """As many rows as the Overview's channel totals count re-entries, and, picked by ref, as
    many as that ref's row of Links & QR codes: each the re-entry's own ref and time."""
    f = Filters(last_day_of_demo - dt.timedelta(days=89), last_day_of_demo, (), channels)
    listed = queries.contact_rows(con, f, pick=ContactPick(show=REENTRIES))
    assert len(listed) == queries.channel_totals(con, f)["reentries"].sum()
    assert listed["reentered_at"].between(str(f.start), str(f.end + dt.timedelta(days=1))).all()
    refs = queries.refs(con, f)
    for r in refs[refs["reentries"] > 0].itertuples():
        pick = ContactPick(ref=r.ref, ref_page=r.page_id, show=REENTRIES)
        assert len(queries.contact_rows(con, f, pick=pick)) == r.reentries, r.ref
    if not channels:
        assert (refs["reentries"] > 0).any() and len(listed) > refs["reentries"].sum() > 0


def test_a_reentry_through_a_ref_that_acquired_nobody_is_listed(small) -> None:
    """The small database's first "small" contact came back through QR ref qr_late."""
    from tests.dashboard.conftest import SMALL_RANGE

    rows = queries.contact_rows(small, SMALL_RANGE, pick=ContactPick(show=REENTRIES))
    assert list(zip(rows["psid"], rows["ref"], rows["channel"], strict=True)) == [
        (f"71{31:014d}", "qr_late", "qr_code")
    ]


def test_the_contacts_and_reentries_through_no_ref_are_listed_as_refless_counts_them(
    refless_db,
) -> None:
    """m.me/<page> alone (u2), `?ref=` with nothing after it (u3), a legacy code without a ref
    (u4), and u1's re-entry without a ref: what Links & QR codes says came through no ref."""
    from tests.dashboard.test_refs_without_a_ref import RANGE

    with opened(refless_db) as con:
        for channels in ((), ("m_me_link",), ("qr_code",)):
            f = Filters(RANGE.start, RANGE.end, (), channels)
            counts = queries.refless(con, f)
            new = queries.contact_rows(con, f, pick=ContactPick(refless=True))
            back = queries.contact_rows(con, f, pick=ContactPick(refless=True, show=REENTRIES))
            assert len(new) == counts["new_contacts"].sum(), channels
            assert len(back) == counts["reentries"].sum(), channels
        f = RANGE
        new = queries.contact_rows(con, f, pick=ContactPick(refless=True))
        back = queries.contact_rows(con, f, pick=ContactPick(refless=True, show=REENTRIES))
    assert sorted(new["psid"]) == ["u2", "u3", "u4"]
    assert list(back["psid"]) == ["u1"]
