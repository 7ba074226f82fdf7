"""`refscope links list`: the registry, tab-separated when piped, on a terminal a table with each
link's URL under its row (links_screen), or as the CSV `links import` reads (links_csv)."""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path

import click
from rich.console import Console

from . import db, link_pages, links_csv, links_screen
from . import links as links_mod
from .cli_options import DB_OPTION
from .cli_stop import exits_when_stopped
from .terminal import say
from .wording import shown

# A tab or line break inside a value becomes a space; so do Unicode's line and paragraph
# separators, where a reader splitting lines as Unicode does (Python, JavaScript) would cut it.
TSV_SPACES = str.maketrans("\t\r\n\u2028\u2029", "     ")
URL, CREATED = 5, 6  # the columns of a link's URL and of when it was registered


FORMATS = ("table", "tsv", "csv")


@click.command("list")
@click.option("--format", "fmt", type=click.Choice(FORMATS),
              help="table: each link's URL whole under its row (the default on a terminal; "
                   "its notes left out where it is too narrow for them, as 80 columns are); "
                   "tsv: one tab-separated line a link (the default when piped); csv: the "
                   "columns `links import` reads, to register the same links, and the ids, "
                   "usernames and names of their pages, in another database.")  # fmt: skip
@DB_OPTION
@exits_when_stopped("stopped: nothing was written (a list only reads)")
def links_list(fmt: str | None, db_file: Path) -> None:
    """List registered links."""
    rows: list[tuple[object, ...]] = []
    pages = None
    if db_file.exists():  # with no database yet, no links: none is created to say so
        con = db.connect(db_file, read_only=True)  # beside a reader, on a read-only file
        try:
            with db.refscope_tables(con, db_file):  # --db naming another program's DuckDB file
                rows = links_mod.list_links(con)
                pages = link_pages.KnownPages(con)
        except db.NoDataYet:
            pass  # a DuckDB file no command wrote to: no links, as with no database yet
        finally:
            con.close()
    terminal = sys.stdout.isatty()
    fmt = fmt or ("table" if terminal else "tsv")
    if fmt == "csv":
        # Every value as stored, for `links import` to register it again; shown only where it
        # reaches a terminal, whose ESC it would drive.
        show: Callable[[str], str] = shown if terminal else str
        text = links_csv.registry_csv(rows, show, pages)
        click.echo(text.encode(), nl=False)  # bytes: UTF-8 whatever the locale says
        return
    # The notes last: a script's `cut -f6` still finds the URL.
    header = ("ref", "page", "channel", "campaign", "placement", "url", "created", "notes")
    cells = [[str(v) if v is not None else "" for v in row] for row in rows]
    if fmt == "tsv":
        # Whole values, one tab-separated line each, for cut, awk or a spreadsheet (a tab or
        # line break inside a value becomes a space); shown, as on a terminal: the lines may
        # yet reach one (`| column -t`, `| less -R`), and an ESC would drive it.
        for line in (header, *cells):
            click.echo("\t".join(shown(value.translate(TSV_SPACES)) for value in line))
        return
    if not cells:
        say(None, "no links registered in {} (see `refscope links create`)", db_file)
        return
    # As Text (links_screen): a campaign such as "[/x]" is not rich markup; shown: rich sends
    # an ESC in a Text to the terminal as it is (it strips only BEL and the like). When it was
    # created, to the second: its microseconds folded the column over lines. Piped, the
    # table is as wide as COLUMNS says, else 80.
    screen = []
    for row, (*values, note) in zip(rows, cells, strict=True):
        values[CREATED] = f"{row[CREATED]:%Y-%m-%d %H:%M:%S}" if row[CREATED] else ""
        url = values.pop(URL)
        shown_values = tuple(shown(v) for v in (*values, note.translate(TSV_SPACES)))
        screen.append(links_screen.ScreenLink(shown_values, shown(url)))
    links_screen.print_links(Console(), screen)
