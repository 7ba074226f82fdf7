"""`refscope pull logs` of an answer in a Content-Encoding (RFC 9110 §8.4): gzip and deflate
(zlib-wrapped, or raw as some servers send it) undone, and one refscope cannot undo (br, zstd
without their libraries: httpx passes such a body on as it came) refused by name, nothing read,
rather than its compressed bytes read as a log."""

from __future__ import annotations

import gzip
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from functools import partial
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from ingest.cli import cli
from tests.ingest.fetch_server import lines
from tests.local_http import served

pytestmark = pytest.mark.usefixtures("fast_retries")
LOG = lines(0, 5)


def _raw_deflate(data: bytes) -> bytes:
    packer = zlib.compressobj(wbits=-15)
    return packer.compress(data) + packer.flush()


@dataclass
class Encoded:
    """Serves LOG in `coding` (none: as it is), whatever the request accepts, as a server with
    precompressed files and a fixed header may; records each request's Accept-Encoding."""

    coding: str = ""
    encode: Callable[[bytes], bytes] = bytes
    accepted: list[str] = field(default_factory=list)


class _Handler(BaseHTTPRequestHandler):
    def __init__(self, server_state: Encoded, *args: Any) -> None:
        self.state = server_state
        super().__init__(*args)

    def log_message(self, *args: Any) -> None:
        pass

    def do_GET(self) -> None:  # noqa: N802 (the stdlib's name)
        self.state.accepted.append(self.headers.get("Accept-Encoding", ""))
        body = self.state.encode(LOG)
        self.send_response(200)
        if self.state.coding:
            self.send_header("Content-Encoding", self.state.coding)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


@pytest.fixture
def encoded() -> Iterator[tuple[Encoded, str]]:
    state = Encoded()
    with served(partial(_Handler, state)) as base:
        yield state, base + "/log.ndjson"


def _pull(runner: CliRunner, url: str, db_path: Path) -> Any:
    return runner.invoke(cli, ["pull", "logs", url, "--db", str(db_path)])


@pytest.mark.parametrize(
    ("coding", "encode"),
    [("gzip", partial(gzip.compress, mtime=0)), ("x-gzip", partial(gzip.compress, mtime=0)),
     ("deflate", zlib.compress), ("deflate", _raw_deflate)],
    ids=["gzip", "x-gzip", "deflate", "raw-deflate"],
)  # fmt: skip
def test_an_answer_in_gzip_or_deflate_is_read_as_its_text(
    encoded: tuple[Encoded, str], db_path: Path, runner: CliRunner, query: Any,
    coding: str, encode: Callable[[bytes], bytes],
) -> None:  # fmt: skip
    state, url = encoded
    state.coding, state.encode = coding, encode
    res = _pull(runner, url, db_path)
    assert res.exit_code == 0, res.output
    assert query("SELECT count(*) FROM events") == [(5,)]
    assert query("SELECT count(*) FROM rejects") == [(0,)]


@pytest.mark.parametrize(
    ("coding", "named"),
    [("br", "br"), ("zstd", "zstd"), ("compress", "compress"), ("gzip, br", "br")],
)
def test_an_answer_in_an_encoding_refscope_cannot_undo_is_refused_and_nothing_is_read(
    encoded: tuple[Encoded, str], db_path: Path, runner: CliRunner, query: Any, coding: str,
    named: str,
) -> None:  # fmt: skip
    """Its bytes were read as the log: a run of rejects (invalid UTF-8), recorded as read, so
    the next pull asked for the bytes after them."""
    state, url = encoded
    state.coding, state.encode = coding, lambda data: b"\x1b\x8f\x00\x00" + data[::-1]
    res = _pull(runner, url, db_path)
    assert res.exit_code == 1, res.output
    assert f"answered in Content-Encoding '{named}', which refscope cannot decode" in res.output
    assert "nothing was read" in res.output and len(state.accepted) == 1  # not retried
    assert query("SELECT count(*) FROM rejects") == [(0,)]
    assert query("SELECT count(*) FROM ingest_files") == [(0,)]
    state.coding, state.encode = "", bytes  # the server set right: all of the log is read
    res = _pull(runner, url, db_path)
    assert res.exit_code == 0, res.output
    assert query("SELECT count(*) FROM events") == [(5,)]
