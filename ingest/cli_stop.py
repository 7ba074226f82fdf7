"""Ctrl-C and SIGTERM (a service manager's stop) stopping a command alike, cleanly, and SIGHUP
not stopping `ingest --follow`."""

from __future__ import annotations

import contextlib
import os
import signal
import sys
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from types import FrameType
from typing import Any, NoReturn

Handler = Callable[[int, FrameType | None], Any] | int | None  # as signal.signal returns it
STOPS = {signal.SIGINT, signal.SIGTERM}  # Ctrl-C, and a service manager's stop


class Stop(threading.Event):
    """Set by Ctrl-C (SIGINT) or SIGTERM; signum says which. after: what a stop leaves once the
    command's handler is taken down (stop_on_signals' restore), its work done: in refscope's
    own process it then ends the process with that line, exit 130 or 143, not Python's default
    (click's "Aborted!", a traceback, an end without a word); None leaves the default, "" ends
    with the exit code alone (its line said already). Set while the handler is in force
    (`ingest --follow`), a second stop, the first taken, ends so too."""

    signum: int = signal.SIGINT
    after: str | None = None

    def ends_saying(self, line: str) -> NoReturn:
        """The command's end once stopped: line on stderr (shown: a file name in it cannot drive
        the terminal), exit 130 or 143, as a shell reports a stop by that signal. Stopped again
        as it says it (after: its handler in force, or taken down), it ends with that line, said
        once, not click's "Aborted!", a traceback or an end without a word."""
        import click  # loaded by the command already

        from .wording import shown

        self.after = shown(line)  # stopped again before it is said, it ends saying it
        click.echo(self.after, err=True)
        self.after = ""  # said: stopped again, it ends with the exit code alone
        sys.exit(128 + self.signum)


def stop_on_signals(stopped: Stop) -> Callable[[], None]:
    """Make Ctrl-C and SIGTERM stop a command alike (`ingest --follow` between rounds or by
    rolling the load back; `rebuild` removing its new file), and record that they did in
    `stopped`. Returns what puts the previous handlers back, or, in refscope's own process (the
    start's handed over) once `stopped.after` is set, the ending that says it."""

    handed: dict[int, Handler] = {}  # the start's: its "nothing was written" is over

    def stop(signum: int, frame: FrameType | None) -> None:
        if handed and stopped.is_set() and stopped.after is not None:  # stopped again
            _ending_after(stopped)(signum, frame)
        stopped.signum = signum
        stopped.set()
        raise KeyboardInterrupt

    try:
        previous: dict[int, Handler] = {sig: signal.signal(sig, stop) for sig in STOPS}
    except ValueError:  # not the main thread: leave signals alone
        return lambda: None
    handed.update(_handed_over())
    previous.update(handed)

    def restore() -> None:
        if handed and stopped.after is not None:  # the entry point's process: never put back
            end = _ending_after(stopped)
            for stop_signal in STOPS:
                signal.signal(stop_signal, end)
            return
        for sig, handler in previous.items():
            signal.signal(sig, handler)

    return restore


def _ending_after(stopped: Stop) -> Callable[[int, FrameType | None], None]:
    """The ending that says stopped.after."""
    from .wording import shown  # a file name in it must not drive the terminal

    return _ending(shown(stopped.after or ""))


class Stopping(Stop):
    """A Stop that knows what a stop now leaves: `said`, which the command updates as it goes
    (nothing written; registered, its codes not all written; …)."""

    def __init__(self, said: str) -> None:
        super().__init__()
        self.said = said
        self.made = contextlib.ExitStack()  # the database files the command made (`makes`)

    def makes(self, db_file: Path, *, failing_too: bool = False) -> None:
        """The command opens db_file to write: one not there yet, which a stop leaves without a
        row (before its commit), is removed, as a refused command makes none; a DuckDB file that
        held nothing is put back as it was (no_empty_file_left). failing_too: so is it when the
        command fails (an error, not a stop) before its commit."""
        from .db_cleanup import no_empty_file_left  # DuckDB's import: not before the command runs

        when = None if failing_too else self.is_set
        self.made.enter_context(no_empty_file_left(db_file, when=when))


@contextlib.contextmanager
def exits_when_stopped(said: str) -> Iterator[Stopping]:
    """Ctrl-C and SIGTERM stop the block as they stop `ingest`: the Stopping's `said` on
    stderr, one line, and exit 128 + the signal (130, 143), as a shell reports a stop by it;
    not click's bare "Aborted!" with exit 1 (Ctrl-C) nor an end without a word (SIGTERM)."""
    stopping = Stopping(said)
    restore = stop_on_signals(stopping)
    try:
        with stopping.made:
            yield stopping
    except BaseException:
        # A stop inside a DuckDB query surfaces as its "interrupted" error: stopped all the same.
        if not stopping.is_set():
            stopping.after = stopping.said  # what it leaves as the block ends, failed
            raise
        stopping.ends_saying(stopping.said)
    else:
        stopping.after = stopping.said  # what it leaves as the block ends, done
    finally:
        restore()


STARTING_SAID = "stopped while starting: nothing was written"
# What a stop leaves of a lake a command (`ingest`, `pull` given --lake) brings in line once it has
# committed: the lake's manifest is the old one until a sync ends, and the next sync catches up.
LAKE_BEHIND = "; the lake is brought in line at the next run or pull given it"


# The handlers stops_while_starting replaced, while its own are in force.
_before_start: dict[int, Handler] = {}
_entry_point = False  # True once stops_while_starting runs: a process of refscope's own


def stops_while_starting(run: Callable[[], None]) -> None:
    """The entry point (`refscope`, `python -m ingest`) from its first line: run (the imports
    of the commands, click reading the options, then the command) with Ctrl-C and SIGTERM
    ending it as a stop does, the STARTING_SAID line and exit 130 or 143, not a
    KeyboardInterrupt traceback (the imports of DuckDB & co. take half a second) nor click's
    "Aborted!" nor an end without a word, until the command sets its own handlers
    (stop_on_signals, ends_at_once, own_stops; `serve`: uvicorn's, stops_while_starting_until)
    before it writes anything: its checks and its own imports (`ingest`'s of Arrow, `serve`'s
    of uvicorn) are part of its start.

    The process ends in the handler itself: nothing is written before, and an exception raised
    from a handler may land in a C extension's import (DuckDB's), which then aborted (SIGABRT)
    or swallowed it and ran the command anyway."""

    global _entry_point
    stop = _ending(STARTING_SAID)
    _entry_point = True
    try:
        # Also when started ignoring Ctrl-C (a script's `refscope … &`, a background job of
        # `make`): the command's own handlers take it then too (stop_on_signals), as Streamlit's.
        for sig in STOPS:
            _before_start[sig] = signal.signal(sig, stop)
        run()
    finally:
        own_stops()


def own_stops() -> None:
    """The command takes Ctrl-C and SIGTERM as it did before stops_while_starting: for one
    whose next step sets its own handlers, or that has ended."""
    for sig, handler in _handed_over().items():
        signal.signal(sig, handler)


def stops_while_starting_until() -> Callable[[], None]:
    """For `serve`, whose next step (uvicorn) sets its own handlers of Ctrl-C and SIGTERM, and
    once stopped puts back the ones it found and sends them the stop again: a stop still ends
    as one while starting (STARTING_SAID, 130 or 143) until the returned function is called
    (the receiver's app starting, under uvicorn's handlers); one sent again after that is
    passed on to the handlers from before the start (own_stops). own_stops called before
    uvicorn left a stop while it made its Config, Server and event loop to Python's handling
    (click's "Aborted!", a silent SIGTERM, asyncio's CancelledError traceback)."""
    if not _entry_point:  # a command run inside another program: its stops stay its own
        return lambda: None
    end = _ending(STARTING_SAID)
    started = threading.Event()  # the app started: uvicorn's handlers are set

    def stop(signum: int, frame: FrameType | None) -> None:
        if not started.is_set():
            end(signum, frame)
        own_stops()
        signal.raise_signal(signum)

    for sig in STOPS:  # in place of the start's own, with no moment between
        signal.signal(sig, stop)
    return started.set


def _handed_over() -> dict[int, Handler]:
    """The handlers stops_while_starting replaced, which its own no longer stand in for."""
    before = dict(_before_start)
    _before_start.clear()
    return before


def keep_on_sighup(say: Callable[[], None]) -> Callable[[], None]:
    """SIGHUP (a closed terminal, logrotate's `postrotate kill -HUP`, `systemctl reload`) would
    end the command: `say` is called instead (its output lost when the terminal is gone) and
    the command goes on. Returns what puts the previous handler back."""

    terminals = [fd for fd in (1, 2) if os.isatty(fd)]

    def hangup(signum: int, frame: object) -> None:
        # A terminal that hung up is a terminal no more; writing to it would fail (EIO) and end
        # the command at its next line: what it would be shown is dropped, as under nohup.
        for fd in [fd for fd in terminals if not os.isatty(fd)]:
            terminals.remove(fd)
            null = os.open(os.devnull, os.O_WRONLY)
            os.dup2(null, fd)
            os.close(null)
        with contextlib.suppress(OSError):
            say()

    try:
        previous = signal.signal(signal.SIGHUP, hangup)
    except ValueError:  # not the main thread: leave signals alone
        return lambda: None

    def restore() -> None:
        if previous is not None:  # None: a handler not set from Python, which is left alone
            signal.signal(signal.SIGHUP, previous)

    return restore


def keep_serving_from_start(argv: list[str]) -> None:
    """For `refscope serve` (argv[1] is "serve"): SIGHUP, whose default action ends the process,
    is taken from the entry point's first line on, not only once the receiver's own handler
    (`logwriter.keep_serving_on_sighup`) is set as it starts serving: a `postrotate kill -HUP`
    or a closed terminal during the imports and the start of uvicorn ended it. This module
    imports nothing that takes a while, so it is called before the commands are imported."""
    if argv[1:2] != ["serve"]:
        return

    def say() -> None:
        os.write(2, b"SIGHUP: still serving (it was starting)\n")  # no buffer to re-enter

    keep_on_sighup(say)


def ends_at_once(said: str) -> None:
    """Ctrl-C and SIGTERM from now on end the process at once, said (one line) and exit 130 or
    143: for a command that has written nothing yet and whose next step replaces the process
    (`refscope dashboard`'s checks, before its exec), not a traceback of the step they fell in
    nor an end without a word. Only in a process started by the entry point (not a command
    run inside another program, a test's, whose own stops stay its own)."""
    if not _entry_point:
        return
    end = _ending(said)
    for sig in STOPS:
        signal.signal(sig, end)
    _handed_over()  # never put back: the process is replaced, or ends


def _ending(said: str) -> Callable[[int, FrameType | None], None]:
    """A handler of Ctrl-C and SIGTERM that ends the process in it: said (one line) on stderr,
    exit 130 or 143, as a shell reports a stop by that signal; said "" (said already): no line."""
    line = said.encode() + b"\n" if said else b""

    def end(signum: int, frame: FrameType | None) -> None:
        os.write(2, line)  # no buffer a signal handler could re-enter
        os._exit(128 + signum)

    return end


@contextlib.contextmanager
def stops_held() -> Iterator[None]:
    """Ctrl-C and SIGTERM held off while the block runs: one that comes meanwhile waits and is
    taken as the block ends, by the handler then in force, not in the middle of it. Blocked in
    this thread; and, as another thread of the process takes a signal this one blocks, its
    Python handler then run here all the same, one that comes is recorded by a handler of the
    block's own and sent again after it. (Not around an execve: one recorded there is lost.)"""
    came: list[int] = []
    previous: dict[int, Handler] = {}
    with contextlib.suppress(ValueError):  # not the main thread: no Python handler runs here
        for sig in STOPS:
            previous[sig] = signal.signal(sig, lambda signum, _: came.append(signum))
    before = signal.pthread_sigmask(signal.SIG_BLOCK, STOPS)
    try:
        yield
    finally:
        for held, handler in previous.items():  # None: one set from C, whose default it was
            signal.signal(held, signal.SIG_DFL if handler is None else handler)
        signal.pthread_sigmask(signal.SIG_SETMASK, before)
        if came:  # one that came to another thread
            signal.raise_signal(came[-1])


def exec_blocking_stops(args: list[str], env: dict[str, str]) -> None:
    """os.execve with Ctrl-C and SIGTERM blocked: one that comes meanwhile waits, pending, for
    the new program (`dashboard.server_process`) to take it, instead of ending it before it can
    (a traceback, or an end without a word). They are let through again if execve fails."""
    # The mask alone (not stops_held): a handler of its own would take a stop that came to
    # another thread as execve replaced the process, and lose it.
    before = signal.pthread_sigmask(signal.SIG_BLOCK, STOPS)
    try:
        os.execve(args[0], args, env)
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, before)
