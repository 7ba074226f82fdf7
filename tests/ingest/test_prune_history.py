"""Prune keeps what it takes from a contact it keeps: later runs rebuild that contact as if no
event had been removed, and pruned history read again from a log stays out. Events on either
side of the prune's date: test_prune_history_edges.py."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path
from typing import Any

import pytest

from ingest import clicklog, db, links, pipeline, retention
from ingest.errors import ValidationError
from ingest.privacy import Privacy
from tests import factories as f
from tests.conftest import Query
from tests.ingest.prune_setup import _contact, _prune

OLD = f.T0
NEW = f.T0 + 400 * f.DAY
CUT = f.utc(NEW).date() - dt.timedelta(days=30)
LATER_CUT = f.utc(NEW).date() + dt.timedelta(days=2)


def early(psid: str) -> list[Any]:
    """Came in from an m.me link, wrote twice, was answered and read the answer."""
    return [
        f.delivery(f.postback(referral=f.referral_obj("bio_link"), psid=psid, ts=OLD)),
        f.delivery(f.message("hi", psid=psid, ts=OLD + 1000)),
        f.delivery(f.echo("hello!", psid=psid, ts=OLD + 2000)),
        f.delivery(f.read_receipt(psid=psid, ts=OLD + 3000, watermark=OLD + 2500)),
        f.delivery(f.message("thanks", psid=psid, ts=OLD + 4000)),
        f.delivery(f.referral(ref="qr_door", psid=psid, ts=OLD + 5 * f.DAY)),  # a re-entry
    ]


def late(psid: str) -> list[Any]:
    """Back a year later through an ad, before and after the first prune's date."""
    return [
        f.delivery(f.echo("news!", psid=psid, ts=NEW - 40 * f.DAY)),
        f.delivery(f.message("still open?", psid=psid, ts=NEW)),
        f.delivery(f.referral(ref="qr_window", psid=psid, ts=NEW + f.DAY)),
    ]


def latest(psid: str) -> list[Any]:
    return [
        f.delivery(f.message("see you", psid=psid, ts=NEW + 3 * f.DAY)),
        f.delivery(f.read_receipt(psid=psid, ts=NEW + 3 * f.DAY, watermark=NEW + 3 * f.DAY)),
    ]


def test_a_kept_contact_is_rebuilt_as_if_nothing_was_removed(
    tmp_path: Path, log_dir: Path, db_path: Path, query: Query
) -> None:
    whole = tmp_path / "whole.duckdb"
    lines = early("7") + late("7") + latest("7")
    pipeline.run([str(f.write_ndjson(tmp_path / "all" / "a.ndjson", lines))], whole)
    want = _contact(Query(whole), "7")
    assert (want["channel"], want["ref"], want["reentry_count"]) == ("m_me_link", "bio_link", 2)

    pipeline.run([str(f.write_ndjson(log_dir / "a.ndjson", early("7") + late("7")))], db_path)
    assert _prune(db_path, CUT).events == 7
    # Back after the prune: the run rebuilds the contact from what is left and its history.
    pipeline.run([str(f.write_ndjson(log_dir / "b.ndjson", latest("7")))], db_path)
    assert _contact(query, "7") == want
    assert query.scalar("SELECT count(*) FROM touches WHERE is_first") == 0  # it was pruned

    # A second prune, later: the history grows by what it removes, and holds.
    assert _prune(db_path, LATER_CUT).events == 2
    pipeline.run([str(f.write_ndjson(log_dir / "c.ndjson", [
        f.delivery(f.message("one more", psid="7", ts=NEW + 4 * f.DAY))]))], db_path)  # fmt: skip
    pipeline.run([str(f.write_ndjson(tmp_path / "all" / "b.ndjson", [
        f.delivery(f.message("one more", psid="7", ts=NEW + 4 * f.DAY))]))], whole)  # fmt: skip
    assert _contact(query, "7") == _contact(Query(whole), "7")


def test_a_second_prune_without_messages_keeps_the_first_prunes_acquisition(
    tmp_path: Path, log_dir: Path, db_path: Path, query: Query
) -> None:
    """Between the two prune dates only an echo and a QR re-entry: the acquisition the first
    prune kept (the m.me link, long before) is still decided, and no later run hands the
    contact to the QR code."""
    lines = early("7") + [
        f.delivery(f.echo("news!", psid="7", ts=NEW)),
        f.delivery(f.referral(ref="qr_window", psid="7", ts=NEW + f.DAY)),
        f.delivery(f.message("see you", psid="7", ts=NEW + 3 * f.DAY)),
    ]
    more = [f.delivery(f.message("one more", psid="7", ts=NEW + 4 * f.DAY))]
    whole = tmp_path / "whole.duckdb"
    pipeline.run([str(f.write_ndjson(tmp_path / "all" / "a.ndjson", lines + more))], whole)
    pipeline.run([str(f.write_ndjson(log_dir / "a.ndjson", lines))], db_path)
    _prune(db_path, CUT)
    _prune(db_path, LATER_CUT)
    pipeline.run([str(f.write_ndjson(log_dir / "b.ndjson", more))], db_path)
    got = _contact(query, "7")
    assert (got["channel"], got["ref"]) == ("m_me_link", "bio_link")
    assert got == _contact(Query(whole), "7")


def test_a_contact_whose_first_touch_remains_keeps_it(
    log_dir: Path, db_path: Path, query: Query
) -> None:
    """Only echoes and reads before the date: the ad touch after it stays the first."""
    lines = [
        f.delivery(f.echo("promo", psid="8", ts=NEW - 40 * f.DAY)),
        f.delivery(f.message("about the ad", psid="8", ts=NEW, referral=f.ads_referral())),
    ]
    pipeline.run([str(f.write_ndjson(log_dir / "a.ndjson", lines))], db_path)
    before = _contact(query, "8")
    _prune(db_path, CUT)
    pipeline.run([str(f.write_ndjson(log_dir / "b.ndjson", latest("8")))], db_path)
    after = _contact(query, "8")
    assert (after["channel"], after["first_touch_at"]) == ("ctm_ad", before["first_touch_at"])
    assert after["page_message_count"] == 1 and after["message_count"] == 2
    assert query.scalar("SELECT count(*) FROM touches WHERE is_first") == 1


def test_a_ref_registered_as_a_qr_code_after_the_prune_stays_so_when_rebuilt(
    log_dir: Path, db_path: Path, query: Query
) -> None:
    """The ref that acquired a kept contact is registered as a QR code after the prune: the
    contact is re-labelled at once, and a later message does not bring the old label back."""
    pipeline.run([str(f.write_ndjson(log_dir / "a.ndjson", early("7") + late("7")))], db_path)
    _prune(db_path, CUT)
    con = db.connect(db_path)
    try:
        links.register(con, [links.make_link(f.PAGE_ID, "bio_link", channel="qr")])
    finally:
        con.close()
    assert _contact(query, "7")["channel"] == "qr_code"
    pipeline.run([str(f.write_ndjson(log_dir / "b.ndjson", latest("7")))], db_path)
    assert (_contact(query, "7")["channel"], _contact(query, "7")["ref"]) == ("qr_code", "bio_link")


def test_pruned_history_read_again_stays_out(log_dir: Path, db_path: Path, query: Query) -> None:
    log = f.write_ndjson(log_dir / "a.ndjson", early("7") + late("7"))
    pipeline.run([str(log)], db_path)
    _prune(db_path, CUT)
    kept = query("SELECT * FROM events ORDER BY ts")
    contact = _contact(query, "7")
    # Renamed by a log rotation, and read again under its new name.
    shutil.copy(log, log_dir / "a-1.ndjson")
    result = pipeline.run([str(log_dir / "a-1.ndjson")], db_path)
    assert result.events_added == 0
    assert query("SELECT * FROM events ORDER BY ts") == kept
    assert _contact(query, "7") == contact


def test_a_kept_message_is_not_replaced_by_an_earlier_copy_from_before_the_prune(
    log_dir: Path, db_path: Path, query: Query
) -> None:
    """A message (one mid) kept by the prune, then a copy of it stamped days earlier, before
    the prune's date: that copy would be pruned history, so the message stays as it was
    rather than give way to it and go with it."""
    msg = {ts: f.delivery(f.message("hi", psid="7", ts=ts, mid="m_kept"))
           for ts in (NEW - 29 * f.DAY, NEW - 32 * f.DAY)}  # fmt: skip
    pipeline.run([str(f.write_ndjson(log_dir / "a.ndjson", [msg[NEW - 29 * f.DAY]]))], db_path)
    _prune(db_path, CUT)
    kept = query("SELECT * FROM events")
    assert [r[-1] for r in query("SELECT mid, ts FROM events")] == [f.utc(NEW - 29 * f.DAY)]
    result = pipeline.run([str(f.write_ndjson(log_dir / "b.ndjson", [msg[NEW - 32 * f.DAY]]))],
                          db_path)  # fmt: skip
    assert (result.events_parsed, result.events_added) == (1, 0)
    assert query("SELECT * FROM events") == kept


def test_after_two_prunes_history_read_again_stays_out_up_to_the_later_date(
    log_dir: Path, db_path: Path, query: Query
) -> None:
    """A log read again after prunes at CUT and LATER_CUT: what lies between the two dates was
    pruned too, and stays out as what lies before the first."""
    log = f.write_ndjson(log_dir / "a.ndjson", early("7") + late("7") + latest("7"))
    pipeline.run([str(log)], db_path)
    _prune(db_path, CUT)
    _prune(db_path, LATER_CUT)
    kept = query("SELECT * FROM events ORDER BY ts")
    assert kept and all(e["ts"].date() >= LATER_CUT for e in query.dicts("SELECT ts FROM events"))
    shutil.copy(log, log_dir / "a-1.ndjson")
    result = pipeline.run([str(log_dir / "a-1.ndjson")], db_path)
    assert result.events_added == 0
    assert query("SELECT * FROM events ORDER BY ts") == kept


def test_pruned_clicks_read_again_stay_out(log_dir: Path, db_path: Path, query: Query) -> None:
    log = log_dir / "clicks.ndjson"
    log.write_bytes(b"".join(clicklog.click_line(ts, "bio_link", f.PAGE_ID, False, "mobile")
                             for ts in (OLD, NEW)))  # fmt: skip
    pipeline.run([str(log)], db_path)
    assert query("SELECT count(*) FROM clicks") == [(2,)]
    _prune(db_path, CUT)
    assert query("SELECT count(*) FROM clicks") == [(1,)]
    con = db.connect(db_path)
    try:  # read again from its start, as after its file row is lost
        con.execute("DELETE FROM ingest_files")
    finally:
        con.close()
    pipeline.run([str(log)], db_path)
    assert [d.date() for (d,) in query("SELECT ts FROM clicks")] == [f.utc(NEW).date()]


def test_a_contact_pruned_whole_by_a_later_prune_comes_back_as_new(
    log_dir: Path, db_path: Path, query: Query
) -> None:
    """The first prune kept its history; the second takes all of its events: the history goes
    with them, and a message after that is a new contact's, not the old acquisition's."""
    pipeline.run([str(f.write_ndjson(log_dir / "a.ndjson", early("7") + late("7")))], db_path)
    _prune(db_path, CUT)
    _prune(db_path, LATER_CUT)
    assert query("SELECT count(*) FROM contacts") == [(0,)]
    back = [f.delivery(f.message("hello again", psid="7", ts=NEW + 5 * f.DAY))]
    pipeline.run([str(f.write_ndjson(log_dir / "b.ndjson", back))], db_path)
    got = _contact(query, "7")
    assert (got["channel"], got["first_seen_at"]) == ("organic", f.utc(NEW + 5 * f.DAY))


def test_forget_removes_the_history_too(log_dir: Path, db_path: Path, query: Query) -> None:
    pipeline.run([str(f.write_ndjson(log_dir / "a.ndjson", early("7") + late("7")))], db_path)
    _prune(db_path, CUT)
    assert query.scalar("SELECT count(*) FROM contact_history") == 1
    con = db.connect(db_path)
    try:
        retention.forget(con, "7", None, Privacy())
    finally:
        con.close()
    assert query.scalar("SELECT count(*) FROM contact_history") == 0


def test_prune_takes_the_rejected_lines_of_runs_started_before_its_date(
    ingest_lines: Any, db_path: Path, query: Query
) -> None:
    ingest_lines([*early("7"), "{broken", "[]"])
    assert _prune(db_path, dt.date(2000, 1, 1)).rejects == 0
    assert query.scalar("SELECT count(*) FROM rejects") == 2
    tomorrow = dt.datetime.now(dt.UTC).date() + dt.timedelta(days=1)
    assert _prune(db_path, tomorrow).rejects == 2
    assert query.scalar("SELECT count(*) FROM rejects") == 0


def test_prune_waits_for_an_unfinished_run(ingest_lines: Any, db_path: Path, query: Query) -> None:
    ingest_lines(early("7") + late("7"))
    con = db.connect(db_path)
    try:
        con.execute("UPDATE ingest_runs SET finished_at = NULL")
        with pytest.raises(ValidationError, match="unfinished"):
            retention.prune(con, CUT)
    finally:
        con.close()
    assert query.scalar("SELECT count(*) FROM prunes") == 0
