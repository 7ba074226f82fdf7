"""An independent generator of realistic webhook logs for the black-box checks of the ingest's
guarantees (test_guarantees_blackbox.py). It builds its payloads itself (blackbox_payloads.py),
from Meta's documented shapes, not with tests/factories.py, so that a shape both got wrong cannot
hide a fault; here they are laid out in log files.

Every line knows what it is meant to give: events, a copy of another line's events (a POST Meta
retried), a reject (and the reason expected), both (a partly malformed delivery), or nothing (a
blank line). The logs mix every item kind, messaging[] and standby[] items, feed changes, a send
log, receiver envelopes, timestamps in ms, s and digit strings, .gz files, CRLF line ends and a
file without its final newline.
"""

from __future__ import annotations

import gzip
import json
import random
from dataclasses import dataclass, field
from pathlib import Path

from tests.ingest.blackbox_payloads import PAGES, T0, Conversations, Json, dumps

# (file name, CRLF line ends, final newline). A .gz is written gzipped; the others as they are.
FILES = (
    ("2025-06-15.ndjson", False, True),
    ("2025-06-16.jsonl", True, True),
    ("receiver/2025-06-17.ndjson.gz", False, True),
    ("receiver/old/2025-06-14.json", False, False),
    ("archive/2025-06-13.jsonl.gz", True, True),
)
SEND_LOG = "send/private-replies.ndjson"


@dataclass
class Line:
    text: bytes  # without its line end
    events: bool = True  # meant to give events (before dedupe)
    reject: str | None = None  # a regular expression of the reason expected, when rejected
    group: int | None = None  # lines carrying copies of one another's events
    whole_copy: bool = True  # in its group, every line carries the same events: one gives them


@dataclass
class Log:
    name: str
    crlf: bool = False
    final_newline: bool = True
    lines: list[Line] = field(default_factory=list)

    def content(self) -> bytes:
        end = b"\r\n" if self.crlf else b"\n"
        data = end.join(line.text for line in self.lines)
        return data + end if self.final_newline else data

    def write(self, root: Path, data: bytes | None = None) -> Path:
        path = root / self.name
        path.parent.mkdir(parents=True, exist_ok=True)
        data = self.content() if data is None else data
        path.write_bytes(gzip.compress(data, mtime=0) if self.name.endswith(".gz") else data)
        return path


class Generator(Conversations):
    """Conversations of n users over the pages, as POST bodies, laid out in log files."""

    def logs(self) -> list[Log]:
        for u in range(self.users):
            self.conversation(u)
        rng = self.rng
        logs = [Log(name, crlf, final) for name, crlf, final in FILES]
        groups = 0
        for body, retry in self.bodies:
            where = rng.choice(logs)
            envelope = where.name.startswith("receiver/") or rng.random() < 0.2
            line = Line(wrap(body, T0 + rng.randrange(10**7)) if envelope else dumps(body))
            where.lines.append(line)
            if retry and rng.random() < 0.08:  # Meta retried the POST: in this or another file
                groups += 1
                line.group = groups
                again = json.loads(json.dumps(body))
                again["entry"][0]["time"] += rng.randrange(20_000, 40_000)  # its sending time
                respell(again)
                to = rng.choice(logs)
                text = wrap(again, T0 + rng.randrange(10**7)) if to.name.startswith("receiver/") \
                    else dumps(again)  # fmt: skip
                to.lines.append(Line(text, group=groups))
        # One message logged by the thread owner (messaging) and by another app (standby).
        for _ in range(3):
            groups += 1
            page, psid = rng.choice(PAGES), self.uid()
            item = self.item(page, {"id": psid}, T0 + rng.randrange(10**7), "message",
                             {"mid": f"m_{self.uid()}", "text": "both apps"})  # fmt: skip
            for container in ("standby", "messaging"):
                body = self.post(page, [item], container)
                rng.choice(logs).lines.append(Line(dumps(body), group=groups))
        groups = self.arrival_copies(logs, groups)
        for log in logs:
            rng.shuffle(log.lines)
        # Deliveries that batch several entries, one of them a mid another delivery had.
        for log in logs[:3]:
            had = next(x for x in log.lines if x.group is None and b'"message":{"mid"' in x.text)
            first = json.loads(unwrap(had.text))
            other = self.post(PAGES[0], [self.item(PAGES[0], {"id": self.uid()}, T0 + 5,
                              "message", {"mid": f"m_{self.uid()}", "text": "new"})])  # fmt: skip
            groups += 1
            had.group, had.whole_copy = groups, False
            batch = {"object": "page", "entry": other["entry"] + first["entry"]}
            rng.choice(logs).lines.append(Line(dumps(batch), group=groups, whole_copy=False))
        for log in logs:
            for bad in broken_lines(self):
                log.lines.insert(rng.randrange(len(log.lines)), bad)
            for blank in (b"", b"   ", b"\t"):
                log.lines.insert(rng.randrange(len(log.lines)), Line(blank, events=False))
        # The file without its final newline ends on a whole, good line.
        last = self.item(PAGES[1], {"id": self.uid()}, T0 + 9, "message", {"mid": "m_last"})
        body = self.post(PAGES[1], [last])
        logs[3].lines.append(Line(dumps(body)))
        # The page's own send log; some lines inside a receiver envelope.
        sends = Log(SEND_LOG)
        for x in self.sends:
            wrapped = rng.random() < 0.3
            sends.lines.append(Line(wrap(x, x["timestamp"] + 3) if wrapped else dumps(x)))
        return [*logs, sends]

    def arrival_copies(self, logs: list[Log], groups: int) -> int:
        """Items dated by their arrival (no timestamp of their own): a delivery receipt by its
        entry's time, a sample (the App Dashboard's test button) with Meta's placeholder by its
        envelope's received_at. Sent again later, they are one event (the earliest). And a POST
        whose entry holds two items. Returns the last copy group used."""
        rng = self.rng
        receiver = [x for x in logs if x.name.startswith("receiver/")]
        for _ in range(3):
            page, psid, at = rng.choice(PAGES), self.uid(), T0 + rng.randrange(10**7)
            item = self.item(page, {"id": psid}, "TIMESTAMP", "message", {"mid": f"m_{self.uid()}"})
            receipt = {"sender": {"id": psid}, "recipient": {"id": page},
                       "delivery": {"mids": [f"m_{self.uid()}"], "watermark": at - 9}}  # fmt: skip
            sample = {"field": "messages", "value": item}
            for k in range(2):
                entry = {"id": page, "time": at + k * 30_000, "messaging": [receipt]}
                body = {"object": "page", "entry": [entry]}
                rng.choice(logs).lines.append(Line(dumps(body), group=groups + 1))
                rng.choice(receiver).lines.append(Line(wrap(sample, at + k), group=groups + 2))
            groups += 2
        page, psid, at = PAGES[0], self.uid(), T0 + rng.randrange(10**7)
        two = [self.item(page, {"id": psid}, at, "message", {"mid": f"m_{self.uid()}"}),
               self.item(page, {"id": psid}, at + 1, "read", {"watermark": at - 5})]  # fmt: skip
        rng.choice(logs).lines.append(Line(dumps(self.post(page, two))))
        return groups


def wrap(body: Json, received_at: int) -> bytes:
    """The line the project's receiver writes around a POST body."""
    return dumps({"received_at": received_at, "body": body})


def unwrap(text: bytes) -> bytes:
    doc = json.loads(text)
    return dumps(doc["body"]) if "body" in doc else text


def respell(body: Json) -> None:
    """A retried POST's items with timestamps spelled otherwise: the same instants."""
    for entry in body["entry"]:
        for item in entry.get("messaging", []) + entry.get("standby", []):
            ts = item.get("timestamp")
            if isinstance(ts, str):
                item["timestamp"] = int(ts)
            elif isinstance(ts, int) and ts >= 10**12:
                item["timestamp"] = str(ts)
            elif isinstance(ts, int):  # in seconds: the same instant in ms
                item["timestamp"] = ts * 1000


def broken_lines(g: Generator) -> list[Line]:
    """Malformed lines, each with the reason it is to be rejected for (a regular expression)."""
    page, psid, t = PAGES[0], g.uid(), T0 + g.rng.randrange(10**7)
    good = g.item(page, {"id": psid}, t, "message", {"mid": f"m_{g.uid()}", "text": "ok"})
    no_mid = g.item(page, {"id": psid}, t + 1, "message", {"text": "no mid"})
    full = dumps(g.post(page, [good]))
    return [
        Line(full[: len(full) // 2], False, r"^invalid JSON: "),
        Line(b"[1, 2, 3]", False, r"^not an object: a JSON array$"),
        Line(b'{"object":"page","entry":{}}', False, r"^entry is not a list but a JSON object$"),
        Line(b'{"object":"page","entry":[]}', False, r"^empty entry list$"),
        Line(dumps(g.post(page, [no_mid])), False,
             r"^entry\[0\]\.messaging\[0\]: message without mid$"),
        Line(dumps(g.post(page, [g.item(page, None, t, "read", {"watermark": t})])), False,
             r"^entry\[0\]\.messaging\[0\]: no sender id$"),
        # A placeholder timestamp (Meta's optins sample): dated by its entry's time, if any.
        Line(dumps(g.post(page, [g.item(page, {"id": psid}, "TIMESTAMP", "optin", {"ref": "x"})]))),
        Line(dumps({"object": "page", "entry": [{"id": page, "messaging": [
             g.item(page, {"id": psid}, "TIMESTAMP", "optin", {"ref": "y"})]}]}), False,
             r"^entry\[0\]\.messaging\[0\]: no valid timestamp$"),
        Line(dumps({"object": "instagram", "entry": [{"id": "1", "time": t, "messaging": []}]}),
             False, r"^unsupported object 'instagram'"),
        Line(dumps({"received_at": t, "body": "{oops"}), False,
             r"^envelope body is not an object but a string: invalid JSON"),
        Line(b'{"object":"page","entry":[{"id":"' + page.encode() + b'","time":1,"messaging":'
             b'[{"sender":{"id":"1"},"recipient":{"id":"2"},"timestamp":1,"message":'
             b'{"mid":"m","text":"\xff\xfe bad"}}]}]}', False, r"^invalid UTF-8 at byte \d+$"),
        # A delivery with a good item and a malformed one: events and a reject.
        Line(dumps(g.post(page, [good | {"message": {"mid": f"m_{g.uid()}"}}, no_mid])), True,
             r"^partly rejected: entry\[0\]\.messaging\[1\]: message without mid$"),
    ]  # fmt: skip


def split_points(rng: random.Random, size: int, parts: int) -> list[int]:
    """Where a file grown in appends stands after each: anywhere, mid-line included."""
    return sorted(rng.sample(range(1, size), parts - 1)) + [size]


def visible(text: bytes) -> str:
    """A line as a reject row keeps it: bytes that are not UTF-8 as \\xNN."""
    return text.decode("utf-8", "backslashreplace")
