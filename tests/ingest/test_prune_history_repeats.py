"""One click reported twice across a prune's date (README "Attribution"): a Get Started from an
ad before the date and the first message with the same ad's referral after it are one entry,
also once the prune removed the Get Started and a later run rebuilds the contact; a message
between them, or the touch's own message, still makes the later one another click."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest

from ingest import db, links, pipeline
from tests import factories as f
from tests.conftest import Query
from tests.ingest.prune_setup import _contact, _prune

D = dt.date(2024, 1, 10)
DM = int(dt.datetime(2024, 1, 10, tzinfo=dt.UTC).timestamp() * 1000)
MIN = 60_000
AD = f.ads_referral()


def _touches(query: Query) -> list[tuple[Any, ...]]:
    return query("SELECT ts, via, is_first, is_reentry FROM touches WHERE ts >= ? ORDER BY ts", D)


@pytest.mark.parametrize(
    ("before", "reentries"),
    [
        # Get Started from the ad on the eve, its first message (with the ad's referral) after
        # midnight: one click.
        ([f.delivery(f.postback(referral=AD, psid="9", ts=DM - 30 * MIN, mid="pb_9"))], 0),
        # A message between them: the later message came from another click.
        ([f.delivery(f.postback(referral=AD, psid="9", ts=DM - 60 * MIN, mid="pb_9")),
          f.delivery(f.message("hi", psid="9", ts=DM - 30 * MIN, mid="m_9_0"))], 1),
        # The touch's own message: the next one carrying the referral is another click.
        ([f.delivery(f.message("hi", psid="9", ts=DM - 30 * MIN, mid="m_9_0", referral=AD))], 1),
    ],
)  # fmt: skip
def test_a_message_repeating_a_pruned_touch_is_judged_as_without_the_prune(
    tmp_path: Path, before: list[Any], reentries: int
) -> None:
    repeat = f.delivery(f.message("price?", psid="9", ts=DM + 30 * MIN, mid="m_9_1", referral=AD))
    later = [f.delivery(f.message("still there?", psid="9", ts=DM + 2 * f.DAY, mid="m_9_2"))]
    whole, pruned = tmp_path / "whole.duckdb", tmp_path / "pruned.duckdb"
    pipeline.run([str(f.write_ndjson(tmp_path / "w" / "a.ndjson", [*before, repeat, *later]))],
                 whole)  # fmt: skip
    pipeline.run([str(f.write_ndjson(tmp_path / "p" / "a.ndjson", [*before, repeat]))], pruned)
    _prune(pruned, D)
    # A later run rebuilds the contact from what the prune left and its history.
    pipeline.run([str(f.write_ndjson(tmp_path / "p" / "b.ndjson", later))], pruned)
    got = _contact(Query(pruned), "9")
    assert (got["channel"], got["reentry_count"]) == ("ctm_ad", reentries)
    assert got == _contact(Query(whole), "9")
    assert _touches(Query(pruned)) == _touches(Query(whole))


def test_a_pruned_link_touch_registered_as_a_qr_code_later_is_still_repeated(
    tmp_path: Path,
) -> None:
    """A Get Started from an m.me link before the date, a message with the link's referral after
    it; the ref registered as a QR code after the prune: the removed touch the prune kept is a
    QR code's too, so a later run still finds the message repeating it (it compared m_me_link
    with the message's qr_code, and counted one click as a re-entry)."""
    link = f.referral_obj("flyer9")
    before = f.delivery(f.postback(referral=link, psid="9", ts=DM - 30 * MIN, mid="pb_9"))
    repeat = f.delivery(f.message("open?", psid="9", ts=DM + 30 * MIN, mid="m_9_1", referral=link))
    later = [f.delivery(f.message("still there?", psid="9", ts=DM + 2 * f.DAY, mid="m_9_2"))]
    whole, pruned = tmp_path / "whole.duckdb", tmp_path / "pruned.duckdb"
    pipeline.run([str(f.write_ndjson(tmp_path / "w" / "a.ndjson", [before, repeat, *later]))],
                 whole)  # fmt: skip
    pipeline.run([str(f.write_ndjson(tmp_path / "p" / "a.ndjson", [before, repeat]))], pruned)
    _prune(pruned, D)
    for path in (whole, pruned):
        con = db.connect(path)
        try:
            links.register(con, [links.make_link(f.PAGE_ID, "flyer9", channel="qr")])
        finally:
            con.close()
    pipeline.run([str(f.write_ndjson(tmp_path / "p" / "b.ndjson", later))], pruned)
    got = _contact(Query(pruned), "9")
    assert (got["channel"], got["reentry_count"]) == ("qr_code", 0)
    assert got == _contact(Query(whole), "9")
    assert _touches(Query(pruned)) == _touches(Query(whole))
