"""Paths the user typed, and values from the data, in what prune, forget, links, pages and the
lock-wait notice print: a control character (an ESC starts a terminal's commands) is shown as
\\xNN, never sent as it is (the commands printed them with click.echo as given)."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

from dashboard.cli import cli
from ingest import db
from tests.conftest import Query
from tests.ingest.cli_setup import _held, _on_a_terminal, _refscope

CLEAR = "\x1bc\x1b]0;owned\x07"  # reset the terminal, then set its title
SHOWN = "\\x1bc\\x1b]0;owned\\x07"


def _raw(text: str) -> bool:
    """Whether text holds a control character other than a line break."""
    return any(ord(c) < 32 and c != "\n" or 0x7F <= ord(c) <= 0x9F for c in text)


def _run(runner: CliRunner, *args: str) -> str:
    res = runner.invoke(cli, list(args))
    assert res.exit_code == 0, res.output
    assert not _raw(res.output), repr(res.output)
    return res.output


def test_prune_shows_its_database_and_lake_paths_escaped(runner: CliRunner, tmp_path: Path):
    folder = tmp_path / f"data{CLEAR}"
    folder.mkdir()
    db_file = folder / "refscope.duckdb"
    db.connect(db_file).close()
    out = _run(runner, "prune", "--older-than", "90d", "--rewrite", "--lake",
               str(folder / "lake"), "--db", str(db_file))  # fmt: skip
    assert f"(no lake at {tmp_path}/data{SHOWN}/lake yet" in out, out
    assert f"rewrote {tmp_path}/data{SHOWN}/refscope.duckdb (" in out, out


def test_forget_shows_its_database_path_and_the_id_escaped(runner: CliRunner, tmp_path: Path):
    db_file = tmp_path / f"new{CLEAR}.duckdb"  # not there yet: forget says it created it
    out = _run(runner, "forget", "123", "--no-rewrite", "--db", str(db_file))
    assert f"{tmp_path}/new{SHOWN}.duckdb did not exist: it was created" in out, out
    assert f"may remain in {tmp_path}/new{SHOWN}.duckdb until a rewrite" in out, out
    out = _run(runner, "forget", "123", "--db", str(db_file))  # the same id again, rewritten
    assert f"rewrote {tmp_path}/new{SHOWN}.duckdb (" in out, out
    assert "123 was already forgotten on every page" in out, out


def test_links_show_the_folders_and_files_they_write_escaped(runner: CliRunner, tmp_path: Path):
    db_file = tmp_path / "refscope.duckdb"
    out_dir = tmp_path / f"codes{CLEAR}"
    out = _run(runner, "links", "create", "--page", "acmebakery", "--ref", "door", "--channel",
               "qr", "--out", str(out_dir), "--db", str(db_file))  # fmt: skip
    assert f"wrote {out_dir.parent}/codes{SHOWN}/door.png" in out, out
    out = _run(runner, "links", "qr", "door", "--out", str(out_dir), "--db", str(db_file))
    assert f"replaced {out_dir.parent}/codes{SHOWN}/door.png" in out, out
    plain = tmp_path / f"plain{CLEAR}.csv"
    plain.write_text("page,ref,channel\nacmebakery,menu,link\n", encoding="utf-8")
    out = _run(runner, "links", "import", str(plain), "--out", str(out_dir), "--db", str(db_file))
    assert f"{tmp_path}/plain{SHOWN}.csv has no qr rows, so nothing was written to " \
           f"{tmp_path}/codes{SHOWN} (" in out, out  # fmt: skip
    qr_rows = tmp_path / f"qr{CLEAR}.csv"
    qr_rows.write_text("page,ref,channel\nacmebakery,table-1,qr\n", encoding="utf-8")
    out = _run(runner, "links", "import", str(qr_rows), "--out", str(out_dir), "--db", str(db_file))
    assert f"and {tmp_path}/codes{SHOWN}/print-sheet.pdf" in out, out


def test_links_import_shows_the_csv_path_of_its_invalid_rows_escaped(
    runner: CliRunner, tmp_path: Path
):
    bad = tmp_path / f"bad{CLEAR}.csv"
    bad.write_text("page,ref,channel\nacmebakery,has space,qr\n", encoding="utf-8")
    res = runner.invoke(cli, ["links", "import", str(bad), "--db", str(tmp_path / "r.duckdb")])
    assert res.exit_code == 1, res.output
    assert not _raw(res.output), repr(res.output)
    assert f"{tmp_path}/bad{SHOWN}.csv:" in res.output, res.output


def test_pages_set_shows_a_stored_name_escaped_and_keeps_it(runner: CliRunner, tmp_path: Path):
    db_file = tmp_path / "refscope.duckdb"
    out = _run(runner, "pages", "set", "1122334455", "--name", f"Acme{CLEAR}", "--db",
               str(db_file))  # fmt: skip
    assert f"page 1122334455: username -, name Acme{SHOWN}" in out, out
    assert Query(db_file).scalar("SELECT name FROM pages") == f"Acme{CLEAR}"


def test_the_lock_wait_notice_shows_the_database_path_escaped(tmp_path: Path):
    db_file = tmp_path / f"held{CLEAR}.duckdb"
    db.connect(db_file).close()
    with _held(db_file):
        proc = _refscope("pages", "set", "1122334455", "--name", "Acme", "--db", str(db_file),
                         cwd=tmp_path)  # fmt: skip
        assert proc.stderr is not None
        first = proc.stderr.readline()  # the notice, while the file is still held
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 0, (out, first + err)
    assert not _raw(first + err + out), repr(first + err + out)
    assert first.startswith(f"{tmp_path}/held{SHOWN}.duckdb: locked by another process"), first


def test_links_list_on_a_terminal_shows_values_and_its_path_escaped(
    runner: CliRunner, tmp_path: Path
):
    """rich sends an ESC in a Text as it is: a campaign from a CSV or --campaign drove the
    terminal listing it."""
    none = tmp_path / f"none{CLEAR}.duckdb"
    screen = _on_a_terminal("links", "list", "--db", str(none), cwd=tmp_path)
    assert not _raw(screen), repr(screen)
    assert f"no links registered in {tmp_path}/none{SHOWN}.duckdb" in screen, screen
    db_file = tmp_path / "refscope.duckdb"
    _run(runner, "links", "create", "--page", "acmebakery", "--ref", "door", "--campaign",
         f"Spring{CLEAR}", "--db", str(db_file))  # fmt: skip
    screen = _on_a_terminal("links", "list", "--db", str(db_file), cwd=tmp_path, columns=200)
    assert not _raw(screen), repr(screen)
    assert f"Spring{SHOWN}" in screen, screen


def test_links_list_piped_shows_control_characters_escaped_in_whole_tab_separated_lines(
    runner: CliRunner, tmp_path: Path
):
    """Piped (`| column -t`, `| less -R`, a file opened later), a value's ESC reached whatever
    showed the lines; a tab or line break inside a value is a space, so each row stays one
    line of eight fields (the notes last)."""
    db_file = tmp_path / "refscope.duckdb"
    _run(runner, "links", "create", "--page", "acmebakery", "--ref", "door", "--campaign",
         f"Spring{CLEAR}", "--placement", "front\tdoor\r\nleft\x00", "--notes",
         f"by the\ttill{CLEAR}", "--db", str(db_file))  # fmt: skip
    res = runner.invoke(cli, ["links", "list", "--db", str(db_file)])
    assert res.exit_code == 0, res.output
    header, row = res.output.splitlines()
    cells = row.split("\t")
    assert len(cells) == 8, repr(row)
    assert not any(_raw(cell) for cell in cells), repr(row)
    assert cells[:5] == ["door", "acmebakery", "m_me_link", f"Spring{SHOWN}",
                         "front door  left\\x00"]  # fmt: skip
    assert cells[7] == f"by the till{SHOWN}"


def test_report_shows_the_file_it_wrote_escaped(runner: CliRunner, db_path: Path, tmp_path: Path):
    out = tmp_path / f"reports{CLEAR}" / "october.html"
    res = runner.invoke(cli, ["report", "--db", str(db_path), "--from", "2026-10-01", "--to",
                              "2026-10-31", "--out", str(out)])  # fmt: skip
    assert res.exit_code == 0, res.output
    assert not _raw(res.output), repr(res.output)
    assert f"wrote {tmp_path}/reports{SHOWN}/october.html (html, " in res.output, res.output
    assert out.is_file()


def test_demo_data_shows_its_folder_escaped(runner: CliRunner, tmp_path: Path):
    out = tmp_path / f"demo{CLEAR}"
    text = _run(runner, "demo-data", "--days", "2", "--end", "2026-11-03", "--scale", "0.01",
                "--out", str(out))  # fmt: skip
    assert f"to {tmp_path}/demo{SHOWN}; its links to register: {tmp_path}/demo{SHOWN}/" in text
