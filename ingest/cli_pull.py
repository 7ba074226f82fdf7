"""`refscope pull`: logs and ad insights over HTTP."""

from __future__ import annotations

import datetime as dt
import functools
import os
import re
from contextlib import nullcontext
from pathlib import Path
from typing import TYPE_CHECKING

import click
from rich.console import Console
from rich.text import Text

from . import memory_share, spills
from .cli_deadline import ADS_DEADLINE_OPTION, LOGS_DEADLINE_OPTION, DeadlinePassed, Timer
from .cli_ingest_stops import Said
from .cli_options import DB_OPTION, lake_option
from .cli_progress import ReadBar, on_a_terminal
from .cli_stop import LAKE_BEHIND, Stop, stop_on_signals
from .errors import RefscopeError
from .graph_url import DEFAULT_API_VERSION, DEFAULT_BASE_URL
from .summary import notices, print_lake, print_spilled, print_summary, print_warnings
from .terminal import say
from .wording import counted, shown

if TYPE_CHECKING:
    from .graph import PullResult

# As `ingest --lake`: what a pull stores reaches the lake at once, not at the next ingest.
_LAKE_OPTION = lake_option(
    "Also bring this Parquet lake (written by `ingest --lake`; or REFSCOPE_LAKE) in line."
)

# What a stopped `pull ads` leaves: before its rows are stored, once they are, and before its
# lake is brought in line (as `ingest --lake` stopped in its sync, the next sync catches up).
_NOTHING_STORED = ("stopped: nothing was stored (a pull stores its rows at once, when every page "
                   "has come); the next `refscope pull ads` asks again")  # fmt: skip
_STORED = "stopped: the pulled rows are stored"
# What a stopped `pull logs` leaves as its ingest goes (pipeline.Stage): its batches, then its
# run committed (given --lake, the lake behind until its sync ends, as `ingest --lake`'s).
_GOES_ON = ("stopped: what was committed stays; the next `refscope pull logs` of this URL goes on "
            "from there")  # fmt: skip
_COMMITTED = "stopped: the pull is committed"

# The spool file a pull is read from (fetch.py names it): an error about it is about the URL.
_SPOOL = re.compile(r"\S*refscope-pull-\d+-\d+")


@click.group()
def pull() -> None:
    """Bring logs and ad spend in over HTTP."""


@pull.command("logs")
@click.argument("url")
@click.option("--header", "headers", multiple=True,
              help="An HTTP header 'Name: value'; repeat. Credentials go in "
                   "REFSCOPE_PULL_HEADERS ('Name: value', one a line), out of `ps`.")  # fmt: skip
@click.option("--progress/--no-progress", default=None,
              help="Force the progress bars (download, then ingest) on or off (default: on a "
                   "terminal, for 50 MB or more).")  # fmt: skip
@LOGS_DEADLINE_OPTION
@_LAKE_OPTION
@DB_OPTION
def pull_logs(url: str, headers: tuple[str, ...], progress: bool | None, deadline: float | None,
              lake_dir: Path | None, db_file: Path) -> None:  # fmt: skip
    """Stream an NDJSON (or .gz) log from URL into the database; later pulls ask for new bytes."""
    from . import fetch, pull_headers, remote  # httpx: no command but a pull loads it

    console = Console(emoji=False)  # a URL's ':fire:' is no emoji code
    download, ingest = ReadBar(console, progress, "download"), ReadBar(console, progress)

    def on_plan(total: int) -> None:  # downloaded: the ingest's bar follows
        download.stop()
        ingest.plan(total)

    sent = pull_headers.given_headers(headers, os.environ)
    for warning in pull_headers.credentials_in_argv(headers):
        click.echo(f"warning: {warning}", err=True)
    stop = Stop()
    restore = stop_on_signals(stop)  # Ctrl-C and SIGTERM stop it as they stop `ingest`
    spilled: list[spills.Removed] = []  # said in the summary, or on stderr if the run fails
    # What a stop leaves, as the ingest goes.
    said = Said(lake=lake_dir is not None, before=_GOES_ON, resumes=_GOES_ON, committed=_COMMITTED)
    try:
        result = remote.pull_logs(url, sent, db_file,
                                  on_bytes=download.reach, on_plan=on_plan,
                                  progress=ingest.advance, deadline=deadline,
                                  lake_dir=lake_dir, on_spilled=spilled.append,
                                  on_stage=said.reached)  # fmt: skip
        # Nothing new: a lake the database changed since is brought in line under this
        # handler too, as `ingest --lake`'s: a stop in it says the lake is behind, as ingest's.
        caught_up = None
        if result is None and lake_dir is not None:
            said.reached("lake")
            caught_up = remote.catch_up_lake(db_file, lake_dir)
        stop.after = _COMMITTED
    except BaseException as exc:
        download.stop()
        ingest.stop()
        for removed in spilled:
            print_spilled(None, removed)
        # A stop inside a DuckDB query surfaces as its "interrupted" error: stopped all the same.
        if stop.is_set():
            stop.ends_saying(said.line)
        if not isinstance(exc, RefscopeError):
            raise
        # "<spool>: cannot read: Not a gzipped file" names a file the user never saw.
        named = _SPOOL.sub(lambda _: fetch.safe_url(url), str(exc))
        if named == str(exc):
            raise
        raise click.ClickException(named) from exc
    finally:
        restore()
        download.stop()
        ingest.stop()
    if result is None:
        if caught_up is not None:
            print_lake(console, caught_up)
        # No markup: a URL's "[b]" is none, and escaping it would double a last backslash.
        say(console, "nothing new at {}", fetch.safe_url(url), markup=False, soft_wrap=True)
    else:
        result.warnings = [_SPOOL.sub(lambda _: fetch.safe_url(url), w) for w in result.warnings]
        print_summary(console, result)


@pull.command("ads")
@click.option("--account", required=True, help="Ad account id, act_<digits>.")
@click.option(
    "--since",
    type=click.DateTime(["%Y-%m-%d"]),
    help="First day (default: 28 days before the last pulled day, or 90 days back).",
)
@click.option(
    "--until",
    type=click.DateTime(["%Y-%m-%d"]),
    help="Last day (default: today in the ad account's time zone).",
)
@click.option("--api-version", default=DEFAULT_API_VERSION, show_default=True)
@click.option(
    "--base-url",
    envvar="REFSCOPE_GRAPH_URL",
    default=DEFAULT_BASE_URL,
    show_default=True,
    help="Graph API base URL (or REFSCOPE_GRAPH_URL).",
)
@ADS_DEADLINE_OPTION
@_LAKE_OPTION
@DB_OPTION
def pull_ads(account: str, since: dt.datetime | None, until: dt.datetime | None,
             api_version: str, base_url: str, deadline: float | None,
             lake_dir: Path | None, db_file: Path) -> None:  # fmt: skip
    """Pull daily Click-to-Messenger ad insights (token from REFSCOPE_META_TOKEN)."""
    from . import remote  # httpx, as pull_logs
    from .download import duration

    if lake_dir is not None:  # its sync is held to the share: refused before the pull stores
        memory_share.memory_bytes()
    console = Console(emoji=False)  # nor an answer's
    stop = Stop()
    restore = stop_on_signals(stop)  # Ctrl-C and SIGTERM stop it as they stop `ingest`
    # The spinner only on a terminal: FORCE_COLOR into a pipe (cron) would get its every frame.
    spinning = on_a_terminal(console)
    timer = Timer(deadline)
    # What a stop leaves, as it goes: the lake is brought in line under this handler too, as
    # `ingest --lake`'s (a stop in it fell back to click's "Aborted!" or a silent SIGTERM).
    said = _NOTHING_STORED
    stored: list[bool] = []  # [True] from the store's COMMIT on, before pull_ads returns
    try:
        with (
            timer.running(),
            console.status("pulling ad insights…") if spinning else nullcontext() as status,
        ):

            def waiting(why: str) -> None:  # on a terminal in the spinner, else a line (cron)
                if status is not None:
                    status.update(Text(f"pulling ad insights… {shown(why)}"))  # an answer's
                else:
                    say(None, "pull ads: {}", why, err=True)

            def paged(n: int) -> None:
                if status is not None:
                    status.update(f"pulling ad insights… {n:,} rows")

            result = remote.pull_ads(
                account, os.environ.get("REFSCOPE_META_TOKEN", ""), db_file,
                since=since.date() if since else None, until=until.date() if until else None,
                base_url=base_url, api_version=api_version, on_page=paged, on_wait=waiting,
                sleep=timer.sleep, on_stored=functools.partial(stored.append, True),
            )  # fmt: skip
        said = _STORED if lake_dir is None else _STORED + LAKE_BEHIND
        _print_pulled(console, result)
        if lake_dir is not None:
            synced = remote.sync_lake(db_file, lake_dir)
            said = _STORED
            print_lake(console, synced)
        stop.after = said
    except BaseException as exc:
        if stored and said == _NOTHING_STORED:  # it came as the store returned: they are stored
            behind = "" if lake_dir is None else LAKE_BEHIND
            said = _STORED + behind
            if not stop.is_set() and (isinstance(exc, DeadlinePassed) or timer.passed):
                raise click.ClickException(
                    f"pull ads reached its --deadline ({duration(deadline or 0)}) as its rows "
                    f"were stored: they are stored{behind}"
                ) from None
        # Passed inside a DuckDB query, it surfaces as DuckDB's "interrupted" error.
        if said == _NOTHING_STORED and (isinstance(exc, DeadlinePassed) or timer.passed):
            raise click.ClickException(
                f"pull ads did not end within {duration(deadline or 0)} (--deadline), its waits "
                "included: nothing was stored; the next `refscope pull ads` asks again (a "
                "long range, or Meta's rate limits: give a longer --deadline)"
            ) from None
        if not stop.is_set():
            raise
        stop.ends_saying(said)
    finally:
        restore()


def _print_pulled(console: Console, result: PullResult) -> None:
    """What a pull of ads stored, and the days Meta refused."""
    console.print(
        f"{counted(result.rows, 'insight row')} ({counted(result.pages, 'result page')} of the "
        f"Graph API) for {result.since} – "
        f"{result.until}; waited {result.waited_seconds:.0f} s for rate limits",
        soft_wrap=True,
    )
    print_warnings(notices(), [
        f"{day} not pulled: Meta refused it as too much data for one call even alone ({said}); "
        f"what was stored of it stays, and the day is not counted as pulled: pull it again "
        f"with --since {day} --until {day}" for day, said in result.refused
    ])  # fmt: skip
