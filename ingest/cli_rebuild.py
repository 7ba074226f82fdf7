"""`refscope rebuild`: the logs read again into a new database, under this version's rules."""

from __future__ import annotations

import shlex
from pathlib import Path

import click
from rich.console import Console

from . import db, memory_share, spills
from .cli_options import DB_OPTION
from .cli_progress import ReadBar
from .cli_stop import Stop, stop_on_signals
from .summary import print_spilled, print_summary
from .terminal import say


@click.command()
@click.argument("paths", nargs=-1)
@DB_OPTION
@click.option("--out", required=True, type=click.Path(dir_okay=False, path_type=Path),
              help="The new database file to write; it must not exist yet.")  # fmt: skip
@click.option("--keep-text/--no-keep-text", default=None,
              help="Store message text (default: when the database to rebuild holds any, or "
              "REFSCOPE_KEEP_TEXT=1).")  # fmt: skip
@click.option("--allow-missing", is_flag=True,
              help="Rebuild although inputs the database read are gone or changed: their "
              "events are not in the new file.")  # fmt: skip
@click.option("--progress/--no-progress", default=None,
              help="Force the progress bar on or off (default: on a terminal, for 50 MB or "
              "more).")  # fmt: skip
def rebuild(
    paths: tuple[str, ...],
    db_file: Path,
    out: Path,
    keep_text: bool | None,
    allow_missing: bool,
    progress: bool | None,
) -> None:
    """Read the logs again into a new database file, under this version's rules.

    Rows an earlier version stored keep its rules (event keys, channels: see CHANGELOG.md).
    Without PATHS it reads every input the database read before. Pages, tracked links,
    forgotten people, prunes and pulled ad insights are carried over. The database is left as
    it is: check the new file, then put it in its place.
    """
    from . import rebuild as rebuild_mod  # Arrow and NumPy, as ingest: only a rebuild loads them

    if not db_file.exists():
        raise click.ClickException(f"{db_file}: no database to rebuild")
    rebuild_mod.check_out(db_file, out)
    old = memory_share.connect_limited(db_file, read_only=True)  # as every step of the rebuild
    try:
        with db.refscope_tables(old, db_file):  # another program's file: no table of refscope's
            found = rebuild_mod.inputs(old, list(paths))
    except db.NoDataYet:  # a DuckDB file no command wrote to
        raise click.ClickException(f"{db_file}: an empty database, no data to rebuild") from None
    finally:
        old.close()
    problem = found.problem()
    console = Console(emoji=False)  # a file name's ':fire:' is no emoji code
    if problem and not allow_missing:
        raise click.ClickException(
            f"{problem}. Give them as PATH (or the files that hold their lines now), or pass "
            "--allow-missing to rebuild without their events"
        )
    if problem:
        say(None, "left out (--allow-missing): {}", problem, err=True)
    if not found.files:
        raise click.ClickException(f"nothing to read: {db_file} read no file that is still there; "
                                   "give the logs as PATH")  # fmt: skip
    bar = ReadBar(console, progress)
    stop = Stop()
    restore = stop_on_signals(stop)  # SIGTERM too: a stop must not leave a half-built file
    spilled: list[spills.Removed] = []  # said with the summary, or before the error if it fails
    try:
        done = rebuild_mod.rebuild(db_file, out, found.files, keep_text, on_plan=bar.plan,
                                   progress=bar.advance, covered=found.covered,
                                   on_spilled=spilled.append)  # fmt: skip
        stop.after = f"stopped: {out} is written whole; {db_file} is unchanged"
    except BaseException:
        bar.stop()
        for removed in spilled:
            print_spilled(None, removed)
        # A stop inside a DuckDB query surfaces as its "interrupted" error: stopped all the same.
        if not stop.is_set():
            raise
        stop.ends_saying(f"stopped: {out} is not written (a rebuild is whole or nothing); "
                         f"{db_file} is unchanged")  # fmt: skip
    finally:
        restore()
        bar.stop()
    print_summary(console, done.result)
    carried = ", ".join(f"{t} {n:,}" for t, n in done.carried.items())
    say(console, "carried over from {}: {}", db_file, carried, soft_wrap=True)
    rows = ", ".join(f"{t} {done.before[t]:,} → {done.after[t]:,}" for t in done.before)
    console.print(f"rows before → after: {rows}", soft_wrap=True)
    console.print(f"message text {'kept' if done.keep_text else 'not kept'}", soft_wrap=True)
    # What to do next: advice, on stderr, shown on the terminal when the report is kept.
    # Quoted for the shell it is pasted into: a space or a `$` in a path moved no file.
    mv = shlex.join(["mv", *(_no_option(p) for p in (out, db_file))])
    say(None, "{} is unchanged. Check {}, then put it in its place (with no refscope process "
        "running): {}", db_file, out, mv, err=True)  # fmt: skip


def _no_option(path: Path) -> str:
    """A path as an argument `mv` cannot read as an option (`-new.duckdb` is `./-new.duckdb`)."""
    return f"./{path}" if str(path).startswith("-") else str(path)
