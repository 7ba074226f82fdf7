"""A key given twice in one object (RFC 8259 leaves what it means open): its first value is
read, on every path (README "What the ingest reads").

DuckDB's reader, which reads the lines, takes the first; Python's, which reads ad insights
lines, says why a line is rejected and mends a line with a byte order mark, took the last.
"""

from __future__ import annotations

import tests.factories as f
from tests.conftest import IngestLines, Query
from tests.factories import PSID, T0
from tests.ingest.insight_setup import page, row


def _twice(text: str, key: str, first: str) -> str:
    """text with `"key": first,` written before the key's own (one of the object it is in)."""
    assert text.count(f'"{key}":') == 1
    return text.replace(f'"{key}":', f'"{key}":{first},"{key}":')


def test_a_message_given_two_senders_is_the_first_ones_also_when_mended(
    ingest_lines: IngestLines, query: Query
) -> None:
    """A lone surrogate escape (legal JSON DuckDB's reader refuses) sent the line through
    Python's reader, which wrote it anew with the last sender: the same line was filed under
    another person for an emoji cut in half in its text."""
    line = f.line(f.delivery(f.message(psid="later", ts=T0)))
    twice = _twice(line, "sender", f'{{"id":"{PSID}"}}')
    cut = twice.replace(str(T0), str(T0 + 1)).replace('"hello"', '"hello \\ud83d"')
    ingest_lines([twice, cut])
    assert query("SELECT psid, line_no, text FROM events ORDER BY line_no") == [
        (PSID, 1, "hello"), (PSID, 2, "hello \ufffd")]  # fmt: skip
    assert query("SELECT count(*) FROM rejects") == [(0,)]


def test_an_entry_list_given_twice_is_judged_by_the_first(
    ingest_lines: IngestLines, query: Query
) -> None:
    """The first `entry` is no list: nothing was read, and the reason, from the second (a good
    list), blamed the items ("no usable event in delivery")."""
    good = f.line(f.delivery(f.message(ts=T0)))
    ingest_lines([_twice(good, "entry", '"x"')])
    assert query("SELECT count(*) FROM events") == [(0,)]
    assert query("SELECT reason FROM rejects") == [("entry is not a list but a JSON string",)]


def test_an_insights_row_given_two_spends_is_stored_with_the_first(
    ingest_lines: IngestLines, query: Query
) -> None:
    """Ad insights lines are read in Python: the last spend was stored."""
    line = _twice(f.line(page(row(spend="12.34"))), "spend", '"99.00"')
    ingest_lines([line])
    assert query("SELECT spend FROM ad_insights") == [(99.0,)]
