"""A group commit that fails in one of the files it writes, on a real uvicorn server on
127.0.0.1: every request of the batch is answered as failed (a delivery 500, for Meta to retry),
so no file of the batch keeps its lines, or the retry would be a second copy of a delivery
(https://developers.facebook.com/docs/messenger-platform/webhooks#event-notifications)."""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest

from ingest import links
from ingest.receiver import ReceiverConfig
from tests import factories as f
from tests.ingest import receiver_server as rs


def _fails_in(stream: str, real: Callable[..., int | None]) -> Callable[..., int | None]:
    """`real` (os.write or os.fsync), raising ENOSPC, after 9 bytes of a write, on the open log
    file of `stream`, once."""
    failures = [OSError(28, "No space left on device")]

    def call(fd: int, *data: bytes) -> int | None:
        name = os.path.basename(os.readlink(f"/proc/self/fd/{fd}"))
        if failures and name.startswith(f"{stream}-") and name.endswith(".ndjson"):
            if data:
                real(fd, bytes(data[0][:9]))
            raise failures.pop()
        return real(fd, *data)

    return call


def _a_batch_of_a_delivery_and_a_click(
    start_receiver: rs.StartReceiver, db_path: Path, tmp_path: Path,
    fsync: Callable[[rs.HeldFsync], Callable[..., object]] = lambda held: held,
) -> tuple[rs.Receiver, dict[str, int]]:  # fmt: skip
    """A first delivery held in its fsync, while a second delivery and then a click wait for
    the next batch: both are written in one group commit, to two files. Returns the receiver
    and the answers of the three requests. fsync: the receiver's, made of the held one."""
    rs.register(db_path, links.make_link(f.PAGE_USERNAME, "spring_menu", "qr"))
    held = rs.HeldFsync()
    config = ReceiverConfig(
        tmp_path / "logs", db_path, (rs.SECRET,), rs.TOKEN, registry_refresh=0.0
    )
    receiver = start_receiver(config, fsync=fsync(held))
    answers: dict[str, int] = {}

    def send(name: str, request: Callable[[], httpx.Response]) -> threading.Thread:
        thread = threading.Thread(
            target=lambda: answers.__setitem__(name, request().status_code), daemon=True
        )
        thread.start()
        return thread

    def pending(n: int) -> None:
        deadline = time.monotonic() + rs.WAIT_SECONDS
        while receiver.get("/healthz").json()["pending_writes"] < n:
            assert time.monotonic() < deadline, f"{n} writes were never pending"
            time.sleep(0.01)

    first, second = rs.text_delivery("one", mid="m_one"), rs.text_delivery("two", mid="m_two")
    threads = [send("first", lambda: receiver.post(first))]
    assert held.in_fsync.wait(rs.WAIT_SECONDS)  # the first batch is being fsynced
    threads.append(send("second", lambda: receiver.post(second)))
    pending(1)  # the delivery first: its file is written before the click's
    threads.append(send("click", lambda: receiver.get("/r/spring_menu", params={"qr": "1"})))
    pending(2)
    held.release.set()
    for thread in threads:
        thread.join(rs.WAIT_SECONDS)
    return receiver, answers


@pytest.mark.parametrize("fails", ["write", "fsync"])
def test_a_batch_that_fails_in_one_file_keeps_no_line_in_another(
    start_receiver: rs.StartReceiver, db_path: Path, tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch, fails: str,
) -> None:  # fmt: skip
    """The click's file fails (a full disk): the second delivery, written to its own file in
    the same batch, is answered 500 and must not stay there, or Meta's retry adds it again."""
    if fails == "write":
        monkeypatch.setattr(os, "write", _fails_in("clicks", os.write))
        receiver, answers = _a_batch_of_a_delivery_and_a_click(start_receiver, db_path, tmp_path)
    else:
        receiver, answers = _a_batch_of_a_delivery_and_a_click(
            start_receiver, db_path, tmp_path, lambda held: _fails_in("clicks", held)
        )
    # The click is still redirected (its line lost); the second delivery is retried by Meta.
    assert answers == {"first": 200, "second": 500, "click": 302}
    (line,) = receiver.lines("webhooks")
    assert b"m_one" in line
    assert receiver.lines("clicks") == []
    m = receiver.metrics()
    assert (m["refscope_deliveries_accepted_total"], m["refscope_write_errors_total"]) == (1, 2)
    assert receiver.post(rs.text_delivery("two", mid="m_two")).status_code == 200  # the retry
    logged = b"".join(receiver.lines("webhooks"))
    assert logged.count(b"m_one") == 1 and logged.count(b"m_two") == 1
