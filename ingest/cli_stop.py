"""Ctrl-C and SIGTERM (a service manager's stop) stopping a command alike, cleanly."""

from __future__ import annotations

import signal
import threading
from collections.abc import Callable


class Stop(threading.Event):
    """Set by Ctrl-C (SIGINT) or SIGTERM; signum says which."""

    signum: int = signal.SIGINT


def stop_on_signals(stopped: Stop) -> Callable[[], None]:
    """Make Ctrl-C and SIGTERM stop a command alike (`ingest --follow` between rounds or by
    rolling the load back; `rebuild` removing its new file), and record that they did in
    `stopped`. Returns what puts the previous handlers back."""

    def stop(signum: int, frame: object) -> None:
        stopped.signum = signum
        stopped.set()
        raise KeyboardInterrupt

    try:
        previous = {sig: signal.signal(sig, stop) for sig in (signal.SIGINT, signal.SIGTERM)}
    except ValueError:  # not the main thread: leave signals alone
        return lambda: None

    def restore() -> None:
        for sig, handler in previous.items():
            signal.signal(sig, handler)

    return restore
