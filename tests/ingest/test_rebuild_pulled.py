"""`refscope rebuild` of a database that read logs with `pull logs`: a file given as PATH that
holds what a pull read of a URL (the export saved with curl, grown since or not) stands for
it, as README's "Upgrading refscope" and the refusal say ("give the files that hold those
lines as PATH"); one that does not hold it leaves the URL refused."""

from __future__ import annotations

import gzip
from pathlib import Path
from typing import Any

import pytest

from ingest import remote
from tests.conftest import Query
from tests.ingest.fetch_server import lines
from tests.ingest.rebuild_setup import run_rebuild

pytestmark = pytest.mark.usefixtures("fast_retries")


@pytest.mark.parametrize("gz", [False, True], ids=["ndjson", "gz"])
def test_a_file_holding_a_pulled_export_stands_for_its_url(
    site: Any, db_path: Path, tmp_path: Path, gz: bool
) -> None:
    s, base = site
    url = "/export.ndjson.gz" if gz else "/export.ndjson"
    text = lines(0, 6) + b"not json\n"
    s.files[url] = gzip.compress(text) if gz else text
    assert remote.pull_logs(base + url, {}, db_path) is not None
    grown = text + lines(6, 2)  # the export as saved later: more lines after what was read
    saved = tmp_path / ("saved.ndjson.gz" if gz else "saved.ndjson")
    saved.write_bytes(gzip.compress(grown) if gz else grown)
    new = tmp_path / "new.duckdb"
    res = run_rebuild("--db", str(db_path), "--out", str(new), str(saved))
    assert res.exit_code == 0, res.output
    assert "pulled over HTTP" not in res.output
    assert Query(new).scalar("SELECT count(*) FROM events") == 8
    assert Query(new).scalar("SELECT count(*) FROM rejects") == 1


def test_a_file_not_holding_a_pulled_export_leaves_its_url_refused(
    site: Any, db_path: Path, tmp_path: Path
) -> None:
    s, base = site
    s.files["/export.ndjson"] = lines(0, 6)
    assert remote.pull_logs(base + "/export.ndjson", {}, db_path) is not None
    for other in (lines(100, 8), lines(0, 3)):  # other lines; the start of it only
        saved = tmp_path / "saved.ndjson"
        saved.write_bytes(other)
        new = tmp_path / "new.duckdb"
        res = run_rebuild("--db", str(db_path), "--out", str(new), str(saved))
        assert res.exit_code == 1
        said = f"pulled over HTTP, not files (pull them again into the new file after the rebuild): {base}/export.ndjson"  # noqa: E501
        assert said in " ".join(res.output.split())
        assert not new.exists()
