"""The hand-made edge lines, ingested by `refscope` in one run and over two: every contact,
event and reject equals the reference's."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.ingest.edge_cases import PAGE
from tests.ingest.edge_cases.audits import audit_lines
from tests.ingest.edge_cases.chat_tags import tag_lines
from tests.ingest.edge_cases.repeats import repeat_lines
from tests.ingest.edge_cases.rules import rule_lines
from tests.ingest.edge_cases.shapes import shape_lines
from tests.ingest.reference_check import check


def edge_lines() -> list[object]:
    return rule_lines() + audit_lines() + shape_lines() + tag_lines() + repeat_lines()


@pytest.mark.parametrize("parts", [1, 2])
def test_edge_lines_match_the_reference(tmp_path: Path, parts: int) -> None:
    """In one run, and spread over two logs ingested last to first, one run each."""
    logs = tmp_path / "logs"
    logs.mkdir()
    lines = [json.dumps(x, separators=(",", ":")) for x in edge_lines()]
    files = [logs / f"edge-{n}.ndjson" for n in range(parts)]
    for n, path in enumerate(files):
        path.write_text("\n".join(lines[n::parts]) + "\n")
    links_csv = tmp_path / "links.csv"
    links_csv.write_text(f"page,ref,channel\n{PAGE},qr_edge,qr\n")
    runs = [[path] for path in reversed(files)]
    contact_diffs, reject_diffs = check(logs, links_csv, tmp_path / "r.duckdb", runs)
    assert contact_diffs == []
    assert reject_diffs == []
