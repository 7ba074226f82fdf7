"""The registry of links and pages: a link registered twice, a conflict named in words, `pages set`,
and one meaning per ref for a username and its page id."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from ingest import db, links
from ingest.cli import cli
from ingest.errors import ValidationError
from tests.factories import OTHER_PAGE_ID, PAGE_ID
from tests.ingest.links_setup import qr_contact_lines


def test_same_ref_twice_is_a_no_op_and_other_attributes_are_refused(db_path: Path) -> None:
    con = db.connect(db_path)
    try:
        a = links.make_link("acmebakery", "flyer1", "qr", "spring")
        assert links.register(con, [a]) == [a]
        assert links.register(con, [a]) == []
        b = links.make_link("acmebakery", "flyer1", "link", "spring")
        with pytest.raises(ValidationError, match="already registered"):
            links.register(con, [b])
        (n,) = con.execute("SELECT count(*) FROM tracked_links").fetchone() or (0,)
    finally:
        con.close()
    assert n == 1


def test_a_conflict_names_an_attribute_left_out_in_words_not_as_none(db_path: Path) -> None:
    con = db.connect(db_path)
    try:
        links.register(con, [links.make_link("acmebakery", "flyer1", "qr")])
        with pytest.raises(ValidationError) as added:
            links.register(con, [links.make_link("acmebakery", "flyer1", "qr", "spring")])
        links.register(con, [links.make_link("acmebakery", "flyer2", "qr", "spring")])
        with pytest.raises(ValidationError) as dropped:
            links.register(con, [links.make_link("acmebakery", "flyer2", "qr")])
    finally:
        con.close()
    assert "with no campaign (here 'spring')" in str(added.value)
    assert "with campaign 'spring' (here none)" in str(dropped.value)
    assert "None" not in str(added.value) + str(dropped.value)


def test_pages_set_keeps_what_it_is_not_given(runner: CliRunner, query: Any, db_path: Path) -> None:
    def pages_set(*args: str) -> Any:
        return runner.invoke(cli, ["pages", "set", PAGE_ID, *args, "--db", str(db_path)])

    assert pages_set("--username", "acmebakery", "--name", "Acme").exit_code == 0
    res = pages_set("--name", "Acme Bakery")
    assert res.exit_code == 0, res.output
    assert "username acmebakery, name Acme Bakery" in res.output
    res = pages_set()  # nothing to set: refused, nothing wiped
    assert res.exit_code == 2 and "give --username, --name or both" in res.output
    assert query("SELECT page_id, username, name FROM pages") == [
        (PAGE_ID, "acmebakery", "Acme Bakery")
    ]


@pytest.mark.parametrize(
    ("username", "fault"),
    [("67890", "no letter: all digits is a page id"), ("", "0 characters"),
     ("abc", "3 characters"), ("shop.com", "ends in .com"), ("my shop", "' ' at character 3")],
)  # fmt: skip
def test_pages_set_refuses_a_username_that_is_none(
    runner: CliRunner, query: Any, db_path: Path, username: str, fault: str
) -> None:
    # All digits is another page's id: taking it for a username would make two pages one.
    res = runner.invoke(cli, ["pages", "set", PAGE_ID, "--username", username, "--db",
                              str(db_path)])  # fmt: skip
    assert res.exit_code != 0
    assert f"invalid username {username!r} ({fault}): {links.USERNAME_RULE}" in res.output
    assert query("SELECT count(*) FROM pages") == [(0,)]


@pytest.mark.parametrize(
    ("option", "value", "said"),
    [("--username", "abc", "invalid username 'abc' (3 characters)"),
     ("--name", "  ", "invalid page name (blank)")],
)  # fmt: skip
def test_pages_set_refused_makes_no_database(
    runner: CliRunner, tmp_path: Path, option: str, value: str, said: str
) -> None:
    """A refused username or name wrote nothing, but `--db` naming no database yet (a mistyped
    path) got a new database file with refscope's tables in it."""
    new_db = tmp_path / "new.duckdb"
    res = runner.invoke(cli, ["pages", "set", PAGE_ID, option, value, "--db", str(new_db)])
    assert res.exit_code == 1 and said in res.output, res.output
    assert not list(tmp_path.glob("new.duckdb*"))


def test_pages_set_refuses_to_give_one_page_two_meanings_for_a_ref(
    runner: CliRunner, query: Any, db_path: Path
) -> None:
    def run(*args: str) -> Any:
        return runner.invoke(cli, [*args, "--db", str(db_path)])

    for page, channel in ((PAGE_ID, "qr"), ("acmebakery", "link")):
        res = run("links", "create", "--page", page, "--ref", "ok1", "--channel", channel,
                  "--out", str(db_path.parent))  # fmt: skip
        assert res.exit_code == 0, res.output
    res = run("pages", "set", PAGE_ID, "--username", "acmebakery")
    assert res.exit_code != 0
    assert "ref 'ok1' is already registered for page" in res.output
    assert links.ONE_MEANING_RULE in res.output and "would make them one page" in res.output
    assert query("SELECT count(*) FROM pages") == [(0,)]  # nothing written
    # The same meaning under both names is one link twice: the mapping is taken.
    for page in (OTHER_PAGE_ID, "NorthwindCoffee"):
        res = run("links", "create", "--page", page, "--ref", "ok2", "--channel", "qr", "--out",
                  str(db_path.parent))  # fmt: skip
        assert res.exit_code == 0, res.output
    res = run("pages", "set", OTHER_PAGE_ID, "--username", "northwindcoffee")
    assert res.exit_code == 0, res.output
    assert query("SELECT page_id, username FROM pages") == [(OTHER_PAGE_ID, "northwindcoffee")]


def test_a_username_moves_to_the_page_set_last(
    runner: CliRunner, query: Any, db_path: Path
) -> None:
    # Facebook gives a username to one page at a time: two ids under one username would count
    # a link made by username for both pages.
    def pages_set(page_id: str, *args: str) -> Any:
        return runner.invoke(cli, ["pages", "set", page_id, *args, "--db", str(db_path)])

    assert pages_set(PAGE_ID, "--username", "acmebakery", "--name", "Acme").exit_code == 0
    res = pages_set(OTHER_PAGE_ID, "--username", "AcmeBakery")
    assert res.exit_code == 0, res.output
    # Named as that page held it: `acmebakery`, not the new spelling.
    assert f"page {PAGE_ID} no longer has username acmebakery:" in res.stderr
    assert query("SELECT page_id, username, name FROM pages ORDER BY page_id") == sorted(
        [(PAGE_ID, None, "Acme"), (OTHER_PAGE_ID, "AcmeBakery", None)]
    )
    res = pages_set(OTHER_PAGE_ID, "--username", "AcmeBakery")  # again: nothing moves
    assert res.exit_code == 0 and "no longer" not in res.stderr


def _ref_x_creator(runner: CliRunner, out: Path, db_path: Path) -> Callable[[str, str], Any]:
    """`links create --ref x` for a page and channel, writing into out."""

    def create(page: str, channel: str) -> Any:
        args = ["--ref", "x", "--channel", channel, "--out", str(out), "--db", str(db_path)]
        return runner.invoke(cli, ["links", "create", "--page", page, *args])

    return create


def test_a_username_and_its_page_id_are_one_page_for_one_meaning_per_ref(
    tmp_path: Path, runner: CliRunner, query: Any, db_path: Path
) -> None:
    create = _ref_x_creator(runner, tmp_path, db_path)
    res = runner.invoke(cli, ["pages", "set", PAGE_ID, "--username", "CafeShop1", "--db",
                              str(db_path)])  # fmt: skip
    assert res.exit_code == 0, res.output
    assert create("cafeshop1", "qr").exit_code == 0
    res = create(PAGE_ID, "link")
    assert res.exit_code == 1
    assert "ref 'x' is already registered for page 'cafeshop1' with channel 'qr_code'" in (
        res.output
    )
    assert "a ref means one thing per page (a username and its page id" in res.output
    # The same attributes under the other name: a no-op that prints the registered URL.
    res = create(PAGE_ID, "qr")
    assert res.exit_code == 0, res.output
    assert res.stdout.strip() == "https://m.me/cafeshop1?ref=x"
    assert query("SELECT page, channel FROM tracked_links") == [("cafeshop1", "qr_code")]


@pytest.mark.parametrize("page_id", ["0", "0123456", "01122334455667788"])
def test_a_page_id_that_is_zero_or_starts_with_0_is_refused(
    runner: CliRunner, query: Any, db_path: Path, page_id: str
) -> None:
    """Meta's page ids are positive numbers without leading zeros: "0" or "0123456" was taken
    as a page id, by `links create --page` and `pages set`, and would never match a webhook."""
    res = runner.invoke(cli, ["links", "create", "--page", page_id, "--ref", "spring",
                              "--db", str(db_path)])  # fmt: skip
    assert res.exit_code == 1, res.output
    assert f"invalid page '{page_id}' (a page id starting with 0): a page is a Facebook " \
        "username" in res.output  # fmt: skip
    assert "or a numeric page id (not starting with 0, at most 20 digits)" in res.output
    res = runner.invoke(cli, ["pages", "set", page_id, "--username", "acmebakery",
                              "--db", str(db_path)])  # fmt: skip
    assert res.exit_code == 2, res.output
    assert f"'{page_id}' is not a page id: a page id is numeric, a positive number not " \
        "starting with 0" in res.output  # fmt: skip
    con = db.connect(db_path)
    try:
        with pytest.raises(ValidationError, match="a page id starting with 0"):
            links.learn_page(con, page_id, "acmebakery", None)
        assert con.execute("SELECT count(*) FROM pages").fetchone() == (0,)
    finally:
        con.close()
    assert query.scalar("SELECT count(*) FROM tracked_links") == 0


def test_a_username_with_periods_is_the_same_page_for_one_meaning_per_ref(
    tmp_path: Path, runner: CliRunner, db_path: Path
) -> None:
    """Facebook tells usernames apart by neither periods nor case (Acme.Bakery is acmebakery):
    a ref registered for the page by its id could be registered again, as a QR code, for the
    same page spelled with a period."""
    create = _ref_x_creator(runner, tmp_path, db_path)

    res = runner.invoke(cli, ["pages", "set", PAGE_ID, "--username", "acmebakery", "--db",
                              str(db_path)])  # fmt: skip
    assert res.exit_code == 0, res.output
    assert create(PAGE_ID, "link").exit_code == 0
    res = create("Acme.Bakery", "qr")
    assert res.exit_code == 1, res.output
    assert f"ref 'x' is already registered for page '{PAGE_ID}' with channel 'm_me_link'" in (
        res.output
    )
    # A username given to another page with periods is taken from the first.
    res = runner.invoke(cli, ["pages", "set", OTHER_PAGE_ID, "--username", "acme.bakery",
                              "--db", str(db_path)])  # fmt: skip
    assert res.exit_code == 0, res.output
    assert f"page {PAGE_ID} no longer has username acmebakery:" in res.stderr


def test_a_qr_code_registered_by_username_with_periods_counts_its_contacts(
    ingest_lines: Any, runner: CliRunner, query: Any, db_path: Path
) -> None:
    """The contacts of a QR ref registered for `Acme.Bakery`, whose page `pages` knows as
    `acmebakery`, are QR code contacts of that page, registered (the ref is also another
    page's, so the ref alone cannot tell)."""
    from dashboard import queries  # the Links & QR codes page's question
    from dashboard.filters import Filters

    ingest_lines(qr_contact_lines("qr_door"))

    def run(*args: str) -> Any:
        res = runner.invoke(cli, [*args, "--db", str(db_path)])
        assert res.exit_code == 0, res.output
        return res

    out = str(db_path.parent)
    run("pages", "set", PAGE_ID, "--username", "acmebakery")
    run("links", "create", "--page", "Acme.Bakery", "--ref", "qr_door", "--channel", "qr",
        "--out", out)  # fmt: skip
    run("links", "create", "--page", OTHER_PAGE_ID, "--ref", "qr_door", "--channel", "link")
    assert query("SELECT page_id, ref, channel FROM contacts") == [(PAGE_ID, "qr_door", "qr_code")]
    con = db.connect(db_path, read_only=True)
    try:
        queries.install_macros(con)
        f = Filters(dt.date(2023, 11, 1), dt.date(2023, 11, 30))
        refs = queries.refs(con, f)
        stats = queries.tracked_link_stats(con, f)  # the Create links page's registry
    finally:
        con.close()
    assert refs[["page_id", "ref", "channel", "new_contacts", "registered"]].values.tolist() == [
        [PAGE_ID, "qr_door", "qr_code", 1, True]
    ]
    assert stats[["page", "page_name", "new_contacts"]].values.tolist() == [
        [OTHER_PAGE_ID, OTHER_PAGE_ID, 0],
        ["Acme.Bakery", "acmebakery", 1],
    ]
