"""Each input is opened once and its bytes read once: the start read to tell a file of JSON
documents from NDJSON (documents.py) is where the line reader takes the file up, and a document
that does not parse is read line by line on from what was read of it, as sources.read_chunks
alone reads it. Counted at `open`, as read from the file on disk."""

from __future__ import annotations

import builtins
import dataclasses
import gzip
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import tests.factories as f
from ingest import documents, sources
from tests.factories import T0

_OPEN = builtins.open


class _Counted:
    """A file open for reading, counting the bytes read from it."""

    def __init__(self, fh: Any, reads: list[int]) -> None:
        self._fh, self._reads = fh, reads

    def read(self, n: int = -1) -> bytes:
        got: bytes = self._fh.read(n)
        self._reads.append(len(got))
        return got

    def __enter__(self) -> _Counted:
        return self

    def __exit__(self, *exc: object) -> None:
        self._fh.close()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._fh, name)


@dataclasses.dataclass
class _Reads:
    opens: int = 0
    read: list[int] = dataclasses.field(default_factory=list)


@pytest.fixture
def counted(monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, _Reads]]:
    """The opens of each file by name (gzip's reader opens the file on disk through `open`)."""
    seen: dict[str, _Reads] = {}

    def counting_open(file: Any, mode: str = "r", *args: Any, **kwargs: Any) -> Any:
        fh = _OPEN(file, mode, *args, **kwargs)
        if not isinstance(file, (str, Path)) or "r" not in mode:
            return fh
        reads = seen.setdefault(Path(file).name, _Reads())
        reads.opens += 1
        return _Counted(fh, reads.read)

    monkeypatch.setattr(builtins, "open", counting_open)
    yield seen


def _bodies(n: int) -> list[Any]:
    return [
        f.delivery(f.message(f"hi {i}", psid=f"u{i}", ts=T0 + i, mid=f"m_{i}")) for i in range(n)
    ]


def _write(path: Path, data: bytes) -> Path:
    if path.suffix == ".gz":
        data = gzip.compress(data)
    path.write_bytes(data)
    return path


def _plan(path: Path, state: sources.FileState | None = None) -> sources.Plan:
    p = sources.plan(path, state)
    assert isinstance(p, sources.Plan)
    return p


def _chunks(reader: Any, p: sources.Plan, limit: int) -> list[tuple[Any, ...]]:
    return [(bytes(c.data), c.first_line, c.end_offset, c.lines_done, c.mark, c.line_nos, c.lines)
            for c in reader(p, limit)]  # fmt: skip


PRETTY = (json.dumps(_bodies(3), indent=2) + "\n").encode()  # an array of bodies
NDJSON = b"".join(json.dumps(b).encode() + b"\n" for b in _bodies(400))  # past the peek
BROKEN = PRETTY[:-40] + b"\n" + NDJSON  # a document cut short, then lines
LONG_ARRAY = json.dumps(_bodies(300)).encode()  # one line past the peek, no line end


@pytest.mark.parametrize("name", ["log.json", "log.json.gz"])
@pytest.mark.parametrize(
    ("content", "document"),
    [(PRETTY, True), (NDJSON, False), (BROKEN, False), (LONG_ARRAY, True)],
    ids=["document", "ndjson", "broken-document", "array-on-one-line"],
)
def test_a_file_is_opened_once_and_each_byte_read_once(
    tmp_path: Path, counted: dict[str, _Reads], name: str, content: bytes, document: bool
) -> None:
    """It was opened twice (three times for a document that did not parse), and the start
    peeked at to tell a document was read again."""
    assert len(NDJSON) > documents.PEEK_BYTES and len(LONG_ARRAY) > documents.PEEK_BYTES
    path = _write(tmp_path / name, content)
    p = _plan(path)
    counted.clear()  # planning looks at its first bytes
    chunks = list(documents.read_chunks(p, 1 << 20))
    assert (chunks[0].line_nos is not None) == document
    assert chunks[-1].end_offset == len(content)
    assert counted[name].opens == 1
    assert sum(counted[name].read) == path.stat().st_size


@pytest.mark.parametrize("name", ["log.json", "log.json.gz"])
def test_a_grown_document_is_opened_once(
    tmp_path: Path, counted: dict[str, _Reads], name: str
) -> None:
    """Read on from the offset of an earlier run, its start still tells a document."""
    path = _write(tmp_path / name, PRETTY)
    first = list(documents.read_chunks(_plan(path), 1 << 20))
    size = path.stat().st_size
    head = sources.prefix_hash(path, size) if name.endswith(".gz") else \
        sources.fingerprint(path, size)  # fmt: skip
    with open(path, "ab") as fh:  # a .gz: a member appended
        fh.write(_write(tmp_path / ("more" + path.suffix), b"[\n" + NDJSON[:300].split(b"\n")[0]
                        + b"\n]\n").read_bytes())  # fmt: skip
    state = sources.FileState(size, 0, head, first[-1].end_offset, first[-1].lines_done)
    p = _plan(path, state)
    assert p.start_offset == len(PRETTY)
    counted.clear()
    chunks = list(documents.read_chunks(p, 1 << 20))
    assert counted[name].opens == 1
    assert [c.line_nos for c in chunks] == [(PRETTY.count(b"\n") + 2,)]


@pytest.mark.parametrize("name", ["log.ndjson", "log.ndjson.gz"])
@pytest.mark.parametrize(
    "content",
    [NDJSON, BROKEN, b"\xff\xfe" + NDJSON[:999].decode().encode("utf-16-le"), NDJSON[:-1]],
    ids=["ndjson", "broken-document", "utf-16", "unfinished-line"],
)
@pytest.mark.parametrize("limit", [1, 64, 4096, 1 << 20])
def test_lines_read_on_from_the_peek_are_the_line_readers_chunks(
    tmp_path: Path, name: str, content: bytes, limit: int
) -> None:
    """Not a document, or one that does not parse: the same chunks, to the byte, offset, line
    and fingerprint, as sources.read_chunks yields, whatever the batch size (smaller than the
    peek, too), from the start or (a file whose start is no document) an offset."""
    path = _write(tmp_path / name, content)
    p = _plan(path)
    assert _chunks(documents.read_chunks, p, limit) == _chunks(sources.read_chunks, p, limit)
    if not name.endswith(".gz") and content is not BROKEN:  # its start tells a document
        cut = content.index(b"\n", len(content) // 2) + 1
        on = dataclasses.replace(p, start_offset=cut, start_line=content.count(b"\n", 0, cut))
        assert _chunks(documents.read_chunks, on, limit) == _chunks(sources.read_chunks, on, limit)
