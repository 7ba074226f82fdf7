"""Log chunks → the Arrow table of lines DuckDB parses: no Python string per line.

numpy finds the newlines, Arrow checks the UTF-8 in C++, and only a line holding a byte over
0x7F is decoded in Python, to say exactly why it is rejected. The table is cut into record
batches that DuckDB parses in parallel, each small enough for a batch of long deliveries.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from . import reasons, wide_ends
from .arrow_arrays import ints
from .sources import Chunk

BATCH_ROWS = 16384  # lines per Arrow record batch: DuckDB parallelises over batches
# Bytes per record batch, at most (one longer line makes a batch alone): DuckDB parses a record
# batch's lines together, so a batch of near-1 MiB deliveries (1,000 items each) must hold few.
BATCH_TEXT_BYTES = 8 * 2**20
# Chunks of fewer lines are joined into record batches (copied: a batch of small files then
# holds its lines twice); DuckDB parses a record batch of a few hundred lines at a loss.
JOIN_BELOW_ROWS = 1024
SCAN_BLOCK = 2**20  # bytes searched for newlines at a time

Reject = tuple[int, int, str, str]  # (file_id, line_no, reason, raw)


def lines_table(chunks: list[tuple[int, Chunk]]) -> tuple[pa.Table, list[Reject]]:
    """The chunks as (rid, file_id, line_no, raw) rows; lines that are not UTF-8 are rejected
    here (their text is emptied so that nothing else judges them)."""
    tables: list[pa.Table] = []
    rejects: list[Reject] = []
    rid = 0
    for file_id, chunk in chunks:
        raw, bad = _lines(chunk)
        n = len(raw)
        line_nos = np.arange(chunk.first_line, chunk.first_line + n, dtype=np.int64)
        if chunk.line_nos is not None:  # a document's bodies, each where it starts
            line_nos = np.array(chunk.line_nos, dtype=np.int64)
        rejects.extend((file_id, int(line_nos[i]), why, text) for i, why, text in bad)
        tables.append(table_of(np.arange(rid, rid + n, dtype=np.int64),
                                np.full(n, file_id, dtype=np.int32), line_nos, raw))  # fmt: skip
        rid += n
    table = pa.concat_tables(_joined(tables))
    batches = [b for t in table.to_batches() for b in _slices(t)]
    return pa.Table.from_batches(batches, schema=table.schema), rejects


def _joined(tables: list[pa.Table]) -> list[pa.Table]:
    """Consecutive small tables (a chunk each: a small file's few lines, fewer than
    JOIN_BELOW_ROWS) joined into one of at most BATCH_ROWS lines and BATCH_TEXT_BYTES of text,
    so that a batch of many small files is not parsed one small record batch per file (10,000
    daily files of 100 lines took DuckDB 4x as long as the same lines in one file). Only the
    joined small ones are copied."""
    groups: list[list[pa.Table]] = []
    rows = size = 0
    joining = False  # whether the last group takes more small tables
    for t in tables:
        n, text = t.num_rows, t.column("raw").nbytes
        small = n < JOIN_BELOW_ROWS
        if not (joining and small and rows + n <= BATCH_ROWS and size + text <= BATCH_TEXT_BYTES):
            groups.append([])
            rows = size = 0
        groups[-1].append(t)
        rows += n
        size += text
        joining = small
    return [g[0] if len(g) == 1 else pa.concat_tables(g).combine_chunks() for g in groups]


def _slices(batch: pa.RecordBatch) -> list[pa.RecordBatch]:
    """batch cut into slices of at most BATCH_ROWS lines and BATCH_TEXT_BYTES of text, each of
    one line at least."""
    raw = batch.column(batch.schema.get_field_index("raw"))
    n = batch.num_rows
    ends = np.frombuffer(raw.buffers()[1], dtype=np.int64)[raw.offset : raw.offset + n + 1]
    cuts, at = [0], 0
    while at < n:
        fit = int(np.searchsorted(ends, ends[at] + BATCH_TEXT_BYTES, side="right")) - 1
        at = min(max(fit, at + 1), at + BATCH_ROWS, n)
        cuts.append(at)
    return [batch.slice(a, b - a) for a, b in zip(cuts, cuts[1:], strict=False)]


def table_of(rid: np.ndarray, file_id: object, line_no: object, raw: pa.Array) -> pa.Table:
    return pa.Table.from_arrays(
        [ints(rid, pa.int64()), ints(file_id, pa.int32()), ints(line_no, pa.int64()), raw],
        names=["rid", "file_id", "line_no", "raw"],
    )


def _lines(chunk: Chunk) -> tuple[pa.Array, list[tuple[int, str, str]]]:
    data = chunk.data
    if chunk.utf16:  # its lines end at the code unit 0x000A alone
        ends = wide_ends.line_ends(data, chunk.at, chunk.utf16)
    else:
        # at each 0x0A, but within a line of UTF-16 text appended to the log
        ends = wide_ends.mixed_ends(data, _line_ends(np.frombuffer(data, dtype=np.uint8)))
    if len(data) and (not len(ends) or ends[-1] != len(data)):  # a last line with no end
        ends = np.append(ends, len(data))
    offsets = np.concatenate(([0], ends)).astype(np.int64)
    lines = pa.LargeStringArray.from_buffers(len(ends), pa.py_buffer(offsets), pa.py_buffer(data))
    try:
        lines.validate(full=True)  # UTF-8, in Arrow's C++: no Python string is made
    except pa.ArrowInvalid:
        return _checked_lines(data, offsets, chunk.utf16)
    return lines, []


def _line_ends(arr: np.ndarray) -> np.ndarray:
    """The offsets just past each newline, found a block at a time: one comparison over the
    whole chunk would allocate a mask as large as the chunk, and fresh pages cost more than the
    scan (0.7 s against 0.07 s for 128 MiB here)."""
    mask = np.empty(min(len(arr), SCAN_BLOCK), dtype=bool)
    found = []
    for at in range(0, len(arr), SCAN_BLOCK):
        part = mask[: min(SCAN_BLOCK, len(arr) - at)]
        np.equal(arr[at : at + SCAN_BLOCK], 10, out=part)
        found.append(np.flatnonzero(part) + (at + 1))
    return np.concatenate(found) if found else np.empty(0, dtype=np.int64)


def _checked_lines(
    data: memoryview, offsets: np.ndarray, utf16: str = ""
) -> tuple[pa.Array, list[tuple[int, str, str]]]:
    """The lines with those that are not UTF-8 emptied, and why each of those was rejected
    (each line of a file that starts as UTF-16 text, utf16, is UTF-16 text too).

    Only lines holding a byte >= 0x80 can be invalid: just those are decoded in Python.
    """
    arr = np.frombuffer(data, dtype=np.uint8)
    high = np.flatnonzero(arr >= 0x80)
    suspects = np.unique(np.searchsorted(offsets, high, side="right") - 1)
    bad: list[tuple[int, str, str]] = []
    for i in suspects.tolist():
        b = bytes(data[offsets[i] : offsets[i + 1]])
        try:
            b.decode("utf-8")
        except UnicodeDecodeError as exc:
            raw = b.rstrip(b"\r\n").decode("utf-8", "backslashreplace")
            # The file's start, the line's byte order mark (a pulled input, read line by line),
            # or the line's own start (UTF-16 appended to a UTF-8 log, as PowerShell 5's `>>`).
            wide = bool(utf16) or b.startswith((b"\xff\xfe", b"\xfe\xff")) or reasons.is_utf16(b)
            why = reasons.UTF16 if wide else f"invalid UTF-8 at byte {exc.start}"
            if not wide and exc.reason == "unexpected end of data" and not b.endswith(b"\n"):
                # A last line cut inside a character by a writer still at it, as
                # troubled_lines.py says of one cut between characters (whose JSON is then
                # invalid).
                why = f"{reasons.UNFINISHED}: {why}"
            bad.append((i, why, raw))
    # The good lines' bytes, in order; the bad ones become empty lines.
    idx = [i for i, _, _ in bad]
    starts = [0, *(int(offsets[i + 1]) for i in idx)]
    stops = [*(int(offsets[i]) for i in idx), int(offsets[-1])]
    clean = b"".join(bytes(data[a:b]) for a, b in zip(starts, stops, strict=True))
    lengths = np.diff(offsets)
    lengths[idx] = 0
    new_offsets = np.concatenate(([0], np.cumsum(lengths))).astype(np.int64)
    n = len(offsets) - 1
    return pa.LargeStringArray.from_buffers(n, pa.py_buffer(new_offsets), pa.py_buffer(clean)), bad
