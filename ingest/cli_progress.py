"""The progress bar of a long read (`ingest`, `rebuild`, `pull logs`'s download and ingest):
shown on a terminal for big inputs."""

from __future__ import annotations

import os

from rich.console import Console
from rich.live import Live
from rich.progress import BarColumn, DownloadColumn, Progress, TimeRemainingColumn
from rich.spinner import Spinner
from rich.text import Text

PROGRESS_MIN_BYTES = 50 * 1024 * 1024  # below this an ingest is over before a bar helps


class ReadBar:
    """A bar over the bytes to read; progress forces it on or off (None: on a terminal, for
    PROGRESS_MIN_BYTES or more)."""

    def __init__(self, console: Console, progress: bool | None, label: str = "ingest") -> None:
        self.forced = progress
        self.bar = Progress(
            "[progress.description]{task.description}",
            BarColumn(),
            DownloadColumn(),
            TimeRemainingColumn(),
            console=console,
            transient=True,
            disable=not (on_a_terminal(console) if progress is None else progress),
        )
        self.task = self.bar.add_task(label, total=None)

    def plan(self, total: int) -> None:
        self.bar.update(self.task, total=total)
        if total >= PROGRESS_MIN_BYTES or self.forced:
            self.bar.start()

    def reach(self, done: int, total: int | None) -> None:
        """done bytes of total (None: not known), shown once either is PROGRESS_MIN_BYTES."""
        self.bar.update(self.task, completed=done, total=total)
        if max(done, total or 0) >= PROGRESS_MIN_BYTES or self.forced:
            self.bar.start()

    def advance(self, n: int) -> None:
        """n more bytes read; a log that grew since it was planned (a live log) grows the total,
        so the bar ends at its end, not past it ("428/214 bytes")."""
        task = self.bar.tasks[0]
        if task.total is not None and task.completed + n > task.total:
            self.bar.update(self.task, total=task.completed + n)
        self.bar.advance(self.task, n)

    def stop(self) -> None:
        self.bar.stop()


class Stages:
    """A spinner saying which stage a long command is at (`demo-data`: minutes with --scale),
    on a terminal only: a pipe or a file (cron's log) gets none of its frames."""

    def __init__(self, console: Console) -> None:
        self.live = Live(console=console, transient=True) if on_a_terminal(console) else None

    def __call__(self, stage: str) -> None:
        if self.live is not None:
            self.live.start()
            self.live.update(Spinner("dots", text=Text(stage)), refresh=True)

    def stop(self) -> None:
        if self.live is not None:
            self.live.stop()


def on_a_terminal(console: Console) -> bool:
    """Whether console writes to a terminal that can redraw a line. FORCE_COLOR (or
    TTY_COMPATIBLE=1) makes rich take a pipe for one, to colour a CI or cron log: a bar would
    write its every frame into it. TERM=dumb (Emacs's shell) cannot redraw: rich draws no frame
    there, but a bar's end still left an empty line before what follows."""
    if not console.is_terminal or console.is_dumb_terminal:
        return False
    if os.environ.get("FORCE_COLOR") is None and os.environ.get("TTY_COMPATIBLE") != "1":
        return True  # rich's own judgement, or the program's force_terminal
    try:
        return console.file.isatty()
    except (AttributeError, ValueError):  # no isatty, or a file closed
        return False
