"""The demo generator against writing its own lines again, in one run.

    python bench/demo_data.py [--days N] [--scale 1.0] [--end 2026-01-31] [--keep DIR]

Times, each in a fresh process:
  demo    `refscope demo-data` (write_demo) with these options: the default writes the two years
          `make demo` writes (--end defaults to a fixed day, so that runs compare)
  floor   every line it wrote read back and written again (json.loads + json.dumps, gzip where
          the file is): what writing that many lines costs, with no simulation. It reads the
          files the demo wrote, nothing else of the folder (`make demo`'s .written marker,
          demo-data's tracked-links.csv, a log of someone else's)
and prints lines, seconds, lines/s, peak RSS and the ratio demo/floor. The tests do not time
the generator: speed is measured here.
"""

from __future__ import annotations

import argparse
import datetime as dt
from pathlib import Path

from child import Step, measured
from workdir import in_work_dir

DEMO_CODE = """
import datetime as dt, resource, sys, time
from pathlib import Path
from ingest.demo import write_demo
days = None if sys.argv[2] == "-" else int(sys.argv[2])
t = time.perf_counter()
s = write_demo(Path(sys.argv[1]), days=days, end=dt.date.fromisoformat(sys.argv[3]),
               scale=float(sys.argv[4]))
secs = time.perf_counter() - t
Path(sys.argv[5]).write_text("".join(f"{f}\\n" for f in s.files))  # what the floor reads
print(secs, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, s.lines)
"""
FLOOR_CODE = """
import gzip, json, resource, shutil, sys, time
from pathlib import Path
files, dst = [Path(f) for f in Path(sys.argv[1]).read_text().splitlines()], Path(sys.argv[2])
shutil.rmtree(dst, ignore_errors=True)  # an earlier run's, with the same --keep
dst.mkdir()
t = time.perf_counter()
lines = 0
for f in files:  # all logs: .ndjson, the oldest months' .ndjson.gz
    opener = gzip.open if f.suffix == ".gz" else open
    with opener(f, "rb") as fh, opener(dst / f.name, "wb") as out:
        for line in fh:
            if line.strip():
                try:
                    out.write(json.dumps(json.loads(line), separators=(",", ":")).encode() + b"\\n")
                except ValueError:  # the demo's few malformed lines, written as they are
                    out.write(line)
                lines += 1
secs = time.perf_counter() - t
print(secs, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, lines)
"""


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--days", type=int, help="days of logs (default: as demo-data's)")
    ap.add_argument("--scale", type=float, default=1.0, help="traffic, 1.0 = demo-data's")
    ap.add_argument("--end", type=dt.date.fromisoformat, default=dt.date(2026, 1, 31))
    demo, floor = in_work_dir(ap, _measure)
    for name, s in (("demo", demo), ("floor", floor)):
        print(f"{name:5s} {s.secs:7.2f} s  {s.count:>10,} lines  {s.count / s.secs:>10,.0f} "
              f"lines/s  peak RSS {s.rss / 2**20:6.0f} MiB")  # fmt: skip
    print(f"ratio demo/floor {demo.secs / floor.secs:.2f}")


def _measure(a: argparse.Namespace, work: Path) -> tuple[Step, Step]:
    days = "-" if a.days is None else str(a.days)
    files = str(work / "demo-files.txt")
    demo = measured(DEMO_CODE, str(work / "demo"), days, a.end.isoformat(), str(a.scale), files)
    return demo, measured(FLOOR_CODE, files, str(work / "again"))


if __name__ == "__main__":
    main()
