"""A ref that brought contacts and re-entries through both an m.me link and a QR code (a legacy
MESSENGER_CODE and a SHORTLINK of one ref) under a channel filter: its row of Links & QR codes
counts what the Contacts page lists for that ref and channel, and what the Overview's channel
totals count, each contact and re-entry by its own channel. Its re-entries were counted
through every channel or none, as its one channel (the latest one's) was chosen or not."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from dashboard import queries
from dashboard.filters import ACQUIRED, REENTRIES, ContactPick, Filters
from ingest import pipeline
from tests import factories as fx
from tests.dashboard.conftest import opened

DAY = fx.utc(fx.T0).date() + dt.timedelta(days=2)
CODE = "MESSENGER_CODE"


@pytest.fixture(scope="module")
def mixed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Four contacts opened before DAY; on DAY two come back through the ref's link,
    one through its code (the latest touch), and three arrive: two through the link, one
    through the code (the latest)."""
    root = tmp_path_factory.mktemp("mixed")
    t = fx.T0 + fx.DAY + fx.HOUR  # 23:13 UTC the day before DAY: t + an hour is on DAY
    items = [fx.postback(psid=f"old{i}", ts=fx.T0 + i * fx.MINUTE) for i in range(4)]
    items += [fx.referral("promo", psid="old0", ts=t + fx.HOUR),
              fx.referral("promo", psid="old1", ts=t + 2 * fx.HOUR),
              fx.referral("promo", CODE, psid="old2", ts=t + 3 * fx.HOUR),
              fx.postback(referral=fx.referral_obj("promo"), psid="new0", ts=t + 4 * fx.HOUR),
              fx.postback(referral=fx.referral_obj("promo"), psid="new1", ts=t + 5 * fx.HOUR),
              fx.postback(referral=fx.referral_obj("promo", CODE), psid="new2",
                          ts=t + 6 * fx.HOUR)]  # fmt: skip
    path = root / "r.duckdb"
    log = fx.write_ndjson(root / "logs" / "w.ndjson", [fx.delivery(i) for i in items])
    pipeline.run([str(log)], path)
    return path


@pytest.mark.parametrize(
    "channels, new, back",
    [((), 3, 3), (("m_me_link",), 2, 2), (("qr_code",), 1, 1)],
    ids=["all", "link", "qr"],
)
def test_a_refs_row_counts_what_contacts_lists_for_its_channel(mixed, channels, new, back):
    f = Filters(DAY, DAY, channels=channels)
    ref = {"ref": "promo", "ref_page": fx.PAGE_ID}
    with opened(mixed) as con:
        refs = queries.refs(con, f)
        row = refs[refs["ref"] == "promo"]
        listed = queries.contact_rows(con, f, pick=ContactPick(**ref, show=ACQUIRED))
        reentered = queries.contact_rows(con, f, pick=ContactPick(**ref, show=REENTRIES))
        totals = queries.channel_totals(con, f)
    counted = (int(row["new_contacts"].sum()), int(row["reentries"].sum()))
    assert (len(listed), len(reentered)) == (new, back)
    assert counted == (new, back)
    assert (int(totals["new_contacts"].sum()), int(totals["reentries"].sum())) == (new, back)
    assert len(row) == 1 and (not channels or row["channel"].iloc[0] in channels)
