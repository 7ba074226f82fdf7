"""`refscope pull logs` against a login or error page whose first bytes come alone: sent slowly
(a byte at a time, as a slow proxy or link delivers it), or cut after them and resumed. The page
is told from a log by its start as a whole, not by the first piece read of it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from ingest.cli import cli
from tests.ingest.fetch_server import lines

pytestmark = pytest.mark.usefixtures("fast_retries")  # no backoff waits

PAGES = {
    "blank-lines": b"\n\r\n  <!DOCTYPE html>\n<html><body>Sign in</body></html>\n",
    "doctype": b"<!DOCTYPE html>\n<html><body>Sign in</body></html>\n",
    "bom-html": b"\xef\xbb\xbf<html lang=en><body>Maintenance</body></html>\n",
}


@pytest.mark.parametrize("label", ["", "text/html; charset=utf-8"], ids=["unlabelled", "html"])
@pytest.mark.parametrize("page", list(PAGES.values()), ids=list(PAGES))
def test_a_web_page_sent_a_byte_at_a_time_is_refused(
    site: Any, db_path: Path, runner: CliRunner, query: Any, page: bytes, label: str
) -> None:
    """Its first piece read ("\\n", "<", a byte of the BOM) told nothing, and the rest went
    unchecked: the page was read as the log, its lines rejects, and recorded as read."""
    s, base = site
    s.files["/log.ndjson"] = page
    if label:
        s.content_types["/log.ndjson"] = label
    s.trickle = 0.001
    res = runner.invoke(cli, ["pull", "logs", base + "/log.ndjson", "--db", str(db_path)])
    assert res.exit_code == 1 and "answered with a web page" in res.output, res.output
    assert query("SELECT count(*) FROM rejects") == [(0,)]
    assert query("SELECT count(*) FROM ingest_files") == [(0,)]


def test_a_web_page_cut_after_its_first_bytes_is_refused_once_resumed(
    site: Any, db_path: Path, runner: CliRunner, query: Any
) -> None:
    """Cut after its blank lines and resumed from there (a Range), its rest was never looked
    at. (Cut after "<!DOC", it is refused at once: a log's first byte is never "<".)"""
    s, base = site
    s.files["/log.ndjson"] = PAGES["blank-lines"]
    s.cuts = [5]
    res = runner.invoke(cli, ["pull", "logs", base + "/log.ndjson", "--db", str(db_path)])
    assert res.exit_code == 1 and "answered with a web page" in res.output, res.output
    assert s.requests[-1].get("Range") == "bytes=5-"  # it was resumed, not asked anew
    assert query("SELECT count(*) FROM ingest_files") == [(0,)]


def test_a_log_sent_a_byte_at_a_time_is_read(
    site: Any, db_path: Path, runner: CliRunner, query: Any
) -> None:
    """The same slow server with a log (after blank lines, labelled as HTML): all of it read."""
    s, base = site
    s.files["/log.ndjson"] = b"\n \n" + lines(0, 2)
    s.content_types["/log.ndjson"] = "text/html"
    s.trickle = 0.0001
    res = runner.invoke(cli, ["pull", "logs", base + "/log.ndjson", "--db", str(db_path)])
    assert res.exit_code == 0, res.output
    assert query("SELECT count(*) FROM events") == [(2,)]
