"""A process of a database killed (SIGKILL, as the OOM killer kills) once DuckDB has spilled its
work to the database's temporary folder (`<db>.tmp`): what it leaves there."""

from __future__ import annotations

import signal
import subprocess
import time
from pathlib import Path


def spill_folder(db_file: Path) -> Path:
    """DuckDB's default temporary folder of db_file."""
    return db_file.with_name(db_file.name + ".tmp")


def _spilled(folder: Path) -> bool:
    for p in folder.glob("duckdb_temp*storage*"):
        try:
            if p.stat().st_size > 0:
                return True
        except FileNotFoundError:  # removed meanwhile
            continue
    return False


def killed_once_spilled(
    args: list[str], db_file: Path, env: dict[str, str] | None = None
) -> list[Path]:
    """Run args, a process that opens db_file, and SIGKILL it once it has spilled; the files it
    left in the temporary folder."""
    folder = spill_folder(db_file)
    proc = subprocess.Popen(args, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 120  # a bound on a hang, not a speed
        while time.monotonic() < deadline and proc.poll() is None and not _spilled(folder):
            time.sleep(0.002)
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait()
    assert proc.returncode == -signal.SIGKILL, "it ended before it spilled: no test"
    return sorted(p for p in folder.glob("duckdb_temp*") if p.is_file())


def left_by(db_file: Path, pid: int) -> list[Path]:
    """Temporary files as a process of pid killed while it spilled for db_file leaves them (two
    of its database instances: DuckDB names them duckdb_temp_<pid>_<n>_…), 2,800 bytes each."""
    folder = spill_folder(db_file)
    folder.mkdir(exist_ok=True)
    left = [folder / f"duckdb_temp_{pid}_{name}" for name in
            ("0_owner", "0_storage_DEFAULT-0.tmp", "3_storage_S32K-0.tmp")]  # fmt: skip
    for p in left:
        p.write_bytes(b'{"sender": {"id": "psid-1"}}' * 100)
    return left
