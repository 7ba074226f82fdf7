"""`refscope links` and `refscope pages`: tracked links, QR codes and the page registry.

`links import` and `links list` are in cli_links_import and cli_links_list; the QR options and
the writing of code files, which create, import and qr share, in cli_codes."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from . import db, qr
from . import links as links_mod
from .cli_codes import (
    CODE_OPTIONS,
    NOTHING_REGISTERED,
    no_folder_left,
    prepare_out,
    qr_options,
    qr_style,
    write_code,
)
from .cli_links_import import links_import
from .cli_links_list import links_list
from .cli_options import (
    DB_OPTION,
    AnyCase,
    RefArgumentCommand,
    given_options,
    named_options,
    page_ids,
)
from .cli_stop import exits_when_stopped
from .terminal import say


@click.group()
def links() -> None:
    """Make tracked m.me links and QR codes, and keep their registry."""


links.add_command(links_import)
links.add_command(links_list)

# A code of an m.me link's ref would count its scans as link clicks, not as QR scans.
QR_ONLY_RULE = (
    "a QR code is for a ref registered with channel qr (make one with `refscope links create "
    "--channel qr` and a new ref)"
)


def _registered(link: links_mod.Link, out: Path) -> str:
    """What a stop leaves once link is registered: its code files not all written."""
    if link.channel != "qr_code":
        return f"stopped: {link.ref} is registered"
    return (f"stopped: {link.ref} is registered, its code files in {out} not all written (none "
            f"cut short is left): write them with `refscope links qr {link.ref}`")  # fmt: skip


@links.command("create")
@click.option("--page", required=True, help="Page username or numeric id.")
@click.option("--ref", help="The ref; default: campaign-placement-YYYY_MM.")
# In any case, as an import's channel column: QR is stored as qr.
@click.option("--channel", type=AnyCase(["link", "qr"]), default="link", show_default=True)
@click.option("--campaign")
@click.option("--placement")
@click.option("--notes")
@click.option("--via-redirect", "base_url", help="Point the link at refscope's /r/<ref> server.")
@click.option("--out", type=click.Path(file_okay=False, path_type=Path), default=Path("."),
              show_default=True, help="Where QR codes are written.")  # fmt: skip
@qr_options
@DB_OPTION
def links_create(page: str, ref: str | None, channel: str, campaign: str | None,
                 placement: str | None, notes: str | None, base_url: str | None, out: Path,
                 db_file: Path, **qr_args: Any) -> None:  # fmt: skip
    """Register a tracked link and print its URL; with --channel qr also write PNG and SVG."""
    with exits_when_stopped(NOTHING_REGISTERED) as stop:
        if ref is not None:  # an empty --ref "$REF" is a bad ref, not "build from the campaign"
            links_mod.check_ref(ref)
        link = links_mod.make_link(page, ref, channel, campaign, placement, notes, base_url)
        if base_url and link.base_url and (note := links_mod.ascii_note(base_url, link.base_url)):
            say(None, "({})", note, err=True)
        if link.base_url and (warning := links_mod.doubled_r_warning(link.base_url)):
            say(None, "warning: {}", warning, err=True)
        style = qr_style(**qr_args)
        with no_folder_left(out if link.channel == "qr_code" else None):
            if link.channel == "qr_code":
                prepare_out(out)
                qr.matrix(link.url, style.checked())  # a code that would not scan: none registered
            stop.makes(db_file)
            con = db.connect(db_file)
            try:
                added = links_mod.register(con, [link])
                stop.said = _registered(link, out)
                (stored,) = links_mod.registered(con, [link])
                registry = links_mod.Registry.load(con)
            finally:
                con.close()
        say(None, "{}", stored.url)
        if not added:
            say(None, "(already registered: {} for page {})", stored.ref, stored.page, err=True)
            if stored.url != link.url:
                say(None, "(the registered URL is kept, not {})", link.url, err=True)
        if link.channel == "qr_code":
            for line in write_code(out, registry, stored, style):
                say(None, "{}", line, err=True)
            stop.said = f"stopped: {link.ref} is registered, its code files written in {out}"
        elif given := given_options("out", *CODE_OPTIONS):
            say(None, "(no QR code was written: {} for a QR code, --channel qr; an m.me link "
                "gets none)", named_options(given), err=True)  # fmt: skip


@links.command("qr", cls=RefArgumentCommand)
@click.argument("ref")
@click.option("--page", help="When the ref is a QR code of several pages.")
@click.option("--out", type=click.Path(file_okay=False, path_type=Path), default=Path("."),
              show_default=True)  # fmt: skip
@qr_options
@DB_OPTION
def links_qr(ref: str, page: str | None, out: Path, db_file: Path, **qr_args: Any) -> None:
    """Write the QR code (PNG and SVG) of a ref registered as qr again."""
    with exits_when_stopped("stopped before writing anything: nothing was written") as stop:
        style = qr_style(**qr_args)
        registry, link = _qr_link(ref, page, db_file)
        prepare_out(out)
        stop.said = (f"stopped: the code files of {ref} in {out} are not all written (none cut "
                     "short is left): run `refscope links qr` again")  # fmt: skip
        for line in write_code(out, registry, link, style):
            say(None, "{}", line)
        stop.said = f"stopped: the code files of {ref} are written in {out}"


def _qr_link(
    ref: str, page: str | None, db_file: Path
) -> tuple[links_mod.Registry, links_mod.Link]:
    """The registry and the QR code link of ref (on page), or its refusal."""
    links_mod.check_ref(ref)  # a bad ref or page is refused with its rule, not "not registered"
    if page is not None:
        links_mod.check_page(page)
    if not db_file.exists():
        raise click.ClickException(
            f"ref {ref!r} is not registered: {db_file}: no database yet (see `refscope links "
            "create`)"
        )
    con = db.connect(db_file, read_only=True)
    try:
        with db.refscope_tables(con, db_file):  # --db naming another program's DuckDB file
            registry = links_mod.Registry.load(con)
    except db.NoDataYet:  # a DuckDB file no command wrote to: no links, as with no database yet
        raise click.ClickException(
            f"ref {ref!r} is not registered: {db_file}: an empty database, no data yet (see "
            "`refscope links create`)"
        ) from None
    finally:
        con.close()
    found = registry.find(ref, page)
    if not found and page and (elsewhere := registry.find(ref)):
        raise click.ClickException(
            f"ref {ref!r} is not registered for page {page!r}, only for "
            f"{', '.join(repr(x.page) for x in elsewhere)} (see `refscope links list`)"
        )
    if not found:
        raise click.ClickException(f"ref {ref!r} is not registered (see `refscope links list`)")
    if len(found) > 1:
        # Of a ref on several pages, a code is written for the QR ones only: one such needs no
        # --page (the others are m.me links, refused below when named).
        codes = [x for x in found if x.channel == "qr_code"]
        if not codes:
            pages_ = ", ".join(repr(x.page) for x in found)
            raise click.ClickException(
                f"ref {ref!r} is registered for pages {pages_} as m.me links, not a QR code: "
                f"{QR_ONLY_RULE}"
            )
        if len(codes) > 1:
            pages_ = ", ".join(x.page for x in codes)
            raise click.ClickException(
                f"ref {ref!r} is registered as a QR code for several pages ({pages_}): give --page"
            )
        found = codes
    (link,) = found
    if link.channel != "qr_code":
        raise click.ClickException(
            f"ref {ref!r} is registered for page {link.page!r} as an m.me link, not a QR code: "
            f"{QR_ONLY_RULE}"
        )
    return registry, link


@click.group()
def pages() -> None:
    """Map numeric page ids (in webhooks) to usernames (in m.me links) and names."""


@pages.command("set")
@click.argument("page_id", callback=page_ids)
@click.option("--username", help="The page's username, as in https://m.me/<username>.")
@click.option("--name", help="Display name.")
@DB_OPTION
def pages_set(page_id: str, username: str | None, name: str | None, db_file: Path) -> None:
    """Record a page's username and display name; links made by username then find it.

    An option left out keeps what was stored before.
    """
    with exits_when_stopped("stopped before saving anything: nothing was written") as stop:
        if username is None and name is None:
            raise click.UsageError("give --username, --name or both")
        links_mod.check_page_names(username, name)  # a refusal makes no database (writes nothing)
        stop.makes(db_file)
        con = db.connect(db_file)
        try:
            with db.transaction(con):
                moved = links_mod.learn_page(con, page_id, username, name)
            stop.said = f"stopped: page {page_id} is saved"
            row = con.execute(
                "SELECT username, name FROM pages WHERE page_id = ?", [page_id]
            ).fetchone()
        finally:
            con.close()
        # In the block: a stop as it says so is told that the page is saved, not "Aborted!".
        stored_username, stored_name = row or (None, None)
        say(None, "page {}: username {}, name {}", page_id, stored_username or "-",
            stored_name or "-")  # fmt: skip
        for other, held in moved:
            say(None, "(page {} no longer has username {}: a username is one page's)", other,
                held, err=True)  # fmt: skip
