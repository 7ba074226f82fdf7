"""The seeded demo logs, ingested by `refscope` as a subprocess: every contact, event and reject
equals the reference's."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.ingest.reference_check import check, refscope

END = "2026-11-30"


@pytest.mark.parametrize("seed", [1, 2])
def test_demo_logs_match_the_reference(tmp_path: Path, seed: int) -> None:
    logs = tmp_path / "demo"
    refscope("demo-data", "--days", "60", "--end", END, "--seed", str(seed), "--out", str(logs))
    contact_diffs, reject_diffs = check(logs, logs / "tracked-links.csv", tmp_path / "r.duckdb")
    assert contact_diffs == []
    assert reject_diffs == []
