"""Scans and clicks of tracked links → rows for `clicks`, in DuckDB SQL.

The lines refscope's receiver logs at GET /r/<ref> (clicklog.click_line), and click logs of the
same shape from elsewhere. Built on webhook.py's parsing pieces; pure SQL over the batch's
`rs_rare` lines, like it. Each field of the wrong type is a reject with its reason, never a click
of no link (counted nowhere) or of no device class (a bot's counted as a person's).
"""

from __future__ import annotations

from .shapes import CLICK_STRUCTURE
from .webhook import parse_raw


def _json_type_words(value: str) -> str:
    """SQL: the JSON type of value (a JSON column) as the rejects say it ('a JSON object')."""
    return f"""'a JSON ' || CASE json_type({value}) WHEN 'OBJECT' THEN 'object'
        WHEN 'ARRAY' THEN 'array' WHEN 'BOOLEAN' THEN 'boolean' WHEN 'VARCHAR' THEN 'string'
        ELSE 'number' END"""


CLICK_EVENTS = f"""
WITH rs_lines AS (
    SELECT rid, file_id, line_no, {parse_raw(CLICK_STRUCTURE)} AS d
    FROM rs_rare WHERE contains(raw, '"refscope_click"')
)
SELECT rid, file_id, line_no, 'click' AS kind, 'click' AS container, rs_ts(d.ts) AS ts,
       d.ref->>'$' AS ref, d.page->>'$' AS page_id, coalesce(rs_bool(d.qr), false) AS qr,
       d.device->>'$' AS detail,
       -- A ref of spaces only, or an object, a list, true or false in its place, is no ref (as
       -- in a referral): stored, it was a click of no link, counted nowhere and never rejected.
       CASE WHEN rs_ts(d.ts) IS NULL THEN 'no valid timestamp'
            WHEN rs_ref(rs_id(d.ref->>'$')) IS NULL OR json_type(d.ref) = 'BOOLEAN'
                THEN 'click without ref'
            -- The receiver logs true or false: "yes", 2 or an object was read as a plain
            -- link's click, a scan counted as a click without a word.
            WHEN d.qr IS NOT NULL AND rs_bool(d.qr) IS NULL
                THEN 'click with qr neither true nor false'
            -- It logs its link's page as text: a username or a page id (an id written as a
            -- whole number is read as its digits, as ids are everywhere). true, an object, a
            -- list or 12.5 names no page: stored, it was a click of no link.
            WHEN json_type(d.page) NOT IN ('VARCHAR', 'UBIGINT')
                THEN 'click with page neither text nor a page id: ' || {_json_type_words("d.page")}
            -- And the device class as text: a number, true, an object or a list is none (a
            -- bot's ["bot"] was counted as a person's click).
            WHEN json_type(d.device) <> 'VARCHAR'
                THEN 'click with device that is not text: ' || {_json_type_words("d.device")}
       END AS problem,
       NULL::BIGINT AS ei, NULL::BIGINT AS ii
FROM rs_lines
WHERE d.object = 'refscope_click'
"""
