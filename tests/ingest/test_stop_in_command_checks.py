"""A command stopped (Ctrl-C, SIGTERM) once click has read its options and its own code runs,
before that code sets its own handler (its checks, the imports it makes itself): it ends as a
stop while starting does, one line and exit 130 or 143, leaving nothing written; prune and
forget, which write before their rewrite, say what their stop leaves.

It was click's "Aborted!" with exit 1 (Ctrl-C) and an end without a word (SIGTERM). Run from the
real entry point (`refscope`), the signal sent as the named function is first called."""

from __future__ import annotations

import dis
import signal
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from tests.ingest.cli_setup import ENTRIES, _clean_env, _run_refscope, _signalled_at_call
from tests.local_http import free_port

STARTING = "stopped while starting: nothing was written\n"
SIGNALS = pytest.mark.parametrize(
    ("sig", "code"), [(signal.SIGINT, 130), (signal.SIGTERM, 143)], ids=["ctrl-c", "sigterm"]
)
ENV = {"REFSCOPE_APP_SECRET": "secret", "REFSCOPE_VERIFY_TOKEN": "token"}


def _refscope_db(tmp_path: Path) -> Path:
    """A refscope database holding one page (and no event)."""
    db_file = tmp_path / "r.duckdb"
    done = _run_refscope("pages", "set", "123", "--name", "Acme", "--db", str(db_file),
                         cwd=tmp_path)  # fmt: skip
    assert done.returncode == 0, done.stderr
    return db_file


def _stopped(tmp_path: Path, at: str, sig: int, *args: str) -> tuple[int, str, str]:
    done = _signalled_at_call(at, sig, *args, cwd=tmp_path, env=ENV, entry=ENTRIES["refscope"])
    return done.returncode, done.stdout, done.stderr


CHECKS = {  # command: (where the signal lands, its arguments; {db}: a database not there yet)
    "ingest": ("ingest/cli.py:ingest", ["ingest", "log.ndjson", "--db", "{db}"]),
    "ingest's imports": ("ingest/pipeline.py:<module>", ["ingest", "log.ndjson", "--db", "{db}"]),
    "report": ("dashboard/cli.py:_check_out", ["report", "--out", "r.html", "--db", "{db}"]),
    "pull logs": ("ingest/pull_headers.py:given_headers",
                  ["pull", "logs", "http://127.0.0.1:9/log.ndjson", "--db", "{db}"]),
    "pull ads": ("ingest/cli_pull.py:pull_ads", ["pull", "ads", "--account", "act_1", "--db",
                                                  "{db}"]),
    "demo-data": ("ingest/cli.py:demo_data", ["demo-data", "--out", "demo"]),
    "serve": ("ingest/receiver.py:create_app",
              ["serve", "--port", "{port}", "--log-dir", "logs", "--db", "{db}"]),
}  # fmt: skip


@SIGNALS
@pytest.mark.parametrize("command", sorted(CHECKS))
def test_a_command_stopped_in_its_checks_says_it_was_starting(
    tmp_path: Path, command: str, sig: int, code: int
) -> None:
    (tmp_path / "log.ndjson").write_text("", encoding="utf-8")
    at, args = CHECKS[command]
    db_file = tmp_path / "new.duckdb"
    done = _stopped(tmp_path, at, sig, *(a.format(db=db_file, port=free_port()) for a in args))
    assert done == (code, "", STARTING)
    assert not db_file.exists() and not (tmp_path / "demo").exists()
    assert not any((tmp_path / "logs").glob("*"))  # serve made its folder: no log in it


@SIGNALS
def test_rebuild_stopped_as_it_checks_its_inputs_says_it_was_starting(
    tmp_path: Path, sig: int, code: int
) -> None:
    db_file = _refscope_db(tmp_path)
    out = tmp_path / "new.duckdb"
    done = _stopped(tmp_path, "ingest/rebuild_inputs.py:inputs", sig, "rebuild", "--out",
                    str(out), "--db", str(db_file))  # fmt: skip
    assert done == (code, "", STARTING)
    assert not out.exists()


@SIGNALS
def test_ingest_follow_stopped_in_its_checks_leaves_no_database_it_made(
    tmp_path: Path, sig: int, code: int
) -> None:
    """Its check opens the database, which makes a new one: it was left, empty."""
    (tmp_path / "log.ndjson").write_text("", encoding="utf-8")
    db_file = tmp_path / "new.duckdb"
    done = _stopped(tmp_path, "ingest/db.py:_ready", sig, "ingest", "log.ndjson",
                    "--follow", "--db", str(db_file))  # fmt: skip
    assert done == (code, "", "stopped before reading anything: nothing was written\n")
    assert not db_file.exists()


def _pages(db_file: Path) -> list[tuple[str, str]]:
    con = duckdb.connect(str(db_file), read_only=True)
    try:
        return con.execute("SELECT page_id, name FROM pages").fetchall()
    finally:
        con.close()


@SIGNALS
@pytest.mark.parametrize(
    ("command", "at", "said"),
    [
        (["prune", "--older-than", "90d"], "ingest/cli_retention.py:_refscope_database",
         "stopped before pruning: nothing was written"),
        (["prune", "--older-than", "90d"], "ingest/cli_retention.py:_sync_lake",
         "stopped: the prune is committed"),
        (["forget", "42", "--no-rewrite"], "ingest/cli_retention.py:_refscope_database",
         "stopped before forgetting: nothing was written"),
    ],
    ids=["prune-checks", "prune-committed", "forget-checks"],
)  # fmt: skip
def test_prune_and_forget_stopped_before_their_rewrite_say_what_they_leave(
    tmp_path: Path, command: list[str], at: str, said: str, sig: int, code: int
) -> None:
    db_file = _refscope_db(tmp_path)
    done = _stopped(tmp_path, at, sig, *command, "--db", str(db_file))
    assert (done[0], done[2]) == (code, said + "\n")
    assert _pages(db_file) == [("123", "Acme")]


@SIGNALS
def test_forget_stopped_once_it_made_the_database_leaves_none(
    tmp_path: Path, sig: int, code: int
) -> None:
    """forget makes a database that is not there, to keep the forget: stopped before its
    commit, the file is removed, as a refused command makes none."""
    db_file = tmp_path / "new.duckdb"
    done = _stopped(tmp_path, "ingest/db.py:_ready", sig, "forget",
                    "42", "--db", str(db_file))  # fmt: skip
    assert done == (code, "", "stopped before forgetting: nothing was written\n")
    assert not db_file.exists()


@SIGNALS
def test_forget_stopped_once_committed_says_the_person_is_forgotten(
    tmp_path: Path, sig: int, code: int
) -> None:
    db_file = _refscope_db(tmp_path)
    done = _stopped(tmp_path, "ingest/cli_retention.py:_remove_killed_pulls", sig, "forget",
                    "42", "--db", str(db_file))  # fmt: skip
    assert done[0] == code
    assert done[2].splitlines()[-1] == (  # after its notice that no row held that id
        f"stopped: 42 is forgotten, but {db_file} was not rewritten: the removed rows are gone "
        f"from every query, but their bytes may remain in {db_file} until a rewrite (`refscope "
        "forget` again with the same id and options)"
    )


# Sent as DuckDB's COMMIT in retention's prune or forget has returned, where Python takes a
# signal that came meanwhile (a call's end): traced by opcode, the handler runs just there.
AT_COMMIT = """
import linecache, os, sys
armed = []
def at_commit(frame, event, arg):
    code = frame.f_code
    if event == "opcode" and code.co_code[frame.f_lasti] == {pop_top} and (
            '"COMMIT"' in linecache.getline(code.co_filename, frame.f_lineno)):
        sys.settrace(None)
        os.kill(os.getpid(), {sig})
    return at_commit
def armed_at(frame, event, arg):
    code = frame.f_code
    if event == "call" and code.co_filename.endswith("ingest/retention.py") and (
            code.co_name in ("prune", "forget")):
        armed.append(code.co_name)
    elif armed and code.co_name == "transaction" and code.co_filename.endswith("ingest/db.py"):
        frame.f_trace_opcodes = True
        return at_commit
sys.settrace(armed_at)
{entry}
"""


@SIGNALS
@pytest.mark.parametrize(
    ("command", "said", "kept"),
    [(["prune", "--older-than", "90d"], "stopped: the prune is committed", "prunes"),
     (["forget", "42", "--no-rewrite"], "stopped: 42 is forgotten, but {db} was not rewritten: ",
      "forgotten")],
    ids=["prune", "forget"],
)  # fmt: skip
def test_prune_and_forget_stopped_as_they_commit_say_it_is_committed(
    tmp_path: Path, command: list[str], said: str, kept: str, sig: int, code: int
) -> None:
    """A stop after their COMMIT but before retention.prune or retention.forget returned said
    "nothing was written", where the prune or the forget was kept."""
    db_file = _refscope_db(tmp_path)
    tracer = AT_COMMIT.format(sig=sig, pop_top=dis.opmap["POP_TOP"], entry=ENTRIES["refscope"])
    done = subprocess.run(
        [sys.executable, "-c", tracer, *command, "--db", str(db_file)],
        cwd=tmp_path, env=_clean_env(ENV), capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert done.returncode == code, done.stderr
    assert done.stderr.startswith(said.format(db=db_file)), done.stderr
    con = duckdb.connect(str(db_file), read_only=True)
    try:
        assert con.execute(f"SELECT count(*) FROM {kept}").fetchone() == (1,)
    finally:
        con.close()
