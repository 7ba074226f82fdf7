"""The work directory of a benchmark: --keep's, kept; else a new temporary one, removed at the
end (its logs and databases: hundreds of MB, a GB for 4M deliveries). Absolute: a benchmark
runs steps in the project's root, where a relative --keep would name another folder. A database
a benchmark builds there is reused by a later run only when the options of its finished build,
recorded beside it, are the run's own (`reuse_or_build`)."""

from __future__ import annotations

import argparse
import json
import shutil
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TypeVar

from child import fresh

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


def _record(db: Path) -> Path:
    """Where what the finished build of db was given is written: beside it, as JSON."""
    return db.with_name(f"{db.name}.built.json")


def not_reusable(db: Path, options: dict[str, object]) -> str | None:
    """Why the database at db is not what a build given options finished (None when it is):
    none there, no record beside it (its build failed or was killed, or ran before builds were
    recorded), or one of other options ("built with --events 20000, not 30000")."""
    if not db.exists():
        return "none there"
    try:
        was = json.loads(_record(db).read_text(encoding="utf-8"))
    except FileNotFoundError:
        return "no record of a finished build beside it"
    except (OSError, ValueError) as exc:
        return f"its build record {_record(db).name} is unreadable ({exc})"
    if not isinstance(was, dict):
        return f"its build record {_record(db).name} is no JSON object"
    differ = [
        f"{key} {was.get(key, '(none)')}, not {options.get(key, '(none)')}"
        for key in [*options, *(k for k in was if k not in options)]
        if was.get(key) != options.get(key)
    ]
    return f"built with {', '.join(differ)}" if differ else None


@contextmanager
def building(db: Path, options: dict[str, object]) -> Iterator[Path]:
    """db with no database left there (nor the record of one), for a build to write anew; once
    the build returned, options are recorded beside it, not when it raised or was killed."""
    _record(db).unlink(missing_ok=True)
    yield fresh(db)
    _record(db).write_text(json.dumps(options, sort_keys=True) + "\n", encoding="utf-8")


def reuse_or_build(
    db: Path,
    options: dict[str, object],
    build: Callable[[], object],
    check: Callable[[Path], str | None] = lambda db: None,
) -> None:
    """The database at db as an earlier run's build given options finished it, reused; else
    (or when check says why not) built anew by build, saying why when one was there."""
    why = check(db) or not_reusable(db, options)
    if why is None:
        print(f"reusing {db} ({db.stat().st_size / 1e6:,.0f} MB)")
        return
    if db.exists():
        print(f"not reusing {db}: {why}; building it again")
    with building(db, options):
        build()
