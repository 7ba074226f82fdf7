"""The Parquet lake's manifest, `_manifest.json`: what a sync wrote (the lake's format, each
partition's fingerprint, the database that writes the lake), read before every sync."""

from __future__ import annotations

import json
from pathlib import Path

from .errors import LakeError


def read(path: Path) -> dict:
    """The manifest at path, {} when there is none. One that holds no JSON object (empty, cut
    short, edited by hand) is a LakeError: taken for none, a sync would take the lake of
    another database for its own and delete its partitions."""
    try:
        data = json.loads(path.read_bytes())
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
