"""What each step a full ingest must take costs on its own, against the floor, in one run.

    python bench/ingest_parts.py [--deliveries 1000000] [--keep DIR]

bench/ingest.py compares a whole `refscope ingest` with the floor (DuckDB's read_json + UNNEST
of a few fields into a bare table). This script asks how far below that a full ingest could
go: it writes the same log, times the floor in a fresh process, then in another fresh process,
at the ingest's memory limit, times alone each step that the ingest issue requires:
  parse      refscope's SQL for messaging items (every kind, its event key and the item's
             problem, if any) straight over read_json of the file: DuckDB reads and parses the
             file itself, in parallel, and nothing is written
  stage      the same rows written to a temporary table, as a batch's stage is
  insert     the stage's rows into `events`, by the ingest's own INSERT
  attribute  touches, contacts and their daily messages from those events, for everyone
and prints each step's seconds and ratio to the floor, and parse + insert + attribute: the
ratio no ingest built on these three steps can go below (it reads no line twice, rejects
nothing, checks no earlier run and skips the stage).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from child import bench_ingest, fresh, measured, run
from workdir import in_work_dir

HERE = Path(__file__).resolve().parent


def duck_type(shape: object) -> str:
    """A json_transform structure as the DuckDB type read_json's columns= takes."""
    if isinstance(shape, str):
        return shape
    if isinstance(shape, list):
        return duck_type(shape[0]) + "[]"
    assert isinstance(shape, dict)
    return "STRUCT(" + ", ".join(f'"{k}" {duck_type(v)}' for k, v in shape.items()) + ")"


PARTS_CODE = """
import json, resource, sys, time
from pathlib import Path
from ingest import attribute, db, load, memory_share, pipeline, shapes, webhook
log, out, columns = sys.argv[1], Path(sys.argv[2]), sys.argv[3]
con = db.connect(out)
con.execute("SET memory_limit = ?", [memory_share.INGEST_MEMORY_LIMIT])
con.execute("SET enable_progress_bar = false")
con.execute(webhook.MACROS)
attribute.install_macros(con)
attribute.refresh_qr_refs(con)
source = f'''(SELECT 0::BIGINT AS rid, 0 AS file_id, 0::BIGINT AS line_no,
                     struct_pack(object, entry, received_at, body) AS d
              FROM read_json('{log}', format = 'newline_delimited', columns = {columns}))'''
rows = webhook.item_events(webhook.messaging_rows("d", source))
times = {}
def timed(name, sql, params=None):
    t = time.perf_counter()
    con.execute(sql, params or {}).fetchall()
    times[name] = time.perf_counter() - t
# count() of every column: each is computed, none is kept.
timed("parse", f"SELECT count(COLUMNS(*)) FROM ({rows})")
timed("stage", f"CREATE TEMP TABLE rs_stage AS {rows}")
con.execute("CREATE TEMP TABLE rs_files AS SELECT 0 AS file_id, 'bench.ndjson' AS path")
con.execute("CREATE TEMP TABLE rs_later AS SELECT rid, ei, ii, container FROM rs_stage LIMIT 0")
con.execute("BEGIN")
timed("insert", load._INSERT_EVENTS.replace("{older}", ""), {"run_id": 1, "keep_text": False})
con.execute("COMMIT")
con.execute("BEGIN")
con.execute("INSERT INTO ingest_runs (run_id, started_at) VALUES (1, now())")
t = time.perf_counter()
attribute.attribute(con, everyone=True)
times["attribute"] = time.perf_counter() - t
con.execute("COMMIT")
events = con.execute("SELECT count(*) FROM events").fetchone()[0]
rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(json.dumps({"times": times, "events": events, "rss": rss}))
"""


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--deliveries", type=int, default=1_000_000)
    in_work_dir(ap, _run)


def _run(a: argparse.Namespace, work: Path) -> None:
    bench = bench_ingest()
    log = work / "webhooks.ndjson"
    n_items = bench.write_log(log, a.deliveries)
    print(f"log: {a.deliveries:,} deliveries, {n_items:,} items, {log.stat().st_size / 1e6:.0f} MB")
    floor_db, parts_db = fresh(work / "floor.duckdb"), fresh(work / "parts.duckdb")
    step = measured(bench.FLOOR_CODE, str(log), str(floor_db), bench.FLOOR_SQL)
    floor = step.secs
    print(f"floor     {floor:6.2f} s  {step.count / floor:>10,.0f} events/s  "
          f"peak RSS {step.rss / 2**20:5.0f} MiB")  # fmt: skip
    sys.path.insert(0, str(HERE.parent))
    from ingest import shapes  # noqa: PLC0415  (the project, once its root is on the path)

    structure = json.loads(shapes.MESSAGING_STRUCTURE)
    columns = "{" + ", ".join(f"'{k}': '{duck_type(v)}'" for k, v in structure.items()) + "}"
    parts = json.loads(run(PARTS_CODE, str(log), str(parts_db), columns))
    times, events = parts["times"], parts["events"]
    for name, secs in times.items():
        print(f"{name:9s} {secs:6.2f} s  {events / secs:>10,.0f} events/s  "
              f"ratio to the floor {secs / floor:.2f}")  # fmt: skip
    bound = times["parse"] + times["insert"] + times["attribute"]
    print(f"peak RSS of the parts {parts['rss'] / 2**20:.2f} GiB; events {events:,}")
    print(
        f"parse + insert + attribute {bound:.2f} s: ratio to the floor {bound / floor:.2f} "
        "(the full ingest's target is <= 2.0)"
    )


if __name__ == "__main__":
    main()
