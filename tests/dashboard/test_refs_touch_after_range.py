"""A contact first seen in the range whose link touch came after it: Links & QR codes counts it
under its ref, as Overview and Contacts count it (logs that start mid-history hold people whose
first logged action is a reaction or an optin in a thread they opened before)."""

from __future__ import annotations

from dashboard import queries
from dashboard.filters import ContactPick, Filters
from ingest import db, links, pipeline
from tests import factories as fx
from tests.dashboard.conftest import opened


def test_a_refs_contact_acquired_in_the_range_is_counted_when_its_touch_came_after(tmp_path):
    day = fx.utc(fx.T0).date()
    later = fx.T0 + 2 * fx.DAY  # the link touch and the first message: after the range
    fx.write_ndjson(tmp_path / "logs" / "webhooks.ndjson", [
        fx.delivery(fx.reaction(psid="u1", ts=fx.T0)),  # first action: in the range
        fx.delivery(fx.referral("flyer", psid="u1", ts=later)),
        fx.delivery(fx.message("hi", psid="u1", ts=later + fx.MINUTE)),
        fx.delivery(fx.message("price?", psid="u1", ts=later + 2 * fx.MINUTE)),
    ])  # fmt: skip
    path = tmp_path / "r.duckdb"
    con = db.connect(path)
    try:
        links.register(con, [links.make_link(fx.PAGE_ID, "flyer", placement="door")])
    finally:
        con.close()
    pipeline.run([str(tmp_path / "logs")], path)
    f = Filters(day, day)
    with opened(path) as c:
        totals = queries.channel_totals(c, f)
        picked = queries.contact_rows(c, f, pick=ContactPick(ref="flyer", ref_page=fx.PAGE_ID))
        df = queries.refs(c, f)
        qr_only = queries.refs(c, Filters(day, day, (), ("qr_code",)))
    # Overview and Contacts: one m.me link contact of ref flyer acquired that day.
    assert totals[["channel", "new_contacts"]].values.tolist() == [["m_me_link", 1]]
    assert len(picked) == 1
    # Links & QR codes: the same contact under its ref (it listed no ref at all).
    assert len(df) == 1
    row = df.iloc[0]
    assert (row["page_id"], row["ref"], row["channel"]) == (fx.PAGE_ID, "flyer", "m_me_link")
    assert (row["new_contacts"], row["engaged"], row["reentries"]) == (1, 1, 0)
    assert row["engaged_rate"] == 1 and bool(row["too_few"])
    assert (row["registered"], row["placement"]) == (True, "door")
    # Its first and last seen: the touch behind the figures, though after the range.
    assert row["first_seen"] == row["last_seen"] == fx.utc(later)
    assert qr_only.empty
