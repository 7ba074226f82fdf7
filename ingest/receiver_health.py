"""What `/healthz` says of a receiver: whether it can take deliveries now, and if not, why.

A load balancer or orchestrator reads only the status code: 503 takes the receiver out of
rotation (or restarts it) while it would refuse or lose deliveries. The reasons name no file
and no secret: the check is often public.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from .logwriter import make_dirs

PROBE_PREFIX = ".healthz-"  # a file made and removed at once in the log directory


def problems(app_secrets: int, log_dir: Path, room: int, last_write_error: str | None) -> list[str]:
    """Why deliveries cannot be logged durably now ([]: they can). room: the bytes a delivery
    may need (the body cap). Blocking I/O: run it in a thread."""
    found = []
    if not app_secrets:
        found.append("REFSCOPE_APP_SECRET is not set: every delivery is refused")
    probe = _write_problem(log_dir)
    if probe:
        found.append(f"the log directory cannot be written: {probe}")
    else:
        free = _free_bytes(log_dir)
        if free is not None and free < room:
            found.append(f"the log directory's disk is full ({free} bytes free, a delivery may "
                         f"take {room})")  # fmt: skip
    if last_write_error and not probe:  # a probe that fails says it already
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
