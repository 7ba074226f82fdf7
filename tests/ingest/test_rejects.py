"""Nothing lost: every line becomes events or one reject with a reason, counted by reason
(test_rejects_encodings.py: lines not plain UTF-8)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import tests.factories as f
import tests.factories_feed as ff
from ingest.receiver import envelope_line
from tests.conftest import Query, accounted_lines, nonblank_line_numbers
from tests.factories import PAGE_ID, T0

NO_SENDER = f.delivery(f.message(psid="u1"))
del NO_SENDER["entry"][0]["messaging"][0]["sender"]
NO_COMMENT_ID = ff.comment()
del NO_COMMENT_ID["value"]["comment_id"]
BAD_LINES: list[tuple[Any, str]] = [
    ('{"object": "page", "entry": [', r"invalid JSON: Expecting value at character 30"),
    ('  {"object": "page", "x": "a\x00b"}',
     r"invalid JSON: Invalid control character at character 29"),
    ('{"object": "page", "entry": [] ]', r"invalid JSON: Expecting ',' delimiter at character 32"),
    ('{"object": "page"} x', r"invalid JSON: Extra data at character 20"),
    ('{"object":"page","entry":[{"id":"1","time":NaN}]}', r"invalid JSON: NaN is not JSON"),
    ("[1, 2, 3]", r"not an object: a JSON array"),
    ('{"object": "page", "entry": ' + "[" * 5000 + "]" * 5000 + "}",
     r"invalid JSON: nested too deeply \(1,000 levels or more\)"),
    ('"just a string"', r"not an object: a JSON string"),
    ("42", r"not an object: a JSON number"),
    ("null", r"not an object: a JSON null"),
    ('{"object": "page"}', r"no entry list"),
    ('{"received_at": 1700000000000}', r"envelope without body"),
    ('{"received_at": 1700000000000, "body": {"received_at": 1700000000000, "body": {}}}',
     r"envelope inside an envelope: its body must be the POST body Meta sent"),
    ('{"field": "messages"}', r"sample without value"),
    ('{"received_at": 1700000000000, "body": {"field": "messages", "value": null}}',
     r"sample without value"),
    ('{"object": "page", "entry": {"id": "1"}}', r"entry is not a list but a JSON object"),
    ('{"object": "page", "entry": []}', r"empty entry list"),
    ('{"object": "page", "entry": [7]}', r"entry\[0\] is not an object"),
    (b'{"object": "page", "entry": [\xff\xfe]}', r"invalid UTF-8 at byte 29"),
    (f.delivery(f.message(), obj="instagram"), r"unsupported object 'instagram'.*"),
    (NO_SENDER, r"entry\[0\]\.messaging\[0\]: no sender id"),
    (ff.feed(NO_COMMENT_ID), r"entry\[0\]\.changes\[0\]: comment without comment_id"),
    (f.delivery(f.message(ts="TIMESTAMP"), time="TIMESTAMP"),
     r"entry\[0\]\.messaging\[0\]: no valid timestamp"),
    (f.delivery(f.message(psid="u7", ts=T0), f.message(ts="soon"), time="TIMESTAMP"),
     r"partly rejected: entry\[0\]\.messaging\[1\]: no valid timestamp"),
    # Every malformed item is named, in its order, up to five; the rest are counted.
    (f.delivery(f.message(psid="u8", ts=T0), f.message(ts="soon"), NO_SENDER["entry"][0]
                ["messaging"][0], time="TIMESTAMP"),
     r"partly rejected: entry\[0\]\.messaging\[1\]: no valid timestamp; "
     r"entry\[0\]\.messaging\[2\]: no sender id"),
    (f.delivery(*(f.message(ts="soon") for _ in range(7)), time="TIMESTAMP"),
     "; ".join(rf"entry\[0\]\.messaging\[{i}\]: no valid timestamp" for i in range(5))
     + "; 2 more malformed items"),
    (f.delivery(*(f.message(ts="soon") for _ in range(6)), time="TIMESTAMP"),
     "; ".join(rf"entry\[0\]\.messaging\[{i}\]: no valid timestamp" for i in range(5))
     + "; 1 more malformed item"),
    (f.delivery(*(f.message(ts="soon") for _ in range(5)), time="TIMESTAMP"),
     "; ".join(rf"entry\[0\]\.messaging\[{i}\]: no valid timestamp" for i in range(5))),
    ({"object": "page", "entry": [{"id": PAGE_ID, "time": T0}]},
     r"no messaging, standby or changes items"),
    # In the order of the line: entry by entry, each entry's items in theirs.
    (f.batch(f.entry(f.message(psid="u9", ts=T0), f.message(ts="soon"), time="TIMESTAMP"),
             NO_SENDER["entry"][0]),
     r"partly rejected: entry\[0\]\.messaging\[1\]: no valid timestamp; "
     r"entry\[1\]\.messaging\[0\]: no sender id"),
]  # fmt: skip


def test_every_line_becomes_events_or_one_reject_with_a_reason(
    ingest_lines, query: Query, log_dir: Path
) -> None:
    good = f.delivery(f.message(psid="u1", ts=T0))
    lines: list[Any] = [good, "", "   \t"]
    for bad, _ in BAD_LINES:
        lines += [bad, f.delivery(f.message(psid="u1", ts=T0 + len(lines)))]
    lines.append(f.line(f.delivery(f.message(psid="u2", ts=T0))) + "\r")  # CRLF line ending
    ingest_lines(lines)
    path = log_dir / "webhooks.ndjson"
    with_events, rejected = accounted_lines(query, path)
    assert sorted(rejected) == sorted(set(rejected)), "a line has two reject rows"
    assert with_events | set(rejected) == nonblank_line_numbers(path.read_bytes())
    rejects = {r["line_no"]: r for r in query.dicts("SELECT * FROM rejects")}
    for i, (bad, pattern) in enumerate(BAD_LINES):
        line_no = 4 + 2 * i
        row = rejects[line_no]
        assert re.fullmatch(pattern, row["reason"]), (line_no, row["reason"])
        raw = bad if isinstance(bad, str | bytes) else f.line(bad)
        expected_raw = raw.decode("utf-8", "backslashreplace") if isinstance(raw, bytes) else raw
        assert (row["raw"], row["file"]) == (expected_raw, str(path.resolve()))
    assert set(rejects) == {4 + 2 * i for i in range(len(BAD_LINES))}
    partly = next(i for i, (_, p) in enumerate(BAD_LINES) if p.startswith("partly"))
    assert query("SELECT psid FROM events WHERE line_no = ?", 4 + 2 * partly) == [("u7",)]


def test_a_broken_entry_beside_good_ones_is_rejected_not_dropped(
    ingest_lines, query: Query
) -> None:
    def ok(psid: str) -> Any:
        return f.entry(f.message(psid=psid, ts=T0))

    no_sender = f.message(psid="u9", ts=T0)
    del no_sender["sender"]
    lines = [
        f.batch(ok("u1"), "junk"),
        f.batch(ok("u2"), {"id": PAGE_ID, "time": T0, "messaging": "x"}),
        f.envelope(f.batch(ok("u3"), [f.message(psid="u8")])),
        # Nothing of these is lost: an empty entry, and entries read as standby and changes.
        f.batch(ok("u4"), {"id": PAGE_ID, "time": T0}),
        f.batch(ok("u5"), f.entry(f.message(psid="u6", ts=T0 + 1), container="standby")),
        f.batch(ok("u7"), ff.feed(ff.comment())["entry"][0]),
        # An item's own problem is named, not the entry it left without messaging items.
        f.delivery(no_sender, container="standby"),
    ]
    result = ingest_lines(lines)
    assert query("SELECT line_no, reason FROM rejects ORDER BY line_no") == [
        (1, "partly rejected: entry[1] is not an object"),
        (2, "partly rejected: entry[1].messaging is not a list"),
        (3, "partly rejected: entry[1] is not an object"),
        (7, "entry[0].standby[0]: no sender id"),
    ]
    assert query("SELECT DISTINCT line_no FROM events ORDER BY 1") == [(i,) for i in range(1, 7)]
    assert result.events_parsed == result.events_added == 8


def test_a_broken_entry_beside_a_malformed_item_is_named_too(ingest_lines, query: Query) -> None:
    """Each problem of the line, in the order of its entries: the broken entry is not hidden
    by the malformed item beside it, good items or none."""
    no_sender = f.message(psid="u9", ts=T0 + 5)
    del no_sender["sender"]
    lines = [
        f.batch(f.entry(f.message(psid="u1", ts=T0), no_sender), 42),
        f.batch(42, f.entry(f.message(psid="u2", ts=T0), no_sender)),
        f.batch(
            {"id": PAGE_ID, "time": T0, "messaging": {"x": 1}},
            f.entry(f.message(psid="u3", ts=T0), no_sender),
        ),
        f.batch(f.entry(no_sender), 42),
    ]
    ingest_lines(lines)
    assert query("SELECT line_no, reason FROM rejects ORDER BY line_no") == [
        (1, "partly rejected: entry[0].messaging[1]: no sender id; entry[1] is not an object"),
        (2, "partly rejected: entry[0] is not an object; entry[1].messaging[1]: no sender id"),
        (
            3,
            "partly rejected: entry[0].messaging is not a list; "
            "entry[1].messaging[1]: no sender id",
        ),
        (4, "entry[0].messaging[0]: no sender id; entry[1] is not an object"),
    ]
    assert query("SELECT DISTINCT line_no FROM events ORDER BY 1") == [(1,), (2,), (3,)]


def test_an_item_list_that_is_not_a_list_beside_good_entries_is_rejected_not_dropped(
    ingest_lines, query: Query
) -> None:
    # Each of an entry's item lists: messaging is checked above, standby and changes here.
    change = ff.feed(ff.comment())["entry"][0]["changes"][0]
    lines = [
        f.batch(f.entry(f.message(psid="u1", ts=T0)),
                {"id": PAGE_ID, "time": T0, "changes": change}),
        f.batch(f.entry(f.message(psid="u2", ts=T0)),
                {"id": PAGE_ID, "time": T0, "standby": f.message(psid="u3", ts=T0)}),
    ]  # fmt: skip
    ingest_lines(lines)
    assert query("SELECT line_no, reason FROM rejects ORDER BY line_no") == [
        (1, "partly rejected: entry[1].changes is not a list"),
        (2, "partly rejected: entry[1].standby is not a list"),
    ]
    assert query("SELECT psid, line_no FROM events ORDER BY line_no") == [("u1", 1), ("u2", 2)]


def test_summary_groups_item_reasons_without_their_positions(ingest_lines) -> None:
    late = f.message(psid="late", ts="soon")
    result = ingest_lines(
        [
            f.delivery(f.message(psid="u1", ts=T0), late, time="TIMESTAMP"),
            f.delivery(f.message(psid="u2", ts=T0), f.message(psid="u3", ts=T0 + 1), late,
                       time="TIMESTAMP"),
            f.delivery(f.message(psid="u4", ts=T0 + 2), late, late, time="TIMESTAMP"),
            f.delivery(late, time="TIMESTAMP"),
        ]
    )  # fmt: skip
    assert result.rejects_added == 4
    assert result.rejects_by_reason == {
        "partly rejected: no valid timestamp": 3,
        "no valid timestamp": 1,
    }


def test_summary_counts_rejects_by_reason(ingest_lines) -> None:
    others = [{"object": o, "entry": [f.entry(f.message())]} for o in ("user", "instagram")]
    result = ingest_lines(["{oops", "{also bad", "[]", f.delivery(f.message()), *others])
    assert result.rejects_by_reason == {
        "invalid JSON": 2, "not an object": 1, "unsupported object": 2}  # fmt: skip
    assert (result.lines, result.rejects_added, result.events_added) == (6, 5, 1)


def test_summary_groups_a_samples_rejects_by_their_problem(ingest_lines) -> None:
    # A wrapped sample's reason is "value: <problem>": the summary names the problem, as it
    # does for an item's ("entry[0].messaging[1]: <problem>"), not the word "value".
    no_mid = f.message()
    del no_mid["message"]["mid"]
    no_sender = f.message()
    del no_sender["sender"]
    result = ingest_lines(
        [
            {"field": "messages", "value": no_mid},
            f.envelope({"field": "messages", "value": no_sender}),
            {"field": "feed", "value": {"item": "comment", "verb": "add", "post_id": "x_1"}},
            f.delivery(no_mid),
        ]
    )
    assert result.rejects_by_reason == {
        "message without mid": 2, "no sender id": 1, "no page id": 1}  # fmt: skip


def test_a_logged_body_that_is_not_json_is_rejected_with_what_is_wrong_with_it(
    ingest_lines, query: Query
) -> None:
    """The receiver keeps a signed body that is not JSON as a string in its envelope."""
    bodies = [b'{"object": "page", "entry": [', b'{"object": "page", "x": "\xff\xfe"}',
              b'{"object": "page", "entry": [], "t": NaN}', b"[1, 2]"]  # fmt: skip
    ingest_lines([envelope_line(b, T0) for b in bodies])
    reasons = [r for (r,) in query("SELECT reason FROM rejects ORDER BY line_no")]
    what = "envelope body is not an object but a string"
    assert reasons[0].startswith(f"{what}: invalid JSON: ")
    assert reasons[1:] == [
        # Its bytes beside the string (body_base64): where they stop being UTF-8.
        "envelope body is not UTF-8: invalid UTF-8 at byte 25 of the body (its bytes are in "
        "the log line's body_base64)",
        f"{what}: invalid JSON: NaN is not JSON",
        "envelope body is not an object but a JSON array",
    ]
