"""Seeded demo Messenger webhook logs for refscope: a pure generator (no network).

No network and no clock except for the default `end` (yesterday, UTC); the same
(days, end, seed, scale) gives byte-identical files. In the output folder it owns only:

- ``webhooks-YYYY-MM.ndjson``: one webhook POST body per line, exactly as Meta sends it
  (``.ndjson.gz`` for months more than 12 months before `end`);
- ``webhooks-YYYY-MM-DD.demo-1.ndjson`` for the last 3 days: ``{"received_at": <ms>, "body":
  <body>}`` envelopes, named and written as `refscope serve` writes them (always written, possibly
  empty);
- ``sendlog-YYYY-MM.ndjson``: our Send API log of private replies to comments and of the
  messages to checkbox plugin user_refs;
- ``ad-insights.ndjson``: the ads' daily spend, as the Marketing API answers it (`demo_ads`);
- ``clicks-YYYY-MM-DD.demo-1.ndjson``, one per day with clicks: the scans and clicks
  `refscope serve` logs at ``GET /r/<ref>`` for the links of ``tracked-links.csv``
  (`write_links_csv`), each SHORTLINK contact's a few minutes before its first event, and more
  that brought no one (`demo_clicks`).

The ad insights and the click logs draw on random streams of their own, so the other files do
not change with them.

It simulates contacts arriving through every entry point (m.me links, QR codes, Click-to-Messenger
ads, the dead chat plugin, private replies to comments, optins, organic), their conversations and
returns (`demo_traffic`, `demo_conversation`), then packs the events into POSTs the way Meta
delivers them: batched, retried, sometimes re-delivered, with a few malformed and blank lines
(`demo_packing`). The catalogue (PAGES, QR_REFS, ADS, ...) lives in `demo_catalog` and payload
shapes in `demo_payloads`; https://developers.facebook.com/docs/messenger-platform/webhook
"""

from __future__ import annotations

import datetime as dt
import random
import re
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from . import demo_ads, demo_clicks
from .demo_catalog import ADS, LINK_REFS, PAGES, QR_REFS, RECEIVER_WRITER
from .demo_packing import assemble, blanks, file_boundaries, malformed, with_retries, write_files
from .demo_traffic import Sim
from .errors import ValidationError

__all__ = ["ADS", "LINK_REFS", "PAGES", "QR_REFS", "DemoSummary", "write_demo", "write_links_csv"]

OWN_FILE = re.compile(
    r"webhooks-\d{4}-\d{2}\.ndjson(\.gz)?|sendlog-\d{4}-\d{2}\.ndjson|ad-insights\.ndjson"
    rf"|(webhooks|clicks)-\d{{4}}-\d{{2}}-\d{{2}}\.{RECEIVER_WRITER}\.ndjson"
    # an earlier version's names for the receiver's days and the clicks: replaced too
    r"|receiver-\d{4}-\d{2}-\d{2}\.ndjson|clicks-\d{4}-\d{2}-\d{2}\.ndjson"
)
LINKS_CSV = "tracked-links.csv"
# What every file the demo writes holds near its start: a demo page's id, or an ad account's.
_DEMO_IDS = tuple(sorted({page for page, _, _ in PAGES} | set(demo_ads.ACCOUNTS.values())))


def _written_by_demo(path: Path) -> bool:
    """Whether a file of one of the demo's names is the demo's own (empty, or naming a demo page
    or ad account in its first 64 KiB): a team's own log of that name is not replaced. A .gz cut
    short (a run that filled the disk) is read as far as it goes."""
    try:
        with open(path, "rb") as fh:
            head = fh.read(2**16)
        if path.suffix == ".gz" and head:
            head = zlib.decompressobj(wbits=31).decompress(head, 2**16)
    except (OSError, zlib.error):
        return False
    return not head or any(i.encode() in head for i in _DEMO_IDS)


def _replaceable(out: Path) -> list[Path]:
    """The demo's earlier files in out, to be replaced; refused, before anything is written,
    when one of them is not the demo's (`--out` naming a folder of real logs by mistake)."""
    if not out.is_dir():
        return []
    old = [p for p in sorted(out.iterdir()) if p.is_file() and OWN_FILE.fullmatch(p.name)]
    foreign = [p for p in [*old, out / LINKS_CSV] if p.is_file() and not _written_by_demo(p)]
    if foreign:
        more = f" (and {len(foreign) - 1:,} more)" if len(foreign) > 1 else ""
        raise ValidationError(
            f"{foreign[0]}{more}: a demo file's name, but not written by demo-data: it is not "
            "replaced; give --out an empty folder or one demo-data wrote"
        )
    return old


@dataclass(frozen=True)
class DemoSummary:
    """What `write_demo` wrote. `lines` counts every non-blank line of every file."""

    files: list[Path]
    lines: int
    malformed_lines: int  # not JSON, not UTF-8, or not a delivery object
    blank_lines: int  # not in lines: an ingest counts them among its lines and skips them
    duplicate_lines: int  # verbatim retries of an earlier POST body (in any file)
    pages: dict[str, str]  # page_id -> username
    start: dt.date
    end: dt.date


DEFAULT_DAYS = 730
# A default run reaches back at least to this day, months before the chat plugin shut down
# (2024-05-09), so that it shows every channel; past it, two years are plenty.
DEFAULT_EARLIEST_START = dt.date(2024, 1, 1)
MAX_DAYS = 3650
# The first whole day whose millisecond timestamps reach 1e12: the ingest reads a smaller one as
# seconds (times by magnitude), so the logs of an earlier day would be rejected, nearly all.
FIRST_START = dt.date(2001, 9, 10)


def default_days(end: dt.date) -> int:
    """Two years up to `end`, or more to reach back to DEFAULT_EARLIEST_START (within MAX_DAYS)."""
    return min(MAX_DAYS, max(DEFAULT_DAYS, (end - DEFAULT_EARLIEST_START).days + 1))


def default_end() -> dt.date:
    """Yesterday, UTC: the last whole day."""
    return dt.datetime.now(dt.UTC).date() - dt.timedelta(days=1)


def write_demo(
    out: Path,
    days: int | None = None,
    end: dt.date | None = None,
    seed: int = 7,
    scale: float = 1.0,
    on_stage: Callable[[str], None] | None = None,
) -> DemoSummary:
    """Write `days` days of demo logs ending on `end` into `out` (default: yesterday, UTC, and
    default_days(end)); on_stage is told each stage as it begins."""
    stage = on_stage or (lambda text: None)
    if isinstance(end, dt.datetime):
        end = end.date()
    end = end or default_end()
    days = default_days(end) if days is None else days
    if days < 1 or scale <= 0:
        raise ValueError("days must be >= 1 and scale > 0")
    start = end - dt.timedelta(days=days - 1)
    if start < FIRST_START:
        raise ValueError(f"the first day, {start}, is before {FIRST_START}")
    out = Path(out)
    old = _replaceable(out)
    rng = random.Random(seed)
    sim = Sim(rng, start, end, scale)
    stage(f"demo-data: simulating {days:,} days of two pages")
    sim.run()
    stage("demo-data: packing the deliveries")
    posts = with_retries(assemble(sim.events, rng), rng, file_boundaries(start, end))
    posts += malformed(rng, sim, len(posts)) + blanks(rng, start, end, len(posts))
    stage("demo-data: writing the logs")  # from here on, out is changed
    out.mkdir(parents=True, exist_ok=True)
    for path in old:
        path.unlink()
    files, counts = write_files(out, posts, sim.sends, start, end, rng)
    stage("demo-data: writing the ad spend and the click logs")
    insights = demo_ads.write(out, sim.events, start, end, seed)
    clicks = demo_clicks.write(out, sim.events, start, end, seed)
    extra = [insights, *clicks]
    return DemoSummary(
        files=sorted([*files, *extra]),
        lines=counts["lines"] + sum(len(f.read_bytes().splitlines()) for f in extra),
        malformed_lines=counts["bad"],
        blank_lines=counts.get("blank", 0),
        duplicate_lines=counts["dup"],
        pages={page: username for page, username, _ in PAGES},
        start=start,
        end=end,
    )


LINKS_CSV = "tracked-links.csv"


def write_links_csv(out: Path) -> Path:
    """The demo's QR codes and plain links as a `refscope links import` CSV (page ids as pages):
    registering them is what turns their SHORTLINK contacts into `qr_code`."""
    rows = ["page,ref,channel,campaign,placement,notes"]
    for page_id, _username, _name in PAGES:
        for ref in QR_REFS.get(page_id, ()):
            rows.append(f"{page_id},{ref},qr,demo,{ref.removeprefix('qr_')},")
        for ref in LINK_REFS.get(page_id, ()):
            rows.append(f"{page_id},{ref},link,demo,{ref},")
    path = Path(out) / LINKS_CSV
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    return path
