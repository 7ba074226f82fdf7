"""REFSCOPE_APP_SECRET set from bytes that are not UTF-8 (a Latin-1 env file): the receiver, on
a real server on 127.0.0.1, keys the signature's HMAC with those bytes, as Meta does with the
secret it was given. A right signature is 200, a wrong one 403, never a 500."""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import signal
from pathlib import Path

import httpx

from ingest.receiver import ReceiverConfig
from tests.ingest.cli_setup import ROOT
from tests.ingest.receiver_server import (
    OTHER_SECRET,
    StartReceiver,
    serve_process,
    text_delivery,
)

# "été-…" in Latin-1: os.environ holds its first and third bytes as lone surrogates.
SECRET = b"\xe9t\xe9-" + os.urandom(8).hex().encode()


def sign(raw: bytes, key: bytes) -> str:
    """X-Hub-Signature-256 as Meta computes it: the app secret's bytes key the HMAC."""
    return "sha256=" + hmac.new(key, raw, hashlib.sha256).hexdigest()


def test_a_secret_that_is_not_utf8_verifies_deliveries_beside_another(
    start_receiver: StartReceiver, tmp_path: Path
) -> None:
    environ = {"REFSCOPE_APP_SECRET": f"{os.fsdecode(SECRET)}, {OTHER_SECRET}"}
    receiver = start_receiver(ReceiverConfig.from_env(tmp_path / "logs", environ=environ))
    signed, rotated, recoded, wrong = (text_delivery(mid=f"m_{i}") for i in range(4))
    assert receiver.post(signed, sign(signed, SECRET)).status_code == 200
    assert receiver.post(rotated, sign(rotated, OTHER_SECRET.encode())).status_code == 200
    # The same letters in UTF-8 are another key: refused, as any other wrong signature.
    utf8 = SECRET.decode("latin-1").encode()
    assert receiver.post(recoded, sign(recoded, utf8)).status_code == 403
    assert receiver.post(wrong, sign(wrong, SECRET + b"x")).status_code == 403
    assert [r.status_code for r in receiver.seen] == [200, 200, 403, 403]
    bodies = [json.loads(x)["body"] for x in receiver.lines()]
    assert bodies == [json.loads(signed), json.loads(rotated)]
    assert receiver.metrics()['refscope_deliveries_refused_total{reason="mismatch"}'] == 2


def test_serve_keys_the_signature_with_the_secrets_bytes_and_never_prints_them(
    tmp_path: Path,
) -> None:
    env = {os.fsencode(k): os.fsencode(v) for k, v in os.environ.items()
           if not k.startswith("REFSCOPE_")}  # fmt: skip
    env |= {b"PYTHONPATH": os.fsencode(ROOT), b"REFSCOPE_APP_SECRET": SECRET}
    with serve_process(tmp_path, env) as served:
        raw = text_delivery()
        posts = [{"X-Hub-Signature-256": sign(raw, key)} for key in (SECRET, SECRET[1:])]
        statuses = [
            httpx.post(served.url + "/webhook", content=raw, headers=h).status_code for h in posts
        ]
    out = served.out
    assert statuses == [200, 403], out.decode("utf-8", "replace")
    assert served.proc.returncode in (0, -signal.SIGTERM)
    assert b"1 app secret(s)" in out and b"Traceback" not in out
    assert SECRET not in out and SECRET[4:] not in out
    (log,) = (tmp_path / "logs").glob("webhooks-*.ndjson")
    assert [json.loads(x)["body"] for x in log.read_bytes().splitlines()] == [json.loads(raw)]
