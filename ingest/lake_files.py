"""The Parquet lake's partition folders on disk: their names, the partitions a table's folder
holds, and the files a sync moves into place or leaves behind (see lake.py for the sync)."""

from __future__ import annotations

import datetime as dt
import os
import shutil
from pathlib import Path
from urllib.parse import quote, unquote

NULL_PARTITION = "__HIVE_DEFAULT_PARTITION__"  # a partition column that is NULL

Part = tuple[str | None, dt.date]  # a partition's page_id and date, as values


def part(page_id: object, date: object) -> str:
    """A partition's folder: `page_id=<percent-encoded id>/date=<YYYY-MM-DD>`; an id named as the
    folder of none as DuckDB writes it, `%5F_HIVE…` (else read back as none, a pageless click's)."""
    value = NULL_PARTITION if page_id is None else quote(str(page_id), safe="")
    value = "%5F" + value[1:] if page_id is not None and value == NULL_PARTITION else value
    return f"page_id={value}/date={date}"


def part_of_folder(page_folder: str, date_folder: str) -> str:
    """The canonical folder name of a partition as a writer named it (see part)."""
    value = page_folder.removeprefix("page_id=")
    page_id = None if value == NULL_PARTITION else unquote(value)
    return part(page_id, date_folder.removeprefix("date="))


def on_disk(folder: Path, holding: str | None = None) -> set[str]:
    """The partitions a table's folder holds, by their canonical names (see part); with
    holding (a glob), only those holding a file of that name."""
    if holding is not None:
        files = folder.glob(f"page_id=*/date=*/{holding}")
        return {part_of_folder(f.parent.parent.name, f.parent.name) for f in files}
    return {part_of_folder(d.parent.name, d.name) for d in folder.glob("page_id=*/date=*")
            if d.is_dir()}  # fmt: skip


def move_files(source: Path, target: Path) -> None:
    """Rename each file of a staged partition over its namesake in the partition's folder (the
    staging folder is in the lake: the same file system), then delete the folder's other files,
    those of an earlier write no longer written."""
    target.mkdir(parents=True, exist_ok=True)
    names = set()
    for file in sorted(source.iterdir()):
        os.replace(file, target / file.name)
        names.add(file.name)
    for file in target.iterdir():
        if file.name not in names and file.is_file():
            file.unlink()


def prune_empty(path: Path) -> None:
    parent = path.parent
    if parent.exists() and not any(parent.iterdir()):
        parent.rmdir()


def remove_folder(path: Path) -> None:
    """Delete a staging folder and what it holds; a symbolic link in its place (planted in the
    lake's folder) is removed itself, so that no partition is written where it points."""
    if path.is_symlink():
        path.unlink(missing_ok=True)
    else:
        shutil.rmtree(path, ignore_errors=True)


def remove_leftovers(lake: Path) -> None:
    """Delete what a sync killed before its cleanup left: staging folders and unfinished files.

    They hold rows (people's ids among them) that no later forget or prune would reach. Only
    the process holding the lake's lock syncs, so none of them is still being written.
    """
    for leftover in lake.glob(".staging-*"):
        remove_folder(leftover)
    # `.*.parquet`: an earlier version's unfinished files, named with a random id.
    for leftover in [*lake.glob(".*.parquet"), *lake.glob(".*.tmp")]:
        leftover.unlink(missing_ok=True)
