"""A run that removed the temporary files a killed process had spilled (spills.py) and then
failed said nothing of the removal: the line was part of the summary of a run that ended. It is
said on stderr now (in the error output of --follow), before the error."""

from __future__ import annotations

import gzip
import io
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from rich.console import Console

import tests.factories as f
from ingest import cli as cli_module
from ingest import db
from ingest.cli import cli
from ingest.sizes import size_text
from tests.ingest.fetch_server import pull_cli
from tests.ingest.rebuild_setup import run_rebuild
from tests.ingest.spill_setup import left_by, spill_folder

DEAD_PID = 4_194_305  # above Linux's largest pid: no live process has it


def _damaged_gz() -> bytes:
    """A .gz whose CRC is wrong: the run that reads it fails once the database is open."""
    whole = gzip.compress(f.line(f.delivery(f.message("hi"))).encode() + b"\n")
    return whole[:-8] + bytes(b ^ 0xFF for b in whole[-8:-6]) + whole[-6:]


def _said(db_file: Path) -> str:
    return (f"removed 3 temporary files ({size_text(3 * 2800)}) that a killed process had "
            f"spilled to {spill_folder(db_file)}")  # fmt: skip


def test_a_failed_ingest_says_on_stderr_what_it_removed(tmp_path: Path) -> None:
    db_file = tmp_path / "r.duckdb"
    left = left_by(db_file, DEAD_PID)
    (tmp_path / "rotated.ndjson.gz").write_bytes(_damaged_gz())

    res = CliRunner().invoke(cli, ["ingest", str(tmp_path / "rotated.ndjson.gz"),
                                   "--db", str(db_file), "--no-progress"])  # fmt: skip

    assert res.exit_code == 1, res.output
    assert "CRC check failed" in res.stderr, res.stderr
    assert [p for p in left if p.exists()] == []
    assert _said(db_file) in res.stderr, res.stderr
    assert res.stderr.index(_said(db_file)) < res.stderr.index("Error:")
    assert "temporary file" not in res.stdout, res.stdout


def test_a_failed_follow_round_says_what_it_removed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    db_file = tmp_path / "r.duckdb"
    logs = tmp_path / "logs"
    logs.mkdir()
    (logs / "rotated.ndjson.gz").write_bytes(_damaged_gz())
    left = left_by(db_file, DEAD_PID)
    monkeypatch.setattr(cli_module.time, "sleep", lambda _: None)
    out, err = io.StringIO(), io.StringIO()

    cli_module._follow(Console(file=out, width=300), [str(logs)], db_file, 2.0, None, None,
                       cycles=1, err_console=Console(file=err, width=300))  # fmt: skip

    assert "CRC check failed" in err.getvalue(), err.getvalue()
    assert [p for p in left if p.exists()] == []
    assert _said(db_file) in err.getvalue(), err.getvalue()
    assert "temporary file" not in out.getvalue(), out.getvalue()


def test_a_failed_pull_says_on_stderr_what_it_removed(
    site: Any, db_path: Path, runner: CliRunner
) -> None:
    s, base = site
    s.files["/d.ndjson.gz"] = _damaged_gz()
    left = left_by(db_path, DEAD_PID)

    res = pull_cli(runner, base + "/d.ndjson.gz", db_path)

    assert res.exit_code == 1, res.output
    assert f"{base}/d.ndjson.gz: cannot read: CRC check failed" in res.stderr, res.stderr
    assert [p for p in left if p.exists()] == []
    assert _said(db_path) in res.stderr, res.stderr


def test_a_failed_rebuild_says_on_stderr_what_its_ingest_removed(old: Path) -> None:
    """A killed rebuild's spill files beside NEW.partial, removed by the next rebuild's ingest
    of the logs, which then fails on a damaged .gz among its PATHs."""
    new = old.with_name("new.duckdb")
    work = db.partial(new)
    left = left_by(work, DEAD_PID)
    damaged = old.parent / "rotated.ndjson.gz"
    damaged.write_bytes(_damaged_gz())
    logs = sorted(str(p) for p in (old.parent / "logs").iterdir())

    res = run_rebuild(*logs, str(damaged), "--db", str(old), "--out", str(new), "--no-progress")

    assert res.exit_code == 1, res.output
    assert "CRC check failed" in res.stderr, res.stderr
    assert [p for p in left if p.exists()] == []
    assert not new.exists() and not work.exists()
    assert _said(work) in res.stderr, res.stderr
    assert res.stderr.index(_said(work)) < res.stderr.index("Error:")
    assert "temporary file" not in res.stdout, res.stdout
