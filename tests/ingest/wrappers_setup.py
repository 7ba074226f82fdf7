"""The wrappers of test_wrappers.py, which write the scenarios of wrapper_scenarios.py as a real
log holds them (plain POST bodies, the receiver's envelope, `standby[]`, batched, gzipped,
restamped, ...), and the ingest of such a log into each scenario's rows."""

from __future__ import annotations

import copy
import gzip
import json
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

import tests.factories as f
import tests.factories_feed as ff
from ingest import db as refscope_db
from ingest import links, pipeline
from tests.factories import OTHER_PAGE_ID, PAGE_ID, T0
from tests.ingest.receiver_server import meta_json
from tests.ingest.wrapper_scenarios import NOISE, SCENARIOS, SENT, Unit

# --- wrappers: units → {file name: lines} ------------------------------------------------------


def _body(unit: Unit, container: str = "messaging") -> Any:
    kind, x = unit
    if kind == "item":
        return f.delivery(x, container=container, time=SENT)
    if kind == "change":
        return ff.feed(x, time=SENT // 1000)
    return x


def plain(units: list[Unit]) -> dict[str, list[Any]]:
    return {"webhooks.ndjson": [_body(u) for u in units]}


def in_envelope(units: list[Unit]) -> dict[str, list[Any]]:
    return {"webhooks.ndjson": [f.envelope(_body(u), received_at=T0 + 3_600_000) for u in units]}


def in_standby(units: list[Unit]) -> dict[str, list[Any]]:
    return {"webhooks.ndjson": [_body(u, "standby") for u in units]}


def _noise(ts: int) -> list[Any]:
    return [
        f.entry(f.message("elsewhere", psid=NOISE, page_id=OTHER_PAGE_ID, ts=ts),
                page_id=OTHER_PAGE_ID, time=SENT),
        f.entry(f.referral("x", psid=NOISE, ts=ts), f.message("me too", psid=NOISE, ts=ts + 5),
                time=SENT),
    ]  # fmt: skip


def batched(units: list[Unit]) -> dict[str, list[Any]]:
    """One POST: other pages' and people's entries around the items, two items per entry."""
    items = [x for k, x in units if k == "item"]
    entries = _noise(T0 - 5000)
    for i in range(0, len(items), 2):
        entries.append(f.entry(*items[i : i + 2], time=SENT))
        entries.extend(_noise(T0 + 7 * i))
    changes = [x for k, x in units if k == "change"]
    if changes:
        entries.append({"id": PAGE_ID, "time": SENT // 1000, "changes": changes})
    sends = [x for k, x in units if k == "send"]
    return {"webhooks.ndjson": [f.batch(*entries), *sends]}


def standby_in_envelope(units: list[Unit]) -> dict[str, list[Any]]:
    return {"webhooks.ndjson": [f.envelope(_body(u, "standby"), SENT + 500) for u in units]}


def one_entry(units: list[Unit]) -> dict[str, list[Any]]:
    """Every messaging item of the scenario in one entry's `messaging` (§1: iterate both)."""
    items = [x for k, x in units if k == "item"]
    rest = [_body(u) for u in units if u[0] != "item"]
    return {"webhooks.ndjson": ([f.delivery(*items, time=SENT)] if items else []) + rest}


def mixed_in_envelope(units: list[Unit]) -> dict[str, list[Any]]:
    """One logged POST: entries of messaging, standby and feed changes, other pages among them."""
    entries = _noise(T0 - 5000)
    for i, (kind, x) in enumerate(units):
        if kind == "item":
            entries.append(f.entry(x, time=SENT, container=("messaging", "standby")[i % 2]))
    changes = [x for k, x in units if k == "change"]
    if changes:
        entries.insert(1, {"id": PAGE_ID, "time": SENT // 1000, "changes": changes})
    sends = [f.envelope(x, SENT + 500) for k, x in units if k == "send"]
    return {"webhooks.ndjson": [f.envelope(f.batch(*entries), SENT + 500), *sends]}


def meta_serialised(units: list[Unit]) -> dict[str, list[Any]]:
    """As Meta writes a body: `\\uXXXX` for non-ASCII, `/` as `\\/`."""
    return {"webhooks.ndjson": [meta_json(_body(u)) for u in units]}


# The webhook field of each item key, for the wrapped form of Meta's samples.
_FIELDS = {
    "postback": "messaging_postbacks",
    "referral": "messaging_referrals",
    "optin": "messaging_optins",
    "delivery": "message_deliveries",
    "read": "message_reads",
    "reaction": "message_reactions",
    "pass_thread_control": "messaging_handovers",
    "message_edit": "message_edits",
    "policy_enforcement": "messaging_policy_enforcement",
    "messaging_feedback": "messaging_feedback",
}


def _field(item: Any) -> str:
    if "message" in item:
        return "message_echoes" if item["message"].get("is_echo") else "messages"
    return next(_FIELDS[k] for k in item if k in _FIELDS)


def samples_in_envelope(units: list[Unit]) -> dict[str, list[Any]]:
    """Each item as Meta's samples show it, `{"field", "value"}` with no entry (README), as the
    receiver logs it: the App Dashboard's test button, or a relay that forwards items so."""
    lines = [{"field": _field(x), "value": x} if k == "item" else x for k, x in units]
    return {"webhooks.ndjson": [f.envelope(x, SENT) for x in lines]}


def gzipped(units: list[Unit]) -> dict[str, list[Any]]:
    return {"webhooks.ndjson.gz": [_body(u) for u in units]}


_INSTANTS = ("timestamp", "time", "watermark", "created_time")


def _restamp(x: Any, how: Callable[[int], Any]) -> Any:
    if isinstance(x, dict):
        return {
            k: how(v) if k in _INSTANTS and isinstance(v, int) else _restamp(v, how)
            for k, v in x.items()
        }
    if isinstance(x, list):
        return [_restamp(v, how) for v in x]
    return x


def _ms(v: int) -> int:
    return v if v >= 10**12 else v * 1000


def restamped(how: Callable[[int], Any], units: list[Unit]) -> dict[str, list[Any]]:
    return plain([(k, _restamp(copy.deepcopy(x), how)) for k, x in units])


WRAPPERS: dict[str, Callable[[list[Unit]], dict[str, list[Any]]]] = {
    "envelope": in_envelope,
    "standby": in_standby,
    "batched": batched,
    "gz": gzipped,
    "standby_in_envelope": standby_in_envelope,
    "one_entry": one_entry,
    "mixed_in_envelope": mixed_in_envelope,
    "meta_serialised": meta_serialised,
    "samples_in_envelope": samples_in_envelope,
    "seconds": partial(restamped, lambda v: _ms(v) // 1000),
    "milliseconds": partial(restamped, _ms),
    "ms_digit_string": partial(restamped, lambda v: str(_ms(v))),
    "s_digit_string": partial(restamped, lambda v: str(_ms(v) // 1000)),
}


def _resent(line: str) -> Any:
    """A retry of a delivery: the same items, its entries' `time` (when it was sent) later."""
    body = json.loads(line)
    for e in body.get("entry", []):
        e["time"] += 20 if "changes" in e else 20_000
    return body


# --- running and comparing ---------------------------------------------------------------------
# Every scenario runs on a page of its own, so that one log holds them all: one ingest per
# wrapper, and each scenario's rows are its page's.
PAGES = {name: f"{PAGE_ID[:-4]}{i:04d}" for i, name in enumerate(SCENARIOS)}


def _on_page(x: Any, page: str) -> Any:
    """A line of a scenario, moved to its page (every id that names the page, post ids too)."""
    text = x.decode() if isinstance(x, bytes) else x if isinstance(x, str) else f.line(x)
    return text.replace(PAGE_ID, page)


def _log(wrap: Callable[[list[Unit]], dict[str, list[Any]]]) -> dict[str, list[str]]:
    """Every scenario in wrap's files, each on its page."""
    files: dict[str, list[str]] = {}
    for name, units in SCENARIOS.items():
        for file, lines in wrap(units).items():
            files.setdefault(file, []).extend(_on_page(x, PAGES[name]) for x in lines)
    return files


def _write(log_dir: Path, files: dict[str, list[Any]]) -> list[Path]:
    paths = []
    for name, lines in files.items():
        path = log_dir / name
        data = b"".join(f._as_bytes(x) + b"\n" for x in lines)
        path.write_bytes(gzip.compress(data) if name.endswith(".gz") else data)
        paths.append(path)
    return paths


# Rows of a scenario's page and people, without where and when they were read.
# (Each query's first column is the page, left out of the rows it gives.)
_ROWS = {
    "events": """SELECT page_id, * EXCLUDE (file, line_no, run_id, is_standby) FROM events
                 WHERE coalesce(psid, '') <> $noise ORDER BY ALL""",
    "touches": "SELECT page_id, * FROM touches WHERE psid <> $noise ORDER BY ALL",
    "contacts": "SELECT page_id, * FROM contacts WHERE psid <> $noise ORDER BY ALL",
    "standby": """SELECT DISTINCT page_id, is_standby FROM events
                  WHERE psid <> $noise AND kind NOT IN ('comment', 'private_reply')
                  ORDER BY ALL""",
}
Rows = dict[str, dict[str, Any]]


def _rows(db: Path) -> Rows:
    """Each scenario's rows, and the rejects of the whole run under "rejects"."""
    con = refscope_db.connect(db, read_only=True)
    try:
        out: Rows = {name: {t: [] for t in _ROWS} for name in PAGES}
        scenario = {page: name for name, page in PAGES.items()}
        for table, sql in _ROWS.items():
            for page, *row in con.execute(sql, {"noise": NOISE}).fetchall():
                if page in scenario:
                    out[scenario[page]][table].append(tuple(row))
        out["rejects"] = {"all": con.execute("SELECT reason, raw FROM rejects").fetchall()}
    finally:
        con.close()
    return out


def _registered(db: Path) -> Path:
    """db, which a new database registers the QR code the scenarios scan in first."""
    if not db.exists():
        con = refscope_db.connect(db)
        try:
            links.register(con, [links.make_link(PAGES["referral_qr_code"], "qr_store12", "qr")])
        finally:
            con.close()
    return db


def _ingest(db: Path, paths: list[Path]) -> None:
    pipeline.run([str(p) for p in paths], _registered(db), keep_text=True)


def _ingested(folder: Path, files: dict[str, list[Any]]) -> Rows:
    db = folder / "db.duckdb"
    _ingest(db, _write(folder, files))
    return _rows(db)
