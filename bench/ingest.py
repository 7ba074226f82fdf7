"""Ingest speed against DuckDB's own JSON reader, measured in one run.

    python bench/ingest.py [--deliveries 1000000] [--envelopes 0] [--gz] [--keep DIR]

Writes N webhook deliveries (a realistic mix of kinds), then times, each in a fresh process:
  floor    read_json with an explicit schema + UNNEST of entry/messaging into a bare table
           (of the envelope's body too, when the log holds envelopes)
  full     `refscope ingest` of the same file into a fresh database
  rerun    the same ingest again, nothing new to read
and prints seconds, events/s, peak RSS and the ratios full/floor and rerun/floor.
`--deliveries 4000000` writes a 1 GB log, the size the memory target is stated for.
`--envelopes F` writes that fraction of the deliveries (0 to 1) as `refscope serve` logs them,
`{"received_at": <ms>, "body": <the POST body>}` (all of them, 1, as a receiver's log is); the
default 0 writes bare bodies only, as the figures before this option did. The log line says
which mix was run.
"""

from __future__ import annotations

import argparse
import json
import random
import subprocess
from pathlib import Path

from child import fresh, ingested, measured
from workdir import in_work_dir

PAGES = ["1122334455667788", "2233445566778899"]

ENTRY_TYPE = """STRUCT(id VARCHAR, "time" BIGINT, messaging STRUCT(
      sender STRUCT(id VARCHAR), recipient STRUCT(id VARCHAR), "timestamp" BIGINT,
      message STRUCT(mid VARCHAR, "text" VARCHAR, is_echo BOOLEAN),
      postback STRUCT(mid VARCHAR, payload VARCHAR,
                      referral STRUCT(ref VARCHAR, source VARCHAR, ad_id VARCHAR)),
      referral STRUCT(ref VARCHAR, source VARCHAR, ad_id VARCHAR),
      delivery STRUCT(watermark BIGINT), "read" STRUCT(watermark BIGINT))[])[]"""

FLOOR_SQL = f"""
CREATE TABLE floor AS
WITH d AS (
  SELECT unnest(entry) AS e FROM read_json($path, format = 'newline_delimited',
    columns = {{object: 'VARCHAR', entry: '{ENTRY_TYPE}'}})
), m AS (SELECT e.id AS page_id, unnest(e.messaging) AS x FROM d)
SELECT page_id, x.sender.id AS sender, x.recipient.id AS recipient, x.timestamp AS ts,
       x.message.mid AS mid, x.message.text AS text, x.message.is_echo AS is_echo,
       x.postback.payload AS payload, coalesce(x.postback.referral, x.referral) AS referral,
       x.delivery.watermark AS delivered, x.read.watermark AS read_at
FROM m
"""

# The floor of a log holding envelopes: the same, of a bare line's entries or its body's.
FLOOR_ENVELOPES_SQL = FLOOR_SQL.replace(
    "SELECT unnest(entry) AS e", "SELECT unnest(coalesce(entry, body.entry)) AS e"
).replace(
    f"entry: '{ENTRY_TYPE}'}}",
    f"entry: '{ENTRY_TYPE}', received_at: 'BIGINT', "
    f"body: 'STRUCT(object VARCHAR, entry {ENTRY_TYPE})'}}",
)


def item(rng: random.Random, page: str, psid: str, ts: int, n: int) -> dict[str, object]:
    base: dict[str, object] = {"sender": {"id": psid}, "recipient": {"id": page}, "timestamp": ts}
    r = rng.random()
    if r < 0.45:
        base["message"] = {"mid": f"m_{n}", "text": rng.choice(["hi", "price?", "open today?"])}
    elif r < 0.60:
        base["sender"], base["recipient"] = {"id": page}, {"id": psid}
        base["message"] = {"mid": f"e_{n}", "is_echo": True, "app_id": 42, "text": "Thanks!"}
    elif r < 0.75:
        base["delivery"] = {"mids": [f"e_{n - 1}"], "watermark": ts}
    elif r < 0.88:
        base["read"] = {"watermark": ts}
    elif r < 0.94:
        src = rng.choice(["SHORTLINK", "ADS"])
        ref = {"ref": rng.choice(["qr_store12", "newsletter", "bio"]), "source": src,
               "type": "OPEN_THREAD"}  # fmt: skip
        if src == "ADS":
            ref["ad_id"] = "6000000000001"
        base["postback"] = {"mid": f"p_{n}", "title": "Get Started", "payload": "GS",
                            "referral": ref}  # fmt: skip
    else:
        base["referral"] = {"ref": "bio", "source": "SHORTLINK", "type": "OPEN_THREAD"}
    return base


def write_log(path: Path, deliveries: int, seed: int = 1, envelopes: float = 0.0) -> int:
    """Write the deliveries; a fraction `envelopes` of them as a receiver's envelope lines. The
    envelopes are drawn from a random stream of their own: the bodies are the same whatever the
    fraction."""
    rng = random.Random(seed)
    wrap = random.Random(seed + 1)
    ts = 1_735_689_600_000
    n = 0
    with open(path, "w") as fh:
        for i in range(deliveries):
            ts += rng.randint(1, 4000)
            page = PAGES[i % 2]
            psid = str(10**15 + rng.randint(0, deliveries // 3))
            entries = []
            for _ in range(2 if rng.random() < 0.02 else 1):
                n += 1
                entries.append(
                    {"id": page, "time": ts, "messaging": [item(rng, page, psid, ts, n)]}
                )
            body = json.dumps({"object": "page", "entry": entries}, separators=(",", ":"))
            if wrap.random() < envelopes:  # as receiver.envelope_line writes it
                body = f'{{"received_at":{ts + wrap.randint(20, 2000)},"body":{body}}}'
            fh.write(body)
            fh.write("\n")
    return n


FLOOR_CODE = """
import resource, sys, time, duckdb
con = duckdb.connect(sys.argv[2])
con.execute("SET enable_progress_bar = false")
t = time.perf_counter()
con.execute(sys.argv[3], {"path": sys.argv[1]})
secs = time.perf_counter() - t
rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(secs, rss, con.execute("SELECT count(*) FROM floor").fetchone()[0])
"""


def _fraction(text: str) -> float:
    value = float(text)
    if not 0 <= value <= 1:
        raise argparse.ArgumentTypeError(f"{text}: a fraction from 0 to 1")
    return value


def mix(envelopes: float) -> str:
    """Which lines the log holds, as the benchmark's output names it."""
    if not envelopes:
        return "bare bodies only (no receiver envelopes)"
    if envelopes == 1:
        return "all receiver envelopes (as `refscope serve` logs)"
    return f"{envelopes:.0%} receiver envelopes, the rest bare bodies"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--deliveries", type=int, default=1_000_000)
    ap.add_argument(
        "--envelopes",
        type=_fraction,
        default=0.0,
        metavar="FRACTION",
        help="write this fraction of the deliveries as receiver envelopes (0 to 1)",
    )
    ap.add_argument("--gz", action="store_true", help="compress the log first")
    in_work_dir(ap, _run)


def _run(a: argparse.Namespace, work: Path) -> None:
    log = work / "webhooks.ndjson"
    n_items = write_log(log, a.deliveries, envelopes=a.envelopes)
    if a.gz:
        subprocess.run(["gzip", "-kf", str(log)], check=True)
        log = log.with_suffix(".ndjson.gz")
    size = log.stat().st_size
    print(f"log: {a.deliveries:,} deliveries, {n_items:,} items, {size / 1e6:.0f} MB ({log.name}), "
          f"{mix(a.envelopes)}")  # fmt: skip

    db = work / "refscope.duckdb"
    steps = {
        "floor": lambda: measured(
            FLOOR_CODE,
            str(log),
            str(fresh(work / "floor.duckdb")),
            FLOOR_ENVELOPES_SQL if a.envelopes else FLOOR_SQL,
        ),
        "full": lambda: ingested(log, fresh(db)),
        "rerun": lambda: ingested(log, db),
    }
    results = {}
    for name, step in steps.items():
        s = results[name] = step()
        added = " ".join(s.rest[:1])  # the ingest's: events added (not its new contacts)
        print(f"{name:6s} {s.secs:7.2f} s  {s.count / s.secs:>12,.0f} events/s  "
              f"peak RSS {s.rss / 2**20:6.0f} MiB  rows {s.count} {added}")  # fmt: skip
    floor = results["floor"].secs
    print(f"ratio full/floor  {results['full'].secs / floor:.2f}  (target <= 2.0)")
    print(f"ratio rerun/floor {results['rerun'].secs / floor:.3f}  (target <= 0.1)")
    rss = results["full"].rss
    print(f"peak RSS of the full ingest {rss / 2**30:.2f} GiB for a {size / 1e9:.2f} GB log "
          f"(target <= 1 GiB for a 1 GB log; --deliveries 4000000 writes one)")  # fmt: skip


if __name__ == "__main__":
    main()
