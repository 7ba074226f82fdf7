"""The Create links form refuses notes over 10,000 characters with the rule, as `links create`
and `links import` do (tests/ingest/test_links_notes_limit.py), and offers nothing to register."""

from __future__ import annotations

from ingest.link_rules import NOTES_MAX, NOTES_RULE
from tests.dashboard.conftest import opened
from tests.dashboard.screen import show, shown


def test_create_links_refuses_notes_over_the_limit_with_the_rule(open_app, demo_copy):
    at = show(open_app(demo_copy), "create_links")
    for i, value in enumerate(("spring", "window", "spring_window")):
        at.text_input[i].input(value).run()
    (notes,) = [t for t in at.text_input if t.label == "Notes"]
    notes.input("n" * (NOTES_MAX + 1)).run()
    assert [shown(e.value) for e in at.error] == [f"notes of 10,001 characters: {NOTES_RULE}"]
    assert not at.code and not [b for b in at.button if b.label == "Register"]
    with opened(demo_copy) as con:
        assert con.execute("SELECT count(*) FROM tracked_links").fetchone() == (0,)
