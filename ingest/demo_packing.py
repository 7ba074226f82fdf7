"""How the demo's events reach disk: packed into POST bodies the way Meta delivers them
(batched, retried, re-sent across file boundaries, a few malformed or blank lines), then written as
monthly webhook logs, our receiver's last days of envelopes, and the send log."""

from __future__ import annotations

import datetime as dt
import gzip
import json
import random
import re
from bisect import bisect_left
from pathlib import Path
from typing import NamedTuple

from . import demo_payloads as p
from .demo_catalog import PAGE_IDS, RECEIVER_WRITER
from .demo_conversation import DAY_MS, HOUR_MS, Conversations, Ev, day_of, ms_of
from .envelope import envelope_line
from .logwriter import log_file

RECEIVER_DAYS = 3
BATCH_P = 0.19  # try to pack the next events into the same POST
RETRY_P = 0.01  # a POST line repeated verbatim
MALFORMED_EVERY = 5000
MALFORMED_KINDS = ("truncated", "array", "no_entry", "not_utf8")
MONTHLY = re.compile(r"webhooks-\d{4}-\d{2}\.ndjson")  # the raw bodies of a month before those


# --- POSTs: batching, retries, broken lines -----------------------------------------------------


class Post(NamedTuple):
    at: int  # when Meta (or the broken client) delivered it, ms
    seq: int
    raw: bytes
    kind: str = "ok"  # ok | dup | bad | blank
    cut: float = 0.0  # truncate the written line to this fraction


def _meta_json(obj: object) -> bytes:
    """Meta's serialisation: compact, \\uXXXX for non-ASCII, and `/` escaped as `\\/`."""
    text = json.dumps(obj, separators=(",", ":"), ensure_ascii=True)
    return text.replace("/", "\\/").encode("ascii")


def assemble(events: list[Ev], rng: random.Random) -> list[Post]:
    posts: list[Post] = []
    for page in PAGE_IDS:
        evs = sorted((e for e in events if e.page == page), key=lambda e: (e.at, e.seq))
        i = 0
        while i < len(evs):
            group = _batch(evs, i, rng)
            posts.append(_post(page, group, rng))
            i += len(group)
    return posts


def _batch(evs: list[Ev], i: int, rng: random.Random) -> list[Ev]:
    """~10% of POSTs carry 2-3 close events of the same page."""
    group = [evs[i]]
    if evs[i].key == "changes" or rng.random() >= BATCH_P:
        return group
    for e in evs[i + 1 : i + rng.choice((2, 2, 3))]:
        if e.key == "changes" or e.at - group[0].at > 60_000:
            break
        group.append(e)
    return group


def _post(page: str, group: list[Ev], rng: random.Random) -> Post:
    if group[0].key == "changes":  # Graph changes: entry.time in seconds
        at = group[0].at + rng.randint(500, 4_000)
        entries = [p.entry(page, at // 1000, "changes", [group[0].item])]
    else:
        times = [e.at + rng.randint(150, 1_500) for e in group]
        at = max(times)
        same_key = all(e.key == group[0].key for e in group)
        if len(group) > 1 and same_key and rng.random() < 0.35:
            entries = [p.entry(page, at, group[0].key, [e.item for e in group])]
        else:
            entries = [p.entry(page, t, e.key, [e.item]) for e, t in zip(group, times, strict=True)]
    return Post(at, group[0].seq, _meta_json(p.delivery_body(entries)))


def file_boundaries(start: dt.date, end: dt.date) -> list[int]:
    """Where one file ends and the next begins (months, then each receiver day)."""
    receiver = max(start, end - dt.timedelta(days=RECEIVER_DAYS - 1))
    out, day = [], start
    while day < receiver:
        day = (day.replace(day=1) + dt.timedelta(days=32)).replace(day=1)
        out.append(ms_of(min(day, receiver)))
    out += [ms_of(receiver) + k * DAY_MS for k in range(1, (end - receiver).days + 1)]
    return sorted(set(out))


def with_retries(posts: list[Post], rng: random.Random, boundaries: list[int]) -> list[Post]:
    """~1% of POSTs repeated verbatim later, plus one across each file boundary."""
    out = list(posts)
    for post in posts:
        if rng.random() < RETRY_P:
            out.append(post._replace(at=post.at + _retry_delay(rng), kind="dup"))
    ordered = sorted(posts, key=lambda q: (q.at, q.seq))
    ats = [q.at for q in ordered]
    for edge in boundaries:
        k = bisect_left(ats, edge) - 1
        if k >= 0 and edge - ats[k] < 30 * HOUR_MS:
            out.append(ordered[k]._replace(at=edge + rng.randint(5_000, 600_000), kind="dup"))
    return out


def _retry_delay(rng: random.Random) -> int:
    r = rng.random()
    if r < 0.55:
        return 20_000 + rng.randint(0, 2_000)  # "every 20 seconds until a 200 OK"
    if r < 0.9:
        return rng.randint(60_000, 15 * 60_000)
    return rng.randint(HOUR_MS, 30 * HOUR_MS)


def malformed(rng: random.Random, sim: Conversations, n_posts: int) -> list[Post]:
    """About one line in 5,000 (at least 4): truncated, array, no `entry`, not UTF-8."""
    n = max(len(MALFORMED_KINDS), round(n_posts / MALFORMED_EVERY))
    out = []
    for j in range(n):
        at = rng.randrange(sim.start_ms, sim.end_ms)
        page, psid = rng.choice(PAGE_IDS), sim.ids.psid()
        body = p.sample_delivery(page, psid, sim.ids.mid(), at)
        kind = MALFORMED_KINDS[j % len(MALFORMED_KINDS)]
        if kind == "not_utf8":  # a proxy re-encoded the body as Latin-1
            raw = json.dumps(body, separators=(",", ":"), ensure_ascii=False).encode("latin-1")
        elif kind == "array":
            raw = _meta_json([body])
        elif kind == "no_entry":  # a body that lost its entries on the way
            raw = _meta_json({"object": "page"})
        else:
            raw = _meta_json(body)
        cut = rng.uniform(0.3, 0.9) if kind == "truncated" else 0.0  # the writer died mid-line
        out.append(Post(at, -1 - j, raw, "bad", cut))
    return out


def blanks(rng: random.Random, start: dt.date, end: dt.date, n_posts: int) -> list[Post]:
    lo, hi = ms_of(start), ms_of(end) + DAY_MS
    n = 1 + n_posts // 3000
    return [Post(rng.randrange(lo, hi), -10_000 - j, b"", "blank") for j in range(n)]


# --- files ----------------------------------------------------------------------------------------


def write_files(
    out: Path,
    posts: list[Post],
    sends: list[tuple[int, int, dict]],
    start: dt.date,
    end: dt.date,
    rng: random.Random,
) -> tuple[list[Path], dict[str, int]]:
    receiver = max(start, end - dt.timedelta(days=RECEIVER_DAYS - 1))
    files: dict[str, list[bytes]] = {}
    for k in range((end - receiver).days + 1):
        files[_receiver_log(ms_of(receiver) + k * DAY_MS)] = []
    counts = {"lines": 0, "bad": 0, "dup": 0}
    for post in sorted(posts, key=lambda q: (q.at, q.seq)):
        day = day_of(post.at)
        if day > end:
            continue
        if day >= receiver:
            received, line = _envelope(post, rng)
            if day_of(received) > end:  # received after the range's last day
                continue
            name = _receiver_log(received)  # the day it was received, as serve files it
        else:
            name, line = f"webhooks-{day:%Y-%m}.ndjson", post.raw
        if post.cut:
            line = line[: int(len(line) * post.cut)]
        files.setdefault(name, []).append(line)
        counts["lines"] += post.kind != "blank"
        counts[post.kind] = counts.get(post.kind, 0) + 1
    for at, _, entry in sorted(sends, key=lambda s: (s[0], s[1])):
        name = f"sendlog-{day_of(at):%Y-%m}.ndjson"
        files.setdefault(name, []).append(json.dumps(entry, separators=(",", ":")).encode())
        counts["lines"] += 1
    paths = [_write_file(out, name, lines, end) for name, lines in sorted(files.items())]
    return sorted(paths), counts


def _receiver_log(received_at: int) -> str:
    """The name `refscope serve` gives the log of a delivery received then."""
    return log_file(Path(), "webhooks", received_at, RECEIVER_WRITER).name


def _envelope(post: Post, rng: random.Random) -> tuple[int, bytes]:
    """When our receiver got the POST, and its line, as it writes it: the raw body bytes,
    untouched, inside `{"received_at","body"}` (a body that is not UTF-8 JSON as a JSON string)."""
    if post.kind == "blank":
        return post.at, b""
    received = post.at + rng.randint(20, 400)
    return received, envelope_line(post.raw, received).removesuffix(b"\n")


def _write_file(out: Path, name: str, lines: list[bytes], end: dt.date) -> Path:
    data = b"".join(line + b"\n" for line in lines)
    if MONTHLY.fullmatch(name):
        year, month = int(name[9:13]), int(name[14:16])
        if (end.year * 12 + end.month) - (year * 12 + month) > 12:
            name, data = name + ".gz", gzip.compress(data, compresslevel=6, mtime=0)
    path = out / name
    path.write_bytes(data)
    return path
