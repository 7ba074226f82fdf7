"""`refscope forget` and `prune --rewrite` whose output nobody reads any more (`| head -1`, a
closed pipe): the rows are removed, and so are their bytes, as the file is written anew all the
same; the output is what goes."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from tests.ingest.cli_setup import _clean_env
from tests.ingest.rewrite_setup import PSID, SAID, THEIRS, leftovers, person_db

_REFSCOPE = [__import__("sys").executable, "-c", "from dashboard.cli import main; main()"]


def _with_stdout_gone(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    """refscope run with a stdout whose reader has gone: each write to it fails (EPIPE)."""
    read_end, write_end = os.pipe()
    os.close(read_end)
    try:
        return subprocess.run([*_REFSCOPE, *args], cwd=cwd, env=_clean_env(), stdout=write_end,
                              stderr=subprocess.PIPE, text=True, timeout=300)  # fmt: skip
    finally:
        os.close(write_end)


def test_a_forget_whose_reader_went_away_still_writes_the_file_anew(tmp_path: Path) -> None:
    db_file = person_db(tmp_path)
    res = _with_stdout_gone("forget", PSID, "--db", str(db_file), cwd=tmp_path)
    assert "Traceback" not in res.stderr
    held = db_file.read_bytes()
    for gone in (PSID, SAID):
        assert gone.encode() not in held, (gone, res.stderr)
    assert THEIRS.encode() in held
    assert leftovers(db_file) == []
    assert res.returncode == 0, res.stderr


def test_a_prune_rewrite_whose_reader_went_away_still_writes_the_file_anew(
    tmp_path: Path,
) -> None:
    db_file = person_db(tmp_path)  # every event in 2023: older than 1d
    res = _with_stdout_gone("prune", "--older-than", "1d", "--rewrite", "--db", str(db_file),
                            cwd=tmp_path)  # fmt: skip
    assert "Traceback" not in res.stderr
    held = db_file.read_bytes()
    for gone in (PSID, SAID, THEIRS):
        assert gone.encode() not in held, (gone, res.stderr)
    assert leftovers(db_file) == []
    assert res.returncode == 0, res.stderr
