"""No data yet: the app on a schema-only, a missing or a foreign database says what to do next."""

from __future__ import annotations

import shlex
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest

from ingest import db
from tests.dashboard.screen import shown


@pytest.fixture
def no_db(tmp_path: Path) -> Iterator[Path]:
    path = tmp_path / "missing.duckdb"
    yield path
    assert not path.exists()  # looking must not create the database


@pytest.mark.parametrize("state", ["schema-only", "missing"])
def test_without_contacts_the_app_says_what_to_run_next(open_app, db_path, no_db, state):
    path = db_path if state == "schema-only" else no_db
    at = open_app(path)
    at.run()
    assert not at.exception, [e.message for e in at.exception]
    assert shown(at.info[0].value).startswith(f"No contacts in {path} yet")
    assert "refscope ingest" in at.code[0].value
    assert not at.metric and not at.get("plotly_chart")
    assert f"refscope ingest data/demo --db {path}" in at.code[0].value
    # the demo's QR codes registered first, as `make demo` does: else no QR code channel
    commands = at.code[0].value.splitlines()
    assert commands.index(f"refscope links import data/demo/tracked-links.csv --db {path}") < (
        commands.index(f"refscope ingest data/demo --db {path}")
    )
    # the demo's pages named, as `make demo` does: else every chart and filter shows page ids
    from ingest.demo_catalog import PAGES

    named = [shlex.split(c)[3:] for c in commands if c.startswith("refscope pages set ")]
    assert named == [[page, "--username", user, "--name", name, "--db", str(path)]
                     for page, user, name in PAGES]  # fmt: skip


def test_the_database_path_is_shown_as_given(open_app, tmp_path):
    """The path was put into the note as markdown: a folder `_demo_` showed in italics, and
    its underscores were lost. It is shown as given."""
    path = tmp_path / "_demo_" / "refscope.duckdb"
    at = open_app(path)
    at.run()
    assert not at.exception, [e.message for e in at.exception]
    note = at.info[0].value
    assert shown(note).startswith(f"No contacts in {path} yet") and "/_demo_/" not in note


@pytest.mark.parametrize("state", ["schema-only", "missing"])
def test_links_are_made_on_create_links_before_any_contact_arrived(
    open_app, db_path, tmp_path, state
):
    """A team prints its first QR codes before anyone has scanned one: Create links is there
    on a database without contacts (or none yet), and registers into it."""
    path = db_path if state == "schema-only" else tmp_path / "new" / "refscope.duckdb"
    at = open_app(path)
    at.run()
    assert shown(at.info[0].value).startswith(f"No contacts in {path} yet")
    at.switch_page("app_pages/create_links.py").run()
    assert not at.exception, [e.message for e in at.exception]
    assert [t.value for t in at.title] == ["Create links"]
    assert "No links registered yet." in [c.value for c in at.caption]
    at.selectbox[0].select("other…").run()
    at.text_input[0].input("1122334455667788").run()  # the page's id
    at.text_input[3].input("first_flyer").run()  # ref
    (register,) = [b for b in at.button if b.label == "Register"]
    register.click().run()
    assert not at.exception, [e.message for e in at.exception]
    con = db.connect(path, read_only=True)
    try:
        rows = con.execute("SELECT ref, page FROM tracked_links").fetchall()
    finally:
        con.close()
    assert rows == [("first_flyer", "1122334455667788")]
    assert list(at.dataframe[0].value["ref"]) == ["first_flyer"]


@pytest.mark.parametrize("kind", ["empty-file", "other-tables", "a-folder"])
def test_a_file_that_is_not_a_refscope_database_is_said_so(open_app, tmp_path, kind):
    path = tmp_path / "other.duckdb"
    if kind == "empty-file":
        path.touch()
    elif kind == "other-tables":
        con = duckdb.connect(str(path))
        con.execute("CREATE TABLE t (a INTEGER)")
        con.close()
    else:
        path.mkdir()
    at = open_app(path)
    at.run()
    assert not at.exception, [e.message for e in at.exception]
    assert str(path) in shown(at.error[0].value)
    assert "refscope ingest" in at.code[0].value
    assert not at.metric
