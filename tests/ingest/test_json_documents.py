"""Logs that hold pretty-printed JSON documents, as Meta's samples and public fixtures are saved
(nyaruka/courier handlers/meta/testdata/fba/*.json, botbuilder's PayloadWith*.json): each
document's bodies are read as if each were a line, through the real pipeline into a real DuckDB
file. README "What the ingest reads"."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest

import tests.factories as f
from ingest import documents, pipeline
from tests.conftest import Query
from tests.factories import T0
from tests.ingest.insight_setup import page, row
from tests.ingest.public_fixtures.courier import COURIER
from tests.ingest.test_property import _check_every_line_is_accounted_for


def _ingest(path: Path, db_path: Path) -> pipeline.IngestResult:
    return pipeline.run([str(path)], db_path)


def _write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def test_a_pretty_printed_fixture_is_one_body(db_path: Path, log_dir: Path, query: Query) -> None:
    """courier's hello_msg.json as the file holds it, indented with tabs: one message."""
    body = COURIER["courier/hello_msg"][0]
    doc = _write(log_dir / "hello_msg.json", json.dumps(body, indent="\t") + "\n")
    result = _ingest(doc, db_path)
    assert (result.events_added, result.rejects_added) == (1, 0)
    assert query("SELECT kind, mid, line_no FROM events") == [("message", "external_id", 1)]


def test_an_array_of_bodies_is_read_element_by_element(
    db_path: Path, log_dir: Path, query: Query
) -> None:
    """Each body of a pretty-printed array under the line it starts on; an element that is no
    body is rejected alone, with its reason."""
    bodies = [f.delivery(f.message(psid="u1", ts=T0, mid="m_1")), 7,
              f.envelope(f.delivery(f.message(psid="u2", ts=T0 + 1, mid="m_2")))]  # fmt: skip
    text = json.dumps(bodies, indent=2) + "\n"
    starts = [n for n, line in enumerate(text.split("\n"), 1) if line in ("  {", "  7,")]
    result = _ingest(_write(log_dir / "samples.json", text), db_path)
    assert (result.events_added, result.rejects_added) == (2, 1)
    assert query("SELECT mid, line_no FROM events ORDER BY mid") == [
        ("m_1", starts[0]),
        ("m_2", starts[2]),
    ]
    assert query("SELECT line_no, reason, raw FROM rejects") == [
        (starts[1], "not an object: a JSON number", "7")
    ]


def test_an_array_on_one_line_is_its_bodies_and_one_reject_for_its_bad_ones(
    db_path: Path, log_dir: Path, query: Query
) -> None:
    bodies = [f.delivery(f.message(psid="u1", ts=T0, mid="m_1")), "x", None,
              f.delivery(f.message(psid="u2", ts=T0, mid="m_2"))]  # fmt: skip
    result = _ingest(_write(log_dir / "export.json", json.dumps(bodies) + "\n"), db_path)
    assert (result.events_added, result.rejects_added) == (2, 1)
    assert query("SELECT line_no, reason, raw FROM rejects") == [
        (1, "not an object: a JSON string; not an object: a JSON null", '"x" null')
    ]


def test_the_summary_counts_an_array_lines_joined_reject_under_its_first_reason(
    db_path: Path, log_dir: Path, query: Query
) -> None:
    """Its reasons joined by '; ' are one reject, counted under the first body's reason as a
    line's first malformed item names its family: not under a string cut at the first colon
    ('no entry list; not an object'), nor one repeating a reason."""
    good = f.delivery(f.message(psid="u1", ts=T0, mid="m_1"))
    one = [good, {"object": "page"}, 7, {"object": "page", "entry": []}]
    _write(log_dir / "a.json", json.dumps(one) + "\n")
    _write(log_dir / "b.json", json.dumps([{"object": "page"}, {"object": "page"}]) + "\n")
    result = pipeline.run([str(log_dir)], db_path)
    assert query("SELECT reason FROM rejects ORDER BY file") == [
        ("no entry list; not an object: a JSON number; empty entry list",),
        ("no entry list; no entry list",),
    ]
    assert (result.events_added, result.rejects_added) == (1, 2)
    assert result.rejects_by_reason == {"no entry list": 2}


def test_an_array_on_the_only_line_without_a_line_end_is_its_bodies(
    db_path: Path, log_dir: Path, query: Query
) -> None:
    """As `json.dump(bodies, f)` saves them, with no line end: read as with one, not rejected
    whole as a line that is no object; a line still being written does not parse, and waits."""
    bodies = [f.delivery(f.message(psid="u1", ts=T0, mid="m_1")), 7,
              f.delivery(f.message(psid="u2", ts=T0, mid="m_2"))]  # fmt: skip
    result = _ingest(_write(log_dir / "export.json", json.dumps(bodies)), db_path)
    assert (result.lines, result.events_added, result.rejects_added) == (1, 2, 1)
    assert query("SELECT mid, line_no FROM events ORDER BY mid") == [("m_1", 1), ("m_2", 1)]
    assert query("SELECT line_no, reason FROM rejects") == [(1, "not an object: a JSON number")]
    cut = _write(log_dir / "growing.json", json.dumps(bodies)[:-30])
    _ingest(cut, db_path)
    ((reason,),) = query(f"SELECT reason FROM rejects WHERE file = '{cut.resolve()}'")
    assert reason.startswith("unfinished last line (no newline yet; "), reason


@pytest.mark.parametrize("end", ["\n", ""])
def test_an_array_on_one_line_longer_than_the_peek_is_its_bodies(
    db_path: Path, log_dir: Path, query: Query, end: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`json.dumps` of 200 bodies is one line of 48 KB, past the 16 KiB the reader peeks at:
    its bodies were lost in one reject (`not an object: a JSON array`); they are events now.
    Longer than a batch, it is read line by line, as README says of such a document."""
    bodies = [f.delivery(f.message(psid=f"u{i}", ts=T0 + i, mid=f"m_{i}")) for i in range(200)]
    text = "\n" + json.dumps(bodies) + end
    assert len(text) > 2 * documents.PEEK_BYTES
    doc = _write(log_dir / "export.json", text)
    result = _ingest(doc, db_path)
    assert (result.lines, result.events_added, result.rejects_added) == (2, 200, 0)
    assert query("SELECT DISTINCT line_no FROM events") == [(2,)]
    monkeypatch.setenv("REFSCOPE_INGEST_BATCH", str(len(text) // 2))
    other = db_path.with_name("small_batches.duckdb")
    assert pipeline.run([str(doc)], other).rejects_added == 1
    assert Query(other)("SELECT line_no, reason FROM rejects") == [
        (2, "not an object: a JSON array")]  # fmt: skip


def test_documents_one_after_another_are_each_read(
    db_path: Path, log_dir: Path, query: Query
) -> None:
    """`jq . webhooks.ndjson > pretty.json`: one indented document per body."""
    bodies = [f.delivery(f.message(psid=f"u{i}", ts=T0 + i, mid=f"m_{i}")) for i in range(3)]
    text = "".join(json.dumps(b, indent=2) + "\n" for b in bodies)
    result = _ingest(_write(log_dir / "pretty.json", text), db_path)
    assert (result.events_added, result.rejects_added) == (3, 0)


def test_an_unfinished_document_is_read_line_by_line_as_any_log(
    db_path: Path, log_dir: Path, query: Query
) -> None:
    """A document still being written does not parse whole: each line is judged alone (one
    reject each, nothing lost), the last one as an unfinished last line, read again later."""
    text = json.dumps([f.delivery(f.message(psid="u1", ts=T0, mid="m_1"))], indent=2) + "\n"
    cut = text.index('"mid"') + 3
    doc = _write(log_dir / "growing.json", text[:cut])
    lines = text[:cut].split("\n")
    result = _ingest(doc, db_path)
    assert (result.events_added, result.rejects_added) == (0, len(lines))
    rows = query("SELECT line_no, reason FROM rejects ORDER BY line_no")
    assert [n for n, _ in rows] == list(range(1, len(lines) + 1))
    assert rows[-1][1].startswith("unfinished last line (no newline yet; ")


def test_an_invalid_document_is_read_line_by_line(
    db_path: Path, log_dir: Path, query: Query
) -> None:
    text = json.dumps(f.delivery(f.message(psid="u1", ts=T0)), indent=2)
    broken = text.replace('"sender"', '"sender" "x"', 1) + "\n"
    result = _ingest(_write(log_dir / "broken.json", broken), db_path)
    lines = broken.rstrip("\n").split("\n")
    assert (result.events_added, result.rejects_added) == (0, len(lines))
    reasons = [r for (r,) in query("SELECT reason FROM rejects ORDER BY line_no")]
    assert all(r.startswith(("invalid JSON: ", "not an object: ")) for r in reasons), reasons


@pytest.mark.parametrize(
    "data",
    [
        b"{\nabc\n",
        b"[\n\x00zz\n",
        b'{"a":\n1}\nxx\n',
        b"[{}\nno\n",
        b"[{}, 5]",
        b"\n[{}, 5]",
        b'[{"a": 1}',
    ],
)
def test_lines_that_start_like_a_document_but_do_not_parse_are_each_accounted_for(
    data: bytes,
) -> None:
    """As test_property checks random logs: every non-blank line becomes events or a reject."""
    _check_every_line_is_accounted_for(data)


def test_a_pretty_printed_insights_page_is_stored(
    db_path: Path, log_dir: Path, query: Query
) -> None:
    """The Graph API Explorer's indented answer: its rows, as the compact one gives them."""
    answer = page(row("2026-11-02", spend="12.34"), row("2026-11-03", spend="5.00"))
    result = _ingest(_write(log_dir / "insights.json", json.dumps(answer, indent=2)), db_path)
    assert (result.insights_added, result.rejects_added) == (2, 0)


def test_a_log_whose_first_line_is_broken_is_still_read_line_by_line(
    db_path: Path, log_dir: Path, query: Query
) -> None:
    """One body per line, the first cut short by a crash: its lines, each judged alone."""
    good = f.line(f.delivery(f.message(psid="u1", ts=T0, mid="m_1")))
    other = f.line(f.delivery(f.message(psid="u2", ts=T0, mid="m_2")))
    log = _write(log_dir / "webhooks.ndjson", f"{good[:40]}\n{good}\n{other}\n")
    result = _ingest(log, db_path)
    assert (result.events_added, result.rejects_added) == (2, 1)
    ((line_no, reason),) = query("SELECT line_no, reason FROM rejects")
    assert (line_no, reason.startswith("invalid JSON: ")) == (1, True)


def test_a_gzipped_document_is_read_as_its_bodies(
    db_path: Path, log_dir: Path, query: Query
) -> None:
    bodies = [f.delivery(f.message(psid=f"u{i}", ts=T0 + i, mid=f"m_{i}")) for i in range(2)]
    doc = log_dir / "samples.json.gz"
    doc.write_bytes(gzip.compress(json.dumps(bodies, indent=2).encode()))
    result = _ingest(doc, db_path)
    assert (result.events_added, result.rejects_added) == (2, 0)
    assert query("SELECT mid, line_no FROM events ORDER BY mid") == [("m_0", 2), ("m_1", 26)]
