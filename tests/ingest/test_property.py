"""Whatever a log holds, the ingest does not crash and accounts for every non-blank line.

A line is accounted for by events or clicks (at its file and line), by exactly one `rejects` row,
or, when it repeats events already stored, by those events: such a line is re-ingested alone to
prove that every event it holds is already in the database (or that it is an ad insights line,
whose rows name no line). A file read as JSON documents (README "What the ingest reads": its
first non-blank line opens a value it does not close or is an array holding an object, and it
parses whole) is accounted for body by body, each under the line it starts on; the other lines
a document spans are its own.
"""

from __future__ import annotations

import copy
import json
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

import tests.factories as f
import tests.factories_feed as ff
from ingest import pipeline, reasons, wide_ends
from ingest.errors import SourceError
from tests.conftest import Query, accounted_lines, nonblank_line_numbers
from tests.factories import T0

SETTINGS = settings(
    deadline=None,
    database=None,  # leave no .hypothesis/ directory in the work tree
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

# Keys Meta uses, so that random objects often look like (broken) deliveries.
VOCABULARY = (
    "object", "entry", "id", "time", "messaging", "standby", "changes", "sender", "recipient",
    "timestamp", "message", "mid", "text", "is_echo", "metadata", "attachments", "type",
    "postback", "payload", "referral", "ref", "source", "ad_id", "optin", "user_ref",
    "delivery", "watermark", "mids", "read", "reaction", "action", "pass_thread_control",
    "field", "value", "item", "verb", "comment_id", "from", "created_time", "received_at",
    "body", "page_id", "request", "response", "recipient_id", "ts", "page", "qr", "device",
    "tags", "data", "date_start", "spend", "actions",
)  # fmt: skip

leaves = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats()  # NaN and Infinity are written as bare words: invalid JSON lines
    | st.sampled_from(
        ["page", "send_api", "SHORTLINK", "ADS", "TIMESTAMP", "", "1700000000", "2026-11-02"]
    )
    | st.text(max_size=12)
)
json_values = st.recursive(
    leaves,
    lambda kids: (
        st.lists(kids, max_size=4)
        | st.dictionaries(st.sampled_from(VOCABULARY) | st.text(max_size=6), kids, max_size=5)
    ),
    max_leaves=20,
)
delivery_like = st.fixed_dictionaries(
    {"object": st.sampled_from(["page", "send_api", "refscope_click"]) | json_values},
    optional={
        "entry": st.lists(
            st.dictionaries(st.sampled_from(VOCABULARY), json_values, max_size=5), max_size=3
        )
        | json_values,
        "received_at": json_values,
        "body": json_values,
    },
)


def _bases(i: int) -> list[Any]:
    """Valid lines of every kind, their ids made unique by the line number i."""
    psid, ts, mid = f"u{i}", T0 + i * 1000, f"m_{i}"
    return [
        f.delivery(f.message("hi", psid=psid, ts=ts, mid=mid, quick_reply={"payload": "A"},
                             attachments=[{"type": "image", "payload": {"url": "u"}}])),
        f.delivery(f.message(psid=psid, ts=ts, mid=mid, referral=f.ads_referral())),
        f.delivery(f.message(psid=psid, ts=ts, mid=mid, tags=[{"source": "customer_chat_plugin"}])),
        f.delivery(f.message(psid=psid, ts=ts, mid=mid, referral={"product": {"id": f"p{i}"}})),
        f.delivery(f.echo(psid=psid, ts=ts, mid=mid, metadata='{"comment_id":"c1"}')),
        f.delivery(f.echo(psid=psid, ts=ts, mid=mid, reverse=True)),
        f.delivery(f.postback(referral=f.referral_obj(f"r{i}"), psid=psid, ts=ts, mid=mid)),
        f.delivery(f.referral(f"r{i}", psid=psid, ts=ts)),
        f.delivery(f.chat_plugin_referral(f"uref{i}", ts=ts)),
        f.delivery(f.optin(psid=None, ts=ts, ref=f"r{i}", user_ref=f"uref{i}")),
        f.delivery(f.optin(psid=psid, ts=ts, type="notification_messages", payload="P")),
        f.delivery(f.delivery_receipt([mid], ts, psid=psid, ts=ts)),
        f.delivery(f.read_receipt(ts, psid=psid, ts=ts)),
        f.delivery(f.reaction(mid, psid=psid, ts=ts)),
        f.delivery(f.handover("take_thread_control", psid=psid, ts=ts), container="standby"),
        f.delivery(f.other_item(psid=psid, ts=ts)),
        ff.feed(ff.comment(comment_id=f"c_{i}", created_time=ts // 1000)),
        ff.send_log(f"c_{i}", psid, ts=ts, message_id=mid),
        f.envelope(f.delivery(f.message(psid=psid, ts=ts, mid=mid))),
        {"object": "refscope_click", "ts": ts, "ref": f"r{i}", "page": f.PAGE_USERNAME,
         "qr": True, "device": "mobile"},
    ]  # fmt: skip


BASE_KINDS = len(_bases(0))


def _paths(node: Any, prefix: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    yield prefix
    if isinstance(node, dict | list):
        for key, child in node.items() if isinstance(node, dict) else enumerate(node):
            yield from _paths(child, (*prefix, key))


def _replaced(doc: Any, path: tuple[Any, ...], value: Any, delete: bool) -> Any:
    doc = copy.deepcopy(doc)
    parent = doc
    for key in path[:-1]:
        parent = parent[key]
    if delete:
        del parent[path[-1]]
    else:
        parent[path[-1]] = value
    return doc


@st.composite
def wrong_deliveries(draw: st.DrawFn, i: int) -> str:
    """A valid line of some kind with one field or subtree replaced (or removed)."""
    doc = _bases(i)[draw(st.integers(0, BASE_KINDS - 1))]
    for _ in range(draw(st.integers(1, 2))):
        paths = list(_paths(doc))[1:]
        path = draw(st.sampled_from(paths))
        doc = _replaced(doc, path, draw(json_values), delete=draw(st.booleans()))
    return json.dumps(doc)


def _lines_of(line: Callable[[int], st.SearchStrategy[bytes]]) -> st.SearchStrategy[bytes]:
    """A log: numbered lines from line(i), sometimes with blank lines, maybe unterminated."""

    @st.composite
    def log(draw: st.DrawFn) -> bytes:
        n = draw(st.integers(1, 10))
        lines = [draw(line(i) | st.sampled_from([b"", b"  \t", b"\r"])) for i in range(n)]
        return b"\n".join(x.replace(b"\n", b"") for x in lines) + draw(
            st.sampled_from([b"\n", b""])
        )

    return log()


# A log that starts with a compression's signature is not text (README "What the ingest
# reads"): gzip data not named .gz stops the run, naming it; xz, bzip2 or zstd data is left out
# with a warning naming it (test_other_compressions). Random bytes may start so.
_PACKED = {b"\x1f\x8b": "gzip data in a file not named .gz", b"\xfd7zXZ\x00": "xz data",
           b"\x28\xb5\x2f\xfd": "zstd data",
           **{b"BZh" + str(n).encode(): "bzip2 data" for n in range(1, 10)}}  # fmt: skip


def _check_every_line_is_accounted_for(data: bytes) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        log = Path(tmp) / "webhooks.ndjson"
        log.write_bytes(data)
        said = next((why for sign, why in _PACKED.items() if data.startswith(sign)), None)
        if said is not None:
            try:
                result = pipeline.run([str(log)], Path(tmp) / "refscope.duckdb")
            except SourceError as exc:
                assert said in str(exc)
                return
            assert any(said in w for w in result.warnings), result.warnings
            assert result.lines == 0
            return
        result = pipeline.run([str(log)], Path(tmp) / "refscope.duckdb")
        query = Query(Path(tmp) / "refscope.duckdb")
        with_events, rejected = accounted_lines(query, log)
        lines = _lines(data)
        nonblank = nonblank_line_numbers(b"".join(x.replace(b"\n", b" ") + b"\n" for x in lines))
        nonblank -= _utf16_line_end(data, query, log)
        assert len(rejected) == len(set(rejected)), f"a line has two reject rows: {rejected}"
        assert result.lines == len(lines)
        documents = _documents(data)
        if documents is None:  # one body per line
            bodies = {n: [lines[n - 1]] for n in nonblank}
        else:
            bodies, spanned = documents
            assert nonblank <= spanned, f"lines outside any document: {nonblank - spanned}"
        assert set(rejected) <= set(bodies) and with_events <= set(bodies)
        for line_no in sorted(set(bodies) - with_events - set(rejected)):
            for body in bodies[line_no]:
                _assert_only_repeats_stored_events(query, body, Path(tmp))


def _lines(data: bytes) -> list[bytes]:
    """The log's lines, each without its newline, as README "What the ingest reads" cuts them:
    at each newline, but within UTF-16 text (a log saved as UTF-16, or lines of it appended to
    a UTF-8 log) at the character U+000A alone; where, wide_ends says (its own tests pin it:
    test_rejects_utf16_line_ends.py, test_rejects_utf16_appended_line_ends.py)."""
    order = reasons.utf16_order(data)
    if order:
        ends = wide_ends.line_ends(data, 0, order)
    else:
        ends = wide_ends.mixed_ends(data, np.flatnonzero(np.frombuffer(data, np.uint8) == 10) + 1)
    stops = [int(e) for e in ends]
    if data and (not stops or stops[-1] < len(data)):
        stops.append(len(data))  # a last line without its newline
    starts = [0, *stops][: len(stops)]
    return [data[a : b - (b in ends)] for a, b in zip(starts, stops, strict=True)]


def _utf16_line_end(data: bytes, query: Query, log: Path) -> set[int]:
    """The last line when it is the zero byte a UTF-16LE line end leaves after its newline:
    the line before it rejected as UTF-16 text, it is no line of the log (README)."""
    if not data.endswith(b"\n\x00"):
        return set()
    n = data.count(b"\n") + 1
    said = query("SELECT reason FROM rejects WHERE file = ? AND line_no = ?",
                 str(log.resolve()), n - 1)  # fmt: skip
    return {n} if said == [("UTF-16 text, not UTF-8: save the log as UTF-8",)] else set()


def _documents(data: bytes) -> tuple[dict[int, list[bytes]], set[int]] | None:
    """As README "What the ingest reads" says, the bodies of a file read as JSON documents (by
    the line each starts on: each top-level value, and each element of an array holding an
    object) and the lines the documents span; None when it is read line by line."""
    lines = [x.removeprefix(b"\xef\xbb\xbf").strip(b" \t\r") for x in data.split(b"\n")]
    first = next((x for x in lines[:-1] if x), b"")  # whole lines, but for an array all on
    try:  # the file's last line, with no line end (as `json.dump` writes one): it parses
        text = data.decode().removeprefix("\ufeff")
        head = first.decode().removeprefix("\ufeff").strip(" \t\r")
        if not head and lines[-1].startswith(b"[") and _holds_object(json.loads(lines[-1])):
            head = lines[-1].decode().removeprefix("\ufeff").strip(" \t\r")
    except (UnicodeDecodeError, ValueError, RecursionError):
        return None
    if not head.startswith(("{", "[")):
        return None
    try:
        if not _holds_object(json.loads(head)):
            return None  # a whole value on its line: a log of one body per line
    except ValueError:
        pass  # a value the line opens and does not close
    bodies: dict[int, list[bytes]] = {}
    spanned: set[int] = set()
    decoder, pos = json.JSONDecoder(), 0

    def line_of(at: int) -> int:
        return text.count("\n", 0, at) + 1

    while (pos := len(text) - len(text[pos:].lstrip(" \t\r\n"))) < len(text):
        try:
            value, end = decoder.raw_decode(text, pos)
        except (ValueError, RecursionError):
            return None  # does not parse whole: line by line
        spanned |= set(range(line_of(pos), line_of(end) + 1))
        array = _holds_object(value)
        at = pos + 1 if array else pos
        for _ in value if array else [value]:  # each element's text, where the array holds it
            at = len(text) - len(text[at:].lstrip(" \t\r\n,"))
            _, stop = decoder.raw_decode(text, at)
            one_line = text[at:stop].replace("\r", " ").replace("\n", " ")
            bodies.setdefault(line_of(at), []).append(one_line.encode())
            at = stop
        pos = end
    return bodies, spanned


def _holds_object(value: Any) -> bool:
    return isinstance(value, list) and any(isinstance(v, dict) for v in value)


def _assert_only_repeats_stored_events(query: Query, line: bytes, tmp: Path) -> None:
    alone = Path(tmp) / "alone"
    alone.mkdir(exist_ok=True)
    log = f.write_ndjson(alone / "line.ndjson", [line])
    db_file = alone / "refscope.duckdb"
    for p in (db_file, Path(f"{db_file}.wal")):
        p.unlink(missing_ok=True)
    result = pipeline.run([str(log)], db_file)
    if result.insights_added and not result.rejects_added:
        return  # an ad insights line: its rows are in ad_insights, which names no line
    keys = {r[0] for r in Query(db_file)("SELECT event_key FROM events")}
    stored = {r[0] for r in query("SELECT event_key FROM events")}
    assert result.rejects_added == 0 and keys, f"line lost without events or reject: {line!r}"
    assert keys <= stored, f"line lost: {line!r}"


@settings(SETTINGS, max_examples=25)
@given(_lines_of(lambda i: (json_values | delivery_like).map(lambda v: json.dumps(v).encode())))
def test_random_json_shapes_are_accounted_for(data: bytes) -> None:
    _check_every_line_is_accounted_for(data)


@settings(SETTINGS, max_examples=40)
@given(_lines_of(lambda i: wrong_deliveries(i).map(str.encode)))
def test_deliveries_with_a_wrong_value_anywhere_are_accounted_for(data: bytes) -> None:
    _check_every_line_is_accounted_for(data)


@settings(SETTINGS, max_examples=12)
@given(_lines_of(lambda i: st.binary(max_size=120) | st.text(max_size=40).map(str.encode)))
@example(b"{\n}\n")  # random lines that make a JSON document: its line 2 is the document's
@example(b'[\n{"object": 1},\n2]\n')
@example(b"a\x00b\x00\n\x00")  # UTF-16LE text: the zero after its last newline is no line
@example(b"ab\n\x00")  # after UTF-8 text, a stray zero byte is a last line of its own
def test_random_bytes_are_accounted_for(data: bytes) -> None:
    _check_every_line_is_accounted_for(data)
