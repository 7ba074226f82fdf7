"""The receiver's log writer on real files: no line acknowledged before its own file's fsync, also
around midnight when a batch opens a new day's file; log directories it creates made durable; and
a clean shutdown that writes every line accepted before close() and then returns (Meta retries
what is not answered 200: https://developers.facebook.com/docs/messenger-platform/faq)."""

from __future__ import annotations

import asyncio
import logging
import os
import shutil
import stat
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from ingest.logwriter import OPEN_FILES, LogWriter, log_file
from ingest.receiver import ReceiverConfig
from ingest.receiver_metrics import Metrics
from tests import factories as f
from tests.ingest.receiver_server import (
    SECRET,
    TOKEN,
    WAIT_SECONDS,
    HeldFsync,
    StartReceiver,
    text_delivery,
)

DAY_MS = 86_400_000


def record_directory_fsyncs(monkeypatch: pytest.MonkeyPatch) -> set[int]:
    """The inodes of the directories fsynced from now on (os.fsync still runs)."""
    synced: set[int] = set()
    real_fsync = os.fsync

    def fsync(fd: int) -> None:
        st = os.fstat(fd)
        if stat.S_ISDIR(st.st_mode):
            synced.add(st.st_ino)
        real_fsync(fd)

    monkeypatch.setattr(os, "fsync", fsync)
    return synced


def test_a_batch_that_opens_a_new_days_file_fsyncs_every_file_it_wrote(tmp_path: Path) -> None:
    synced: list[int] = []  # inode of each fsynced descriptor, batch by batch

    def fsync(fd: int) -> None:
        synced.append(os.fstat(fd).st_ino)
        os.fsync(fd)

    # Two streams, two days: the writer holds OPEN_FILES files open when the third day starts.
    held = [
        log_file(tmp_path, s, f.T0 + d * DAY_MS) for d in (0, 1) for s in ("webhooks", "clicks")
    ]
    assert len(held) == OPEN_FILES
    late = held[2]  # webhooks, day 2: a request answered at 23:59:59.999
    new = log_file(tmp_path, "webhooks", f.T0 + 2 * DAY_MS)  # one at 00:00:00.001, same batch

    async def scenario() -> None:
        writer = LogWriter(Metrics(), fsync)
        writer.start()
        for path in held:
            await writer.append(path, b'{"n":0}\n')
        synced.clear()
        # Appended in one turn of the loop: the writer takes both in one batch.
        await asyncio.gather(writer.append(late, b'{"n":1}\n'), writer.append(new, b'{"n":2}\n'))
        await writer.close()

    asyncio.run(scenario())
    assert late.read_bytes() == b'{"n":0}\n{"n":1}\n' and new.read_bytes() == b'{"n":2}\n'
    # Both acknowledged lines were fsynced in their own file, not one file twice.
    assert sorted(synced) == sorted([late.stat().st_ino, new.stat().st_ino])


def test_close_writes_what_was_appended_during_a_batch_and_returns(tmp_path: Path) -> None:
    path = log_file(tmp_path, "webhooks", f.T0)
    held = HeldFsync()  # the first fsync waits until the test lets it go

    async def scenario() -> None:
        writer = LogWriter(Metrics(), held)
        writer.start()
        first = asyncio.create_task(writer.append(path, b'{"n":1}\n'))
        assert await asyncio.to_thread(held.in_fsync.wait, WAIT_SECONDS)  # batch 1 is being fsynced
        second = asyncio.create_task(writer.append(path, b'{"n":2}\n'))
        await asyncio.sleep(0)  # line 2 is pending: accepted before the shutdown began
        closing = asyncio.create_task(writer.close())  # uvicorn's lifespan shutdown
        await asyncio.sleep(0)
        held.release.set()
        await asyncio.wait_for(closing, 10)  # returns, so the process can exit
        await asyncio.wait_for(asyncio.gather(first, second), 1)  # both were acknowledged

    asyncio.run(scenario())
    assert path.read_bytes() == b'{"n":1}\n{"n":2}\n'


def test_a_log_directory_it_creates_is_made_durable_in_its_parent(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    synced_dirs = record_directory_fsyncs(monkeypatch)
    log_dir = tmp_path / "data" / "logs"  # neither exists yet: `refscope serve` on a new host
    path = log_file(log_dir, "webhooks", f.T0)

    async def scenario() -> None:
        writer = LogWriter(Metrics())
        writer.start()
        await writer.append(path, b'{"n":1}\n')  # acknowledged: it must survive a power cut
        await writer.close()

    asyncio.run(scenario())
    assert path.read_bytes() == b'{"n":1}\n'
    # The file's entry is in logs/, logs' entry in data/, data's entry in tmp_path.
    for directory in (log_dir, log_dir.parent, tmp_path):
        assert directory.stat().st_ino in synced_dirs, directory


def test_the_receiver_makes_the_log_directory_it_creates_durable(
    start_receiver: StartReceiver, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    synced_dirs = record_directory_fsyncs(monkeypatch)
    log_dir = tmp_path / "data" / "logs"  # created by the receiver's startup
    receiver = start_receiver(ReceiverConfig(log_dir, None, (SECRET,), TOKEN))
    assert receiver.post(text_delivery()).status_code == 200
    assert len(receiver.lines()) == 1
    for directory in (log_dir, log_dir.parent, tmp_path):
        assert directory.stat().st_ino in synced_dirs, directory


def write_lines(path: Path, *lines: bytes, fsync: Callable[[int], None] = os.fsync) -> Metrics:
    """Each line appended by a writer of its own, one after another; the writer's metrics."""
    metrics = Metrics()

    async def scenario() -> None:
        for line in lines:
            writer = LogWriter(metrics, fsync)
            writer.start()
            await writer.append(path, line)
            await writer.close()

    asyncio.run(scenario())
    return metrics


def test_a_log_that_is_there_is_appended_to(tmp_path: Path) -> None:
    # A restarted receiver, or one whose descriptor was closed, finds today's log there.
    path = log_file(tmp_path, "webhooks", f.T0)
    write_lines(path, b'{"n":1}\n', b'{"n":2}\n')
    assert path.read_bytes() == b'{"n":1}\n{"n":2}\n'


def test_a_short_write_is_written_to_its_end(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    real_write = os.write

    def write(fd: int, data: bytes) -> int:  # a few bytes at a time, as os.write may
        if stat.S_ISREG(os.fstat(fd).st_mode):
            return real_write(fd, bytes(data[:5]))
        return real_write(fd, data)

    monkeypatch.setattr(os, "write", write)
    path = log_file(tmp_path, "webhooks", f.T0)
    write_lines(path, b'{"n":1,"text":"a longer line"}\n', b'{"n":2}\n')
    assert path.read_bytes() == b'{"n":1,"text":"a longer line"}\n{"n":2}\n'


LINE = b'{"received_at":1,"body":{}}\n'


def _failed_half_way_then_retried(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, copytruncate: bool = False
) -> bytes:
    """The log after a write that the disk filled up 9 bytes into (answered 500) and its
    retry; copytruncate: the log held a line, and logrotate emptied it just before that write."""
    real_write = os.write
    failures = [OSError(28, "No space left on device")]
    path = log_file(tmp_path, "webhooks", f.T0)

    def write(fd: int, data: bytes) -> int:
        if failures and stat.S_ISREG(os.fstat(fd).st_mode):
            if copytruncate:
                os.truncate(path, 0)
            real_write(fd, bytes(data[:9]))
            raise failures.pop()
        return real_write(fd, data)

    if copytruncate:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(b'{"received_at":0,"body":{"rotated":"away by a copy"}}\n')
    monkeypatch.setattr(os, "write", write)

    async def scenario() -> None:
        writer = LogWriter(Metrics())
        writer.start()
        with pytest.raises(OSError):
            await writer.append(path, LINE)  # answered 500: Meta retries
        await writer.append(path, LINE)
        await writer.close()

    asyncio.run(scenario())
    return path.read_bytes()


def test_a_write_that_failed_half_way_does_not_swallow_the_retry(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The failed write's bytes are cut back: the log holds the retry alone, no broken line for
    # the ingest to reject (with the text of a message in it).
    assert _failed_half_way_then_retried(tmp_path, monkeypatch) == LINE


def test_a_failed_write_that_cannot_be_cut_back_leaves_the_retry_on_a_line_of_its_own(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def ftruncate(fd: int, length: int) -> None:
        raise OSError(5, "Input/output error")

    monkeypatch.setattr(os, "ftruncate", ftruncate)
    assert _failed_half_way_then_retried(tmp_path, monkeypatch) == LINE[:9] + b"\n" + LINE


def test_a_failed_write_into_a_log_emptied_meanwhile_is_not_cut_back_with_zeros(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # logrotate's copytruncate empties the file in place: cut back to its old size, the file
    # would grow zeros, a line the ingest rejects, in front of the retry.
    assert _failed_half_way_then_retried(tmp_path, monkeypatch, copytruncate=True) == (
        LINE[:9] + b"\n" + LINE
    )


def test_the_writer_counts_lines_not_files_in_a_batch(tmp_path: Path) -> None:
    webhooks, clicks = (log_file(tmp_path, s, f.T0) for s in ("webhooks", "clicks"))
    metrics = Metrics()

    async def scenario() -> None:
        writer = LogWriter(metrics)
        writer.start()
        # Appended in one turn of the loop: one batch, two files, three lines.
        await asyncio.gather(*(writer.append(p, b'{"n":1}\n') for p in (webhooks, clicks, clicks)))
        await writer.close()

    asyncio.run(scenario())
    assert (metrics.batches, metrics.lines_written, metrics.fsync_count) == (1, 3, 2)
    assert metrics.bytes_written == 3 * len(b'{"n":1}\n')


def test_a_failed_batch_counts_a_write_error_per_request(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    def fsync(fd: int) -> None:
        raise OSError(5, "Input/output error")

    metrics = Metrics()
    path = log_file(tmp_path, "webhooks", f.T0)

    async def scenario() -> None:
        writer = LogWriter(metrics, fsync)
        writer.start()
        appends = (writer.append(path, b'{"n":%d}\n' % n) for n in range(3))  # one batch
        results = await asyncio.gather(*appends, return_exceptions=True)
        assert [type(r) for r in results] == [OSError] * 3  # each answered 500
        await writer.close()

    asyncio.run(scenario())
    assert (metrics.write_errors, metrics.batches, metrics.lines_written) == (3, 0, 0)
    # The operator's line counts lines: a click in the batch was redirected, not answered 500.
    (error,) = [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR]
    assert error.startswith("log write failed for 3 lines (deliveries answered 500"), error
    assert "clicks redirected unlogged" in error and "Input/output error" in error


def test_the_longest_fsync_is_kept_across_batches(tmp_path: Path) -> None:
    delays = [0.05]

    def fsync(fd: int) -> None:  # the first one slow, the next ones not
        time.sleep(delays.pop() if delays else 0)
        os.fsync(fd)

    metrics = write_lines(log_file(tmp_path, "webhooks", f.T0), b"{}\n", b"{}\n", fsync=fsync)
    assert metrics.fsync_count == 2 and metrics.fsync_max >= 0.05


def test_a_new_log_is_not_readable_by_others(tmp_path: Path) -> None:
    # Its lines hold what people wrote to the page: no other account on the host reads them.
    path = log_file(tmp_path, "webhooks", f.T0)
    write_lines(path, b"{}\n")
    assert stat.S_IMODE(path.stat().st_mode) & 0o027 == 0, oct(path.stat().st_mode)


def test_the_directories_made_for_a_log_are_not_open_to_others(tmp_path: Path) -> None:
    path = log_file(tmp_path / "logs" / "page", "webhooks", f.T0)
    write_lines(path, b"{}\n")
    for made in (tmp_path / "logs", tmp_path / "logs" / "page"):
        assert stat.S_IMODE(made.stat().st_mode) & 0o027 == 0, (made, oct(made.stat().st_mode))


def test_a_log_replaced_by_a_file_of_the_same_size_is_opened_anew(tmp_path: Path) -> None:
    path = log_file(tmp_path, "webhooks", f.T0)
    moved = tmp_path / "moved.ndjson"

    async def scenario() -> None:
        writer = LogWriter(Metrics())
        writer.start()
        await writer.append(path, b'{"n":1}\n')
        path.rename(moved)  # rotated away, and a copy (say, from a backup) put in its place
        path.write_bytes(moved.read_bytes())
        await writer.append(path, b'{"n":2}\n')
        await writer.close()

    asyncio.run(scenario())
    assert path.read_bytes() == b'{"n":1}\n{"n":2}\n' and moved.read_bytes() == b'{"n":1}\n'


def test_after_close_an_append_fails_at_once_and_no_file_is_left_open(tmp_path: Path) -> None:
    fds: list[int] = []

    def fsync(fd: int) -> None:
        fds.append(fd)
        os.fsync(fd)

    async def scenario() -> None:
        writer = LogWriter(Metrics(), fsync)
        writer.start()
        await writer.append(log_file(tmp_path, "webhooks", f.T0), b"{}\n")
        await writer.close()
        with pytest.raises(OSError, match="not running"):  # answered 500, not left waiting
            await asyncio.wait_for(writer.append(log_file(tmp_path, "clicks", f.T0), b"{}\n"), 5)
        (fd,) = fds
        with pytest.raises(OSError):
            os.fstat(fd)  # closed

    asyncio.run(scenario())


def test_a_log_directory_removed_while_serving_is_made_again(tmp_path: Path) -> None:
    path = log_file(tmp_path / "logs", "webhooks", f.T0)

    async def scenario() -> None:
        writer = LogWriter(Metrics())
        writer.start()
        await writer.append(path, b'{"n":1}\n')
        shutil.rmtree(path.parent)  # a cleanup that went one level too far
        await writer.append(path, b'{"n":2}\n')
        await writer.close()

    asyncio.run(scenario())
    assert path.read_bytes() == b'{"n":2}\n'


def test_a_line_appended_as_the_shutdown_begins_is_written(tmp_path: Path) -> None:
    path = log_file(tmp_path, "webhooks", f.T0)

    async def scenario() -> None:
        writer = LogWriter(Metrics())
        writer.start()
        await asyncio.sleep(0)  # the writer waits for lines
        # One turn of the loop: a request's line, then uvicorn's lifespan shutdown.
        both = asyncio.gather(writer.append(path, b'{"n":1}\n'), writer.close())
        await asyncio.wait_for(both, 5)  # acknowledged, not left waiting

    asyncio.run(scenario())
    assert path.read_bytes() == b'{"n":1}\n'
