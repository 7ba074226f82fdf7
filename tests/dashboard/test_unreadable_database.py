"""The dashboard on a --db it cannot read as refscope's (no DuckDB file, another program's
DuckDB file): its advice names a new file to ingest into. It listed `refscope ingest` and the
other commands with --db the same file, which every one of them refuses."""

from __future__ import annotations

import re
import shlex
from pathlib import Path
from typing import Any

import duckdb
import pytest

from tests.dashboard.screen import shown


def _text_file(path: Path) -> None:
    path.write_text("not a database\n", encoding="utf-8")


def _other_programs(path: Path) -> None:
    con = duckdb.connect(str(path))
    con.execute("CREATE TABLE orders (id INTEGER)")
    con.close()


@pytest.mark.parametrize("make", [_text_file, _other_programs], ids=["text", "other_program"])
def test_the_advice_names_a_new_file_not_the_one_that_cannot_be_read(
    open_app: Any, tmp_path: Path, make: Any
) -> None:
    bad = tmp_path / "shop.duckdb"
    make(bad)
    (tmp_path / "refscope.duckdb").write_bytes(b"")  # taken: the advice names another
    at = open_app(bad).run()
    assert not at.exception, [e.message for e in at.exception]
    assert str(bad) in shown(at.error[0].value)
    commands = at.code[0].value
    named = set(re.findall(r"--db (\S+)", commands))
    assert len(named) == 1, commands
    (new,) = (Path(shlex.split(p)[0]) for p in named)
    assert new != bad and not new.exists() and new.parent == bad.parent
    assert str(new) in shown(at.info[0].value)
    assert "another --db" in at.info[0].value
