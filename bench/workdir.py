"""The work directory of a benchmark: --keep's, kept; else a new temporary one, removed at the
end (its logs and databases: hundreds of MB, a GB for 4M deliveries). Absolute: a benchmark
runs steps in the project's root, where a relative --keep would name another folder."""

from __future__ import annotations

import argparse
import shutil
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TypeVar

T = TypeVar("T")


@contextmanager
def work_dir(keep: Path | None) -> Iterator[Path]:
    work = (keep or Path(tempfile.mkdtemp(prefix="refscope-bench-"))).absolute()
    work.mkdir(parents=True, exist_ok=True)
    try:
        yield work
    finally:
        if keep is None:
            shutil.rmtree(work, ignore_errors=True)


def in_work_dir(
    ap: argparse.ArgumentParser,
    run: Callable[[argparse.Namespace, Path], T],
    keep_help: str = "work in this directory and keep it",
) -> T:
    """A benchmark's options (ap's, and --keep DIR), parsed; run on them in its work directory.
    What a benchmark finds there from an earlier run with the same --keep (a database it
    reuses) is its own to say, in keep_help."""
    ap.add_argument("--keep", type=Path, help=keep_help)
    a = ap.parse_args()
    with work_dir(a.keep) as work:
        return run(a, work)
