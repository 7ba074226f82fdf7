"""`refscope links list --format table|tsv|csv`: the CSV is what `links import` reads, and one
database's list imported into another gives the same registry; the table, piped, keeps each URL
whole on one line; each format is the one asked for, on a terminal or piped."""

from __future__ import annotations

import csv
import datetime as dt
import io
from pathlib import Path

import pytest
from click.testing import CliRunner

from ingest import db
from ingest.cli import cli
from ingest.links_csv import IMPORT_COLUMNS
from tests.ingest.cli_setup import _on_a_terminal
from tests.ingest.links_setup import import_csv

REGISTRY = "SELECT ref, page, channel, campaign, placement, notes, url FROM tracked_links"
WHOLE = "SELECT * FROM tracked_links ORDER BY page, ref"  # created_at too
PAGES_SQL = "SELECT page_id, username, name FROM pages ORDER BY page_id"
NOTES = 'line one\nline two\r\nthree\rfour, "quoted"; \x1b[31mred\t\u2028end'
# Each: the arguments of `links create`.
LINKS = [
    ["--page", "acmebakery", "--ref", "spring_sale-store_12", "--campaign",
     'Spring "Big" Sale, 2026', "--placement", "Store #12, Main St", "--notes", NOTES],
    ["--page", "1122334455", "--ref", "=x-_", "--channel", "qr", "--campaign", "=SUM(1;2)",
     "--placement", "Café Ünïcødé 咖啡 — Łódź", "--via-redirect", "https://go.example/base"],
    ["--page", "Acme.Bakery", "--ref", "door", "--channel", "qr", "--via-redirect",
     "HTTPS://Go.Example"],
    ["--page", "acmebakery", "--ref=-lead", "--campaign", "+1 deal", "--notes", "@team"],
    ["--page", "acmebakery", "--ref", "window", "--via-redirect", "https://bäckerei.example/straße"],
    ["--page", "998877665544", "--ref", "menu", "--notes", "till"],
]  # fmt: skip
# Each: the arguments of `pages set`. The first page's links name it by id and by username
# (two spellings), the second's by id (it has no username); the third names no link's page.
PAGES = [
    ["1122334455", "--username", "acmebakery", "--name", 'Acme "Bakery", Main St'],
    ["998877665544", "--name", "Café Ünïcødé 咖啡"],
    ["5566778899", "--username", "nolinkshere", "--name", "No links"],
]


def registry_of(
    db_path: Path, sql: str = f"{REGISTRY} ORDER BY page, ref"
) -> list[tuple[object, ...]]:
    con = db.connect(db_path, read_only=True)
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


def make_registry(runner: CliRunner, db_path: Path, codes: Path) -> None:
    """LINKS registered in db_path, and a QR code an older refscope registered through its
    redirect address, before links named their page."""
    for args in LINKS:
        res = runner.invoke(cli, ["links", "create", *args, "--out", str(codes),
                                  "--db", str(db_path)])  # fmt: skip
        assert res.exit_code == 0, res.output
    con = db.connect(db_path)
    try:
        con.execute(
            "INSERT INTO tracked_links VALUES ('old_flyer', 'acmebakery', 'qr_code', NULL, "
            "'till', NULL, 'https://go.example/r/old_flyer?qr=1', ?)",
            [dt.datetime(2024, 5, 1)],
        )
    finally:
        con.close()
    for args in PAGES:
        res = runner.invoke(cli, ["pages", "set", *args, "--db", str(db_path)])
        assert res.exit_code == 0, res.output


def test_links_list_csv_imported_into_another_database_gives_the_same_registry(
    runner: CliRunner, db_path: Path, tmp_path: Path
) -> None:
    """`links list` had no CSV: its table folded values and its tab-separated lines turned a
    note's tabs and line breaks into spaces, so no list could register the links again; then
    its CSV had no `created`, and each link imported was made at the import's time, nor the
    pages its links name: links made by username found no contact of their page (they arrive
    under its id), and reports showed page ids, not names."""
    make_registry(runner, db_path, tmp_path / "codes")
    res = runner.invoke(cli, ["links", "list", "--format", "csv", "--db", str(db_path)])
    assert res.exit_code == 0, res.output
    listed = tmp_path / "links.csv"
    listed.write_bytes(res.stdout_bytes)
    rows = list(csv.reader(io.StringIO(res.stdout_bytes.decode(), newline="")))
    assert rows[0] == list(IMPORT_COLUMNS)
    assert len(rows) == 1 + len(LINKS) + 1
    first = dict(zip(rows[0], rows[2], strict=True))
    assert (first["ref"], first["channel"], first["notes"]) == ("spring_sale-store_12", "link",
                                                                NOTES)  # fmt: skip
    old_flyer = dict(zip(rows[0], rows[1], strict=True))
    assert old_flyer["created"] == "2024-05-01T00:00:00.000000Z"
    door = next(dict(zip(rows[0], row, strict=True)) for row in rows if row[1] == "door")
    assert [door[c] for c in ("page", "page_id", "page_username", "page_name")] == [
        "Acme.Bakery", "1122334455", "acmebakery", 'Acme "Bakery", Main St']  # fmt: skip
    other = tmp_path / "elsewhere" / "refscope.duckdb"
    other.parent.mkdir()
    res = import_csv(runner, other, listed)
    assert res.exit_code == 0, res.output
    assert res.output.startswith(f"registered {len(LINKS) + 1} new links (0 already there)")
    assert "saved 2 pages in pages (id, username, name): 1122334455, 998877665544" in res.output
    assert registry_of(other, WHOLE) == registry_of(db_path, WHOLE)
    assert registry_of(other, PAGES_SQL) == [
        x for x in registry_of(db_path, PAGES_SQL) if x[0] != "5566778899"]  # fmt: skip
    assert len(registry_of(other, PAGES_SQL)) == 2
    assert ("door", "Acme.Bakery", "qr_code", None, None, None,
            "https://go.example/r/door?page=Acme.Bakery&qr=1") in registry_of(other)  # fmt: skip
    again = runner.invoke(cli, ["links", "list", "--format", "csv", "--db", str(other)])
    assert sorted(csv.reader(io.StringIO(again.stdout_bytes.decode(), newline=""))) == sorted(rows)


def test_links_list_csv_of_no_links_is_its_header(runner: CliRunner, tmp_path: Path) -> None:
    res = runner.invoke(cli, ["links", "list", "--format", "csv", "--db", str(tmp_path / "x.db")])
    assert res.exit_code == 0, res.output
    assert res.stdout_bytes == (
        b"page,ref,channel,campaign,placement,notes,url,created,page_id,page_username,page_name\r\n"
    )
    assert not (tmp_path / "x.db").exists()


@pytest.mark.parametrize("columns", ["40", "200"])
def test_links_list_table_piped_prints_each_url_whole_on_one_line(
    runner: CliRunner, db_path: Path, tmp_path: Path, columns: str
) -> None:
    make_registry(runner, db_path, tmp_path / "codes")
    res = runner.invoke(cli, ["links", "list", "--format", "table", "--db", str(db_path)],
                        env={"COLUMNS": columns})  # fmt: skip
    assert res.exit_code == 0, res.output
    assert "\t" not in res.output  # the table, not tab-separated lines
    lines = res.output.splitlines()
    urls = [url for *_, url in registry_of(db_path)]
    for url in urls:
        assert any(str(url) in line.split() for line in lines), (url, res.output)
    assert all(len(line) <= int(columns) for line in lines if not set(urls) & set(line.split()))


def test_links_list_on_a_terminal_prints_the_format_asked_for(
    runner: CliRunner, db_path: Path, tmp_path: Path
) -> None:
    """On a terminal, tsv and csv are what is printed, a control character shown as \\xNN."""
    make_registry(runner, db_path, tmp_path / "codes")
    tsv = _on_a_terminal("links", "list", "--format", "tsv", "--db", str(db_path), cwd=tmp_path)
    header, *rows = tsv.splitlines()
    assert header.split("\t")[:3] == ["ref", "page", "channel"]
    assert len(rows) == len(LINKS) + 1 and all(len(row.split("\t")) == 8 for row in rows), tsv
    screen = _on_a_terminal("links", "list", "--format", "csv", "--db", str(db_path),
                            cwd=tmp_path)  # fmt: skip
    assert screen.splitlines()[0] == ",".join(IMPORT_COLUMNS), screen
    assert "\\x1b[31mred\\x09\u2028end" in screen, screen
