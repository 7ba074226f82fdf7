"""The work directory of a benchmark: --keep's, kept; else a new temporary one, removed at the
end (its logs and databases: hundreds of MB, a GB for 4M deliveries). Absolute: a benchmark
runs steps in the project's root, where a relative --keep would name another folder."""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


@contextmanager
def work_dir(keep: Path | None) -> Iterator[Path]:
    work = (keep or Path(tempfile.mkdtemp(prefix="refscope-bench-"))).absolute()
    work.mkdir(parents=True, exist_ok=True)
    try:
        yield work
    finally:
        if keep is None:
            shutil.rmtree(work, ignore_errors=True)
