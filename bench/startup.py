"""How long `refscope` takes to start, against DuckDB's own import, in one run.

    python bench/startup.py [--runs 11] [--lines 100] [--keep DIR]

Writes a log of --lines webhook deliveries as `refscope serve` logs them (a small daily file),
then runs, each --runs times in a fresh process, in turns (the median of each is printed):
  floor        `python -c "import duckdb"`: what any command that opens the database waits for
  help         `refscope --help`
  ingest-help  `refscope ingest --help`
  ingest       `refscope ingest` of that log into a fresh database (as cron runs it daily)
and prints seconds, the ratio to the floor and peak RSS (the largest of the runs), each process
timed whole, from its start to its exit, as a shell or cron waits for it. With
PYTHONDONTWRITEBYTECODE set, every run compiles the modules that have no __pycache__ entry
(a tenth of a second for refscope's own), which an installed refscope compiled once: it says so.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from child import ROOT, bench_ingest, fresh
from workdir import in_work_dir

FLOOR = "import duckdb"
# As the console script runs it (dashboard.start:main), in this interpreter.
REFSCOPE = "import sys; sys.argv[0] = 'refscope'; from dashboard.start import main; main()"


def timed(code: str, *args: str) -> tuple[float, int]:
    """Seconds and peak RSS (bytes) of `python -c code args` in the project's root, from the
    process's start to its exit; a run that fails ends the benchmark with its error output."""
    with tempfile.TemporaryFile() as err:
        t = time.perf_counter()
        p = subprocess.Popen([sys.executable, "-c", code, *args], cwd=ROOT,
                             stdout=subprocess.DEVNULL, stderr=err)  # fmt: skip
        _, status, usage = os.wait4(p.pid, 0)  # its own rusage: ru_maxrss in KiB on Linux
        secs = time.perf_counter() - t
        p.returncode = os.waitstatus_to_exitcode(status)
        if p.returncode:
            err.seek(0)
            sys.exit(f"benchmark step failed:\n{err.read().decode(errors='replace')}")
    return secs, usage.ru_maxrss * 1024


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--runs", type=int, default=11, help="runs of each, in turns (the median)")
    ap.add_argument("--lines", type=int, default=100, help="deliveries in the log ingested")
    in_work_dir(ap, _run)


def _run(a: argparse.Namespace, work: Path) -> None:
    log = work / "webhooks.ndjson"
    items = bench_ingest().write_log(log, a.lines, envelopes=1.0)
    print(f"log: {a.lines:,} deliveries, {items:,} items, {log.stat().st_size / 1e3:,.0f} kB, "
          f"all receiver envelopes; {a.runs} runs of each in fresh processes (median)")  # fmt: skip
    if os.environ.get("PYTHONDONTWRITEBYTECODE"):
        print("PYTHONDONTWRITEBYTECODE is set: each run compiles the modules not in __pycache__")
    db = work / "startup.duckdb"
    steps: dict[str, Callable[[], tuple[float, int]]] = {
        "floor": lambda: timed(FLOOR),
        "help": lambda: timed(REFSCOPE, "--help"),
        "ingest-help": lambda: timed(REFSCOPE, "ingest", "--help"),
        "ingest": lambda: timed(REFSCOPE, "ingest", str(log), "--db", str(fresh(db))),
    }
    runs: dict[str, list[tuple[float, int]]] = {name: [] for name in steps}
    for _ in range(a.runs):  # in turns: a slower spell of the machine is every step's
        for name, step in steps.items():
            runs[name].append(step())
    floor = statistics.median(secs for secs, _ in runs["floor"])
    for name, done in runs.items():
        secs = statistics.median(s for s, _ in done)
        rss = max(r for _, r in done)
        print(f"{name:11s} {secs:6.3f} s  ratio to the floor {secs / floor:5.2f}  "
              f"peak RSS {rss / 2**20:5.0f} MiB")  # fmt: skip


if __name__ == "__main__":
    main()
