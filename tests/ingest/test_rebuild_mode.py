"""`refscope rebuild --out NEW` writes everyone's data again, from its first bytes: NEW (and
the partial file and write-ahead log it is written through) is no more readable than the
database it rebuilds, whatever the umask, so the README's `mv NEW` does not widen who reads it."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from ingest import pipeline
from tests.ingest.rebuild_setup import run_rebuild


@pytest.mark.parametrize("mode", [0o600, 0o640], ids=["owner-only", "team-group"])
def test_the_new_file_is_no_more_readable_than_the_database(
    old: Path, monkeypatch: pytest.MonkeyPatch, mode: int
) -> None:
    old.chmod(mode)
    new = old.with_name("new.duckdb")
    seen: dict[str, int] = {}
    run = pipeline.run

    def watched(paths: list[str], db_file: Path, **kwargs: object) -> object:
        result = run(paths, db_file, **kwargs)  # type: ignore[arg-type]
        for p in Path(db_file).parent.glob(Path(db_file).name + "*"):
            seen[p.name] = stat.S_IMODE(p.stat().st_mode)
        return result

    monkeypatch.setattr(pipeline, "run", watched)
    umask = os.umask(0o022)  # DuckDB makes its files 644 under it
    try:
        res = run_rebuild("--db", str(old), "--out", str(new))
    finally:
        os.umask(umask)
    assert res.exit_code == 0, res.output
    assert "new.duckdb.partial" in seen
    for name, got in seen.items():
        assert got & ~mode == 0, f"{name}: {oct(got)}"
    assert stat.S_IMODE(new.stat().st_mode) & ~mode == 0
    assert os.umask(umask) == umask  # the process's umask is as it was
