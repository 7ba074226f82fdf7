"""`refscope links import` reads a row's page columns (`page_id`, `page_username`, `page_name`,
as `links list --format csv` writes them): the `pages` row of its page, saved as `pages set`
saves it, before the links (its links' pages read with it); a page column that contradicts its
row's page, another row or the rules is refused with its line, and nothing is written."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from click.testing import CliRunner

from ingest.cli import cli
from ingest.link_pages import ONE_PAGE_RULE, PAGE_COLUMNS_RULE
from ingest.links import ONE_MEANING_RULE
from tests import factories as fx
from tests.ingest.links_setup import import_csv, qr_contact_lines, write

PAGES = "SELECT page_id, username, name FROM pages ORDER BY page_id"
HEADER = "page,ref,channel,page_id,page_username,page_name"


def test_a_page_named_by_the_file_maps_its_links_to_their_contacts(
    ingest_lines: Any, tmp_path: Path, runner: CliRunner, query: Any, db_path: Path
) -> None:
    """A QR ref of two pages, one named by username: its contact (under the page id) counts as
    a QR code once the file maps the username to that id; the page's name is saved."""
    ingest_lines(qr_contact_lines("flyer"))
    assert query("SELECT channel FROM contacts") == [("m_me_link",)]
    text = (f"{HEADER}\nAcme.Bakery,flyer,qr,{fx.PAGE_ID},,Acme Bakery\n"
            f"{fx.OTHER_PAGE_ID},flyer,link,,,\n"
            f"{fx.PAGE_ID},menu,link,{fx.PAGE_ID},acmebakery,\n")  # fmt: skip
    res = import_csv(runner, db_path, write(tmp_path / "links.csv", text))
    assert res.exit_code == 0, res.output
    assert f"saved 1 page in pages (id, username, name): {fx.PAGE_ID}" in res.stdout
    # The username as the file spells it first; the name from the row that gives one.
    assert query(PAGES) == [(fx.PAGE_ID, "Acme.Bakery", "Acme Bakery")]
    assert query("SELECT channel FROM contacts") == [("qr_code",)]
    # Again: nothing to save (a page named as `pages` holds it), nothing said saved.
    res = import_csv(runner, db_path, write(tmp_path / "links.csv", text))
    assert res.stdout.splitlines() == [
        "registered 0 new links (3 already there)",
        "saved 0 pages in pages (id, username, name) (1 already so)",
    ]


def test_page_columns_that_break_a_rule_are_refused_with_their_line(
    tmp_path: Path, runner: CliRunner, query: Any, db_path: Path
) -> None:
    text = (
        f"{HEADER}\n"
        "acmebakery,door,qr,1122334455,,Acme Bakery\n"  # line 2: fine
        "1122334455,till,qr,998877,,\n"  # another page's id
        "acmebakery,menu,link,1122334455,otherbakery,\n"  # another username
        "otherbakery,menu,link,,,Other Bakery\n"  # a name, but no id to save it under
        "1122334455,shelf,qr,,,Acme Bäckerei\n"  # another name of line 2's page
        "Acme.Bakery,bell,qr,5566778899,,\n"  # line 2's username for another page
        "otherbakery,bell,qr, 5566778899,,\n"  # spaces around the id
        "5566778899,bell,qr,,otherbakery,\u200b\n"  # a name of no visible character
        "5566778899,sign,qr,,other.com,\n"  # no username
        "1122334455,door,link,,,\n"  # line 2's ref of this page, by its id, another channel
    )
    res = import_csv(runner, db_path, write(tmp_path / "links.csv", text))
    assert res.exit_code == 1
    lines = [x.split(":line ", 1)[1] for x in res.stderr.splitlines() if ":line " in x]
    assert [line.split(": ", 1)[0] for line in lines] == [str(n) for n in range(3, 12)], lines
    assert (
        lines[0] == f"3: page_id '998877' is not the row's page '1122334455': {PAGE_COLUMNS_RULE}"
    )
    assert lines[1] == (f"4: page_username 'otherbakery' is not the row's page 'acmebakery': "
                        f"{PAGE_COLUMNS_RULE}")  # fmt: skip
    assert lines[2] == f"5: no page_id for page 'otherbakery': {PAGE_COLUMNS_RULE}"
    assert lines[3] == (f"6: page 1122334455 is named 'Acme Bakery' on line 2, here "
                        f"'Acme Bäckerei': {ONE_PAGE_RULE}")  # fmt: skip
    assert lines[4] == (f"7: username 'Acme.Bakery' is page 1122334455's on line 2, here page "
                        f"5566778899's: {ONE_PAGE_RULE}")  # fmt: skip
    assert lines[5].startswith("8: invalid page ' 5566778899' (leading or trailing whitespace)")
    assert lines[6].startswith("9: page_name: invalid page name (blank: no visible character)")
    assert lines[7].startswith("10: invalid username 'other.com'")
    assert lines[8] == (f"11: ref 'door' for page '1122334455' is on line 2 with channel "
                        f"'qr_code' (here 'm_me_link'): {ONE_MEANING_RULE}")  # fmt: skip
    assert query.scalar("SELECT count(*) FROM tracked_links") == 0
    assert query(PAGES) == []


def test_a_username_the_file_gives_moves_from_the_page_that_held_it(
    tmp_path: Path, runner: CliRunner, query: Any, db_path: Path
) -> None:
    res = runner.invoke(cli, ["pages", "set", "5566778899", "--username", "acmebakery",
                              "--name", "Old", "--db", str(db_path)])  # fmt: skip
    assert res.exit_code == 0, res.output
    text = f"{HEADER}\nacmebakery,door,qr,1122334455,,\n"
    res = import_csv(runner, db_path, write(tmp_path / "links.csv", text))
    assert res.exit_code == 0, res.output
    assert "(page 5566778899 no longer has username acmebakery: a username is one page's)" in (
        res.stderr
    )
    assert query(PAGES) == [("1122334455", "acmebakery", None), ("5566778899", None, "Old")]


def test_pages_that_would_give_a_registered_ref_two_meanings_write_nothing(
    tmp_path: Path, runner: CliRunner, query: Any, db_path: Path
) -> None:
    """The registry's own links under a username and the id the file maps it to."""
    for page, channel in (("acmebakery", "qr"), ("1122334455", "link")):
        res = runner.invoke(cli, ["links", "create", "--page", page, "--ref", "door",
                                  "--channel", channel, "--out", str(tmp_path / "codes"),
                                  "--db", str(db_path)])  # fmt: skip
        assert res.exit_code == 0, res.output
    text = f"{HEADER}\nacmebakery,till,qr,1122334455,,Acme Bakery\n"
    res = import_csv(runner, db_path, write(tmp_path / "links.csv", text))
    assert res.exit_code == 1
    assert "the file's page columns would make them one page" in res.output
    assert query(PAGES) == []
    assert query("SELECT ref FROM tracked_links ORDER BY ref") == [("door",), ("door",)]


def test_a_row_whose_page_the_file_maps_to_a_registered_link_of_another_meaning_is_refused(
    tmp_path: Path, runner: CliRunner, query: Any, db_path: Path
) -> None:
    """The registered link under the username the row maps to its page id: said on its line."""
    res = runner.invoke(cli, ["links", "create", "--page", "acmebakery", "--ref", "door",
                              "--channel", "qr", "--out", str(tmp_path / "codes"),
                              "--db", str(db_path)])  # fmt: skip
    assert res.exit_code == 0, res.output
    text = f"{HEADER}\n1122334455,door,link,,acmebakery,\n"
    res = import_csv(runner, db_path, write(tmp_path / "links.csv", text))
    assert res.exit_code == 1
    assert (":line 2: ref 'door' is already registered for page 'acmebakery' with channel "
            "'qr_code' (here 'm_me_link')") in res.stderr  # fmt: skip
    assert query(PAGES) == []
