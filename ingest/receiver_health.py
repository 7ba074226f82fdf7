"""What `/healthz` says of a receiver: whether it can take deliveries now, and if not, why.

A load balancer or orchestrator reads only the status code: 503 takes the receiver out of
rotation (or restarts it) while it would refuse or lose deliveries. The reasons name no file
and no secret: the check is often public.
"""

from __future__ import annotations

import os
import tempfile
import threading
from collections.abc import Callable
from pathlib import Path

from .logwriter import make_dirs

PROBE_PREFIX = ".healthz-"  # a file made and removed at once in the log directory
# A load balancer polls every few seconds, from each of its nodes: a directory found writable
# is probed again only after this long, so polls make no file in between.
PROBE_INTERVAL_SECONDS = 10.0


class WriteProbe:
    """Whether a file can be made in log_dir, by making and removing one: at most once per
    interval while it can (polls in between take that answer), at each call while it cannot
    (no file is made then, and a mended directory counts at once). Blocking I/O: run it in a
    thread; calls at once wait for one probe."""

    def __init__(
        self, log_dir: Path, clock: Callable[[], float], interval: float = PROBE_INTERVAL_SECONDS
    ) -> None:
        self.log_dir = log_dir
        self.clock = clock
        self.interval = interval
        self._lock = threading.Lock()
        self._good_at: float | None = None  # the clock at the last probe that made its file

    def problem(self) -> str | None:
        """Why no file can be made in log_dir (the system's words, no path), or None."""
        with self._lock:
            now = self.clock()
            # 0 <=: a clock set back does not keep an old answer for longer than the interval.
            if self._good_at is not None and 0 <= now - self._good_at < self.interval:
                return None
            found = _write_problem(self.log_dir)
            self._good_at = None if found else now
            return found


def problems(
    secret_missing: bool, probe: WriteProbe, room: int, last_write_error: str | None
) -> list[str]:
    """Why deliveries (or clicks) cannot be logged durably now ([]: they can). secret_missing:
    a receiver that takes webhooks has no app secret; room: the bytes a delivery may need (the
    body cap). Blocking I/O: run it in a thread."""
    found = []
    if secret_missing:
        found.append("REFSCOPE_APP_SECRET is not set: every delivery is refused")
    unwritable = probe.problem()
    if unwritable:
        found.append(f"the log directory cannot be written: {unwritable}")
    else:
        free = _free_bytes(probe.log_dir)
        if free is not None and free < room:
            found.append(f"the log directory's disk is full ({free} bytes free, a delivery may "
                         f"take {room})")  # fmt: skip
    if last_write_error and not unwritable:  # a probe that fails says it already
        found.append(f"the last log write failed: {last_write_error}")
    return found


def _write_problem(log_dir: Path) -> str | None:
    """Why a file cannot be made in log_dir (as the log writer makes it, folder and all), by
    the system's words without the path; None when it can."""
    try:
        make_dirs(log_dir)
        fd, name = tempfile.mkstemp(prefix=PROBE_PREFIX, dir=log_dir)
        os.close(fd)
        os.unlink(name)
    except OSError as exc:
        return exc.strerror or type(exc).__name__
    return None


def _free_bytes(log_dir: Path) -> int | None:
    try:
        st = os.statvfs(log_dir)
    except (OSError, AttributeError):  # AttributeError: no statvfs on this system
        return None
    # A root process may also write into the blocks kept for it (f_bfree), others only f_bavail.
    blocks = st.f_bfree if os.geteuid() == 0 else st.f_bavail
    return blocks * st.f_frsize
