"""Click log lines of the wrong shape. A `page` and `device` of the wrong JSON type: rejected
with their reason, as a `ref` or `qr` of the wrong type is, never kept as text (a page
`{"id": "1"}` made a click of no link, counted nowhere; a device `["bot"]` a bot's GET counted as
a person's click). A page id written as a whole number is read as its digits, as ids are
everywhere. A click line in a webhook envelope is rejected for that. Through `refscope ingest`
into a real DuckDB file.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

import tests.factories as f
from ingest.cli import cli
from tests.conftest import Query
from tests.factories import T0
from tests.ingest.cli_setup import _words


def _clicks(n: int) -> list[dict[str, Any]]:
    return [{"object": "refscope_click", "ts": T0 + i, "ref": "flyer", "page": "acmebakery",
             "qr": True, "device": "mobile"} for i in range(n)]  # fmt: skip


def _ingest(runner: CliRunner, db_path: Path, log_dir: Path, lines: list[Any]) -> str:
    log = f.write_ndjson(log_dir / "clicks-2024-11-25.vm-1.ndjson", lines)
    result = runner.invoke(cli, ["ingest", str(log), "--db", str(db_path)])
    assert result.exit_code == 0, result.output
    return _words(result)


@pytest.mark.parametrize(
    ("page", "what"),
    [({"id": "acmebakery"}, "object"), (["acmebakery"], "array"), (True, "boolean"),
     (12.5, "number"), (-7, "number")],
    ids=["object", "list", "bool", "fraction", "negative"],
)  # fmt: skip
def test_a_click_line_whose_page_is_no_text_nor_page_id_is_rejected_with_its_reason(
    runner: CliRunner, db_path: Path, log_dir: Path, page: Any, what: str
) -> None:
    good, bad = _clicks(2)
    out = _ingest(runner, db_path, log_dir, [good, {**bad, "page": page}])
    assert "2 lines, 0 events (0 new, 0 duplicates), 1 click (1 new), 1 reject" in out
    query = Query(db_path)
    assert query("SELECT line_no, page FROM clicks") == [(1, "acmebakery")]
    assert query("SELECT line_no, reason FROM rejects") == [
        (2, f"click with page neither text nor a page id: a JSON {what}")
    ]


@pytest.mark.parametrize(
    ("device", "what"),
    [(3, "number"), ({"class": "bot"}, "object"), (["bot"], "array"), (False, "boolean")],
    ids=["number", "object", "list", "bool"],
)  # fmt: skip
def test_a_click_line_whose_device_is_no_text_is_rejected_with_its_reason(
    runner: CliRunner, db_path: Path, log_dir: Path, device: Any, what: str
) -> None:
    good, bad = _clicks(2)
    out = _ingest(runner, db_path, log_dir, [good, {**bad, "device": device}])
    assert "2 lines, 0 events (0 new, 0 duplicates), 1 click (1 new), 1 reject" in out
    query = Query(db_path)
    assert query("SELECT line_no, device FROM clicks") == [(1, "mobile")]
    assert query("SELECT line_no, reason FROM rejects") == [
        (2, f"click with device that is not text: a JSON {what}")
    ]


def test_a_page_id_as_a_whole_number_and_a_missing_page_or_device_are_clicks(
    runner: CliRunner, db_path: Path, log_dir: Path
) -> None:
    """A page id of 18 digits written as a JSON number keeps every digit; a line without page or
    device (or with null) is a click, as before."""
    a, b, c = _clicks(3)
    lines = [{**a, "page": 100089123456789012}, {**b, "page": None, "device": None}, c]
    del c["device"], c["page"]
    out = _ingest(runner, db_path, log_dir, lines)
    assert "3 lines, 0 events (0 new, 0 duplicates), 3 clicks (3 new), 0 rejects" in out
    assert Query(db_path)("SELECT line_no, page, device FROM clicks ORDER BY line_no") == [
        (1, "100089123456789012", "mobile"), (2, None, None), (3, None, None),
    ]  # fmt: skip


@pytest.mark.parametrize("ref", [True, False], ids=["true", "false"])
def test_a_click_line_whose_ref_is_true_or_false_is_rejected_as_without_ref(
    runner: CliRunner, db_path: Path, log_dir: Path, ref: bool
) -> None:
    """As an object or a list in its place: JSON's true is no ref, not the ref 'true'."""
    good, bad = _clicks(2)
    out = _ingest(runner, db_path, log_dir, [good, {**bad, "ref": ref}])
    assert "2 lines, 0 events (0 new, 0 duplicates), 1 click (1 new), 1 reject" in out
    query = Query(db_path)
    assert query("SELECT line_no, ref FROM clicks") == [(1, "flyer")]
    assert query("SELECT line_no, reason FROM rejects") == [(2, "click without ref")]


def test_a_ref_written_with_escapes_or_as_a_number_is_read_as_its_text(
    runner: CliRunner, db_path: Path, log_dir: Path
) -> None:
    a, b = _clicks(2)
    line = f.line({**a, "ref": "REF"}).replace('"REF"', '"fl\\u0079er"')
    _ingest(runner, db_path, log_dir, [line, {**b, "ref": 2024}])
    assert Query(db_path)("SELECT line_no, ref FROM clicks ORDER BY 1") == [
        (1, "flyer"),
        (2, "2024"),
    ]


def test_a_click_line_inside_a_receivers_envelope_is_rejected_saying_so(
    runner: CliRunner, db_path: Path, log_dir: Path
) -> None:
    """A click line is read bare, as `refscope serve` logs it: one wrapped in a webhook envelope
    is rejected for that, not as a line 'without usable fields' (they were never read)."""
    good, wrapped = _clicks(2)
    out = _ingest(runner, db_path, log_dir, [good, f.envelope(wrapped)])
    assert "2 lines, 0 events (0 new, 0 duplicates), 1 click (1 new), 1 reject" in out
    assert Query(db_path)("SELECT line_no, reason FROM rejects") == [
        (2, "click log line inside an envelope: log each click bare, as refscope serve does")
    ]
