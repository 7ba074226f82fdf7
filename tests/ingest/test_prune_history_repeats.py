"""One click reported twice across a prune's date (README "Attribution"): a Get Started from an
ad before the date and the first message with the same ad's referral after it are one entry,
also once the prune removed the Get Started and a later run rebuilds the contact; a message
between them, or the touch's own message, still makes the later one another click."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import duckdb
import pytest

from ingest import db, links, pipeline, rebuild
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


def _set_page(path: Path, page_id: str, username: str) -> None:
    con = db.connect(path)
    try:
        links.learn_page(con, page_id, username, None)
    finally:
        con.close()


def _as_older_prune(path: Path, kept: str) -> None:
    """contact_history as an older refscope's prune left it: its last touch without its source,
    or no last touch at all (that column came later too)."""
    con = duckdb.connect(str(path))
    try:
        if kept == "no source":
            con.execute("""ALTER TABLE contact_history ALTER last_touch
                           TYPE STRUCT(ts TIMESTAMP, channel VARCHAR, ad_id VARCHAR, ref VARCHAR)
                           USING struct_pack(ts := last_touch.ts, channel := last_touch.channel,
                                             ad_id := last_touch.ad_id, ref := last_touch.ref)""")
        else:
            con.execute("ALTER TABLE contact_history DROP COLUMN last_touch")
        con.execute(f"COMMENT ON TABLE events IS '{db.MIGRATED.format(6)}'")
    finally:
        con.close()


@pytest.mark.parametrize("kept", ["now", "no source", "no last touch"])
def test_a_pruned_qr_touch_whose_link_becomes_another_pages_is_still_repeated(
    tmp_path: Path, kept: str
) -> None:
    """The reverse: a Get Started from a QR code (its username's page unknown, so the ref alone
    made it this page's) before the date, a message with its referral after it; `pages set`
    then gives the username to another page, so this page's touches of the ref are m.me links'
    again. The removed touch the prune kept follows them, as a live one does: it stayed a QR
    code's, and a later run counted the message as a re-entry from another channel. So it does
    when an older refscope pruned (the touch kept without its source, or not kept): that touch
    was the acquisition, which the history holds with its source."""
    link = f.referral_obj("flyer9")
    before = f.delivery(f.postback(referral=link, psid="9", ts=DM - 30 * MIN, mid="pb_9"))
    repeat = f.delivery(f.message("open?", psid="9", ts=DM + 30 * MIN, mid="m_9_1", referral=link))
    later = [f.delivery(f.message("still there?", psid="9", ts=DM + 2 * f.DAY, mid="m_9_2"))]
    whole, pruned = tmp_path / "whole.duckdb", tmp_path / "pruned.duckdb"
    for path in (whole, pruned):
        con = db.connect(path)
        try:
            links.register(con, [links.make_link("shopnine", "flyer9", channel="qr")])
        finally:
            con.close()
    pipeline.run([str(f.write_ndjson(tmp_path / "w" / "a.ndjson", [before, repeat, *later]))],
                 whole)  # fmt: skip
    pipeline.run([str(f.write_ndjson(tmp_path / "p" / "a.ndjson", [before, repeat]))], pruned)
    assert _contact(Query(pruned), "9")["channel"] == "qr_code"
    _prune(pruned, D)
    if kept != "now":
        _as_older_prune(pruned, kept)
    for path in (whole, pruned):
        _set_page(path, f.OTHER_PAGE_ID, "shopnine")
    pipeline.run([str(f.write_ndjson(tmp_path / "p" / "b.ndjson", later))], pruned)
    got = _contact(Query(pruned), "9")
    assert (got["channel"], got["reentry_count"]) == ("m_me_link", 0)
    assert got == _contact(Query(whole), "9")
    assert _touches(Query(pruned)) == _touches(Query(whole))


def test_a_rebuild_of_an_older_prune_gives_its_kept_touch_the_acquisitions_source(
    tmp_path: Path,
) -> None:
    """A rebuild carries contact_history as it is: a last touch an older prune kept without its
    source gets the acquisition's when it is that touch, as the migration gives it in place."""
    link = f.referral_obj("flyer9")
    before = f.delivery(f.postback(referral=link, psid="9", ts=DM - 30 * MIN, mid="pb_9"))
    repeat = f.delivery(f.message("open?", psid="9", ts=DM + 30 * MIN, mid="m_9_1", referral=link))
    log = f.write_ndjson(tmp_path / "p" / "a.ndjson", [before, repeat])
    old, new = tmp_path / "old.duckdb", tmp_path / "new.duckdb"
    pipeline.run([str(log)], old)
    _prune(old, D)
    _as_older_prune(old, "no source")
    rebuild.rebuild(old, new, [log])
    assert Query(new)("SELECT last_touch.source, last_touch.ref FROM contact_history") == [
        ("SHORTLINK", "flyer9")
    ]
