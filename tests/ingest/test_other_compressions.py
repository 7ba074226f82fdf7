"""Logs compressed with xz, bzip2 or zstd, which the ingest does not read (gzip only): each is
named in a warning, none read as text (its compressed bytes a run of rejects) or left out unsaid."""

from __future__ import annotations

import bz2
import lzma
from collections.abc import Callable
from pathlib import Path

import pytest

import tests.factories as f
from ingest import pipeline
from tests.conftest import Query
from tests.factories import T0

# zstd's frame magic and a frame header: what `zstd` writes first (no zstd in the stdlib).
PACKERS: dict[str, tuple[str, Callable[[bytes], bytes]]] = {
    "xz": ("xz", lzma.compress),
    "bz2": ("bzip2", bz2.compress),
    "zst": ("zstd", lambda data: b"\x28\xb5\x2f\xfd\x24\x00" + data),
}


def _logs(log_dir: Path) -> Path:
    lines = [f.delivery(f.message(psid=f"u{i}", ts=T0 + i)) for i in range(3)]
    return f.write_ndjson(log_dir / "webhooks.ndjson", lines)


def _warning(path: Path, kind: str) -> str:
    return (
        f"{path}: {kind} data, which refscope does not read: left out (decompress it, or "
        "compress it with gzip, to have it read)"
    )


def _packed_copy(log: Path, name: str, ext: str) -> str:
    """log's bytes compressed by ext's packer into name beside it: the warning that names it."""
    kind, pack = PACKERS[ext]
    packed = log.parent / name
    packed.write_bytes(pack(log.read_bytes()))
    return _warning(packed, kind)


@pytest.mark.parametrize("ext", list(PACKERS))
def test_a_glob_naming_a_compressed_rotated_log_says_it_is_not_read(
    db_path: Path, query: Query, log_dir: Path, ext: str
) -> None:
    log = _logs(log_dir)
    warning = _packed_copy(log, f"webhooks.ndjson.1.{ext}", ext)
    result = pipeline.run([str(log_dir / "webhooks.ndjson*")], db_path)
    assert result.warnings == [warning]
    assert (result.lines, result.events_added) == (3, 3)
    assert query("SELECT count(*) FROM rejects") == [(0,)]
    assert query("SELECT path FROM ingest_files") == [(str(log),)]


@pytest.mark.parametrize("ext", list(PACKERS))
def test_a_compressed_log_in_a_folder_is_named_not_left_out_unsaid(
    db_path: Path, query: Query, log_dir: Path, ext: str
) -> None:
    warning = _packed_copy(_logs(log_dir), f"webhooks-2025-01.ndjson.{ext}", ext)
    result = pipeline.run([str(log_dir)], db_path)
    assert result.warnings == [warning]
    assert result.events_added == 3
    assert query("SELECT count(*) FROM rejects") == [(0,)]


def test_xz_data_under_a_log_name_is_not_read_as_text(
    db_path: Path, query: Query, log_dir: Path
) -> None:
    log = _logs(log_dir)
    log.write_bytes(lzma.compress(log.read_bytes()))
    result = pipeline.run([str(log)], db_path)
    assert result.warnings == [_warning(log, "xz")]
    assert result.lines == 0
    assert query("SELECT count(*) FROM rejects") == [(0,)]
    assert query("SELECT count(*) FROM ingest_files") == [(0,)]


@pytest.mark.parametrize("ext", list(PACKERS))
def test_a_folder_whose_only_log_name_is_compressed_otherwise_names_its_rotated_logs(
    db_path: Path, log_dir: Path, ext: str
) -> None:
    """A folder holding `x.ndjson.xz` and logrotate's `webhooks.ndjson.1`: the first is named as
    not read, and no file has a name a folder is read for, so the second is named too, as in a
    folder of rotated logs alone (it went unsaid: the xz file counted as a log name)."""
    rotated = _logs(log_dir).rename(log_dir / "webhooks.ndjson.1")
    warning = _packed_copy(rotated, f"webhooks-2025-01.ndjson.{ext}", ext)
    result = pipeline.run([str(log_dir)], db_path)
    assert warning in result.warnings
    assert [w for w in result.warnings if "no file is read by its name" in w] == [
        f"{log_dir}: no file is read by its name (1 left out: webhooks.ndjson.1): a folder is "
        "read for *.ndjson, *.jsonl, *.json and their .gz; give such a file as a PATH to read it"
    ]
    assert result.events_added == 0
