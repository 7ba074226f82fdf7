"""`refscope ingest` as a real process that a crash test can stop at a known point, not after a
guessed delay (a loaded machine makes any delay wrong).

Run as `python -m tests.ingest.paced_ingest ingest ARGS…`; it is the command as `python -m
ingest` runs it, plus two test hooks set through the environment:

- MARKS_ENV names a file descriptor on which it writes b"c" once each batch of lines is
  committed, and b"h" when it holds;
- HOLD_ENV, "after:N" or "in:N", holds the process forever (until a signal ends it) once its Nth
  batch is committed, or inside the Nth batch's transaction, before its lines load.

`Paced` starts one and reads those marks."""

from __future__ import annotations

import os
import select
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from types import TracebackType
from typing import Any

MARKS_ENV = "REFSCOPE_TEST_MARKS_FD"
HOLD_ENV = "REFSCOPE_TEST_HOLD"
COMMITTED, HOLDING = b"c", b"h"
DEADLINE = 600.0  # seconds a mark may take: only a hung process takes that long


class Paced:
    """An ingest subprocess with its marks; killed on leaving a `with`, if it still runs."""

    def __init__(self, args: list[str], env: dict[str, str], hold: str = "", **popen: Any) -> None:
        read_end, write_end = os.pipe()
        self.marks = read_end
        env = {**env, MARKS_ENV: str(write_end), HOLD_ENV: hold}
        cmd = [sys.executable, "-m", "tests.ingest.paced_ingest", *args]
        try:
            self.proc: subprocess.Popen[bytes] = subprocess.Popen(
                cmd, cwd=Path(__file__).parent.parent.parent, env=env, pass_fds=(write_end,),
                **popen,
            )  # fmt: skip
        finally:
            os.close(write_end)  # the child's copy is the only one: its exit ends the marks
        self.committed = 0
        self.hold = hold

    def wait_for(self, mark: bytes) -> bool:
        """Read marks until `mark`; False when the process ended without writing it."""
        end = time.monotonic() + DEADLINE
        while True:
            ready, _, _ = select.select([self.marks], [], [], max(end - time.monotonic(), 0))
            if not ready:
                raise AssertionError(f"no mark {mark!r} in {DEADLINE:g} s: the ingest hangs")
            got = os.read(self.marks, 1)
            if not got:
                return False
            self.committed += got == COMMITTED
            if got == mark:
                return True

    def stopped(self, sig: int) -> tuple[int, str]:
        """Once the process holds, stop it by `sig`: its exit code and what it wrote to stdout
        and stderr (started with both as pipes)."""
        assert self.wait_for(HOLDING), "the process finished before it held to be stopped"
        self.proc.send_signal(sig)
        out, err = self.proc.communicate()
        return self.proc.returncode, (out + err).decode()

    def __enter__(self) -> Paced:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait()
        os.close(self.marks)


def _hooks(marks: int, hold: str) -> tuple[Callable[[], None], Callable[[], None]]:
    """What runs after each batch commits, and as each batch starts loading."""
    where, _, nth = hold.partition(":")
    counts = {"after": 0, "in": 0}

    def mark(what: bytes) -> None:
        os.write(marks, what)

    def step(point: str) -> None:
        counts[point] += 1
        if point == "after":
            mark(COMMITTED)
        if where == point and counts[point] == int(nth):
            mark(HOLDING)
            while True:  # until a signal ends the process, or its handler raises
                signal.pause()

    return (lambda: step("after")), (lambda: step("in"))


def main() -> None:
    from ingest import cli_progress, load
    from ingest.cli import main as cli_main

    after, inside = _hooks(int(os.environ[MARKS_ENV]), os.environ.get(HOLD_ENV, ""))
    advance, load_batch = cli_progress.ReadBar.advance, load.load_batch

    def advanced(self: cli_progress.ReadBar, n: int) -> None:  # called once a batch commits
        advance(self, n)
        after()

    def loading(*args: Any, **kwargs: Any) -> Any:  # called inside a batch's transaction
        inside()
        return load_batch(*args, **kwargs)

    cli_progress.ReadBar.advance = advanced  # type: ignore[method-assign]
    load.load_batch = loading
    cli_main()


if __name__ == "__main__":
    main()
