"""Running `refscope` as a real subprocess on a real DuckDB file and comparing what it stored
with the reference (tests/ingest/reference.py): contacts field by field, events, rejects."""

from __future__ import annotations

import csv
import subprocess
import sys
from collections import Counter
from pathlib import Path

import duckdb

from tests.ingest.reference import ACQUIRED, attribute, read_logs

REPO = Path(__file__).resolve().parents[2]

FIELDS = [
    "is_user_ref",
    "first_seen_at",
    *ACQUIRED,
    "first_message_at",
    "second_message_at",
    "last_message_at",
    "message_count",
    "postback_count",
    "reentry_count",
    "last_seen_at",
    "page_message_count",
    "last_read_at",
    "page_messages_read",
]


def refscope(*args: str) -> str:
    done = subprocess.run(
        [sys.executable, "-m", "ingest", *args], capture_output=True, text=True, cwd=REPO
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def qr_refs_of(links_csv: Path) -> set[tuple[str, str]]:
    with links_csv.open(newline="") as f:
        return {(r["page"], r["ref"]) for r in csv.DictReader(f) if r["channel"] == "qr"}


def stored(db: Path) -> tuple[dict, dict]:
    with duckdb.connect(str(db), read_only=True) as con:
        cols = ", ".join(FIELDS)
        rows = con.execute(f"SELECT page_id, psid, {cols} FROM contacts").fetchall()
        contacts = {(r[0], r[1]): dict(zip(FIELDS, r[2:], strict=True)) for r in rows}
        rejected = con.execute("SELECT file, line_no, reason FROM rejects").fetchall()
        events = con.execute("SELECT page_id, psid, kind, ts, is_standby FROM events").fetchall()
    rejects = {(Path(f).name, n): why for f, n, why in rejected}
    return contacts, rejects, Counter(events)


def differences(expected: dict, actual: dict) -> list[str]:
    out = []
    for who in sorted(expected.keys() | actual.keys()):
        if who not in actual:
            out.append(f"{who}: missing from contacts (reference: {expected[who]})")
        elif who not in expected:
            out.append(f"{who}: not a contact by the reference (stored: {actual[who]})")
        else:
            for name in FIELDS:
                if expected[who][name] != actual[who][name]:
                    out.append(
                        f"{who} {name}: reference {expected[who][name]!r}, "
                        f"stored {actual[who][name]!r}"
                    )
    return out


def reject_differences(expected: dict, actual: dict) -> list[str]:
    out = []
    for where in sorted(expected.keys() | actual.keys()):
        want, got = expected.get(where), actual.get(where)
        if want is None or got is None or not got.startswith(want):
            out.append(f"{where}: reference {want!r}, stored {got!r}")
    return out


def check(
    logs: Path, links_csv: Path, db: Path, runs: list[list[Path]] | None = None
) -> tuple[list[str], list[str]]:
    """Ingest the logs (in one run, or file by file in the runs given) and compare."""
    refscope("links", "import", str(links_csv), "--db", str(db))
    for run in runs or [[logs]]:
        refscope("ingest", *map(str, run), "--db", str(db), "--no-progress")
    qr_refs = qr_refs_of(links_csv)
    paths = sorted(p for p in logs.iterdir() if p.suffix == ".ndjson")
    events, want_rejects = read_logs(paths, qr_refs)
    contacts, rejects, stored_events = stored(db)
    want_events = Counter(
        (e["page"], e["psid"], e["kind"], e["ts"], e.get("standby", False)) for e in events
    )
    event_diffs = [
        f"{ev}: reference {want_events[ev]}, stored {stored_events[ev]}"
        for ev in sorted(want_events.keys() | stored_events.keys(), key=repr)
        if want_events[ev] != stored_events[ev]
    ]
    contact_diffs = differences(attribute(events), contacts)
    return contact_diffs + event_diffs, reject_differences(want_rejects, rejects)
