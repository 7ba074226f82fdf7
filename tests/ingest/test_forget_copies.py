"""What `forget` leaves: files made from the database before it, and a hash of the id that
keeps the person out (README, Privacy)."""

from __future__ import annotations

import hashlib
from pathlib import Path

import duckdb
from click.testing import CliRunner

from dashboard.cli import cli
from tests import factories as f

README = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
PERSON = "4455667788990011"


def test_a_rebuild_made_before_a_forget_holds_the_person_and_the_readme_says_so(
    tmp_path: Path,
) -> None:
    """A `rebuild --out` file made before the forget keeps the person and lacks the row that
    keeps them out, so moving it into place brings them back: the README said only that
    forget removes every row and keeps the person out of later ingests."""
    log = f.write_ndjson(tmp_path / "a.ndjson", [f.delivery(f.message("hi", psid=PERSON))])
    old, new = tmp_path / "old.duckdb", tmp_path / "new.duckdb"
    run = CliRunner()
    assert run.invoke(cli, ["ingest", str(log), "--db", str(old), "--no-progress"]).exit_code == 0
    res = run.invoke(cli, ["rebuild", "--db", str(old), "--out", str(new), "--no-progress"])
    assert res.exit_code == 0, res.output
    assert run.invoke(cli, ["forget", PERSON, "--db", str(old)]).exit_code == 0
    con = duckdb.connect(str(new), read_only=True)
    try:
        held = con.execute("SELECT count(*) FROM events WHERE psid = ?", [PERSON]).fetchall()
        tombstones = con.execute("SELECT count(*) FROM forgotten").fetchall()
    finally:
        con.close()
    assert held == [(1,)] and tombstones == [(0,)]

    privacy = README.split("## Privacy", 1)[1].split("\n## ", 1)[0]
    assert "- **Files made from the database.**" in privacy
    bullet = " ".join(privacy.split("- **Files made from the database.**", 1)[1]
                      .split("\n- ", 1)[0].split())  # fmt: skip
    for said in ("`forget` and `prune` change the database", "dashboard download",
                 "`psid`", "a copy of the database file", "`rebuild --out` file",
                 "moved into place, it brings them back"):  # fmt: skip
        assert said in bullet, said


def test_the_hash_a_forget_keeps_of_a_phone_number_gives_it_back_without_a_salt(
    tmp_path: Path,
) -> None:
    """Without a salt `forgotten` holds sha256 of the id as given: a phone number (forget takes
    a send log's recipient's) is found again by hashing the numbers, which the README's "records
    the sha256 of the stored id" (and the schema's "never the id") left unsaid."""
    log = f.write_ndjson(tmp_path / "a.ndjson", [f.delivery(f.message("hi", psid=PERSON))])
    db_file = tmp_path / "r.duckdb"
    run = CliRunner()
    assert (
        run.invoke(cli, ["ingest", str(log), "--db", str(db_file), "--no-progress"]).exit_code == 0
    )
    phone = "+12125552368"
    assert run.invoke(cli, ["forget", phone, "--db", str(db_file)]).exit_code == 0
    con = duckdb.connect(str(db_file), read_only=True)
    try:
        ((held,),) = con.execute("SELECT id_hash FROM forgotten").fetchall()
    finally:
        con.close()
    # The last four digits of a known area code and exchange: a laptop tries every number.
    found = [n for i in range(10_000)
             if hashlib.sha256((n := f"+1212555{i:04d}").encode()).hexdigest() == held]  # fmt: skip
    assert found == [phone]

    privacy = README.split("## Privacy", 1)[1].split("\n## ", 1)[0]
    bullet = " ".join(privacy.split("- records the sha256 of the stored id", 1)[1].split())
    assert bullet.startswith("in `forgotten` (without a salt, a hash anyone can compute again:")
    assert "a phone number is found in it by hashing every number" in bullet
