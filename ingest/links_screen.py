"""`refscope links list` on a screen: a table with each link's URL whole on a line of its own
under its row (a URL folded over lines in a column could not be copied, clicked or grepped
whole), without its notes where they leave the other columns too narrow, or, where even those
would be too narrow to read, a block of lines a link."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from rich import box
from rich.cells import cell_len
from rich.console import Console, Group, RenderableType
from rich.table import Column, Table
from rich.text import Text

FIELDS = ("ref", "page", "channel", "campaign", "placement", "created", "notes")
# The narrowest each column gets (less when its widest value is narrower): a ref folds over
# lines of 16 characters, a page of 15 (a page id of 15 digits whole), a campaign or placement
# of 10, `created` wraps as its date and time, "m_me_link" stays whole; a note, one line, is cut
# with "…". A terminal too narrow for these lists the links without their notes (NO_NOTES).
NARROWEST = (16, 15, 9, 10, 10, 10, 8)
# Where those do not fit (98 columns; a terminal's 80 are fewer), the table leaves out the notes,
# a glance cut with "…" anyway (whole in --format tsv and csv), folds a ref over lines of 12 and
# wraps a campaign at 8, a placement at 9 (their names whole): 80 columns. Narrower, blocks.
NO_NOTES = (12, 15, 9, 8, 9, 10)
NOTE_WIDTH = 30  # the widest a note's column is
NAME_WIDTH = max(map(len, FIELDS))  # of a block's names
URL_INDENT = "   "  # a URL under its row, set off from the refs


@dataclass(frozen=True)
class ScreenLink:
    """One link as printed: its values in FIELDS order (control characters shown as \\xNN, the
    notes on one line), and its URL."""

    values: tuple[str, ...]
    url: str


def print_links(console: Console, links: Sequence[ScreenLink]) -> None:
    """The links as a table whose columns fit the console, else as blocks; each URL whole on a
    line of its own, however wide the console: not folded nor cut at its width (crop=False,
    overflow "ignore"), the terminal wraps a longer line on the screen, still one line to copy,
    click or grep."""
    widths = column_widths(console.width, links)
    if widths is None:
        widths = column_widths(console.width, links, NO_NOTES)
    parts = _blocks(links) if widths is None else _rows(links, widths)
    console.print(Group(*parts), crop=False)


def _url(line: str) -> Text:
    return Text(line, no_wrap=True, overflow="ignore")


def _rows(links: Sequence[ScreenLink], widths: list[int]) -> Iterator[RenderableType]:
    """The table's header, then each link's row with its URL under it."""
    yield _table(widths, show_header=True)
    for link in links:
        table = _table(widths, show_header=False)
        table.add_row(*(Text(v) for v in link.values[: len(widths)]))
        yield table
        yield _url(URL_INDENT + link.url)


def column_widths(
    width: int, links: Sequence[ScreenLink], floors: Sequence[int] = NARROWEST
) -> list[int] | None:
    """The width of each of the first len(floors) columns in a table `width` wide: its widest
    value where they all fit, else the widest columns narrowed alike, none below its floor; None
    when even those do not fit."""
    widest = [max(cell_len(v) for v in (name, *(x.values[i] for x in links)))
              for i, name in enumerate(FIELDS[: len(floors)])]  # fmt: skip
    if len(floors) == len(FIELDS):
        widest[-1] = min(widest[-1], NOTE_WIDTH)
    narrowest = [min(w, floor) for w, floor in zip(widest, floors, strict=True)]
    room = width - _frame(len(floors))
    if sum(narrowest) > room:
        return None
    for level in range(max(widest), 0, -1):  # the widest columns cut to one level
        widths = [max(low, min(w, level)) for w, low in zip(widest, narrowest, strict=True)]
        if sum(widths) <= room:
            return widths
    return narrowest


def _frame(columns: int) -> int:
    """What a table of `columns` takes besides its values: a space each side of a cell, and a
    line between cells."""
    return 2 * columns + columns - 1


def _table(widths: list[int], show_header: bool) -> Table:
    """The table's header, or one row of it: the first len(widths) columns, of fixed widths, so
    that the rows printed one by one (each with its URL under it) line up."""
    names = FIELDS[: len(widths)]
    columns = [
        Column(name, width=w, overflow="fold") for name, w in zip(names, widths, strict=True)
    ]
    if len(widths) == len(FIELDS):  # a note is read, not copied: one line, cut with "…"
        columns[-1] = Column(FIELDS[-1], width=widths[-1], overflow="ellipsis", no_wrap=True)
    return Table(*columns, box=box.MINIMAL, show_edge=False, show_header=show_header)


def _blocks(links: Sequence[ScreenLink]) -> Iterator[RenderableType]:
    """Each link as lines of `name  value` (a long value folded in its column, a note cut with
    "…"), ending with its URL; a blank line between links."""
    for i, link in enumerate(links):
        if i:
            yield Text()
        grid = Table.grid(Column(width=NAME_WIDTH), Column(overflow="fold"), padding=(0, 2))
        for name, value in zip(FIELDS, link.values, strict=True):
            if value:  # a campaign, placement or note not given
                note = name == "notes"
                grid.add_row(name, Text(value, no_wrap=note, overflow="ellipsis" if note else None))
        yield grid
        yield _url(f"{'url':<{NAME_WIDTH}}  {link.url}")
