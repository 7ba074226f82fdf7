"""A registered link relabels the contacts it brought: registered after the ingest, by page id or
by a username alone or through `pages`, or before the ingest."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from ingest import db, links
from ingest.cli import cli
from tests.factories import PAGE_ID, PSID
from tests.ingest.links_setup import decode, qr_contact_lines


@pytest.mark.parametrize(
    "page", ["1122334455667788", "acmebakery"], ids=["by-id", "by-username-alone"]
)
def test_registering_after_the_fact_relabels_contacts(
    page: str, ingest_lines: Any, query: Any, runner: CliRunner, db_path: Path
) -> None:
    ingest_lines(qr_contact_lines())
    assert query.scalar("SELECT channel FROM contacts WHERE psid = ?", PSID) == "m_me_link"
    res = runner.invoke(
        cli,
        ["links", "create", "--page", page, "--ref", "qr_flyer", "--channel", "qr",
         "--out", str(db_path.parent / "codes"), "--db", str(db_path)],
    )  # fmt: skip
    assert res.exit_code == 0, res.output
    assert query.scalar("SELECT channel FROM contacts WHERE psid = ?", PSID) == "qr_code"
    assert query.scalar("SELECT channel FROM touches WHERE psid = ?", PSID) == "qr_code"
    assert set(query("SELECT DISTINCT channel FROM events WHERE ref = 'qr_flyer'")) == {
        ("qr_code",)
    }
    assert decode((db_path.parent / "codes" / "qr_flyer.png").read_bytes()) == (
        f"https://m.me/{page}?ref=qr_flyer"
    )


def test_a_username_link_finds_its_page_through_pages(
    ingest_lines: Any, query: Any, runner: CliRunner, db_path: Path
) -> None:
    ingest_lines(qr_contact_lines())
    # Another page registered the same ref: the ref alone no longer decides.
    for page in ("acmebakery", "northwindcoffee"):
        args = ["links", "create", "--page", page, "--ref", "qr_flyer", "--channel", "qr"]
        res = runner.invoke(cli, [*args, "--out", str(db_path.parent), "--db", str(db_path)])
        assert res.exit_code == 0, res.output
    assert query.scalar("SELECT channel FROM contacts") == "m_me_link"
    res = runner.invoke(
        cli, ["pages", "set", PAGE_ID, "--username", "acmebakery", "--db", str(db_path)]
    )
    assert res.exit_code == 0, res.output
    assert query.scalar("SELECT channel FROM contacts") == "qr_code"


def test_a_link_registered_before_the_ingest_attributes_directly(
    ingest_lines: Any, query: Any, db_path: Path
) -> None:
    con = db.connect(db_path)
    try:
        links.register(con, [links.make_link(PAGE_ID, "qr_flyer", "qr")])
    finally:
        con.close()
    ingest_lines(qr_contact_lines())
    assert query.scalar("SELECT channel FROM contacts") == "qr_code"


@pytest.mark.parametrize("registered", ["before", "after"], ids=["link-first", "ingest-first"])
def test_a_link_of_an_unmapped_username_is_not_a_page_pages_names_otherwise(
    registered: str, ingest_lines: Any, query: Any, runner: CliRunner, db_path: Path
) -> None:
    """The ref alone stands for an unmapped username's page only where the page's username is
    unknown: a page `pages` names northwindcoffee is not acmebakery, its m.me link no QR code."""
    res = runner.invoke(
        cli, ["pages", "set", PAGE_ID, "--username", "northwindcoffee", "--db", str(db_path)]
    )
    assert res.exit_code == 0, res.output
    create = ["links", "create", "--page", "acmebakery", "--ref", "qr_flyer", "--channel", "qr",
              "--out", str(db_path.parent / "codes"), "--db", str(db_path)]  # fmt: skip
    if registered == "before":
        assert runner.invoke(cli, create).exit_code == 0
    ingest_lines(qr_contact_lines())
    if registered == "after":
        assert runner.invoke(cli, create).exit_code == 0
    assert query.scalar("SELECT channel FROM contacts WHERE psid = ?", PSID) == "m_me_link"
    assert set(query("SELECT DISTINCT channel FROM events WHERE ref = 'qr_flyer'")) == {
        ("m_me_link",)
    }
