"""`refscope rebuild` under REFSCOPE_INGEST_MEMORY: only the ingest of the logs into the new
file held DuckDB to it. Reading the old database, carrying its rows over and writing the new
file anew after a prune ran at DuckDB's default (80% of the machine's memory); every
connection a rebuild opens is held to the ingest's share now, and spills as an ingest does."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import duckdb
import pytest

from ingest import db, rewrite
from ingest import rebuild as rebuild_mod
from ingest.sizes import size_text
from tests.ingest.memory_setup import SHARE, Limits, shown
from tests.ingest.rebuild_setup import every_row, run_rebuild
from tests.ingest.spill_setup import left_by, spill_folder


def test_every_connection_of_a_rebuild_holds_to_the_ingest_memory(
    old: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    limits = Limits()

    registered = db.registered

    @contextmanager
    def registered_spy(con: duckdb.DuckDBPyConnection, *args: Any) -> Iterator[None]:
        limits.note("registered", con)
        with registered(con, *args):
            yield

    # The old database as its inputs are checked, the old and the new one as the rows are
    # carried over, each counted, the new one written anew (a pruned database's), and each that
    # reads an Arrow table (the ingest, the pruned lines' check on the old one).
    monkeypatch.setattr(rebuild_mod, "inputs", limits.spy("inputs", rebuild_mod.inputs, 1))
    monkeypatch.setattr(rebuild_mod, "carry", limits.spy("carry", rebuild_mod.carry, 2))
    monkeypatch.setattr(rebuild_mod, "counts", limits.spy("counts", rebuild_mod.counts, 1))
    monkeypatch.setattr(rewrite, "rewrite", limits.spy("rewrite", rewrite.rewrite, 1))
    monkeypatch.setattr(db, "registered", registered_spy)
    monkeypatch.setenv("REFSCOPE_INGEST_MEMORY", SHARE)
    new = old.with_name("new.duckdb")

    res = run_rebuild("--db", str(old), "--out", str(new))

    assert res.exit_code == 0, res.output
    assert set(limits.seen) == {"inputs", "carry", "counts", "rewrite", "registered"}, limits.seen
    assert all(seen == {shown(SHARE)} for seen in limits.seen.values()), limits.seen
    assert every_row(new) == every_row(old)


def test_a_rebuild_refuses_a_memory_share_below_the_least_before_it_writes(
    old: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("REFSCOPE_INGEST_MEMORY", "64MB")
    new = old.with_name("new.duckdb")
    res = run_rebuild("--db", str(old), "--out", str(new))
    assert res.exit_code == 1, res.output
    assert "REFSCOPE_INGEST_MEMORY='64MB': give at least 128MB" in res.output, res.output
    assert list(old.parent.glob("new.duckdb*")) == []


def test_a_rebuild_removes_what_a_killed_rebuild_spilled_for_its_new_file(old: Path) -> None:
    """A rebuild killed while short of memory leaves NEW.partial (removed by hand, as its
    refusal says) and what it spilled to NEW.partial.tmp: everyone's rows. The next rebuild to
    the same NEW removes them, as an ingest does its database's, and says so."""
    new = old.with_name("new.duckdb")
    work = db.partial(new)
    left = left_by(work, os.getpid())

    res = run_rebuild("--db", str(old), "--out", str(new))

    assert res.exit_code == 0, res.output
    assert [p for p in left if p.exists()] == []
    assert not spill_folder(work).exists()
    assert (
        f"removed 3 temporary files ({size_text(3 * 2800)}) that a killed process had "
        f"spilled to {spill_folder(work)}" in res.output
    ), res.output
