"""The body cap README tells an operator to set for long batches takes Meta's largest: 1,000
updates, each a message of 2,000 characters (the Send API's text limit) in a script Meta
escapes as \\uXXXX, and the ingest reads that delivery's one long line whole."""

from __future__ import annotations

import re
from pathlib import Path

from ingest import pipeline
from ingest.receiver import ReceiverConfig
from tests import factories as f
from tests.conftest import Query
from tests.ingest.receiver_server import SECRET, StartReceiver, meta_json

README = (Path(__file__).resolve().parents[2] / "README.md").read_text("utf-8")


def test_the_readmes_raised_cap_takes_a_batch_of_1000_long_non_latin_messages(
    start_receiver: StartReceiver, tmp_path: Path, db_path: Path
) -> None:
    (setting,) = set(re.findall(r"`REFSCOPE_MAX_BODY=(\w+)` raises the cap", README))
    text = "Здравствуйте" * 166 + "Привет!!"  # 2,000 characters, 6 bytes each as Meta sends them
    assert len(text) == 2000
    entries = [
        f.entry(f.message(text, psid=str(6500000000000000 + i), mid=f"m_long_{i}", ts=f.T0 + i))
        for i in range(1000)
    ]
    raw = meta_json(f.batch(*entries))
    assert len(raw) > 12 * 1000 * 1000
    environ = {"REFSCOPE_APP_SECRET": SECRET, "REFSCOPE_MAX_BODY": setting}
    receiver = start_receiver(ReceiverConfig.from_env(tmp_path / "logs", environ=environ))
    assert receiver.post(raw).status_code == 200
    pipeline.run([str(receiver.log_dir)], db_path, keep_text=True)
    query = Query(db_path)
    assert query("SELECT count(*), count(DISTINCT psid), min(text), max(text) FROM events") == [
        (1000, 1000, text, text)
    ]
    assert query("SELECT count(*) FROM rejects") == [(0,)]
