"""Privacy of rejected lines: with a salt they keep no more than events do (no message or
comment text, ids hashed, instants as they came); without one, each line as it came."""

from __future__ import annotations

import hashlib
import hmac
import re
from pathlib import Path
from typing import Any

import pytest

from ingest import pipeline
from ingest.privacy import Privacy
from tests import factories as f
from tests import factories_feed as ff
from tests.conftest import Query

SALT = "pepper-for-tests"


def rejected_lines() -> list[str]:
    """Rejected lines holding message and comment text: partly rejected, a rejected comment, a
    text with escaped quotes cut off by the end of the line."""
    good = f.message("Call me on 0701234567", psid="111", ts=f.T0)
    bad = f.message('I live at "Storgatan 1"', psid="111", ts=f.T0 + 1)
    del bad["message"]["mid"]  # a message without mid: this item is rejected, the other kept
    comment = ff.comment(text='Say "no" twice')
    del comment["value"]["comment_id"]
    cut = f.line(f.delivery(f.message('secret "quoted" words', psid="222", ts=f.T0 + 2)))
    return [f.line(f.delivery(good, bad)), f.line(ff.feed(comment)), cut[: cut.index("words")]]


def test_salted_rejected_lines_keep_no_text(
    db_path: Path, log_dir: Path, monkeypatch: pytest.MonkeyPatch, query: Query
) -> None:
    """A salted database is meant to be shared: its rejected lines follow the rules of events,
    no message or comment text unless kept."""
    monkeypatch.setenv("REFSCOPE_ID_SALT", SALT)
    lines = rejected_lines()
    pipeline.run([str(f.write_ndjson(log_dir / "a.ndjson", lines))], db_path, keep_text=False)
    assert query("SELECT text, text_length FROM events") == [(None, 21)]
    raws = [r[0] for r in query("SELECT raw FROM rejects ORDER BY line_no")]
    for secret in ("0701234567", "Storgatan", "twice", "secret", "quoted"):
        assert all(secret not in raw for raw in raws), secret
    # Long numbers show hashed (ids; not instants, see below): the lines are no longer JSON.
    assert re.findall(r'"text":"(<text removed: [^"]*>)"', raws[0]) == [
        "<text removed: 21 characters>", "<text removed: 23 characters>"]  # fmt: skip
    assert '"message":"<text removed: 14 characters>"' in raws[1]
    assert raws[2].endswith('"text":"<text removed: 16 characters, cut off>"')
    pipeline.run([str(f.write_ndjson(log_dir / "b.ndjson", lines))], db_path, keep_text=True)
    kept = [r[0] for r in query("SELECT raw FROM rejects WHERE file LIKE '%b.ndjson'")]
    assert any("Storgatan" in raw for raw in kept)


def test_salted_rejected_lines_show_instants_as_they_came(
    ingest_lines: Any, monkeypatch: pytest.MonkeyPatch, query: Query
) -> None:
    """A reject is often about its timestamp: instants are no ids, and are not hashed."""
    monkeypatch.setenv("REFSCOPE_ID_SALT", SALT)
    psid = "2718281828459045"
    bad = f.message("hi", psid=psid, ts=f.T0)
    del bad["message"]["mid"]
    stringly = f.delivery(f.read_receipt(psid=psid, watermark=f.T0 + 5))
    stringly["entry"][0]["messaging"][0]["timestamp"] = str(f.T0 + 9)
    stringly["entry"][0]["messaging"][0]["read"]["watermark"] = "not a time"
    ingest_lines([f.line(f.delivery(bad)), f.line(stringly)])
    raws = [r[0] for r in query("SELECT raw FROM rejects ORDER BY line_no")]
    assert len(raws) == 2 and all(psid not in raw for raw in raws)
    assert f'"timestamp":{f.T0}' in raws[0] and f'"timestamp":"{f.T0 + 9}"' in raws[1]


def test_an_instant_at_the_end_of_a_cut_line_is_shown_as_it_came() -> None:
    """A line cut after a time key's number: the number is still that key's value, no id."""
    privacy = Privacy(salt=SALT.encode())
    raw = '{"sender":{"id":"2718281828459045"},"timestamp":1458692752478'
    shown = privacy.shown_id("2718281828459045")
    assert privacy.redact(raw) == f'{{"sender":{{"id":"{shown}"}},"timestamp":1458692752478'


def test_rejected_lines_are_kept_as_they_came_without_a_salt(
    ingest_lines: Any, query: Query
) -> None:
    """Each rejected line whole, to be fixed and read again (text or not)."""
    lines = rejected_lines()
    ingest_lines(lines, keep_text=False)
    assert [r[0] for r in query("SELECT raw FROM rejects ORDER BY line_no")] == lines


@pytest.mark.parametrize(
    ("raw", "expected"),
    [('{"text":"a \\"b\\" c"}', '{"text":"<text removed: 7 characters>"}'),
     ('{"text": "x\\', '{"text": "<text removed: 1 character, cut off>"'),
     ('{"text":"caf\\u00', '{"text":"<text removed: 3 characters, cut off>"'),
     ('"text":"a", text: "b", "message": "c"]}',
      '"text":"<text removed: 1 character>", text: "b", "message": "c"]}'),
     ('{"value":{"message":"hi","post":{"message":"x"}}}',
      '{"value":{"message":"<text removed: 2 characters>","post":{"message":"x"}}}'),
     ('{"response":{"error":{"message":"(#100) Invalid"}}}',
      '{"response":{"error":{"message":"(#100) Invalid"}}}'),
     ('{"received_at":1,"body":"{\\"entry\\":[{\\"messaging\\":[{\\"message\\":{\\"text\\":\\"hi',
      '{"received_at":1,"body":"{\\"entry\\":[{\\"messaging\\":[{\\"message\\":{\\"text\\":'
      '\\"<text removed: 2 characters, cut off>\\""')],
    ids=["escaped-quotes", "cut-in-escape", "cut-in-unicode-escape", "not-json", "comment-only",
         "graph-error", "body-as-string"],
)  # fmt: skip
def test_text_is_found_in_broken_lines(raw: str, expected: str) -> None:
    assert Privacy(salt=SALT.encode()).redact(raw) == expected
    assert Privacy(keep_text=True, salt=SALT.encode()).redact(raw) == raw
    assert Privacy().redact(raw) == raw


def test_salted_rejects_show_user_refs_hashed_like_stored_ids(
    db_path: Path, log_dir: Path, monkeypatch: pytest.MonkeyPatch, query: Query
) -> None:
    monkeypatch.setenv("REFSCOPE_ID_SALT", SALT)
    ref = "chat-plugin-user-ref-42"
    plugin = f.delivery(f.chat_plugin_referral(ref, ts=f.T0))
    optin = f.delivery(f.optin(psid=None, ref="checkout", user_ref=ref, ts=f.T0 + 1))
    lines = [plugin, f.line(plugin)[:-5], f.line(optin | {"object": "user"})]
    pipeline.run([str(f.write_ndjson(log_dir / "a.ndjson", lines))], db_path)
    (stored,) = query("SELECT DISTINCT psid FROM events")[0]
    assert stored == hmac.new(SALT.encode(), ref.encode(), hashlib.sha256).hexdigest()
    raws = [r[0] for r in query("SELECT raw FROM rejects ORDER BY line_no")]
    assert len(raws) == 2
    for raw in raws:
        assert ref not in raw
        assert f'"user_ref":"id:{stored[:16]}"' in raw


def test_a_salted_rejected_comment_shows_no_commenters_name() -> None:
    raw = (
        '{"object":"page","entry":[{"changes":[{"field":"feed","value":{"item":"comment",'
        '"from":{"id":"5550001112","name":"Anna Berg"},"message":"hi","verb":"bogus"}}]}]}'
    )
    shown = Privacy(salt=SALT.encode()).redact(raw)
    assert "Anna Berg" not in shown and '"name":"<name removed>"' in shown
    assert Privacy().redact(raw) == raw  # without a salt, rejects are kept as they came
