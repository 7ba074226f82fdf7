"""REFSCOPE_ID_SALT set from bytes that are not UTF-8 (as an env file or a service manager may
set it): ingest, forget and rebuild key the HMAC with those bytes, in processes of their own, and
never print the salt."""

from __future__ import annotations

import hashlib
import hmac
import os
import subprocess
import sys
from pathlib import Path

import tests.factories as f
from tests.conftest import Query
from tests.ingest.cli_setup import ROOT

# Not UTF-8 (os.environ holds it as lone surrogates), and random: found in no output by chance.
SALT = b"\xff\xfe" + os.urandom(8).hex().encode()
PSIDS = ("6512345678900001", "6512345678900002")


def refscope(*args: str | Path, salt: bytes = SALT) -> subprocess.CompletedProcess[bytes]:
    """refscope in a process of its own whose environment holds the salt's bytes as they are."""
    env = {os.fsencode(k): os.fsencode(v) for k, v in os.environ.items()
           if not k.startswith("REFSCOPE_")}  # fmt: skip
    env[b"PYTHONPATH"] = os.fsencode(ROOT)
    env[b"REFSCOPE_ID_SALT"] = salt
    return subprocess.run(
        [sys.executable, "-c", "from dashboard.cli import main; main()", *map(str, args)],
        env=env, capture_output=True, timeout=300,
    )  # fmt: skip


def ok(run: subprocess.CompletedProcess[bytes]) -> subprocess.CompletedProcess[bytes]:
    """run, once it is known to have succeeded without a word of the salt."""
    said = run.stdout + run.stderr
    assert run.returncode == 0, said.decode("utf-8", "replace")
    assert b"Traceback" not in said
    for form in (SALT, SALT[2:], SALT.decode("latin-1").encode(), repr(SALT).encode()):
        assert form not in said
    return run


def stored(psid: str) -> str:
    """README "Privacy": HMAC-SHA256(salt, id), the salt's bytes as the key."""
    return hmac.new(SALT, psid.encode(), hashlib.sha256).hexdigest()


def logs(folder: Path) -> Path:
    return f.write_ndjson(folder / "webhooks.ndjson", [
        f.delivery(f.postback(referral=f.referral_obj("bio_link"), psid=PSIDS[0], ts=f.T0)),
        f.delivery(f.message("hello", psid=PSIDS[1], ts=f.T0 + f.MINUTE)),
    ])  # fmt: skip


def test_ingest_forget_and_rebuild_hash_ids_with_the_salts_bytes(tmp_path: Path) -> None:
    log = logs(tmp_path / "logs")
    first, second = tmp_path / "first.duckdb", tmp_path / "second.duckdb"
    ok(refscope("ingest", log, "--db", first, "--no-progress"))
    ok(refscope("ingest", log, "--db", second, "--no-progress"))
    ids = "SELECT DISTINCT psid FROM events ORDER BY psid"
    # The same salt, the same stored ids, run after run: and they are the salt's HMAC.
    assert Query(first)(ids) == Query(second)(ids) == sorted((stored(p),) for p in PSIDS)
    # Read again under the same salt: the database's way of storing ids, nothing new.
    ok(refscope("ingest", log, "--db", first, "--no-progress"))
    assert Query(first).scalar("SELECT count(*) FROM events") == 2

    rebuilt = tmp_path / "rebuilt.duckdb"
    ok(refscope("rebuild", "--db", first, "--out", rebuilt, "--no-progress"))
    assert Query(rebuilt)(ids) == Query(first)(ids)

    ok(refscope("forget", PSIDS[0], "--db", first))
    assert Query(first)(ids) == [(stored(PSIDS[1]),)]
    ok(refscope("ingest", log, "--db", first, "--no-progress"))
    assert Query(first)(ids) == [(stored(PSIDS[1]),)]  # forgotten stays forgotten


def test_another_salt_is_still_refused_without_showing_either(tmp_path: Path) -> None:
    """The salt is told from another by its bytes: b'\\xff\\xfe...' and b'\\xfe\\xff...' are two."""
    db_file = tmp_path / "refscope.duckdb"
    log = logs(tmp_path / "logs")
    ok(refscope("ingest", log, "--db", db_file, "--no-progress"))
    other = b"\xfe\xff" + SALT[2:]
    run = refscope("ingest", log, "--db", db_file, "--no-progress", salt=other)
    said = run.stdout + run.stderr
    assert run.returncode == 1 and b"another REFSCOPE_ID_SALT" in said, said
    assert b"Traceback" not in said and SALT[2:] not in said
