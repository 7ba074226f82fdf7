"""/healthz answers 503, with its reasons, while the receiver cannot log deliveries durably: a
load balancer reads only the status code. The reasons name no file and no secret."""

from __future__ import annotations

import errno
import os
import shutil
import time
from pathlib import Path

from ingest.receiver import ReceiverConfig
from ingest.receiver_health import PROBE_INTERVAL_SECONDS
from tests.ingest.receiver_server import SECRET, TOKEN, StartReceiver, text_delivery


def test_a_receiver_that_can_log_is_healthy(start_receiver: StartReceiver) -> None:
    r = start_receiver().get("/healthz")
    assert r.status_code == 200
    assert r.json()["status"] == "ok" and r.json()["problems"] == []


def test_without_an_app_secret_it_is_unhealthy(
    start_receiver: StartReceiver, tmp_path: Path
) -> None:
    receiver = start_receiver(ReceiverConfig(tmp_path / "logs", None, (), TOKEN))
    assert receiver.post(text_delivery()).status_code == 503  # as every delivery would be
    r = receiver.get("/healthz")
    assert r.status_code == 503
    assert r.json()["status"] == "unhealthy"
    assert r.json()["problems"] == ["REFSCOPE_APP_SECRET is not set: every delivery is refused"]


def test_a_failing_disk_makes_it_unhealthy_until_a_write_goes_through(
    start_receiver: StartReceiver, tmp_path: Path
) -> None:
    full = [True]

    def fsync(fd: int) -> None:
        if full[0]:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        os.fsync(fd)

    receiver = start_receiver(fsync=fsync)
    assert receiver.post(text_delivery(mid="m_1")).status_code == 500
    r = receiver.get("/healthz")
    assert r.status_code == 503, r.text
    assert r.json()["problems"] == ["the last log write failed: No space left on device"]
    assert str(tmp_path) not in r.text and SECRET not in r.text
    full[0] = False
    assert receiver.post(text_delivery(mid="m_2")).status_code == 200
    assert receiver.get("/healthz").status_code == 200


def test_a_disk_without_room_for_a_delivery_makes_it_unhealthy(
    start_receiver: StartReceiver, tmp_path: Path
) -> None:
    # No disk here is full: a body cap larger than any disk's free space stands for one.
    huge = 1 << 62
    config = ReceiverConfig(tmp_path / "logs", None, (SECRET,), TOKEN, max_body=huge)
    r = start_receiver(config).get("/healthz")
    assert r.status_code == 503, r.text
    (problem,) = r.json()["problems"]
    assert problem.startswith("the log directory's disk is full (")
    assert problem.endswith(f"bytes free, a delivery may take {huge})")


def test_polls_within_the_probe_interval_make_no_file(
    start_receiver: StartReceiver, tmp_path: Path
) -> None:
    """Each poll made and removed a probe file: a load balancer polling every few seconds, on
    every host, made one each time. The directory's mtime moves with each file made or removed."""
    now = [1_700_000_000.0]
    receiver = start_receiver(clock=lambda: now[0])
    assert receiver.get("/healthz").status_code == 200
    before = receiver.log_dir.stat().st_mtime_ns
    for _ in range(5):
        time.sleep(0.02)  # past the file system's timestamp granularity
        now[0] += PROBE_INTERVAL_SECONDS / 10
        assert receiver.get("/healthz").status_code == 200
    assert receiver.log_dir.stat().st_mtime_ns == before
    time.sleep(0.02)
    now[0] += PROBE_INTERVAL_SECONDS / 2  # the interval has passed: probed again
    assert receiver.get("/healthz").status_code == 200
    assert receiver.log_dir.stat().st_mtime_ns != before
    assert list(receiver.log_dir.iterdir()) == []


def test_a_log_directory_that_cannot_be_written_makes_it_unhealthy_within_the_interval(
    start_receiver: StartReceiver, tmp_path: Path
) -> None:
    """Found at the first poll once the interval has passed since the last good probe; once
    mended, healthy again at the next poll (a failing probe is tried at each)."""
    now = [1_700_000_000.0]
    receiver = start_receiver(clock=lambda: now[0])
    assert receiver.get("/healthz").status_code == 200
    shutil.rmtree(receiver.log_dir)
    receiver.log_dir.write_text("a file where the log directory was")  # root ignores modes
    now[0] += PROBE_INTERVAL_SECONDS
    r = receiver.get("/healthz")
    assert r.status_code == 503, r.text
    assert r.json()["problems"] == ["the log directory cannot be written: File exists"]
    assert str(tmp_path) not in r.text
    assert receiver.get("/healthz").status_code == 503  # no time passed: still found
    receiver.log_dir.unlink()  # removed: made anew, as the log writer makes it
    assert receiver.get("/healthz").status_code == 200  # no time passed either
    assert [p.name for p in receiver.log_dir.iterdir()] == []  # the probe left nothing
