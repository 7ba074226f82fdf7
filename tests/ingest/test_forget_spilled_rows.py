"""What DuckDB spilled to disk for a process killed while short of memory (SIGKILL, the OOM
killer): its temporary files in `<db>.tmp` stay until a later process happens to spill, holding
rows as they were (of a killed ingest: raw log lines, PSIDs before they were hashed, texts). A
forget, which writes the database anew so that no byte of the person stays, must not leave them."""

from __future__ import annotations

import sys
from pathlib import Path

from click.testing import CliRunner

from ingest.cli import cli
from tests import factories as f
from tests.ingest.spill_setup import killed_once_spilled

PERSON = "4455667788990011"

# Sorts more rows than its memory holds, in the database's process: DuckDB writes the overflow to
# `<db>.tmp`. Nothing of it is stored in the database.
_SPILL = """
import sys, duckdb
con = duckdb.connect(sys.argv[1])
con.execute("SET memory_limit = '40MB'; SET threads = 1; SET preserve_insertion_order = false")
con.execute("CREATE TEMP TABLE s AS SELECT '{\\"sender\\":{\\"id\\":\\"' || $p || '\\"}} ' || "
            "range::VARCHAR || repeat('x', 40) AS line FROM range(3000000) ORDER BY line DESC",
            {"p": sys.argv[2]})
"""


def _killed_while_spilling(db_file: Path) -> list[Path]:
    """Run _SPILL on db_file and kill it (SIGKILL) once it has spilled; the files it left."""
    return killed_once_spilled([sys.executable, "-c", _SPILL, str(db_file), PERSON], db_file)


def test_a_forget_removes_the_rows_a_killed_process_spilled_beside_the_database(
    tmp_path: Path,
) -> None:
    db_file = tmp_path / "r.duckdb"
    log = f.write_ndjson(tmp_path / "logs" / "a.ndjson", [f.delivery(f.message("hi", psid=PERSON))])
    run = CliRunner()
    res = run.invoke(cli, ["ingest", str(log), "--db", str(db_file), "--no-progress"])
    assert res.exit_code == 0, res.output
    left = _killed_while_spilling(db_file)
    assert left, "DuckDB spilled nothing: no test"

    res = run.invoke(cli, ["forget", PERSON, "--db", str(db_file)])

    assert res.exit_code == 0, res.output
    assert [p for p in left if p.exists()] == []
    assert not db_file.with_name(db_file.name + ".tmp").exists()  # nothing else was in it
    # The database is whole, and its next writer opens it.
    res = run.invoke(cli, ["ingest", str(log), "--db", str(db_file), "--no-progress"])
    assert res.exit_code == 0, res.output
