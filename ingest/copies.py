"""Copies of one event: the later ones within a batch, within a run and against earlier runs.

An event comes more than once when Meta retries a POST (in the same file, another file, another
run) or when two apps of a page log it (messaging[] and standby[]). One copy stays, the same
whichever log was read first: the earliest dated, then the messaging[] one, then the first by
file and line. load.py runs the batch's statements, pipeline.py RUN_COPIES at the end of a run.
"""

from __future__ import annotations

import datetime as dt

# Later copies of an event within the batch (a POST retried in the same file): the window runs
# over the few duplicated keys only, not over every row. Copies in other batches of the same
# run are removed once, when the run ends (RUN_COPIES); copies of earlier runs' events are
# never inserted (OLDER). Copies dated by their arrival (a line without a timestamp of its
# own) keep the earliest instant, whichever was read first: the order of logs changes nothing.
# At one instant a copy from messaging[] stays over one from standby[] (two apps of the page
# logging one event: the thread owner's and another's), whichever log was read first.
LATER_COPIES = """
CREATE OR REPLACE TEMP TABLE rs_later AS
SELECT rid, ei, ii, container FROM (
    SELECT rid, ei, ii, container,
           row_number() OVER (PARTITION BY event_key ORDER BY ts, is_standby, rid, ei, ii)
               AS n
    FROM rs_stage
    WHERE problem IS NULL AND kind <> 'click' AND event_key IN (
        SELECT event_key FROM rs_stage WHERE problem IS NULL AND kind <> 'click'
        GROUP BY event_key HAVING count(*) > 1)
) WHERE n > 1
"""


# Scanning every older key per batch would make a long first run quadratic: only earlier runs'
# events are checked here, and left out altogether when there are none. A copy has the same
# instant (it is in the key unless the key is a mid, and a mid's message keeps its timestamp),
# so only events near the batch's instants are read: on a big database, a small run reads a
# few row groups instead of every key. The margin covers copies dated by their arrival.
OLDER = """AND NOT EXISTS (SELECT 1 FROM events e
                WHERE e.ts BETWEEN $lo AND $hi
                  AND e.event_key = s.event_key AND e.run_id <> $run_id)"""
# An earlier run's copy dated later than one of this batch: the batch's copy replaces it (not
# before the latest prune: that copy would be left out), so the earliest stays whichever run
# read it first, as within a run. Only copies dated by their arrival, and copies named by a mid
# (whose instant is not in the key), can differ in instant.
LATER_STORED = """
DELETE FROM events e USING (
    SELECT event_key, min(ts) AS ts FROM rs_stage
    WHERE problem IS NULL AND kind <> 'click' AND (by_arrival OR mid IS NOT NULL)
      AND ts >= coalesce((SELECT max(CAST(before AS TIMESTAMP)) FROM prunes), ts)
    GROUP BY event_key
) s
WHERE e.event_key = s.event_key AND s.ts < e.ts
  AND e.ts BETWEEN $lo AND $hi AND e.run_id <> $run_id
"""
# An earlier run's copy from standby[] at the instant of a copy of this batch from messaging[]:
# the batch's copy replaces it, as within a run. Stored standby copies are few: the join is
# built on them.
STANDBY_STORED = """
DELETE FROM events e USING (
    SELECT DISTINCT event_key, ts FROM rs_stage
    WHERE problem IS NULL AND kind <> 'click' AND NOT is_standby
      AND ts >= coalesce((SELECT max(CAST(before AS TIMESTAMP)) FROM prunes), ts)
) s
WHERE e.is_standby AND e.event_key = s.event_key AND e.ts = s.ts
  AND e.ts BETWEEN $lo AND $hi AND e.run_id <> $run_id
"""
MARGIN = dt.timedelta(days=30)
EPOCH = dt.datetime(2000, 1, 1)

# Events of this run whose key an earlier line of the run already gave (the earliest dated, then
# one from messaging[] over standby[], then the first by file and line, stays): a POST retried
# across batches or files.
RUN_COPIES = """
DELETE FROM events WHERE run_id = $run_id AND rowid IN (
    SELECT rowid FROM (
        SELECT rowid, row_number() OVER (
            PARTITION BY event_key ORDER BY ts, is_standby, file, line_no, rowid) AS n
        FROM events
        WHERE run_id = $run_id AND event_key IN (
            SELECT event_key FROM events WHERE run_id = $run_id
            GROUP BY event_key HAVING count(*) > 1)
    ) WHERE n > 1)
"""
