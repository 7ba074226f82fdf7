"""`refscope ingest --follow` through click's runner: an error reported (once while it lasts)
and the run going on, and inputs that are not there yet (a glob matching nothing, a symlink to a
file to come, a folder without a log name)."""

from __future__ import annotations

import gzip
import io
import re
from pathlib import Path

import pytest
from rich.console import Console

import tests.factories as f
from ingest import cli as cli_module
from ingest import pipeline
from ingest.errors import RefscopeError
from tests.conftest import Query


def test_follow_reports_an_error_and_keeps_going(
    db_path: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    logs = tmp_path / "logs"
    logs.mkdir()
    whole = gzip.compress(f.line(f.delivery(f.message("hi"))).encode() + b"\n")
    broken = whole[:-6] + bytes(b ^ 0xFF for b in whole[-6:-4]) + whole[-4:]  # a bad CRC
    (logs / "rotated.ndjson.gz").write_bytes(broken)
    sleeps: list[float] = []

    def sleep(seconds: float) -> None:  # between rounds, the file is copied again, whole
        sleeps.append(seconds)
        (logs / "rotated.ndjson.gz").write_bytes(whole)

    monkeypatch.setattr(cli_module.time, "sleep", sleep)
    out = io.StringIO()
    cli_module._follow(Console(file=out, width=200), [str(logs)], db_path, 2.0, None, None,
                       cycles=2)  # fmt: skip
    text = out.getvalue()
    assert "error:" in text and "rotated.ndjson.gz" in text and "trying again every 2 s" in text
    assert "reading again" in text and sleeps == [2.0, 2.0]
    assert Query(db_path)("SELECT kind FROM events") == [("message",)]


def test_follow_says_an_error_once_while_it_lasts(
    db_path: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A .gz that stays broken fails every round: said once, not every few seconds into the
    service's log; a different error is said when it comes."""
    logs = tmp_path / "logs [old]"  # a name in brackets, shown as it is: no markup
    logs.mkdir()
    whole = gzip.compress(f.line(f.delivery(f.message("hi"))).encode() + b"\n")
    (logs / "rotated.ndjson.gz").write_bytes(whole[:-6] + b"\x00\x00" + whole[-4:])  # bad CRC
    rounds: list[float] = []

    def sleep(seconds: float) -> None:
        rounds.append(seconds)
        if len(rounds) == 3:  # then another error: the folder's file is not a gzip at all
            (logs / "rotated.ndjson.gz").write_bytes(b"not gzip\n")

    monkeypatch.setattr(cli_module.time, "sleep", sleep)
    out = io.StringIO()
    cli_module._follow(Console(file=out, width=200), [str(logs)], db_path, 2.0, None, None,
                       cycles=5)  # fmt: skip
    text = out.getvalue()
    assert rounds == [2.0] * 5
    assert text.count("error:") == 2, text
    assert text.count("CRC check failed") == 1 and text.count("Not a gzipped file") == 1, text
    assert text.count(f"{logs}/rotated.ndjson.gz: cannot read") == 2, text


def test_follow_starts_on_a_glob_matching_nothing_yet_and_a_symlink_to_a_file_to_come(
    db_path: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Only a PATH that is not there at all is refused at once: a glob may match nothing yet,
    and a symlink may point at the file the receiver has not created yet."""
    logs = tmp_path / "logs"
    logs.mkdir()
    current = tmp_path / "current.ndjson"
    current.symlink_to(tmp_path / "webhooks-2024-11-25.ndjson")

    def sleep(seconds: float) -> None:  # the receiver writes its first lines
        f.write_ndjson(logs / "webhooks.ndjson", [f.delivery(f.message("hi", psid="u1"))])
        f.write_ndjson(tmp_path / "webhooks-2024-11-25.ndjson",
                       [f.delivery(f.message("hey", psid="u2"))])  # fmt: skip

    monkeypatch.setattr(cli_module.time, "sleep", sleep)
    out = io.StringIO()
    cli_module._follow(Console(file=out, width=200), [str(logs / "*.ndjson"), str(current)],
                       db_path, 2.0, None, None, cycles=2)  # fmt: skip
    assert Query(db_path)("SELECT psid FROM events ORDER BY psid") == [("u1",), ("u2",)]


def test_follow_says_once_that_a_folder_holds_no_log_name(
    db_path: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Following a folder of rotated logs only (webhooks.ndjson.1) printed nothing but
    "following …": a round that reads nothing printed no warning. It is said once."""
    logs = tmp_path / "logs"
    logs.mkdir()
    f.write_ndjson(logs / "webhooks.ndjson.1", [f.delivery(f.message("hi"))])
    monkeypatch.setattr(cli_module.time, "sleep", lambda seconds: None)
    out = io.StringIO()
    cli_module._follow(Console(file=out, width=200), [str(logs)], db_path, 2.0, None, None,
                       cycles=3)  # fmt: skip
    text = out.getvalue()
    assert text.count(f"warning: {logs}: no file is read by its name (1 left out: ") == 1, text
    assert Query(db_path)("SELECT count(*) FROM events") == [(0,)]


def test_follow_names_its_paths_as_given_brackets_and_all(
    db_path: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A glob's character class read as markup: `'logs [old]/[wv]*.ndjson'` was announced as
    `following logs /*.ndjson`, another glob than the one followed."""
    logs = tmp_path / "logs [old]"
    f.write_ndjson(logs / "webhooks.ndjson", [f.delivery(f.message("hi"))])
    spec = f"{logs}/[wv]*.ndjson"
    monkeypatch.setattr(cli_module.time, "sleep", lambda seconds: None)
    out = io.StringIO()
    cli_module._follow(Console(file=out, width=200), [spec], db_path, 2.0, None, None,
                       cycles=1)  # fmt: skip
    assert out.getvalue().splitlines()[0] == f"following {spec} every 2 s (Ctrl-C stops)"


@pytest.mark.parametrize(
    ("name", "value", "said"),
    [("REFSCOPE_KEEP_TEXT", "maybe", "REFSCOPE_KEEP_TEXT='maybe': give 1 to keep message text"),
     ("REFSCOPE_INGEST_BATCH", "big", "REFSCOPE_INGEST_BATCH='big': give a size"),
     ("REFSCOPE_INGEST_MEMORY", "lots", "REFSCOPE_INGEST_MEMORY='lots': give a size"),
     ("REFSCOPE_ID_SALT", "pepper", "this database stores ids as they came")],
    ids=["keep text", "batch", "memory", "salt"],
)  # fmt: skip
def test_follow_refuses_a_setting_no_round_can_mend_at_once(
    db_path: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    name: str,
    value: str,
    said: str,
) -> None:
    """A setting of the environment that is no value, or not the database's salt, failed every
    round, "trying again every 5 s" for ever: the environment of a running process does not
    change, and a service so started looked up while it read nothing."""
    logs = tmp_path / "logs"
    logs.mkdir()
    f.write_ndjson(logs / "a.ndjson", [f.delivery(f.message("hi"))])
    pipeline.run([str(logs)], db_path)  # ids as they came
    f.write_ndjson(logs / "b.ndjson", [f.delivery(f.message("again", mid="m_2"))])
    monkeypatch.setenv(name, value)
    monkeypatch.setattr(cli_module.time, "sleep", lambda seconds: None)
    out = io.StringIO()
    with pytest.raises(RefscopeError, match=re.escape(said)):
        cli_module._follow(Console(file=out, width=200), [str(logs)], db_path, 2.0, None, None,
                           cycles=2)  # fmt: skip
    assert "following" not in out.getvalue(), out.getvalue()
