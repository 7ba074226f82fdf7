"""The Parquet lake's manifest, `_manifest.json`: what a sync wrote (the lake's format, each
partition's fingerprint, the database that writes the lake), read before every sync, and
created by one sync only when two databases claim a new lake at once."""

from __future__ import annotations

import errno
import json
import os
import time
import uuid
from pathlib import Path

from .errors import LakeError

# os.link's errors on a file system without hard links (a mounted bucket): EPERM on Linux.
NO_LINKS = {errno.EPERM, errno.EOPNOTSUPP, errno.ENOTSUP, errno.ENOSYS}
CLAIM_WAIT = 1.0  # seconds an empty manifest is read again: a claim's write under way


def read(path: Path) -> dict:
    """The manifest at path, {} when there is none. One that holds no JSON object (empty, cut
    short, edited by hand) is a LakeError: taken for none, a sync would take the lake of
    another database for its own and delete its partitions."""
    deadline = time.monotonic() + CLAIM_WAIT
    try:
        while not (text := path.read_bytes()) and time.monotonic() < deadline:
            time.sleep(0.01)  # created, not yet written (see create): its one write follows
        data = json.loads(text)
    except FileNotFoundError:
        return {}
    except ValueError:  # not JSON, or not UTF-8
        data = None
    if not isinstance(data, dict):
        raise LakeError(
            f"{path}: not a lake manifest refscope wrote (empty, cut short or edited): nothing "
            "in the lake was written or deleted. If this database writes the lake, delete "
            f"{path} and the next sync writes the lake anew from it"
        )
    return data


def create(path: Path, content: dict) -> bool:
    """Create the manifest at path holding content, unless there is one: whether this call
    created it. Of processes creating it at once, exactly one does. A finished file is hard
    linked to the name, so no reader finds it half-written; on a file system without hard
    links, an exclusive create (O_EXCL) and one write."""
    data = json.dumps(content, sort_keys=True).encode()
    for attempt in range(3):
        tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex}.tmp")
        try:
            tmp.write_bytes(data)
            os.link(tmp, path)
            return True
        except FileExistsError:
            return False
        except FileNotFoundError:
            # Cleared as an unfinished file by the sync that claimed the lake a moment before.
            if path.exists():
                return False
            if attempt == 2:
                raise
        except OSError as exc:
            if exc.errno not in NO_LINKS:
                raise
            return _create_exclusive(path, data)
        finally:
            tmp.unlink(missing_ok=True)
    return False  # not reached: the last attempt returns or raises


def _create_exclusive(path: Path, data: bytes) -> bool:
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
    except FileExistsError:
        return False
    with os.fdopen(fd, "wb") as out:
        out.write(data)
    return True
