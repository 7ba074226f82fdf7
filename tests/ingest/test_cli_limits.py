"""A full disk and too little memory: one error line, saying what is safe and what to do."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

import tests.factories as f
from ingest import pipeline
from tests.conftest import Query
from tests.factories import T0
from tests.ingest.cli_setup import _clean_env, _log, _run_refscope


def _on_a_small_disk(limit: int, cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """`refscope ARGS` run where no file may grow past limit bytes (a full disk, as a file size
    limit stands in for one)."""
    import resource

    def small_disk() -> None:
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))

    return _run_refscope(*args, cwd=cwd, preexec_fn=small_disk, timeout=120)


def test_a_disk_that_fills_up_at_the_commit_is_one_error_line(tmp_path: Path) -> None:
    """A commit is where a full disk shows (DuckDB writes its log then): a file size limit
    stands in for one. It was DuckDB's traceback, and claimed a run that never started."""
    logs = tmp_path / "logs"
    logs.mkdir()
    lines = [f.delivery(f.message("hi " * 50, psid=f"u{i}", ts=T0 + i)) for i in range(6000)]
    f.write_ndjson(logs / "webhooks.ndjson", lines)  # about 3 MB
    proc = _on_a_small_disk(1 << 20, tmp_path, "ingest", str(logs),
                            "--db", str(tmp_path / "db.duckdb"))  # fmt: skip
    assert proc.returncode == 1, (proc.stdout, proc.stderr)
    assert "Traceback" not in proc.stderr, proc.stderr
    errors = proc.stderr.strip().splitlines()
    assert len(errors) == 1 and errors[0].startswith("Error: cannot commit: "), errors
    assert "File too large" in errors[0] and "stays open" not in errors[0], errors


def test_a_prune_the_disk_cannot_commit_is_one_error_line_and_removes_nothing(
    tmp_path: Path,
) -> None:
    """prune's commit on a full disk was DuckDB's traceback of a failed ROLLBACK, hiding why."""
    db_file = tmp_path / "db.duckdb"
    old = [f.delivery(f.message("hi", psid=f"a{i}", ts=T0 + i)) for i in range(50)]
    pipeline.run([str(f.write_ndjson(tmp_path / "a.ndjson", old))], db_file)
    proc = _on_a_small_disk(1, tmp_path, "prune", "--older-than", "1d", "--db", str(db_file))
    assert proc.returncode == 1, (proc.stdout, proc.stderr)
    errors = proc.stderr.strip().splitlines()
    assert len(errors) == 1 and errors[0].startswith("Error: cannot commit: "), errors
    assert "File too large" in errors[0], errors
    assert Query(db_file).scalar("SELECT count(*) FROM events") == 50


def test_a_disk_that_fills_up_at_the_checkpoint_says_the_run_is_safe(tmp_path: Path) -> None:
    """The run is committed to DuckDB's log; folding it into the file needs room the file size
    limit (a full disk) denies. That was DuckDB's FATAL traceback, as if the run were lost."""
    db_file = tmp_path / "db.duckdb"
    first = [f.delivery(f.message("hi", psid=f"a{i}", ts=T0 + i)) for i in range(200)]
    pipeline.run([str(f.write_ndjson(tmp_path / "a.ndjson", first))], db_file)
    second = [f.delivery(f.message("hi", psid=f"b{i}", ts=T0 + i)) for i in range(200)]
    log = f.write_ndjson(tmp_path / "b.ndjson", second)
    # The log fits; the file may not grow.
    proc = _on_a_small_disk(db_file.stat().st_size, tmp_path, "ingest", str(log),
                            "--db", str(db_file))  # fmt: skip
    assert proc.returncode == 1, (proc.stdout, proc.stderr)
    errors = proc.stderr.strip().splitlines()
    assert len(errors) == 1, errors
    assert errors[0].startswith("Error: run 2 is committed, but writing it into the database "
                                "file failed: "), errors  # fmt: skip
    assert pipeline.run([str(log)], db_file).files_read == 0  # nothing to read again
    assert Query(db_file).scalar("SELECT count(*) FROM events") == 400


@pytest.mark.parametrize(
    ("batch", "said"),
    [
        ("99999999999999999999G", "REFSCOPE_INGEST_BATCH='99999999999999999999G': give a size of "
                                  "at most 1024G"),
        ("16G", "no memory for a chunk of 16,384 MiB: lower REFSCOPE_INGEST_BATCH"),
    ],
    ids=["beyond-any-read", "beyond-memory"],
)  # fmt: skip
def test_a_batch_size_too_large_to_read_is_one_error_line(
    tmp_path: Path, batch: str, said: str
) -> None:
    """A read takes room for a whole batch: a size past memory (4 GB of address space here)
    was a MemoryError traceback, one past any read an OverflowError, even for a tiny log."""
    import resource

    log = _log(tmp_path)
    limit = 4 << 30

    def small_memory() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))

    proc = _run_refscope("ingest", str(log), "--db", str(tmp_path / "db.duckdb"), cwd=tmp_path,
                         env={"REFSCOPE_INGEST_BATCH": batch}, preexec_fn=small_memory,
                         timeout=120)  # fmt: skip
    assert proc.returncode == 1, (proc.stdout, proc.stderr)
    errors = proc.stderr.strip().splitlines()
    assert len(errors) == 1 and errors[0].startswith("Error: ") and said in errors[0], errors


def test_attribution_out_of_memory_names_the_setting_and_the_run_resumes(tmp_path: Path) -> None:
    """New contacts attributed at a memory share of 64MB (then the least accepted): the batches
    fit, the attribution did not, and that was DuckDB's traceback. It now says which setting to
    raise, and the next ingest, given more, finishes the run. 1.6M contacts: a run that
    overflows on two threads is tried again on one, which overflows past about 1.1M. (128MB,
    the least accepted now, attributes 1.6M: the share is let below it, so that the log stays
    this small.)"""
    template = f.line(f.delivery(f.message("hi", psid="PSID", mid="MID", ts=T0)))
    log = tmp_path / "webhooks.ndjson"
    with log.open("w") as fh:
        for i in range(1_600_000):
            fh.write(template.replace("PSID", f"u{i}").replace("MID", f"m{i}") + "\n")
    db_file = tmp_path / "db.duckdb"
    below_least = "from ingest import memory_share; memory_share.MIN_MEMORY = 64 << 20; "
    proc = subprocess.run(
        [sys.executable, "-c", below_least + "from dashboard.cli import main; main()",
         "ingest", str(log), "--db", str(db_file)],
        cwd=tmp_path, env=_clean_env({"REFSCOPE_INGEST_MEMORY": "64MB"}), capture_output=True,
        text=True, timeout=300,
    )  # fmt: skip
    assert proc.returncode == 1, (proc.stdout, proc.stderr)
    errors = proc.stderr.strip().splitlines()
    assert len(errors) == 1, errors
    assert errors[0].startswith("Error: attributing run 1 failed: Out of Memory Error"), errors
    assert "needs more than REFSCOPE_INGEST_MEMORY=64MB; raise it" in errors[0]
    assert "run 1 stays open" in errors[0]
    result = pipeline.run([str(log)], db_file)
    assert (result.run_id, result.resumed, result.new_contacts) == (1, True, 1_600_000)


def test_a_rebuild_whose_new_file_the_disk_refuses_leaves_no_partial_file(tmp_path: Path) -> None:
    """A new file the disk could not hold a byte of left its empty `NEW.partial` behind, which
    the next rebuild refused as left by one that did not finish; a rebuild that fails removes
    its new file (README)."""
    db_file = tmp_path / "db.duckdb"
    log = f.write_ndjson(tmp_path / "a.ndjson", [f.delivery(f.message("hi", ts=T0))])
    pipeline.run([str(log)], db_file)
    out = tmp_path / "new" / "rebuilt.duckdb"
    proc = _on_a_small_disk(1, tmp_path, "rebuild", "--out", str(out), "--db", str(db_file))
    assert proc.returncode == 1, (proc.stdout, proc.stderr)
    errors = proc.stderr.strip().splitlines()
    assert len(errors) == 1 and "File too large" in errors[0], errors
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.ndjson", "db.duckdb"]
    proc = _run_refscope("rebuild", "--out", str(out), "--db", str(db_file), cwd=tmp_path,
                         timeout=120)  # fmt: skip
    assert proc.returncode == 0, (proc.stdout, proc.stderr)
    assert Query(out).scalar("SELECT count(*) FROM events") == 1


def test_a_forget_the_disk_cannot_commit_is_one_error_line_and_removes_nothing(
    tmp_path: Path,
) -> None:
    """forget's commit on a full disk (or a folder where its log may not be made) was DuckDB's
    traceback of a failed ROLLBACK (`cannot rollback - no transaction is active`), hiding
    why, as prune's was."""
    db_file = tmp_path / "db.duckdb"
    old = [f.delivery(f.message("hi", psid="u1", ts=T0 + i, mid=f"m{i}")) for i in range(50)]
    pipeline.run([str(f.write_ndjson(tmp_path / "a.ndjson", old))], db_file)
    proc = _on_a_small_disk(1, tmp_path, "forget", "u1", "--db", str(db_file))
    assert proc.returncode == 1, (proc.stdout, proc.stderr)
    errors = proc.stderr.strip().splitlines()
    assert len(errors) == 1 and errors[0].startswith("Error: cannot commit: "), errors
    assert "File too large" in errors[0], errors
    assert Query(db_file).scalar("SELECT count(*) FROM events") == 50


def test_a_link_the_disk_cannot_register_is_one_error_line_and_registers_nothing(
    tmp_path: Path,
) -> None:
    """links create's commit on a full disk was DuckDB's traceback of a failed ROLLBACK
    (`cannot rollback - no transaction is active`), hiding why."""
    db_file = tmp_path / "db.duckdb"
    pipeline.run([str(f.write_ndjson(tmp_path / "a.ndjson", [f.delivery(f.message("hi"))]))],
                 db_file)  # fmt: skip
    proc = _on_a_small_disk(1, tmp_path, "links", "create", "--page", "acmebakery", "--ref",
                            "flyer", "--db", str(db_file))  # fmt: skip
    assert proc.returncode == 1, (proc.stdout, proc.stderr)
    errors = proc.stderr.strip().splitlines()
    assert len(errors) == 1 and errors[0].startswith("Error: cannot commit: "), errors
    assert "File too large" in errors[0], errors
    assert Query(db_file).scalar("SELECT count(*) FROM tracked_links") == 0


@pytest.mark.parametrize(
    "command",
    [["ingest", "{tmp}/a.ndjson"], ["pages", "set", "1122334455", "--name", "Acme"],
     ["links", "create", "--page", "acmebakery", "--ref", "flyer"]],
    ids=["ingest", "pages set", "links create"],
)  # fmt: skip
def test_a_new_database_the_disk_refuses_is_not_left_empty(
    tmp_path: Path, command: list[str]
) -> None:
    """A new database file the disk could not hold a byte of stayed, empty, and every command
    after refused it (`... exists, but it is not a valid DuckDB database file!`) once the disk
    had room again: the file is not left, and the next run makes it."""
    f.write_ndjson(tmp_path / "a.ndjson", [f.delivery(f.message("hi", ts=T0))])
    db_file = tmp_path / "new" / "db.duckdb"
    args = [*(a.format(tmp=tmp_path) for a in command), "--db", str(db_file)]
    proc = _on_a_small_disk(1, tmp_path, *args)
    assert proc.returncode == 1, (proc.stdout, proc.stderr)
    errors = proc.stderr.strip().splitlines()
    assert len(errors) == 1 and "File too large" in errors[0], errors
    assert not db_file.exists() and not (tmp_path / "new" / "db.duckdb.wal").exists()
    proc = _run_refscope(*args, cwd=tmp_path, timeout=120)
    assert proc.returncode == 0, (proc.stdout, proc.stderr)
    assert Query(db_file).scalar("SELECT count(*) FROM events") == (command[0] == "ingest")
