"""The demo generator's files parsed back for test_demo*.py: their lines, the delivery bodies,
the items and changes of their entries, the send log, the ad insights and the click log."""

from __future__ import annotations

import datetime as dt
import gzip
import json
import re
from dataclasses import dataclass, field
from pathlib import Path

from ingest import demo_ads
from ingest.demo import DemoSummary, write_demo

END = dt.date(2026, 3, 15)  # a fixed range with an ad campaign running


def ms(value: int | str) -> int:
    value = int(value)
    return value * 1000 if value < 1e12 else value


def raw_lines(path: Path) -> list[bytes]:
    data = path.read_bytes()
    if path.name.endswith(".gz"):
        data = gzip.decompress(data)
    assert not data or data.endswith(b"\n")
    return data.split(b"\n")[:-1]


RECEIVER_LOG = re.compile(r"webhooks-(\d{4}-\d{2}-\d{2})\.([A-Za-z0-9_-]+-\d+)\.ndjson")


def is_receiver_log(name: str) -> bool:
    """A receiver's day of envelopes, named as `refscope serve` names it:
    webhooks-YYYY-MM-DD.<host>-<pid>-<run>.ndjson."""
    return RECEIVER_LOG.fullmatch(name) is not None


def body_of(name: str, line: bytes) -> dict | None:
    """The delivery object of a webhooks/receiver line, or None when the line is malformed."""
    try:
        obj = json.loads(line)
    except ValueError:  # includes UnicodeDecodeError
        return None
    if is_receiver_log(name):
        obj = obj.get("body") if isinstance(obj, dict) else None
    ok = (
        isinstance(obj, dict) and obj.get("object") == "page" and isinstance(obj.get("entry"), list)
    )
    return obj if ok else None


@dataclass
class Parsed:
    summary: DemoSummary
    lines: dict[str, list[bytes]] = field(default_factory=dict)
    bodies: list[tuple[str, bytes, dict]] = field(default_factory=list)
    bad: list[tuple[str, bytes]] = field(default_factory=list)
    items: list[tuple[str, str, dict]] = field(default_factory=list)  # (page, key, item)
    changes: list[tuple[dict, dict]] = field(default_factory=list)  # (entry, value)
    sends: list[dict] = field(default_factory=list)
    insight_pages: list[dict] = field(default_factory=list)
    clicks: list[tuple[str, dict]] = field(default_factory=list)  # (file name, click line)

    def of(self, kind: str) -> list[dict]:
        return [it for _, _, it in self.items if kind in it]

    def referrals(self) -> list[tuple[str, dict, dict]]:
        """(where, referral, item) for top-level, postback and message referrals."""
        out = []
        for _, _, it in self.items:
            for where, holder in (
                ("top", it),
                ("postback", it.get("postback")),
                ("message", it.get("message")),
            ):
                if holder and "referral" in holder:
                    out.append((where, holder["referral"], it))
        return out


def parse(summary: DemoSummary) -> Parsed:
    got = Parsed(summary)
    for path in summary.files:
        got.lines[path.name] = raw_lines(path)
        for line in got.lines[path.name]:
            if not line:
                continue
            if path.name.startswith("sendlog-"):
                got.sends.append(json.loads(line))
                continue
            if path.name == demo_ads.FILE:
                got.insight_pages.append(json.loads(line))
                continue
            if path.name.startswith("clicks-"):
                got.clicks.append((path.name, json.loads(line)))
                continue
            body = body_of(path.name, line)
            if body is None:
                got.bad.append((path.name, line))
                continue
            got.bodies.append((path.name, line, body))
            for entry in body["entry"]:
                for key in ("messaging", "standby"):
                    got.items += [(entry["id"], key, it) for it in entry.get(key, [])]
                got.changes += [(entry, ch["value"]) for ch in entry.get("changes", [])]
    return got


def run(out: Path, **kw) -> Parsed:
    return parse(write_demo(out, **kw))
