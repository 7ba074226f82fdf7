"""A batch's stage: the one statement that parses its lines into event rows (rs_stage).

Messaging items are parsed from every line; each rare kind (standby, wrapped items, feed
changes, send logs, clicks) only from the lines holding its marker, found in one scan.
"""

from __future__ import annotations

from . import insight_lines
from .click_events import CLICK_EVENTS
from .comment_events import CHANGE_EVENTS, SAMPLE_CHANGE_EVENTS, SEND_EVENTS
from .lake import MAX_PAGE_ID_BYTES
from .shared_contact import removed_sql
from .webhook import ITEM_EVENTS

# Standby, changes, wrapped, send-log, click and ad insights lines are rare: one substring scan
# copies them to `rs_rare`, and only those lines are parsed again for these kinds.
RARE_LINES = """
CREATE OR REPLACE TEMP TABLE rs_rare AS
SELECT rid, file_id, line_no, raw FROM chunk
-- One regular expression (a single pass) is about 3x faster here than seven contains().
WHERE regexp_matches(raw, '"(?:standby|changes|field|send_api|refscope_click|data|date_start)"')
"""

# The stage of a batch: messaging items always; each rare kind only when a line of the batch
# holds its marker (planning a branch costs more than running it on no rows).
STAGE_PARTS: tuple[tuple[str | None, str], ...] = (
    (None, ITEM_EVENTS[0]),
    ('"standby"', ITEM_EVENTS[1]),
    ('"changes"', ITEM_EVENTS[2]),
    ('"field"', ITEM_EVENTS[3]),
    ('"field"', SAMPLE_CHANGE_EVENTS),
    ('"changes"', CHANGE_EVENTS),
    ('"send_api"', SEND_EVENTS),
    ('"refscope_click"', CLICK_EVENTS),
)
# Ad insights lines have no stage part: insight_lines.py reads them from rs_rare.
RARE_MARKERS = sorted({m for m, _ in STAGE_PARTS if m is not None} | set(insight_lines.MARKERS))
RARE_FOUND = "SELECT {} FROM rs_rare".format(
    ", ".join(f"coalesce(bool_or(contains(raw, '{m}')), false)" for m in RARE_MARKERS)
)


# A line whose item list is no list (an object, a string) beside good items: the messaging part
# flags only a batch's entries that gave no messaging item, so a broken list in an entry that
# also holds good items, or a broken standby or changes list, lost its items without a word.
# Such a line holds a rare marker (standby or changes): a regular expression finds the few
# candidates, whose entries are then looked at as JSON; troubled_lines.py names each broken
# one. A null list holds no items: it is not broken.
BROKEN_LISTS = r"""
UPDATE rs_stage SET entry_gap = true
WHERE rid IN (
    SELECT rid FROM (
        SELECT rid, CASE WHEN json_type(raw, '$.body') = 'OBJECT' THEN raw->'$.body.entry'
                         ELSE raw->'$.entry' END AS entries
        FROM rs_rare
        WHERE regexp_matches(raw, '"(?:messaging|standby|changes)"\s*:\s*[^\[\sn]')
          AND json_valid(raw)
    )
    WHERE json_type(entries) = 'ARRAY' AND list_bool_or(list_transform(
        json_extract(entries, '$[*]'),
        lambda e: json_type(e) <> 'OBJECT'
            OR coalesce(json_type(e, '$.messaging') NOT IN ('ARRAY', 'NULL'), false)
            OR coalesce(json_type(e, '$.standby') NOT IN ('ARRAY', 'NULL'), false)
            OR coalesce(json_type(e, '$.changes') NOT IN ('ARRAY', 'NULL'), false)))
)
"""
BROKEN_LISTS_MARKERS = ('"standby"', '"changes"')


# A page id longer than MAX_PAGE_ID_BYTES (see lake) is no page's, and no lake's folder name.
# An item's own problem, if it has one, is the one said.
_PROBLEM = f"""coalesce(problem, CASE WHEN strlen(page_id) > {MAX_PAGE_ID_BYTES}
                               THEN 'page id longer than {MAX_PAGE_ID_BYTES} bytes' END)"""


def stage_sql(found: set[str], keep_text: bool = True) -> str:
    """CREATE the batch's stage from the parts whose marker is in found (RARE_FOUND's).

    Every part's rows get the one problem all kinds share, a page id too long, as they are
    staged. Without keep_text the stage holds the texts' lengths only: a batch of long messages
    then takes no memory for texts that are not stored. A quick reply's payload that is the
    person's email address or phone number (shared_contact) goes with the text."""
    parts = [q for m, q in STAGE_PARTS if m is None or m in found]
    union = "\nUNION ALL BY NAME\n".join(f"({q})" for q in parts)
    replaced = [f"{_PROBLEM} AS problem"]
    if not keep_text:
        payload = removed_sql("quick_reply_payload")
        replaced += ["NULL::VARCHAR AS text", f"{payload} AS quick_reply_payload"]
    return f"""CREATE OR REPLACE TEMP TABLE rs_stage AS
SELECT * REPLACE ({", ".join(replaced)})
FROM ({union})"""
