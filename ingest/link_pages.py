"""A links CSV's page columns: the `pages` row (id, username, display name) of each row's page,
as `links list --format csv` writes them and `links import` saves them (as `refscope pages set`
does), so that a registry moved to another database keeps the pages its links name.

A link names its page by username or by numeric id; the page's other name and its display
name are what `pages` knows of it: without them, a link made by username finds no contact of
its page (they arrive under the page id), and reports show the page's id, not its name.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import duckdb

from .errors import ValidationError
from .link_rules import check_page, check_page_id, check_username, is_page_id, username_key
from .links import Registry, check_page_names, same_text

PAGE_COLUMNS = ("page_id", "page_username", "page_name")
PAGE_COLUMNS_RULE = (
    "page_id, page_username and page_name are the `pages` row of the row's page (its numeric "
    "id, username and display name): page_id is the page itself when it is an id, "
    "page_username when it is a username (either may then be empty), and a page named by "
    "username gives page_id for the others to be saved"
)
ONE_PAGE_RULE = "a page has one username and one name, and a username is one page's"
Saved = tuple[str, str | None, str | None]  # (page id, username, name) as `pages set` takes them


@dataclass(frozen=True)
class PageNames:
    """What a row says of its page: saved as `pages set PAGE_ID --username U --name N`."""

    page_id: str
    username: str | None
    name: str | None


def row_page(row: dict[str, str]) -> PageNames | None:
    """The page names a row gives (None: none), checked against each other and the row's page
    (a page that breaks its rule is said by the link's own check)."""
    page = row.get("page", "")
    # A blank cell gives nothing; an id or username with spaces around it is refused, as a
    # page is, never trimmed.
    given = [row.get(c, "") for c in PAGE_COLUMNS]
    page_id, username, name = (value if value.strip() else None for value in given)
    if page_id is username is name is None:
        return None
    try:
        check_page(page)
    except ValidationError:
        return None
    if page_id is not None:
        check_page_id(page_id)
    if username is not None:
        check_username(username)
    if is_page_id(page) and page_id not in (None, page):
        raise ValidationError(f"page_id {page_id!r} is not the row's page {page!r}: "
                              f"{PAGE_COLUMNS_RULE}")  # fmt: skip
    if not is_page_id(page):
        if username is not None and username_key(username) != username_key(page):
            raise ValidationError(f"page_username {username!r} is not the row's page {page!r}: "
                                  f"{PAGE_COLUMNS_RULE}")  # fmt: skip
        if page_id is None:
            raise ValidationError(f"no page_id for page {page!r}: {PAGE_COLUMNS_RULE}")
        username = username or page
    try:
        name = check_page_names(None, name)
    except ValidationError as exc:
        raise ValidationError(f"page_name: {exc}") from None
    return PageNames(page_id or page, username, name)


@dataclass
class FilePages:
    """The pages a file names, each with the line that first named it."""

    pages: dict[str, tuple[int, PageNames]] = field(default_factory=dict)  # page id → first
    holders: dict[str, str] = field(default_factory=dict)  # username_key → its page's id

    def add(self, line: int, names: PageNames) -> str | None:
        """Take a row's page names; the rule they break against earlier rows, or None."""
        key = username_key(names.username) if names.username else None
        holder = self.holders.get(key) if key else None
        if holder is not None and holder != names.page_id:
            return (f"username {names.username!r} is page {holder}'s on line "
                    f"{self.pages[holder][0]}, here page {names.page_id}'s: "
                    f"{ONE_PAGE_RULE}")  # fmt: skip
        first = self.pages.get(names.page_id)
        if first is not None:
            was = first[1]
            if holder is None and was.username and names.username:  # another username
                return (f"page {names.page_id} has username {was.username!r} on line "
                        f"{first[0]}, here {names.username!r}: {ONE_PAGE_RULE}")  # fmt: skip
            if was.name and names.name and not same_text(was.name, names.name):
                return (f"page {names.page_id} is named {was.name!r} on line {first[0]}, here "
                        f"{names.name!r}: {ONE_PAGE_RULE}")  # fmt: skip
            names = PageNames(was.page_id, was.username or names.username, was.name or names.name)
        self.pages[names.page_id] = (first[0] if first else line, names)
        if key:
            self.holders[key] = names.page_id
        return None

    def saved(self) -> list[Saved]:
        """(page id, username, name) of each page, in the order the file names them."""
        return [(x.page_id, x.username, x.name) for _line, x in self.pages.values()]

    def mapped(self, registry: Registry) -> Registry:
        """registry with its usernames mapped, and its links found, as they will be once these
        pages are saved (a page's username replaces the one it had; another page holding it
        loses it)."""
        page_ids = dict(registry.page_ids)
        for page_id, username, _name in self.saved():
            if username is not None:
                page_ids = {k: v for k, v in page_ids.items() if v != page_id}
                page_ids[username_key(username)] = page_id
        mapped = Registry(page_ids=page_ids)
        for link in registry.links.values():  # in the order registered: the first one kept
            mapped.links.setdefault(mapped.key(link), link)
        return mapped


class KnownPages:
    """The `pages` rows, found by a link's page: its id, or its username (in any case, with or
    without periods)."""

    def __init__(self, con: duckdb.DuckDBPyConnection) -> None:
        rows = con.execute("SELECT page_id, username, name FROM pages ORDER BY page_id")
        self.by_id: dict[str, tuple[str, str | None, str | None]] = {}
        self.by_username: dict[str, tuple[str, str | None, str | None]] = {}
        for page_id, username, name in rows.fetchall():
            self.by_id[page_id] = (page_id, username, name)
            if username:
                self.by_username.setdefault(username_key(username), (page_id, username, name))

    def of(self, page: str) -> tuple[str | None, str | None, str | None]:
        """(page id, username, name) of page, each None where `pages` has none."""
        if is_page_id(page):
            return self.by_id.get(page, (None, None, None))
        return self.by_username.get(username_key(page), (None, None, None))


def changed(con: duckdb.DuckDBPyConnection, pages: list[Saved]) -> list[Saved]:
    """The pages (id, username, name) that saving would change: those `pages` does not already
    hold so (a value not given keeps the stored one)."""
    known = KnownPages(con).by_id
    return [(page_id, username, name) for page_id, username, name in pages
            if (stored := known.get(page_id)) is None
            or username not in (None, stored[1]) or name not in (None, stored[2])]  # fmt: skip
