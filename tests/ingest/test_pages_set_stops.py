"""`pages set` stopped (Ctrl-C, SIGTERM) once it has saved the page, as it says so: it ends as
a stop does, saying the page is saved, not with click's "Aborted!" and exit 1."""

from __future__ import annotations

import signal
from pathlib import Path

import duckdb
import pytest

from tests.ingest.cli_setup import _signalled_at_call


@pytest.mark.parametrize(("sig", "code"), [(signal.SIGINT, 130), (signal.SIGTERM, 143)],
                         ids=["ctrl-c", "sigterm"])  # fmt: skip
def test_pages_set_stopped_just_after_it_prints_says_the_page_is_saved(
    tmp_path: Path, sig: int, code: int
) -> None:
    """Ctrl-C said "Aborted!" with exit 1 (after the line saying the page), SIGTERM nothing."""
    db_file = tmp_path / "refscope.duckdb"
    done = _signalled_at_call("ingest/terminal.py:say:return", sig, "pages", "set", "123",
                              "--name", "Acme", "--db", str(db_file), cwd=tmp_path)  # fmt: skip
    assert (done.returncode, done.stdout) == (code, "page 123: username -, name Acme\n")
    assert done.stderr == "stopped: page 123 is saved\n"
    con = duckdb.connect(str(db_file), read_only=True)
    try:
        assert con.execute("SELECT page_id, name FROM pages").fetchall() == [("123", "Acme")]
    finally:
        con.close()
