"""`refscope dashboard`'s process once its checks have passed (`python -m dashboard.server_process
run APP OPTIONS...`): Streamlit's server runs in a child of it, which it stops, so that Ctrl-C and
SIGTERM end the dashboard at any moment, its start-up included.

Run in one process, Streamlit takes these signals only once its server has started: a Ctrl-C
before that was a traceback, or lost (asyncio's handler cancelled a start whose end then went
on), and a stop its server did not finish was taken again and again, never ending it.

Here the first Ctrl-C or SIGTERM is passed on to Streamlit as one SIGTERM (its own clean stop
once it serves, at once while it starts), a second Ctrl-C kills it, and so does a wait of
STOP_GRACE seconds; the dashboard exits 0 when Streamlit stopped itself, else 130 or 143. The
child keeps both signals blocked, so that one sent to the whole group (a terminal's Ctrl-C,
`timeout`, a service manager) reaches it only through here, once; `refscope dashboard` execs
this with them blocked, so that none comes between the two programs unhandled.
"""

from __future__ import annotations

import os
import select
import signal
import subprocess
import sys
import time
from types import FrameType

from ingest.cli_stop import STOPS  # it imports the standard library only: cheap here too

STOP_GRACE = 5.0  # seconds Streamlit has to stop once told (its sessions end, the port closes)
STREAMLIT = "--streamlit"  # argv[1] of the child
TOLD = signal.SIGUSR1  # the child's "stop": one SIGTERM to Streamlit, however many were sent


class Stopper:
    """The stops received, passed on to the child as they come."""

    def __init__(self) -> None:
        self.signum = 0  # the first stop's signal
        self.count = 0
        self.deadline = 0.0  # when the child is killed if it has not stopped
        self.child: subprocess.Popen[bytes] | None = None
        self.killed = False

    def on_signal(self, signum: int, frame: object) -> None:
        self.count += 1
        if self.count == 1:
            self.signum = signum
            self.deadline = time.monotonic() + STOP_GRACE
        if self.child is None:  # nothing started yet: nothing to stop but this process
            _say("stopped before the dashboard started")
            os._exit(128 + self.signum)
        # os.kill, not Popen.send_signal, which would reap the child inside this handler; the
        # child is reaped only by the wait below, so its pid is still its own.
        if self.count == 1:
            os.kill(self.child.pid, TOLD)
        elif signum == signal.SIGINT:  # a second Ctrl-C; a SIGTERM again is the same stop
            self.killed = True  # (`timeout` sends its SIGTERM twice: to it, to its group)
            os.kill(self.child.pid, signal.SIGKILL)


def _say(line: str) -> None:
    os.write(2, f"{line}\n".encode())  # no buffer a signal handler could re-enter


def serve(args: list[str]) -> int:
    """Run `streamlit ARGS` in a child until it ends; its exit code, or 128 + the stop's
    signal when a stop ended it before it could stop itself."""
    signal.pthread_sigmask(signal.SIG_BLOCK, STOPS)  # as refscope dashboard's exec left them
    stopper = Stopper()
    for sig in STOPS:
        signal.signal(sig, stopper.on_signal)
    wake_r, wake_w = os.pipe()
    for fd in (wake_r, wake_w):
        os.set_blocking(fd, False)
    signal.set_wakeup_fd(wake_w)  # a stop, or the child's end, wakes the wait below
    signal.signal(signal.SIGCHLD, lambda signum, frame: None)
    if STOPS & signal.sigpending():  # stopped already: no child to start and stop
        signal.pthread_sigmask(signal.SIG_UNBLOCK, STOPS)
    stopper.child = subprocess.Popen(
        [sys.executable, "-m", "dashboard.server_process", STREAMLIT, str(os.getpid()), *args]
    )
    signal.pthread_sigmask(signal.SIG_UNBLOCK, STOPS)  # a stop meanwhile is passed on now
    return _wait(stopper, stopper.child, wake_r)


def _wait(stopper: Stopper, child: subprocess.Popen[bytes], wake_r: int) -> int:
    while (code := child.poll()) is None:
        left = None
        if stopper.count and not stopper.killed:
            left = stopper.deadline - time.monotonic()
            if left <= 0:
                child.kill()
                stopper.killed, left = True, None
        select.select([wake_r], [], [], left)
        while True:
            try:
                if not os.read(wake_r, 512):
                    break
            except BlockingIOError:
                break
    if stopper.count and code != 0:  # cut short: it did not stop itself as when serving
        if stopper.killed:
            _say("stopped: Streamlit did not stop when told to, and was killed")
        else:
            _say("stopped while the dashboard was starting")
        return 128 + stopper.signum
    return 128 - code if code < 0 else code  # killed by another's signal: as a shell says it


def _told(signum: int, frame: FrameType | None) -> None:
    """Told to stop: one SIGTERM, to Streamlit's handler (its clean stop) or, before Streamlit
    has set one, to the default action (an end at once). A SIGTERM sent to the whole group
    (`timeout`, a service manager) stays blocked: one that came before this is taken off, and
    one after it is never delivered, so Streamlit says `Stopping...` once. (Unblocked for the
    stop, one that came in that moment was delivered too: `Stopping...` twice.)"""
    while signal.sigtimedwait({signal.SIGTERM}, 0) is not None:
        pass  # the group's, pending: this stop is the same one
    handler = signal.getsignal(signal.SIGTERM)
    if callable(handler):
        handler(signal.SIGTERM, frame)  # Streamlit's own, as a SIGTERM would call it
    elif handler != signal.SIG_IGN:  # the default's end at once (or a handler set from C)
        os.kill(os.getpid(), signal.SIGTERM)
        signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGTERM})  # delivered here
        signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGTERM})


def streamlit(parent: int, args: list[str]) -> None:
    """The child: Streamlit's own `streamlit ARGS`, with Ctrl-C and SIGTERM blocked (born so):
    its parent takes them and tells it (TOLD); ended with its parent if that is killed
    (Linux)."""
    signal.pthread_sigmask(signal.SIG_BLOCK, STOPS)
    signal.signal(TOLD, _told)
    if sys.platform == "linux":
        import ctypes

        pr_set_pdeathsig = 1
        ctypes.CDLL(None).prctl(pr_set_pdeathsig, TOLD)
    if os.getppid() != parent:  # killed before the line above: not left running alone
        sys.exit(128 + signal.SIGTERM)
    from streamlit.web.cli import main

    sys.argv = ["streamlit", *args]
    main(prog_name="streamlit")


if __name__ == "__main__":
    if sys.argv[1:2] == [STREAMLIT]:
        streamlit(int(sys.argv[2]), sys.argv[3:])
    else:
        sys.exit(serve(sys.argv[1:]))
