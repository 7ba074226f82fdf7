"""The ingest summary a person reads after a run (also after `pull logs`)."""

from __future__ import annotations

import click
from rich.console import Console
from rich.table import Table
from rich.text import Text

from . import lake, spills
from .run_result import IngestResult
from .sizes import size_text
from .terminal import say
from .wording import counted, shown


def notices() -> Console:
    """Where a command's warnings and notices go: stderr, so that a summary kept (`refscope
    ingest … > summary.txt`, a script parsing it) holds none, and a terminal shows them when
    stdout is redirected."""
    return Console(stderr=True, emoji=False)  # a name's ':fire:' is no emoji code


def print_summary(console: Console, r: IngestResult, notes: Console | None = None) -> None:
    """Each sentence on one line however narrow the output (soft_wrap): a log written by cron
    keeps a run's figures on one line, for grep, and the terminal wraps them for the eye. Its
    warnings and the spill files removed are said on notes (default: stderr, notices())."""
    notes = notes or notices()
    print_warnings(notes, r.warnings)
    print_spilled(notes, r.spilled)
    if r.lake is not None:
        print_lake(console, r.lake, notes)
    if r.files_read == 0 and r.lines == 0:  # a file read in part has its lines counted
        files = counted(r.files, "file")
        console.print(f"nothing new to read in {files} ({r.seconds:.2f} s)", soft_wrap=True)
        return
    resumed = " (resumed: the counts and seconds include its interrupted part)" if r.resumed else ""
    # Click lines become `clicks` rows, neither events nor rejects: said when there are any,
    # with how many are new (a log read again, or gzipped since, holds clicks already stored).
    clicks = f"{counted(r.clicks_read, 'click')} ({r.clicks_added:,} new), " if (
        r.clicks_read or r.clicks_added) else ""  # fmt: skip
    # Ad insights lines likewise become `ad_insights` rows, or none where newer ones are held.
    if r.insights_added or r.insights_not_newer:
        kept = f" ({r.insights_not_newer:,} not newer than those held, not stored)"
        clicks += f"{counted(r.insights_added, 'ad insights row')}"
        clicks += f"{kept if r.insights_not_newer else ''}, "
    # Rejected lines dated before the latest prune are pruned history, as its events: not kept.
    pruned = (f" ({counted(r.rejects_left_out, 'rejected line')} left out: pruned)"
              if r.rejects_left_out else "")  # fmt: skip
    console.print(
        f"run {r.run_id}{resumed}: {r.files_read:,} of {counted(r.files, 'file')} read, "
        f"{counted(r.lines, 'line')}, "
        f"{counted(r.events_parsed, 'event')} ({r.events_added:,} new, "
        f"{counted(r.duplicates, 'duplicate')}"
        f"{f', {r.left_out:,} left out: forgotten or pruned' if r.left_out else ''}), "
        f"{clicks}"
        f"{counted(r.rejects_added, 'reject')}{pruned}, "
        f"{counted(r.new_contacts, 'new contact')} "
        f"in {r.seconds:.2f} s ({r.events_per_second:,.0f} events/s)",
        soft_wrap=True,
    )
    for title, counts in (
        ("events by kind", r.events_by_kind),
        ("new contacts by channel", r.new_contacts_by_channel),
        ("earlier contacts whose channel changed", r.channel_changes),
        ("rejects by reason", r.rejects_by_reason),
    ):
        if not counts:
            continue
        table = Table(
            title=title, title_justify="left", show_header=False, box=None, min_width=len(title)
        )
        for key, n in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])):
            table.add_row(Text(shown(key)), f"{n:,}")  # a reason quotes the data: "[/x]" too
        console.print(table)


def print_lake(
    console: Console | None, sync: lake.SyncResult, notes: Console | None = None
) -> None:
    """A lake sync's line on console (none: click.echo's stdout), and what it left out as a
    warning on notes (default: stderr, notices()): a summary kept holds the line alone."""
    if console is None:
        click.echo(sync.line())
    else:
        console.print(sync.line(), soft_wrap=True)
    print_warnings(notes or notices(), sync.warnings())


def print_spilled(console: Console | None, removed: spills.Removed | None) -> None:
    """The temporary files of a killed process that the run removed, if any (spills.py): a
    notice, on console (a stderr one) or, with none, on stderr (a run that failed after it
    removed them)."""
    if removed is not None:
        say(console, "removed {} ({}) that a killed process had spilled to {}",
            counted(removed.files, "temporary file"), size_text(removed.bytes), removed.folder,
            err=True, highlight=False, soft_wrap=True)  # fmt: skip


def print_warnings(console: Console, warnings: list[str]) -> None:
    """Each warning on console: a stderr one (notices()), as every command's are."""
    for warning in warnings:
        say(console, "[yellow]warning:[/] {}", warning, highlight=False, soft_wrap=True)
