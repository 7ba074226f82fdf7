"""A download of `pull logs` kept for the next pull when its pull was killed (SIGKILL, the OOM
killer) or stopped (Ctrl-C, SIGTERM) part-way: beside its spool file in `.pull`, a note of what
the next pull needs to ask for the rest (the request it answered, where in the file its bytes
start, the file's size, the validator an If-Range names its version with). Only an answer whose
bytes are the file's own and whose version a validator names is kept so: the server's If-Range
then sends the whole file for any other version, never its rest spliced to these bytes. No
credential is noted (no header of the request, no Set-Cookie): the note is named by the spool
file's name (the killed pull's pid), so `forget` and a pull's sweep of files a day old remove it
with the spool file (fetch.remove_killed_pulls, fetch.sweep_spool)."""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
from pathlib import Path

import httpx

from .download_part import Part
from .http_headers import SNIFF_BYTES

NOTE = ".resume"  # the note's suffix, after its spool file's name
# The answer's headers the rest is judged by (fetch and Part read these, no others).
_HEADERS = ("etag", "last-modified", "date", "content-range", "content-length", "content-type")


def request_key(name: str, extra: dict[str, str], raw: bool) -> str:
    """What the request a download answers is known by: its URL without user info and query
    (name: a signed URL's query changes with each pull), the headers of its kind (a Range from
    an offset, a conditional), and whether it is kept raw (a .gz); hashed."""
    asked = json.dumps([name, sorted(extra.items()), raw])
    return hashlib.sha256(asked.encode()).hexdigest()


def note(spool: Path, key: str, part: Part) -> None:
    """Note beside spool what its download goes on from, if it can be gone on from; else no
    note (one of an answer spooled there before is removed)."""
    if not (part.validator and part.own):
        drop(spool)
        return
    said = {k: part.headers[k] for k in _HEADERS if k in part.headers}
    text = json.dumps({"key": key, "status": part.status, "start": part.start,
                       "total": part.total, "validator": part.validator,
                       "headers": said})  # fmt: skip
    at = spool.with_name(spool.name + NOTE)
    fd = os.open(f"{at}.tmp", os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o640)
    with open(fd, "w", encoding="utf-8") as fh:
        fh.write(text)
    os.replace(f"{at}.tmp", at)


def drop(spool: Path) -> None:
    """Remove spool's note: the download ended, or is not to be gone on from."""
    spool.with_name(spool.name + NOTE).unlink(missing_ok=True)


def running(pid: int) -> bool:
    """Whether a process of that id runs on this machine (one of another account's too)."""
    if pid <= 0:  # os.kill(0, …) is the whole process group: no process of that id
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass  # another account's process: it runs
    return True


def claim(spool_dir: Path, key: str, spool: Path) -> Part | None:
    """The download a killed or stopped pull left for this request (key), moved to spool, as
    the Part to go on from; None when there is none (or none whose pull has ended)."""
    for at in spool_dir.glob(f"*{NOTE}"):
        kept = at.with_name(at.name.removesuffix(NOTE))
        pid = kept.name.rpartition("-pull-")[2].partition("-")[0]
        if not pid.isdigit() or running(int(pid)) or not kept.is_file():
            continue
        try:
            said = json.loads(at.read_text(encoding="utf-8"))
            if said.get("key") != key:
                continue
            os.replace(kept, spool)  # ours now: another pull no longer finds it
        except (OSError, ValueError):
            continue  # another pull took it first, or a note cut short
        at.unlink(missing_ok=True)
        return _part(said, spool)
    return None


def _part(said: dict[str, object], spool: Path) -> Part | None:
    """The Part a note describes, with the bytes of spool; None (spool removed) when the note
    is not one this module wrote."""
    try:
        status, start, total, validator = (said["status"], said["start"], said["total"],
                                           said["validator"])  # fmt: skip
        headers = httpx.Headers(said["headers"])  # type: ignore[arg-type]
        if not (isinstance(status, int) and isinstance(start, int) and isinstance(validator, str)
                and (total is None or isinstance(total, int))):  # fmt: skip
            raise ValueError("not a note")
        size = spool.stat().st_size
        with open(spool, "rb") as fh:
            lead = fh.read(SNIFF_BYTES)
    except (KeyError, TypeError, ValueError, OSError):
        spool.unlink(missing_ok=True)
        return None
    part = Part(status, headers, start, total, validator, size=size)
    # Its first bytes told a log from a web page, once there were enough of them.
    part.lead = None if size >= SNIFF_BYTES else lead
    return part


def kept_if_stopped(spool: Path, exc: BaseException) -> bool:
    """Whether a download ended by exc stays for the next pull: Ctrl-C or SIGTERM (both a
    KeyboardInterrupt here, cli_stop) with its note written; any other end removes it."""
    noted = spool.with_name(spool.name + NOTE)
    if isinstance(exc, KeyboardInterrupt) and noted.exists() and spool.exists():
        return True
    with contextlib.suppress(OSError):
        drop(spool)
    return False
