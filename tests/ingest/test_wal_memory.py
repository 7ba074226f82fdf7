"""A database opened by a command held to REFSCOPE_INGEST_MEMORY replays its write-ahead log
within that share. DuckDB replays the log as it opens the file, and the share was set once open:
a log that a process left without a checkpoint (killed, or its disk full) was replayed at
DuckDB's default, 80% of the machine's memory."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

from ingest import db, sizes
from tests.factories import delivery, line, message

SHARE = "128MB"  # the least accepted
TRANSACTIONS = 25  # of 40,000 events each: a log of some 330 MB, left unreplayed
MIB = 2**20
# Beyond the share: what else DuckDB holds as it opens the file. Measured with a 128MB share: the
# ingest grew by 145 MiB with the log, and by 316 MiB when the share was set once open.
MARGIN = 64 * MIB

# Adds events in small transactions, none of them checkpointed: they stay in the .wal file.
_FILL = """
import sys
import duckdb
con = duckdb.connect(sys.argv[1])
con.execute("SET checkpoint_threshold = '1TB'")
con.execute("PRAGMA disable_checkpoint_on_shutdown")
for k in range(int(sys.argv[2])):
    con.execute('''
        INSERT INTO events (event_key, page_id, psid, is_user_ref, ts, kind, is_standby, text,
                            file, line_no, run_id)
        SELECT i + 1000, '1', md5(i::VARCHAR), false, TIMESTAMP '2024-01-01' + to_seconds(i),
               'message', false, repeat(md5(i::VARCHAR), 4), 'old.ndjson', i, 1
        FROM range($1 * 40000, ($1 + 1) * 40000) r(i)''', [k])
con.close()
"""

# Runs `refscope` with argv (or, given `open`, opens REFSCOPE_DB), then prints the process's peak
# resident memory (VmHWM, KiB) on stderr's last line. Not ru_maxrss: Linux keeps it across the
# exec, so it starts at the test process's own peak.
_PEAK = """
import atexit, runpy, sys
def peak():
    status = open("/proc/self/status").read().splitlines()
    print(next(line.split()[1] for line in status if line.startswith("VmHWM")), file=sys.stderr)
atexit.register(peak)
if sys.argv[1] == "open":
    from ingest import db
    db.connect(db.db_path(), read_only=True).close()
else:
    runpy.run_module("ingest", run_name="__main__")
"""


OPEN = ("open",)  # the file opened read-only at DuckDB's default, as the dashboard opens it


def _peak(tmp_path: Path, src: Path, *argv: str) -> int:
    """The peak memory of a process running argv on a copy of src and its .wal (an open replays
    the log and, writing, checkpoints it away): bytes."""
    copy = tmp_path / "copy.duckdb"
    shutil.copy(src, copy)
    db.wal(copy).unlink(missing_ok=True)
    if db.wal(src).exists():
        shutil.copy(db.wal(src), db.wal(copy))
    env = {**os.environ, "REFSCOPE_INGEST_MEMORY": SHARE, "REFSCOPE_DB": str(copy)}
    res = subprocess.run([sys.executable, "-c", _PEAK, *argv], env=env, capture_output=True,
                         text=True, check=False)  # fmt: skip
    assert res.returncode == 0, res.stdout + res.stderr
    return int(res.stderr.splitlines()[-1]) * 1024


def test_an_ingest_replays_a_large_write_ahead_log_within_its_share(tmp_path: Path) -> None:
    log = tmp_path / "webhooks.ndjson"
    log.write_text(line(delivery(message())) + "\n")
    src = tmp_path / "refscope.duckdb"
    env = {**os.environ, "REFSCOPE_DB": str(src)}
    subprocess.run([sys.executable, "-m", "ingest", "ingest", str(log)], env=env, check=True,
                   capture_output=True)  # fmt: skip
    opened, before = (_peak(tmp_path, src, *argv) for argv in (OPEN, ("ingest", str(log))))
    subprocess.run([sys.executable, "-c", _FILL, str(src), str(TRANSACTIONS)], check=True)
    assert db.wal(src).stat().st_size > 250 * MIB
    share = sizes.size_setting("share", 0, {"share": SHARE})

    # Opened at DuckDB's default, the log's replay takes far more than the share.
    assert _peak(tmp_path, src, *OPEN) - opened > share + 2 * MARGIN
    # The ingest (nothing new to read: it opens the file, and leaves) replays it within the share.
    grown = _peak(tmp_path, src, "ingest", str(log)) - before
    assert grown < share + MARGIN, grown // MIB
