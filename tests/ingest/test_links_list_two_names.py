"""`refscope links list` of a ref registered for a page by its numeric id and by its username
before `pages set` made the two one page (which it allows: the two links mean the same): one
link per ref and page, as registered first (the URL `links create` keeps), as the Create links
page lists it, in every format. It listed both registry rows."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tests.factories import PAGE_ID
from tests.ingest.cli_setup import ENTRIES

FIRST = f"https://m.me/{PAGE_ID}?ref=spring"
SECOND = "https://m.me/acmebakery?ref=spring"


def refscope(*args: str) -> str:
    """refscope in a process of its own, as a user runs it; its stdout, once it exits 0."""
    res = subprocess.run([sys.executable, "-c", ENTRIES["refscope"], *args], capture_output=True,
                         text=True, timeout=120, check=False)  # fmt: skip
    assert res.returncode == 0, res.stderr
    return res.stdout


@pytest.mark.parametrize("fmt", ["table", "tsv", "csv"])
def test_a_ref_of_a_page_by_id_and_by_username_is_listed_once(tmp_path: Path, fmt: str) -> None:
    db = str(tmp_path / "refscope.duckdb")
    for page in (PAGE_ID, "acmebakery"):  # the same link, by id and by username
        refscope("links", "create", "--page", page, "--ref", "spring", "--notes", "n", "--db", db)
    refscope("pages", "set", PAGE_ID, "--username", "acmebakery", "--db", db)
    out = refscope("links", "list", "--format", fmt, "--db", db)
    assert out.count(FIRST) == 1, out  # the link registered first, once
    assert SECOND not in out, out
    if fmt != "table":  # the header and one link
        assert len(out.splitlines()) == 2, out
