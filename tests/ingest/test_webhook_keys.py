"""Event keys keep their formula across versions (a changed key would let a re-read log add
every event again), for events with a mid and for referrals, and a sample line's fields are
parsed once per line."""

from __future__ import annotations

from pathlib import Path

import duckdb

import tests.factories as f
from ingest import attribute, stage, webhook
from tests.factories import PAGE_ID, PSID, T0
from tests.ingest.logs import _ingest_to


def test_event_keys_keep_their_formula_across_versions(tmp_path: Path) -> None:
    """A changed key would let a re-read log add every event again: pin how keys are made."""
    query = _ingest_to(
        tmp_path,
        [
            f.delivery(f.message("hi", mid="m_key_1")),
            f.delivery(f.read_receipt(T0 - 5000, ts=T0)),
        ],
    )
    sep = "\x1f"
    expected = {
        "message": sep.join([PAGE_ID, "message", "m_key_1"]),
        # The normalised event: page, contact, kind, instant, then the kind's fields set.
        "read": sep.join([PAGE_ID, PSID, "read", str(T0), str(T0 - 5000)]),
    }
    con = duckdb.connect()
    try:
        for kind, text in expected.items():
            (key,) = con.execute("SELECT md5_number(?)", [text]).fetchone() or (None,)
            assert query("SELECT event_key FROM events WHERE kind = ?", kind) == [(key,)], kind
    finally:
        con.close()


def test_a_sample_line_is_parsed_once_not_once_per_use_of_its_fields() -> None:
    """Every feed change has a "field", so every line of a feed-heavy log goes through the
    sample parts: their parse must run once per line. Inlined, it ran once for each use of its
    result (16 times in the sample change part's plan), slower than reading the changes."""
    con = duckdb.connect()
    con.execute(webhook.MACROS)
    attribute.install_macros(con)
    con.execute("CREATE TEMP TABLE rs_rare (rid BIGINT, file_id INTEGER, line_no BIGINT, "
                "raw VARCHAR)")  # fmt: skip
    sample_parts = [q for marker, q in stage.STAGE_PARTS if marker == '"field"']
    assert len(sample_parts) == 2
    for sql in sample_parts:
        plan = "".join(row[1] for row in con.execute("EXPLAIN " + sql).fetchall())
        assert plan.count("json_transform(") <= 1


def test_referral_keys_keep_their_formula_across_versions(tmp_path: Path) -> None:
    """A referral has no mid: its key is its normalised fields, each of which must stay in it
    (a referral stored under an older key would be added again, as a second re-entry)."""
    query = _ingest_to(
        tmp_path,
        [
            f.delivery(f.chat_plugin_referral("uref-9", ts=T0)),
            f.delivery(f.referral(None, "ADS", psid="u_ad", ts=T0, ad_id="23843301927710456")),
        ],
    )
    sep = "\x1f"
    expected = {
        "uref-9": sep.join([PAGE_ID, "uref-9", "referral", str(T0), "menu_page",
                            "CUSTOMER_CHAT_PLUGIN", "https://www.acmebakery.example/menu"]),
        "u_ad": sep.join([PAGE_ID, "u_ad", "referral", str(T0), "ADS", "23843301927710456"]),
    }  # fmt: skip
    con = duckdb.connect()
    try:
        for psid, text in expected.items():
            (key,) = con.execute("SELECT md5_number(?)", [text]).fetchone() or (None,)
            assert query("SELECT event_key FROM events WHERE psid = ?", psid) == [(key,)], psid
    finally:
        con.close()


def test_a_postback_without_mid_is_keyed_on_its_title_not_its_payload(tmp_path: Path) -> None:
    """Before v11.0 a postback had no mid: its key is its normalised fields, with its title and
    without its payload (which only the app that sent the button gets: another app's copy in
    standby[] must have the same key)."""
    ref = f.referral_obj("window_sticker")
    query = _ingest_to(tmp_path, [f.delivery(f.postback(referral=ref, with_mid=False, ts=T0))])
    text = "\x1f".join([PAGE_ID, PSID, "postback", str(T0), "window_sticker", "SHORTLINK",
                        "Get Started"])  # fmt: skip
    con = duckdb.connect()
    try:
        (key,) = con.execute("SELECT md5_number(?)", [text]).fetchone() or (None,)
    finally:
        con.close()
    assert query("SELECT event_key FROM events WHERE kind = 'postback'") == [(key,)]
