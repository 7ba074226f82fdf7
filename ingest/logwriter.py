"""The receiver's durable NDJSON logs: `log_file` names them, and `LogWriter` appends lines with
group commit (one write and fsync per file per batch), acknowledging no line before its fsync.
A file renamed or removed (logrotate) is opened anew by its name at the next write to it;
`keep_serving_on_sighup` keeps `serve` running on SIGHUP."""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
import os
import signal
import threading
import time
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from .receiver_metrics import Metrics

log = logging.getLogger("refscope.receiver")

OPEN_FILES = 4  # log files kept open: today's two, and yesterday's around midnight


def log_file(log_dir: Path, stream: str, at_ms: int, writer: str = "") -> Path:
    """The one place that names log files: <stream>-YYYY-MM-DD[.<writer>].ndjson, UTC day."""
    day = dt.datetime.fromtimestamp(at_ms / 1000, dt.UTC).date().isoformat()
    return log_dir / f"{stream}-{day}{'.' + writer if writer else ''}.ndjson"


@dataclass(frozen=True)
class BatchStats:
    bytes: int
    lines: int
    fsyncs: list[float]


class LogWriter:
    """Group commit: one task takes every pending line, writes and fsyncs each file once in a
    thread, then resolves the waiting requests. No line is acknowledged before its fsync."""

    def __init__(self, metrics: Metrics, fsync: Callable[[int], None] = os.fsync) -> None:
        self.metrics = metrics
        self.fsync = fsync
        self._pending: list[tuple[Path, bytes, asyncio.Future[None]]] = []
        self._wake = asyncio.Event()
        self._closing = False
        self._task: asyncio.Task[None] | None = None
        self._files: dict[Path, int] = {}  # used only by the writer thread
        self._pool = ThreadPoolExecutor(1, thread_name_prefix="refscope-log")
        # Why the last batch could not be written (the system's words, no path), until one is.
        self.last_error: str | None = None

    def start(self) -> None:
        self._task = asyncio.get_running_loop().create_task(self._run())

    async def append(self, path: Path, line: bytes) -> None:
        """Return once line is on disk; raise OSError if it could not be written."""
        if self._closing or self._task is None or self._task.done():
            raise OSError("the log writer is not running")
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        entry = (path, line, future)
        self._pending.append(entry)
        self._wake.set()
        try:
            await future
        except asyncio.CancelledError:
            # Its request was given up (uvicorn's graceful shutdown timed out): answered 500,
            # it is sent again. A line no batch has taken yet is withdrawn: written at close,
            # it would be in the log twice. One already being written cannot be.
            if entry in self._pending:
                self._pending.remove(entry)
            raise

    @property
    def pending(self) -> int:
        return len(self._pending)

    async def close(self) -> None:
        """Write what is pending, then close the files."""
        self._closing = True
        self._wake.set()
        if self._task is not None:
            await self._task
        await asyncio.get_running_loop().run_in_executor(self._pool, self._close_files)
        self._pool.shutdown()

    async def _run(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            if not self._pending:
                # Checked before every wait, not only after a wake-up: lines appended while a
                # batch was being written, before close(), are written before the task ends.
                if self._closing:
                    return
                await self._wake.wait()
                self._wake.clear()
                continue
            batch, self._pending = self._pending, []
            try:
                stats = await loop.run_in_executor(self._pool, self._write, batch)
            except Exception as exc:
                # A delivery waiting on it is answered 500 (Meta retries it); a click is still
                # redirected, its line lost.
                log.error("log write failed for %d lines (deliveries answered 500 for Meta to "
                          "retry, clicks redirected unlogged): %s", len(batch), exc)  # fmt: skip
                self.metrics.write_errors += len(batch)
                said = exc.strerror if isinstance(exc, OSError) else None
                self.last_error = said or type(exc).__name__
                for _, _, fut in batch:
                    if not fut.done():
                        fut.set_exception(OSError("log write failed"))
                continue
            self.last_error = None
            m = self.metrics
            m.batches += 1
            m.bytes_written += stats.bytes
            m.lines_written += stats.lines
            m.fsync_sum += sum(stats.fsyncs)
            m.fsync_count += len(stats.fsyncs)
            m.fsync_max = max(m.fsync_max, *stats.fsyncs)
            for _, _, fut in batch:
                if not fut.done():
                    fut.set_result(None)

    def _write(self, batch: list[tuple[Path, bytes, asyncio.Future[None]]]) -> BatchStats:
        by_path: dict[Path, list[bytes]] = {}
        for path, line, _ in batch:
            by_path.setdefault(path, []).append(line)
        written, fsyncs = 0, []
        done: list[tuple[Path, int, int]] = []  # each file written to: its fd, its size before
        self._make_room(by_path.keys())
        try:
            for path, lines in by_path.items():
                fd, torn = self._open(path)
                data = (b"\n" if torn else b"") + b"".join(lines)
                done.append((path, fd, os.fstat(fd).st_size))
                view = memoryview(data)
                while view:
                    view = view[os.write(fd, view) :]
                written += len(data)
            for _, fd, _ in done:
                t0 = time.perf_counter()
                self.fsync(fd)
                fsyncs.append(time.perf_counter() - t0)
        except OSError:
            # Every request of the batch is answered as failed (a delivery 500, for Meta to
            # send again): no file keeps its lines, those of the files that went through too,
            # or the retry would be a second copy of them.
            for path, fd, before in done:
                _cut_back(fd, before)
                self._forget(path)
            raise
        return BatchStats(written, len(batch), fsyncs)

    def _open(self, path: Path) -> tuple[int, bool]:
        """The file's descriptor, and whether it ends in a torn line (a crash mid-write)."""
        if path in self._files:
            if _same_file(path, self._files[path]):
                return self._files[path], False
            self._forget(path)  # removed or rotated away: write to a file that is there
        make_dirs(path.parent)
        fd = os.open(path, os.O_RDWR | os.O_APPEND | os.O_CREAT | os.O_CLOEXEC, 0o640)
        try:
            size = os.fstat(fd).st_size
            if size == 0:  # possibly new: make its directory entry durable too
                _fsync_dir(path.parent)
            # A line without its newline would swallow the next line written: start a new one.
            torn = size > 0 and os.pread(fd, 1, size - 1) != b"\n"
        except OSError:
            os.close(fd)  # opened again, and its directory fsynced, by the next batch
            raise
        self._files[path] = fd
        return fd, torn

    def _make_room(self, batch: Iterable[Path]) -> None:
        """Close files this batch does not write to while more than OPEN_FILES would be open.

        Never one the batch uses: its descriptor is still to be fsynced once every file is
        written, and a closed one would be fsynced by number (an error, or another file).
        """
        keep = set(batch)
        for path in [p for p in self._files if p not in keep]:
            if len(self._files.keys() | keep) <= OPEN_FILES:
                break
            self._forget(path)

    def _forget(self, path: Path) -> None:
        fd = self._files.pop(path, None)
        if fd is not None:
            os.close(fd)

    def _close_files(self) -> None:
        for path in list(self._files):
            self._forget(path)


def keep_serving_on_sighup() -> Callable[[], None]:
    """On SIGHUP (logrotate's postrotate, `systemctl reload`, a closed terminal), which would
    end the process, log it and go on: nothing is to be reopened, as every write checks that
    its file's name still leads to it (`_same_file`). Returns what undoes it. Signals reach the
    main thread only: a server running in another thread is left alone."""
    if threading.current_thread() is not threading.main_thread():
        return lambda: None
    loop = asyncio.get_running_loop()
    previous = signal.getsignal(signal.SIGHUP)

    def hangup() -> None:
        log.info("SIGHUP: still serving (a log file rotated away is opened anew by its name "
                 "at its next write)")  # fmt: skip

    loop.add_signal_handler(signal.SIGHUP, hangup)

    def restore() -> None:
        loop.remove_signal_handler(signal.SIGHUP)
        if previous is not None:
            signal.signal(signal.SIGHUP, previous)

    return restore


def make_dirs(path: Path) -> None:
    """mkdir -p that makes each directory it creates durable: the entry of a new directory is
    in its parent, which is fsynced, or a crash could lose the directory with the logs in it.
    Like the logs, a directory it creates is not open to other accounts (0750): their names
    say which days a page had traffic."""
    missing: list[Path] = []
    while not path.is_dir():
        missing.append(path)
        if path.parent == path:
            break
        path = path.parent
    for new in reversed(missing):
        try:
            new.mkdir(mode=0o750)
        except FileExistsError:
            if not new.is_dir():
                raise
        _fsync_dir(new.parent)


def _fsync_dir(path: Path) -> None:
    dir_fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)


def _cut_back(fd: int, size: int) -> None:
    """Undo a write that failed part way (a full disk): its lines are answered 500 and sent
    again, and the bytes it got out would stay in the log as a broken line, which the ingest
    rejects (its text kept in `rejects.raw`). Only this process writes to its file. Should the
    cut fail too, the next write starts a new line after the torn one (`_open`). A file that
    is now shorter than size was truncated meanwhile (logrotate's copytruncate): cutting it
    to size would add zeros, so it is left to that too."""
    with contextlib.suppress(OSError):
        if os.fstat(fd).st_size > size:
            os.ftruncate(fd, size)


def _same_file(path: Path, fd: int) -> bool:
    """Whether path still names the open file (not deleted, not replaced by a rotation)."""
    try:
        st = os.stat(path)
    except FileNotFoundError:
        return False
    held = os.fstat(fd)
    return (st.st_dev, st.st_ino) == (held.st_dev, held.st_ino)
