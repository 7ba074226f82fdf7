"""Remote inputs: pull a log over HTTP and ingest what is new, under the URL's name."""

from __future__ import annotations

from pathlib import Path

import httpx

from . import db, fetch, pipeline


def pull_logs(
    url: str,
    headers: dict[str, str],
    db_file: Path | None = None,
    *,
    client: httpx.Client | None = None,
) -> pipeline.IngestResult | None:
    """Pull url's new bytes and ingest them; None when the server had nothing new."""
    path = db.db_path(db_file)
    con = db.connect(path)
    try:
        state = pipeline.file_states(con).get(fetch.safe_url(url))
    finally:
        con.close()  # not held while downloading
    spool_dir = path.parent / ".pull"
    spool_dir.mkdir(parents=True, exist_ok=True)
    pulled = fetch.pull(url, state, headers, spool_dir=spool_dir, client=client)
    if pulled.plan is None:
        return None
    try:
        return pipeline.run_plans([pulled.plan], path)
    finally:
        pulled.plan.path.unlink(missing_ok=True)
