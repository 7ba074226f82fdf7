"""A receiver other than refscope's may log a delivery's body as a string of JSON inside the
envelope (`{"received_at": ..., "body": "{\\"object\\": \\"page\\", ...}"}`). refscope reads an
envelope's body as a JSON object (README "What the ingest reads"), so the line is rejected, and
its reason says what is wrong: the body is a string, not that the delivery has no usable event.
"""

from __future__ import annotations

import json

import tests.factories as f
import tests.factories_feed as ff
from tests.conftest import Query
from tests.factories import T0


def test_a_delivery_logged_as_a_string_of_json_is_told_to_be_a_string(
    ingest_lines, query: Query
) -> None:
    """A Page delivery and a send-log line, each kept as text by another receiver."""
    delivery = f.delivery(f.message(psid="as_text", ts=T0, mid="m_as_text"))
    lines = [f.envelope(json.dumps(delivery)), f.envelope(json.dumps(ff.send_log(ts=T0)))]
    ingest_lines(lines)
    reasons = [r for (r,) in query("SELECT reason FROM rejects ORDER BY line_no")]
    said = "envelope body is not an object but a string of JSON: log the body as an object"
    assert reasons == [said] * len(lines)
    assert query("SELECT count(*) FROM events") == [(0,)]


def test_a_string_body_that_is_not_json_still_says_what_is_wrong(
    ingest_lines, query: Query
) -> None:
    """Unchanged: a body that is not JSON names its JSON error; one without entries says so."""
    ingest_lines([f.envelope('{"object": "page", "entry": ['), f.envelope('{"object": "page"}')])
    reasons = [r for (r,) in query("SELECT reason FROM rejects ORDER BY line_no")]
    assert reasons[0].startswith("envelope body is not an object but a string: invalid JSON: ")
    assert reasons[1] == "envelope body is not an object but a string: no entry list"


def test_a_string_body_whose_json_has_no_entries_names_that_not_how_to_log_it(
    ingest_lines, query: Query
) -> None:
    """A string of JSON that would be rejected as an object too (an empty entry list, a list
    for a body) names that fault: logging it as an object would not make it read (README
    "Guarantees")."""
    bodies = ['{"object": "page", "entry": []}', "[1, 2]"]
    ingest_lines([f.envelope(body) for body in bodies])
    reasons = [r for (r,) in query("SELECT reason FROM rejects ORDER BY line_no")]
    assert reasons == [
        "envelope body is not an object but a string: empty entry list",
        "envelope body is not an object but a string: not an object: a JSON array",
    ]
