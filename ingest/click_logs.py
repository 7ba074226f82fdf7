"""A batch's clicks → `clicks`, each click log known by its content, not only by its name.

A click carries no id of its own (two scans in one millisecond log the same line), so it is
keyed on its log, its line's text and which copy of that text in the log it is. Its log was
its file's name; a log rotated (`clicks.ndjson` renamed `clicks.ndjson.1` while a new
`clicks.ndjson` starts, later gzipped `clicks.ndjson.1.gz`), moved or copied elsewhere was then
another log, and counted its clicks again. A log is now known by its first line too (`click_logs`:
the md5 of that line and the name it was first read under): a file starting with the first line
of a log read before is that log, under whatever name, and its clicks are keyed under the log's
first name. Its lines past what was read before (written after the rename) are new clicks, as
in the log itself. Two files that start alike but differ further on share only their lines
alike at the same copy (the same text, the same number of times before it): the other lines of
each are clicks of their own, as two scans in one millisecond in one file stay two.
"""

from __future__ import annotations

import codecs
import gzip
import zlib
from collections.abc import Mapping
from pathlib import Path

import duckdb

from . import file_marks

FIRST_LINE_LIMIT = 64 * 1024  # a click line is some 120 bytes; a first line longer is none
OnDisk = tuple[Path, tuple[int, int] | None]  # a file and its (device, inode) when it was read


def first_line(path: Path, identity: tuple[int, int] | None = None) -> str | None:
    """The first line of a log that is not blank (a `.gz` decompressed), without its line end,
    the spaces around it and a leading UTF-8 byte order mark, as text (bytes that are not UTF-8
    written as \\xNN); None when none ends within its first FIRST_LINE_LIMIT bytes (a last line
    without its newline ends with the file), when it is no JSON object on one line (the `[` or
    `{` of a pretty-printed file starts many files alike), or the file cannot be read. With
    identity (the device and inode of the file the batch was read from): None when path names
    another file by now (rotated meanwhile), whose first line is not the batch's log's."""
    try:
        with open(path, "rb") as raw:
            if identity is not None and file_marks.identity_of(raw.fileno()) != identity:
                return None
            gz = path.name.lower().endswith(".gz")
            with gzip.GzipFile(fileobj=raw) if gz else raw as fh:
                data = fh.read(FIRST_LINE_LIMIT + 1)
    except (OSError, EOFError, zlib.error):  # gone, or a .gz still being written
        return None
    data = data.removeprefix(codecs.BOM_UTF8)
    whole = len(data) <= FIRST_LINE_LIMIT  # the file ends within it
    pieces = data.split(b"\n")
    for i, piece in enumerate(pieces):
        if i == len(pieces) - 1 and not whole:
            return None  # cut by the limit: not known whole
        line = piece.strip()
        if line:
            one = line.startswith(b"{") and line.endswith(b"}")
            return line.decode("utf-8", "backslashreplace") if one else None
    return None


# The batch's files that hold clicks: each one's name without `.gz`, the md5 of its first line,
# and the log its clicks are keyed under: the one a file starting alike was first read as, else
# (its first line new) its own name, or the first by name of this batch's files starting alike.
_LOGS = """
CREATE OR REPLACE TEMP TABLE rs_click_logs AS
SELECT file_id, own, head,
       CASE WHEN head IS NULL THEN own
            ELSE coalesce((SELECT min(l.log) FROM click_logs l WHERE l.head = o.head),
                          min(own) OVER (PARTITION BY head)) END AS log
FROM (
    SELECT f.file_id, regexp_replace(f.path, '\\.gz$', '') AS own, md5_number(h.first) AS head
    FROM rs_files f JOIN rs_click_heads h USING (file_id)
    WHERE f.file_id IN (SELECT file_id FROM rs_stage WHERE kind = 'click' AND problem IS NULL)
) o
"""

_REGISTER = """
INSERT INTO click_logs
SELECT head, min(log) FROM rs_click_logs
WHERE head IS NOT NULL AND head NOT IN (SELECT head FROM click_logs)
GROUP BY head
"""

# A click is named by its log, its line's text and which copy of that text in the log it is:
# not by its line number, so a file replaced by one that starts later (a rolling window) adds
# only its new clicks. The copies counted are this batch's, and the stored ones of the lines
# before those the batch reads of the file, in its log or under its own name (a stored copy
# the batch reads again is one of the batch's). A file's name is without a `.gz` ending: a log
# gzipped after it was read is the same log, and its clicks are not counted again (also when
# both are there, as `gzip -k` leaves them); a click stored by an earlier version under its
# `.gz` name (k_file) is not counted again either.
INSERT_CLICKS = """
INSERT INTO clicks
SELECT k, ts, ref, page_id, qr, detail, path, line_no, $run_id FROM (
    SELECT rs_key([m.log, m.raw, m.nth]) AS k, rs_key([m.path, m.raw, m.nth]) AS k_file, m.*
    FROM (
        SELECT CAST(n.copy + (
                   SELECT count(*) FROM clicks k
                   WHERE regexp_replace(k.file, '\\.gz$', '') IN (n.log, n.own)
                     AND k.line_no < n.first_line AND k.ts = n.ts AND k.ref = n.ref
                     AND k.page IS NOT DISTINCT FROM n.page_id AND k.qr = n.qr
                     AND k.device IS NOT DISTINCT FROM n.detail) AS VARCHAR) AS nth, n.*
        FROM (
            -- The text without its line end: a last line read before its newline was written
            -- is the same click once it has one.
            SELECT s.ts, s.ref, s.page_id, s.qr, s.detail, f.path, s.line_no, b.first_line,
                   g.log, g.own, rtrim(c.raw, chr(13) || chr(10)) AS raw,
                   row_number() OVER (PARTITION BY f.path, rtrim(c.raw, chr(13) || chr(10))
                                      ORDER BY s.line_no) AS copy
            FROM rs_stage s JOIN chunk c ON c.rid = s.rid
            JOIN rs_files f ON f.file_id = s.file_id
            JOIN rs_click_logs g ON g.file_id = s.file_id
            JOIN (SELECT file_id, min(line_no) AS first_line FROM chunk GROUP BY file_id) b
                ON b.file_id = s.file_id
            WHERE s.kind = 'click' AND s.problem IS NULL
        ) n
    ) m
) WHERE k NOT IN (SELECT click_key FROM clicks) AND k_file NOT IN (SELECT click_key FROM clicks)
QUALIFY row_number() OVER (PARTITION BY k ORDER BY path) = 1
"""


def start_run(con: duckdb.DuckDBPyConnection) -> None:
    """Forget the first lines an earlier run on con read: a file may start otherwise by now."""
    con.execute("CREATE OR REPLACE TEMP TABLE rs_click_heads (file_id INTEGER, first VARCHAR)")


def insert(con: duckdb.DuckDBPyConnection, run_id: int, paths: Mapping[int, OnDisk]) -> None:
    """Store the batch's new clicks (rs_stage's, of the `chunk` lines), each log of them known
    by its first line, read from paths (file_id → the file on disk and its identity when read;
    a file not there is known by its name alone), and remember the first lines not known
    before. A file's first line is read once a run (start_run), in the first batch with its
    clicks: a log spread over many batches is not read again in each."""
    ids = [
        int(r[0])
        for r in con.execute(
            """SELECT DISTINCT file_id FROM rs_stage WHERE kind = 'click' AND problem IS NULL
               AND file_id NOT IN (SELECT file_id FROM rs_click_heads)"""
        ).fetchall()
    ]
    # As lists, not an Arrow table: pa.array() imports pandas, a fifth of a second a run.
    con.execute(
        "INSERT INTO rs_click_heads SELECT unnest($ids::INTEGER[]), unnest($firsts::VARCHAR[])",
        {"ids": ids, "firsts": [first_line(*paths[i]) if i in paths else None for i in ids]},
    )
    con.execute(_LOGS)
    con.execute(INSERT_CLICKS, {"run_id": run_id})
    con.execute(_REGISTER)
