"""`refscope rebuild` carries the tables no log holds (ad insights, their parts, prunes' history,
events a prune kept) from the old file into the new one. Each table went through Python whole
(an Arrow table), outside DuckDB's memory limit: a large one grew the process by some times its
size, whatever REFSCOPE_INGEST_MEMORY said. The rows go from file to file inside DuckDB now,
held to that share."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import duckdb

from ingest import sizes

SHARE = "128MB"  # the least accepted
PARTS = 250_000  # ad insight parts of about 1 KB each: twice the share
PART_BYTES = 1_000
# Beyond DuckDB's share: the Python objects of a carry, whatever its size. Measured: the carry
# grew the process by 143 MiB, and by 527 MiB when it went through Python.
MARGIN = 128 * 2**20

# Runs `refscope` with argv in its own process, and writes to the file named first the peak
# resident memory of that process (VmHWM, KiB) before and after the carry of the tables. Not
# ru_maxrss: Linux keeps it across the exec, so it starts at the test process's own peak.
_MEASURED = """
import runpy, sys
out = sys.argv.pop(1)
from ingest import rebuild
carry = rebuild.carry
def peak():
    return next(line.split()[1] for line in open("/proc/self/status") if line.startswith("VmHWM"))
def measured(*args):
    peaks = [peak()]
    carried = carry(*args)
    peaks.append(peak())
    open(out, "w").write(" ".join(peaks))
    return carried
rebuild.carry = measured
runpy.run_module("ingest", run_name="__main__")
"""


def test_the_carry_of_a_large_table_holds_to_the_ingest_memory(old: Path) -> None:
    con = duckdb.connect(str(old))
    try:
        con.execute("""INSERT INTO ad_insight_parts
                       SELECT DATE '2024-01-01' + CAST(range // 1000 AS INTEGER),
                              'ad' || (range % 1000), '[["publisher_platform","facebook"]]',
                              json_object('x', repeat(md5(range::VARCHAR), $n // 32)), now()
                       FROM range($parts)""", {"n": PART_BYTES, "parts": PARTS})  # fmt: skip
    finally:
        con.close()
    new, peaks = old.with_name("new.duckdb"), old.with_name("peaks")
    args = [sys.executable, "-c", _MEASURED, str(peaks), "rebuild", "--db", str(old), "--out",
            str(new), "--no-progress"]  # fmt: skip
    env = {**os.environ, "REFSCOPE_INGEST_MEMORY": SHARE}

    res = subprocess.run(args, env=env, capture_output=True, text=True, check=False)

    assert res.returncode == 0, res.stdout + res.stderr
    before, after = (int(kib) * 1024 for kib in peaks.read_text().split())
    share = sizes.size_setting("share", 0, {"share": SHARE})
    assert after - before < share + MARGIN, (before, after)
    con = duckdb.connect(str(new), read_only=True)
    try:
        parts = "SELECT count(*), sum(length(part::VARCHAR)) FROM ad_insight_parts"
        assert con.execute(parts).fetchall() == [(PARTS, PARTS * (PART_BYTES // 32 * 32 + 8))]
    finally:
        con.close()
