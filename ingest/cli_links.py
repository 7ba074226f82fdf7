"""`refscope links` and `refscope pages`: tracked links, QR codes and the page registry."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import click
from rich.console import Console
from rich.table import Table

from . import db, qr
from . import links as links_mod
from .cli_options import DB_OPTION


@click.group()
def links() -> None:
    """Make tracked m.me links and QR codes, and keep their registry."""


QR_OPTIONS = [
    click.option("--box-size", default=10, show_default=True, help="Pixels per QR module."),
    click.option("--border", default=4, show_default=True, help="Quiet zone in modules."),
    click.option("--error-correction", type=click.Choice(list(qr.ERROR_LEVELS)), default="M",
                 show_default=True, help="QR error-correction level (a logo forces H)."),
    click.option("--fg", default="#000000", show_default=True, help="Foreground colour."),
    click.option("--bg", default="#ffffff", show_default=True, help="Background colour."),
    click.option("--logo", type=click.Path(exists=True, dir_okay=False, path_type=Path),
                 help="Image placed in the centre of the code."),
]  # fmt: skip


def qr_options(fn: Callable[..., None]) -> Callable[..., None]:
    for option in reversed(QR_OPTIONS):
        fn = option(fn)
    return fn


def _style(box_size: int, border: int, error_correction: str, fg: str, bg: str,
           logo: Path | None) -> qr.QrStyle:  # fmt: skip
    return qr.QrStyle(box_size, border, error_correction, fg, bg,
                      logo.read_bytes() if logo else None).checked()  # fmt: skip


def _write_codes(out: Path, link: links_mod.Link, style: qr.QrStyle) -> list[Path]:
    out.mkdir(parents=True, exist_ok=True)
    png, svg = out / f"{link.ref}.png", out / f"{link.ref}.svg"
    png.write_bytes(qr.png_bytes(link.url, style))
    svg.write_bytes(qr.svg_bytes(link.url, style))
    return [png, svg]


@links.command("create")
@click.option("--page", required=True, help="Page username or numeric id.")
@click.option("--ref", help="The ref; default: campaign-placement-YYYY_MM.")
@click.option("--channel", type=click.Choice(["link", "qr"]), default="link", show_default=True)
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
    link = links_mod.make_link(page, ref, channel, campaign, placement, notes, base_url)
    style = _style(**qr_args)
    con = db.connect(db_file)
    try:
        added = links_mod.register(con, [link])
    finally:
        con.close()
    click.echo(link.url)
    if not added:
        click.echo(f"(already registered: {link.ref})", err=True)
    if link.channel == "qr_code":
        for path in _write_codes(out, link, style):
            click.echo(f"wrote {path}", err=True)


@links.command("import")
@click.argument("csv_file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--via-redirect", "base_url", help="Point the links at refscope's /r/<ref> server.")
@click.option("--out", type=click.Path(file_okay=False, path_type=Path),
              help="Write every QR code and a printable PDF sheet here.")  # fmt: skip
@qr_options
@DB_OPTION
def links_import(csv_file: Path, base_url: str | None, out: Path | None, db_file: Path,
                 **qr_args: Any) -> None:  # fmt: skip
    """Register many links from a CSV (page,ref,channel,campaign,placement,notes).

    Every row is checked first: if any is invalid, nothing is written.
    """
    style = _style(**qr_args)
    report = links_mod.read_csv(csv_file, base_url)
    if report.errors:
        for err in report.errors:
            click.echo(f"{csv_file}:{err}", err=True)
        raise click.ClickException(f"{len(report.errors)} invalid rows; nothing was registered")
    con = db.connect(db_file)
    try:
        added = links_mod.register(con, report.links)
    finally:
        con.close()
    click.echo(
        f"registered {len(added)} new links ({len(report.links) - len(added)} already there)"
    )
    if out:
        codes = [x for x in report.links if x.channel == "qr_code"] or report.links
        for link in codes:
            _write_codes(out, link, style)
        sheet = out / "print-sheet.pdf"
        sheet.write_bytes(qr.print_sheet(
            [(x.url, x.ref, " / ".join(p for p in (x.campaign, x.placement) if p)) for x in codes],
            style))  # fmt: skip
        click.echo(f"wrote {len(codes)} codes and {sheet}")


@links.command("list")
@DB_OPTION
def links_list(db_file: Path) -> None:
    """List registered links."""
    con = db.connect(db_file)
    try:
        rows = links_mod.list_links(con)
    finally:
        con.close()
    table = Table("ref", "page", "channel", "campaign", "placement", "url", "created")
    for row in rows:
        table.add_row(*(str(v) if v is not None else "" for v in row))
    Console().print(table)


@links.command("qr")
@click.argument("ref")
@click.option("--page", help="When the ref is registered for several pages.")
@click.option("--out", type=click.Path(file_okay=False, path_type=Path), default=Path("."),
              show_default=True)  # fmt: skip
@qr_options
@DB_OPTION
def links_qr(ref: str, page: str | None, out: Path, db_file: Path, **qr_args: Any) -> None:
    """Write the QR code (PNG and SVG) of a registered link again."""
    style = _style(**qr_args)
    con = db.connect(db_file)
    try:
        rows = con.execute(
            "SELECT ref, page, channel, campaign, placement, notes, url FROM tracked_links "
            "WHERE ref = ? AND (? IS NULL OR lower(page) = lower(?))",
            [ref, page, page],
        ).fetchall()
    finally:
        con.close()
    if not rows:
        raise click.ClickException(f"ref {ref!r} is not registered (see `refscope links list`)")
    if len(rows) > 1:
        raise click.ClickException(f"ref {ref!r} is registered for several pages: give --page")
    r = rows[0]
    link = links_mod.Link(r[0], r[1], r[2], r[3], r[4], r[5])
    for path in _write_codes(out, link, style):
        click.echo(f"wrote {path}")


@click.group()
def pages() -> None:
    """Map numeric page ids (in webhooks) to usernames (in m.me links) and names."""


@pages.command("set")
@click.argument("page_id")
@click.option("--username", help="The page's username, as in https://m.me/<username>.")
@click.option("--name", help="Display name.")
@DB_OPTION
def pages_set(page_id: str, username: str | None, name: str | None, db_file: Path) -> None:
    """Record a page's username and display name; links made by username then find it.

    An option left out keeps what was stored before.
    """
    if username is None and name is None:
        raise click.UsageError("give --username, --name or both")
    con = db.connect(db_file)
    try:
        links_mod.learn_page(con, page_id, username, name)
        row = con.execute(
            "SELECT username, name FROM pages WHERE page_id = ?", [page_id]
        ).fetchone()
    finally:
        con.close()
    stored_username, stored_name = row or (None, None)
    click.echo(f"page {page_id}: username {stored_username or '-'}, name {stored_name or '-'}")
