"""The dashboard's Create links page on a database with a QR contact ingested: a seen ref
registered from the page, and previews that encode the registered URL."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from ingest.cli import cli
from tests.factories import PAGE_ID
from tests.ingest.links_setup import qr_contact_lines


def create_links_page(db_path: Path, monkeypatch: pytest.MonkeyPatch) -> Any:
    """The dashboard's Create links page on db_path, through Streamlit's AppTest."""
    from streamlit.testing.v1 import AppTest  # only these tests drive the dashboard

    monkeypatch.setenv("REFSCOPE_DB", str(db_path))
    app = Path(__file__).resolve().parents[2] / "dashboard" / "streamlit_app.py"
    at = AppTest.from_file(str(app), default_timeout=60)
    at.switch_page("app_pages/create_links.py")
    at.run()
    assert not at.exception, [e.message for e in at.exception]
    return at


def test_registering_a_seen_ref_on_the_page_shows_the_new_registry_at_once(
    ingest_lines: Any, db_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    ingest_lines(qr_contact_lines())
    at = create_links_page(db_path, monkeypatch)
    assert "No links registered yet." in [c.value for c in at.caption]
    (button,) = [b for b in at.button if b.label == "Register as QR code"]
    button.click().run()
    assert not at.exception, [e.message for e in at.exception]
    # As markdown, the ref escaped: the toast shows "Registered qr_flyer."
    assert [t.value for t in at.toast] == ["Registered qr\\_flyer\\."]
    assert list(at.dataframe[0].value["ref"]) == ["qr_flyer"]
    assert "Refs seen in the logs but not registered" not in [s.value for s in at.subheader]


def test_the_page_previews_a_registered_link_with_its_registered_url(
    ingest_lines: Any, runner: CliRunner, db_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    ingest_lines(qr_contact_lines())
    args = ["--page", "acmebakery", "--ref", "bio_link", "--via-redirect", "https://go.example"]
    res = runner.invoke(cli, ["links", "create", *args, "--db", str(db_path)])
    assert res.exit_code == 0, res.output
    at = create_links_page(db_path, monkeypatch)
    at.selectbox[0].select("other…").run()
    at.text_input[0].input("AcmeBakery").run()  # page
    at.text_input[3].input("bio_link").run()  # ref
    redirect = "https://go.example/r/bio_link?page=acmebakery&qr=0"
    assert [c.value for c in at.code] == [redirect]  # the URL the downloads encode


@pytest.mark.parametrize(
    ("registered_as", "previewed_as"),
    [(PAGE_ID, "AcmeBakery"), ("acmebakery", PAGE_ID)],
    ids=["id-previewed-by-username", "username-previewed-by-id"],
)
def test_the_page_previews_a_link_of_the_same_page_under_its_other_name_with_its_url(
    ingest_lines: Any,
    runner: CliRunner,
    db_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    registered_as: str,
    previewed_as: str,
) -> None:
    """A username and the page id `pages` maps it to are one page: the registry holds the link
    already (`links create` keeps its URL), so the preview and its downloads encode the
    registered redirect, not an m.me URL that counts no scan (the page offers the username)."""
    ingest_lines(qr_contact_lines())
    res = runner.invoke(
        cli, ["pages", "set", PAGE_ID, "--username", "acmebakery", "--db", str(db_path)]
    )
    assert res.exit_code == 0, res.output
    args = ["--page", registered_as, "--ref", "bio_link", "--via-redirect", "https://go.example"]
    res = runner.invoke(cli, ["links", "create", *args, "--db", str(db_path)])
    assert res.exit_code == 0, res.output
    redirect = f"https://go.example/r/bio_link?page={registered_as}&qr=0"
    res = runner.invoke(cli, ["links", "create", "--page", previewed_as, "--ref", "bio_link",
                              "--db", str(db_path)])  # fmt: skip
    assert res.exit_code == 0 and res.stdout.strip() == redirect, res.output
    at = create_links_page(db_path, monkeypatch)
    at.selectbox[0].select("other…").run()
    at.text_input[0].input(previewed_as).run()  # page
    at.text_input[3].input("bio_link").run()  # ref
    assert [c.value for c in at.code] == [redirect]  # the URL the downloads encode
