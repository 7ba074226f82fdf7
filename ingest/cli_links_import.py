"""`refscope links import`: many links from a CSV, with their QR codes and a print sheet."""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

import click

from . import db, link_pages, links_csv, qr
from . import links as links_mod
from .cli_codes import (
    CODE_OPTIONS,
    NOTHING_REGISTERED,
    no_folder_left,
    prepare_out,
    qr_options,
    qr_style,
    write_codes,
    write_file,
)
from .cli_options import DB_OPTION, given_options, named_options
from .cli_stop import Stopping, exits_when_stopped
from .terminal import say
from .wording import counted


@click.command("import")
@click.argument("csv_file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--via-redirect", "base_url", help="Point the links at refscope's /r/<ref> server.")
@click.option("--out", type=click.Path(file_okay=False, path_type=Path),
              help="Write the code of every qr row and a printable PDF sheet here.")  # fmt: skip
@qr_options
@DB_OPTION
def links_import(csv_file: Path, base_url: str | None, out: Path | None, db_file: Path,
                 **qr_args: Any) -> None:  # fmt: skip
    """Register many links from a CSV (page,ref,channel,campaign,placement,notes,url,created,
    page_id,page_username,page_name).

    Every row is checked first: if any is invalid, nothing is written.
    """
    with exits_when_stopped(NOTHING_REGISTERED) as stop:
        _import(stop, csv_file, base_url, out, db_file, qr_style(**qr_args))


def _import(stop: Stopping, csv_file: Path, base_url: str | None, out: Path | None,
            db_file: Path, style: qr.QrStyle) -> None:  # fmt: skip
    """links import, whose stop says what it leaves (stop.said)."""
    # Refused before any row is read; its ASCII form is what _say_redirect notes.
    written = links_mod.check_base_url(base_url) if base_url else None
    with no_folder_left(out):  # a refused import leaves no folder either
        existed = db_file.exists()
        if not existed:  # a refused import makes no database (nothing is written)
            report = links_csv.read_csv(csv_file, base_url)
            _say_redirect(base_url, written, report)
            _check_import(csv_file, report, out, style)
        stop.makes(db_file)
        con = db.connect(db_file)
        try:
            report = links_csv.read_csv(csv_file, base_url, registry=links_mod.Registry.load(con))
            if existed:  # else said of the first reading
                _say_redirect(base_url, written, report)
            codes = _check_import(csv_file, report, out, style)
            # The pages its rows name first (their usernames map its links' pages), all in one
            # transaction: a refusal writes nothing; a commit the disk refuses is one line.
            with db.transaction(con):
                named = link_pages.changed(con, report.pages)  # others are so already
                moved = links_mod.learn_pages(con, named, by="the file's page columns")
                added = links_mod.add_links(con, report.links)
            stop.said = _imported(out if codes else None)
            stored = links_mod.registered(con, report.links)
            registry = links_mod.Registry.load(con)
        finally:
            con.close()
    click.echo(
        f"registered {counted(len(added), 'new link')} "
        f"({len(report.links) - len(added)} already there)"
    )
    if report.pages:
        ids = ", ".join(page_id for page_id, *_ in named)
        same = len(report.pages) - len(named)
        say(None, "saved {} in pages (id, username, name){}{}", counted(len(named), "page"),
            f": {ids}" if ids else "", f" ({same} already so)" if same else "")  # fmt: skip
    for other, held in moved:
        say(None, "(page {} no longer has username {}: a username is one page's)", other, held,
            err=True)  # fmt: skip
    # As `links create` says it: a link registered before keeps its URL (and its codes encode
    # it), not the one this import gives (--via-redirect or not): its scans count where they did.
    kept = [s for s, x in zip(stored, report.links, strict=True) if s.url != x.url]
    if kept:
        keep = "keeps its" if len(kept) == 1 else "keep their"
        say(None, "({} registered before {} registered URL, not the one this import gives: {}; "
            "see `refscope links list`)", counted(len(kept), "link"), keep,
            _refs(kept, stored), err=True)  # fmt: skip
    if out and codes:
        _write_import_codes(out, stored, style, registry)
        stop.said = (f"stopped: the file's links are registered, their code files and print "
                     f"sheet written in {out}")  # fmt: skip
    elif out:
        say(None, "{} has no qr rows, so nothing was written to {} (a QR code is for a ref "
            "registered with channel qr)", csv_file, out, err=True)  # fmt: skip
    elif given := given_options(*CODE_OPTIONS):
        say(None, "(no QR code was written: {} for the codes --out writes; give --out DIR "
            "to write them)", named_options(given), err=True)  # fmt: skip


def _imported(out: Path | None) -> str:
    """What a stop leaves once the file's links are registered: with out, their codes and
    print sheet not all written."""
    if out is None:
        return "stopped: the file's links are registered"
    return (f"stopped: the file's links are registered, their code files and print sheet in "
            f"{out} not all written (none cut short is left): run the same `refscope links "
            "import` again to write them")  # fmt: skip


def _say_redirect(
    base_url: str | None, written: str | None, report: links_csv.ImportReport
) -> None:
    """What is said of --via-redirect's address (written: as check_base_url gave it), once
    (before a refusal of bad rows too): its note and warning when a row's link is made through
    it; when every row read gives its own url (which wins over it), that it was used by none,
    and nothing of the address."""
    if not base_url or not written:
        return
    if not report.made_urls:
        if report.own_urls:
            say(None, "(--via-redirect {} was used by no row: each row gives its own url, which "
                "wins over it)", base_url, err=True)  # fmt: skip
        return
    if note := links_mod.ascii_note(base_url, written):
        say(None, "({})", note, err=True)
    if warning := links_mod.doubled_r_warning(written):
        say(None, "warning: {}", warning, err=True)


def _refs(listed: list[links_mod.Link], imported: list[links_mod.Link]) -> str:
    """The refs of listed, comma-separated, each one on several of the imported links (two
    pages' flyers of one ref) with its page, as registered: `qr_flyer (page acmebakery)`, so
    the list says which row is which."""
    rows = Counter(x.ref for x in imported)
    return ", ".join(f"{x.ref} (page {x.page})" if rows[x.ref] > 1 else x.ref for x in listed)


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
        prepare_out(out)
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
    from . import qr_sheet  # fpdf: a quarter second no other command needs

    codes = _import_codes(stored)
    sheet = out / "print-sheet.pdf"
    names = [links_mod.code_name(registry, x) for x in codes]
    lines = write_codes(out, codes, style, names)
    drawn = qr_sheet.drawn_sheet([links_mod.sheet_label(x) for x in codes], style)
    lines.append(write_file(sheet, drawn.pdf))
    replaced = sum(line.startswith("replaced") for line in lines)
    say(None, "wrote {} and {}", counted(len(codes), "code"), sheet)
    if drawn.lacking:  # said on the sheet too, below the cells
        say(None, "({}: {} printed with {} for characters its font lacks, the codes of {}; "
            "the sheet notes which)", sheet, counted(len(drawn.lacking), "label"), drawn.mark,
            _refs([codes[i] for i in drawn.lacking], codes), err=True)  # fmt: skip
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
