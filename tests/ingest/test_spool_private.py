"""What `pull logs` downloads (people's messages) is kept from other accounts while it waits to
be ingested, as the receiver's logs are: the spool file 0640, its folder 0750."""

from __future__ import annotations

import os
import stat
from pathlib import Path
from typing import Any

from ingest import fetch, remote
from tests.ingest.fetch_server import lines


def test_a_spool_file_is_not_readable_by_other_accounts(site: Any, tmp_path: Path) -> None:
    s, base = site
    s.files["/log.ndjson"] = lines(0, 3)
    old = os.umask(0o002)  # a permissive umask must not open it up
    try:
        got = fetch.pull(base + "/log.ndjson", None, spool_dir=tmp_path)
    finally:
        os.umask(old)
    assert got.plan is not None
    assert stat.S_IMODE(got.plan.path.stat().st_mode) == 0o640


def test_the_spool_folder_made_for_a_pull_is_not_open_to_others(site: Any, db_path: Path) -> None:
    s, base = site
    s.files["/log.ndjson"] = lines(0, 3)
    remote.pull_logs(base + "/log.ndjson", {}, db_path)
    mode = stat.S_IMODE((db_path.parent / ".pull").stat().st_mode)
    assert mode & 0o007 == 0, oct(mode)
