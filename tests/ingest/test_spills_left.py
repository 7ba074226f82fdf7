"""The temporary files DuckDB spilled to `<db>.tmp` for an ingest killed while short of memory
(SIGKILL, the OOM killer) hold its raw log lines, ids before they were hashed and texts, and
stayed until a `forget` or `prune --rewrite`, or a later process that happened to spill. The next
ingest, which holds the database's lock, removes them and says so."""

from __future__ import annotations

import os
import sys
from pathlib import Path

from click.testing import CliRunner

from ingest.cli import cli
from ingest.sizes import size_text
from tests import factories as f
from tests.ingest.spill_setup import killed_once_spilled, spill_folder


def test_the_next_ingest_removes_what_a_killed_ingest_spilled_and_says_so(tmp_path: Path) -> None:
    db_file = tmp_path / "r.duckdb"
    big = f.write_ndjson(tmp_path / "big" / "webhooks.ndjson", f.big_log_lines(40_000))
    # A share of 40MB, below the least accepted (let below it here, so that the log stays this
    # small): a batch of 10 MB of log outgrows it, and DuckDB spills. (At 64MB it no longer
    # does, since a send line is parsed once: by hand, 56MB and less spilled, 4 runs of 4.)
    env = {**os.environ, "REFSCOPE_INGEST_MEMORY": "40MB"}
    below_least = "from ingest import pipeline; pipeline.MIN_MEMORY = 40 << 20; "
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
