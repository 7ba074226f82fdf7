"""The least memory share an ingest accepts ingests heavy logs with its default batch, and the
default batch follows the share."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

import tests.factories as f
import tests.factories_feed as ff
from ingest import documents, memory_share, pipeline, sizes
from tests.conftest import Query
from tests.factories import T0
from tests.ingest.cli_setup import _run_refscope
from tests.ingest.logs import full_deliveries

MIB = 2**20


def test_the_least_memory_accepted_ingests_heavy_logs_in_default_batches(tmp_path: Path) -> None:
    """At REFSCOPE_INGEST_MEMORY=64MB, the least it accepted, a batch of 1 MiB of send-log lines
    or of 8 MiB of deliveries of 1,000 long messages ran out of memory, and the default batch
    was 128 MiB whatever the share. The least share accepted now ingests a log of both, larger
    than its default batch, in a real `refscope ingest`."""
    least = f"{memory_share.MIN_MEMORY // MIB}MB"
    sends = [ff.send_log(f"4455667788_{i}", f"8{i:015d}", ts=T0 + i, message_id=f"m_s{i}")
             for i in range(3000)]  # fmt: skip
    log = f.write_ndjson(tmp_path / "webhooks.ndjson", [*sends, *full_deliveries(34)])
    assert log.stat().st_size > sizes.default_batch(memory_share.MIN_MEMORY) > 16 * MIB
    db_file = tmp_path / "db.duckdb"
    proc = _run_refscope("ingest", str(log), "--db", str(db_file), cwd=tmp_path,
                         env={"REFSCOPE_INGEST_MEMORY": least}, timeout=300)  # fmt: skip
    assert proc.returncode == 0, (proc.stdout, proc.stderr)
    assert Query(db_file)("SELECT kind, count(*) FROM events GROUP BY kind ORDER BY kind") == [
        ("message", 34_000), ("private_reply", 3000)
    ]  # fmt: skip


@pytest.mark.parametrize(
    ("memory", "batch"),
    [(None, 128 * MIB), ("600MB", 128 * MIB), ("512MB", 128 * MIB), ("4G", 128 * MIB),
     ("256MB", 64 * MIB), ("200MB", 50 * MIB), ("128MB", 32 * MIB)],
)  # fmt: skip
def test_the_default_batch_follows_the_memory_share(
    memory: str | None, batch: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The default batch was 128 MiB whatever REFSCOPE_INGEST_MEMORY: now a quarter of it, at
    most 128 MiB. A batch size given is taken as given, whatever the share."""
    monkeypatch.delenv("REFSCOPE_INGEST_BATCH", raising=False)
    if memory is None:
        monkeypatch.delenv("REFSCOPE_INGEST_MEMORY", raising=False)
    else:
        monkeypatch.setenv("REFSCOPE_INGEST_MEMORY", memory)
    assert sizes.batch_bytes() == batch
    monkeypatch.setenv("REFSCOPE_INGEST_BATCH", "128MB")
    assert sizes.batch_bytes() == 128 * MIB


def test_a_run_reads_in_batches_of_the_default_for_its_share(
    db_path: Path, log_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The run itself reads in batches of the share's default (128MB: 32 MiB), not 128 MiB."""
    monkeypatch.setenv("REFSCOPE_INGEST_MEMORY", "128MB")
    read_chunks, limits = documents.read_chunks, []

    def seen(p: Any, limit: int) -> Any:
        limits.append(limit)
        return read_chunks(p, limit)

    monkeypatch.setattr(documents, "read_chunks", seen)
    log = f.write_ndjson(log_dir / "a.ndjson", [f.delivery(f.message(psid="u1"))])
    assert pipeline.run([str(log)], db_path).events_added == 1
    assert limits == [32 * MIB]
