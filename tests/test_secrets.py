"""No secret reaches any text refscope puts out: CLI output and help, reports, the Graph API
error path and its log records, the receiver's responses, logs and /metrics, every dashboard
page, and every column of the database."""

from __future__ import annotations

import datetime as dt
import io
import json
import logging
import os
import zipfile
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any

import click
import duckdb
import pytest
from click.testing import CliRunner
from streamlit.testing.v1 import AppTest

import tests.factories as f
from dashboard import auth
from dashboard.cli import cli
from ingest.access import PASSWORD_ENV
from ingest.demo import write_demo
from ingest.receiver import MAX_BODY_BYTES, ReceiverConfig
from tests.ingest.receiver_server import (  # noqa: F401 (start_receiver is a fixture)
    Receiver,
    sign,
    start_receiver,
    text_delivery,
)
from tests.local_http import free_port, served

ROOT = Path(__file__).resolve().parents[1]
APP = ROOT / "dashboard" / "streamlit_app.py"
# Distinctive values: a hit can only be a leak. Letters, digits and dashes, so a URL-encoded
# copy is the same text.
SECRETS = {
    "REFSCOPE_APP_SECRET": "appsecret-" + os.urandom(8).hex(),
    "REFSCOPE_VERIFY_TOKEN": "verifytoken-" + os.urandom(8).hex(),
    "REFSCOPE_META_TOKEN": "EAAmetatoken-" + os.urandom(8).hex(),
    "REFSCOPE_ID_SALT": "idsalt-" + os.urandom(8).hex(),
    PASSWORD_ENV: "dashpassword-" + os.urandom(8).hex(),
}
DEMO_END = dt.date(2026, 11, 24)


@pytest.fixture
def secrets(monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """All five secrets in the environment (clean_env removed the caller's)."""
    for name, value in SECRETS.items():
        monkeypatch.setenv(name, value)
    return SECRETS


def leaks(outputs: dict[str, str | bytes]) -> list[str]:
    """ "<output>: <variable>" for every secret found in an output, as text or as hex."""
    found = []
    for where, text in outputs.items():
        data = text.encode("utf-8", "replace") if isinstance(text, str) else text
        for name, value in SECRETS.items():
            if value.encode() in data or value.encode().hex().encode() in data.lower():
                found.append(f"{where}: {name}")
    return found


def test_the_leak_check_finds_a_secret_as_text_or_as_hex() -> None:
    salt = SECRETS["REFSCOPE_ID_SALT"]
    found = leaks({"a": f"x{salt}x", "b": salt.encode().hex().upper(), "c": salt[:-1]})
    assert found == ["a: REFSCOPE_ID_SALT", "b: REFSCOPE_ID_SALT"]


@pytest.fixture
def demo_logs(tmp_path: Path) -> Path:
    """Four weeks of seeded logs of every channel, plus a malformed and a rejected line."""
    logs = tmp_path / "logs"
    write_demo(logs, days=28, end=DEMO_END, seed=11, scale=0.5)
    f.write_ndjson(
        logs / "webhooks-extra.ndjson",
        [f.delivery(f.message("hi", psid=f.PSID, ts=f.T0)), "{truncated", '{"object":"user"}'],
    )
    return logs


@pytest.fixture
def ingested(secrets: dict[str, str], demo_logs: Path, tmp_path: Path, runner: CliRunner) -> Any:
    """The demo logs ingested by `refscope ingest` with the secrets set; (db, CLI outputs)."""
    db = tmp_path / "refscope.duckdb"
    outputs: dict[str, str | bytes] = {}
    for n in (1, 2):  # the second run has nothing new to read
        result = runner.invoke(cli, ["ingest", str(demo_logs), "--db", str(db)])
        assert result.exit_code == 0, result.output
        outputs[f"refscope ingest (run {n})"] = result.output
    missing = runner.invoke(cli, ["ingest", str(tmp_path / "nope.ndjson"), "--db", str(db)])
    assert missing.exit_code != 0
    outputs["refscope ingest of a missing file"] = missing.output
    return db, outputs


def test_cli_output_and_help_hold_no_secret(
    ingested: Any, runner: CliRunner, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    db, outputs = ingested

    def execve(*args: Any) -> None:
        raise RuntimeError("refscope dashboard must not start here")

    monkeypatch.setattr(os, "execve", execve)
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.chdir(tmp_path)
    args = ["--db", str(db), "--host", "0.0.0.0", "--port", str(free_port())]  # 8501 may be held
    started = runner.invoke(cli, ["dashboard", *args])
    assert isinstance(started.exception, RuntimeError)  # got as far as exec: nothing ran
    outputs["refscope dashboard"] = started.output
    monkeypatch.delenv(PASSWORD_ENV)
    refused = runner.invoke(cli, ["dashboard", *args])
    assert refused.exit_code != 0 and PASSWORD_ENV in refused.output
    outputs["refscope dashboard refusing"] = refused.output
    for path in _commands(cli):
        result = runner.invoke(cli, [*path, "--help"])
        assert result.exit_code == 0, result.output
        outputs[f"refscope {' '.join(path)} --help"] = result.output
    assert leaks(outputs) == []


def _commands(group: click.Group, prefix: tuple[str, ...] = ()) -> Iterator[tuple[str, ...]]:
    yield prefix
    for name, command in group.commands.items():
        if isinstance(command, click.Group):
            yield from _commands(command, (*prefix, name))
        else:
            yield (*prefix, name)


@pytest.mark.parametrize("fmt", ["html", "xlsx"], ids=["html", "xlsx"])
def test_reports_hold_no_secret(ingested: Any, runner: CliRunner, tmp_path: Path, fmt: str):
    db, _ = ingested
    out = tmp_path / f"report.{fmt}"
    result = runner.invoke(cli, ["report", "--format", fmt, "--out", str(out), "--db", str(db)])
    assert result.exit_code == 0, result.output
    outputs: dict[str, str | bytes] = {"refscope report": result.output, fmt: out.read_bytes()}
    if fmt == "xlsx":  # a zip: its parts are compressed
        with zipfile.ZipFile(io.BytesIO(out.read_bytes())) as z:
            outputs |= {f"xlsx {name}": z.read(name) for name in z.namelist()}
    assert len(outputs[fmt]) > 1000
    assert leaks(outputs) == []


def test_database_holds_no_secret(ingested: Any) -> None:
    db, _ = ingested
    con = duckdb.connect(str(db), read_only=True)
    try:
        columns = con.execute(
            "SELECT table_name, column_name FROM information_schema.columns "
            "WHERE table_schema = 'main' ORDER BY ALL"
        ).fetchall()
        outputs: dict[str, str | bytes] = {}
        for table, column in columns:
            rows = con.execute(f'SELECT CAST("{column}" AS VARCHAR) FROM "{table}"').fetchall()
            outputs[f"{table}.{column}"] = "\n".join(str(r[0]) for r in rows)
        outputs["view and macro definitions"] = "\n".join(
            str(r[0]) for r in con.execute("SELECT sql FROM duckdb_views() UNION ALL "
                                           "SELECT macro_definition FROM duckdb_functions() "
                                           "WHERE function_type = 'macro'").fetchall()
        )  # fmt: skip
        events = con.execute("SELECT count(*) FROM events").fetchone()
    finally:
        con.close()
    assert events and events[0] > 100
    assert any(t == "rejects" for t, _ in columns)
    outputs["the database file"] = db.read_bytes()
    assert leaks(outputs) == []


# --- the Graph API answering an OAuth error ----------------------------------------------------


@pytest.fixture
def oauth_refusing_graph() -> Iterator[str]:
    """A fake Graph API on 127.0.0.1 refusing every token, echoing what it was sent (as some
    proxies and error pages do) so a message that passes it on would leak it."""

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: Any) -> None:
            pass

        def do_GET(self) -> None:  # noqa: N802 (the stdlib's name)
            sent = self.headers.get("Authorization", "").removeprefix("Bearer ")
            body = {"error": {
                "message": f"Invalid OAuth access token - Cannot parse access token {sent} "
                           f"(request {self.path})",
                "type": "OAuthException", "code": 190, "fbtrace_id": "AbCdEf",
            }}  # fmt: skip
            data = json.dumps(body).encode()
            self.send_response(400)
            self.send_header("Content-Type", "application/json")
            self.send_header("WWW-Authenticate", f'OAuth "Facebook Platform" "{sent}"')
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

    with served(Handler) as base:
        yield base


def pull_ads(runner: CliRunner, base_url: str, db: Path) -> Any:
    args = ["pull", "ads", "--account", "act_1234567890", "--base-url", base_url,
            "--since", "2026-11-01", "--until", "2026-11-24", "--db", str(db)]  # fmt: skip
    return runner.invoke(cli, args)


def test_graph_oauth_error_output_and_database_hold_no_token(
    secrets: dict[str, str], oauth_refusing_graph: str, runner: CliRunner, db_path: Path
) -> None:
    result = pull_ads(runner, oauth_refusing_graph, db_path)
    assert result.exit_code != 0
    assert "190" in result.output and "Invalid OAuth access token" in result.output
    outputs: dict[str, str | bytes] = {"refscope pull ads": result.output}
    outputs["the database file"] = db_path.read_bytes()
    assert leaks(outputs) == []


def test_graph_oauth_error_log_records_hold_no_token(
    secrets: dict[str, str],
    oauth_refusing_graph: str,
    runner: CliRunner,
    db_path: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO)  # what a deployment logs; httpcore's DEBUG dumps headers
    assert pull_ads(runner, oauth_refusing_graph, db_path).exit_code != 0
    records = {f"log {r.name} #{i}": r.getMessage() for i, r in enumerate(caplog.records)}
    assert records
    assert leaks(records) == []


# --- the receiver -------------------------------------------------------------------------------


def test_receiver_responses_logs_and_metrics_hold_no_secret(
    secrets: dict[str, str],
    start_receiver: Any,  # noqa: F811 (the fixture imported above)
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    config = ReceiverConfig.from_env(tmp_path / "logs", None, registry_refresh=0.0)
    receiver: Receiver = start_receiver(config)
    app_secret, token = secrets["REFSCOPE_APP_SECRET"], secrets["REFSCOPE_VERIFY_TOKEN"]
    hs = {"hub.mode": "subscribe", "hub.verify_token": token, "hub.challenge": "42"}
    assert receiver.get("/webhook", params=hs).text == "42"
    receiver.get("/webhook", params={**hs, "hub.verify_token": "wrong"})
    receiver.get("/webhook", params={**hs, "hub.mode": "unsubscribe"})
    raw = text_delivery()
    assert receiver.post(raw, sign(raw, app_secret)).status_code == 200
    for signature in (None, "sha256=zz", sign(raw), sign(b"other", app_secret)):
        receiver.post(raw, signature)
    receiver.post(b"x" * (MAX_BODY_BYTES + 1), sign(b"x", app_secret))
    for path in ("/r/unknown", "/healthz", "/metrics", "/nowhere"):
        receiver.get(path)
    metrics = receiver.get("/metrics").text
    assert "# TYPE" in metrics or "# HELP" in metrics
    outputs: dict[str, str | bytes] = {
        f"response {i} {r.request.method} {r.request.url.path}": r.text + str(r.headers)
        for i, r in enumerate(receiver.seen)
    }
    outputs["/metrics"] = metrics
    outputs |= {f"log file {p.name}": p.read_bytes() for p in receiver.log_dir.iterdir()}
    # httpx is this test's own client; uvicorn.access is off in `serve` (see test_receiver).
    ours = [r for r in caplog.records if not r.name.startswith(("uvicorn.access", "httpx"))]
    outputs |= {f"log {r.name} #{i}": r.getMessage() for i, r in enumerate(ours)}
    outputs["repr(config)"] = repr(config)
    assert leaks(outputs) == []


# --- the dashboard ------------------------------------------------------------------------------


def rendered(node: Any) -> Iterator[str]:
    """Every element's message as Streamlit sends it (text, tables' Arrow bytes, chart JSON)."""
    if getattr(node, "proto", None) is not None:
        yield str(node.proto)
    for child in getattr(node, "children", {}).values():
        yield from rendered(child)


def page_text(at: AppTest) -> str:
    assert not at.exception, [e.message for e in at.exception]
    return "\n".join([*rendered(at.main), *rendered(at.sidebar)])


def test_every_dashboard_page_holds_no_secret(
    ingested: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    db, _ = ingested
    monkeypatch.setenv("REFSCOPE_DB", str(db))
    monkeypatch.setattr(auth, "sleep", lambda seconds: None)
    at = AppTest.from_file(str(APP), default_timeout=60)
    outputs: dict[str, str | bytes] = {"login screen": page_text(at.run())}
    for label, password in (("wrong", "not it"), ("right", SECRETS[PASSWORD_ENV])):
        at.text_input[0].input(password)
        at.button[0].click()
        outputs[f"after the {label} password"] = page_text(at.run())
    assert [t.value for t in at.title] == ["Overview"]
    pages = sorted(p.stem for p in (ROOT / "dashboard" / "app_pages").glob("[!_]*.py"))
    assert len(pages) > 5
    for page in pages:
        at.switch_page(f"app_pages/{page}.py")
        outputs[f"page {page}"] = page_text(at.run())
    assert leaks(outputs) == []


# --- the Parquet lake and the commands that change the database -------------------------------


def lake_text(lake_dir: Path) -> dict[str, str | bytes]:
    """Every file of a lake: its name, its bytes, and each Parquet file's values as text (they
    are zstd-compressed on disk, so a grep of the bytes alone would miss a secret)."""
    con = duckdb.connect()
    outputs: dict[str, str | bytes] = {}
    try:
        for path in sorted(p for p in lake_dir.rglob("*") if p.is_file()):
            where = f"lake {path.relative_to(lake_dir)}"
            outputs[where] = str(path).encode() + path.read_bytes()
            if path.suffix == ".parquet":
                rows = con.execute("SELECT * FROM read_parquet(?)", [str(path)]).fetchall()
                outputs[f"{where} values"] = repr(rows)
    finally:
        con.close()
    return outputs


def test_lake_and_the_commands_that_change_data_hold_no_secret(
    ingested: Any, demo_logs: Path, runner: CliRunner, tmp_path: Path
) -> None:
    """ingest --lake, forget, prune (both bringing the lake in line), rebuild, report --lake."""
    db, _ = ingested
    lake_dir = tmp_path / "lake"
    outputs: dict[str, str | bytes] = {}
    commands = {
        "ingest --lake": ["ingest", str(demo_logs), "--db", str(db), "--lake", str(lake_dir)],
        "forget": ["forget", f.PSID, "--db", str(db), "--lake", str(lake_dir)],
        "prune": ["prune", "--older-than", "3w", "--db", str(db), "--lake", str(lake_dir)],
        "rebuild": ["rebuild", str(demo_logs), "--out", str(tmp_path / "new.duckdb"),
                    "--db", str(db)],
        "report --lake": ["report", "--format", "html", "--out", str(tmp_path / "r.html"),
                          "--lake", str(lake_dir)],
    }  # fmt: skip
    for name, args in commands.items():
        result = runner.invoke(cli, args)
        assert result.exit_code == 0, (name, result.output)
        outputs[f"refscope {name}"] = result.output
    outputs["report from the lake"] = (tmp_path / "r.html").read_bytes()
    outputs["rebuilt database file"] = (tmp_path / "new.duckdb").read_bytes()
    outputs |= lake_text(lake_dir)
    assert any(k.endswith("values") and "events" in k for k in outputs)
    assert leaks(outputs) == []
