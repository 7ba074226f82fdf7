"""`refscope links import` reads a row's `url` (as `links list --format csv` writes it): a link
keeps its redirect address, or its m.me URL, whatever --via-redirect says, and a url that is
not the row's own link is refused with its line and rule."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from ingest.link_urls import URL_RULE
from tests.ingest.links_setup import import_csv, write

HEADER = "page,ref,channel,campaign,placement,notes,url"


def test_import_registers_each_rows_url_as_given(
    tmp_path: Path, runner: CliRunner, query: Any, db_path: Path
) -> None:
    """The url column was refused ("unknown column 'url'"): a registry's redirect links could
    not be registered again elsewhere, and --via-redirect gives all rows one address."""
    rows = [
        "acmebakery,door,qr,,,,https://go.example/r/door?page=acmebakery&qr=1",
        "acmebakery,bio,link,,,,https://m.me/acmebakery?ref=bio",
        "1122334455,till,link,,,,HTTPS://Shop.Example/base/r/till?page=1122334455&qr=0",
        "acmebakery,old_flyer,qr,,,,https://go.example/r/old_flyer?qr=1",  # before ?page=
        "acmebakery,newsletter,link,,,,",  # no url: --via-redirect's
        "Acme.Bakery,=x-_,link,,,, https://m.me/Acme.Bakery?ref=%3Dx-_ ",
    ]
    csv_file = write(tmp_path / "links.csv", HEADER + "\n" + "\n".join(rows) + "\n")
    res = import_csv(runner, db_path, csv_file, "--via-redirect", "https://other.example")
    assert res.exit_code == 0, res.output
    assert query("SELECT ref, url FROM tracked_links ORDER BY ref") == [
        ("=x-_", "https://m.me/Acme.Bakery?ref=%3Dx-_"),
        ("bio", "https://m.me/acmebakery?ref=bio"),
        ("door", "https://go.example/r/door?page=acmebakery&qr=1"),
        ("newsletter", "https://other.example/r/newsletter?page=acmebakery&qr=0"),
        ("old_flyer", "https://go.example/r/old_flyer?qr=1"),
        ("till", "https://shop.example/base/r/till?page=1122334455&qr=0"),
    ]


def test_import_refuses_a_url_that_is_not_the_rows_link(
    tmp_path: Path, runner: CliRunner, query: Any, db_path: Path
) -> None:
    rows = [
        "acmebakery,door,qr,,,,https://go.example/r/window?page=acmebakery&qr=1",  # another ref
        "acmebakery,window,qr,,,,https://go.example/r/window?page=acmebakery&qr=0",  # a link's
        "acmebakery,till,link,,,,https://m.me/otherpage?ref=till",  # another page
        "acmebakery,bio,link,,,,https://evil.example/bio",  # no refscope link
        "acmebakery,menu,link,,,,https://ann:s3cret@go.example/r/menu?page=acmebakery&qr=0",
        "acmebakery,card,link,,,,ftp://go.example/r/card?page=acmebakery&qr=0",
        "acmebakery,fine,link,,,,https://m.me/acmebakery?ref=fine",
    ]
    csv_file = write(tmp_path / "links.csv", HEADER + "\n" + "\n".join(rows) + "\n")
    res = import_csv(runner, db_path, csv_file)
    assert res.exit_code == 1, res.output
    assert "s3cret" not in res.output
    lines = [line for line in res.output.splitlines() if "links.csv:line" in line]
    assert [line.split(":line ")[1].split(":")[0] for line in lines] == [
        "2",
        "3",
        "4",
        "5",
        "6",
        "7",
    ]
    for line in (lines[0], lines[1], lines[2], lines[3]):
        assert line.endswith(URL_RULE), line
    assert "'https://go.example/r/window?page=acmebakery&qr=1' is not the link of page " \
           "'acmebakery', ref 'door', channel qr" in lines[0]  # fmt: skip
    assert "user name or password" in lines[4]
    assert "invalid redirect address 'ftp://go.example'" in lines[5]
    assert query.scalar("SELECT count(*) FROM tracked_links") == 0


# Beyond ASCII and ending in /r: an import whose rows use it says a note and a warning of it.
ODD_ADDRESS = "https://bäckerei.example/r"


@pytest.mark.parametrize("database", ["registered-before", "new"])
def test_via_redirect_used_by_no_row_is_said_once_and_nothing_of_its_address(
    tmp_path: Path, runner: CliRunner, db_path: Path, database: str
) -> None:
    """Every row giving its own url, --via-redirect's address made no link: its note (its ASCII
    form) and its warning (its /r) were said of links that do not use it."""
    rows = [
        "acmebakery,door,qr,,,,https://go.example/r/door?page=acmebakery&qr=1",
        "acmebakery,bio,link,,,,https://m.me/acmebakery?ref=bio",
    ]
    csv_file = write(tmp_path / "links.csv", HEADER + "\n" + "\n".join(rows) + "\n")
    db_file = db_path if database == "registered-before" else tmp_path / "new.duckdb"
    res = import_csv(runner, db_file, csv_file, "--via-redirect", ODD_ADDRESS)
    assert res.exit_code == 0, res.output
    assert res.stdout == "registered 2 new links (0 already there)\n", res.stdout
    unused = (f"(--via-redirect {ODD_ADDRESS} was used by no row: each row gives its own url, "
              "which wins over it)")  # fmt: skip
    assert res.stderr == unused + "\n", res.stderr


def test_via_redirect_used_by_some_rows_is_said_of_them_as_before(
    tmp_path: Path, runner: CliRunner, query: Any, db_path: Path
) -> None:
    rows = [
        "acmebakery,bio,link,,,,https://m.me/acmebakery?ref=bio",
        "acmebakery,door,qr,,,,",  # --via-redirect's
    ]
    csv_file = write(tmp_path / "links.csv", HEADER + "\n" + "\n".join(rows) + "\n")
    res = import_csv(runner, db_path, csv_file, "--via-redirect", ODD_ADDRESS)
    assert res.exit_code == 0, res.output
    ascii_form = "https://xn--bckerei-5wa.example/r"
    assert query("SELECT ref, url FROM tracked_links ORDER BY ref") == [
        ("bio", "https://m.me/acmebakery?ref=bio"),
        ("door", f"{ascii_form}/r/door?page=acmebakery&qr=1"),
    ]
    assert f"is written {ascii_form} in links and codes" in res.stderr, res.stderr
    assert f"warning: the redirect address {ascii_form} ends in /r" in res.stderr, res.stderr
    assert "used by no row" not in res.output, res.output


def test_a_url_whose_ref_is_not_url_encoded_is_refused_with_that_rule(
    tmp_path: Path, runner: CliRunner, query: Any, db_path: Path
) -> None:
    """Meta's m.me ref must be URL-encoded (each = as %3D, as refscope writes it): a link typed
    by hand with a bare = is not the row's link, and the refusal says how the ref is written."""
    rows = ["acmebakery,qr=a,link,,,,https://m.me/acmebakery?ref=qr=a"]
    csv_file = write(tmp_path / "links.csv", HEADER + "\n" + "\n".join(rows) + "\n")
    res = import_csv(runner, db_path, csv_file)
    assert res.exit_code == 1, res.output
    (line,) = [line for line in res.output.splitlines() if "links.csv:line 2" in line]
    assert "https://m.me/<page>?ref=<ref, URL-encoded: each = as %3D>" in line, line
    assert query.scalar("SELECT count(*) FROM tracked_links") == 0
