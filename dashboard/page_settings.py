"""The Create links page's page form: a page's username (what m.me links carry) and display name,
saved as `refscope pages set` saves them (ingest.links.learn_page, with its rules).

No layout here: the page file draws the form and shows the outcome.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from dashboard import store
from ingest import db, links
from ingest.errors import RefscopeError

NOTHING_GIVEN = (
    "give a username, a name or both (a field left empty keeps what is stored, as an option "
    "left out of `refscope pages set`)"
)


@dataclass(frozen=True)
class StoredPage:
    """A page the form offers, with what `pages` holds of it."""

    page_id: str
    username: str | None = None
    name: str | None = None

    @property
    def stored(self) -> str:
        """What `pages` holds of it, in words."""
        if not (self.username or self.name):
            return "Nothing stored for this page yet."
        return f"Stored: username {self.username or '-'}, name {self.name or '-'}."

    @property
    def username_hint(self) -> str:
        return self.username or "as in https://m.me/<username>"

    @property
    def name_hint(self) -> str:
        return self.name or "as the page shows on Facebook"


def stored_pages() -> dict[str, StoredPage]:
    """The pages contacts arrived on and those `pages` holds, by page id (none without a
    database yet)."""
    if not store.has_database():
        return {}
    frame = store.fetch("page_names")
    return {
        str(r["page_id"]): StoredPage(
            str(r["page_id"]), *(None if pd.isna(r[c]) else str(r[c]) for c in ("username", "name"))
        )
        for r in frame.to_dict("records")
    }


@dataclass(frozen=True)
class Outcome:
    saved: bool
    message: str


def save(page_id: str, username: str, name: str) -> Outcome:
    """Map page_id to the username and display name given; an empty field keeps the stored value.
    A value that breaks a rule is refused with the rule, and nothing is written."""
    given_username, given_name = username or None, name or None
    if given_username is None and given_name is None:
        return Outcome(False, f"Not saved: {NOTHING_GIVEN}")
    try:
        links.check_page_id(page_id)  # before a database is opened (or made) for it
        links.check_page_names(given_username, given_name)  # so are the username and name
        with store.writing() as con, db.transaction(con):
            moved = links.learn_page(con, page_id, given_username, given_name)
    except RefscopeError as exc:
        return Outcome(False, f"Not saved: {exc}")
    parts = [f"username {given_username}" if given_username else "",
             f"name {given_name.strip()}" if given_name else ""]  # fmt: skip
    message = f"Saved page {page_id}: {', '.join(p for p in parts if p)}."
    for other, held in moved:
        message += f" Page {other} no longer has username {held}: a username is one page's."
    return Outcome(True, message)
