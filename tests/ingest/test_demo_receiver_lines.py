"""The demo's receiver files hold only lines `refscope serve` writes: a body that is no UTF-8
JSON (a proxy re-encoded it as Latin-1) is logged as a JSON string, never as its raw bytes."""

from __future__ import annotations

import json
from pathlib import Path

from ingest.demo import write_demo
from ingest.receiver import envelope_line
from tests.ingest.demo_setup import END, is_receiver_log


def test_a_body_that_is_not_utf8_is_logged_as_the_receiver_logs_it(tmp_path: Path) -> None:
    # One day: every line, the malformed ones too, is in the receiver's file.
    summary = write_demo(tmp_path, days=1, end=END)
    (receiver,) = [p for p in summary.files if is_receiver_log(p.name)]
    lines = [x for x in receiver.read_bytes().split(b"\n") if x]
    assert all(line.isascii() for line in lines)  # the receiver writes ASCII JSON only
    strings = []
    for line in lines:
        try:
            envelope = json.loads(line)
        except ValueError:  # the line a writer died in the middle of
            continue
        if isinstance(envelope["body"], str):
            strings.append(envelope)
    (latin1,) = strings
    assert "Caf\\xe9 \\xf6ppet" in latin1["body"]
    raw = latin1["body"].encode("ascii").decode("unicode_escape").encode("latin-1")
    assert (
        envelope_line(raw, latin1["received_at"])
        == json.dumps(latin1, separators=(",", ":")).encode() + b"\n"
    )
