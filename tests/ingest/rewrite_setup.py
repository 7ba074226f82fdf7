"""A database holding one person's words, in events (--keep-text) and in a rejected line, beside
another person's, for the tests of `forget` and `prune --rewrite` writing the file anew."""

from __future__ import annotations

from pathlib import Path

import tests.factories as f
from ingest import pipeline

PSID, OTHER = "5550001112223334", "5550001112229999"
SAID = "zebra-crossing-secret-4711"  # the person's message, stored with --keep-text
REJECTED = "platypus-rejected-words-0815"  # in a line rejected whole (a message without mid)
THEIRS = "the-other-persons-words"


def person_log(folder: Path) -> Path:
    """PSID's message and rejected line, and OTHER's message, on one page."""
    cut = f.message(REJECTED, psid=PSID, ts=f.T0 + f.MINUTE)
    del cut["message"]["mid"]
    return f.write_ndjson(folder / "webhooks.ndjson", [
        f.delivery(f.postback(referral=f.referral_obj("bio_link"), psid=PSID, ts=f.T0)),
        f.delivery(f.message(SAID, psid=PSID, ts=f.T0 + 2 * f.MINUTE)),
        f.delivery(cut),
        f.delivery(f.message(THEIRS, psid=OTHER, ts=f.T0 + 3 * f.MINUTE)),
        f.delivery(f.message("again", psid=OTHER, ts=f.T0 + 4 * f.MINUTE)),
    ])  # fmt: skip


def person_db(folder: Path, *, keep_text: bool = True) -> Path:
    """The database of person_log, its bytes holding PSID and their words."""
    db_file = folder / "refscope.duckdb"
    pipeline.run([str(person_log(folder / "logs"))], db_file, keep_text=keep_text)
    held = db_file.read_bytes()
    assert PSID.encode() in held and REJECTED.encode() in held
    assert (SAID.encode() in held) == keep_text
    return db_file


def leftovers(db_file: Path) -> list[str]:
    """Files beside the database of its name: a write-ahead log, a partial copy."""
    return sorted(p.name for p in db_file.parent.glob(db_file.name + ".*"))
