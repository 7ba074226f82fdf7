"""A click log's first line (what tells it under another name, click_logs.py) is read from disk
once a run, not again in each batch that holds its clicks; a later run reads it again."""

from __future__ import annotations

from pathlib import Path

import pytest

import tests.factories as f
from ingest import click_logs, db, pipeline
from tests.factories import T0


def _click(i: int) -> dict[str, object]:
    return {"object": "refscope_click", "ts": T0 + 1000 * i, "ref": f"qr_{i % 3}",
            "page": "acmebakery", "qr": True, "device": "mobile"}  # fmt: skip


def test_a_click_log_over_many_batches_has_its_first_line_read_once_a_run(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    logs = tmp_path / "logs"
    f.write_ndjson(logs / "clicks.ndjson", [_click(i) for i in range(200)])
    f.write_ndjson(logs / "scans.ndjson", [_click(i) for i in range(1000, 1200)])
    monkeypatch.setenv("REFSCOPE_INGEST_BATCH", "2KB")  # some 15 lines a batch
    read: list[str] = []
    real, real_insert = click_logs.first_line, click_logs.insert
    inserts: list[int] = []

    def counted(path: Path, identity: tuple[int, int] | None = None) -> str | None:
        read.append(path.name)
        return real(path, identity)

    def insert(*args: object) -> None:
        inserts.append(len(read))
        real_insert(*args)  # type: ignore[arg-type]

    monkeypatch.setattr(click_logs, "first_line", counted)
    monkeypatch.setattr(click_logs, "insert", insert)
    db_path = tmp_path / "clicks.duckdb"
    pipeline.run([str(logs)], db_path)
    assert len(inserts) > 20  # many batches hold each log's clicks
    assert sorted(read) == ["clicks.ndjson", "scans.ndjson"]

    f.write_ndjson(logs / "clicks.ndjson", [_click(i) for i in range(200, 230)], mode="a")
    pipeline.run([str(logs)], db_path)
    assert sorted(read) == ["clicks.ndjson", "clicks.ndjson", "scans.ndjson"]
    con = db.connect(db_path, read_only=True)
    try:
        assert con.execute("SELECT count(*), count(DISTINCT file) FROM clicks").fetchone() == (
            430,
            2,
        )
    finally:
        con.close()
