"""A link naming a page the database knows only from `refscope pages set` (no contact has
arrived on it yet): its warning said there was no such page in the database."""

from __future__ import annotations

from pathlib import Path

from ingest import db, links
from tests.dashboard.screen import show, shown


def test_a_link_naming_a_page_without_contacts_says_it_has_none_yet(open_app, demo_copy: Path):
    con = db.connect(demo_copy)
    try:
        links.learn_page(con, "123456789", "springshop", "Spring shop")
    finally:
        con.close()
    at = show(open_app(demo_copy, page=["123456789", "4242"]), "overview")
    (warning,) = [shown(w.value) for w in at.main.warning]
    assert "page '123456789' (Spring shop) has no contacts yet" in warning, warning
    assert "'123456789' in this database" not in warning, warning
    assert "no page '4242' in this database" in warning  # one no table knows
    assert not at.query_params.get("page")  # every page shown
