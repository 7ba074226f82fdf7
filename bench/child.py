"""A benchmark's step run in a fresh interpreter: its own peak RSS, nothing imported or cached by
another step. A step prints its seconds, its peak RSS (ru_maxrss: KiB on Linux) and what it
counted, then any other words (`measured`), or whatever its script parses (`run`)."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType

# The steps run here, where `ingest` is the project's package (in bench/, it is bench/ingest.py).
ROOT = Path(__file__).resolve().parent.parent


def bench_ingest() -> ModuleType:
    """bench/ingest.py: its log writer and its floor (a module of that name is the package)."""
    spec = importlib.util.spec_from_file_location("bench_ingest", ROOT / "bench" / "ingest.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def run(code: str, *args: str) -> str:
    """What code printed, run with args in a fresh interpreter in the project's root; a step
    that fails ends the benchmark with its error output."""
    out = subprocess.run(
        [sys.executable, "-c", code, *args], capture_output=True, text=True, cwd=ROOT
    )
    if out.returncode:
        sys.exit(f"benchmark step failed:\n{out.stderr}")
    return out.stdout


@dataclass(frozen=True)
class Step:
    secs: float
    rss: int  # bytes
    count: int  # lines, rows or events: what the step went through
    rest: list[str]  # any other words it printed


def measured(code: str, *args: str) -> Step:
    """A step whose last line printed is `seconds ru_maxrss count [words...]`, run as `run`
    does."""
    secs, rss_kib, count, *rest = run(code, *args).splitlines()[-1].split()
    return Step(float(secs), int(rss_kib) * 1024, int(count), rest)


INGEST_CODE = """
import resource, sys, time
from pathlib import Path
from ingest import pipeline
t = time.perf_counter()
r = pipeline.run([sys.argv[1]], Path(sys.argv[2]))
secs = time.perf_counter() - t
print(secs, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, r.events_parsed, r.events_added,
      r.new_contacts)
"""


def fresh(db: Path) -> Path:
    """db, with no database there any more: an earlier run's file and its WAL removed."""
    for f in (db, db.with_name(f"{db.name}.wal")):
        f.unlink(missing_ok=True)
    return db


def ingested(logs: Path, db: Path) -> Step:
    """The step of a `refscope ingest` of logs (a file or a folder) into db as it is (a new one:
    `fresh(db)`; the same again: an unchanged re-run). Its count is the events parsed, its rest
    the events added and the new contacts."""
    return measured(INGEST_CODE, str(logs), str(db))
