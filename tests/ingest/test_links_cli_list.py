"""`refscope links list`: whole values piped, long ones folded whole on a terminal (each URL whole
on a line of its own), brackets shown as typed, and `list` and `qr` run beside a reader."""

from __future__ import annotations

import re
from pathlib import Path

from click.testing import CliRunner

from ingest.cli import cli
from tests.ingest.cli_setup import _held, _on_a_terminal
from tests.ingest.links_setup import on_screen


def test_links_list_piped_prints_whole_values(runner: CliRunner, db_path: Path) -> None:
    long_ref = "newsletter_" + "x" * 80
    url = f"https://go.example/r/{long_ref}?page=acmebakery&qr=0"
    args = ["--page", "acmebakery", "--ref", long_ref, "--campaign", "Spring  Sale"]
    res = runner.invoke(cli, ["links", "create", *args, "--via-redirect", "https://go.example",
                              "--db", str(db_path)])  # fmt: skip
    assert res.exit_code == 0, res.output
    res = runner.invoke(cli, ["links", "list", "--db", str(db_path)])
    assert res.exit_code == 0, res.output
    header, row = res.output.splitlines()
    assert header.split("\t") == ["ref", "page", "channel", "campaign", "placement", "url",
                                  "created", "notes"]  # fmt: skip
    assert row.split("\t")[:6] == [long_ref, "acmebakery", "m_me_link", "Spring  Sale", "", url]
    assert row.split("\t")[7] == ""


NOTE = "Main St \x1b[31mshop,\nleft of the door (printed 500, " + "x" * 60 + ")"


def test_links_list_shows_each_links_note(runner: CliRunner, db_path: Path, tmp_path: Path) -> None:
    """A link's --notes was stored and never listed. Piped, it is the last column, whole (a line
    break as a space); on a terminal it is one line cut with "…", and an ESC in it shown as
    \\x1b, as in every other column."""
    args = ["--page", "acmebakery", "--ref", "window", "--notes", NOTE, "--db", str(db_path)]
    res = runner.invoke(cli, ["links", "create", *args])
    assert res.exit_code == 0, res.output
    res = runner.invoke(cli, ["links", "list", "--db", str(db_path)])
    assert res.exit_code == 0, res.output
    _header, row = res.output.splitlines()
    whole = NOTE.replace("\n", " ").replace("\x1b", "\\x1b")
    assert row.split("\t")[7] == whole
    screen = _on_a_terminal("links", "list", "--db", str(db_path), cwd=tmp_path, columns=160)
    rows = [line.split("│") for line in screen.splitlines() if "│" in line][1:]  # the header first
    notes = [cells[6].strip() for cells in rows if cells[6].strip()]
    assert len(notes) == 1, screen  # one line
    assert notes[0].endswith("…") and whole.startswith(notes[0][:-1]), screen
    assert notes[0].startswith("Main St \\x1b[31mshop, left"), screen


def test_links_list_on_an_80_column_terminal_folds_long_values_whole(
    runner: CliRunner, db_path: Path, tmp_path: Path
) -> None:
    """A ref wider than its column is folded onto more lines, never cut with "…": all of it is
    on the screen, to be copied; its URL is whole on a line of its own."""
    long_ref = "newsletter_" + "x" * 80 + "_end"
    url = f"https://go.example/r/{long_ref}?page=acmebakery&qr=0"
    args = ["--page", "acmebakery", "--ref", long_ref, "--via-redirect", "https://go.example"]
    res = runner.invoke(cli, ["links", "create", *args, "--db", str(db_path)])
    assert res.exit_code == 0, res.output
    screen = _on_a_terminal("links", "list", "--db", str(db_path), cwd=tmp_path)
    assert "…" not in screen, screen
    assert "\t" not in screen  # the table, not the piped tab-separated lines
    lines = screen.splitlines()
    assert lines and all(len(line) <= 80 for line in lines if url not in line.split()), screen
    assert not any(long_ref in line for line in lines if url not in line.split()), screen  # folded
    assert any(line.split()[-1:] == [url] for line in lines), screen  # the URL not
    (link,) = on_screen(screen)
    assert link["ref"].replace(" ", "") == long_ref
    assert link["page"] == "acmebakery"
    assert link["url"].split()[-1] == url


def test_links_list_on_a_terminal_shows_brackets_as_typed(
    runner: CliRunner, db_path: Path, tmp_path: Path
) -> None:
    """A campaign or placement in square brackets is text, not rich markup: "[/x]" was a
    MarkupError traceback, "[b]window" showed as a bold "window"."""
    args = ["--page", "acmebakery", "--ref", "flyer", "--campaign", "[/x][b]Q1",
            "--placement", "[b]window"]  # fmt: skip
    res = runner.invoke(cli, ["links", "create", *args, "--db", str(db_path)])
    assert res.exit_code == 0, res.output
    screen = _on_a_terminal("links", "list", "--db", str(db_path), cwd=tmp_path)
    (link,) = on_screen(screen)
    assert (link["campaign"], link["placement"]) == ("[/x][b]Q1", "[b]window"), screen


def test_links_list_and_qr_only_read_so_they_run_beside_a_reader(
    runner: CliRunner, db_path: Path, tmp_path: Path
) -> None:
    args = ["--page", "acmebakery", "--ref", "flyer", "--channel", "qr", "--out", str(tmp_path)]
    res = runner.invoke(cli, ["links", "create", *args, "--db", str(db_path)])
    assert res.exit_code == 0, res.output
    # Another process holds the file open read-only (a dashboard's query, say) until both
    # commands are done: a writer would have to wait for it.
    with _held(db_path, read_only=True):
        res = runner.invoke(cli, ["links", "list", "--db", str(db_path)])
        assert res.exit_code == 0 and "flyer" in res.output, res.output
        out = tmp_path / "again"
        res = runner.invoke(cli, ["links", "qr", "flyer", "--out", str(out), "--db", str(db_path)])
        assert res.exit_code == 0, res.output
        assert (out / "flyer.png").is_file()


def test_links_list_on_a_terminal_shows_when_a_link_was_created_to_the_second(
    runner: CliRunner, db_path: Path, tmp_path: Path
) -> None:
    """`created` was printed with its microseconds (`2026-12-06 14:05:17.922442`), which folded
    its column over three to five lines; piped, it stays whole."""
    args = ["--page", "acmebakery", "--ref", "window", "--db", str(db_path)]
    res = runner.invoke(cli, ["links", "create", *args])
    assert res.exit_code == 0, res.output
    res = runner.invoke(cli, ["links", "list", "--db", str(db_path)])
    piped = res.output.splitlines()[1].split("\t")[6]
    assert re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d(\.\d+)?", piped), piped
    screen = _on_a_terminal("links", "list", "--db", str(db_path), cwd=tmp_path, columns=160)
    rows = [line.split("│") for line in screen.splitlines() if "│" in line][1:]  # the header first
    created = [cells[5].strip() for cells in rows if cells[5].strip()]
    assert created == [piped[:19]], screen  # one line, to the second
