"""`refscope links` and `refscope pages`: tracked links, QR codes and the page registry."""

from __future__ import annotations

import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import click
import duckdb
from rich.console import Console
from rich.table import Table
from rich.text import Text

from . import db, links_csv, preflight, qr, qr_sheet
from . import links as links_mod
from .cli_options import DB_OPTION, RefArgumentCommand, given_options, page_ids
from .terminal import say
from .wording import counted, shown


@click.group()
def links() -> None:
    """Make tracked m.me links and QR codes, and keep their registry."""


QR_OPTIONS = [
    click.option("--box-size", default=10, show_default=True,
                 help="Pixels per QR module, {} to {}.".format(*qr.BOX_SIZES)),
    click.option("--border", default=4, show_default=True,
                 help="Quiet zone in modules, {} to {}.".format(*qr.BORDERS)),
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


# A code of an m.me link's ref would count its scans as link clicks, not as QR scans.
QR_ONLY_RULE = (
    "a QR code is for a ref registered with channel qr (make one with `refscope links create "
    "--channel qr` and a new ref)"
)
OUT_RULE = "--out must be a directory refscope can create and write to"
CODE_OPTIONS = ("box_size", "border", "error_correction", "fg", "bg", "logo")  # QR_OPTIONS' names


def _prepare_out(out: Path) -> Path:
    """Create the codes' directory and prove it writable, before anything is registered: a
    link registered whose code cannot be written would be a half-done command."""
    preflight.check_writable_dir(out, "codes", OUT_RULE)
    return out


def _write_codes(out: Path, codes: Sequence[links_mod.Link], style: qr.QrStyle,
                 names: Sequence[str] | None = None) -> list[str]:  # fmt: skip
    """Write each link's PNG and SVG, named by `links.code_names` unless names are given; one
    line per file saying whether it was written or replaced an older file (never silently)."""
    done: list[str] = []
    for link, name in zip(codes, names or links_mod.code_names(codes), strict=True):
        done.append(_write(out / f"{name}.png", qr.png_bytes(link.url, style)))
        done.append(_write(out / f"{name}.svg", qr.svg_bytes(link.url, style)))
    return done


def _write_code(out: Path, registry: links_mod.Registry, link: links_mod.Link,
                style: qr.QrStyle) -> list[str]:  # fmt: skip
    """Write one registered code (links qr, links create), named by `links.code_name`: a ref
    registered as a QR code for another page too, or equal but for case to another registered
    QR code's, gets a name of its own, and says so."""
    name = links_mod.code_name(registry, link)
    lines = _write_codes(out, [link], style, [name])
    if links_mod.other_pages(registry, link):
        lines.append(
            f"named <ref>.<page>.png/.svg, as {link.ref} is a QR code of several pages (one "
            "file each)"
        )
    if links_mod.case_twin(registry, link):
        lines.append(
            f"named <ref>~<hash>.png/.svg, as another QR code's ref differs from {link.ref} "
            "only in case (one file to a file system that ignores case)"
        )
    return lines


def _write(path: Path, data: bytes) -> str:
    """Write one file; 'wrote PATH', or 'replaced PATH' when a file was there."""
    verb = "replaced" if path.exists() else "wrote"
    opened = False
    try:
        with open(path, "wb") as fh:
            opened = True
            fh.write(data)
    except OSError as exc:
        if opened:  # a full disk: a code cut short would not scan, nor open
            path.unlink(missing_ok=True)
        raise click.ClickException(f"cannot write {path}: {exc.strerror or exc}") from exc
    return f"{verb} {path}"


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
    if ref is not None:  # an empty --ref "$REF" is a bad ref, not "build one from the campaign"
        links_mod.check_ref(ref)
    link = links_mod.make_link(page, ref, channel, campaign, placement, notes, base_url)
    if base_url and link.base_url and (note := links_mod.ascii_note(base_url, link.base_url)):
        say(None, "({})", note, err=True)
    style = _style(**qr_args)
    if link.channel == "qr_code":
        _prepare_out(out)
        qr.matrix(link.url, style.checked())  # a code that would not scan registers nothing
    con = db.connect(db_file)
    try:
        added = links_mod.register(con, [link])
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
        for line in _write_code(out, registry, stored, style):
            say(None, "{}", line, err=True)
    elif given := given_options("out", *CODE_OPTIONS):
        say(None, "(no QR code was written: {} are for a QR code, --channel qr; an m.me link "
            "gets none)", ", ".join(given), err=True)  # fmt: skip


@links.command("import")
@click.argument("csv_file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--via-redirect", "base_url", help="Point the links at refscope's /r/<ref> server.")
@click.option("--out", type=click.Path(file_okay=False, path_type=Path),
              help="Write the code of every qr row and a printable PDF sheet here.")  # fmt: skip
@qr_options
@DB_OPTION
def links_import(csv_file: Path, base_url: str | None, out: Path | None, db_file: Path,
                 **qr_args: Any) -> None:  # fmt: skip
    """Register many links from a CSV (page,ref,channel,campaign,placement,notes).

    Every row is checked first: if any is invalid, nothing is written.
    """
    style = _style(**qr_args)
    if base_url:  # once, not on every row
        if note := links_mod.ascii_note(base_url, links_mod.check_base_url(base_url)):
            say(None, "({})", note, err=True)
    if not db_file.exists():  # a refused import makes no database (nothing is written)
        _check_import(csv_file, links_csv.read_csv(csv_file, base_url), out, style)
    con = db.connect(db_file)
    try:
        report = links_csv.read_csv(csv_file, base_url, registry=links_mod.Registry.load(con))
        codes = _check_import(csv_file, report, out, style)
        added = links_mod.register(con, report.links)
        stored = links_mod.registered(con, report.links)
        registry = links_mod.Registry.load(con)
    finally:
        con.close()
    click.echo(
        f"registered {counted(len(added), 'new link')} "
        f"({len(report.links) - len(added)} already there)"
    )
    # As `links create` says it: a link registered before keeps its URL (and its codes encode
    # it), not the one this import gives (--via-redirect or not): its scans count where they did.
    kept = [s for s, x in zip(stored, report.links, strict=True) if s.url != x.url]
    if kept:
        keep = "keeps its" if len(kept) == 1 else "keep their"
        say(None, "({} registered before {} registered URL, not the one this import gives: {}; "
            "see `refscope links list`)", counted(len(kept), "link"), keep,
            ", ".join(x.ref for x in kept), err=True)  # fmt: skip
    if out and codes:
        _write_import_codes(out, stored, style, registry)
    elif out:
        say(None, "{} has no qr rows, so nothing was written to {} (a QR code is for a ref "
            "registered with channel qr)", csv_file, out)  # fmt: skip
    elif given := given_options(*CODE_OPTIONS):
        say(None, "(no QR code was written: {} are for the codes --out writes; give --out DIR "
            "to write them)", ", ".join(given), err=True)  # fmt: skip


def _check_import(csv_file: Path, report: links_csv.ImportReport, out: Path | None,
                  style: qr.QrStyle) -> list[links_mod.Link]:  # fmt: skip
    """Refuse the import before anything is registered: each bad row of the report with its
    line and rule, an --out that cannot be written, a code that would not scan. Returns the
    links whose codes are written (no qr row: no folder is made)."""
    if report.errors:
        for err in report.errors:
            say(None, "{}:{}", csv_file, str(err), err=True)
        raise click.ClickException(
            f"{counted(len(report.errors), 'invalid row')}; nothing was registered"
        )
    codes = _import_codes(report.links)
    if out and codes:
        _prepare_out(out)
        for link in codes:  # a code that would not scan registers nothing
            qr.matrix(link.url, style.checked())
    return codes


def _import_codes(imported: list[links_mod.Link]) -> list[links_mod.Link]:
    """The links of an import whose codes are written: its QR codes only (a code printed for
    an m.me link's ref would count its scans as m.me link clicks)."""
    return [x for x in imported if x.channel == "qr_code"]


def _write_import_codes(out: Path, stored: list[links_mod.Link], style: qr.QrStyle,
                        registry: links_mod.Registry) -> None:  # fmt: skip
    """Every QR code of an import and the print sheet of them, each named as `links qr` names
    it (links.code_name): a ref that is a QR code of several pages, in the file or registered
    before, is `<ref>.<page>`, so no page's code is written over another's."""
    codes = _import_codes(stored)
    sheet = out / "print-sheet.pdf"
    names = [links_mod.code_name(registry, x) for x in codes]
    lines = _write_codes(out, codes, style, names)
    drawn = qr_sheet.drawn_sheet([links_mod.sheet_label(x) for x in codes], style)
    lines.append(_write(sheet, drawn.pdf))
    replaced = sum(line.startswith("replaced") for line in lines)
    say(None, "wrote {} and {}", counted(len(codes), "code"), sheet)
    if drawn.lacking:  # said on the sheet too, below the cells
        say(None, "({}: {} printed with {} for characters its font lacks, the codes of {}; "
            "the sheet notes which)", sheet, counted(len(drawn.lacking), "label"), drawn.mark,
            ", ".join(codes[i].ref for i in drawn.lacking), err=True)  # fmt: skip
    shared = sorted({x.ref for x in codes if links_mod.other_pages(registry, x)})
    if shared:
        click.echo(
            f"named <ref>.<page>.png/.svg, as their ref is on several pages: {', '.join(shared)}"
        )
    cased = sorted({x.ref for x in codes if links_mod.case_twin(registry, x)})
    if cased:
        click.echo(
            "named <ref>~<hash>.png/.svg, as their refs differ only in case (one file to a "
            f"file system that ignores case): {', '.join(cased)}"
        )
    if replaced:
        were = "was" if replaced == 1 else "were"
        say(None, "replaced {} that {} already in {}", counted(replaced, "file"), were, out)


# A tab or line break inside a value becomes a space; so do Unicode's line and paragraph
# separators, where a reader splitting lines as Unicode does (Python, JavaScript) would cut it.
TSV_SPACES = str.maketrans("\t\r\n\u2028\u2029", "     ")
NOTE_WIDTH = 30  # the widest a note's column is on a terminal


@links.command("list")
@DB_OPTION
def links_list(db_file: Path) -> None:
    """List registered links."""
    rows: list[tuple[object, ...]] = []
    if db_file.exists():  # with no database yet, no links: none is created to say so
        con = db.connect(db_file, read_only=True)  # beside a reader, on a read-only file
        try:
            rows = links_mod.list_links(con)
        except duckdb.CatalogException as exc:  # --db naming another program's DuckDB file
            raise db.not_refscope(db_file, exc) from None
        finally:
            con.close()
    # The notes last: a script's `cut -f6` still finds the URL.
    header = ("ref", "page", "channel", "campaign", "placement", "url", "created", "notes")
    cells = [[str(v) if v is not None else "" for v in row] for row in rows]
    if not sys.stdout.isatty():
        # Piped: whole values, one tab-separated line each, for cut, awk or a spreadsheet (a tab
        # or line break inside a value becomes a space); shown, as on a terminal: the lines may
        # yet reach one (`| column -t`, `| less -R`), and an ESC would drive it.
        for line in (header, *cells):
            click.echo("\t".join(shown(value.translate(TSV_SPACES)) for value in line))
        return
    if not cells:
        say(None, "no links registered in {} (see `refscope links create`)", db_file)
        return
    # On a terminal, a value too wide for its column folds onto more lines rather than being
    # cut with "…": a ref or URL cut short could not be copied (rich's default ellipsises).
    table = Table()
    for name in header[:-1]:
        table.add_column(name, overflow="fold", no_wrap=False)
    # A note is read, not copied: one line, cut with "…" where its column ends.
    table.add_column(header[-1], overflow="ellipsis", no_wrap=True, max_width=NOTE_WIDTH)
    # As Text: a campaign such as "[/x]" is not rich markup; shown: rich sends an ESC in a Text
    # to the terminal as it is (it strips only BEL and the like).
    for *values, note in cells:
        table.add_row(*(Text(shown(v)) for v in (*values, note.translate(TSV_SPACES))))
    Console().print(table)


@links.command("qr", cls=RefArgumentCommand)
@click.argument("ref")
@click.option("--page", help="When the ref is registered for several pages.")
@click.option("--out", type=click.Path(file_okay=False, path_type=Path), default=Path("."),
              show_default=True)  # fmt: skip
@qr_options
@DB_OPTION
def links_qr(ref: str, page: str | None, out: Path, db_file: Path, **qr_args: Any) -> None:
    """Write the QR code (PNG and SVG) of a ref registered as qr again."""
    style = _style(**qr_args)
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
        registry = links_mod.Registry.load(con)
    except duckdb.CatalogException as exc:  # --db naming another program's DuckDB file
        raise db.not_refscope(db_file, exc) from None
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
        pages_ = ", ".join(x.page for x in found)
        raise click.ClickException(
            f"ref {ref!r} is registered for several pages ({pages_}): give --page"
        )
    (link,) = found
    if link.channel != "qr_code":
        raise click.ClickException(
            f"ref {ref!r} is registered for page {link.page!r} as an m.me link, not a QR code: "
            f"{QR_ONLY_RULE}"
        )
    _prepare_out(out)
    for line in _write_code(out, registry, link, style):
        say(None, "{}", line)


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
    if username is None and name is None:
        raise click.UsageError("give --username, --name or both")
    links_mod.check_page_names(username, name)  # a refusal makes no database (writes nothing)
    con = db.connect(db_file)
    try:
        with db.transaction(con):
            moved = links_mod.learn_page(con, page_id, username, name)
        row = con.execute(
            "SELECT username, name FROM pages WHERE page_id = ?", [page_id]
        ).fetchone()
    finally:
        con.close()
    stored_username, stored_name = row or (None, None)
    say(None, "page {}: username {}, name {}", page_id, stored_username or "-",
        stored_name or "-")  # fmt: skip
    for other, held in moved:
        say(None, "(page {} no longer has username {}: a username is one page's)", other, held,
            err=True)  # fmt: skip
