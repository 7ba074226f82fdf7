"""`links create --channel` in any case, as `links import` reads a CSV's channel column."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from tests.ingest.cli_setup import _run_refscope


@pytest.mark.parametrize(("given", "stored"), [("QR", "qr_code"), ("Link", "m_me_link")])
def test_links_create_takes_a_channel_in_any_case(tmp_path: Path, given: str, stored: str) -> None:
    """`--channel QR` was refused (`'QR' is not one of 'link', 'qr'`, exit 2), while an
    import's row of channel QR registers a QR code."""
    db_file, out = tmp_path / "refscope.duckdb", tmp_path / "codes"
    done = _run_refscope("links", "create", "--page", "acmebakery", "--ref", "door_1",
                         "--channel", given, "--out", str(out), "--db", str(db_file),
                         cwd=tmp_path)  # fmt: skip
    assert done.returncode == 0, done
    assert done.stdout == "https://m.me/acmebakery?ref=door_1\n", done.stdout
    con = duckdb.connect(str(db_file), read_only=True)
    try:
        assert con.execute("SELECT channel FROM tracked_links").fetchall() == [(stored,)]
    finally:
        con.close()
    codes = sorted(p.name for p in out.glob("*")) if out.exists() else []
    assert codes == (["door_1.png", "door_1.svg"] if stored == "qr_code" else [])
