"""`refscope pull … --deadline`: how long a pull may take, retries and waits included, so that
a server trickling its bytes (each within the read timeout) or rate limits that go on do not
keep a cron job running for ever, nor the URL's lock held."""

from __future__ import annotations

import re
import signal
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

import click

F = TypeVar("F", bound=Callable[..., Any])

_DURATION = re.compile(r"([0-9]+(?:\.[0-9]+)?)\s*(s|m|min|h)?", re.IGNORECASE)
_UNIT_SECONDS = {"s": 1, "m": 60, "min": 60, "h": 3600}


class Duration(click.ParamType):
    """A duration: seconds, or a number and s, m (min) or h: 90, 90s, 30m, 2h."""

    name = "duration"

    def convert(self, value: object, param: click.Parameter | None,
                ctx: click.Context | None) -> float:  # fmt: skip
        if isinstance(value, float):
            return value
        found = _DURATION.fullmatch(str(value).strip())
        seconds = 0.0
        if found:
            seconds = float(found.group(1)) * _UNIT_SECONDS[(found.group(2) or "s").lower()]
        if not seconds:
            self.fail(f"{str(value)[:20]!r} is no duration above 0: give seconds, or a number "
                      "and s, m or h (90s, 30m, 2h)", param, ctx)  # fmt: skip
        return seconds


def deadline_option(what: str, covers: str, default_because: str) -> Callable[[F], F]:
    """The --deadline option of one pull: what its deadline covers, and why it has none by
    default (a log host has no rate limits; `pull ads` ingests nothing after)."""
    return click.option(
        "--deadline", type=Duration(), default=None,
        help=f"Give the pull up if {what} not ended within this long ({covers}): seconds, or "
             f"30m, 2h. Default: none ({default_because}).",
    )  # fmt: skip


LOGS_DEADLINE_OPTION = deadline_option(
    "its download has", "its retries and waits included, not the ingest after",
    "a large first export on a slow link is waited out",
)  # fmt: skip
ADS_DEADLINE_OPTION = deadline_option(
    "its requests have", "their retries and waits included",
    "a long first pull, or one under Meta's rate limits, is waited out",
)  # fmt: skip


class DeadlinePassed(BaseException):
    """The deadline came (a BaseException, as KeyboardInterrupt: no `except Exception` on the
    way takes it for an error to retry)."""


class Timer:
    """The deadline of `pull ads`: DeadlinePassed is raised in the main thread once it passes
    (an answer trickling in, within its read timeout, too), and at once by `sleep` for a wait
    that would end past it; `passed` says it came, where a DuckDB query turned it into its own
    "interrupted" error."""

    def __init__(self, seconds: float | None) -> None:
        self.seconds = seconds  # None: no deadline, every wait is waited out
        self.ends = None if seconds is None else time.monotonic() + seconds
        self.passed = False

    def sleep(self, wait: float) -> None:
        if self.ends is not None and time.monotonic() + wait > self.ends:
            self.passed = True
            raise DeadlinePassed
        time.sleep(wait)

    def _expired(self, signum: int, frame: object) -> None:
        self.passed = True
        raise DeadlinePassed

    @contextmanager
    def running(self) -> Iterator[None]:
        if self.ends is None:
            yield
            return
        try:
            previous = signal.signal(signal.SIGALRM, self._expired)
        except ValueError:  # not the main thread: the waits are still bounded
            yield
            return
        signal.setitimer(signal.ITIMER_REAL, max(self.ends - time.monotonic(), 0.001))
        try:
            yield
        finally:
            signal.setitimer(signal.ITIMER_REAL, 0)
            signal.signal(signal.SIGALRM, previous)
