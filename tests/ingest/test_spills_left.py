"""The temporary files DuckDB spilled to `<db>.tmp` for an ingest killed while short of memory
(SIGKILL, the OOM killer) hold its raw log lines, ids before they were hashed and texts, and
stayed until a `forget` or `prune --rewrite`, or a later process that happened to spill. The next
ingest, which holds the database's lock, removes them and says so."""

from __future__ import annotations

import os
import sys
from pathlib import Path

from click.testing import CliRunner

from ingest import db, spills
from ingest.cli import cli
from ingest.sizes import size_text
from tests import factories as f
from tests.ingest.spill_setup import killed_once_spilled, left_by, spill_folder


def test_the_next_ingest_removes_what_a_killed_ingest_spilled_and_says_so(tmp_path: Path) -> None:
    db_file = tmp_path / "r.duckdb"
    big = f.write_ndjson(tmp_path / "big" / "webhooks.ndjson", f.big_log_lines(40_000))
    # A share of 40MB, below the least accepted (let below it here, so that the log stays this
    # small): a batch of 10 MB of log outgrows it, and DuckDB spills. (At 64MB it no longer
    # does, since a send line is parsed once: by hand, 56MB and less spilled, 4 runs of 4.)
    env = {**os.environ, "REFSCOPE_INGEST_MEMORY": "40MB"}
    below_least = "from ingest import memory_share; memory_share.MIN_MEMORY = 40 << 20; "
    cmd = [
        sys.executable,
        "-c",
        below_least + "from ingest.cli import main; main()",
        "ingest",
        str(big),
        "--db",
        str(db_file),
        "--no-progress",
    ]
    left = killed_once_spilled(cmd, db_file, env)
    assert any("storage" in p.name for p in left), "the ingest spilled nothing: no test"
    size = sum(p.stat().st_size for p in left)
    log = f.write_ndjson(tmp_path / "logs" / "a.ndjson", [f.delivery(f.message("hi"))])
    run = CliRunner()

    res = run.invoke(cli, ["ingest", str(log), "--db", str(db_file), "--no-progress"])

    assert res.exit_code == 0, res.output
    assert [p for p in left if p.exists()] == []
    assert not spill_folder(db_file).exists()  # nothing else was in it
    said = (f"removed {len(left)} temporary files ({size_text(size)}) that a killed process had "
            f"spilled to {spill_folder(db_file)}\n")  # fmt: skip
    assert said in res.output, res.output
    assert "1 new contact" in res.output, res.output
    # Said once: the next ingest finds nothing left.
    res = run.invoke(cli, ["ingest", str(log), "--db", str(db_file), "--no-progress"])
    assert res.exit_code == 0 and "temporary file" not in res.output, res.output


def test_the_next_ingest_removes_a_leftover_named_with_its_own_pid(tmp_path: Path) -> None:
    """Spill files are named duckdb_temp_<pid>_<instance>_…: a killed ingest's were kept for
    ever when the next ingest ran under the same pid (pid 1 in one container, then in the
    next). Holding the lock, the ingest keeps only what its own DuckDB uses: none yet."""
    db_file = tmp_path / "r.duckdb"
    left = left_by(db_file, os.getpid())
    log = f.write_ndjson(tmp_path / "logs" / "a.ndjson", [f.delivery(f.message("hi"))])

    res = CliRunner().invoke(cli, ["ingest", str(log), "--db", str(db_file), "--no-progress"])

    assert res.exit_code == 0, res.output
    assert [p for p in left if p.exists()] == []
    assert not spill_folder(db_file).exists()
    said = f"removed 3 temporary files ({size_text(3 * 2800)}) that a killed process had"
    assert said in res.output, res.output


def test_an_ingest_keeps_the_files_its_own_duckdb_spilled(tmp_path: Path) -> None:
    """What this process's DuckDB spilled for the database through another connection to it
    (one instance, DuckDB's cache) is in use: kept, as the files of another pid are not."""
    db_file = tmp_path / "r.duckdb"
    con = db.connect(db_file)
    try:
        con.execute("SET memory_limit = '30MB'; SET threads = 1")
        con.execute("SET preserve_insertion_order = false")
        con.execute("CREATE TEMP TABLE big AS SELECT i, md5(i::VARCHAR) || md5((i + 1)::VARCHAR)"
                    " AS s FROM range(2000000) t(i)")  # fmt: skip
        mine = {Path(p) for (p,) in con.execute("SELECT path FROM duckdb_temporary_files()")
                .fetchall()}  # fmt: skip
        assert mine, "nothing spilled: no test"
        dead = spill_folder(db_file) / "duckdb_temp_4194305_0_storage_DEFAULT-0.tmp"
        dead.write_bytes(b"x" * 10)
        other = db.connect(db_file)  # the same database instance: its files are con's
        try:
            removed = spills.remove_left_by_dead(other)
        finally:
            other.close()
        assert removed is not None and removed.files == 1
        assert not dead.exists()
        assert all(p.exists() for p in mine)
        assert con.execute("SELECT count(*) FROM big").fetchone() == (2_000_000,)
    finally:
        con.close()
