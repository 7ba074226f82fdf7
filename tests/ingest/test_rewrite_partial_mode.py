"""The copy that `forget` (and `prune --rewrite`) writes before renaming it over the database
holds everyone's data from its first bytes, and stays beside it if the process is killed: it is
no more readable than the database, whatever the umask."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest
from click.testing import CliRunner

from ingest import db, rewrite
from ingest.cli import cli
from tests.ingest.rewrite_setup import PSID, person_db

COMMANDS = [["forget", PSID], ["prune", "--older-than", "1d", "--rewrite"]]


@pytest.mark.parametrize("command", COMMANDS, ids=["forget", "prune"])
@pytest.mark.parametrize("mode", [0o600, 0o640], ids=["owner-only", "team-group"])
def test_the_partial_copy_is_no_more_readable_than_the_database(
    tmp_path: Path, runner: CliRunner, monkeypatch: pytest.MonkeyPatch,
    mode: int, command: list[str],
) -> None:  # fmt: skip
    db_file = person_db(tmp_path)
    db_file.chmod(mode)
    seen: dict[str, int] = {}
    check = rewrite._check_same

    def watched(con: object, old: str, new: str, path: Path) -> None:
        for p in (db.partial(db_file), db.wal(db.partial(db_file))):
            if p.exists():
                seen[p.name] = stat.S_IMODE(p.stat().st_mode)
        check(con, old, new, path)  # type: ignore[arg-type]

    monkeypatch.setattr(rewrite, "_check_same", watched)
    umask = os.umask(0o022)  # DuckDB makes its files 644 under it
    try:
        res = runner.invoke(cli, [*command, "--db", str(db_file)])
    finally:
        os.umask(umask)
    assert res.exit_code == 0, res.output
    assert "rewrote" in res.output
    assert db.partial(db_file).name in seen
    for name, got in seen.items():
        assert got & ~mode == 0, f"{name}: {oct(got)}"
    assert stat.S_IMODE(db_file.stat().st_mode) == mode
    assert os.umask(umask) == umask  # the process's umask is as it was
