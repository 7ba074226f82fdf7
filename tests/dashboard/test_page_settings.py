"""The Create links page's page form (dashboard.page_settings): a page's username and display
name saved as `refscope pages set` saves them, under the same rules."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from dashboard import page_settings
from ingest import links
from ingest.cli import cli
from tests.conftest import Query
from tests.factories import PAGE_ID
from tests.ingest.links_setup import qr_contact_lines

OTHER_PAGE = "9988776655"


@pytest.fixture(autouse=True)
def dashboard_db(db_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("REFSCOPE_DB", str(db_path))
    return db_path


def test_a_username_saved_lets_a_link_made_by_it_find_its_contacts(
    ingest_lines: Any, runner: CliRunner, db_path: Path, query: Query
) -> None:
    ingest_lines(qr_contact_lines())  # a contact on PAGE_ID through ref qr_flyer
    for page, channel in (("acmebakery", "qr"), ("otherbakery", "link")):  # the ref alone: two
        args = ["--page", page, "--ref", "qr_flyer", "--channel", channel, "--db", str(db_path)]
        res = runner.invoke(cli, ["links", "create", *args, "--out", str(db_path.parent)])
        assert res.exit_code == 0, res.output
    assert query("SELECT channel FROM contacts") == [("m_me_link",)]
    outcome = page_settings.save(PAGE_ID, "acmebakery", "Acme Bakery")
    assert outcome == page_settings.Outcome(
        True, f"Saved page {PAGE_ID}: username acmebakery, name Acme Bakery."
    )
    assert query("SELECT * FROM pages") == [(PAGE_ID, "acmebakery", "Acme Bakery")]
    assert query("SELECT channel FROM contacts") == [("qr_code",)]  # relabelled, as pages set
    assert page_settings.stored_pages() == {
        PAGE_ID: page_settings.StoredPage(PAGE_ID, "acmebakery", "Acme Bakery")
    }


def test_an_empty_field_keeps_what_is_stored(query: Query) -> None:
    assert page_settings.save(PAGE_ID, "acmebakery", "").saved
    assert page_settings.save(PAGE_ID, "", "  Acme Bakery ").message == (
        f"Saved page {PAGE_ID}: name Acme Bakery."
    )
    assert query("SELECT * FROM pages") == [(PAGE_ID, "acmebakery", "Acme Bakery")]
    refused = page_settings.save(PAGE_ID, "", "")
    assert refused == page_settings.Outcome(False, f"Not saved: {page_settings.NOTHING_GIVEN}")


@pytest.mark.parametrize(
    ("page_id", "username", "name", "rule"),
    [
        (PAGE_ID, "acme", "", "(4 characters): " + links.USERNAME_RULE),
        (PAGE_ID, "12345678", "", "(no letter: all digits is a page id)"),
        (PAGE_ID, " acmebakery", "Acme", "(leading or trailing whitespace)"),
        (PAGE_ID, "acme.com", "", "(ends in .com)"),
        (PAGE_ID, "acmebakery", "   ", "invalid page name (blank)"),
        ("0123", "acmebakery", "", "(a page id starting with 0)"),
        ("acmebakery", "acmebakery", "", "a page id is numeric"),
        ("", "acmebakery", "", "invalid page ''"),
    ],
    ids=[
        "short",
        "all-digits",
        "spaces",
        "dot-com",
        "blank-name",
        "leading-0",
        "username-id",
        "no-id",
    ],  # fmt: skip
)
def test_a_bad_value_is_refused_with_its_rule_and_nothing_is_written(
    query: Query, page_id: str, username: str, name: str, rule: str
) -> None:
    outcome = page_settings.save(page_id, username, name)
    assert not outcome.saved and outcome.message.startswith("Not saved: ")
    assert rule in outcome.message, outcome.message
    assert query("SELECT * FROM pages") == []


@pytest.mark.parametrize(("username", "name"), [("acme", ""), ("acmebakery", "   ")])
def test_a_refusal_makes_no_database(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, username: str, name: str
) -> None:
    """A bad username or a blank name was checked only once the database was opened, so the
    form on a dashboard with no database yet made one, with nothing in it, and said "Not
    saved"."""
    new_db = tmp_path / "none-yet" / "new.duckdb"
    new_db.parent.mkdir()
    monkeypatch.setenv("REFSCOPE_DB", str(new_db))
    assert not page_settings.save(PAGE_ID, username, name).saved
    assert not list(new_db.parent.iterdir())


def test_a_username_given_to_another_page_leaves_the_first_and_says_so(query: Query) -> None:
    assert page_settings.save(OTHER_PAGE, "Acme.Bakery", "Old").saved
    outcome = page_settings.save(PAGE_ID, "acmebakery", "")
    assert outcome.saved
    assert outcome.message.endswith(
        f"Page {OTHER_PAGE} no longer has username Acme.Bakery: a username is one page's."
    )
    assert sorted(query("SELECT * FROM pages")) == [
        (PAGE_ID, "acmebakery", None), (OTHER_PAGE, None, "Old")
    ]  # fmt: skip


def test_a_mapping_that_would_give_a_ref_two_meanings_is_refused(
    runner: CliRunner, db_path: Path, query: Query
) -> None:
    for page, campaign in (("acmebakery", "spring"), (PAGE_ID, "summer")):
        args = ["--page", page, "--ref", "flyer", "--campaign", campaign, "--db", str(db_path)]
        assert runner.invoke(cli, ["links", "create", *args]).exit_code == 0
    outcome = page_settings.save(PAGE_ID, "acmebakery", "Acme")
    assert not outcome.saved and links.ONE_MEANING_RULE in outcome.message
    assert query("SELECT * FROM pages") == []
