"""Attribution of a big first ingest against a bare GROUP BY of the same events, in one run.

    python bench/attribution.py [--events 12000000] [--people 4000000] [--memory 600MB] [--ads]
                                [--keep DIR]

Writes a database of N events of about M people (a message, echo, read, delivery and tagged
postback in turn; with --ads, one event in 25 is a message with an ad's referral, as on a page
running Click-to-Messenger ads), or, with --keep DIR, reuses the one an earlier run's build
finished there with the same --events and --people (one built with others, or whose build
failed or was killed, is built again), then times, each in a fresh process at the ingest's
memory limit:
  floor        one GROUP BY of the events per contact, with five aggregates, into a table
  attribution  what an ingest's last transaction does with a first run's events: touches,
               contacts and their daily messages, rebuilt for everyone
and prints seconds, events/s, peak RSS and the ratio attribution/floor. The defaults make about
3.8M contacts, more than a first ingest of two busy pages' years of logs.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from child import measured, run
from workdir import in_work_dir, reuse_or_build

BUILD = """
import sys
from pathlib import Path
from ingest import db
con = db.connect(Path(sys.argv[1]))
con.execute('''INSERT INTO events BY NAME
    SELECT md5_number(CAST(i AS VARCHAR)) AS event_key, '1122334455667788' AS page_id,
           CAST(1000000000000000 + hash(i) % $people AS VARCHAR) AS psid, false AS is_user_ref,
           make_timestamp(1735689600000000 + i * 1000000) AS ts,
           ['message', 'message_echo', 'read', 'delivery', 'postback'][1 + i % 5] AS kind,
           false AS is_standby,
           CASE WHEN $ads AND i % 25 = 0 THEN 'ctm_ad' WHEN i % 5 = 4 THEN 'm_me_link' END
               AS channel,
           CASE WHEN $ads AND i % 25 = 0 THEN 'bench_ad_' || i % 97 END AS ad_id,
           CASE WHEN i % 5 = 2 THEN make_timestamp(1735689600000000 + i * 1000000) END
               AS watermark_at,
           'bench.ndjson' AS file, i AS line_no, 1 AS run_id
    FROM range($events) t(i)''',
    {"events": int(sys.argv[2]), "people": int(sys.argv[3]), "ads": sys.argv[4] == "ads"})
con.close()
"""
FLOOR = """
import resource, sys, time
from pathlib import Path
from ingest import db
con = db.connect(Path(sys.argv[1]))
con.execute(f"SET memory_limit = '{sys.argv[2]}'")
t = time.perf_counter()
con.execute('''CREATE OR REPLACE TEMP TABLE floor AS
    SELECT page_id, psid, count(*) AS n, min(ts) AS first, max(ts) AS last,
           count(*) FILTER (WHERE kind = 'message') AS messages, max(watermark_at) AS read
    FROM events WHERE psid IS NOT NULL GROUP BY page_id, psid''')
secs = time.perf_counter() - t
rows = con.execute("SELECT count(*) FROM events").fetchone()[0]
print(secs, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, rows)
"""
ATTRIBUTION = """
import resource, sys, time
from pathlib import Path
from ingest import attribute, db, webhook
con = db.connect(Path(sys.argv[1]))
con.execute(f"SET memory_limit = '{sys.argv[2]}'")
con.execute(webhook.MACROS)
attribute.install_macros(con)
attribute.refresh_qr_refs(con)
t = time.perf_counter()
con.execute("BEGIN TRANSACTION")
new = attribute.attribute(con, everyone=True)
con.execute("ROLLBACK")  # the database stays as built: the bench can be run again on it
secs = time.perf_counter() - t
rows = con.execute("SELECT count(*) FROM events").fetchone()[0]
print(secs, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, rows, new)
"""


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--events", type=int, default=12_000_000)
    ap.add_argument("--people", type=int, default=4_000_000)
    ap.add_argument("--memory", default="600MB", help="the ingest's default memory limit")
    ap.add_argument("--ads", action="store_true", help="one event in 25 an ad's first message")
    in_work_dir(ap, _run, keep_help="build in (or reuse the database in) this directory")


def _run(a: argparse.Namespace, work: Path) -> None:
    path = work / f"attribution{'-ads' if a.ads else ''}.duckdb"
    options: dict[str, object] = {"--events": a.events, "--people": a.people, "--ads": a.ads}
    # A build killed in its one INSERT leaves the schema and no events: it records no options.
    reuse_or_build(
        path,
        options,
        lambda: run(BUILD, str(path), str(a.events), str(a.people), "ads" if a.ads else "plain"),
    )
    ads = ", one in 25 an ad's message" if a.ads else ""
    print(f"database: {a.events:,} events of up to {a.people:,} people{ads}, memory {a.memory}")
    results = {}
    for name, code in (("floor", FLOOR), ("attribution", ATTRIBUTION)):
        step = measured(code, str(path), a.memory)
        results[name] = step.secs
        extra = f"  new contacts {int(step.rest[0]):,}" if step.rest else ""
        print(f"{name:12s} {step.secs:7.2f} s  {step.count / step.secs:>12,.0f} events/s  "
              f"peak RSS {step.rss / 2**20:6.0f} MiB{extra}")  # fmt: skip
    print(f"ratio attribution/floor {results['attribution'] / results['floor']:.2f}")


if __name__ == "__main__":
    main()
