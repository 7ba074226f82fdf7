"""The lake tests' helpers: the second engine (pyarrow.dataset's counts of the lake's contacts),
the people whose events a lake or a database holds, and refscope commands in processes of their
own started at one moment."""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb
import pyarrow.compute as pc
import pyarrow.dataset as ds

import tests.factories as f
from ingest import db, lake
from tests.ingest.cli_setup import _clean_env

# refscope in a process that waits, imported and ready, for the file `go` before it starts.
_AT_GO = """
import sys, time
from pathlib import Path
from ingest.cli import cli
ready, go = Path(sys.argv[1]), Path(sys.argv[2])
ready.touch()
while not go.exists():
    time.sleep(0.0005)
cli(sys.argv[3:], prog_name="refscope")
"""


def counts_by_channel_arrow(lake_dir: Path) -> dict[str, int]:
    """The second engine: pyarrow.dataset over the hive-partitioned folder."""
    table = ds.dataset(lake_dir / "contacts", format="parquet", partitioning="hive").to_table(
        columns=["channel"]
    )
    counts = pc.value_counts(table["channel"]).to_pylist()
    return {c["values"]: c["counts"] for c in counts}


def at_once(base: Path, *commands: list[str]) -> list[subprocess.CompletedProcess[str]]:
    """Run each refscope command in a process of its own, all started together once every one
    is ready (imported), in base; each as it ended."""
    go, ready = base / "go", [base / f"ready{n}" for n in range(len(commands))]
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", _AT_GO, str(r), str(go), *args],
            cwd=base, env=_clean_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        )
        for r, args in zip(ready, commands, strict=True)
    ]  # fmt: skip
    deadline = time.monotonic() + 60
    while not all(r.exists() for r in ready):
        assert time.monotonic() < deadline, "the processes never got ready"
        time.sleep(0.005)
    go.touch()
    done = []
    for p in procs:
        out, err = p.communicate(timeout=120)
        done.append(subprocess.CompletedProcess(p.args, p.returncode, out, err))
    return done


def _psids(con: duckdb.DuckDBPyConnection) -> list[str]:
    return sorted(r[0] for r in con.execute("SELECT psid FROM events").fetchall())


@contextmanager
def lake_views(lake_dir: Path) -> Iterator[duckdb.DuckDBPyConnection]:
    """An in-memory connection with the lake's tables as views, as `dashboard --lake` reads
    them; closed on leaving the `with`."""
    con = db.connect_memory()
    try:
        lake.attach_views(con, lake_dir)
        yield con
    finally:
        con.close()


def psids_in_lake(lake_dir: Path) -> list[str]:
    """The psids of the lake's events, sorted, as `dashboard --lake` reads them."""
    with lake_views(lake_dir) as con:
        return _psids(con)


def psids_in_database(db_file: Path) -> list[str]:
    con = db.connect(db_file, read_only=True)
    try:
        return _psids(con)
    finally:
        con.close()


def days_log(folder: Path, first_day: int, days: int = 3) -> Path:
    """A log of one event a day for `days` days from T0 + first_day, one person each."""
    return f.write_ndjson(folder / "a.ndjson", [
        f.delivery(f.message(psid=f"{first_day}0{n}", ts=f.T0 + (first_day + n) * f.DAY))
        for n in range(days)
    ])  # fmt: skip


def lake_files(lake_dir: Path) -> dict[str, bytes]:
    """Every file of the lake, by its path in it, with its bytes."""
    return {str(p.relative_to(lake_dir)): p.read_bytes()
            for p in sorted(lake_dir.rglob("*")) if p.is_file()}  # fmt: skip
