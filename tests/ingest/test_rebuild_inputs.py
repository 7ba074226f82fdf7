"""`refscope rebuild`: which files it reads for each input the old database read, and the
inputs it refuses to go without (gone, rotated, cut short, pulled over HTTP)."""

from __future__ import annotations

import gzip
import shutil
from pathlib import Path

import pytest

import tests.factories as f
from ingest import db, pipeline, sources
from ingest import rebuild as rebuild_mod
from tests.conftest import Query
from tests.factories import DAY, T0
from tests.ingest.logs import mixed_log
from tests.ingest.rebuild_setup import every_row, run_rebuild


@pytest.mark.parametrize("change", ["deleted", "rewritten", "pulled"])
def test_an_input_not_read_again_refuses_the_rebuild_unless_allowed(
    old: Path, tmp_path: Path, change: str
) -> None:
    b = tmp_path / "logs" / "b.ndjson"
    if change == "deleted":
        b.unlink()
        said = f"read before and not found now: {b}"
    elif change == "rewritten":
        f.write_ndjson(b, [f.delivery(f.message("new", psid="u7", ts=T0 + 3 * DAY))])
        said = f"changed since they were read (rotated or rewritten: the lines read then are no longer in them): {b}"  # noqa: E501
    else:
        con = db.connect(old)
        try:
            con.execute("INSERT INTO ingest_files VALUES ('https://logs.example/x.ndjson', 1, 1, "
                        "'h', 1, 1, 1)")  # fmt: skip
        finally:
            con.close()
        said = "pulled over HTTP, not files (pull them again into the new file after the rebuild): https://logs.example/x.ndjson"  # noqa: E501
    new = old.with_name("new.duckdb")
    res = run_rebuild("--db", str(old), "--out", str(new))
    assert res.exit_code == 1
    assert said in " ".join(res.output.split())
    assert "--allow-missing" in res.output
    assert not new.exists()
    res = run_rebuild("--db", str(old), "--out", str(new), "--allow-missing")
    assert res.exit_code == 0, res.output
    assert said in " ".join(res.output.split())
    held = Query(new)("SELECT DISTINCT psid FROM events WHERE psid IN ('u5', 'u7') ORDER BY 1")
    assert held == {"deleted": [], "rewritten": [("u7",)], "pulled": [("u5",)]}[change]
    count = "SELECT count(*) FROM events"
    assert f"events {Query(old).scalar(count)} → {Query(new).scalar(count)}," in res.output
    if change == "deleted":
        assert Query(new).scalar(count) < Query(old).scalar(count)


def test_an_input_left_out_of_the_paths_given_is_not_called_gone(old: Path, tmp_path: Path) -> None:
    a, b = tmp_path / "logs" / "a.ndjson", tmp_path / "logs" / "b.ndjson"
    res = run_rebuild("--db", str(old), "--out", str(old.with_name("new.duckdb")), str(a))
    assert res.exit_code == 1
    assert f"read before and not among the PATHs given: {b}" in " ".join(res.output.split())
    assert b.exists()


def test_an_error_names_ten_inputs_and_counts_the_rest() -> None:
    ten = [f"/logs/{i:02}.ndjson" for i in range(10)]
    said = rebuild_mod.Inputs([], missing=ten).problem()
    assert said == f"read before and not found now: {', '.join(ten)}"
    twelve = rebuild_mod.Inputs([], missing=[*ten, "/logs/10.ndjson", "/logs/11.ndjson"])
    assert twelve.problem() == f"read before and not found now: {', '.join(ten)} and 2 more"


def test_a_rebuild_with_every_input_gone_reads_nothing_and_writes_nothing(
    old: Path, tmp_path: Path
) -> None:
    # --allow-missing leaves the gone inputs out, but a file of carried rows alone is no rebuild.
    shutil.rmtree(tmp_path / "logs")
    new = old.with_name("new.duckdb")
    res = run_rebuild("--db", str(old), "--out", str(new), "--allow-missing")
    assert res.exit_code == 1
    assert f"nothing to read: {old} read no file that is still there" in " ".join(
        res.output.split())  # fmt: skip
    assert list(tmp_path.glob("new.duckdb*")) == []


@pytest.mark.parametrize("where", ["rotated", "moved"])
def test_an_input_renamed_since_is_found_in_the_paths_given(
    old: Path, tmp_path: Path, where: str
) -> None:
    logs = tmp_path / "logs"
    b = logs / "b.ndjson"
    if where == "rotated":  # logrotate: b.ndjson.1 holds what was read, b.ndjson starts anew
        b.rename(logs / "b.ndjson.1")
        f.write_ndjson(b, [f.delivery(f.message("new", psid="u7", ts=T0 + 3 * DAY))])
        paths = [str(logs / "a.ndjson"), str(logs / "b.ndjson.1"), str(b)]
    else:
        (tmp_path / "archive").mkdir()
        b.rename(tmp_path / "archive" / "b-2023.ndjson")
        paths = [str(logs), str(tmp_path / "archive")]
    new = old.with_name("new.duckdb")
    res = run_rebuild("--db", str(old), "--out", str(new), *paths)
    assert res.exit_code == 0, res.output
    assert "--allow-missing" not in res.output
    assert set(every_row(old)["contacts"]) <= set(every_row(new)["contacts"])
    held = Query(new)("SELECT DISTINCT psid FROM events WHERE psid IN ('u5', 'u6') ORDER BY 1")
    assert held == [("u5",), ("u6",)]


def test_a_log_gzipped_since_it_was_read_is_read_as_gz(old: Path, tmp_path: Path) -> None:
    a = tmp_path / "logs" / "a.ndjson"
    with open(a, "rb") as src, gzip.open(a.with_name("a.ndjson.gz"), "wb") as dst:
        shutil.copyfileobj(src, dst)
    a.unlink()
    new = old.with_name("new.duckdb")
    res = run_rebuild("--db", str(old), "--out", str(new))
    assert res.exit_code == 0, res.output
    assert Query(new)("SELECT DISTINCT file FROM events ORDER BY 1") == [
        (str(a) + ".gz",), (str(tmp_path / "logs" / "b.ndjson"),)]  # fmt: skip
    assert every_row(new)["contacts"] == every_row(old)["contacts"]


def test_a_log_kept_beside_its_gz_is_read_under_its_own_name(old: Path, tmp_path: Path) -> None:
    # `gzip -k`: both are there, and both hold what was read; the log is read as it was.
    a = tmp_path / "logs" / "a.ndjson"
    a.with_name("a.ndjson.gz").write_bytes(gzip.compress(a.read_bytes()))
    new = old.with_name("new.duckdb")
    res = run_rebuild("--db", str(old), "--out", str(new))
    assert res.exit_code == 0, res.output
    assert every_row(new) == every_row(old)


def test_a_gz_is_taken_for_a_log_only_when_it_holds_what_was_read(
    old: Path, tmp_path: Path
) -> None:
    a = tmp_path / "logs" / "a.ndjson"
    lines = a.read_bytes().splitlines(keepends=True)
    # Gzipped since, but only its first lines (a gzip still running, a copy cut short).
    a.with_name("a.ndjson.gz").write_bytes(gzip.compress(b"".join(lines[:2])))
    a.unlink()
    new = old.with_name("new.duckdb")
    res = run_rebuild("--db", str(old), "--out", str(new))
    assert res.exit_code == 1, res.output
    assert f"no longer in them): {a} (now a.ndjson.gz)" in " ".join(res.output.split())
    assert not new.exists()
    # Rotated and compressed by logrotate under another name, and given as PATH: it holds them.
    a.with_name("a.ndjson.gz").unlink()
    rotated = a.with_name("a.ndjson.1.gz")
    rotated.write_bytes(gzip.compress(b"".join(lines)))
    res = run_rebuild("--db", str(old), "--out", str(new), str(rotated), str(tmp_path / "logs"))
    assert res.exit_code == 0, res.output
    assert every_row(new)["contacts"] == every_row(old)["contacts"]


def test_a_gz_that_ends_before_what_was_read_is_not_taken_for_the_log(tmp_path: Path) -> None:
    # Past the fingerprint's first bytes: only its last bytes read tell the gz cut short.
    log = tmp_path / "webhooks.ndjson"
    lines = [line + "\n" for line in f.big_log_lines(400)]
    log.write_text("".join(lines))
    old = tmp_path / "old.duckdb"
    pipeline.run([str(log)], old)
    cut = "".join(lines[: len(lines) * 3 // 4]).encode()
    assert len(cut) > 2 * sources.HEAD_BYTES
    log.with_name("webhooks.ndjson.gz").write_bytes(gzip.compress(cut))
    log.unlink()
    new = tmp_path / "new.duckdb"
    res = run_rebuild("--db", str(old), "--out", str(new))
    assert res.exit_code == 1, res.output
    assert f"no longer in them): {log} (now webhooks.ndjson.gz)" in " ".join(res.output.split())
    assert not new.exists()


def _read_as_gz(tmp_path: Path) -> tuple[Path, Path]:
    """A log read as a .gz (logs/a.ndjson.gz), and the database that read it."""
    gz = tmp_path / "logs" / "a.ndjson.gz"
    gz.parent.mkdir()
    gz.write_bytes(gzip.compress(b"".join(f.line(e).encode() + b"\n" for e in mixed_log())))
    old = tmp_path / "old.duckdb"
    pipeline.run([str(gz)], old)
    return gz, old


def test_a_gz_renamed_to_a_name_read_as_plain_does_not_stand_for_it(tmp_path: Path) -> None:
    # Its bytes are what was read, but compressed: read as plain lines they would be garbage.
    gz, old = _read_as_gz(tmp_path)
    rotated = gz.rename(gz.with_name("a.ndjson.gz.1"))
    new = tmp_path / "new.duckdb"
    res = run_rebuild("--db", str(old), "--out", str(new), str(rotated))
    assert res.exit_code == 1, res.output
    assert f"read before and not among the PATHs given: {gz}" in " ".join(res.output.split())
    assert not new.exists()


def test_a_gz_read_as_gz_and_moved_since_is_found_in_the_paths_given(tmp_path: Path) -> None:
    # Its size on disk, not the lines it decompressed to, is what a file holding it must reach.
    gz, old = _read_as_gz(tmp_path)
    (tmp_path / "archive").mkdir()
    moved = gz.rename(tmp_path / "archive" / "a-2023.ndjson.gz")
    new = tmp_path / "new.duckdb"
    res = run_rebuild("--db", str(old), "--out", str(new), str(moved))
    assert res.exit_code == 0, res.output
    assert every_row(new)["contacts"] == every_row(old)["contacts"]
