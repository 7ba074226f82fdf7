"""`refscope forget` and an id that a rejected line holds as a JSON number (a logger that wrote
the PSID as a number): blanked, it is a JSON string, so a line that was JSON stays JSON, as a
later ingest of the same line shows it; the numbers of other people stay as they came."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from tests import factories as f
from tests.ingest.forget_setup import rejects_both_ways

PSID, OTHER = "5550001112223334", "5550001112229999"


def numbered(psid: str, ts: int) -> dict[str, object]:
    """A message without its mid (its line is rejected), its sender's id a JSON number."""
    item = f.message("no mid here", psid=psid, ts=ts)
    del item["message"]["mid"]
    item["sender"] = {"id": int(psid)}
    return item


def test_forget_keeps_a_json_line_json_where_the_id_was_a_number(
    tmp_path: Path, runner: CliRunner
) -> None:
    whole = f.line(f.delivery(numbered(PSID, f.T0), numbered(OTHER, f.T0 + 1)))
    cut = f.line(f.envelope(whole[:-3]))  # a cut body, kept by the receiver as a string
    sql = "SELECT raw FROM rejects ORDER BY line_no"
    after, before = rejects_both_ways(tmp_path, runner, [whole, cut], PSID, sql)
    assert after == before
    (first,), (second,) = after
    doc = json.loads(first)
    senders = [m["sender"]["id"] for m in doc["entry"][0]["messaging"]]
    assert senders == ["<forgotten>", int(OTHER)]
    body = json.loads(second)["body"]
    assert '"sender":{"id":"<forgotten>"}' in body
    assert f'"sender":{{"id":{OTHER}}}' in body
    assert PSID not in first + second
