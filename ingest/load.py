"""One chunk of lines → new rows in `events` and `rejects`, deduplicated on stable keys.

Lines reach DuckDB as an Arrow string column built straight on the chunk's bytes (numpy finds
the newlines), DuckDB parses them (webhook.py), and only the rare rejected line is looked at
in Python, to say exactly what is wrong with it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import duckdb
import numpy as np
import pyarrow as pa

from . import attribute, webhook
from .sources import Chunk

_STAGE = "CREATE OR REPLACE TEMP TABLE rs_stage AS\n" + "\nUNION ALL BY NAME\n".join(
    f"({q})" for q in (*webhook.ITEM_EVENTS, webhook.CHANGE_EVENTS, webhook.SEND_EVENTS)
)

# Items of an unknown kind: name them by their key and hash their content for dedupe.
_OTHER_ITEMS = """
UPDATE rs_stage s SET
    detail = coalesce(list_filter(json_keys(o.item),
                      lambda k: k NOT IN ('sender', 'recipient', 'timestamp'))[1], '?'),
    event_key = rs_key([s.page_id, s.psid, 'other', CAST(epoch_ms(s.ts) AS VARCHAR),
                        md5(CAST(o.item AS VARCHAR))])
FROM (
    SELECT s.line_no, s.ei, s.ii, s.container,
           json_extract(l.raw, CASE
               WHEN s.container = 'sample' THEN '$.value'
               ELSE CASE WHEN (l.raw->'$.body') IS NOT NULL THEN '$.body' ELSE '$' END
                    || '.entry[' || (s.ei - 1) || '].' || s.container || '[' || (s.ii - 1) || ']'
                    || CASE WHEN s.container = 'changes' THEN '.value' ELSE '' END
           END) AS item
    FROM rs_stage s JOIN chunk l USING (line_no)
    WHERE s.kind = 'other' AND s.container NOT IN ('send_api', 'feed') AND s.problem IS NULL
) o
WHERE s.line_no = o.line_no AND s.ei IS NOT DISTINCT FROM o.ei
  AND s.ii IS NOT DISTINCT FROM o.ii AND s.container = o.container
"""

_INSERT_EVENTS = f"""
INSERT INTO events
SELECT event_key, page_id, psid, coalesce(is_user_ref, false), ts, kind, detail, is_standby,
       rs_channel(kind, source, ad_id, comment_id, psid, {attribute.IS_QR.format(t="s")}),
       ref, source, ad_id, ad_title, referer_uri, is_guest_user, mid, text, attachment_types,
       quick_reply_payload, postback_payload, app_id, watermark_at, post_id, comment_id,
       commenter_id, $file, line_no, $run_id
FROM rs_stage s
WHERE problem IS NULL
  AND NOT EXISTS (SELECT 1 FROM events e WHERE e.event_key = s.event_key)
QUALIFY row_number() OVER (PARTITION BY event_key ORDER BY line_no, ei, ii) = 1
"""

# Lines that yielded no event, or whose items were partly malformed: one reject row each.
_TROUBLED_LINES = """
WITH per_line AS (
    SELECT line_no,
           count(*) FILTER (WHERE problem IS NULL) AS good,
           arg_min(CASE container WHEN 'send_api' THEN problem
                                  WHEN 'sample' THEN 'value: ' || problem
                                  ELSE 'entry[' || (ei - 1) || '].'
                                       || replace(container, 'feed', 'changes') || '['
                                       || (ii - 1) || ']: ' || problem END,
                   [ei, ii]) FILTER (WHERE problem IS NOT NULL) AS problem
    FROM rs_stage GROUP BY line_no
)
SELECT l.line_no, l.raw, p.problem, coalesce(p.good, 0) AS good
FROM chunk l LEFT JOIN per_line p USING (line_no)
WHERE (p.good IS NULL OR p.good = 0 OR p.problem IS NOT NULL)
  AND length(trim(l.raw, ' \t\r\n')) > 0
ORDER BY l.line_no
"""


BATCH_ROWS = 16384  # lines per Arrow record batch: DuckDB parallelises over batches


@dataclass
class ChunkResult:
    lines: int = 0
    parsed: int = 0  # events found in the chunk, before dedupe
    added: int = 0  # events new to the database
    rejects: list[tuple[int, str, str]] = field(default_factory=list)  # (line_no, reason, raw)


def lines_table(chunk: Chunk) -> tuple[pa.Table, list[tuple[int, str, str]]]:
    """The chunk as (line_no, raw) rows; lines that are not UTF-8 are rejected here."""
    data = chunk.data
    ends = np.flatnonzero(np.frombuffer(data, dtype=np.uint8) == 10) + 1
    if not data.endswith(b"\n"):
        ends = np.append(ends, len(data))
    offsets = np.concatenate(([0], ends)).astype(np.int64)
    n = len(ends)
    line_nos = np.arange(chunk.first_line, chunk.first_line + n, dtype=np.int64)
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return _lines_table_checked(data, offsets, line_nos)
    raw = pa.LargeStringArray.from_buffers(n, pa.py_buffer(offsets), pa.py_buffer(data))
    table = pa.table({"line_no": line_nos, "raw": raw})
    # Several record batches let DuckDB parse on every core.
    return pa.Table.from_batches(table.to_batches(max_chunksize=BATCH_ROWS)), []


def _lines_table_checked(
    data: bytes, offsets: np.ndarray, line_nos: np.ndarray
) -> tuple[pa.Table, list[tuple[int, str, str]]]:
    texts: list[str] = []
    rejects: list[tuple[int, str, str]] = []
    for i, line_no in enumerate(line_nos.tolist()):
        b = data[offsets[i] : offsets[i + 1]]
        try:
            texts.append(b.decode("utf-8"))
        except UnicodeDecodeError as exc:
            texts.append("")
            raw = b.rstrip(b"\r\n").decode("utf-8", "backslashreplace")
            rejects.append((line_no, f"invalid UTF-8 at byte {exc.start}", raw))
    return pa.table({"line_no": line_nos, "raw": pa.array(texts, pa.large_string())}), rejects


def load_chunk(con: duckdb.DuckDBPyConnection, chunk: Chunk, file: str, run_id: int) -> ChunkResult:
    """Parse a chunk, add its new events, and say which lines are rejected and why."""
    table, rejects = lines_table(chunk)
    res = ChunkResult(lines=table.num_rows, rejects=rejects)
    con.register("chunk", table)
    try:
        con.execute(_STAGE)
        con.execute(_OTHER_ITEMS)
        (res.parsed,) = con.execute(
            "SELECT count(*) FROM rs_stage WHERE problem IS NULL"
        ).fetchone() or (0,)
        row = con.execute(_INSERT_EVENTS, {"file": file, "run_id": run_id}).fetchone()
        res.added = int(row[0]) if row else 0
        for line_no, raw, problem, good in con.execute(_TROUBLED_LINES).fetchall():
            res.rejects.append((line_no, webhook.explain_reject(raw, problem, good), _strip(raw)))
    finally:
        con.unregister("chunk")
    return res


def _strip(raw: str) -> str:
    return raw.rstrip("\r\n")


def insert_rejects(
    con: duckdb.DuckDBPyConnection, file: str, run_id: int, rows: list[tuple[int, str, str]]
) -> int:
    """Add reject rows not already recorded for the same (file, line, raw text)."""
    if not rows:
        return 0
    tbl = pa.table(
        {
            "line_no": [r[0] for r in rows],
            "reason": [r[1] for r in rows],
            "raw": [r[2] for r in rows],
        }
    )
    con.register("rs_new_rejects", tbl)
    try:
        row = con.execute(
            """INSERT INTO rejects
               SELECT k, $file, line_no, reason, raw, $run_id FROM (
                   SELECT rs_key([$file, CAST(line_no AS VARCHAR), raw]) AS k, *
                   FROM rs_new_rejects)
               WHERE k NOT IN (SELECT reject_key FROM rejects)""",
            {"file": file, "run_id": run_id},
        ).fetchone()
    finally:
        con.unregister("rs_new_rejects")
    return int(row[0]) if row else 0
