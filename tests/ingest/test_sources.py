"""Reading logs in chunks of whole lines: offsets and line numbers, plain and gzipped."""

from __future__ import annotations

import dataclasses
import gzip
import hashlib
import os
import zlib
from pathlib import Path

import pytest

from ingest import discovery, sizes, sources


def _read(path: Path, chunk_bytes: int) -> list[tuple[bytes, int, int, int]]:
    p = sources.plan(path, None)
    assert p is not None
    return [
        (bytes(c.data), c.first_line, c.end_offset, c.lines_done)
        for c in sources.read_chunks(p, chunk_bytes)
    ]


LINES = [b"a" * 5, b"", b"b" * 40, b"c", b"d" * 3, b"e" * 17]


@pytest.mark.parametrize("gz", [False, True])
@pytest.mark.parametrize("chunk_bytes", [1, 4, 7, 16, 41, 1000])
def test_chunks_are_whole_lines_that_add_up_to_the_file(
    tmp_path: Path, gz: bool, chunk_bytes: int
) -> None:
    text = b"\n".join(LINES) + b"\n" + b"unfinished"
    path = tmp_path / ("log.ndjson.gz" if gz else "log.ndjson")
    path.write_bytes(gzip.compress(text) if gz else text)
    chunks = _read(path, chunk_bytes)
    assert b"".join(c[0] for c in chunks) == text
    complete = [c for c in chunks if c[0].endswith(b"\n")]
    # Every chunk but the unfinished tail ends on a newline, and numbers its lines in order.
    assert len(complete) == len(chunks) - 1 and not chunks[-1][0].endswith(b"\n")
    line, offset = 0, 0
    for data, first, end, done in complete:
        assert (first, end, done) == (line + 1, offset + len(data), line + data.count(b"\n"))
        line, offset = done, end
    # The tail is handed over but not consumed: a later run reads it again once finished.
    assert chunks[-1][1:] == (line + 1, offset, line) == (7, len(text) - 10, 6)


def test_a_gz_is_read_in_quarter_chunks(tmp_path: Path) -> None:
    # Its size is known only once read: the batch waiting for it stays small meanwhile.
    text = b"".join(b"line %03d\n" % i for i in range(200))  # 9 bytes a line
    path = tmp_path / "log.ndjson.gz"
    path.write_bytes(gzip.compress(text))
    chunks = _read(path, 400)
    assert b"".join(c[0] for c in chunks) == text
    # A quarter of 400 bytes, plus the end of a line cut by the previous read.
    assert max(len(c[0]) for c in chunks) <= 100 + 9 and len(chunks) >= 1800 // 109


@pytest.mark.parametrize("chunk_bytes", [40, 4000, 1 << 20])
def test_a_gz_cut_short_gives_its_whole_lines_then_says_so(
    tmp_path: Path, chunk_bytes: int
) -> None:
    text = b"".join(b"line %05d\n" % i for i in range(20000))  # 11 bytes a line
    whole = gzip.compress(text, mtime=0)
    path = tmp_path / "log.ndjson.gz"
    path.write_bytes(whole[: len(whole) // 2])
    p = sources.plan(path, None)
    assert p is not None
    got: list[bytes] = []
    with pytest.raises(sources.TruncatedGzip, match="ends early"):
        got.extend(bytes(c.data) for c in sources.read_chunks(p, chunk_bytes))
    read = b"".join(got)
    # Every whole line before the cut, as zlib decodes it.
    there = zlib.decompressobj(16 + zlib.MAX_WBITS).decompress(whole[: len(whole) // 2])
    assert read == there[: there.rfind(b"\n") + 1] and text.startswith(read)


@pytest.mark.parametrize("lines", [40, 150, 600])
def test_a_small_gz_cut_short_gives_every_whole_line_before_the_cut(
    tmp_path: Path, lines: int
) -> None:
    """Cut at two thirds: the lines zcat prints, not none (a read that meets the cut loses its
    bytes in gzip's reader, and a small file is one read)."""
    text = b"".join(b'{"object":"page","entry":[],"n":%d}\n' % i for i in range(lines))
    whole = gzip.compress(text, mtime=0)
    path = tmp_path / "log.ndjson.gz"
    path.write_bytes(whole[: len(whole) * 2 // 3])
    there = zlib.decompressobj(16 + zlib.MAX_WBITS).decompress(whole[: len(whole) * 2 // 3])
    p = sources.plan(path, None)
    assert p is not None
    whole_lines = there.count(b"\n")
    got: list[bytes] = []
    with pytest.raises(sources.TruncatedGzip, match=f"read to line {whole_lines:,};"):
        got.extend(bytes(c.data) for c in sources.read_chunks(p, 1 << 20))
    assert b"".join(got) == there[: there.rfind(b"\n") + 1] and whole_lines > 0


def test_a_gz_cut_short_after_a_read_that_ended_mid_line_gives_that_line_once(
    tmp_path: Path,
) -> None:
    """The read that meets the cut loses its bytes; they are read again from where the part-line
    carried over from the read before it starts, not after it: from after it, that part came
    twice. A read of half the bytes before the cut, ending mid-line, leaves more than a piece
    after it."""
    text = b"".join(b"line %05d\n" % i for i in range(40000))  # 11 bytes a line
    whole = gzip.compress(text, mtime=0)
    path = tmp_path / "log.ndjson.gz"
    path.write_bytes(whole[: len(whole) // 2])
    there = zlib.decompressobj(16 + zlib.MAX_WBITS).decompress(whole[: len(whole) // 2])
    piece = len(there) // 2 + 5
    piece += piece % 11 == 0  # the first read ends mid-line
    p = sources.plan(path, None)
    assert p is not None
    got: list[tuple[bytes, int, int, int]] = []
    with pytest.raises(sources.TruncatedGzip, match="ends early"):
        got.extend((bytes(c.data), c.first_line, c.end_offset, c.lines_done)
                   for c in sources.read_chunks(p, piece * sources.GZ_PIECES))  # fmt: skip
    read = b"".join(c[0] for c in got)
    assert read == there[: there.rfind(b"\n") + 1] and text.startswith(read)
    assert got[-1][2:] == (len(read), read.count(b"\n"))


@pytest.mark.parametrize("size", [1, 2, 3, 9])
def test_a_gz_caught_within_its_header_is_cut_short_not_unreadable(
    tmp_path: Path, size: int
) -> None:
    path = tmp_path / "log.ndjson.gz"
    path.write_bytes(gzip.compress(b"line\n", mtime=0)[:size])
    p = sources.plan(path, None)
    assert p is not None
    with pytest.raises(sources.TruncatedGzip, match="ends early"):
        list(sources.read_chunks(p, 1 << 20))
    path.write_bytes(b"\x1f\x8c")  # not the start of a gzip header: unreadable
    with pytest.raises(sources.SourceError, match="cannot read: Not a gzipped file"):
        list(sources.read_chunks(sources.plan(path, None), 1 << 20))  # type: ignore[arg-type]


def test_a_gz_whose_check_fails_is_unreadable_not_cut_short(tmp_path: Path) -> None:
    """A whole gzip header and a stream that fails its CRC is a damaged file, not one caught
    while its writer was beginning it: the run stops on it instead of reading on later."""
    damaged = bytearray(gzip.compress(b"line\n" * 3, mtime=0))
    damaged[-8] ^= 0xFF  # the CRC-32 of the uncompressed bytes
    path = tmp_path / "log.ndjson.gz"
    path.write_bytes(bytes(damaged))
    p = sources.plan(path, None)
    assert p is not None
    with pytest.raises(sources.SourceError, match="cannot read: CRC check failed") as exc:
        list(sources.read_chunks(p, 1 << 20))
    assert not isinstance(exc.value, sources.TruncatedGzip)


def test_a_line_longer_than_a_chunk_is_read_whole(tmp_path: Path) -> None:
    long = b"x" * 10_000
    path = tmp_path / "log.ndjson"
    path.write_bytes(b"a\n" + long + b"\nb\n")
    chunks = _read(path, 64)
    assert b"".join(c[0] for c in chunks) == path.read_bytes()
    assert chunks[0][0] == b"a\n"
    assert chunks[1][0].startswith(long + b"\n") and chunks[1][1] == 2
    assert chunks[-1][3] == 3


def test_reading_resumes_at_the_planned_offset(tmp_path: Path) -> None:
    path = tmp_path / "log.ndjson"
    path.write_bytes(b"one\ntwo\n")
    first = _read(path, 1000)
    assert first[-1][2:] == (8, 2)
    state = sources.FileState(8, path.stat().st_mtime_ns - 1, sources.prefix_hash(path, 8), 8, 2)
    with open(path, "ab") as fh:
        fh.write(b"three\n")
    p = sources.plan(path, state)
    assert p is not None and (p.start_offset, p.start_line) == (8, 2)
    assert [(bytes(c.data), c.first_line) for c in sources.read_chunks(p, 2)] == [(b"three\n", 3)]


def test_the_fingerprint_is_of_the_first_and_the_last_head_bytes_before_the_offset(
    tmp_path: Path,
) -> None:
    """What ingest_files stores, and rebuild computes again from a .gz of the log: the md5s of
    the first HEAD_BYTES and of the HEAD_BYTES just before the offset, not one byte more."""
    data = bytes(range(256)) * 40  # 10,240 bytes: a window moved by a byte holds others
    path = tmp_path / "log.ndjson"
    path.write_bytes(data)

    def md5(b: bytes) -> str:
        return hashlib.md5(b).hexdigest()

    n = sources.HEAD_BYTES
    for offset in (10, n, n + 1, 7001, len(data)):
        tail = data[max(offset - n, 0) : offset]
        assert sources.fingerprint(path, offset) == f"{md5(data[: min(offset, n)])}+{md5(tail)}"


def test_batch_size_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for spec, n in (
        ("8MB", 8 << 20),
        ("512kb", 512 << 10),
        ("4096", 4096),
        ("1G", 1 << 30),
        ("64 MiB", 64 << 20),
    ):
        monkeypatch.setenv("REFSCOPE_INGEST_BATCH", spec)
        assert sizes.batch_bytes() == n
    monkeypatch.delenv("REFSCOPE_INGEST_BATCH")
    assert sizes.batch_bytes() == sizes.CHUNK_BYTES


@pytest.mark.parametrize(
    "n, text",
    [(1, "1 byte"), (1023, "1,023 bytes"), (1024, "1.0 KiB"), (28_160, "27.5 KiB"),
     (2**20 - 1, "1.0 MiB"), (sizes.CHUNK_BYTES, "128.0 MiB"), (5 * 2**30, "5.0 GiB")],
)  # fmt: skip
def test_a_size_is_said_in_the_unit_a_person_reads(n: int, text: str) -> None:
    assert sizes.size_text(n) == text


def test_a_folder_with_a_log_beside_rotated_ones_warns_of_nothing(tmp_path: Path) -> None:
    """The warning is for a folder none of whose files is read: one with a log read beside
    rotated copies (and a README) has nothing to say."""
    (tmp_path / "webhooks.ndjson").write_text("{}\n")
    (tmp_path / "webhooks.ndjson.1").write_text("{}\n")
    (tmp_path / "README.txt").write_text("logs\n")
    warnings: list[str] = []
    assert discovery.discover([str(tmp_path)], warnings) == [(tmp_path / "webhooks.ndjson")]
    assert warnings == []


def test_inputs_are_listed_in_name_order_whatever_order_they_are_given_in(
    tmp_path: Path,
) -> None:
    """Files are read in name order (a day's log before the next day's, so a delivery logged in
    both is kept under the earlier one), however the PATHs, folders and globs are given."""
    for name in ("2023-11-15/webhooks.ndjson", "2023-11-14/webhooks.ndjson.gz",
                 "2023-11-14/clicks.jsonl", "loose.json"):  # fmt: skip
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text("{}\n")
    got = discovery.discover([str(tmp_path / "loose.json"), str(tmp_path / "2023-11-15"),
                              str(tmp_path / "2023-11-1[4]")])  # fmt: skip
    assert got == [
        tmp_path / "2023-11-14" / "clicks.jsonl",
        tmp_path / "2023-11-14" / "webhooks.ndjson.gz",
        tmp_path / "2023-11-15" / "webhooks.ndjson",
        tmp_path / "loose.json",
    ]


def test_an_empty_folder_or_one_of_dot_files_warns_of_nothing(tmp_path: Path) -> None:
    """The warning names files left out: a folder with none (empty, or a .gitkeep and an
    editor's .swp only) has none to name, and no "0 left out" to say."""
    empty, dots = tmp_path / "empty", tmp_path / "dots"
    (empty / "sub").mkdir(parents=True)
    dots.mkdir()
    (dots / ".gitkeep").write_text("")
    (dots / ".webhooks.ndjson.swp").write_text("x")
    for folder in (empty, dots):
        warnings: list[str] = []
        assert discovery.discover([str(folder)], warnings) == []
        assert warnings == [], folder


@pytest.mark.parametrize("url", ["HTTPS://example.com/webhooks.ndjson", "Http://127.0.0.1:9/x"])
def test_a_url_in_capitals_is_still_told_to_go_through_pull_logs(url: str) -> None:
    """A URL's scheme is case-insensitive (pull logs reads HTTPS://): given to ingest, it is
    pointed to `refscope pull logs URL`, not called a missing file."""
    with pytest.raises(sources.SourceError) as exc:
        discovery.discover([url])
    assert str(exc.value) == (
        f"{url}: a URL, not a file or directory: read it with `refscope pull logs URL`"
    )


def test_the_files_a_folder_leaves_out_are_named_in_order_across_its_subfolders(
    tmp_path: Path,
) -> None:
    """The first three names left out are the first three in order, wherever they lie: the
    folder's own files are walked before its subfolders'."""
    (tmp_path / "z.ndjson.1").write_text("{}\n")
    (tmp_path / "y.ndjson.1").write_text("{}\n")
    (tmp_path / "old").mkdir()
    (tmp_path / "old" / "a.ndjson.1").write_text("{}\n")
    (tmp_path / "old" / "b.ndjson.1").write_text("{}\n")
    warnings: list[str] = []
    assert discovery.discover([str(tmp_path)], warnings) == []
    assert warnings == [
        f"{tmp_path}: no file is read by its name (4 left out: a.ndjson.1, b.ndjson.1, "
        "y.ndjson.1, …): a folder is read for *.ndjson, *.jsonl, *.json and their .gz; give "
        "such a file as a PATH to read it"
    ]


@pytest.mark.parametrize("gz", [False, True], ids=["plain", "gz"])
def test_a_touched_file_is_planned_as_touched_with_its_new_size_and_mtime(
    tmp_path: Path, gz: bool
) -> None:
    """Nothing past what was read, its mtime changed: plan returns what to record (its key, size
    and mtime), no Plan to read; with those recorded, the next plan returns None."""
    data = b"one\ntwo\n"
    path = tmp_path / ("log.ndjson.gz" if gz else "log.ndjson")
    path.write_bytes(gzip.compress(data) if gz else data)
    size = path.stat().st_size
    head = sources.fingerprint(path, size)
    state = sources.FileState(size, path.stat().st_mtime_ns, head, len(data), 2)
    assert sources.plan(path, state) is None
    os.utime(path, ns=(1_700_000_000_000_000_000, 1_700_000_000_000_000_000))
    got = sources.plan(path, state)
    assert got == sources.Touched(sources.path_key(path), size, 1_700_000_000_000_000_000)
    assert sources.plan(path, dataclasses.replace(state, mtime_ns=got.mtime_ns)) is None
